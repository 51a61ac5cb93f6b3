from datetime import time

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from clinic.models import MemberStatus
from clinic.tests.factories import make_clinic, make_member
from doctors.models import DoctorAvailability, DoctorLeave, DoctorProfile
from doctors.serializers import DoctorListSerializer
from doctors.tests.factories import make_doctor, make_window, next_weekday
from tests.refusals import assert_refused
from users.models import RoleId
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor(clinic):
    return make_doctor(clinic=clinic, qualification="MBBS, MD", experience_years=8, offers_video_consultation=True)


def test_doctor_list_shape(api_client, doctor, clinic):
    response = api_client.get(reverse("doctors:list"))
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": doctor.id,
            "user": {"id": str(doctor.user.id), "name": "Dr. Priya Sharma", "contact": int(doctor.user.contact)},
            "specialty": "cardiology",
            "qualification": "MBBS, MD",
            "experience_years": 8,
            "first_visit_fee": "500.00",
            "follow_up_fee": "300.00",
            "offers_video_consultation": True,
            "clinics": [
                {
                    "clinic_id": str(clinic.id),
                    "clinic_name": "Apollo Clinic",
                    "city": "Jaipur",
                    "department": "Cardiology",
                }
            ],
        }
    ]


def test_doctor_list_hides_doctors_without_active_membership(api_client, doctor, clinic):
    removed = make_doctor(clinic=clinic, name="Dr. Gone")
    removed.user.clinic_memberships.update(status=MemberStatus.INACTIVE)
    closed = make_doctor(clinic=make_clinic(is_active=False), name="Dr. Closed")
    ids = [d["id"] for d in api_client.get(reverse("doctors:list")).json()]
    assert ids == [doctor.id]
    assert_refused(api_client.get(reverse("doctors:detail", args=[removed.id])), 404, {"message": "Not found."})
    assert_refused(api_client.get(reverse("doctors:detail", args=[closed.id])), 404, {"message": "Not found."})


def test_doctor_at_two_clinics_lists_only_active_ones(api_client, doctor):
    second = make_clinic(name="Second")
    make_member(clinic=second, user=doctor.user, department="OPD")
    make_member(clinic=make_clinic(name="Left"), user=doctor.user, status=MemberStatus.INACTIVE)
    clinics = api_client.get(reverse("doctors:detail", args=[doctor.id])).json()["clinics"]
    assert sorted(c["clinic_name"] for c in clinics) == ["Apollo Clinic", "Second"]


def test_doctor_detail_has_profile_details(api_client, doctor):
    body = api_client.get(reverse("doctors:detail", args=[doctor.id])).json()
    assert {"biography", "languages", "registration_number"} <= set(body)


def test_doctor_list_filters(api_client, clinic):
    cheap = make_doctor(clinic=clinic, name="Dr. Asha Verma", specialty="dermatology", first_visit_fee=200)
    pricey = make_doctor(name="Dr. Priya Sharma", first_visit_fee=1200, offers_video_consultation=True)
    url = reverse("doctors:list")

    def ids(**params):
        response = api_client.get(url, params)
        assert response.status_code == 200
        return [d["id"] for d in response.json()]

    assert ids(clinic=clinic.id) == [cheap.id]
    assert ids(specialty="dermatology") == [cheap.id]
    assert ids(min_fee=500) == [pricey.id]
    assert ids(max_fee=500) == [cheap.id]
    assert ids(min_fee=100, max_fee=1500) == [cheap.id, pricey.id]
    assert ids(video="true") == [pricey.id]
    assert ids(video="false") == [cheap.id]
    assert ids(search="dr. sharma") == []  # search is one substring of the name
    assert ids(search="sharma") == [pricey.id]


@pytest.mark.parametrize(
    ("param", "value"),
    [("min_fee", "abc"), ("max_fee", "-1"), ("clinic", "not-a-uuid"), ("specialty", "astrology"), ("video", "maybe")],
)
def test_doctor_list_bad_filter_is_400(api_client, param, value):
    response = api_client.get(reverse("doctors:list"), {param: value})
    assert response.status_code == 400
    assert param in response.json()


