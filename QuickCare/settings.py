"""QuickCare settings: environment variables first, then `.env` (python-decouple). Every key is in `.env.example`."""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from decouple import Csv, config

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = config("SECRET_KEY")
DEBUG = config("DEBUG", default=False, cast=bool)
ALLOWED_HOSTS = config("ALLOWED_HOSTS", default="127.0.0.1,localhost", cast=Csv())

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served from here, never from a public CDN
    "users",
    "doctors",
    "clinic",
    "appointments",
    "documents",
    "notifications",  # every message the clinic sends a person, through Django's tasks framework
    "demo",  # seed_demo: demo data across every domain app
    "django_tasks_db",  # the embedded task queue (TASKS_BACKEND=database)
    "django_rq",  # the scaled-out one (TASKS_BACKEND=rq)
]

MIDDLEWARE = [
    "QuickCare.middleware.RequestLogMiddleware",
    "QuickCare.uploads.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # the admin's static files, without a separate web server
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "QuickCare.urls"
WSGI_APPLICATION = "QuickCare.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------------------------
# DATABASE_URL selects the database (sqlite:///path or postgres://...). The spec's USE_SQLITE=True still forces the
# local SQLite file; with neither set, SQLite in the project folder is used.
_database_url = config("DATABASE_URL", default="")
if config("USE_SQLITE", default=False, cast=bool) or not _database_url:
    _database_url = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        _database_url,
        conn_max_age=config("CONN_MAX_AGE", default=60, cast=int),
        conn_health_checks=True,
    )
}
# Persistent connections pay off under gunicorn's fixed workers; the dev server opens a thread per request, and each
# thread would keep its own connection open (PostgreSQL's "too many clients" under a few dozen clients).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A health check without a round trip, and prepared statements for the hottest raw queries (its docstring).
    DATABASES["default"]["ENGINE"] = "QuickCare.postgresql"
# Off behind a pooler in transaction mode (PgBouncer's), which cannot keep a session's prepared statements.
DB_PREPARED_STATEMENTS = config("DB_PREPARED_STATEMENTS", default=True, cast=bool)
if "runserver" in sys.argv:
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue (up to `timeout` seconds)
    # instead of failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (throttles and OTP cooldowns must be shared by every server process) -------------------------------------
REDIS_URL = config("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis, degrading to the database cache table while Redis is down (QuickCare/cache.py).
            "BACKEND": "QuickCare.cache.FailoverRedisCache",
            "LOCATION": REDIS_URL,
            # Fail fast: an unreachable Redis must not hold a request for long before the fallback answers.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "quickcare_cache"}}

AUTH_USER_MODEL = "users.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = config("TIME_ZONE", default="Asia/Kolkata")  # clinic-local time: slots, "today", leave days
USE_I18N = True
USE_TZ = True

# Medical documents go through the "documents" storage: the local filesystem under MEDIA_ROOT by default (never
# served by any URL route), or a private S3-compatible bucket (DOCUMENTS_STORAGE_BACKEND=storages.backends.s3.S3Storage
# with django-storages and its AWS_* settings) when several servers share the files.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    "documents": {
        "BACKEND": config("DOCUMENTS_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage")
    },
}
if STORAGES["documents"]["BACKEND"] == "storages.backends.s3.S3Storage":
    # A private bucket: no public ACL, no public URLs (downloads stream through the API, which logs them).
    STORAGES["documents"]["OPTIONS"] = {
        "bucket_name": config("DOCUMENTS_S3_BUCKET"),
        "endpoint_url": config("DOCUMENTS_S3_ENDPOINT_URL", default="") or None,  # MinIO, R2, Spaces, ...
        "region_name": config("DOCUMENTS_S3_REGION", default="") or None,
        "access_key": config("DOCUMENTS_S3_ACCESS_KEY", default="") or None,
        "secret_key": config("DOCUMENTS_S3_SECRET_KEY", default="") or None,
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 60,
        "file_overwrite": False,
    }
