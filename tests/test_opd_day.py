"""The OPD day (contract section 3): tokens, check-in, the doctor's queue, the patient's place in it, reschedule,
history, and Idempotency-Key on booking and reschedule."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appointments.models import Appointment, AppointmentHistory, AppointmentStatus, IdempotencyKey
from appointments.tests.factories import make_appointment
from clinic.models import MemberRole
from clinic.tests.factories import make_clinic, make_member
from doctors.models import DoctorLeave
from doctors.tests.factories import make_doctor, make_window
from tests.refusals import assert_refused
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db

MONDAY = date(2027, 1, 4)
NEXT_MONDAY = MONDAY + timedelta(days=7)
NOT_FOUND = {"message": "Not found."}


@pytest.fixture(autouse=True)
def morning():
    """08:00 clinic time on a Monday: the day's appointments from 09:00 are still ahead."""
    with time_machine.travel(datetime(2027, 1, 4, 8, 0, tzinfo=ZoneInfo("Asia/Kolkata"))):
        yield


@pytest.fixture
def doctor(clinic):
    doctor = make_doctor(clinic=clinic)
    make_window(doctor=doctor, day="monday", start=time(9), end=time(13), slot_duration_minutes=15, max_patients=20)
    return doctor


@pytest.fixture
def receptionist(clinic):
    return make_member(clinic=clinic, member_role=MemberRole.RECEPTIONIST).user


def book(client, doctor, on=MONDAY, at="09:00", key=None, **extra):
    body = {"doctor": doctor.id, "appointment_date": on.isoformat(), "appointment_time": at, **extra}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(reverse("appointments:my-list"), body, format="json", **headers)


def reschedule(client, url_name, args, on=MONDAY, at="10:00", key=None, **extra):
    body = {"appointment_date": on.isoformat(), "appointment_time": at, **extra}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(reverse(f"appointments:{url_name}", args=args), body, format="json", **headers)


def history(client, url_name, args):
    return client.get(reverse(f"appointments:{url_name}", args=args)).json()


# --- tokens -------------------------------------------------------------------------------------------------------


def test_tokens_count_up_per_doctor_clinic_and_day_and_are_never_reused(auth_client, doctor, patient, other_patient):
    first = book(auth_client(patient), doctor, at="09:00").json()
    second = book(auth_client(other_patient), doctor, at="09:15").json()
    assert (first["token_number"], second["token_number"]) == (1, 2)
    auth_client(patient).patch(reverse("appointments:my-detail", args=[first["id"]]), {"status": "cancelled"})
    third = book(auth_client(make_user()), doctor, at="09:00").json()  # the freed time, a new number
    assert third["token_number"] == 3
    another_day = book(auth_client(make_user()), doctor, on=NEXT_MONDAY).json()
    assert another_day["token_number"] == 1
    another_doctor = make_doctor(clinic=doctor.user.clinic_memberships.get().clinic, name="Dr. Other")
    make_window(doctor=another_doctor, day="monday")
    assert book(auth_client(make_user()), another_doctor).json()["token_number"] == 1


def test_desk_bookings_and_walk_ins_take_the_next_number(auth_client, doctor, clinic, receptionist, patient):
    book(auth_client(patient), doctor, at="09:00")
    url = reverse("appointments:clinic-list", args=[clinic.id])
    body = {"doctor": doctor.id, "appointment_date": MONDAY.isoformat()}
    desk = auth_client(receptionist).post(url, {**body, "appointment_time": "09:15", "patient_id": str(make_user().pk)})
    walk_in = auth_client(receptionist).post(
        url, {**body, "appointment_time": "09:30", "contact": 9811122233, "name": "Walk In"}
    )
    assert (desk.json()["token_number"], walk_in.json()["token_number"]) == (2, 3)


