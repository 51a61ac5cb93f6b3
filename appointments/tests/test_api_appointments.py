from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment
from appointments.tests.factories import make_appointment
from clinic.tests.factories import make_clinic, make_member
from doctors.models import DoctorLeave
from doctors.tests.factories import make_doctor, make_window, next_weekday
from tests.refusals import assert_refused
from users.models import RoleId
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor(clinic):
    doctor = make_doctor(clinic=clinic)
    make_window(doctor=doctor, day="monday", start=time(9), end=time(10), slot_duration_minutes=15, max_patients=3)
    return doctor


@pytest.fixture
def monday():
    return next_weekday(0)


def book(client, who, on, at="09:30", **extra):
    body = {
        "doctor": who.id,
        "appointment_date": on.isoformat(),
        "appointment_time": at,
        "appointment_type": "first_visit",
        "mode": "in_clinic",
        "notes": "Chest pain since 2 days",
        **extra,
    }
    return client.post(reverse("appointments:my-list"), body, format="json")


def slots(client, doctor, on, **params):
    return client.get(reverse("free-slots", args=[doctor.id]), {"date": on.isoformat(), **params})


# --- free slots endpoint -----------------------------------------------------------------------------------------


def test_free_slots_shape(api_client, doctor, monday):
    response = slots(api_client, doctor, monday)
    assert response.status_code == 200
    assert response.json() == {
        "doctor": doctor.id,
        "date": monday.isoformat(),
        "available_slots": ["09:00", "09:15", "09:30", "09:45"],
    }


def test_free_slots_without_booking_and_after(api_client, auth_client, patient, doctor, monday):
    book(auth_client(patient), doctor, monday, "09:15")
    assert slots(api_client, doctor, monday).json()["available_slots"] == ["09:00", "09:30", "09:45"]


@pytest.mark.parametrize("params", [{}, {"date": "2026-13-01"}, {"date": "tomorrow"}])
def test_free_slots_need_a_valid_date(api_client, doctor, params):
    response = api_client.get(reverse("free-slots", args=[doctor.id]), params)
    assert response.status_code == 400 and "date" in response.json()


def test_free_slots_bad_clinic_id_is_400(api_client, doctor, monday):
    assert_refused(slots(api_client, doctor, monday, clinic_id="x"), 400, {"clinic_id": ["Must be a valid UUID."]})


def test_free_slots_past_date_is_empty(api_client, doctor):
    past_monday = next_weekday(0) - timedelta(days=28)
    assert slots(api_client, doctor, past_monday).json()["available_slots"] == []


def test_free_slots_by_clinic(api_client, doctor, monday):
    second = make_clinic()
    make_member(clinic=second, user=doctor.user)
    make_window(doctor=doctor, clinic=second, day="monday", start=time(17), end=time(17, 30), slot_duration_minutes=30)
    assert slots(api_client, doctor, monday).json()["available_slots"] == ["09:00", "09:15", "09:30", "09:45", "17:00"]
    assert slots(api_client, doctor, monday, clinic_id=second.id).json()["available_slots"] == ["17:00"]


def test_free_slots_skip_leave(api_client, doctor, monday):
    DoctorLeave.objects.create(doctor=doctor, start_date=monday, end_date=monday)
    assert slots(api_client, doctor, monday).json()["available_slots"] == []


def test_free_slots_unknown_doctor_is_404(api_client, monday):
    assert_refused(
        api_client.get(reverse("free-slots", args=[424242]), {"date": monday.isoformat()}),
        404,
        {"message": "Doctor not found."},
    )


@pytest.mark.parametrize("bookings", [0, 50])
def test_free_slots_query_count_is_constant(api_client, django_assert_num_queries, clinic, monday, bookings):
    doctor = make_doctor(clinic=clinic)
    make_window(doctor=doctor, start=time(8), end=time(20), slot_duration_minutes=10, max_patients=100)
    start = datetime.combine(monday, time(8))
    for i in range(bookings):
        make_appointment(doctor=doctor, on=monday, at=(start + timedelta(minutes=10 * i)).time())
    with django_assert_num_queries(3):  # windows, leaves, booked times
        response = slots(api_client, doctor, monday)
    assert len(response.json()["available_slots"]) == 72 - bookings