def test_filter_by_clinic_ignores_inactive_membership(api_client, doctor):
    old = make_clinic()
    make_member(clinic=old, user=doctor.user, status=MemberStatus.INACTIVE)
    assert api_client.get(reverse("doctors:list"), {"clinic": old.id}).json() == []


def test_the_list_and_the_detail_show_one_card(api_client, doctor):
    """One builder (doctor_cards): the detail is the list's card plus its three profile fields."""
    second = make_doctor(specialty="dermatology", first_visit_fee=1234.5, offers_video_consultation=False)
    make_member(clinic=make_clinic(name="Another"), user=second.user, department="")
    cards = api_client.get(reverse("doctors:list")).json()
    detail = api_client.get(reverse("doctors:detail", args=[second.pk])).json()
    assert cards[1] == {k: v for k, v in detail.items() if k not in ("registration_number", "biography", "languages")}
    assert cards[1]["first_visit_fee"] == "1234.50" and [c["clinic_name"] for c in cards[1]["clinics"]][1] == "Another"
    assert set(cards[0]) == set(DoctorListSerializer().fields)  # the schema declares exactly what is built
    page = api_client.get(reverse("doctors:list"), {"limit": 1, "offset": 1}).json()
    assert page["count"] == 2 and page["results"] == cards[1:]


@pytest.mark.parametrize("doctors", [5, 50])
def test_doctor_list_query_count_is_constant(api_client, django_assert_num_queries, doctors):
    clinics = [make_clinic() for _ in range(3)]
    for i in range(doctors):
        doctor = make_doctor(clinic=clinics[i % 3])
        make_member(clinic=clinics[(i + 1) % 3], user=doctor.user)
    with django_assert_num_queries(2):  # doctors with users, then their active clinics
        response = api_client.get(reverse("doctors:list"))
    assert len(response.json()) == doctors


def test_doctor_me_get_and_partial_put(auth_client, doctor):
    client = auth_client(doctor.user)
    assert client.get(reverse("doctors:me")).json()["id"] == doctor.id
    body = {
        "qualification": "MBBS, MD (Cardiology)",
        "registration_number": "RJ-12345",
        "biography": "8+ years",
        "languages": "English, Hindi",
        "first_visit_fee": 600,
    }
    response = client.put(reverse("doctors:me"), body)
    assert response.status_code == 200
    assert response.json()["first_visit_fee"] == "600.00" and response.json()["follow_up_fee"] == "300.00"
    assert response.json()["specialty"] == "cardiology"


@pytest.mark.parametrize(
    ("field", "value"),
    [("first_visit_fee", -1), ("specialty", "magic"), ("experience_years", 200), ("follow_up_fee", "x")],
)
def test_doctor_me_validates(auth_client, doctor, field, value):
    response = auth_client(doctor.user).patch(reverse("doctors:me"), {field: value})
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize("role", [RoleId.PATIENT, RoleId.CLINIC_OWNER, RoleId.RECEPTIONIST])
def test_doctor_me_is_for_doctors(auth_client, role):
    assert_refused(
        auth_client(make_user(role=role)).get(reverse("doctors:me")), 403, {"message": "Only doctors can do this."}
    )


# --- availability ----------------------------------------------------------------------------------------------

WINDOW = {"day": "monday", "start_time": "09:00", "end_time": "13:00", "slot_duration_minutes": 15, "max_patients": 20}


def post_window(client, doctor, at_clinic, **overrides):
    return client.post(
        reverse("doctors:availability-list", args=[doctor.id]), {"clinic": str(at_clinic.id), **WINDOW, **overrides}
    )


