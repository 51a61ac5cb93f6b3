"""Regression tests for the hardening issue (#10): deactivated doctors (item 17), leave over bookings (item 18)."""

import threading
from datetime import time

import pytest
from django.db import connection
from django.urls import reverse

from appointments.models import Appointment
from appointments.tests.factories import make_appointment
from doctors.models import DoctorLeave
from doctors.tests.factories import make_doctor, make_window, next_weekday
from tests.refusals import assert_refused
from users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctor(db):
    doctor = make_doctor()
    make_window(doctor=doctor, day="monday", start=time(9), end=time(10))
    return doctor


def test_item17_a_deactivated_doctor_is_not_listed_shown_or_bookable(api_client, auth_client, doctor, patient):
    User.objects.filter(pk=doctor.user_id).update(is_active=False)
    monday = next_weekday(0)
    assert api_client.get(reverse("doctors:list")).json() == []
    assert_refused(api_client.get(reverse("doctors:detail", args=[doctor.pk])), 404, {"message": "Not found."})
    assert api_client.get(reverse("free-slots", args=[doctor.pk]), {"date": monday}).json()["available_slots"] == []
    assert api_client.get(reverse("doctors:availability-list", args=[doctor.pk])).json() == []
    booking = {"doctor": doctor.pk, "appointment_date": monday.isoformat(), "appointment_time": "09:00"}
    refused = auth_client(patient).post(reverse("appointments:my-list"), booking)
    assert refused.status_code == 400
    assert refused.json() == {
        "message": "The doctor does not see patients at that time. Pick one of the available slots."
    }


def test_a_doctor_who_clears_their_specialty_leaves_the_directory_until_they_name_one(api_client, auth_client, doctor):
    client = auth_client(doctor.user)
    assert client.patch(reverse("doctors:me"), {"specialty": ""}).status_code == 200
    assert api_client.get(reverse("doctors:list")).json() == []  # the card would show no specialty
    assert_refused(api_client.get(reverse("doctors:detail", args=[doctor.pk])), 404, {"message": "Not found."})
    assert client.patch(reverse("doctors:me"), {"specialty": "neurology"}).status_code == 200
    assert [card["specialty"] for card in api_client.get(reverse("doctors:list")).json()] == ["neurology"]


def leave(client, on, **extra):
    body = {"start_date": on.isoformat(), "end_date": on.isoformat(), "reason": "Conference", **extra}
    return client.post(reverse("doctors:leave-list"), body, format="json")


def test_item18_a_leave_over_booked_appointments_is_409_listing_them(auth_client, doctor):
    monday = next_weekday(0)
    booked = make_appointment(doctor=doctor, on=monday, at=time(9))
    refused = leave(auth_client(doctor.user), monday)
    assert refused.status_code == 409
    assert refused.json()["appointments"] == [
        {"id": booked.id, "appointment_date": monday.isoformat(), "appointment_time": "09:00:00"}
    ]
    assert "cancel_appointments" in refused.json()["message"]
    assert not DoctorLeave.objects.exists()


def test_item18_a_leave_with_cancel_appointments_cancels_them(auth_client, doctor):
    monday = next_weekday(0)
    booked = make_appointment(doctor=doctor, on=monday, at=time(9))
    later = make_appointment(doctor=doctor, on=next_weekday(0, 2), at=time(9))  # outside the leave
    assert leave(auth_client(doctor.user), monday, cancel_appointments=True).status_code == 201
    booked.refresh_from_db()
    later.refresh_from_db()
    assert (booked.status, booked.cancellation_reason) == ("cancelled", "The doctor is on leave.")
    assert later.status == "pending"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded roles
def test_item18_a_booking_and_a_leave_for_the_same_day_never_both_succeed():
    from rest_framework.test import APIClient

    from users.tests.factories import make_user

    for _ in range(5):
        doctor = make_doctor()
        make_window(doctor=doctor, day="monday", start=time(9), end=time(10))
        patient, monday = make_user(), next_weekday(0)
        barrier, results = threading.Barrier(2), {}

        def as_user(user, key, method, url, body, barrier=barrier, results=results):
            client = APIClient()
            client.force_authenticate(user)
            barrier.wait()
            results[key] = getattr(client, method)(url, body, format="json").status_code
            connection.close()

        booking = {"doctor": doctor.pk, "appointment_date": monday.isoformat(), "appointment_time": "09:15"}
        day = {"start_date": monday.isoformat(), "end_date": monday.isoformat()}
        threads = [
            threading.Thread(target=as_user, args=(patient, "book", "post", reverse("appointments:my-list"), booking)),
            threading.Thread(target=as_user, args=(doctor.user, "leave", "post", reverse("doctors:leave-list"), day)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        booked = Appointment.objects.filter(doctor=doctor, status="pending").exists()
        on_leave = DoctorLeave.objects.filter(doctor=doctor).exists()
        assert not (booked and on_leave), results
        assert booked or on_leave