DOCUMENT_MAX_UPLOAD_BYTES = config("DOCUMENT_MAX_UPLOAD_MB", default=10, cast=int) * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "QuickCare.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Behind nginx (deploy/nginx.conf) with the filesystem storage: downloads answer with X-Accel-Redirect to this
# internal nginx location, and nginx sends the file (empty = the API streams the file itself).
DOCUMENTS_ACCEL_REDIRECT_PREFIX = config("DOCUMENTS_ACCEL_REDIRECT_PREFIX", default="")
DOCUMENT_CONSENT_DEFAULT_DAYS = config("DOCUMENT_CONSENT_DEFAULT_DAYS", default=30, cast=int)
DOCUMENT_CONSENT_MAX_DAYS = config("DOCUMENT_CONSENT_MAX_DAYS", default=0, cast=int)  # 0 = no maximum
# How long a signed download link (`file` in document answers, contract row 1.3) opens its document.
DOCUMENT_LINK_SECONDS = config("DOCUMENT_LINK_SECONDS", default=300, cast=int)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded medical files: never under STATIC_ROOT and never routed by urls.py; served only by the download API.
MEDIA_ROOT = Path(config("MEDIA_ROOT", default="") or BASE_DIR / "media")
MEDIA_URL = None

# --- CORS (the web frontend) ----------------------------------------------------------------------------------------
CORS_ALLOWED_ORIGINS = config("CORS_ALLOWED_ORIGINS", default="", cast=Csv())
CORS_EXPOSE_HEADERS = ["Retry-After", "Content-Disposition", "X-Request-ID", "X-List-Truncated"]