# --- booking -----------------------------------------------------------------------------------------------------


def test_patient_books_an_appointment(auth_client, patient, doctor, clinic, monday):
    response = book(auth_client(patient), doctor, monday)
    assert response.status_code == 201
    appointment = Appointment.objects.get()
    body = response.json()
    assert {
        k: body[k] for k in ("id", "doctor", "appointment_date", "appointment_time", "status", "mode", "fee_charged")
    } == {
        "id": appointment.id,
        "doctor": {"id": doctor.id, "user": {"name": "Dr. Priya Sharma"}, "specialty": "cardiology"},
        "appointment_date": monday.isoformat(),
        "appointment_time": "09:30:00",
        "status": "pending",
        "mode": "in_clinic",
        "fee_charged": "500.00",
    }
    assert body["clinic"]["id"] == str(clinic.id)  # inferred from the doctor's window
    assert appointment.patient == patient and appointment.notes == "Chest pain since 2 days"


def test_fee_charged_follows_type_and_is_kept(auth_client, patient, doctor, monday):
    follow_up = book(auth_client(patient), doctor, monday, "09:00", appointment_type="follow_up")
    assert follow_up.json()["fee_charged"] == "300.00"
    doctor.first_visit_fee = 900
    doctor.save()
    first = book(auth_client(patient), doctor, monday, "09:15")
    assert first.json()["fee_charged"] == "900.00"
    assert Appointment.objects.get(pk=follow_up.json()["id"]).fee_charged == 300


def test_one_account_can_book_several_times_for_a_family(auth_client, patient, doctor, monday):
    client = auth_client(patient)
    assert book(client, doctor, monday, "09:00").status_code == 201
    assert book(client, doctor, monday, "09:15").status_code == 201


def test_taken_slot_is_409(auth_client, patient, other_patient, doctor, monday):
    book(auth_client(patient), doctor, monday)
    response = book(auth_client(other_patient), doctor, monday)
    assert response.status_code == 409
    assert response.json() == {"message": "This slot is no longer available."}


def test_full_window_is_409(auth_client, doctor, monday):
    for at in ("09:00", "09:15", "09:30"):
        assert book(auth_client(make_user()), doctor, monday, at).status_code == 201
    response = book(auth_client(make_user()), doctor, monday, "09:45")
    assert response.status_code == 409 and "booked" in response.json()["message"]


def test_cancelling_frees_the_slot(auth_client, patient, other_patient, doctor, monday):
    first = book(auth_client(patient), doctor, monday).json()
    auth_client(patient).patch(reverse("appointments:my-detail", args=[first["id"]]), {"status": "cancelled"})
    assert book(auth_client(other_patient), doctor, monday).status_code == 201


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("10:00", "The doctor does not see patients at that time."),  # the window ends at 10:00
        ("09:10", "The doctor does not see patients at that time."),  # off the 15-minute grid
        ("18:00", "The doctor does not see patients at that time."),
    ],
)
def test_times_outside_windows_are_refused(auth_client, patient, doctor, monday, at, message):
    response = book(auth_client(patient), doctor, monday, at)
    assert response.status_code == 400 and response.json()["message"].startswith(message)


def test_day_without_window_is_refused(auth_client, patient, doctor):
    response = book(auth_client(patient), doctor, next_weekday(1))
    assert_refused(
        response, 400, {"message": "The doctor does not see patients at that time. Pick one of the available slots."}
    )


def test_past_date_and_time_are_refused(auth_client, patient, doctor, monday):
    past = book(auth_client(patient), doctor, monday - timedelta(days=28))
    assert past.status_code == 400 and "passed" in past.json()["message"]
    tz = timezone.get_current_timezone()
    with time_machine.travel(datetime.combine(monday, time(9, 20), tzinfo=tz)):
        earlier_today = book(auth_client(patient), doctor, monday, "09:15")
        later_today = book(auth_client(patient), doctor, monday, "09:30")
    assert_refused(earlier_today, 400, {"message": "That time has already passed. Please pick a future slot."})
    assert later_today.status_code == 201


def test_leave_day_is_refused(auth_client, patient, doctor, monday):
    DoctorLeave.objects.create(doctor=doctor, start_date=monday - timedelta(days=1), end_date=monday)
    response = book(auth_client(patient), doctor, monday)
    assert response.status_code == 400 and response.json() == {"message": "The doctor is on leave that day."}


