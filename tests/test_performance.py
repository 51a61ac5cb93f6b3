"""The performance issue (#17): what makes the floor cheaper keeps its guarantees.

- A view's throttle is one atomic round trip to Redis (QuickCare.cache.FailoverRedisCache.sliding_window), and
  falls back to DRF's counting while Redis is down.
- One Redis client per connection pool, not one per command.
- A reused PostgreSQL connection is checked without a `SELECT 1`, and a connection PostgreSQL ended is still
  caught before a request uses it (QuickCare/postgresql/base.py).
- The free-slot inputs run as prepared statements on PostgreSQL, planned once per connection.
"""

import threading
import uuid

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.db.backends.postgresql import base as django_postgresql
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from QuickCare.postgresql.base import numbered

pytestmark = pytest.mark.django_db

needs_redis = pytest.mark.skipif(
    not settings.REDIS_URL, reason="Redis's sliding window needs Redis (the PostgreSQL leg of .ci/run sets REDIS_URL)"
)
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the PostgreSQL health check needs PostgreSQL (.ci/run's second leg)"
)


def two_checks_an_hour(settings) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "check_ip": "2/hour"},
    }


def a_key() -> str:
    return f"test-window-{uuid.uuid4().hex}"


@needs_redis
def test_the_sliding_window_counts_to_its_limit_then_names_the_wait():
    key = a_key()
    assert [cache.sliding_window(key, 3, 60, 1000.0 + i) for i in range(3)] == [0.0, 0.0, 0.0]
    assert cache.sliding_window(key, 3, 60, 1010.0) == 50.0  # the first use, at 1000, leaves the window at 1060
    assert cache.sliding_window(key, 3, 60, 1060.5) == 0.0  # it has left: one use is free again
    assert cache.sliding_window(key, 3, 60, 1060.75) == 0.25  # full again; the use at 1001 leaves at 1061
    assert cache.sliding_window(key, 3, 60, 1061.5) == 0.0  # the refused use at 1060.75 was not counted
    assert cache.sliding_window(key, 3, 60, 1061.5) == 0.5  # 1002, 1060.5, 1061.5: full until 1062


@needs_redis
def test_concurrent_uses_cannot_slip_under_the_limit():
    """DRF's list of timestamps is read and written back in two round trips: requests arriving together all read
    the same count. The window is one Lua script, so exactly `limit` of 20 concurrent uses are counted."""
    key, start, results = a_key(), threading.Barrier(20), []

    def use():
        start.wait()
        results.append(cache.sliding_window(key, 5, 60, 1000.0))

    threads = [threading.Thread(target=use) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results)[:6] == [0.0] * 5 + [60.0]


@needs_redis
def test_a_throttled_view_costs_one_redis_command(api_client, monkeypatch):
    api_client.get(reverse("users:check"), {"contact": "9876543210"})  # the script is loaded into Redis once
    sent = []
    execute = redis.Redis.execute_command
    monkeypatch.setattr(
        redis.Redis, "execute_command", lambda self, *args, **kw: sent.append(args[0]) or execute(self, *args, **kw)
    )
    response = api_client.get(reverse("users:check"), {"contact": "9876543210"})
    assert response.status_code == 200
    assert sent == ["EVALSHA"]


@needs_redis
def test_one_redis_client_serves_every_command():
    client = cache._cache.get_client()
    assert cache._cache.get_client(write=True) is client


@needs_redis
def test_the_view_throttle_refuses_past_its_rate_with_the_wait(api_client, settings):
    two_checks_an_hour(settings)
    for _ in range(2):
        assert api_client.get(reverse("users:check"), {"contact": "9876543210"}).status_code == 200
    refused = api_client.get(reverse("users:check"), {"contact": "9876543210"})
    assert refused.status_code == 429
    assert 3590 <= int(refused["Retry-After"]) <= 3600


