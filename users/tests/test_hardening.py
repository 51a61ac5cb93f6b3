"""Regression tests for the hardening issue (#10): accounts and contact numbers. Each names its item."""

import importlib
import re
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps as django_apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from tests.live import ROOT
from tests.refusals import assert_refused
from users.models import PasswordReset, PendingRegistration, RoleId, User, UserAddress
from users.tests.factories import PASSWORD, make_user
from users.validators import contact_as_int, normalize_contact

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Fresh-Mango-2026"


def code_in(message: str) -> str:
    return re.search(r"\b(\d{6})\b", message)[1]


# --- 1. contact numbers: ASCII digits only, never negative, no stored value breaks an answer ----------------------


@pytest.mark.parametrize(
    "contact",
    [
        "977902781\u00b2",  # superscript two
        "\uff19\uff18\uff17\uff16\uff15\uff14\uff13\uff12\uff11\uff10",  # full-width 9876543210
        "\u0669\u0668\u0667\u0666\u0665\u0664\u0663\u0662\u0661\u0660",  # Arabic-Indic digits
        "-9876543210",
        -9876543210,
    ],
)
def test_item01_non_ascii_or_negative_contact_is_refused_everywhere(api_client, contact):
    body = {"contact": contact, "name": "Eve", "password": PASSWORD}
    response = api_client.post(reverse("users:patient-step1"), body, format="json")
    assert response.status_code == 400
    assert response.json()["contact"][0] in (
        "A mobile number may contain the digits 0-9 only.",
        "A mobile number cannot be negative.",
    )
    assert not PendingRegistration.objects.exists()


def test_item01_full_width_twin_of_a_registered_number_is_not_a_second_account(api_client, patient):
    # The first digit in ASCII (so the 6-9 rule passes), the other nine full-width: int() reads it as the same number.
    twin = patient.contact[0] + "".join(chr(ord(d) - ord("0") + 0xFF10) for d in patient.contact[1:])
    response = api_client.post(
        reverse("users:patient-step1"), {"contact": twin, "name": "Eve", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"contact": ["A mobile number may contain the digits 0-9 only."]}
    assert User.objects.filter(name="Eve").count() == 0


def test_item01_a_bad_stored_contact_cannot_make_the_doctor_list_fail(api_client):
    from doctors.tests.factories import make_doctor

    doctor = make_doctor()
    User.objects.filter(pk=doctor.user_id).update(contact="97790278\u00b2\u00b2")  # written before the rule
    response = api_client.get(reverse("doctors:list"))
    assert response.status_code == 200
    assert response.json()[0]["user"]["contact"] is None
    assert api_client.get(reverse("doctors:detail", args=[doctor.pk])).json()["user"]["contact"] is None


def test_item01_contact_helpers_accept_only_ascii_mobile_numbers():
    assert normalize_contact(" 98765-43210 ") == "9876543210"
    assert contact_as_int("9876543210") == 9876543210
    assert contact_as_int("\uff19876543210") is None and contact_as_int("") is None and contact_as_int(None) is None


def test_item01_data_migration_reports_bad_stored_contacts(patient):
    migration = importlib.import_module("users.migrations.0004_registered_roles_and_contact_report")
    User.objects.filter(pk=patient.pk).update(contact="98765\u00b243210"[:10])
    lines = migration.bad_contacts(django_apps)
    assert lines == [f"User {patient.pk}: contact is not a 10-digit ASCII mobile number"]


# --- 3. registration takeover and the password reset flow ---------------------------------------------------------


def step1(client, password, name="Asha Verma", contact="9812345678"):
    body = {"contact": contact, "name": name, "password": password}
    return client.post(reverse("users:patient-step1"), body, format="json")


def test_item03_a_second_step1_cannot_replace_the_waiting_registrations_password(api_client, sms_outbox):
    assert step1(api_client, PASSWORD).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):  # past the resend cooldown
        assert step1(api_client, "Attacker-Chosen-99", name="Mallory").status_code == 200
        assert "already waiting" in sms_outbox[-1]["message"]
        code = code_in(sms_outbox[-1]["message"])
        created = api_client.post(reverse("users:patient-step2"), {"contact": "9812345678", "otp": code})
    assert created.status_code == 201
    user = User.objects.get(contact="9812345678")
    assert user.name == "Asha Verma"
    assert user.check_password(PASSWORD) and not user.check_password("Attacker-Chosen-99")


def test_item03_after_the_first_otp_expired_a_new_step1_starts_afresh(api_client, sms_outbox):
    step1(api_client, PASSWORD)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert step1(api_client, NEW_PASSWORD, name="Asha V.").status_code == 200
        assert "already waiting" not in sms_outbox[-1]["message"]
        code = code_in(sms_outbox[-1]["message"])
        api_client.post(reverse("users:patient-step2"), {"contact": "9812345678", "otp": code})
    assert User.objects.get(contact="9812345678").check_password(NEW_PASSWORD)


