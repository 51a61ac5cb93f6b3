"""Regression tests for the hardening issue (#10): what every request shares — parsing (item 8), body size (9),
list limits (12), the directory cache key (14), log lines (15) and faults of the database and Redis (20)."""

import io
import json
import logging
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import OperationalError
from django.urls import reverse

from doctors.tests.factories import make_doctor
from documents.tests.factories import make_document
from QuickCare.cache import FailoverRedisCache
from QuickCare.gunicorn_logging import SafeAccessLogger
from QuickCare.logsafe import EscapeControlCharacters
from QuickCare.wsgi import application, refuse_non_text_charsets
from tests.refusals import assert_refused

pytestmark = pytest.mark.django_db


# --- 8. inputs that used to be 500s ------------------------------------------------------------------------------


def test_item08_deeply_nested_json_is_400(api_client):
    body = "[" * 100_000 + "]" * 100_000
    response = api_client.post(reverse("users:login"), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"message": "JSON parse error - the body is nested too deeply."}


def call_wsgi(app, environ_extra):
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/api/users/check/",
        "QUERY_STRING": "contact=9876543210",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        **environ_extra,
    }
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], body


def test_item08_a_non_text_charset_on_a_url_with_a_query_string_is_400():
    status, body = call_wsgi(application, {"CONTENT_TYPE": "text/plain; charset=rot13"})
    assert status == "400 Bad Request"
    assert json.loads(body) == {"message": "Unsupported charset 'rot13'; send UTF-8."}


@pytest.mark.parametrize("content_type", ["text/plain; charset=utf-8", "application/json", "text/plain; charset=nope"])
def test_item08_text_and_unknown_charsets_pass_through_to_django(content_type):
    def django(environ, start_response):
        start_response("200 OK", [])
        return [b"ok"]

    assert call_wsgi(refuse_non_text_charsets(django), {"CONTENT_TYPE": content_type}) == ("200 OK", b"ok")


def test_item08_an_expiry_in_year_one_is_400(auth_client, patient):
    doctor = make_doctor()
    document = make_document(owner=patient)
    body = {"document": str(document.id), "purpose": "Review", "expires_at": "0001-01-01"}
    response = auth_client(doctor.user).post(reverse("documents:consent-request"), body, format="json")
    assert response.status_code == 400
    assert response.json() == {"expires_at": ["Enter a date and time between the years 1900 and 9999."]}


# --- 9. a body larger than the limit is refused before it is read -------------------------------------------------


def test_item09_content_length_over_the_upload_limit_is_413_before_parsing(auth_client, patient, settings):
    declared = settings.DOCUMENT_MAX_UPLOAD_BYTES + 1024 * 1024
    response = auth_client(patient).generic(
        "POST",
        reverse("documents:list"),
        b"",  # nothing follows: the answer must come from the header alone
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(declared),
    )
    assert response.status_code == 413
    assert response.json() == {"message": "The request is larger than the 10 MB limit."}


def test_item09_a_json_body_over_the_memory_limit_is_413(api_client, settings):
    response = api_client.generic(
        "POST",
        reverse("users:login"),
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
    )
    assert_refused(response, 413, {"message": "The request is larger than the 10 MB limit."})


# --- 12. list limits ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=-5", "limit"), ("limit=x", "limit"), ("limit=5&offset=-1", "offset")],
)
def test_item12_zero_negative_or_malformed_pagination_is_400(api_client, query, field):
    response = api_client.get(reverse("doctors:list") + "?" + query)
    assert response.status_code == 400 and list(response.json()) == [field]


@pytest.mark.parametrize("query", ["offset=23799381232839842867260459451399798784", "limit=5&offset=2147483648"])
def test_an_offset_past_the_databases_range_is_400_not_500(api_client, query):
    response = api_client.get(reverse("clinic:public-list") + "?" + query)
    assert response.status_code == 400 and response.json() == {"offset": ["offset must be at most 2147483647."]}


def test_item12_an_unpaged_list_is_capped_at_max_list_items(api_client, settings):
    settings.MAX_LIST_ITEMS = 3
    for _ in range(4):
        make_doctor()
    response = api_client.get(reverse("doctors:list"))
    assert len(response.json()) == 3 and response["X-List-Truncated"] == "true"
    paged = api_client.get(reverse("doctors:list"), {"limit": 10}).json()
    assert paged["count"] == 4 and len(paged["results"]) == 4
    settings.MAX_LIST_ITEMS = 10
    assert "X-List-Truncated" not in api_client.get(reverse("doctors:list"))


# --- 14. the directory cache keys on what the view reads, and holds JSON only --------------------------------------


def test_item14_unknown_query_parameters_do_not_make_new_cache_entries(api_client, settings):
    settings.PUBLIC_CACHE_SECONDS = 30
    make_doctor()
    cache = caches["default"]
    api_client.get(reverse("doctors:list"))
    before = set(_cache_keys(cache))
    for n in range(5):
        assert api_client.get(reverse("doctors:list"), {"bust": n}).status_code == 200
    assert set(_cache_keys(cache)) == before
    api_client.get(reverse("doctors:list"), {"specialty": "cardiology"})
    assert len(set(_cache_keys(cache)) - before) == 1  # a recognised filter is its own entry


