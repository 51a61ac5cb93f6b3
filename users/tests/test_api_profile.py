import pytest
from django.urls import reverse

from tests.refusals import assert_refused
from users.models import PatientMedicalProfile, Role, RoleId, UserAddress
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_me_returns_the_spec_shape_and_no_secrets(auth_client, patient):
    response = auth_client(patient).get(reverse("users:me"))
    assert response.status_code == 200
    assert response.json() == {
        "id": str(patient.id),
        "name": "Rahul Sharma",
        "contact": int(patient.contact),
        "email": "",
        "age": None,
        "gender": "",
        "blood_group": "",
        "preferred_language": "en",
        "preferred_channel": "sms",
        "roles": {"id": 3, "name": "is_patient"},
        "is_partial_onboarding": False,
        "is_complete_onboarding": True,
    }


@pytest.mark.parametrize("method", ["put", "patch"])
def test_me_update_is_partial_and_ignores_protected_fields(auth_client, patient, method):
    body = {
        "age": 29,
        "roles": 1,
        "contact": 9111111111,
        "is_staff": True,
        "is_active": False,
        "is_complete_onboarding": False,
        "is_superuser": True,
    }
    response = getattr(auth_client(patient), method)(reverse("users:me"), body, format="json")
    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.age == 29 and patient.name == "Rahul Sharma"
    assert (patient.roles_id, patient.is_staff, patient.is_active, patient.is_superuser) == (
        RoleId.PATIENT,
        False,
        True,
        False,
    )
    assert patient.is_complete_onboarding and patient.contact != "9111111111"


@pytest.mark.parametrize(("field", "value"), [("age", 200), ("email", "x"), ("gender", "robot"), ("name", "")])
def test_me_update_validates(auth_client, patient, field, value):
    response = auth_client(patient).patch(reverse("users:me"), {field: value}, format="json")
    assert response.status_code == 400 and field in response.json()


def test_me_needs_a_token(api_client):
    assert_refused(
        api_client.get(reverse("users:me")), 401, {"message": "Authentication credentials were not provided."}
    )


def test_medical_profile_get_and_partial_put(auth_client, patient):
    client = auth_client(patient)
    assert client.get(reverse("users:medical-profile")).json()["allergies"] == ""
    response = client.put(reverse("users:medical-profile"), {"allergies": "Penicillin", "weight_kg": 70.5})
    assert response.status_code == 200
    body = response.json()
    assert body["allergies"] == "Penicillin" and body["weight_kg"] == "70.50"
    assert set(body) == {
        "allergies",
        "chronic_conditions",
        "current_medications",
        "past_surgeries",
        "family_history",
        "height_cm",
        "weight_kg",
        "emergency_contact_name",
        "emergency_contact_number",
        "updated_at",
    }
    client.put(reverse("users:medical-profile"), {"height_cm": 170})
    profile = PatientMedicalProfile.objects.get(user=patient)
    assert profile.allergies == "Penicillin" and profile.height_cm == 170


def test_medical_profile_rejects_bad_values(auth_client, patient):
    response = auth_client(patient).put(reverse("users:medical-profile"), {"height_cm": 0, "weight_kg": -2})
    assert response.status_code == 400 and set(response.json()) == {"height_cm", "weight_kg"}


def test_check_contact(api_client, patient):
    url = reverse("users:check")
    assert api_client.get(url, {"contact": patient.contact}).json() == {"exists": True}
    assert api_client.get(url, {"contact": "9123456780"}).json() == {"exists": False}
    bad = api_client.get(url, {"contact": "abc"})
    assert bad.status_code == 400 and "contact" in bad.json()
    assert_refused(api_client.get(url), 400, {"contact": ["This field is required."]})


ADDRESS = {
    "area": "Vaishali Nagar",
    "house_no": "12A",
    "town": "Jaipur",
    "state": "Rajasthan",
    "pincode": "302021",
    "landmark": "Near SBI",
    "address_type": "home",
    "is_current": True,
}


def test_address_create_and_list(auth_client, patient):
    client = auth_client(patient)
    response = client.post(reverse("users:address-list"), ADDRESS)
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ADDRESS} == ADDRESS
    assert [a["id"] for a in client.get(reverse("users:address-list")).json()] == [body["id"]]


def test_address_defaults_and_required_fields(auth_client, patient):
    client = auth_client(patient)
    missing = client.post(reverse("users:address-list"), {"house_no": "1"})
    assert missing.status_code == 400 and set(missing.json()) == {"area", "town"}
    first = client.post(reverse("users:address-list"), {"area": "A", "town": "T"}).json()
    assert first["address_type"] == "home" and first["is_current"] is True  # a first address is current


def test_making_an_address_current_clears_the_others(auth_client, patient):
    client = auth_client(patient)
    home = client.post(reverse("users:address-list"), ADDRESS).json()
    work = client.post(reverse("users:address-list"), {**ADDRESS, "address_type": "work"}).json()
    assert UserAddress.objects.get(pk=home["id"]).is_current is False
    assert UserAddress.objects.get(pk=work["id"]).is_current is True
    client.put(reverse("users:address-detail", args=[home["id"]]), {"is_current": True})
    assert list(UserAddress.objects.filter(is_current=True).values_list("id", flat=True)) == [
        UserAddress.objects.get(pk=home["id"]).id
    ]


def test_address_detail_update_delete(auth_client, patient):
    client = auth_client(patient)
    address = client.post(reverse("users:address-list"), ADDRESS).json()
    url = reverse("users:address-detail", args=[address["id"]])
    assert client.get(url).json()["town"] == "Jaipur"
    assert client.put(url, {"town": "Ajmer"}).json()["town"] == "Ajmer"
    assert client.delete(url).status_code == 204
    assert_refused(client.get(url), 404, {"message": "Not found."})


def test_someone_elses_address_is_404(auth_client, patient, other_patient):
    address = auth_client(patient).post(reverse("users:address-list"), ADDRESS).json()
    intruder = auth_client(other_patient)
    url = reverse("users:address-detail", args=[address["id"]])
    for method in ("get", "put", "delete"):
        response = getattr(intruder, method)(url, {"town": "X"})
        assert response.status_code == 404
        assert response.json() == {"message": "Not found."}
    assert intruder.get(reverse("users:address-list")).json() == []
    assert UserAddress.objects.get(pk=address["id"]).town == "Jaipur"


def test_address_list_query_count(auth_client, patient, django_assert_num_queries):
    client = auth_client(patient)
    for _ in range(5):
        client.post(reverse("users:address-list"), {"area": "A", "town": "T"})
    with django_assert_num_queries(1):
        assert len(client.get(reverse("users:address-list")).json()) == 5


def test_address_list_opt_in_pagination(auth_client, patient):
    client = auth_client(patient)
    for _ in range(3):
        client.post(reverse("users:address-list"), {"area": "A", "town": "T"})
    page = client.get(reverse("users:address-list"), {"limit": 2}).json()
    assert page["count"] == 3 and len(page["results"]) == 2


def test_migrations_seed_the_seven_roles():
    assert list(Role.objects.order_by("id").values_list("id", "name")) == [
        (1, "Superadmin"),
        (2, "Admin"),
        (3, "Patient"),
        (4, "Doctor"),
        (5, "Receptionist"),
        (6, "Lab Member"),
        (7, "Clinic Owner"),
    ]
    assert [r.api_name for r in Role.objects.order_by("id")][-1] == "is_clinic_owner"


def test_users_never_see_password_hash(auth_client):
    user = make_user()
    text = auth_client(user).get(reverse("users:me")).content.decode()
    assert user.password not in text and "password" not in text