def test_while_redis_is_down_the_view_throttle_counts_in_the_fallback(api_client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "QuickCare.cache.FailoverRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    two_checks_an_hour(settings)
    for _ in range(2):
        assert api_client.get(reverse("users:check"), {"contact": "9876543210"}).status_code == 200
    assert api_client.get(reverse("users:check"), {"contact": "9876543210"}).status_code == 429


@pytest.fixture
def second_connection():
    """A connection of its own, outside the test's transaction, as a server thread would hold one."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


@needs_postgresql
def test_a_healthy_reused_connection_is_checked_without_a_statement(second_connection, monkeypatch):
    asked = []
    monkeypatch.setattr(django_postgresql.DatabaseWrapper, "is_usable", lambda self: asked.append(self) or True)
    assert second_connection.is_usable() is True
    assert asked == []  # no `SELECT 1`


@needs_postgresql
def test_a_connection_postgresql_ended_is_caught_before_it_is_used(second_connection):
    with second_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])  # waits until the backend has exited
    assert second_connection.is_usable() is False
    second_connection.health_check_done = False  # as at the start of a request
    with second_connection.cursor() as cursor:  # Django closes it and connects again
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_placeholders_are_numbered_for_prepare():
    sql = "SELECT a FROM t WHERE b = %s AND c LIKE 'x%%' AND d IN (%s, %s)"
    assert numbered(sql) == "SELECT a FROM t WHERE b = $1 AND c LIKE 'x%' AND d IN ($2, $3)"


@needs_postgresql
def test_a_hot_query_is_prepared_once_per_connection(second_connection):
    def run(a, b):
        with CaptureQueriesContext(second_connection) as sent, second_connection.cursor() as cursor:
            second_connection.execute_prepared(cursor, "qc_test_sum", "SELECT %s::int + %s::int", [a, b])
            return cursor.fetchone()[0], [q["sql"] for q in sent.captured_queries]

    assert run(1, 2) == (3, ["PREPARE qc_test_sum AS SELECT $1::int + $2::int", "EXECUTE qc_test_sum(1, 2)"])
    assert run(3, 4) == (7, ["EXECUTE qc_test_sum(3, 4)"])
    second_connection.close()  # a new connection has none
    assert run(5, 6)[1][0].startswith("PREPARE")


@needs_postgresql
def test_a_statement_prepared_in_a_rolled_back_transaction_stays_prepared(second_connection):
    """PREPARE is not transactional: the set of prepared names stays true after a rollback."""
    with pytest.raises(ZeroDivisionError), transaction.atomic(using=second_connection.alias):
        with second_connection.cursor() as cursor:
            second_connection.execute_prepared(cursor, "qc_test_one", "SELECT %s::int", [1])
        raise ZeroDivisionError
    with second_connection.cursor() as cursor:
        second_connection.execute_prepared(cursor, "qc_test_one", "SELECT %s::int", [2])
        assert cursor.fetchone() == (2,)


@needs_postgresql
def test_prepared_statements_can_be_turned_off(second_connection, settings):
    settings.DB_PREPARED_STATEMENTS = False
    with CaptureQueriesContext(second_connection) as sent, second_connection.cursor() as cursor:
        second_connection.execute_prepared(cursor, "qc_test_off", "SELECT %s::int", [1])
        assert cursor.fetchone() == (1,)
    assert [q["sql"] for q in sent.captured_queries] == ["SELECT 1::int"]


@needs_postgresql
def test_free_slots_run_their_three_queries_prepared(api_client):
    from doctors.tests.factories import make_doctor, make_window

    doctor = make_doctor()
    make_window(doctor=doctor, day="monday")
    url = reverse("free-slots", args=[doctor.id])
    api_client.get(url, {"date": "2027-01-04"})
    with CaptureQueriesContext(connection) as sent:
        assert api_client.get(url, {"date": "2027-01-04"}).status_code == 200
    assert [q["sql"].split("(")[0] for q in sent.captured_queries] == [
        "EXECUTE qc_windows",
        "EXECUTE qc_leaves",
        "EXECUTE qc_day",
    ]


def my_list(client, **query):
    return client.get(reverse("appointments:my-list"), query)


def test_the_compiled_patient_list_answers_what_the_general_path_answers(auth_client):
    from datetime import date, time

    from appointments.tests.factories import make_appointment
    from doctors.tests.factories import make_doctor
    from users.tests.factories import make_user

    doctor, patient, other = make_doctor(), make_user(), make_user()
    for hour in (9, 10, 11):
        make_appointment(doctor=doctor, on=date(2027, 1, 4), at=time(hour), patient=patient, notes=f"visit {hour}")
    make_appointment(doctor=doctor, on=date(2027, 1, 5), patient=other)
    client = auth_client(patient)
    with CaptureQueriesContext(connection) as sent:
        compiled = my_list(client)
    statements = len(sent.captured_queries)  # read before the next request clears the log
    general = my_list(client, offset=0)  # any query takes the general path: the same list, unpaged
    assert compiled.status_code == 200 and len(compiled.json()) == 3
    assert compiled.json() == general.json()
    assert statements == 1  # the list (the test client's caller is not read from the database)
    assert [a["notes"] for a in my_list(auth_client(other)).json()] == [""]  # each caller gets their own


def test_the_compiled_patient_list_keeps_the_list_cap(auth_client, settings):
    from datetime import date, time

    from appointments.tests.factories import make_appointment
    from doctors.tests.factories import make_doctor
    from QuickCare.pagination import TRUNCATED_HEADER
    from users.tests.factories import make_user

    settings.MAX_LIST_ITEMS = 2
    doctor, patient = make_doctor(), make_user()
    for hour in (9, 10, 11):
        make_appointment(doctor=doctor, on=date(2027, 1, 4), at=time(hour), patient=patient)
    response = my_list(auth_client(patient))
    assert [a["appointment_time"] for a in response.json()] == ["11:00:00", "10:00:00"]
    assert response[TRUNCATED_HEADER] == "true"


def test_a_list_asked_without_filters_builds_no_filterset(api_client, monkeypatch):
    from django_filters.rest_framework import DjangoFilterBackend

    built = []
    build = DjangoFilterBackend.get_filterset
    monkeypatch.setattr(DjangoFilterBackend, "get_filterset", lambda *a: built.append(a) or build(*a))
    url = reverse("clinic:public-list")
    assert api_client.get(url, {"limit": 5}).status_code == 200  # paging is not a filter
    assert built == []
    assert api_client.get(url, {"city": "Jaipur"}).status_code == 200
    assert len(built) == 1
    refused = api_client.get(url, {"type": "spa"})  # a bad filter value is still refused
    assert refused.status_code == 400 and "type" in refused.json()