def test_booking_with_token_history_messages_and_chain_is_ten_queries(auth_client, doctor, patient):
    client = auth_client(patient)
    book(client, doctor, at="09:00")
    with CaptureQueriesContext(connection) as queries:
        created = book(client, doctor, at="09:15")
    assert created.status_code == 201
    savepoints = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SAVEPOINT")]
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    # The doctor's row lock (with the doctor's name), the patient's lock with their count, windows, leaves, the day
    # (times and tokens), the insert and its history row: 7; with its messages (contract section 4) the clinic's
    # name and one INSERT of the confirmation and its reminders: 9; the history row joining the patient's
    # tamper-evident chain (contract 5.1) reads the chain's end first: 10. The answer is built from what the booking
    # loaded, not read again (#17), and the INSERT has no savepoint of its own: the one here is the service's
    # transaction, a savepoint only because the test runs inside one.
    assert len(statements) == 10, statements
    assert len(savepoints) == 1, savepoints
    assert created.json() == client.get(reverse("appointments:my-detail", args=[created.json()["id"]])).json()


def test_a_desk_booking_answers_what_a_read_of_it_answers(auth_client, doctor, clinic, receptionist):
    url = reverse("appointments:clinic-list", args=[clinic.id])
    body = {"doctor": doctor.id, "appointment_date": MONDAY.isoformat(), "appointment_time": "09:30"}
    walk_in = auth_client(receptionist).post(url, {**body, "contact": 9811122233, "name": "Walk In"})
    assert walk_in.status_code == 201
    assert auth_client(receptionist).get(url).json() == [walk_in.json()]


def test_the_booking_writes_the_first_history_row(auth_client, doctor, patient):
    appointment = book(auth_client(patient), doctor).json()
    [row] = history(auth_client(patient), "my-history", [appointment["id"]])
    assert row["at"].startswith("2027-01-04T08:00:00")
    assert [row] == [
        {
            "at": row["at"],
            "event": "booked",
            "by": {"id": str(patient.pk), "name": patient.name, "role": "patient"},
            "from_status": None,
            "to_status": "pending",
            "from_date": None,
            "from_time": None,
            "to_date": "2027-01-04",
            "to_time": "09:00:00",
            "reason": "",
        }
    ]


# --- check-in -----------------------------------------------------------------------------------------------------


def test_the_desk_and_the_doctor_check_patients_in(auth_client, doctor, clinic, receptionist):
    one = make_appointment(doctor=doctor, on=MONDAY, at=time(9))
    two = make_appointment(doctor=doctor, on=MONDAY, at=time(9, 15), status="confirmed")
    desk = auth_client(receptionist).post(reverse("appointments:clinic-check-in", args=[clinic.id, one.id]))
    assert desk.status_code == 200 and desk.json()["checked_in_at"].startswith("2027-01-04T08:00:00")
    assert desk.json()["status"] == "pending"  # status names stay the spec's
    by_doctor = auth_client(doctor.user).post(reverse("appointments:doctor-check-in", args=[two.id]))
    assert by_doctor.status_code == 200 and by_doctor.json()["checked_in_at"] is not None
    again = auth_client(receptionist).post(reverse("appointments:clinic-check-in", args=[clinic.id, one.id]))
    assert again.json()["checked_in_at"] == desk.json()["checked_in_at"]  # twice changes nothing
    rows = AppointmentHistory.objects.filter(event="checked_in").order_by("appointment_id")
    assert [(r.appointment_id, r.by_id, r.by_role) for r in rows] == [
        (one.id, receptionist.pk, "receptionist"),
        (two.id, doctor.user_id, "doctor"),
    ]


@pytest.mark.parametrize(
    ("status", "day", "message"),
    [
        ("cancelled", MONDAY, "A cancelled appointment cannot be checked in."),
        ("completed", MONDAY, "A completed appointment cannot be checked in."),
        ("no_show", MONDAY, "A no_show appointment cannot be checked in."),
        ("confirmed", NEXT_MONDAY, "Only today's appointments can be checked in."),
        ("pending", MONDAY - timedelta(days=7), "Only today's appointments can be checked in."),
    ],
)
def test_check_in_is_for_todays_open_appointments_only(auth_client, doctor, status, day, message):
    appointment = make_appointment(doctor=doctor, on=day, status=status)
    refused = auth_client(doctor.user).post(reverse("appointments:doctor-check-in", args=[appointment.id]))
    assert_refused(refused, 409, {"message": message})
    assert Appointment.objects.get(pk=appointment.pk).checked_in_at is None


