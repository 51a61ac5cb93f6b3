"""The clinic's day (contract 2.5): the dashboard, the clinic's appointment list and desk booking, for the clinic's
owner and its receptionists. Desk booking is the patient's booking service (appointments.services.appointment_book)
with the clinic of the URL; its race is the same doctor row lock."""

import re
from datetime import time, timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, AppointmentStatus
from appointments.tests.factories import make_appointment
from appointments.tests.test_concurrency import postgres_only, run_together
from clinic.models import MemberRole, MemberStatus
from clinic.tests.factories import make_clinic, make_member
from doctors.tests.factories import make_doctor, make_window, next_weekday
from tests.refusals import assert_refused
from users.models import RoleId, User
from users.services import ALREADY_REGISTERED as ALREADY
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db

DESK_ONLY = {"message": "Only this clinic's owner and receptionists can see its appointments."}


@pytest.fixture
def receptionist(clinic):
    return make_member(clinic=clinic, member_role=MemberRole.RECEPTIONIST).user


def dashboard(client, clinic, **query):
    return client.get(reverse("appointments:clinic-dashboard", args=[clinic.id]), query)


def desk_book(client, clinic, doctor, patient, on, at="09:00", **extra):
    body = {"patient_id": str(patient.pk), "doctor": doctor.pk, "appointment_date": on.isoformat()}
    return client.post(reverse("appointments:clinic-list", args=[clinic.id]), {**body, "appointment_time": at, **extra})


def test_the_dashboard_counts_the_day_and_lists_it_in_time_order(auth_client, owner, clinic, doctor):
    monday = next_weekday(0)
    late = make_appointment(doctor=doctor, on=monday, at=time(11))
    early = make_appointment(doctor=doctor, on=monday, at=time(9), status=AppointmentStatus.CONFIRMED)
    make_appointment(doctor=doctor, on=monday, at=time(10), status=AppointmentStatus.CANCELLED)
    make_appointment(doctor=doctor, on=monday + timedelta(days=1))  # another day
    make_appointment(doctor=make_doctor(), on=monday)  # another clinic
    body = dashboard(auth_client(owner), clinic, date=monday.isoformat()).json()
    assert (body["clinic"], body["date"]) == ("Apollo Clinic", monday.isoformat())
    assert body["summary"] == {"pending": 1, "confirmed": 1, "completed": 0, "cancelled": 1, "no_show": 0, "total": 3}
    assert [row["id"] for row in body["appointments"]][::2] == [early.id, late.id]
    row = body["appointments"][0]
    assert row["patient"] == {
        "id": str(early.patient_id),
        "name": early.patient.name,
        "contact": int(early.patient.contact),
    }
    assert row["doctor"] == {"id": doctor.id, "user": {"name": "Dr. Priya Sharma"}, "specialty": "cardiology"}


def test_the_dashboard_filters_by_status_and_doctor_and_defaults_to_today(auth_client, receptionist, clinic, doctor):
    other = make_doctor(clinic=clinic, name="Dr. Other")
    today = timezone.localdate()
    mine = make_appointment(doctor=doctor, on=today, at=time(23, 45))
    make_appointment(doctor=other, on=today, at=time(23, 30), status=AppointmentStatus.CONFIRMED)
    client = auth_client(receptionist)
    body = dashboard(client, clinic, doctor_id=doctor.id).json()
    assert body["date"] == today.isoformat() and body["summary"]["total"] == 1
    assert [row["id"] for row in body["appointments"]] == [mine.id]
    confirmed = dashboard(client, clinic, status="confirmed").json()
    assert confirmed["summary"]["total"] == 2 and len(confirmed["appointments"]) == 1  # counts stay the day's


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"date": "someday"}, {"date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ({"status": "maybe"}, {"status": ['"maybe" is not a valid choice.']}),
        ({"doctor_id": "0"}, {"doctor_id": ["Ensure this value is greater than or equal to 1."]}),
    ],
)
def test_dashboard_bad_filters_are_field_errors(auth_client, owner, clinic, query, error):
    assert_refused(dashboard(auth_client(owner), clinic, **query), 400, error)


