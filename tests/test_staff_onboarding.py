"""Staff without an account (contract 2.1): the owner adds them by number and name, they get a temporary password by
SMS (random, hashed, single use, expiring, never in an answer or a log), log in to a limited scope, and finish their
account with their own password."""

import logging
import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from clinic.models import ClinicMember, MemberRole
from doctors.models import DoctorProfile
from tests.refusals import assert_refused, assert_throttled
from users.models import RoleId, TemporaryPassword, User
from users.sms import SMSError

pytestmark = pytest.mark.django_db

NEW = "9811122233"
FINISH_FIRST = {"message": "Finish setting up your account first."}


def add(client, clinic, **fields):
    body = {"contact": NEW, "name": "Dr. Meera Iyer", "member_role": "doctor", "department": "ENT", **fields}
    return client.post(reverse("clinic:member-list", args=[clinic.id]), body)


def sent_password(sms_outbox) -> str:
    return re.search(r"temporary password (\S+) within", sms_outbox[-1]["message"])[1]


def login(client, password, contact=NEW):
    return client.post(reverse("users:login"), {"contact": contact, "password": password})


@pytest.fixture
def invited(auth_client, owner, clinic, sms_outbox):
    """The owner added a doctor with no account; returns the temporary password from the SMS."""
    assert add(auth_client(owner), clinic).status_code == 201
    return sent_password(sms_outbox)


def test_adding_someone_without_an_account_creates_it_and_texts_a_temporary_password(
    auth_client, owner, clinic, sms_outbox, caplog
):
    with caplog.at_level(logging.DEBUG):
        response = add(auth_client(owner), clinic)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "active" and body["member_role"] == "doctor" and body["account_created"] is True
    assert body["_info"] == (
        "Sent Dr. Meera Iyer (9811122233) an SMS with a temporary password, valid 72 hours and usable once."
    )
    user = User.objects.get(contact=NEW)
    assert (user.name, user.roles_id, user.registered_role_id) == ("Dr. Meera Iyer", RoleId.DOCTOR, RoleId.PATIENT)
    assert not user.has_usable_password() and not user.is_complete_onboarding
    assert DoctorProfile.objects.filter(user=user).exists()
    password = sent_password(sms_outbox)
    assert len(password) >= 10 and "Apollo Clinic" in sms_outbox[-1]["message"]
    stored = TemporaryPassword.objects.get(user=user)
    assert stored.password != password and stored.password.startswith(("pbkdf2_", "argon2", "bcrypt", "md5$"))
    assert password not in response.content.decode()
    assert password not in caplog.text


def test_the_temporary_password_opens_only_the_onboarding_step(api_client, auth_client, invited):
    response = login(api_client, invited)
    assert response.status_code == 200
    body = response.json()
    assert body["onboarding_required"] is True
    assert body["onboarding_url"] == "/api/users/onboarding/member/complete/"
    assert body["user"]["name"] == "Dr. Meera Iyer"
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api_client.get(reverse("users:me")).status_code == 200
    for name in ("doctors:me", "appointments:doctor-list", "documents:list", "clinic:my-memberships"):
        assert_refused(api_client.get(reverse(name)), 403, FINISH_FIRST)
    assert_refused(api_client.patch(reverse("users:me"), {"name": "X"}), 403, FINISH_FIRST)
    # A refreshed access token keeps the limit.
    refreshed = api_client.post(reverse("users:token-refresh"), {"refresh": body["refresh"]}).json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed}")
    assert_refused(api_client.get(reverse("doctors:me")), 403, FINISH_FIRST)


def test_the_temporary_password_works_once(api_client, invited):
    assert login(api_client, invited).status_code == 200
    assert_refused(
        login(api_client, invited),
        401,
        {"message": "This temporary password has already been used. Ask your clinic to send you a new one."},
    )


def test_the_temporary_password_expires(api_client, invited, settings):
    with time_machine.travel(timezone.now() + timedelta(hours=settings.STAFF_TEMP_PASSWORD_HOURS, seconds=1)):
        response = login(api_client, invited)
    assert_refused(
        response, 401, {"message": "This temporary password has expired. Ask your clinic to send you a new one."}
    )


def test_a_wrong_password_is_the_usual_401(api_client, invited):
    assert_refused(login(api_client, "not-the-one-1"), 401, {"message": "Invalid contact number or password."})


def complete(client, **fields):
    return client.patch(reverse("member-onboarding-complete"), {"password": "Own-Secret#2026", **fields})