def test_doctor_adds_availability(auth_client, doctor, clinic):
    response = post_window(auth_client(doctor.user), doctor, clinic)
    assert response.status_code == 201
    body = response.json()
    assert {
        k: body[k]
        for k in ("clinic", "day", "start_time", "end_time", "slot_duration_minutes", "max_patients", "is_active")
    } == {
        "clinic": str(clinic.id),
        "day": "monday",
        "start_time": "09:00:00",
        "end_time": "13:00:00",
        "slot_duration_minutes": 15,
        "max_patients": 20,
        "is_active": True,
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"day": "funday"}, "day"),
        ({"end_time": "08:00"}, "end_time"),
        ({"slot_duration_minutes": 3}, "slot_duration_minutes"),
        ({"max_patients": 0}, "max_patients"),
        ({"clinic": "6f9619ff-8b86-d011-b42d-00cf4fc964ff"}, "clinic"),
    ],
)
def test_availability_validation(auth_client, doctor, clinic, overrides, field):
    response = post_window(auth_client(doctor.user), doctor, clinic, **overrides)
    assert response.status_code == 400 and field in response.json()


def test_availability_at_a_clinic_where_not_a_member_is_403(auth_client, doctor):
    response = post_window(auth_client(doctor.user), doctor, make_clinic())
    assert_refused(response, 403, {"message": "You can only set hours at a clinic where you are an active doctor."})


def test_availability_overlap_at_any_clinic_is_409(auth_client, doctor, clinic):
    other = make_clinic(name="Second")
    make_member(clinic=other, user=doctor.user)
    client = auth_client(doctor.user)
    assert post_window(client, doctor, clinic).status_code == 201
    clash = post_window(client, doctor, other, start_time="12:00", end_time="14:00")
    assert clash.status_code == 409
    assert clash.json() == {"message": "This overlaps your monday hours 09:00-13:00 at Apollo Clinic."}
    assert post_window(client, doctor, other, start_time="13:00", end_time="14:00").status_code == 201
    assert post_window(client, doctor, other, day="tuesday").status_code == 201


def test_only_that_doctor_writes_availability(auth_client, doctor, clinic, patient):
    colleague = make_doctor(clinic=clinic)
    assert_refused(
        post_window(auth_client(colleague.user), doctor, clinic),
        403,
        {"message": "You can only manage your own availability."},
    )
    assert_refused(post_window(auth_client(patient), doctor, clinic), 403, {"message": "Only doctors can do this."})
    assert not DoctorAvailability.objects.exists()


def test_availability_is_public_and_in_weekday_order(api_client, doctor):
    make_window(doctor=doctor, day="wednesday")
    make_window(doctor=doctor, day="monday", start=time(17), end=time(19))
    make_window(doctor=doctor, day="monday")
    make_window(doctor=doctor, day="friday", is_active=False)
    rows = api_client.get(reverse("doctors:availability-list", args=[doctor.id])).json()
    assert [(r["day"], r["start_time"]) for r in rows] == [
        ("monday", "09:00:00"),
        ("monday", "17:00:00"),
        ("wednesday", "09:00:00"),
    ]


def test_availability_of_unknown_doctor_is_404(api_client):
    assert_refused(api_client.get(reverse("doctors:availability-list", args=[999999])), 404, {"message": "Not found."})


def test_update_and_delete_availability(auth_client, doctor):
    window = make_window(doctor=doctor)
    client = auth_client(doctor.user)
    url = reverse("doctors:availability-detail", args=[doctor.id, window.id])
    response = client.put(url, {"max_patients": 5})
    assert response.status_code == 200 and response.json()["max_patients"] == 5
    assert response.json()["start_time"] == "09:00:00"
    assert client.delete(url).status_code == 204
    assert DoctorAvailability.objects.get(pk=window.id).is_active is False


def test_delete_availability_with_slot_id_query(auth_client, doctor):
    window = make_window(doctor=doctor)
    client = auth_client(doctor.user)
    url = reverse("doctors:availability-list", args=[doctor.id])
    assert_refused(client.delete(url), 400, {"slot_id": ["Name the window to remove: ?slot_id=<id>."]})
    assert_refused(client.delete(f"{url}?slot_id=nonsense"), 404, {"message": "Availability window not found."})
    assert client.delete(f"{url}?slot_id={window.id}").status_code == 204
    assert DoctorAvailability.objects.get(pk=window.id).is_active is False