@pytest.mark.parametrize("who", ["patient", "doctor", "other owner", "lab member", "former receptionist"])
def test_only_the_owner_and_current_receptionists_see_the_day(auth_client, clinic, patient, doctor, other_owner, who):
    lab = make_member(clinic=clinic, member_role=MemberRole.LAB_MEMBER).user
    former = make_member(clinic=clinic, member_role=MemberRole.RECEPTIONIST, status=MemberStatus.INACTIVE).user
    user = {"patient": patient, "doctor": doctor.user, "other owner": other_owner, "lab member": lab}.get(who, former)
    client = auth_client(user)
    assert_refused(dashboard(client, clinic), 403, DESK_ONLY)
    assert_refused(client.get(reverse("appointments:clinic-list", args=[clinic.id])), 403, DESK_ONLY)


def test_an_unknown_or_closed_clinic_is_404(auth_client, owner, clinic):
    type(clinic).objects.filter(pk=clinic.pk).update(is_active=False)
    assert_refused(dashboard(auth_client(owner), clinic), 404, {"message": "Clinic not found."})


def test_the_clinic_list_has_the_doctor_lists_filters(auth_client, owner, clinic, doctor):
    monday = next_weekday(0)
    one = make_appointment(doctor=doctor, on=monday)
    make_appointment(doctor=doctor, on=monday + timedelta(days=7))
    make_appointment(doctor=make_doctor(), on=monday)
    url = reverse("appointments:clinic-list", args=[clinic.id])
    rows = auth_client(owner).get(url, {"date": monday.isoformat()}).json()
    assert [row["id"] for row in rows] == [one.id] and rows[0]["patient"]["id"] == str(one.patient_id)
    assert len(auth_client(owner).get(url).json()) == 2


