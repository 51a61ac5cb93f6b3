"""Double booking must be impossible under real concurrency, on both databases we support."""

import threading
from datetime import time

import pytest
from django.db import IntegrityError, connection, transaction

from appointments.models import Appointment
from appointments.services import appointment_book
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
