import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from users.models import RoleId
from users.sms import MemorySMSBackend
from users.tests.factories import make_user


def _uses_db(request) -> bool:
    return bool(request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def _test_settings(request, settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SMS_BACKEND = "users.sms.MemorySMSBackend"
    settings.MASTER_OTP = ""
    settings.PUBLIC_CACHE_SECONDS = 0  # tests see every write at once; the cache has its own tests
    MemorySMSBackend.outbox.clear()
    uses_db = _uses_db(request)
    if uses_db:
        cache.clear()  # throttle counters must not leak between tests (Redis is not rolled back)
    yield
    if uses_db:
        cache.clear()


@pytest.fixture
def sms_outbox():
    return MemorySMSBackend.outbox


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def patient(db):
    return make_user(role=RoleId.PATIENT, name="Rahul Sharma", is_complete_onboarding=True)


@pytest.fixture
def other_patient(db):
    return make_user(role=RoleId.PATIENT, name="Meena Iyer", is_complete_onboarding=True)


@pytest.fixture
def owner(db):
    return make_user(role=RoleId.CLINIC_OWNER, name="Dr. Anil Gupta", is_complete_onboarding=True)


@pytest.fixture
def other_owner(db):
    return make_user(role=RoleId.CLINIC_OWNER, name="Kavita Rao", is_complete_onboarding=True)


@pytest.fixture
def clinic(owner):
    from clinic.tests.factories import make_clinic

    return make_clinic(owner=owner, name="Apollo Clinic", city="Jaipur")


@pytest.fixture
def doctor(clinic):
    """A doctor of `clinic`, listed in the directory, with no hours yet."""
    from doctors.tests.factories import make_doctor

    return make_doctor(clinic=clinic)


@pytest.fixture
def outside_doctor(db):
    """A doctor of another clinic (no relationship with `clinic` or its patients)."""
    from doctors.tests.factories import make_doctor

    return make_doctor(name="Dr. Outside")


@pytest.fixture
def auth_client():
    """auth_client(user) -> an APIClient acting as that user."""

    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make
