import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.refusals import assert_refused, assert_throttled
from users.models import RoleId, User
from users.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

INVALID = {"message": "Invalid contact number or password."}


def login(client, contact, password=PASSWORD):
    return client.post(reverse("users:login"), {"contact": contact, "password": password}, format="json")


def test_login_returns_tokens_and_user(api_client, patient):
    response = login(api_client, int(patient.contact))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh", "user"}
    assert body["user"] == {
        "id": str(patient.id),
        "name": "Rahul Sharma",
        "contact": int(patient.contact),
        "roles": {"id": 3, "name": "is_patient"},
        "is_partial_onboarding": False,
        "is_complete_onboarding": True,
    }
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert api_client.get(reverse("users:me")).status_code == 200


def test_login_accepts_contact_as_string(api_client, patient):
    assert login(api_client, patient.contact).status_code == 200


def test_failed_login_answers_the_same_for_unknown_and_wrong_password(api_client, patient):
    wrong_password = login(api_client, patient.contact, "not-the-password")
    unknown = login(api_client, "9123456780")
    assert wrong_password.status_code == unknown.status_code == 401
    assert wrong_password.json() == unknown.json() == INVALID


def test_deactivated_user_cannot_log_in(api_client, patient):
    patient.is_active = False
    patient.save()
    response = login(api_client, patient.contact)
    assert response.status_code == 401 and response.json() == INVALID


def test_deactivated_user_token_stops_working(api_client, patient):
    access = login(api_client, patient.contact).json()["access"]
    patient.is_active = False
    patient.save()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert_refused(api_client.get(reverse("users:me")), 401, {"message": "User is inactive"})


def test_login_bad_contact_is_a_field_error(api_client):
    response = login(api_client, "12")
    assert response.status_code == 400
    assert list(response.json()) == ["contact"]


def test_failed_logins_per_contact_are_throttled(api_client, patient):
    for _ in range(10):
        assert_refused(
            login(api_client, patient.contact, "wrong-password"),
            401,
            {"message": "Invalid contact number or password."},
        )
    response = login(api_client, patient.contact)  # even the right password waits now
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "message" in response.json()


def test_successful_logins_do_not_use_up_the_failure_allowance(api_client, patient):
    for _ in range(12):
        assert login(api_client, patient.contact).status_code == 200


def test_login_per_ip_limit_is_a_setting(api_client, patient, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login_ip": "3/hour"},
    }
    for _ in range(3):
        assert login(api_client, patient.contact).status_code == 200
    assert_throttled(login(api_client, patient.contact))


def refresh(client, token):
    return client.post(reverse("users:token-refresh"), {"refresh": token}, format="json")


def test_row_1_1_the_login_refresh_token_works_again_and_again(api_client, patient):
    tokens = login(api_client, patient.contact).json()
    for _ in range(2):
        response = refresh(api_client, tokens["refresh"])
        assert response.status_code == 200 and set(response.json()) == {"access"}  # the spec's answer
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api_client.get(reverse("users:me")).status_code == 200


def test_row_1_1_logout_ends_the_refresh_token(api_client, patient):
    tokens = login(api_client, patient.contact).json()
    other_login = login(api_client, patient.contact).json()
    out = api_client.post(reverse("users:logout"), {"refresh": tokens["refresh"]}, format="json")
    assert out.status_code == 204
    refused = refresh(api_client, tokens["refresh"])
    assert refused.status_code == 401 and refused.json() == {"message": "Token is blacklisted"}
    assert api_client.post(reverse("users:logout"), {"refresh": tokens["refresh"]}).status_code == 204  # idempotent
    assert refresh(api_client, other_login["refresh"]).status_code == 200  # another device stays signed in
    forged = api_client.post(reverse("users:logout"), {"refresh": "not-a-token"}, format="json")
    assert forged.status_code == 401 and forged.json() == {"message": "Token is invalid or expired."}