def test_other_doctor_cannot_change_availability(auth_client, doctor, clinic):
    window = make_window(doctor=doctor)
    intruder = auth_client(make_doctor(clinic=clinic).user)
    url = reverse("doctors:availability-detail", args=[doctor.id, window.id])
    assert_refused(
        intruder.put(url, {"max_patients": 1}), 403, {"message": "You can only manage your own availability."}
    )
    assert_refused(intruder.delete(url), 403, {"message": "You can only manage your own availability."})
    assert_refused(
        intruder.delete(reverse("doctors:availability-list", args=[doctor.id]) + f"?slot_id={window.id}"),
        403,
        {"message": "You can only manage your own availability."},
    )
    window.refresh_from_db()
    assert window.is_active and window.max_patients == 20


def test_removing_doctor_from_clinic_hides_their_hours_and_slots(auth_client, api_client, owner, doctor, clinic):
    make_window(doctor=doctor)
    member = doctor.user.clinic_memberships.get()
    auth_client(owner).delete(reverse("clinic:member-detail", args=[clinic.id, member.id]))
    assert api_client.get(reverse("doctors:availability-list", args=[doctor.id])).json() == []
    slots = api_client.get(reverse("free-slots", args=[doctor.id]), {"date": next_weekday(0).isoformat()})
    assert slots.json()["available_slots"] == []


# --- leaves ----------------------------------------------------------------------------------------------------


def test_leaves_crud(auth_client, doctor, clinic):
    client = auth_client(doctor.user)
    body = {"clinic": str(clinic.id), "start_date": "2026-03-10", "end_date": "2026-03-15", "reason": "Personal"}
    created = client.post(reverse("doctors:leave-list"), body)
    assert created.status_code == 201
    assert {k: created.json()[k] for k in body} == body
    everywhere = client.post(reverse("doctors:leave-list"), {"start_date": "2026-04-01", "end_date": "2026-04-01"})
    assert everywhere.status_code == 201 and everywhere.json()["clinic"] is None
    assert len(client.get(reverse("doctors:leave-list")).json()) == 2
    assert client.delete(reverse("doctors:leave-detail", args=[created.json()["id"]])).status_code == 204
    assert DoctorLeave.objects.count() == 1


def test_leave_validation(auth_client, doctor):
    client = auth_client(doctor.user)
    backwards = client.post(reverse("doctors:leave-list"), {"start_date": "2026-03-15", "end_date": "2026-03-10"})
    assert backwards.status_code == 400 and "end_date" in backwards.json()
    foreign = client.post(
        reverse("doctors:leave-list"),
        {"clinic": str(make_clinic().id), "start_date": "2026-03-10", "end_date": "2026-03-10"},
    )
    assert_refused(foreign, 403, {"message": "You can only set hours at a clinic where you are an active doctor."})


def test_leaves_are_private_to_the_doctor(auth_client, doctor, clinic, patient):
    leave = DoctorLeave.objects.create(doctor=doctor, start_date="2026-03-10", end_date="2026-03-10")
    colleague = auth_client(make_doctor(clinic=clinic).user)
    assert colleague.get(reverse("doctors:leave-list")).json() == []
    assert_refused(colleague.delete(reverse("doctors:leave-detail", args=[leave.id])), 404, {"message": "Not found."})
    assert_refused(
        auth_client(patient).get(reverse("doctors:leave-list")), 403, {"message": "Only doctors can do this."}
    )
    assert DoctorLeave.objects.filter(pk=leave.id).exists()


def never_built(monkeypatch):
    """From here on, building a card fails the test: an answer can only come from the cache."""

    def fail(rows):
        raise AssertionError("the directory was built instead of served from the cache")

    monkeypatch.setattr("doctors.views.doctor_cards", fail)