def test_video_only_when_offered(auth_client, patient, doctor, monday):
    response = book(auth_client(patient), doctor, monday, mode="video")
    assert response.status_code == 400 and "mode" in response.json()
    doctor.offers_video_consultation = True
    doctor.save()
    assert book(auth_client(patient), doctor, monday, mode="video").status_code == 201


def test_wrong_clinic_is_refused(auth_client, patient, doctor, monday):
    response = book(auth_client(patient), doctor, monday, clinic=str(make_clinic().id))
    assert_refused(
        response, 400, {"message": "The doctor does not see patients at that time. Pick one of the available slots."}
    )


def test_doctor_cannot_book_themself(auth_client, doctor, monday):
    doctor.user.roles_id = RoleId.PATIENT  # even if their account were a patient's
    doctor.user.save()
    response = book(auth_client(doctor.user), doctor, monday)
    assert response.status_code == 400
    assert response.json() == {"message": "You cannot book an appointment with yourself."}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("doctor", 999999),
        ("doctor", "x"),
        ("appointment_date", "2026-02-30"),
        ("appointment_time", "25:00"),
        ("appointment_type", "checkup"),
        ("mode", "phone"),
    ],
)
def test_booking_validation(auth_client, patient, doctor, monday, field, value):
    response = book(auth_client(patient), doctor, monday, **{field: value})
    assert response.status_code == 400 and field in response.json()
    assert not Appointment.objects.exists()


def test_removed_doctor_cannot_be_booked(auth_client, patient, doctor, monday):
    doctor.user.clinic_memberships.update(status="inactive")
    assert_refused(
        book(auth_client(patient), doctor, monday),
        400,
        {"message": "The doctor does not see patients at that time. Pick one of the available slots."},
    )


@pytest.mark.parametrize("role", [RoleId.CLINIC_OWNER, RoleId.ADMIN])
def test_organisation_accounts_neither_book_nor_list(auth_client, doctor, monday, role):
    client = auth_client(make_user(role=role))
    refused = book(client, doctor, monday)
    assert refused.status_code == 403
    assert refused.json() == {"message": "Only patients (and clinic staff, for their own records) can do this."}
    assert_refused(
        client.get(reverse("appointments:my-list")),
        403,
        {"message": "Only patients (and clinic staff, for their own records) can do this."},
    )


@pytest.mark.parametrize("role", [RoleId.DOCTOR, RoleId.RECEPTIONIST, RoleId.LAB_MEMBER])
def test_staff_keep_booking_and_listing_their_own_appointments(auth_client, doctor, monday, role):
    client = auth_client(make_user(role=role))
    assert book(client, doctor, monday).status_code == 201
    assert len(client.get(reverse("appointments:my-list")).json()) == 1


def test_booking_needs_a_token(api_client, doctor, monday):
    assert_refused(book(api_client, doctor, monday), 401, {"message": "Authentication credentials were not provided."})


# --- patient views -----------------------------------------------------------------------------------------------


def test_patient_list_and_filter(auth_client, patient, other_patient, doctor, monday):
    mine = make_appointment(doctor=doctor, on=monday, patient=patient)
    confirmed = make_appointment(doctor=doctor, on=monday, at=time(9, 15), patient=patient, status="confirmed")
    make_appointment(doctor=doctor, on=monday, at=time(9, 30), patient=other_patient)
    client = auth_client(patient)
    assert {a["id"] for a in client.get(reverse("appointments:my-list")).json()} == {mine.id, confirmed.id}
    assert [a["id"] for a in client.get(reverse("appointments:my-list"), {"status": "confirmed"}).json()] == [
        confirmed.id
    ]
    assert_refused(
        client.get(reverse("appointments:my-list"), {"status": "lost"}),
        400,
        {"status": ["Select a valid choice. lost is not one of the available choices."]},
    )


@pytest.mark.parametrize("count", [2, 20])
def test_patient_list_query_count(auth_client, patient, clinic, monday, django_assert_num_queries, count):
    for _ in range(count):
        doctor = make_doctor(clinic=clinic)
        make_appointment(doctor=doctor, on=monday, patient=patient)
    client = auth_client(patient)
    with django_assert_num_queries(1):
        assert len(client.get(reverse("appointments:my-list")).json()) == count