def _cache_keys(cache):
    if hasattr(cache, "_cache") and hasattr(cache._cache, "get_client"):  # Redis
        return [k for k in cache._cache.get_client().keys("*") if b"public:v3" in k and b"rebuild" not in k]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM quickcare_cache WHERE cache_key LIKE '%public:v3%'")
        return [row[0] for row in cursor.fetchall() if "rebuild" not in row[0]]


def test_item14_an_html_render_is_never_cached_and_replayed(api_client, settings, monkeypatch):
    """In debug the browsable API renders HTML for a browser; that page must not be stored as the JSON answer."""
    from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer

    from doctors.views import DoctorListView

    settings.PUBLIC_CACHE_SECONDS = 30
    monkeypatch.setattr(DoctorListView, "renderer_classes", [JSONRenderer, BrowsableAPIRenderer])
    make_doctor()
    html = api_client.get(reverse("doctors:list"), HTTP_ACCEPT="text/html")
    assert html["Content-Type"].startswith("text/html")
    after = api_client.get(reverse("doctors:list"), HTTP_ACCEPT="application/json")
    assert after["Content-Type"] == "application/json"
    assert isinstance(json.loads(after.content), list)


# --- 15. a newline in a path cannot forge a log line -------------------------------------------------------------


def test_item15_log_lines_escape_control_characters(api_client):
    """Every handler carries the one-line filter: the request log and Django's own "Not Found: <path>"."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(EscapeControlCharacters())
    for name in ("quickcare.request", "django.request"):
        logging.getLogger(name).addHandler(handler)
    try:
        api_client.get("/api/nothing%0AINFO quickcare.request GET /api/admin 200 forged/")
    finally:
        for name in ("quickcare.request", "django.request"):
            logging.getLogger(name).removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and all("forged" in line for line in lines)  # two requests' worth, none forged
    from django.conf import settings

    assert settings.LOGGING["handlers"]["console"]["filters"] == ["one_line"]


def test_item15_gunicorn_access_log_escapes_control_characters():
    class Config:
        access_log_format = '"%(m)s %(U)s" %(s)s "%(a)s"'
        errorlog, loglevel, capture_output, syslog, logconfig = "-", "info", False, False, None
        logconfig_dict, logconfig_json, accesslog, disable_redirect_access_to_syslog = {}, None, None, False
        user, group = 0, 0

    logger = SafeAccessLogger.__new__(SafeAccessLogger)
    logger.cfg = Config()

    class Response:
        status, sent, headers = "404 Not Found", 10, []

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/x\n127.0.0.1 forged",
        "RAW_URI": "/x%0A",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_USER_AGENT": "evil\r\nagent",
    }
    atoms = logger.atoms(Response(), [], environ, timedelta(milliseconds=3))
    assert atoms["U"] == "/x\\x0a127.0.0.1 forged" and atoms["a"] == "evil\\x0d\\x0aagent"


# --- 20. faults: no database is a 503 with a message; no Redis degrades --------------------------------------------


def test_item20_an_unreachable_database_is_503_with_a_message(api_client, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("users.views.User.objects.filter", down)
    response = api_client.get(reverse("users:check"), {"contact": "9876543210"})
    assert response.status_code == 503
    assert response.json() == {"message": "The database is unavailable right now; please try again shortly."}


def test_item20_without_redis_the_cache_falls_back_to_the_database_table():
    down = FailoverRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    down.set("k", "v", 30)
    assert down.get("k") == "v"  # kept in the quickcare_cache table
    assert down.add("lock", 1, 30) and not down.add("lock", 1, 30)
    assert down.redis_available() is False


def test_item20_without_redis_login_check_and_directories_keep_working(api_client, patient, settings):
    from users.tests.factories import PASSWORD

    settings.CACHES = {
        "default": {
            "BACKEND": "QuickCare.cache.FailoverRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    settings.PUBLIC_CACHE_SECONDS = 30
    make_doctor()
    login = api_client.post(reverse("users:login"), {"contact": patient.contact, "password": PASSWORD})
    assert login.status_code == 200
    assert api_client.get(reverse("users:check"), {"contact": patient.contact}).json() == {"exists": True}
    assert api_client.get(reverse("doctors:list")).status_code == 200
    assert api_client.get(reverse("clinic:public-list")).status_code == 200
    health = api_client.get(reverse("health"))
    assert health.status_code == 200
    assert health.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "error",
        "notifications": "ok",
        "queue": {"oldest_queued_seconds": 0, "failed": 0},
    }


# --- the schema's media types and the catch-all ---------------------------------------------------------------


def test_a_form_body_on_a_json_endpoint_is_415_naming_the_type(auth_client, patient):
    response = auth_client(patient).patch(reverse("users:me"), {"name": "Asha"}, format="multipart")
    assert response.status_code == 415
    assert response.json()["message"].startswith('Unsupported media type "multipart/form-data')
    patient.refresh_from_db()
    assert patient.name != "Asha"


def test_a_write_to_an_unknown_path_is_the_json_404_not_a_csrf_page(api_client):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    for method in ("delete", "post", "put", "patch"):
        response = getattr(client, method)("/api/doctors/0/availability/x/")
        assert response.status_code == 404 and response.json() == {"message": "Not found."}
