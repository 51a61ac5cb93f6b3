"""Double booking must be impossible under real concurrency, on both databases we support."""

import threading
from datetime import time

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from appointments.models import Actor, Appointment, AppointmentHistory
from appointments.services import appointment_book, appointment_reschedule, queue_next
from appointments.tests.factories import make_appointment
from doctors.tests.factories import make_doctor, make_window, next_weekday
from QuickCare.exceptions import Conflict
from tests.live import DEV_SERVER, call, live_env, manage, seed, serving
from users.tests.factories import make_user

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks (SELECT ... FOR UPDATE) exist only on PostgreSQL; SQLite is covered by the live-server test",
)


def run_together(n, work):
    """Start n threads that call work(i) at the same moment; return each outcome ("ok", "conflict" or an error)."""
    barrier, outcomes = threading.Barrier(n), []

    def worker(i):
        try:
            barrier.wait()
            work(i)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        except Exception as exc:  # any other outcome is what this test must catch
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db
def test_database_refuses_a_second_active_booking_of_a_slot():
    doctor = make_doctor()
    monday = next_weekday(0)
    make_appointment(doctor=doctor, on=monday)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_appointment(doctor=doctor, on=monday)
    make_appointment(doctor=doctor, on=monday, status="cancelled")  # inactive rows do not hold the slot


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded roles
def test_twenty_threads_booking_one_slot_get_one_appointment():
    doctor = make_doctor()
    make_window(doctor=doctor)
    monday = next_weekday(0)
    patients = [make_user() for _ in range(20)]

    outcomes = run_together(20, lambda i: appointment_book(patient=patients[i], doctor=doctor, on=monday, at=time(9)))

    assert sorted(outcomes) == ["conflict"] * 19 + ["ok"]
    assert Appointment.objects.count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded roles
def test_max_patients_holds_under_concurrency():
    doctor = make_doctor()
    make_window(doctor=doctor, start=time(9), end=time(14), slot_duration_minutes=15, max_patients=5)
    monday = next_weekday(0)
    patients = [make_user() for _ in range(20)]
    times = [time(9 + i // 4, 15 * (i % 4)) for i in range(20)]  # 20 different slots of the one window

    outcomes = run_together(20, lambda i: appointment_book(patient=patients[i], doctor=doctor, on=monday, at=times[i]))

    assert sorted(outcomes) == ["conflict"] * 15 + ["ok"] * 5
    assert Appointment.objects.count() == 5


SEED = """
import json
from datetime import time
from doctors.tests.factories import make_doctor, make_window, next_weekday
from users.services import tokens_for
from users.tests.factories import make_user
doctor = make_doctor()
make_window(doctor=doctor, start=time(9), end=time(10))
print(json.dumps({"doctor": doctor.id, "date": next_weekday(0).isoformat(),
                  "tokens": [tokens_for(make_user(password=None))["access"] for _ in range(20)]}))
"""


@pytest.mark.skipif(connection.vendor != "sqlite", reason="covers the embedded SQLite default of `make run`")
def test_sqlite_dev_server_gives_one_201_to_twenty_concurrent_bookings(tmp_path):
    env = live_env(tmp_path)
    manage("migrate", "--noinput", env=env)
    data = seed(SEED, env)
    with serving(DEV_SERVER, env) as base:
        booking = {
            "doctor": data["doctor"],
            "appointment_date": data["date"],
            "appointment_time": "09:30",
            "appointment_type": "first_visit",
            "mode": "in_clinic",
        }
        barrier, statuses = threading.Barrier(20), []

        def post(token):
            barrier.wait()
            statuses.append(call(base, "POST", "/api/appointments/my/", booking, token=token)[0])

        threads = [threading.Thread(target=post, args=(token,)) for token in data["tokens"]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
    assert sorted(statuses) == [201] + [409] * 19


# --- The OPD day under concurrency (contract section 3) -------------------------------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_thirty_concurrent_bookings_of_one_day_get_tokens_one_to_thirty_once_each():
    doctor = make_doctor()
    make_window(doctor=doctor, start=time(9), end=time(17), slot_duration_minutes=15, max_patients=40)
    monday = next_weekday(0)
    patients = [make_user() for _ in range(30)]
    times = [time(9 + i // 4, 15 * (i % 4)) for i in range(30)]

    outcomes = run_together(30, lambda i: appointment_book(patient=patients[i], doctor=doctor, on=monday, at=times[i]))

    assert outcomes == ["ok"] * 30
    assert sorted(Appointment.objects.values_list("token_number", flat=True)) == list(range(1, 31))


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_devices_calling_next_at_once_get_two_different_patients():
    doctor = make_doctor()
    today = timezone.localdate()
    clinic = doctor.user.clinic_memberships.get().clinic
    for i in range(2):
        make_appointment(doctor=doctor, on=today, at=time(0, i), checked_in_at=timezone.now())
    called = []

    outcomes = run_together(2, lambda i: called.append(queue_next(doctor=doctor, clinic=clinic, by=doctor.user).pk))

    assert outcomes == ["ok", "ok"] and len(set(called)) == 2
    assert Appointment.objects.filter(called_at__isnull=False).count() == 2


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_reschedules_onto_one_free_time_move_exactly_one():
    doctor = make_doctor()
    make_window(doctor=doctor, start=time(9), end=time(17), slot_duration_minutes=15, max_patients=40)
    monday = next_weekday(0)
    booked = [make_appointment(doctor=doctor, on=monday, at=time(9 + i // 4, 15 * (i % 4))) for i in range(20)]
    before = {a.pk: (a.appointment_time, a.token_number) for a in booked}

    outcomes = run_together(
        20,
        lambda i: appointment_reschedule(
            appointment=booked[i], on=monday, at=time(16), actor=Actor.PATIENT, by=booked[i].patient
        ),
    )

    assert sorted(outcomes) == ["conflict"] * 19 + ["ok"]
    moved = Appointment.objects.get(appointment_time=time(16))
    for appointment in Appointment.objects.exclude(pk=moved.pk):
        assert (appointment.appointment_time, appointment.token_number) == before[appointment.pk]
    assert AppointmentHistory.objects.filter(event="rescheduled").count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_idempotency_key_sent_by_ten_threads_at_once_makes_one_appointment():
    doctor = make_doctor()
    make_window(doctor=doctor, start=time(9), end=time(12))
    patient = make_user()
    booking = {"doctor": doctor.id, "appointment_date": next_weekday(0).isoformat(), "appointment_time": "09:00"}
    answers = []

    def post(i):
        client = APIClient()
        client.force_authenticate(patient)
        response = client.post(reverse("appointments:my-list"), booking, format="json", HTTP_IDEMPOTENCY_KEY="tap")
        answers.append((response.status_code, response.content))

    outcomes = run_together(10, post)

    assert outcomes == ["ok"] * 10
    assert [status for status, _ in answers] == [201] * 10
    assert len({body for _, body in answers}) == 1  # every thread got the one answer
    assert Appointment.objects.count() == 1
