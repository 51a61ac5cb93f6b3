"""Regression tests for the hardening issue (#10): booking abuse limits (item 13) and ids too large (item 8)."""

from datetime import time, timedelta

import pytest
from django.urls import reverse

from appointments.models import Appointment
from doctors.tests.factories import make_doctor, make_window, next_weekday
from tests.refusals import assert_refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor(db):
    doctor = make_doctor()
    make_window(doctor=doctor, day="monday", start=time(9), end=time(13), max_patients=20)
    return doctor


def book(client, doctor, on, at):
    body = {"doctor": doctor.pk, "appointment_date": on.isoformat(), "appointment_time": at}
    return client.post(reverse("appointments:my-list"), body, format="json")


def test_item13_a_patient_holds_at_most_max_active_bookings(auth_client, patient, doctor, settings):
    settings.MAX_ACTIVE_BOOKINGS_PER_PATIENT = 3
    client, monday = auth_client(patient), next_weekday(0)
    for at in ("09:00", "09:15", "09:30"):
        assert book(client, doctor, monday, at).status_code == 201
    refused = book(client, doctor, monday, "09:45")
    assert refused.status_code == 409
    assert refused.json() == {"message": "You already have 3 upcoming appointments. Cancel one before booking another."}
    first = Appointment.objects.filter(patient=patient).first()
    client.patch(reverse("appointments:my-detail", args=[first.pk]), {"status": "cancelled"})
    assert book(client, doctor, monday, "09:45").status_code == 201  # a cancelled one frees a place


def test_item13_zero_means_no_booking_cap(auth_client, patient, doctor, settings):
    settings.MAX_ACTIVE_BOOKINGS_PER_PATIENT = 0
    client, monday = auth_client(patient), next_weekday(0)
    assert all(
        book(client, doctor, monday, f"{9 + i // 4:02d}:{15 * (i % 4):02d}").status_code == 201 for i in range(12)
    )


def test_item13_bookings_beyond_the_default_ninety_day_horizon_are_refused(auth_client, patient, doctor):
    far = next_weekday(0, 14)  # about 100 days ahead, a Monday
    assert (far - next_weekday(0, 0)).days > 90
    refused = book(auth_client(patient), doctor, far + timedelta(weeks=0), "09:00")
    assert refused.status_code == 400
    assert refused.json() == {"message": "Appointments can be booked at most 90 days ahead."}
    year_9999 = book(auth_client(patient), doctor, next_weekday(0).replace(year=9999), "09:00")
    assert_refused(year_9999, 400, {"message": "Appointments can be booked at most 90 days ahead."})


def test_item08_a_doctor_id_beyond_64_bits_is_404_not_500(api_client, auth_client, patient):
    huge = 2**63
    assert_refused(api_client.get(f"/api/doctors/{huge}/"), 404, {"message": "Not found."})
    slots = api_client.get(f"/api/doctors/{huge}/availability/slots/", {"date": "2030-01-07"})
    assert slots.status_code == 404 and slots.json() == {"message": "Not found."}
    assert_refused(api_client.get(f"/api/doctors/{huge * 10}/availability/"), 404, {"message": "Not found."})
    assert_refused(auth_client(patient).get(f"/api/appointments/my/{huge}/"), 404, {"message": "Not found."})
    booking = auth_client(patient).post(
        reverse("appointments:my-list"), {"doctor": huge, "appointment_date": "2030-01-07", "appointment_time": "09:00"}
    )
    assert booking.status_code == 400 and "doctor" in booking.json()
