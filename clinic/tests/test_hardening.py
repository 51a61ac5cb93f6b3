"""Regression tests for the hardening issue (#10): what a clinic owner can do to a person (item 2), onboarding
slot limits (item 11) and closing a clinic with booked patients (item 18)."""

from datetime import time

import pytest
from django.urls import reverse

from appointments.models import Appointment
from appointments.tests.factories import make_appointment
from clinic.models import Clinic, ClinicMember
from clinic.tests.factories import make_clinic
from doctors.tests.factories import make_doctor, make_window, next_weekday
from documents.tests.factories import make_document
from tests.refusals import assert_refused, assert_throttled
from users.models import RoleId
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic(owner):
    return make_clinic(owner=owner, name="Sunrise Clinic")


def add(client, clinic, contact, member_role="doctor"):
    body = {"contact": contact, "member_role": member_role}
    return client.post(reverse("clinic:member-list", args=[clinic.id]), body, format="json")


# --- 2. an owner adding a patient's number never takes the patient's account ---------------------------------------


def test_item02_a_patient_added_as_doctor_keeps_their_own_records(auth_client, owner, clinic, patient):
    document = make_document(owner=patient)
    other = make_doctor()
    make_window(doctor=other, day="monday")
    monday = next_weekday(0)
    make_appointment(doctor=other, on=monday, patient=patient)
    assert add(auth_client(owner), clinic, patient.contact).status_code == 201
    patient.refresh_from_db()
    assert patient.roles_id == RoleId.DOCTOR
    client = auth_client(patient)
    assert [d["id"] for d in client.get(reverse("documents:list")).json()] == [str(document.id)]
    assert len(client.get(reverse("appointments:my-list")).json()) == 1
    assert client.get(reverse("documents:consent-mine")).status_code == 200
    assert client.get(reverse("documents:access-log")).status_code == 200


def test_item02_removing_the_membership_gives_back_the_registered_role(auth_client, owner, clinic, patient):
    member_id = add(auth_client(owner), clinic, patient.contact).json()["id"]
    assert auth_client(owner).delete(reverse("clinic:member-detail", args=[clinic.id, member_id])).status_code == 204
    patient.refresh_from_db()
    assert patient.roles_id == RoleId.PATIENT


def test_item02_the_person_is_told_by_sms_and_can_leave(
    auth_client, owner, clinic, patient, sms_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        member_id = add(auth_client(owner), clinic, patient.contact, member_role="receptionist").json()["id"]
    assert sms_outbox == [
        {
            "contact": patient.contact,
            "message": "Sunrise Clinic added you on QuickCare as receptionist. Not you, or not wanted? Open QuickCare"
            " > Memberships and choose Leave.",
        }
    ]
    patient.refresh_from_db()
    mine = auth_client(patient).get(reverse("clinic:my-memberships")).json()
    assert [m["id"] for m in mine] == [member_id]
    left = auth_client(patient).post(reverse("clinic:my-membership-leave", args=[member_id]))
    assert left.status_code == 200 and left.json()["status"] == "inactive"
    patient.refresh_from_db()
    assert patient.roles_id == RoleId.PATIENT
    assert ClinicMember.objects.get(pk=member_id).left_at is not None


def test_item02_nobody_leaves_someone_elses_membership(auth_client, owner, clinic, patient, other_patient):
    member_id = add(auth_client(owner), clinic, patient.contact).json()["id"]
    refused = auth_client(other_patient).post(reverse("clinic:my-membership-leave", args=[member_id]))
    assert refused.status_code == 404 and refused.json() == {"message": "Not found."}


def test_item02_an_added_doctor_is_not_listed_or_bookable_until_they_fill_their_profile(
    api_client, auth_client, owner, clinic, patient, other_patient
):
    add(auth_client(owner), clinic, patient.contact)
    patient.refresh_from_db()
    doctor_client = auth_client(patient)
    profile_id = doctor_client.get(reverse("doctors:me")).json()["id"]
    window = {
        "clinic": str(clinic.id),
        "day": "monday",
        "start_time": "09:00",
        "end_time": "10:00",
        "slot_duration_minutes": 15,
        "max_patients": 4,
    }
    assert doctor_client.post(reverse("doctors:availability-list", args=[profile_id]), window).status_code == 201
    monday = next_weekday(0)
    assert api_client.get(reverse("doctors:list")).json() == []
    assert_refused(api_client.get(reverse("doctors:detail", args=[profile_id])), 404, {"message": "Not found."})
    assert api_client.get(reverse("free-slots", args=[profile_id]), {"date": monday}).json()["available_slots"] == []
    booking = {"doctor": profile_id, "appointment_date": monday.isoformat(), "appointment_time": "09:00"}
    assert_refused(
        auth_client(other_patient).post(reverse("appointments:my-list"), booking),
        400,
        {"message": "The doctor does not see patients at that time. Pick one of the available slots."},
    )

    assert doctor_client.put(reverse("doctors:me"), {"specialty": "dermatology"}).status_code == 200
    assert [d["id"] for d in api_client.get(reverse("doctors:list")).json()] == [profile_id]
    assert auth_client(other_patient).post(reverse("appointments:my-list"), booking).status_code == 201


def test_item02_an_owner_adds_at_most_member_adds_per_day(auth_client, owner, clinic, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "member_add_owner": "2/day"},
    }
    client = auth_client(owner)
    assert add(client, clinic, make_user().contact).status_code == 201
    assert add(client, make_clinic(owner=owner), make_user().contact).status_code == 201  # counted across clinics
    assert_throttled(add(client, clinic, make_user().contact))
    assert ClinicMember.objects.count() == 2