def test_check_in_of_someone_elses_appointment(auth_client, doctor, clinic, patient):
    appointment = make_appointment(doctor=doctor, on=MONDAY)
    elsewhere = make_member(clinic=make_clinic(), member_role=MemberRole.RECEPTIONIST).user
    assert_refused(
        auth_client(elsewhere).post(reverse("appointments:clinic-check-in", args=[clinic.id, appointment.id])),
        403,
        {"message": "Only this clinic's owner and receptionists can see its appointments."},
    )
    other_doctor = make_doctor(clinic=clinic, name="Dr. Other")
    refused = auth_client(other_doctor.user).post(reverse("appointments:doctor-check-in", args=[appointment.id]))
    assert_refused(refused, 404, NOT_FOUND)
    refused = auth_client(patient).post(reverse("appointments:doctor-check-in", args=[appointment.id]))
    assert_refused(refused, 403, {"message": "Only doctors can do this."})


# --- the queue ----------------------------------------------------------------------------------------------------


def checked_in_day(doctor, count, *, arrived):
    appointments = [make_appointment(doctor=doctor, on=MONDAY, at=time(9 + i // 4, 15 * (i % 4))) for i in range(count)]
    for appointment in appointments[:arrived]:
        Appointment.objects.filter(pk=appointment.pk).update(
            checked_in_at=datetime(2027, 1, 4, 2, 30 + appointment.id % 20, tzinfo=ZoneInfo("UTC"))
        )
    return appointments


def queue(client, **query):
    return client.get(reverse("appointments:doctor-queue"), query)


def call_next(client, **body):
    return client.post(reverse("appointments:doctor-queue-next"), body, format="json")


def test_the_doctor_calls_the_waiting_patients_in_token_order(auth_client, doctor, clinic):
    first, second, third = checked_in_day(doctor, 3, arrived=2)
    client = auth_client(doctor.user)
    before = queue(client).json()
    assert (before["now_serving"], before["not_arrived"]) == (None, 1)
    assert [(row["id"], row["token_number"]) for row in before["waiting"]] == [(first.id, 1), (second.id, 2)]
    assert set(before["waiting"][0]) >= {"patient", "checked_in_at", "called_at", "token_number"}
    called = call_next(client, clinic_id=str(clinic.id))
    assert called.status_code == 200 and called.json()["id"] == first.id and called.json()["called_at"] is not None
    after = queue(client, clinic_id=str(clinic.id), date=MONDAY.isoformat()).json()
    assert (after["now_serving"], [row["id"] for row in after["waiting"]]) == (1, [second.id])
    assert call_next(client).json()["id"] == second.id
    assert_refused(
        call_next(client), 409, {"message": "Nobody is waiting: no checked-in patient has yet to be called."}
    )
    auth_client(doctor.user).post(reverse("appointments:doctor-check-in", args=[third.id]))
    assert call_next(client).json()["id"] == third.id
    assert AppointmentHistory.objects.filter(event="called").count() == 3


def test_the_queue_is_the_doctors_at_their_own_clinics(auth_client, doctor, clinic, patient):
    client = auth_client(doctor.user)
    not_theirs = make_clinic()
    assert_refused(
        queue(client, clinic_id=str(not_theirs.id)), 403, {"message": "You are not a doctor of this clinic."}
    )
    assert_refused(
        call_next(client, clinic_id=str(not_theirs.id)), 403, {"message": "You are not a doctor of this clinic."}
    )
    unknown = "00000000-0000-0000-0000-000000000000"
    assert_refused(queue(client, clinic_id=unknown), 404, {"message": "Clinic not found."})
    make_member(clinic=not_theirs, user=doctor.user, member_role=MemberRole.DOCTOR)
    several = {"clinic_id": ["You are a doctor at several clinics: say which one."]}
    assert_refused(queue(client), 400, several)
    assert_refused(call_next(client), 400, several)
    assert queue(client, clinic_id=str(not_theirs.id)).json() == {"now_serving": None, "waiting": [], "not_arrived": 0}
    assert_refused(queue(auth_client(patient)), 403, {"message": "Only doctors can do this."})
    assert_refused(
        queue(client, date="someday"),
        400,
        {"date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
    )


@pytest.mark.parametrize("count", [1, 50])
def test_queue_and_position_cost_the_same_for_one_and_fifty(auth_client, doctor, count, django_assert_num_queries):
    for i in range(count):
        make_appointment(
            doctor=doctor,
            on=MONDAY,
            at=time(9, 0) if i == 0 else time(9, 5 + i % 50),
            checked_in_at=datetime(2027, 1, 4, 2, 0, tzinfo=ZoneInfo("UTC")),
        )
    mine = Appointment.objects.select_related("patient").order_by("-token_number").first()
    with django_assert_num_queries(2):  # the doctor's clinic, the day
        assert len(queue(auth_client(doctor.user)).json()["waiting"]) == count
    with django_assert_num_queries(3):  # the appointment, the day, the window
        position = auth_client(mine.patient).get(reverse("appointments:my-queue", args=[mine.id]))
    assert position.json()["ahead_of_you"] == count - 1


def test_the_patient_sees_their_place_and_the_estimate(auth_client, doctor, patient):
    ahead = checked_in_day(doctor, 3, arrived=3)
    mine = make_appointment(
        doctor=doctor,
        on=MONDAY,
        at=time(10),
        patient=patient,
        checked_in_at=datetime(2027, 1, 4, 2, 40, tzinfo=ZoneInfo("UTC")),
    )
    url = reverse("appointments:my-queue", args=[mine.id])
    assert auth_client(patient).get(url).json() == {
        "token_number": 4,
        "now_serving": None,
        "ahead_of_you": 3,
        "estimated_wait_minutes": 45,
    }
    call_next(auth_client(doctor.user))
    assert auth_client(patient).get(url).json() == {
        "token_number": 4,
        "now_serving": ahead[0].token_number,
        "ahead_of_you": 2,
        "estimated_wait_minutes": 30,
    }
    assert_refused(auth_client(make_user()).get(url), 404, NOT_FOUND)
    Appointment.objects.filter(pk=mine.pk).update(status=AppointmentStatus.CANCELLED)
    assert_refused(auth_client(patient).get(url), 409, {"message": "A cancelled appointment is not in a queue."})


# --- reschedule ---------------------------------------------------------------------------------------------------


def free_slots(client, doctor, on=MONDAY):
    return client.get(reverse("free-slots", args=[doctor.id]), {"date": on.isoformat()}).json()["available_slots"]


def test_the_patient_moves_an_appointment_and_the_old_time_is_free_at_once(auth_client, api_client, doctor, patient):
    booked = book(auth_client(patient), doctor, at="09:00").json()
    Appointment.objects.filter(pk=booked["id"]).update(status="confirmed")
    moved = reschedule(auth_client(patient), "my-reschedule", [booked["id"]], on=NEXT_MONDAY, at="11:00", reason="Exam")
    assert moved.status_code == 200
    body = moved.json()
    assert (body["id"], body["appointment_date"], body["appointment_time"]) == (booked["id"], "2027-01-11", "11:00:00")
    assert (body["status"], body["token_number"]) == ("pending", 1)  # back to pending; the new day's first token
    assert "09:00" in free_slots(api_client, doctor)
    assert "11:00" not in free_slots(api_client, doctor, NEXT_MONDAY)
    rows = history(auth_client(patient), "my-history", [booked["id"]])
    assert rows[-1] | {"at": None} == {
        "at": None,
        "event": "rescheduled",
        "by": {"id": str(patient.pk), "name": patient.name, "role": "patient"},
        "from_status": "confirmed",
        "to_status": "pending",
        "from_date": "2027-01-04",
        "from_time": "09:00:00",
        "to_date": "2027-01-11",
        "to_time": "11:00:00",
        "reason": "Exam",
    }


def test_the_doctor_and_the_desk_move_appointments_and_keep_their_status(auth_client, doctor, clinic, receptionist):
    appointment = make_appointment(doctor=doctor, on=MONDAY, at=time(9), status="confirmed")
    by_doctor = reschedule(auth_client(doctor.user), "doctor-reschedule", [appointment.id], at="09:45")
    assert (by_doctor.json()["status"], by_doctor.json()["token_number"]) == ("confirmed", 1)  # same day, same token
    by_desk = reschedule(auth_client(receptionist), "clinic-reschedule", [clinic.id, appointment.id], at="12:00")
    assert by_desk.json()["appointment_time"] == "12:00:00"
    roles = [
        row["by"]["role"] for row in history(auth_client(receptionist), "clinic-history", [clinic.id, appointment.id])
    ]
    assert roles == ["doctor", "receptionist"]  # the factory's booking wrote no row; both moves did


def test_a_taken_time_is_409_and_nothing_moves(auth_client, doctor, patient):
    mine = book(auth_client(patient), doctor, at="09:00").json()
    book(auth_client(make_user()), doctor, at="10:00")
    refused = reschedule(auth_client(patient), "my-reschedule", [mine["id"]], at="10:00")
    assert_refused(refused, 409, {"message": "This slot is no longer available."})
    kept = Appointment.objects.get(pk=mine["id"])
    assert (kept.appointment_time, kept.token_number, kept.status) == (time(9), 1, "pending")
    assert not AppointmentHistory.objects.filter(event="rescheduled").exists()


@pytest.mark.parametrize(
    ("on", "at", "message"),
    [
        (MONDAY - timedelta(days=7), "09:00", "That time has already passed. Please pick a future slot."),
        (MONDAY, "09:07", "The doctor does not see patients at that time. Pick one of the available slots."),
        (MONDAY, "14:00", "The doctor does not see patients at that time. Pick one of the available slots."),
        (MONDAY + timedelta(days=7 * 14), "09:00", "Appointments can be booked at most 90 days ahead."),
        (NEXT_MONDAY, "09:00", "The doctor is on leave that day."),
        (MONDAY, "09:00", "The appointment is already at that time."),
    ],
)
def test_a_move_follows_every_booking_rule(auth_client, doctor, patient, on, at, message):
    DoctorLeave.objects.create(doctor=doctor, start_date=NEXT_MONDAY, end_date=NEXT_MONDAY, reason="Conference")
    mine = book(auth_client(patient), doctor, at="09:00").json()
    assert_refused(
        reschedule(auth_client(patient), "my-reschedule", [mine["id"]], on=on, at=at), 400, {"message": message}
    )


@pytest.mark.parametrize("status", ["cancelled", "completed", "no_show"])
def test_only_open_appointments_move(auth_client, doctor, patient, status):
    appointment = make_appointment(doctor=doctor, on=MONDAY, patient=patient, status=status)
    refused = reschedule(auth_client(patient), "my-reschedule", [appointment.id])
    assert_refused(refused, 409, {"message": f"A {status} appointment cannot be moved."})


def test_a_past_appointment_does_not_move(auth_client, doctor, patient):
    appointment = make_appointment(doctor=doctor, on=MONDAY - timedelta(days=7), patient=patient)
    refused = reschedule(auth_client(patient), "my-reschedule", [appointment.id])
    assert_refused(refused, 409, {"message": "This appointment time has passed; it can no longer be moved."})


def test_a_move_leaves_the_queue(auth_client, doctor, patient):
    appointment = make_appointment(
        doctor=doctor, on=MONDAY, patient=patient, checked_in_at=datetime(2027, 1, 4, 2, 0, tzinfo=ZoneInfo("UTC"))
    )
    moved = reschedule(auth_client(patient), "my-reschedule", [appointment.id], at="12:00").json()
    assert (moved["checked_in_at"], moved["called_at"]) == (None, None)


def test_bad_reschedule_bodies(auth_client, doctor, patient):
    mine = book(auth_client(patient), doctor).json()
    url = reverse("appointments:my-reschedule", args=[mine["id"]])
    assert_refused(
        auth_client(patient).post(url, {}, format="json"),
        400,
        {"appointment_date": ["This field is required."], "appointment_time": ["This field is required."]},
    )
    assert_refused(auth_client(make_user()).post(url, {}, format="json"), 404, NOT_FOUND)


# --- history ------------------------------------------------------------------------------------------------------


def test_every_change_is_in_the_history_oldest_first(auth_client, doctor, clinic, patient, receptionist):
    booked = book(auth_client(patient), doctor).json()
    auth_client(doctor.user).patch(reverse("appointments:doctor-detail", args=[booked["id"]]), {"status": "confirmed"})
    auth_client(receptionist).post(reverse("appointments:clinic-check-in", args=[clinic.id, booked["id"]]))
    call_next(auth_client(doctor.user))
    auth_client(doctor.user).patch(
        reverse("appointments:doctor-detail", args=[booked["id"]]), {"status": "completed", "notes": "Rest"}
    )
    for url_name, args, client in [
        ("my-history", [booked["id"]], auth_client(patient)),
        ("doctor-history", [booked["id"]], auth_client(doctor.user)),
        ("clinic-history", [clinic.id, booked["id"]], auth_client(receptionist)),
    ]:
        rows = history(client, url_name, args)
        assert [(r["event"], r["from_status"], r["to_status"], r["by"]["role"]) for r in rows] == [
            ("booked", None, "pending", "patient"),
            ("status", "pending", "confirmed", "doctor"),
            ("checked_in", "confirmed", "confirmed", "receptionist"),
            ("called", "confirmed", "confirmed", "doctor"),
            ("status", "confirmed", "completed", "doctor"),
        ]
    assert_refused(
        auth_client(make_user()).get(reverse("appointments:my-history", args=[booked["id"]])), 404, NOT_FOUND
    )


def test_a_leave_that_cancels_appointments_writes_their_history(auth_client, doctor, patient):
    booked = book(auth_client(patient), doctor).json()
    body = {
        "start_date": MONDAY.isoformat(),
        "end_date": MONDAY.isoformat(),
        "reason": "Ill",
        "cancel_appointments": True,
    }
    assert auth_client(doctor.user).post(reverse("doctors:leave-list"), body, format="json").status_code == 201
    row = history(auth_client(patient), "my-history", [booked["id"]])[-1]
    assert (row["event"], row["to_status"], row["by"]["role"], row["reason"]) == (
        "status",
        "cancelled",
        "doctor",
        "The doctor is on leave.",
    )


@pytest.mark.parametrize("count", [1, 50])
def test_history_costs_the_same_for_one_and_fifty_rows(auth_client, doctor, patient, count, django_assert_num_queries):
    appointment = make_appointment(doctor=doctor, on=MONDAY, patient=patient)
    AppointmentHistory.objects.bulk_create(
        AppointmentHistory(
            appointment=appointment,
            event="status",
            by=patient,
            by_role="patient",
            to_status="pending",
            to_date=MONDAY,
            to_time=time(9),
        )
        for _ in range(count)
    )
    with django_assert_num_queries(2):  # the appointment, its rows with who made them
        assert len(history(auth_client(patient), "my-history", [appointment.id])) == count


# --- Idempotency-Key ----------------------------------------------------------------------------------------------


def test_a_replayed_booking_answers_the_first_answer(auth_client, doctor, patient):
    client = auth_client(patient)
    first = book(client, doctor, key="booking-1")
    again = book(client, doctor, key="booking-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Appointment.objects.count() == 1
    assert_refused(
        book(client, doctor, key="booking-1", at="09:15"),
        422,
        {"message": "This Idempotency-Key was already used for a different request."},
    )
    other = book(auth_client(make_user()), doctor, key="booking-1", at="09:15")  # keys are per user
    assert other.status_code == 201 and Appointment.objects.count() == 2


def test_a_refusal_is_kept_and_replayed_too(auth_client, doctor, patient):
    taken = book(auth_client(make_user()), doctor).json()
    client = auth_client(patient)
    assert book(client, doctor, key="k").status_code == 409
    Appointment.objects.filter(pk=taken["id"]).update(status="cancelled")  # the time is free now
    replay = book(client, doctor, key="k")
    assert_refused(replay, 409, {"message": "This slot is no longer available."})
    assert book(client, doctor, key="k2").status_code == 201  # a new key acts


def test_a_key_is_remembered_for_a_day(auth_client, doctor, patient):
    client = auth_client(patient)
    book(client, doctor, key="daily", at="09:00")
    with time_machine.travel(datetime(2027, 1, 5, 8, 1, tzinfo=ZoneInfo("Asia/Kolkata"))):
        later = book(client, doctor, on=NEXT_MONDAY, key="daily", at="09:00")
    assert later.status_code == 201 and "Idempotent-Replayed" not in later
    assert Appointment.objects.count() == 2 and IdempotencyKey.objects.count() == 1


def test_reschedule_and_desk_booking_honour_the_key(auth_client, doctor, clinic, patient, receptionist):
    mine = book(auth_client(patient), doctor).json()
    first = reschedule(auth_client(patient), "my-reschedule", [mine["id"]], at="10:00", key="move")
    again = reschedule(auth_client(patient), "my-reschedule", [mine["id"]], at="10:00", key="move")
    assert (first.status_code, again.status_code, again.json()) == (200, 200, first.json())
    assert AppointmentHistory.objects.filter(event="rescheduled").count() == 1
    url = reverse("appointments:clinic-list", args=[clinic.id])
    body = {
        "doctor": doctor.id,
        "appointment_date": MONDAY.isoformat(),
        "appointment_time": "11:00",
        "patient_id": str(make_user().pk),
    }
    desk = [auth_client(receptionist).post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="desk") for _ in range(2)]
    assert [r.status_code for r in desk] == [201, 201] and desk[0].json() == desk[1].json()
    assert Appointment.objects.filter(appointment_time=time(11)).count() == 1


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
def test_a_bad_key_is_400(auth_client, doctor, patient, key):
    assert_refused(
        book(auth_client(patient), doctor, key=key), 400, {"message": "Idempotency-Key must be 1 to 255 characters."}
    )
    assert not Appointment.objects.exists()


# --- who may call what --------------------------------------------------------------------------------------------


def test_roles_without_business_and_anonymous_callers(api_client, auth_client, doctor, clinic, patient):
    appointment = make_appointment(doctor=doctor, on=MONDAY, patient=patient)
    lab = make_member(clinic=clinic, member_role=MemberRole.LAB_MEMBER).user
    doctors_only = {"message": "Only doctors can do this."}
    own_records = {"message": "Only patients (and clinic staff, for their own records) can do this."}
    desk_only = {"message": "Only this clinic's owner and receptionists can see its appointments."}
    cases = [
        ("post", reverse("appointments:doctor-check-in", args=[appointment.id]), lab, 403, doctors_only),
        ("get", reverse("appointments:doctor-queue"), lab, 403, doctors_only),
        ("post", reverse("appointments:doctor-queue-next"), clinic.owner, 403, doctors_only),
        ("post", reverse("appointments:doctor-reschedule", args=[appointment.id]), patient, 403, doctors_only),
        ("get", reverse("appointments:doctor-history", args=[appointment.id]), patient, 403, doctors_only),
        ("get", reverse("appointments:my-queue", args=[appointment.id]), clinic.owner, 403, own_records),
        ("post", reverse("appointments:my-reschedule", args=[appointment.id]), clinic.owner, 403, own_records),
        ("get", reverse("appointments:my-history", args=[appointment.id]), clinic.owner, 403, own_records),
        ("get", reverse("appointments:my-history", args=[appointment.id]), doctor.user, 404, NOT_FOUND),
        ("post", reverse("appointments:clinic-check-in", args=[clinic.id, appointment.id]), lab, 403, desk_only),
        (
            "post",
            reverse("appointments:clinic-reschedule", args=[clinic.id, appointment.id]),
            doctor.user,
            403,
            desk_only,
        ),
        ("get", reverse("appointments:clinic-history", args=[clinic.id, appointment.id]), patient, 403, desk_only),
    ]
    for method, url, who, status, body in cases:
        assert_refused(getattr(auth_client(who), method)(url, {}, format="json"), status, body)
        refused = getattr(api_client, method)(url, {}, format="json")
        assert_refused(refused, 401, {"message": "Authentication credentials were not provided."})
    assert AppointmentHistory.objects.count() == 0
