"""Serving concerns that every endpoint shares: health, request ids, logging, 500s, deployment checks."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import path, reverse
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from QuickCare.urls import urlpatterns as project_urls
from users.tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[1]


class Boom(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("boom")


urlpatterns = [path("boom/", Boom.as_view()), *project_urls]
handler500 = "QuickCare.exceptions.server_error"


@pytest.mark.django_db
def test_health_ok(api_client):
    response = api_client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "notifications": "ok",
        "queue": {"oldest_queued_seconds": 0, "failed": 0},
    }


@pytest.mark.django_db
def test_health_names_the_failing_part(api_client, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "set", broken)
    monkeypatch.setattr(cache, "redis_available", lambda: False, raising=False)
    response = api_client.get(reverse("health"))
    assert response.status_code == 200  # the service keeps working on the database cache
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "error",
        "notifications": "ok",
        "queue": {"oldest_queued_seconds": 0, "failed": 0},
    }


@pytest.mark.django_db
def test_every_response_has_a_request_id_and_one_log_line(api_client, patient, caplog):
    caplog.set_level(logging.INFO, logger="quickcare.request")
    response = api_client.post(
        reverse("users:login"),
        {"contact": patient.contact, "password": PASSWORD},
        format="json",
        HTTP_X_REQUEST_ID="client-chosen-id-123",
    )
    assert response["X-Request-ID"] == "client-chosen-id-123"
    lines = [r.getMessage() for r in caplog.records if r.name == "quickcare.request"]
    assert len(lines) == 1
    assert lines[0].startswith("POST /api/users/login/ 200 ") and "request_id=client-chosen-id-123" in lines[0]
    assert PASSWORD not in caplog.text and patient.contact not in caplog.text
    assert response.json()["access"] not in caplog.text


@pytest.mark.django_db
def test_bad_incoming_request_id_is_replaced(api_client):
    response = api_client.get(reverse("health"), HTTP_X_REQUEST_ID="<script>")
    assert response["X-Request-ID"] != "<script>" and len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_unhandled_error_is_json_with_request_id(client, caplog):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.json()
    assert body == {"message": "Internal server error.", "request_id": response["X-Request-ID"]}
    assert f"Unhandled error request_id={body['request_id']}" in caplog.text


PRODUCTION = {
    "SECRET_KEY": "k" * 20 + "Zq8#x!vT3pL0w9Rr2mN5bC7dF1gH4jK6sU8yE0aQ",
    "DEBUG": "False",
    "ALLOWED_HOSTS": "api.quickcare.in",
    "SECURE_PROXY_SSL_HEADER": "True",
    "SECURE_SSL_REDIRECT": "True",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
    "SECURE_HSTS_PRELOAD": "True",
    "SECURE_COOKIES": "True",
}


def test_check_deploy_is_clean_with_the_production_settings():
    env = {**os.environ, **PRODUCTION}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_env_example_documents_every_production_key():
    text = (ROOT / ".env.example").read_text()
    for key in PRODUCTION:
        assert f"# {key}=" in text or f"\n{key}=" in text


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_unknown_api_paths_answer_json_in_debug_mode_too(client):
    """Codebase issue #11 / contract row 1.15: every answer under /api/ is JSON."""
    response = client.get("/api/no-such-thing/")
    assert response.status_code == 404 and response.json() == {"message": "Not found."}
    assert client.get("/api/users/login").status_code == 301  # APPEND_SLASH still redirects a known path


def test_the_dev_server_keeps_no_persistent_database_connections():
    """Codebase issue #11: runserver opens a thread per request; persistent connections are for gunicorn only."""
    probe = (
        "import sys; sys.argv = ['manage.py', {!r}]; import os; os.environ['DJANGO_SETTINGS_MODULE'] = "
        "'QuickCare.settings'; from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])"
    )
    env = {**os.environ, "DATABASE_URL": "postgres://u@127.0.0.1:5432/x", "CONN_MAX_AGE": "60"}
    ages = [
        subprocess.run(
            [sys.executable, "-c", probe.format(cmd)], cwd=ROOT, env=env, capture_output=True, text=True
        ).stdout.strip()
        for cmd in ("runserver", "migrate")
    ]
    assert ages == ["0", "60"]