def test_finishing_sets_the_own_password_and_profile_and_ends_the_limited_tokens(api_client, invited):
    limited = login(api_client, invited).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {limited['access']}")
    response = complete(
        api_client,
        gender="female",
        age=41,
        specialty="ent",
        qualification="MS (ENT)",
        town="Pune",
        address_area="Kothrud",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Your account is ready." and body["user"]["is_complete_onboarding"] is True
    user = User.objects.get(contact=NEW)
    assert user.check_password("Own-Secret#2026") and (user.gender, user.age) == ("female", 41)
    profile = user.doctor_profile
    assert (profile.specialty, profile.qualification) == ("ent", "MS (ENT)") and profile.listed_at is not None
    assert user.addresses.get().town == "Pune"
    assert not TemporaryPassword.objects.filter(user=user).exists()
    # The limited tokens ended; the new ones open everything.
    assert_refused(
        api_client.post(reverse("users:token-refresh"), {"refresh": limited["refresh"]}),
        401,
        {"message": "Token is blacklisted"},
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api_client.get(reverse("doctors:me")).status_code == 200
    assert_refused(
        complete(api_client),
        409,
        {"message": "Your account is already set up. Use /api/users/me/ to update your profile."},
    )
    assert login(api_client, "Own-Secret#2026").status_code == 200


def test_finishing_needs_a_password_by_the_registration_rules(api_client, invited):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(api_client, invited).json()['access']}")
    assert_refused(
        complete(api_client, password="12345678"),
        400,
        {"password": ["This password is too common.", "This password is entirely numeric."]},
    )
    assert_refused(
        api_client.patch(reverse("member-onboarding-complete"), {"name": "Meera"}),
        400,
        {"password": ["This field is required."]},
    )


def test_a_registered_account_has_nothing_to_finish(auth_client, doctor):
    assert_refused(
        complete(auth_client(doctor.user)),
        409,
        {"message": "Your account is already set up. Use /api/users/me/ to update your profile."},
    )


def test_resend_gives_a_new_password_voids_the_old_and_is_capped(
    api_client, auth_client, owner, clinic, invited, sms_outbox
):
    member = ClinicMember.objects.get(user__contact=NEW)
    url = reverse("clinic:member-resend-invite", args=[clinic.id, member.id])
    client = auth_client(owner)
    for _ in range(3):
        response = client.post(url)
        assert response.status_code == 200
    assert response.json()["_info"].startswith("Sent Dr. Meera Iyer (9811122233) an SMS")
    newest = sent_password(sms_outbox)
    assert newest != invited
    assert_refused(login(api_client, invited), 401, {"message": "Invalid contact number or password."})
    assert login(api_client, newest).status_code == 200
    assert_throttled(client.post(url))


def test_resend_after_onboarding_is_409_and_only_the_owner_resends(
    api_client, auth_client, owner, other_owner, clinic, invited
):
    member = ClinicMember.objects.get(user__contact=NEW)
    url = reverse("clinic:member-resend-invite", args=[clinic.id, member.id])
    assert_refused(auth_client(other_owner).post(url), 403, {"message": "Only this clinic's owner can manage it."})
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login(api_client, invited).json()['access']}")
    assert complete(api_client).status_code == 200
    assert_refused(auth_client(owner).post(url), 409, {"message": "This person has already set up their account."})


def test_a_failed_sms_leaves_the_member_added_and_says_so(auth_client, owner, clinic, monkeypatch):
    def fail(self, *, contact, message, **details):
        raise SMSError("provider down")

    monkeypatch.setattr("users.sms.MemorySMSBackend.send", fail)
    response = add(auth_client(owner), clinic)
    assert response.status_code == 201
    assert response.json()["_info"] == (
        "The SMS to Dr. Meera Iyer (9811122233) could not be sent. Send a new temporary password with resend-invite."
    )
    assert ClinicMember.objects.filter(user__contact=NEW, member_role=MemberRole.DOCTOR).exists()


def test_validation_failing_half_way_creates_no_account(auth_client, owner, clinic):
    assert_refused(
        add(auth_client(owner), clinic, member_role="surgeon"),
        400,
        {"member_role": ['"surgeon" is not a valid choice.']},
    )
    assert_refused(
        add(auth_client(owner), clinic, name=""),
        400,
        {"name": ["No QuickCare account uses this number: give the person's name to create one."]},
    )
    assert not User.objects.filter(contact=NEW).exists()