# --- Production hardening (all off by default for `make run`; the .env.example "production" block turns them on) ---
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto: trust it to say the request was HTTPS.
if config("SECURE_PROXY_SSL_HEADER", default=False, cast=bool):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = config("SECURE_SSL_REDIRECT", default=False, cast=bool)
SECURE_REDIRECT_EXEMPT = [r"^api/health/$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = config("SECURE_HSTS_SECONDS", default=0, cast=int)
SECURE_HSTS_INCLUDE_SUBDOMAINS = config("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False, cast=bool)
SECURE_HSTS_PRELOAD = config("SECURE_HSTS_PRELOAD", default=False, cast=bool)
SESSION_COOKIE_SECURE = config("SECURE_COOKIES", default=False, cast=bool)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_TRUSTED_ORIGINS = config("CSRF_TRUSTED_ORIGINS", default="", cast=Csv())

# --- API ------------------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["users.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON everywhere, as the spec writes every body; only the document upload takes multipart (documents/views.py).
    # A form body elsewhere is a 415 naming the type, not a second, looser encoding of the same fields.
    "DEFAULT_PARSER_CLASSES": ["QuickCare.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "QuickCare.openapi.QuickCareAutoSchema",
    "EXCEPTION_HANDLER": "QuickCare.exceptions.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "QuickCare.pagination.OptionalLimitOffsetPagination",
    "DEFAULT_THROTTLE_RATES": {
        # Per IP: generous, many patients share a mobile carrier's NAT address.
        "otp_send_ip": config("THROTTLE_OTP_SEND_PER_IP", default="100/hour"),
        "login_ip": config("THROTTLE_LOGIN_PER_IP", default="300/hour"),
        "otp_verify_ip": config("THROTTLE_OTP_VERIFY_PER_IP", default="300/hour"),
        # Per contact number: strict, this is where one account is attacked.
        "otp_send_contact": config("THROTTLE_OTP_SEND_PER_CONTACT", default="5/hour"),
        "otp_verify_contact": config("THROTTLE_OTP_VERIFY_PER_CONTACT", default="20/hour"),
        "login_failed_contact": config("THROTTLE_LOGIN_FAILED_PER_CONTACT", default="10/15min"),
        "check_ip": config("THROTTLE_CHECK_PER_IP", default="300/hour"),
        # Document uploads per user.
        "upload_user": config("THROTTLE_UPLOAD_PER_USER", default="30/hour"),
        "patient_lookup_user": config("THROTTLE_PATIENT_LOOKUP", default="60/hour"),
        # New temporary passwords per member per day (contract 2.1).
        "invite_resend_member": "3/day",
        # People an owner may add to their clinics per day (contract 2.0), across all their clinics.
        "member_add_owner": f"{config('MEMBER_ADDS_PER_DAY', default=50, cast=int)}/day",
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Client IP for throttles and access logs: the socket address unless proxies we trust add X-Forwarded-For.
    "NUM_PROXIES": config("TRUSTED_PROXY_COUNT", default=0, cast=int),
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=config("JWT_ACCESS_MINUTES", default=30, cast=int)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=config("JWT_REFRESH_DAYS", default=7, cast=int)),
    # Off by default (contract row 1.1): the frontends keep the refresh token of their login. On, each refresh answers
    # a new one, and presenting a rotated one again ends the whole login (users.serializers.TokenRefreshSerializer).
    "ROTATE_REFRESH_TOKENS": config("JWT_ROTATE_REFRESH_TOKENS", default=False, cast=bool),
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    # Tokens carry a digest of the user's password hash; a password change (by the user or an operator) makes every
    # token issued before it fail at once, access tokens included.
    "CHECK_REVOKE_TOKEN": True,
}

# /api/schema/ and /api/docs/ for anyone (default in debug), or only for staff signed in to the admin (default with
# DEBUG off: the API's map is not published on a production host).
_docs_public = config("API_DOCS_PUBLIC", default="")
API_DOCS_PUBLIC = DEBUG if _docs_public == "" else config("API_DOCS_PUBLIC", cast=bool)

SPECTACULAR_SETTINGS = {
    "TITLE": "QuickCare API",
    "DESCRIPTION": "Clinic registration, appointment booking and consent-based medical document sharing.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "QuickCare.openapi.refine_schema",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "users.models.Channel",
        "LanguageEnum": "users.models.Language",
        "GenderEnum": "users.models.Gender",
        "BloodGroupEnum": "users.models.BloodGroup",
        "AddressTypeEnum": "users.models.AddressType",
        "AppointmentStatusEnum": "appointments.models.AppointmentStatus",
        "MemberStatusEnum": "clinic.models.MemberStatus",
        "ConsentStatusEnum": "documents.models.ConsentStatus",
        "SpecialtyEnum": "doctors.models.Specialty",
        "DocumentTypeEnum": "documents.models.DocumentType",
    },
}

# --- OTP and SMS ----------------------------------------------------------------------------------------------------
OTP_TTL_SECONDS = config("OTP_TTL_SECONDS", default=600, cast=int)
OTP_MAX_ATTEMPTS = config("OTP_MAX_ATTEMPTS", default=5, cast=int)
OTP_RESEND_COOLDOWN_SECONDS = config("OTP_RESEND_COOLDOWN_SECONDS", default=30, cast=int)
MASTER_OTP = config("MASTER_OTP", default="")  # dev bypass; honoured only when DEBUG is true
# Password change without the current password only this soon after a login (contract row 1.17).
PASSWORD_CHANGE_FRESH_MINUTES = config("PASSWORD_CHANGE_FRESH_MINUTES", default=15, cast=int)
SMS_BACKEND = config("SMS_BACKEND", default="users.sms.ConsoleSMSBackend")
SMS_HTTP_URL = config("SMS_HTTP_URL", default="")
SMS_HTTP_AUTH_KEY = config("SMS_HTTP_AUTH_KEY", default="")
SMS_HTTP_SENDER = config("SMS_HTTP_SENDER", default="QCKCRE")
SMS_HTTP_TIMEOUT_SECONDS = config("SMS_HTTP_TIMEOUT_SECONDS", default=5, cast=int)
SMS_FILE_PATH = config("SMS_FILE_PATH", default="")
# The DLT template the OTP text is registered under (the other messages' ids: notifications.templates).
SMS_DLT_TEMPLATE_OTP = config("SMS_DLT_TEMPLATE_OTP", default="")  # users.sms.FileSMSBackend (staging/tests only)

# Seconds the public doctor and clinic directories are served from the shared cache (0 = off). An edit to a doctor
# or clinic may take this long to show there; free slots and bookings are never cached.
PUBLIC_CACHE_SECONDS = config("PUBLIC_CACHE_SECONDS", default=30, cast=int)

# Most items an unpaged list answers (0 = no cap); more are reached with ?limit=&offset=.
MAX_LIST_ITEMS = config("MAX_LIST_ITEMS", default=1000, cast=int)

# Abuse limits (each 0 = no limit): how far ahead patients may book, in days; a patient's upcoming appointments;
# days before a doctor may ask again for a document the patient refused; each patient's stored documents, in MB.
BOOKING_HORIZON_DAYS = config("BOOKING_HORIZON_DAYS", default=90, cast=int)
MAX_ACTIVE_BOOKINGS_PER_PATIENT = config("MAX_ACTIVE_BOOKINGS_PER_PATIENT", default=10, cast=int)
CONSENT_REREQUEST_DAYS = config("CONSENT_REREQUEST_DAYS", default=7, cast=int)
DOCUMENT_QUOTA_BYTES = config("DOCUMENT_QUOTA_MB", default=500, cast=int) * 1024 * 1024
# A patient and a clinic's staff have a care relationship while the patient has an upcoming appointment there, or had
# one in the last this many days (contract section 2; appointments.selectors.care_appointments).
CARE_RELATIONSHIP_DAYS = config("CARE_RELATIONSHIP_DAYS", default=180, cast=int)
# How long the temporary password of staff added without an account works (contract 2.1).
STAFF_TEMP_PASSWORD_HOURS = config("STAFF_TEMP_PASSWORD_HOURS", default=72, cast=int)

# --- Background work and notifications (contract section 4) ----------------------------------------------------------
# Django's tasks framework. "database": the embedded queue (django-tasks-db; `make run` starts its worker beside the
# server); "rq": Redis (django-tasks-rq), workers as separate processes (`make worker`); "immediate": run at once, in
# the request (the test suite's default, set when pytest runs).
UNDER_PYTEST = "PYTEST_VERSION" in os.environ
# Under pytest only the environment chooses another backend (CI's TASKS_BACKEND=rq run), never a developer's .env.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "immediate") if UNDER_PYTEST else config("TASKS_BACKEND", "database")
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "rq": "django_tasks_rq.RQBackend",
            "immediate": "django.tasks.backends.immediate.ImmediateBackend",
        }[TASKS_BACKEND],
        "QUEUES": ["default"],
    }
}
# The rq backend's Redis (its own database number beside the cache's). Under pytest its jobs run at once.
RQ_QUEUES = {
    "default": {
        "URL": config("TASKS_REDIS_URL", default=REDIS_URL or "redis://127.0.0.1:6379/0"),
        "ASYNC": not UNDER_PYTEST,
    }
}
NOTIFY_MAX_ATTEMPTS = config("NOTIFY_MAX_ATTEMPTS", default=5, cast=int)
NOTIFY_BACKOFF_SECONDS = config("NOTIFY_BACKOFF_SECONDS", default=30, cast=int)  # doubled after each failure
NOTIFY_LEASE_SECONDS = config("NOTIFY_LEASE_SECONDS", default=120, cast=int)  # a claimed send's time to finish
NOTIFY_SWEEP_SECONDS = config("NOTIFY_SWEEP_SECONDS", default=15, cast=int)
NOTIFY_STALE_SECONDS = config("NOTIFY_STALE_SECONDS", default=600, cast=int)  # /api/health/ is 503 beyond it
REMINDER_HOURS_BEFORE = config("REMINDER_HOURS_BEFORE", default="24,2", cast=Csv(int))
WHATSAPP_BACKEND = config("WHATSAPP_BACKEND", default="notifications.channels.HttpWhatsAppBackend")
WHATSAPP_HTTP_URL = config("WHATSAPP_HTTP_URL", default="")
WHATSAPP_HTTP_TOKEN = config("WHATSAPP_HTTP_TOKEN", default="")
WHATSAPP_HTTP_TIMEOUT_SECONDS = config("WHATSAPP_HTTP_TIMEOUT_SECONDS", default=5, cast=int)
# Emergency access (contract 5.5): a doctor opens a document without consent, giving a reason, for this long.
EMERGENCY_ACCESS_ENABLED = config("EMERGENCY_ACCESS_ENABLED", default=True, cast=bool)
EMERGENCY_ACCESS_HOURS = config("EMERGENCY_ACCESS_HOURS", default=4, cast=int)
EMERGENCY_ACCESS_PER_DAY = config("EMERGENCY_ACCESS_PER_DAY", default=3, cast=int)
# How long a booking's or reschedule's Idempotency-Key is remembered with its answer (contract section 3).
IDEMPOTENCY_KEY_HOURS = config("IDEMPOTENCY_KEY_HOURS", default=24, cast=int)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"one_line": {"()": "QuickCare.logsafe.EscapeControlCharacters"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["one_line"]}},
    "root": {"handlers": ["console"], "level": config("LOG_LEVEL", default="INFO")},
}
