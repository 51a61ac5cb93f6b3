import pytest
from django.urls import reverse

from clinic.models import Clinic, MemberStatus
from clinic.tests.factories import make_clinic, make_member
from tests.refusals import assert_refused
from users.models import RoleId
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db

ONBOARDING = {
    "name": "City Care Clinic",
    "clinic_type": "clinic",
    "phone": "9876543210",
    "email": "citycare@example.com",
    "address": "12, MG Road",
    "city": "Jaipur",
    "state": "Rajasthan",
    "pincode": "302001",
    "registration_number": "RJ-MED-2024-001",
    "description": "Multi-specialty OPD clinic",
    "time_slots": [
        {
            "day_of_week": 0,
            "start_time": "09:00",
            "end_time": "13:00",
            "slot_duration_minutes": 15,
            "max_appointments": 20,
        },
        {
            "day_of_week": 0,
            "start_time": "17:00",
            "end_time": "20:00",
            "slot_duration_minutes": 15,
            "max_appointments": 15,
        },
        {
            "day_of_week": 1,
            "start_time": "09:00",
            "end_time": "13:00",
            "slot_duration_minutes": 15,
            "max_appointments": 20,
        },
    ],
}


@pytest.fixture
def new_owner(db):
    return make_user(role=RoleId.CLINIC_OWNER, name="Dr. Anil Gupta", is_partial_onboarding=True)


@pytest.mark.parametrize("url", ["clinic:onboarding", "clinic:onboarding-alias"])
def test_owner_onboarding_step3_creates_clinic_and_slots(auth_client, new_owner, url):
    response = auth_client(new_owner).post(reverse(url), ONBOARDING, format="json")

    assert response.status_code == 201
    body = response.json()
    clinic = Clinic.objects.get()
    assert body["message"] == "Clinic registration complete! You can now add doctors from your dashboard."
    assert body["clinic"] == {
        "id": str(clinic.id),
        "name": "City Care Clinic",
        "slug": "city-care-clinic",
        "clinic_type": "clinic",
        "city": "Jaipur",
        "member_count": 0,
    }
    assert len(body["time_slots"]) == 3
    first = body["time_slots"][0]
    assert {k: v for k, v in first.items() if k != "id"} == {
        "day_of_week": 0,
        "day_name": "Monday",
        "start_time": "09:00:00",
        "end_time": "13:00:00",
        "slot_duration_minutes": 15,
        "max_appointments": 20,
        "is_active": True,
    }
    new_owner.refresh_from_db()
    assert new_owner.is_complete_onboarding and clinic.owner == new_owner


def test_onboarding_twice_is_409(auth_client, new_owner):
    client = auth_client(new_owner)
    client.post(reverse("clinic:onboarding"), ONBOARDING, format="json")
    response = client.post(reverse("clinic:onboarding"), ONBOARDING, format="json")
    assert response.status_code == 409 and Clinic.objects.count() == 1
    assert set(response.json()) == {"message"} and response.json()["message"]


def test_onboarding_with_overlapping_slots_is_409_and_writes_nothing(auth_client, new_owner):
    body = {
        **ONBOARDING,
        "time_slots": [
            *ONBOARDING["time_slots"],
            {
                "day_of_week": 0,
                "start_time": "12:00",
                "end_time": "14:00",
                "slot_duration_minutes": 15,
                "max_appointments": 5,
            },
        ],
    }
    response = auth_client(new_owner).post(reverse("clinic:onboarding"), body, format="json")
    assert response.status_code == 409
    assert "overlaps" in response.json()["message"]
    assert not Clinic.objects.exists()
    new_owner.refresh_from_db()
    assert not new_owner.is_complete_onboarding