def reset_step1(client, contact):
    return client.post(reverse("users:password-reset-step1"), {"contact": contact}, format="json")


def reset_step2(client, contact, otp, password=NEW_PASSWORD):
    body = {"contact": contact, "otp": otp, "password": password}
    return client.post(reverse("users:password-reset-step2"), body, format="json")


def test_item03_password_reset_sets_a_new_password_and_ends_every_earlier_token(api_client, patient, sms_outbox):
    old = api_client.post(reverse("users:login"), {"contact": patient.contact, "password": PASSWORD}).json()
    started = reset_step1(api_client, patient.contact)
    assert started.status_code == 200 and set(started.json()) == {"message"}
    assert sms_outbox[-1]["contact"] == patient.contact
    done = reset_step2(api_client, patient.contact, code_in(sms_outbox[-1]["message"]))
    assert done.status_code == 200
    assert set(done.json()) == {"message", "access", "refresh", "user"}
    assert done.json()["user"]["id"] == str(patient.id)
    patient.refresh_from_db()
    assert patient.check_password(NEW_PASSWORD)
    assert_refused(
        api_client.post(reverse("users:token-refresh"), {"refresh": old["refresh"]}),
        401,
        {"message": "Token is blacklisted"},
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")
    assert_refused(api_client.get(reverse("users:me")), 401, {"message": "The user's password has been changed."})
    assert not PasswordReset.objects.exists()  # single use


def test_item03_password_reset_answers_unknown_numbers_the_same_and_sends_nothing(api_client, patient, sms_outbox):
    known, unknown = reset_step1(api_client, patient.contact), reset_step1(api_client, "9000099999")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert [m["contact"] for m in sms_outbox] == [patient.contact]
    wrong = reset_step2(api_client, "9000099999", "123456")
    assert wrong.status_code == 400 and wrong.json() == {"otp": ["The OTP is not correct. 4 attempts left."]}


def test_item03_password_reset_keeps_the_otp_rules(api_client, patient, sms_outbox):
    reset_step1(api_client, patient.contact)
    again = reset_step1(api_client, patient.contact)
    assert again.status_code == 429 and int(again["Retry-After"]) > 0  # resend cooldown
    assert again.json()["message"] == f"Please wait {again['Retry-After']} seconds before asking again."
    weak = reset_step2(api_client, patient.contact, code_in(sms_outbox[-1]["message"]), password="12345678")
    assert weak.status_code == 400 and "password" in weak.json()  # the code is not used up by a weak password
    for left in (4, 3, 2, 1):
        wrong = reset_step2(api_client, patient.contact, "000000")
        assert wrong.json() == {"otp": [f"The OTP is not correct. {left} attempt{'s' if left > 1 else ''} left."]}
    voided = reset_step2(api_client, patient.contact, "000000")
    assert voided.json() == {"otp": ["Too many wrong OTPs. Please start again at step 1 to get a new one."]}
    late = reset_step2(api_client, patient.contact, code_in(sms_outbox[-1]["message"]))
    assert late.status_code == 400
    assert late.json() == {"message": "No password reset is waiting for this number. Please start again at step 1."}
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)


def test_item03_password_reset_code_expires(api_client, patient, sms_outbox):
    reset_step1(api_client, patient.contact)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        expired = reset_step2(api_client, patient.contact, code_in(sms_outbox[-1]["message"]))
    assert expired.json() == {"otp": ["This OTP has expired. Please start again at step 1 to get a new one."]}


# --- 4. password change needs the current password unless the login is fresh ------------------------------------


def bearer_client(api_client, user):
    tokens = api_client.post(reverse("users:login"), {"contact": user.contact, "password": PASSWORD}).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return api_client, tokens


def test_item04_password_change_without_old_password_needs_a_fresh_login(api_client, patient):
    client, _ = bearer_client(api_client, patient)
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        stale = client.put(reverse("users:password-change"), {"password": NEW_PASSWORD})
    assert stale.status_code == 400 and stale.json() == {"old_password": ["Enter your current password."]}
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)


def test_item04_a_token_without_login_time_must_give_the_old_password(auth_client, patient):
    refused = auth_client(patient).put(reverse("users:password-change"), {"password": NEW_PASSWORD})
    assert refused.status_code == 400 and refused.json() == {"old_password": ["Enter your current password."]}


def test_item04_fresh_login_changes_password_alone_and_gets_new_tokens(api_client, patient):
    client, _ = bearer_client(api_client, patient)
    changed = client.put(reverse("users:password-change"), {"password": NEW_PASSWORD})
    assert changed.status_code == 200 and set(changed.json()) == {"message", "access", "refresh"}
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {changed.json()['access']}")
    assert client.get(reverse("users:me")).status_code == 200


