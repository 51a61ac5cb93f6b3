import pytest
from django.core.management import call_command

from users.models import RoleId
from users.sms import HttpSMSBackend, SMSError
from users.tests.factories import make_user
from users.validators import normalize_contact


def test_openapi_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/users/login/" in out.read_text()


@pytest.mark.django_db
def test_schema_and_docs_are_public_when_api_docs_public(api_client, settings):
    settings.API_DOCS_PUBLIC = True
    assert api_client.get("/api/schema/").status_code == 200
    assert api_client.get("/api/docs/").status_code == 200


@pytest.mark.django_db
def test_api_docs_public_off_keeps_schema_and_docs_for_signed_in_staff(api_client, settings):
    """Hardening item 22: production does not publish the API's map; staff of the admin still read it."""
    settings.API_DOCS_PUBLIC = False
    # The schema answers in its own media type (YAML), Swagger UI as a page: neither is a JSON API answer.
    schema = api_client.get("/api/schema/")
    assert schema.status_code == 403 and schema.content == b"message: Authentication credentials were not provided.\n"
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 403 and b"403 Forbidden" in docs.content
    api_client.force_login(make_user(role=RoleId.PATIENT))
    refused = api_client.get("/api/schema/", {"format": "json"})
    assert refused.status_code == 403
    assert refused.json() == {"message": "The API documentation is for staff signed in to the admin."}
    api_client.force_login(make_user(role=RoleId.ADMIN, is_staff=True))
    assert api_client.get("/api/schema/").status_code == 200
    assert api_client.get("/api/docs/").status_code == 200


@pytest.mark.django_db
def test_swagger_ui_loads_its_assets_from_this_server_not_a_cdn(api_client, settings):
    """Hardening item 22: no third-party script runs on the admin's origin."""
    settings.API_DOCS_PUBLIC = True
    html = api_client.get("/api/docs/").content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert "/static/drf_spectacular_sidecar/" in html


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (9876543210, "9876543210"),
        ("+919876543210", "9876543210"),
        ("919876543210", "9876543210"),
        ("09876543210", "9876543210"),
        ("98765 43210", "9876543210"),
    ],
)
def test_normalize_contact(raw, expected):
    assert normalize_contact(raw) == expected


def test_http_sms_backend_posts_to_provider(settings):
    settings.SMS_HTTP_URL, settings.SMS_HTTP_AUTH_KEY = "https://sms.example/send", "k3y"
    calls = []

    def transport(url, body, headers, timeout):
        calls.append((url, body, headers, timeout))
        return 200

    HttpSMSBackend(transport=transport).send(contact="9876543210", message="123456 is your code")
    url, body, headers, timeout = calls[0]
    assert url == "https://sms.example/send" and headers["authkey"] == "k3y" and timeout == 5
    assert b'"mobiles": "919876543210"' in body and b"123456 is your code" in body


@pytest.mark.parametrize("outcome", [500, OSError("connection refused")])
def test_http_sms_backend_failures_raise_sms_error(settings, outcome):
    settings.SMS_HTTP_URL = "https://sms.example/send"

    def transport(*args):
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    with pytest.raises(SMSError):
        HttpSMSBackend(transport=transport).send(contact="9876543210", message="x")


def test_console_backend_refuses_without_debug(settings):
    from users.sms import ConsoleSMSBackend

    settings.DEBUG = False
    with pytest.raises(SMSError):
        ConsoleSMSBackend().send(contact="9876543210", message="x")
