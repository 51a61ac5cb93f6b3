"""The background worker as real processes (contract section 4): `make run`'s pair delivers a booking confirmation
within seconds, and a worker killed in the middle of a batch loses and repeats nothing once it is started again."""

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest
from django.db import connection

from notifications.models import Notification
from tests.live import DEV_SERVER, ROOT, call, live_env, manage, seed, serving
from users.tests.factories import make_user

SEED = """
import json
from datetime import time
from doctors.tests.factories import make_doctor, make_window, next_weekday
from users.services import tokens_for
from users.tests.factories import make_user
doctor = make_doctor()
make_window(doctor=doctor, start=time(9), end=time(10))
print(json.dumps({"doctor": doctor.id, "date": next_weekday(0).isoformat(),
                  "token": tokens_for(make_user(password=None))["access"]}))
"""


@contextmanager
def worker(env):
    """`manage.py run_worker` in its own process group (it starts the backend's worker as a child)."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "run_worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def sent_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def wait_for(predicate, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(connection.vendor != "sqlite", reason="covers the embedded SQLite default of `make run`")
def test_the_dev_server_and_its_worker_deliver_a_booking_confirmation_within_seconds(tmp_path):
    env = live_env(tmp_path, TASKS_BACKEND="database", NOTIFY_SWEEP_SECONDS="1")
    manage("migrate", "--noinput", env=env)
    data = seed(SEED, env)
    outbox = tmp_path / "sms.jsonl"
    with worker(env), serving(DEV_SERVER, env) as base:
        booking = {"doctor": data["doctor"], "appointment_date": data["date"], "appointment_time": "09:30"}
        status, _ = call(base, "POST", "/api/appointments/my/", booking, token=data["token"])
        assert status == 201
        started = time.monotonic()
        assert wait_for(lambda: any("09:30" in line["message"] for line in sent_lines(outbox)), seconds=15)
    assert time.monotonic() - started < 15
    [confirmation] = [line for line in sent_lines(outbox) if "09:30" in line["message"]]
    assert confirmation["message"].startswith("Your appointment with Dr. Priya Sharma")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the worker processes share the test database only on PostgreSQL"
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_batch_sends_every_notification_exactly_once_after_restart(tmp_path):
    patients = [make_user() for _ in range(20)]
    rows = Notification.objects.bulk_create(
        Notification(
            recipient=patients[i % 20],
            kind="slot_freed",
            channel="sms",
            language="en",
            title="A time is free",
            body=f"Message {i}",
        )
        for i in range(300)
    )
    database = connection.settings_dict
    env = live_env(
        tmp_path,
        DATABASE_URL=f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        TASKS_BACKEND="database",
        NOTIFY_SWEEP_SECONDS="1",
        NOTIFY_LEASE_SECONDS="3",
    )
    outbox = tmp_path / "sms.jsonl"
    with worker(env) as first:
        assert wait_for(lambda: len(sent_lines(outbox)) >= 30)
        os.killpg(first.pid, signal.SIGKILL)  # the sweep and the db_worker, in the middle of the batch
        first.wait(timeout=30)
    halfway = len(sent_lines(outbox))
    assert halfway < len(rows), "the batch finished before the kill; the test proves nothing"
    with worker(env):
        assert wait_for(lambda: not Notification.objects.exclude(status="sent").exists(), seconds=90)
    bodies = [line["message"] for line in sent_lines(outbox)]
    assert sorted(bodies) == sorted(f"Message {i}" for i in range(300))  # each exactly once