def test_row_1_1_with_rotation_a_reused_token_ends_its_whole_login(api_client, patient, monkeypatch):
    from rest_framework_simplejwt import serializers as jwt_serializers

    # JWT_ROTATE_REFRESH_TOKENS=True; SimpleJWT's settings object is bound at import, so it is switched directly.
    monkeypatch.setattr(jwt_serializers.api_settings, "ROTATE_REFRESH_TOKENS", True)
    first = login(api_client, patient.contact).json()
    elsewhere = login(api_client, patient.contact).json()
    rotated = refresh(api_client, first["refresh"])
    assert rotated.status_code == 200 and set(rotated.json()) == {"access", "refresh"}
    newest = rotated.json()["refresh"]
    assert_refused(
        refresh(api_client, first["refresh"]), 401, {"message": "Token is blacklisted"}
    )  # the copy comes back: reuse
    assert_refused(
        refresh(api_client, newest), 401, {"message": "Token is blacklisted"}
    )  # so the whole family has ended
    assert refresh(api_client, elsewhere["refresh"]).status_code == 200  # another login is untouched


def test_refresh_with_garbage_is_401(api_client):
    response = api_client.post(reverse("users:token-refresh"), {"refresh": "not-a-token"}, format="json")
    assert response.status_code == 401
    assert set(response.json()) == {"message"}


def test_bad_bearer_token_is_401_with_message(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer nonsense")
    response = api_client.get(reverse("users:me"))
    assert response.status_code == 401
    assert set(response.json()) == {"message"}


def test_password_change_revokes_refresh_tokens(api_client, auth_client, patient):
    first = login(api_client, patient.contact).json()
    response = auth_client(patient).put(
        reverse("users:password-change"), {"password": "NewSecurePass@123", "old_password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["message"] == "Password changed successfully."
    assert set(response.json()) == {"message", "access", "refresh"}
    patient.refresh_from_db()
    assert patient.check_password("NewSecurePass@123")
    refused = api_client.post(reverse("users:token-refresh"), {"refresh": first["refresh"]})
    assert_refused(refused, 401, {"message": "Token is blacklisted"})
    assert login(api_client, patient.contact, "NewSecurePass@123").status_code == 200


def test_password_change_ends_access_tokens_at_once(api_client, patient):
    access = login(api_client, patient.contact).json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api_client.put(reverse("users:password-change"), {"password": "NewSecurePass@123"}).status_code == 200
    refused = api_client.get(reverse("users:me"))
    assert refused.status_code == 401 and refused.json() == {"message": "The user's password has been changed."}
    access = login(api_client, patient.contact, "NewSecurePass@123").json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api_client.get(reverse("users:me")).status_code == 200


def test_password_change_checks_old_password_when_sent(auth_client, patient):
    response = auth_client(patient).put(
        reverse("users:password-change"), {"password": "NewSecurePass@123", "old_password": "wrong"}
    )
    assert response.status_code == 400
    assert response.json() == {"old_password": ["The current password is not correct."]}
    ok = auth_client(patient).put(
        reverse("users:password-change"), {"password": "NewSecurePass@123", "old_password": PASSWORD}
    )
    assert ok.status_code == 200


def test_password_change_runs_validators(auth_client, patient):
    response = auth_client(patient).put(reverse("users:password-change"), {"password": "123", "old_password": PASSWORD})
    assert response.status_code == 400
    assert "password" in response.json()
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)


def test_password_change_needs_a_token(api_client):
    assert_refused(
        api_client.put(reverse("users:password-change"), {"password": "NewSecurePass@123"}),
        401,
        {"message": "Authentication credentials were not provided."},
    )


def test_malformed_json_is_400_with_message(auth_client, patient):
    response = auth_client(patient).generic("PUT", reverse("users:me"), "{not json", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"message"}


def test_unknown_url_is_json_404(api_client):
    response = api_client.get("/api/nowhere/")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found."}


def test_createsuperuser_uses_contact_and_gets_role_1():
    call_command("createsuperuser", "--noinput", contact="9999999999", name="Super Admin")
    admin = User.objects.get(contact="9999999999")
    assert admin.roles_id == RoleId.SUPERADMIN and admin.is_superuser and admin.is_staff