def test_patient_detail_and_someone_elses_is_404(auth_client, patient, other_patient, doctor, monday):
    appointment = make_appointment(doctor=doctor, on=monday, patient=patient)
    url = reverse("appointments:my-detail", args=[appointment.id])
    assert auth_client(patient).get(url).json()["id"] == appointment.id
    assert_refused(auth_client(other_patient).get(url), 404, {"message": "Not found."})
    assert_refused(auth_client(other_patient).patch(url, {"status": "cancelled"}), 404, {"message": "Not found."})
    appointment.refresh_from_db()
    assert appointment.status == "pending"


def test_patient_cancels(auth_client, patient, doctor, monday):
    appointment = make_appointment(doctor=doctor, on=monday, patient=patient, status="confirmed")
    response = auth_client(patient).patch(
        reverse("appointments:my-detail", args=[appointment.id]), {"status": "cancelled"}
    )
    assert response.status_code == 200 and response.json()["status"] == "cancelled"


@pytest.mark.parametrize("status", ["confirmed", "completed", "pending", "no_show", "nonsense"])
def test_patient_can_only_cancel(auth_client, patient, doctor, monday, status):
    appointment = make_appointment(doctor=doctor, on=monday, patient=patient)
    response = auth_client(patient).patch(reverse("appointments:my-detail", args=[appointment.id]), {"status": status})
    assert response.status_code == 400
    assert response.json() == {"status": ['Patients can only cancel: send {"status": "cancelled"}.']}


def test_patient_cannot_cancel_completed_appointment(auth_client, patient, doctor, monday):
    appointment = make_appointment(doctor=doctor, on=monday, patient=patient, status="completed")
    response = auth_client(patient).patch(
        reverse("appointments:my-detail", args=[appointment.id]), {"status": "cancelled"}
    )
    assert response.status_code == 409
    assert response.json() == {
        "message": "Cannot change a completed appointment to cancelled. A completed appointment is final for you."
    }


def test_patient_cannot_cancel_a_past_appointment(auth_client, patient, doctor):
    appointment = make_appointment(doctor=doctor, on=date.today() - timedelta(days=3), patient=patient)
    response = auth_client(patient).patch(
        reverse("appointments:my-detail", args=[appointment.id]), {"status": "cancelled"}
    )
    assert_refused(response, 409, {"message": "This appointment time has passed; it can no longer be cancelled."})


# --- doctor views ------------------------------------------------------------------------------------------------