def test_item04_refreshed_access_tokens_keep_the_login_time(api_client, patient):
    _, tokens = bearer_client(api_client, patient)
    with time_machine.travel(timezone.now() + timedelta(minutes=20)):
        access = api_client.post(reverse("users:token-refresh"), {"refresh": tokens["refresh"]}).json()["access"]
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        stale = api_client.put(reverse("users:password-change"), {"password": NEW_PASSWORD})
    assert stale.json() == {"old_password": ["Enter your current password."]}


# --- 5. MASTER_OTP and the published SECRET_KEY stop a DEBUG=False server ------------------------------------------


def run_check(**env):
    import os

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        cwd=ROOT,
        env={**os.environ, "SECRET_KEY": "k" * 20 + "Zq8#x!vT3pL0w9Rr2mN5bC7dF1gH4jK6sU8yE0aQ", **env},
        capture_output=True,
        text=True,
    )
    return result.returncode, result.stdout + result.stderr


def test_item05_master_otp_with_debug_off_is_a_system_check_error():
    code, output = run_check(DEBUG="False", MASTER_OTP="123456")
    assert code != 0 and "quickcare.E001" in output
    assert run_check(DEBUG="True", MASTER_OTP="123456")[0] == 0


def test_item05_the_env_example_secret_key_with_debug_off_is_a_system_check_error():
    published = next(
        line.split("=", 1)[1]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line.startswith("SECRET_KEY=")
    )
    code, output = run_check(DEBUG="False", SECRET_KEY=published)
    assert code != 0 and "quickcare.E002" in output


# --- 6. the admin's login is limited like the API's ---------------------------------------------------------------


def admin_login(client, contact, password, ip="203.0.113.9"):
    return client.post(
        reverse("admin:login"), {"username": contact, "password": password}, REMOTE_ADDR=ip, follow=False
    )


def test_item06_admin_login_locks_out_a_number_after_the_api_login_count(client):
    staff = make_user(role=RoleId.ADMIN, is_staff=True)
    for _ in range(10):
        assert admin_login(client, staff.contact, "wrong").status_code == 200  # the form again, with an error
    locked = admin_login(client, staff.contact, PASSWORD)
    assert locked.status_code == 200 and b"Request was throttled" in locked.content
    assert "_auth_user_id" not in client.session


def test_item06_admin_login_counts_attempts_per_ip(client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login_ip": "3/hour"},
    }
    staff = make_user(role=RoleId.ADMIN, is_staff=True)
    for n in range(3):
        admin_login(client, f"900000000{n}", "wrong")
    locked = admin_login(client, staff.contact, PASSWORD)
    assert b"Request was throttled" in locked.content and "_auth_user_id" not in client.session
    assert admin_login(client, staff.contact, PASSWORD, ip="198.51.100.7").status_code == 302  # another IP


def test_item06_admin_login_still_works(client):
    staff = make_user(role=RoleId.ADMIN, is_staff=True)
    assert admin_login(client, staff.contact, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


# --- 7. refreshing the token of a deleted account ----------------------------------------------------------------


def test_item07_refresh_token_of_a_deleted_user_is_401(api_client):
    user = make_user()
    refresh = api_client.post(reverse("users:login"), {"contact": user.contact, "password": PASSWORD}).json()["refresh"]
    User.objects.filter(pk=user.pk).delete()
    response = api_client.post(reverse("users:token-refresh"), {"refresh": refresh})
    assert response.status_code == 401
    assert response.json() == {"message": "No active account found for the given token."}


# --- 10. two first addresses at once ---------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and real concurrency need PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the seeded roles
def test_item10_concurrent_first_addresses_leave_exactly_one_current():
    from rest_framework.test import APIClient

    user = make_user()
    barrier, statuses = threading.Barrier(8), []

    def post():
        client = APIClient()
        client.force_authenticate(user)
        barrier.wait()
        statuses.append(client.post(reverse("users:address-list"), {"area": "MI Road", "town": "Jaipur"}).status_code)
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 8
    assert UserAddress.objects.filter(user=user, is_current=True).count() == 1


def test_pin_codes_take_ascii_digits_only(auth_client, patient):
    """Codebase issue #11 point 7: one PIN code rule (users.fields.PincodeField), which also refuses other scripts'
    digits (`\\d` accepted them)."""
    body = {"area": "MI Road", "town": "Jaipur", "pincode": "\u0663\u0660\u0662\u0660\u0660\u0661"}
    refused = auth_client(patient).post(reverse("users:address-list"), body)
    assert refused.status_code == 400 and refused.json() == {"pincode": ["A PIN code has 6 digits."]}
    assert auth_client(patient).post(reverse("users:address-list"), {**body, "pincode": "302001"}).status_code == 201