@pytest.mark.parametrize(
    ("slot", "field"),
    [
        ({"start_time": "13:00", "end_time": "09:00"}, "end_time"),
        ({"slot_duration_minutes": 4}, "slot_duration_minutes"),
        ({"slot_duration_minutes": 241}, "slot_duration_minutes"),
        ({"day_of_week": 7}, "day_of_week"),
        ({"start_time": "25:00"}, "start_time"),
        ({"max_appointments": 0}, "max_appointments"),
    ],
)
def test_onboarding_rejects_bad_slots(auth_client, new_owner, slot, field):
    body = {**ONBOARDING, "time_slots": [{**ONBOARDING["time_slots"][0], **slot}]}
    response = auth_client(new_owner).post(reverse("clinic:onboarding"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["time_slots"]["0"]  # DRF keys list errors by index
    assert not Clinic.objects.exists()


@pytest.mark.parametrize("role", [RoleId.PATIENT, RoleId.DOCTOR])
def test_onboarding_is_for_clinic_owners_only(auth_client, role):
    response = auth_client(make_user(role=role)).post(reverse("clinic:onboarding"), ONBOARDING, format="json")
    assert_refused(response, 403, {"message": "Only clinic owners can do this."})


def test_onboarding_needs_a_token(api_client):
    assert_refused(
        api_client.post(reverse("clinic:onboarding"), ONBOARDING, format="json"),
        401,
        {"message": "Authentication credentials were not provided."},
    )


def test_second_clinic_with_same_name_gets_distinct_slug(auth_client, owner):
    client = auth_client(owner)
    first = client.post(reverse("clinic:list"), {"name": "City Care", "clinic_type": "clinic", "city": "Jaipur"})
    second = client.post(reverse("clinic:list"), {"name": "City Care", "clinic_type": "hospital", "city": "Ajmer"})
    assert first.status_code == second.status_code == 201
    assert (first.json()["slug"], second.json()["slug"]) == ("city-care", "city-care-2")


def test_clinic_create_requires_name_type_city(auth_client, owner):
    response = auth_client(owner).post(reverse("clinic:list"), {})
    assert response.status_code == 400
    assert set(response.json()) == {"name", "clinic_type", "city"}


def test_clinic_create_accepts_landline_phone(auth_client, owner):
    response = auth_client(owner).post(
        reverse("clinic:list"), {"name": "Apollo", "clinic_type": "clinic", "city": "Jaipur", "phone": "0141-2222222"}
    )
    assert response.status_code == 201 and response.json()["phone"] == "0141-2222222"
    assert response.json()["member_count"] == 0


@pytest.mark.parametrize(("field", "value"), [("pincode", "30200"), ("clinic_type", "spa"), ("email", "no")])
def test_clinic_create_validates(auth_client, owner, field, value):
    body = {"name": "A", "clinic_type": "clinic", "city": "Jaipur", field: value}
    response = auth_client(owner).post(reverse("clinic:list"), body)
    assert response.status_code == 400 and field in response.json()


def test_my_clinics_lists_only_mine_with_member_count(auth_client, owner, other_owner):
    mine = make_clinic(owner=owner, members=2)
    make_clinic(owner=other_owner)
    make_member(clinic=mine, status=MemberStatus.INACTIVE)
    response = auth_client(owner).get(reverse("clinic:list"))
    assert response.status_code == 200
    assert [(c["id"], c["member_count"]) for c in response.json()] == [(str(mine.id), 2)]


@pytest.mark.parametrize("role", [RoleId.PATIENT, RoleId.DOCTOR, RoleId.RECEPTIONIST])
def test_my_clinics_is_403_for_other_roles(auth_client, role):
    client = auth_client(make_user(role=role))
    assert_refused(client.get(reverse("clinic:list")), 403, {"message": "Only clinic owners can do this."})
    assert_refused(
        client.post(reverse("clinic:list"), {"name": "A", "clinic_type": "clinic", "city": "X"}),
        403,
        {"message": "Only clinic owners can do this."},
    )


def test_clinic_detail_is_public(api_client):
    clinic = make_clinic(members=1)
    response = api_client.get(reverse("clinic:detail", args=[clinic.id]))
    assert response.status_code == 200
    assert response.json()["name"] == clinic.name and response.json()["member_count"] == 1


def test_clinic_detail_unknown_is_404(api_client):
    response = api_client.get(reverse("clinic:detail", args=["6f9619ff-8b86-d011-b42d-00cf4fc964ff"]))
    assert response.status_code == 404 and "message" in response.json()
    assert_refused(api_client.get("/api/clinics/not-a-uuid/"), 404, {"message": "Not found."})


@pytest.mark.parametrize("method", ["put", "patch"])
def test_owner_updates_clinic_partially(auth_client, owner, method):
    clinic = make_clinic(owner=owner, members=1)
    response = getattr(auth_client(owner), method)(reverse("clinic:detail", args=[clinic.id]), {"city": "Ajmer"})
    assert response.status_code == 200
    assert response.json()["city"] == "Ajmer" and response.json()["name"] == clinic.name
    assert response.json()["member_count"] == 1


def test_other_owner_cannot_change_or_delete_clinic(auth_client, owner, other_owner, patient):
    clinic = make_clinic(owner=owner)
    for user in (other_owner, patient):
        client = auth_client(user)
        response = client.put(reverse("clinic:detail", args=[clinic.id]), {"city": "X"})
        assert response.status_code == 403
        assert response.json() == {"message": "Only this clinic's owner can manage it."}
        assert_refused(
            client.delete(reverse("clinic:detail", args=[clinic.id])),
            403,
            {"message": "Only this clinic's owner can manage it."},
        )
    clinic.refresh_from_db()
    assert clinic.city == "Jaipur" and clinic.is_active


def test_anonymous_write_is_401(api_client):
    clinic = make_clinic()
    assert_refused(
        api_client.put(reverse("clinic:detail", args=[clinic.id]), {"city": "X"}),
        401,
        {"message": "Authentication credentials were not provided."},
    )


def test_soft_delete_hides_clinic_from_public(auth_client, api_client, owner):
    clinic = make_clinic(owner=owner)
    assert auth_client(owner).delete(reverse("clinic:detail", args=[clinic.id])).status_code == 204
    clinic.refresh_from_db()
    assert clinic.is_active is False
    assert api_client.get(reverse("clinic:public-list")).json() == []
    assert_refused(api_client.get(reverse("clinic:detail", args=[clinic.id])), 404, {"message": "Not found."})
    assert auth_client(owner).get(reverse("clinic:list")).json() == []


def test_public_list_shape_and_filters(api_client):
    apollo = make_clinic(name="Apollo Clinic", city="Jaipur", phone="0141-2222222", members=2)
    make_clinic(name="Fortis Hospital", city="Ajmer", clinic_type="hospital")
    url = reverse("clinic:public-list")
    rows = api_client.get(url).json()
    assert len(rows) == 2
    assert rows[0] == {
        "id": str(apollo.id),
        "name": "Apollo Clinic",
        "slug": apollo.slug,
        "clinic_type": "clinic",
        "city": "Jaipur",
        "phone": "0141-2222222",
        "member_count": 2,
    }
    assert [c["name"] for c in api_client.get(url, {"city": "jaipur"}).json()] == ["Apollo Clinic"]
    assert [c["name"] for c in api_client.get(url, {"type": "hospital"}).json()] == ["Fortis Hospital"]
    assert [c["name"] for c in api_client.get(url, {"search": "apol"}).json()] == ["Apollo Clinic"]
    bad = api_client.get(url, {"type": "spa"})
    assert bad.status_code == 400 and "type" in bad.json()


def test_public_list_opt_in_pagination(api_client):
    for _ in range(3):
        make_clinic()
    page = api_client.get(reverse("clinic:public-list"), {"limit": 2, "offset": 1}).json()
    assert page["count"] == 3 and len(page["results"]) == 2


@pytest.mark.parametrize("clinics", [2, 12])
def test_public_list_query_count_is_constant(api_client, django_assert_num_queries, clinics):
    for _ in range(clinics):
        make_clinic(members=2)
    with django_assert_num_queries(1):  # one SELECT, member_count annotated
        response = api_client.get(reverse("clinic:public-list"))
    assert len(response.json()) == clinics


@pytest.mark.parametrize("clinics", [2, 12])
def test_my_clinics_query_count_is_constant(auth_client, owner, django_assert_num_queries, clinics):
    for _ in range(clinics):
        make_clinic(owner=owner, members=2)
    client = auth_client(owner)
    with django_assert_num_queries(1):
        assert len(client.get(reverse("clinic:list")).json()) == clinics


def test_the_public_list_is_built_as_its_serializer_would(api_client):
    """One builder (public_clinic_rows_json) answers the list; the schema's serializer declares the same shape."""
    from clinic.selectors import clinics_with_member_count
    from clinic.serializers import PublicClinicSerializer

    make_clinic(name="Apollo Clinic", city="Jaipur", phone="0141-2222222", members=3)
    make_clinic(name="Fortis Hospital", city="Ajmer", clinic_type="hospital", phone="")
    expected = PublicClinicSerializer(clinics_with_member_count(), many=True).data
    assert api_client.get(reverse("clinic:public-list")).json() == [dict(row) for row in expected]
    page = api_client.get(reverse("clinic:public-list"), {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and page["results"] == [dict(expected[1])]