# --- 11. onboarding slots: at most 50, and every window holds a slot ------------------------------------------------


def onboarding(client, slots):
    body = {"name": "Big Clinic", "clinic_type": "clinic", "city": "Pune", "time_slots": slots}
    return client.post(reverse("clinic:onboarding"), body, format="json")


def slot(day=0, start="09:00", end="09:30", minutes=15):
    return {
        "day_of_week": day,
        "start_time": start,
        "end_time": end,
        "slot_duration_minutes": minutes,
        "max_appointments": 5,
    }


def test_item11_onboarding_refuses_more_than_fifty_time_slots(auth_client):
    owner = make_user(role=RoleId.CLINIC_OWNER)
    many = [slot(day=i % 7, start=f"{6 + i // 7:02d}:00", end=f"{6 + i // 7:02d}:30") for i in range(51)]
    response = onboarding(auth_client(owner), many)
    assert response.status_code == 400
    assert response.json() == {"time_slots": {"non_field_errors": ["Ensure this field has no more than 50 elements."]}}
    assert not Clinic.objects.exists()


def test_item11_a_window_shorter_than_one_slot_is_refused(auth_client, owner, clinic):
    response = onboarding(auth_client(make_user(role=RoleId.CLINIC_OWNER)), [slot(end="09:10", minutes=15)])
    assert response.status_code == 400
    assert response.json() == {
        "time_slots": {"0": {"end_time": ["This window is shorter than one 15-minute slot; no one could book it."]}}
    }
    crud = auth_client(owner).post(reverse("clinic:slot-list", args=[clinic.id]), slot(end="09:05", minutes=10))
    assert crud.status_code == 400 and "end_time" in crud.json()


# --- 18. closing a clinic with upcoming appointments ---------------------------------------------------------------


def test_item18_closing_a_clinic_with_upcoming_appointments_is_409_listing_them(auth_client, owner, clinic):
    doctor = make_doctor(clinic=clinic)
    appointment = make_appointment(doctor=doctor, on=next_weekday(0), at=time(9))
    refused = auth_client(owner).delete(reverse("clinic:detail", args=[clinic.id]))
    assert refused.status_code == 409
    body = refused.json()
    assert body["message"].startswith("1 upcoming appointment fall in this clinic's calendar.")
    assert [a["id"] for a in body["appointments"]] == [appointment.id]
    clinic.refresh_from_db()
    assert clinic.is_active


def test_item18_closing_with_cancel_appointments_cancels_and_records_why(auth_client, owner, clinic):
    doctor = make_doctor(clinic=clinic)
    appointment = make_appointment(doctor=doctor, on=next_weekday(0), at=time(9))
    url = reverse("clinic:detail", args=[clinic.id])
    assert auth_client(owner).delete(url + "?cancel_appointments=true").status_code == 204
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancellation_reason) == ("cancelled", "The clinic has closed.")
    clinic.refresh_from_db()
    assert not clinic.is_active
    doctor.user.refresh_from_db()
    assert doctor.user.roles_id == RoleId.PATIENT  # a membership of a closed clinic gives no role
    assert Appointment.objects.filter(status="pending").count() == 0


@pytest.mark.parametrize("flag", ["yes please", "2", "TRUE "])
def test_a_cancel_appointments_flag_that_is_neither_true_nor_false_is_400(auth_client, owner, clinic, flag):
    refused = auth_client(owner).delete(reverse("clinic:detail", args=[clinic.id]), {"cancel_appointments": flag})
    assert refused.status_code == 400 and refused.json() == {"cancel_appointments": ["Send true or false."]}
    clinic.refresh_from_db()
    assert clinic.is_active  # before: anything but "true"/"1" silently meant false and closed the clinic


def test_cancel_appointments_in_a_json_body_is_read_too(auth_client, owner, clinic):
    url = reverse("clinic:detail", args=[clinic.id])
    assert auth_client(owner).delete(url, {"cancel_appointments": True}, format="json").status_code == 204