def test_public_directory_is_cached_for_the_configured_time(api_client, doctor, settings, monkeypatch):
    settings.PUBLIC_CACHE_SECONDS = 30
    first = api_client.get(reverse("doctors:list"))
    with monkeypatch.context() as patched:
        never_built(patched)
        again = api_client.get(reverse("doctors:list"))
    assert again.status_code == 200 and again.json() == first.json()
    DoctorProfile.objects.filter(pk=doctor.pk).update(qualification="MBBS")
    assert api_client.get(reverse("doctors:list")).json()[0]["qualification"] == "MBBS, MD"  # still cached
    assert api_client.get(reverse("doctors:list"), {"specialty": "cardiology"}).json()[0]["qualification"] == "MBBS"
    settings.PUBLIC_CACHE_SECONDS = 0
    assert api_client.get(reverse("doctors:list")).json()[0]["qualification"] == "MBBS"


def test_an_edit_shows_in_the_cached_directory_at_once(api_client, auth_client, doctor, settings, clinic):
    """Codebase issue #11: a save of what the directories show bumps the cache version; a signup does not."""
    settings.PUBLIC_CACHE_SECONDS = 30
    assert len(api_client.get(reverse("doctors:list")).json()) == 1
    auth_client(doctor.user).patch(reverse("doctors:me"), {"qualification": "MBBS, DM"}, format="json")
    assert api_client.get(reverse("doctors:list")).json()[0]["qualification"] == "MBBS, DM"
    make_doctor(clinic=clinic, name="Dr. New")
    assert len(api_client.get(reverse("doctors:list")).json()) == 2
    assert api_client.get(reverse("clinic:public-list")).json()[0]["member_count"] == 2
    version = cache.get("public:version")
    make_user(role=RoleId.PATIENT)  # a patient's signup is not a directory change
    assert cache.get("public:version") == version


def test_stale_directory_entry_is_rebuilt_by_the_first_request_after_expiry(api_client, doctor, settings):
    settings.PUBLIC_CACHE_SECONDS = 30
    with time_machine.travel(timezone.now(), tick=False) as clock:
        api_client.get(reverse("doctors:list"))
        DoctorProfile.objects.filter(pk=doctor.pk).update(qualification="MBBS")
        clock.shift(29)
        assert api_client.get(reverse("doctors:list")).json()[0]["qualification"] == "MBBS, MD"
        clock.shift(2)
        assert api_client.get(reverse("doctors:list")).json()[0]["qualification"] == "MBBS"


def test_stale_directory_entry_is_served_while_another_request_rebuilds_it(api_client, doctor, settings, monkeypatch):
    settings.PUBLIC_CACHE_SECONDS = 30
    with time_machine.travel(timezone.now(), tick=False) as clock:
        api_client.get(reverse("doctors:list"))
        DoctorProfile.objects.filter(pk=doctor.pk).update(qualification="MBBS")
        clock.shift(31)
        monkeypatch.setattr(cache, "add", lambda *args, **kwargs: False)  # the rebuild lock is someone else's
        never_built(monkeypatch)
        stale = api_client.get(reverse("doctors:list"))
        assert stale.status_code == 200 and stale.json()[0]["qualification"] == "MBBS, MD"


def test_free_slots_are_never_cached(api_client, doctor, settings, auth_client, patient):
    settings.PUBLIC_CACHE_SECONDS = 30
    make_window(doctor=doctor)
    monday = next_weekday(0)
    url = reverse("free-slots", args=[doctor.id])
    before = api_client.get(url, {"date": monday.isoformat()}).json()["available_slots"]
    body = {"doctor": doctor.id, "appointment_date": monday.isoformat(), "appointment_time": before[0]}
    assert auth_client(patient).post(reverse("appointments:my-list"), body).status_code == 201
    assert api_client.get(url, {"date": monday.isoformat()}).json()["available_slots"] == before[1:]


def test_closed_clinic_hides_hours_and_slots(api_client, doctor, clinic):
    make_window(doctor=doctor)
    clinic.is_active = False
    clinic.save()
    assert api_client.get(reverse("doctors:availability-list", args=[doctor.id])).json() == []
    slots = api_client.get(reverse("free-slots", args=[doctor.id]), {"date": next_weekday(0).isoformat()})
    assert slots.json()["available_slots"] == []
