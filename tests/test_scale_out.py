"""Two stateless gunicorn instances on one PostgreSQL and one Redis behave as one service.

Runs in the PostgreSQL leg of .ci/run (DATABASE_URL=postgres://..., REDIS_URL set); skipped elsewhere.
"""

import json
import os
import re
import threading
from urllib.parse import urlsplit

import psycopg2
import pytest
import redis
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from documents.tests.factories import PDF_BYTES
from tests.live import GUNICORN, call, live_env, manage, seed, serving

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql" or not settings.REDIS_URL,
    reason="the scale-out proof needs PostgreSQL and Redis (the PostgreSQL leg of .ci/run)",
)

SEED = """
import json
from datetime import time
from doctors.tests.factories import make_doctor, make_window, next_weekday
from users.services import tokens_for
from users.tests.factories import PASSWORD, make_user
doctor = make_doctor()
make_window(doctor=doctor, start=time(9), end=time(10))
login_user = make_user()
print(json.dumps({"doctor": doctor.id, "date": next_weekday(0).isoformat(), "login_contact": login_user.contact,
                  "password": PASSWORD, "tokens": [tokens_for(make_user(password=None))["access"] for _ in range(40)]}))
"""


@pytest.fixture(scope="module")
def scale_out_db():
    """A fresh database for the two servers (the test database is private to this process)."""
    params = settings.DATABASES["default"]
    name = f"quickcare_scaleout_{os.getpid()}"
    admin = psycopg2.connect(
        dbname="postgres",
        user=params["USER"],
        password=params["PASSWORD"],
        host=params["HOST"],
        port=params["PORT"] or 5432,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = urlsplit(os.environ["DATABASE_URL"])
    yield url._replace(path=f"/{name}").geturl()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def two_servers(scale_out_db, tmp_path_factory):
    """Two gunicorns on one PostgreSQL and one Redis, started once for the four scenarios below."""
    tmp_path = tmp_path_factory.mktemp("scale-out")
    redis_url = re.sub(r"/\d+$", "", settings.REDIS_URL) + "/14"
    env = live_env(
        tmp_path,
        DATABASE_URL=scale_out_db,
        REDIS_URL=redis_url,
        THROTTLE_LOGIN_PER_IP="6/hour",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="4",
    )
    manage("migrate", "--noinput", env=env)
    redis.Redis.from_url(redis_url).flushdb()
    data = seed(SEED, env)
    with serving(GUNICORN, env) as a, serving(GUNICORN, env) as b:
        yield (a, b), data, tmp_path / "sms.jsonl"


def test_registration_started_on_one_instance_finishes_on_the_other(two_servers):
    (a, b), _, sms_file = two_servers
    step1 = call(
        a,
        "POST",
        "/api/users/onboarding/patient/step1/",
        {"contact": 9876543210, "name": "Rahul Sharma", "password": "Correct-Horse-42"},
    )
    assert step1[0] == 200, step1
    code = re.search(r"\b(\d{6})\b", json.loads(sms_file.read_text().splitlines()[-1])["message"])[1]
    step2 = call(b, "POST", "/api/users/onboarding/patient/step2/", {"contact": 9876543210, "otp": code})
    assert step2[0] == 201, step2


def test_the_per_ip_login_limit_counts_both_instances_together(two_servers):
    (a, b), data, _ = two_servers
    login = {"contact": data["login_contact"], "password": data["password"]}
    statuses = [call((a, b)[i % 2], "POST", "/api/users/login/", login)[0] for i in range(7)]
    assert statuses == [200] * 6 + [429]  # THROTTLE_LOGIN_PER_IP is 6/hour here


def test_forty_patients_racing_for_one_slot_through_both_get_one_booking(two_servers):
    (a, b), data, _ = two_servers
    booking = {"doctor": data["doctor"], "appointment_date": data["date"], "appointment_time": "09:30"}
    barrier, outcomes = threading.Barrier(40), []

    def book(i):
        barrier.wait()
        outcomes.append(call((a, b)[i % 2], "POST", "/api/appointments/my/", booking, token=data["tokens"][i])[0])

    threads = [threading.Thread(target=book, args=(i,)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == [201] + [409] * 39


def test_a_document_uploaded_through_one_instance_downloads_through_the_other(two_servers):
    (a, b), data, _ = two_servers
    token = data["tokens"][0]
    body = encode_multipart(
        BOUNDARY,
        {
            "file": SimpleUploadedFile("cbc.pdf", PDF_BYTES, "application/pdf"),
            "title": "CBC",
            "document_type": "lab_report",
        },
    )
    uploaded = call(a, "POST", "/api/documents/", body, token=token, content_type=MULTIPART_CONTENT)
    assert uploaded[0] == 201, uploaded
    document_id = json.loads(uploaded[1])["id"]
    downloaded = call(b, "GET", f"/api/documents/{document_id}/download/", token=token)
    assert downloaded == (200, PDF_BYTES)