@pytest.mark.parametrize("count", [1, 50])
def test_dashboard_and_clinic_list_query_counts(auth_client, owner, clinic, doctor, django_assert_num_queries, count):
    monday = next_weekday(0)
    make_window(doctor=doctor, start=time(0), end=time(23))
    for minute in range(count):
        make_appointment(doctor=doctor, on=monday, at=time(minute // 4, 15 * (minute % 4)))
    client = auth_client(owner)
    with django_assert_num_queries(3):  # the clinic (with the receptionist check), the summary, the rows
        assert len(dashboard(client, clinic, date=monday.isoformat()).json()["appointments"]) == count
    with django_assert_num_queries(2):  # the clinic, the rows
        assert len(client.get(reverse("appointments:clinic-list", args=[clinic.id])).json()) == count


# --- desk booking ------------------------------------------------------------------------------------------------


def test_the_desk_books_for_a_patient_and_is_recorded_as_the_booker(auth_client, receptionist, clinic, doctor, patient):
    make_window(doctor=doctor, day="monday", start=time(9), end=time(12))
    monday = next_weekday(0)
    response = desk_book(auth_client(receptionist), clinic, doctor, patient, monday, reason="Fever")
    assert response.status_code == 201
    body = response.json()
    assert body["patient"]["id"] == str(patient.pk) and body["clinic"]["id"] == str(clinic.id)
    assert (body["status"], body["notes"], body["appointment_time"]) == ("pending", "Fever", "09:00:00")
    appointment = Appointment.objects.get()
    assert (appointment.patient_id, appointment.booked_by_id) == (patient.pk, receptionist.pk)
    # The patient sees it as their own.
    assert [row["id"] for row in auth_client(patient).get(reverse("appointments:my-list")).json()] == [body["id"]]


def test_desk_booking_keeps_every_rule_of_booking(auth_client, owner, clinic, doctor, patient):
    make_window(doctor=doctor, day="monday", start=time(9), end=time(12))
    monday = next_weekday(0)
    client = auth_client(owner)
    assert desk_book(client, clinic, doctor, patient, monday).status_code == 201
    assert_refused(
        desk_book(client, clinic, doctor, make_user(), monday),
        409,
        {"message": "This slot is no longer available."},
    )
    assert_refused(
        desk_book(client, clinic, doctor, patient, monday, at="13:00"),
        400,
        {"message": "The doctor does not see patients at that time. Pick one of the available slots."},
    )


def test_the_desk_books_only_at_its_own_clinic(auth_client, owner, doctor, patient):
    """A doctor of two clinics: the desk of the other clinic cannot book the hours they keep here."""
    elsewhere = make_clinic(owner=owner)
    make_member(clinic=elsewhere, user=doctor.user, member_role=MemberRole.DOCTOR)
    make_window(doctor=doctor, day="monday", start=time(9), end=time(12))  # at Apollo Clinic
    assert_refused(
        desk_book(auth_client(owner), elsewhere, doctor, patient, next_weekday(0)),
        400,
        {"message": "The doctor does not see patients at that time. Pick one of the available slots."},
    )


@pytest.mark.parametrize("role", [RoleId.CLINIC_OWNER, RoleId.ADMIN])
def test_the_desk_books_only_for_people_with_their_own_records(auth_client, owner, clinic, doctor, role):
    make_window(doctor=doctor, day="monday", start=time(9), end=time(12))
    stranger = make_user(role=role)
    response = desk_book(auth_client(owner), clinic, doctor, stranger, next_weekday(0))
    assert_refused(response, 400, {"patient_id": [f'Invalid pk "{stranger.pk}" - object does not exist.']})
    assert not Appointment.objects.exists()


def test_a_receptionist_of_another_clinic_cannot_book_here(auth_client, clinic, doctor, patient):
    outsider = make_member(clinic=make_clinic(), member_role=MemberRole.RECEPTIONIST).user
    assert_refused(desk_book(auth_client(outsider), clinic, doctor, patient, next_weekday(0)), 403, DESK_ONLY)


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded roles
def test_twenty_desk_and_patient_bookings_of_one_slot_get_one_201():
    from rest_framework.test import APIClient

    clinic = make_clinic()
    receptionist = make_member(clinic=clinic, member_role=MemberRole.RECEPTIONIST).user
    doctor = make_doctor(clinic=clinic)
    make_window(doctor=doctor, day="monday", start=time(9), end=time(12))
    monday = next_weekday(0)
    patients = [make_user() for _ in range(20)]
    statuses = []

    def attempt(i):
        client = APIClient()
        if i % 2:  # half at the desk, half by the patients themselves
            client.force_authenticate(receptionist)
            statuses.append(desk_book(client, clinic, doctor, patients[i], monday).status_code)
        else:
            client.force_authenticate(patients[i])
            body = {"doctor": doctor.pk, "appointment_date": monday.isoformat(), "appointment_time": "09:00"}
            statuses.append(client.post(reverse("appointments:my-list"), body).status_code)

    outcomes = run_together(20, attempt)
    assert outcomes == ["ok"] * 20
    assert sorted(statuses) == [201] + [409] * 19
    assert Appointment.objects.count() == 1
    assert connection.vendor == "postgresql"


# --- the desk moves an appointment as its doctor may -------------------------------------------------------------


def desk_move(client, clinic, appointment, **body):
    return client.patch(reverse("appointments:clinic-detail", args=[clinic.id, appointment.id]), body)


def test_the_desk_confirms_and_cancels_and_is_recorded(auth_client, receptionist, clinic, doctor):
    appointment = make_appointment(doctor=doctor, on=next_weekday(0))
    client = auth_client(receptionist)
    confirmed = desk_move(client, clinic, appointment, status="confirmed")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    appointment.refresh_from_db()
    assert appointment.status_changed_by_id == receptionist.pk
    cancelled = desk_move(client, clinic, appointment, status="cancelled", cancellation_reason="Doctor unwell")
    assert cancelled.json()["cancellation_reason"] == "Doctor unwell"
    assert_refused(
        desk_move(client, clinic, appointment, status="confirmed"),
        409,
        {"message": "Cannot change a cancelled appointment to confirmed. A cancelled appointment is final for you."},
    )


def test_the_desk_marks_a_visit_only_on_its_day(auth_client, owner, clinic, doctor):
    appointment = make_appointment(doctor=doctor, on=next_weekday(0) + timedelta(days=7))
    assert_refused(
        desk_move(auth_client(owner), clinic, appointment, status="completed"),
        409,
        {"message": "An appointment can be marked completed only on or after its date."},
    )


def test_the_desk_cannot_reach_another_clinics_appointment(auth_client, receptionist, clinic):
    theirs = make_appointment(doctor=make_doctor(), on=next_weekday(0))
    assert_refused(
        desk_move(auth_client(receptionist), clinic, theirs, status="confirmed"), 404, {"message": "Not found."}
    )
    assert_refused(desk_move(auth_client(make_user()), clinic, theirs, status="confirmed"), 403, DESK_ONLY)


# --- walk-ins ----------------------------------------------------------------------------------------------------

WALK_IN = "9822233344"


def walk_in(client, clinic, doctor, on, **extra):
    body = {"doctor": doctor.pk, "appointment_date": on.isoformat(), "appointment_time": "09:00", **extra}
    return client.post(reverse("appointments:clinic-list", args=[clinic.id]), body)


def test_a_walk_in_gets_an_account_an_sms_and_can_register_it_later(
    api_client, auth_client, receptionist, clinic, doctor, sms_outbox, django_capture_on_commit_callbacks
):
    make_window(doctor=doctor, day="monday", start=time(9), end=time(12))
    monday = next_weekday(0)
    with django_capture_on_commit_callbacks(execute=True):
        response = walk_in(auth_client(receptionist), clinic, doctor, monday, contact=WALK_IN, name="Ramesh Kumar")
    assert response.status_code == 201
    patient = User.objects.get(contact=WALK_IN)
    assert response.json()["patient"] == {"id": str(patient.pk), "name": "Ramesh Kumar", "contact": int(WALK_IN)}
    assert not patient.has_usable_password() and patient.roles_id == RoleId.PATIENT
    assert sms_outbox[-1]["contact"] == WALK_IN and "register in the app" in sms_outbox[-1]["message"]
    # The patient step 1/2 claims the account (and its appointment) for the person holding the phone.
    step1 = {"contact": WALK_IN, "name": "Ramesh K.", "password": "Walk-in#2026"}
    assert api_client.post(reverse("users:patient-step1"), step1).status_code == 200
    code = re.search(r"\b(\d{6})\b", sms_outbox[-1]["message"])[1]
    step2 = api_client.post(reverse("users:patient-step2"), {"contact": WALK_IN, "otp": code})
    assert step2.status_code == 201 and step2.json()["user"]["id"] == str(patient.pk)
    patient.refresh_from_db()
    assert patient.check_password("Walk-in#2026") and patient.name == "Ramesh K."
    mine = auth_client(patient).get(reverse("appointments:my-list")).json()
    assert [row["id"] for row in mine] == [response.json()["id"]]
    # Once registered, the number is an account like any other.
    assert_refused(api_client.post(reverse("users:patient-step1"), step1), 409, {"message": ALREADY})


def test_a_walk_in_with_an_account_is_booked_on_it(auth_client, owner, clinic, doctor, patient):
    make_window(doctor=doctor, day="monday", start=time(9), end=time(12))
    response = walk_in(auth_client(owner), clinic, doctor, next_weekday(0), contact=patient.contact)
    assert response.status_code == 201 and response.json()["patient"]["id"] == str(patient.pk)
    assert User.objects.filter(contact=patient.contact).count() == 1


def test_walk_in_refusals_leave_no_account(auth_client, owner, clinic, doctor):
    make_window(doctor=doctor, day="monday", start=time(9), end=time(12))
    monday, client = next_weekday(0), auth_client(owner)
    assert_refused(
        walk_in(client, clinic, doctor, monday, contact=WALK_IN),
        400,
        {"name": ["This number has no QuickCare account yet: give the patient's name."]},
    )
    assert_refused(
        walk_in(client, clinic, doctor, monday, contact=doctor.user.contact),
        400,
        {"contact": ["This number belongs to an account that is not a patient's."]},
    )
    # The booking fails after the account would have been made: neither is kept.
    assert_refused(
        walk_in(client, clinic, doctor, monday, contact=WALK_IN, name="Ramesh", appointment_time="13:00"),
        400,
        {"message": "The doctor does not see patients at that time. Pick one of the available slots."},
    )
    assert not User.objects.filter(contact=WALK_IN).exists()
    assert_refused(
        walk_in(client, clinic, doctor, monday),
        400,
        {"patient_id": ["Give the patient's account id, or a walk-in's contact (and name), not both."]},
    )