def test_doctor_list_filters(auth_client, doctor, monday):
    a = make_appointment(doctor=doctor, on=monday)
    b = make_appointment(doctor=doctor, on=monday + timedelta(days=7), status="confirmed")
    make_appointment(doctor=make_doctor(), on=monday)
    client = auth_client(doctor.user)
    url = reverse("appointments:doctor-list")

    def ids(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return {row["id"] for row in response.json()}

    assert ids() == {a.id, b.id}
    assert ids(date=monday.isoformat()) == {a.id}
    assert ids(status="confirmed") == {b.id}
    assert ids(
        from_date=(monday + timedelta(days=1)).isoformat(), to_date=(monday + timedelta(days=8)).isoformat()
    ) == {b.id}
    assert_refused(client.get(url, {"date": "soon"}), 400, {"date": ["Enter a valid date."]})


def test_doctor_sees_the_patient(auth_client, patient, doctor, monday):
    make_appointment(doctor=doctor, on=monday, patient=patient)
    row = auth_client(doctor.user).get(reverse("appointments:doctor-list")).json()[0]
    assert row["patient"] == {"id": str(patient.id), "name": patient.name, "contact": int(patient.contact)}


@pytest.mark.parametrize("count", [2, 20])
def test_doctor_list_query_count(auth_client, doctor, monday, django_assert_num_queries, count):
    for i in range(count):
        make_appointment(doctor=doctor, on=monday + timedelta(days=7 * i))
    client = auth_client(doctor.user)
    with django_assert_num_queries(1):
        assert len(client.get(reverse("appointments:doctor-list")).json()) == count


def test_doctor_confirms_then_completes(auth_client, doctor):
    today = timezone.localdate()
    appointment = make_appointment(doctor=doctor, on=today, at=time(23, 59))
    client = auth_client(doctor.user)
    url = reverse("appointments:doctor-detail", args=[appointment.id])
    assert client.patch(url, {"status": "confirmed"}).json()["status"] == "confirmed"
    assert client.patch(url, {"status": "completed"}).json()["status"] == "completed"
    again = client.patch(url, {"status": "confirmed"})
    assert_refused(
        again,
        409,
        {"message": "Cannot change a completed appointment to confirmed. A completed appointment is final for you."},
    )


def test_doctor_cannot_complete_before_the_day(auth_client, doctor, monday):
    appointment = make_appointment(doctor=doctor, on=monday, status="confirmed")
    response = auth_client(doctor.user).patch(
        reverse("appointments:doctor-detail", args=[appointment.id]), {"status": "completed"}
    )
    assert response.status_code == 409 and "on or after its date" in response.json()["message"]


def test_doctor_unknown_status_is_400(auth_client, doctor, monday):
    appointment = make_appointment(doctor=doctor, on=monday)
    response = auth_client(doctor.user).patch(
        reverse("appointments:doctor-detail", args=[appointment.id]), {"status": "teleported"}
    )
    assert response.status_code == 400 and "status" in response.json()


def test_other_doctors_appointment_is_404(auth_client, doctor, clinic, monday):
    appointment = make_appointment(doctor=doctor, on=monday)
    colleague = auth_client(make_doctor(clinic=clinic).user)
    url = reverse("appointments:doctor-detail", args=[appointment.id])
    assert_refused(colleague.get(url), 404, {"message": "Not found."})
    assert_refused(colleague.patch(url, {"status": "confirmed"}), 404, {"message": "Not found."})


@pytest.mark.parametrize("role", [RoleId.PATIENT, RoleId.CLINIC_OWNER])
def test_doctor_endpoints_are_403_for_others(auth_client, role):
    assert_refused(
        auth_client(make_user(role=role)).get(reverse("appointments:doctor-list")),
        403,
        {"message": "Only doctors can do this."},
    )


def test_optional_booking_horizon(api_client, auth_client, patient, doctor, settings):
    far_monday = next_weekday(0, weeks_ahead=3)
    assert slots(api_client, doctor, far_monday).json()["available_slots"]  # no horizon by default
    settings.BOOKING_HORIZON_DAYS = 14
    assert slots(api_client, doctor, far_monday).json()["available_slots"] == []
    response = book(auth_client(patient), doctor, far_monday)
    assert response.status_code == 400
    assert response.json() == {"message": "Appointments can be booked at most 14 days ahead."}
    assert book(auth_client(patient), doctor, next_weekday(0)).status_code == 201


def test_every_answer_about_an_appointment_has_the_one_shape(auth_client, patient, doctor, monday):
    """One builder (appointment_rows_json) for lists, detail, booking and status changes, patient's and doctor's."""
    created = book(auth_client(patient), doctor, monday, at="09:15", appointment_type="follow_up").json()
    make_appointment(doctor=doctor, on=monday, patient=patient, notes="Fever", status="confirmed")
    mine = auth_client(patient).get(reverse("appointments:my-list")).json()
    theirs = auth_client(doctor.user).get(reverse("appointments:doctor-list")).json()
    detail = auth_client(patient).get(reverse("appointments:my-detail", args=[created["id"]])).json()
    their_detail = auth_client(doctor.user).get(reverse("appointments:doctor-detail", args=[created["id"]])).json()
    assert created in mine and detail == created
    assert their_detail in theirs and {k: v for k, v in their_detail.items() if k != "patient"} == created
    assert their_detail["patient"] == {"id": str(patient.id), "name": patient.name, "contact": int(patient.contact)}
    assert created["fee_charged"] == "300.00" and created["appointment_time"] == "09:15:00"
    page = auth_client(patient).get(reverse("appointments:my-list"), {"limit": 1}).json()
    assert page["count"] == 2 and page["results"] == mine[:1]
    moved = (
        auth_client(doctor.user)
        .patch(reverse("appointments:doctor-detail", args=[created["id"]]), {"status": "confirmed"})
        .json()
    )
    assert moved == {**their_detail, "status": "confirmed"}
