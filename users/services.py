import math
import secrets
import time
from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied, Throttled, ValidationError
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.state import token_backend
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from QuickCare.exceptions import Conflict, ServiceUnavailable
from QuickCare.net import client_ip

from .models import (
    MEDICAL_FIELDS,
    OTPChallenge,
    PasswordReset,
    PatientMedicalProfile,
    PendingRegistration,
    RoleId,
    TemporaryPassword,
    User,
    UserAddress,
)
from .sms import SMSError, get_sms_backend
from .throttles import ContactThrottle

ALREADY_REGISTERED = "This contact number is already registered. Please log in instead."
NO_RESET_WAITING = "No password reset is waiting for this number. Please start again at step 1."


def tokens_for(user: User, *, onboarding: bool = False) -> dict:
    """A fresh login: refresh and access tokens, both stamped with the login time (`auth_time`), which
    password change reads to decide whether the current password must be typed again. `onboarding` tokens (a login
    with a temporary password) open only what finishing the account needs (users.authentication)."""
    refresh = RefreshToken.for_user(user)  # recorded as an outstanding token, so it can be revoked
    refresh["auth_time"] = int(time.time())
    if onboarding:
        refresh["onboarding"] = True  # copied into every access token made from it
    refresh["family"] = refresh["jti"]  # every token rotated from this login carries it (reuse detection)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def refresh_reuse_end(*, refresh: str) -> None:
    """With rotation on, a refresh token that was already rotated (blacklisted) and comes back means someone holds a
    copy: every refresh token of that login (its `family`) ends. Only a genuine, unexpired token counts."""
    claims = _claims(refresh)
    family = claims.get("family")
    if not family or not BlacklistedToken.objects.filter(token__jti=claims.get("jti")).exists():
        return
    outstanding = OutstandingToken.objects.filter(user_id=claims.get("user_id"), expires_at__gt=timezone.now()).exclude(
        blacklistedtoken__isnull=False
    )
    of_family = [t for t in outstanding if _claims(t.token).get("family") == family]
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=t) for t in of_family], ignore_conflicts=True)


def _claims(token: str) -> dict:
    try:
        return token_backend.decode(token, verify=True)
    except TokenBackendError:
        return {}


def logout(*, refresh: str) -> None:
    """Ends this refresh token (and so the login it belongs to, without rotation). Idempotent."""
    try:
        RefreshToken(refresh).blacklist()
    except TokenError:
        claims = _claims(refresh)  # already ended is fine; a forged or expired token is not
        if not claims or not BlacklistedToken.objects.filter(token__jti=claims.get("jti")).exists():
            raise AuthenticationFailed("Token is invalid or expired.", "token_not_valid") from None


def login_authenticate(*, request, contact: str, password: str) -> User:
    """The one password check, for the API login and the admin's: per-IP attempts and per-number failures are
    limited here (429 with Retry-After), then the same 401 for an unknown number, a wrong password and a
    deactivated account."""
    ContactThrottle("login_ip").hit(client_ip(request) or "unknown")
    failures = ContactThrottle("login_failed_contact")
    failures.check(contact)
    user = authenticate(request, contact=contact, password=password)
    if user is None:
        user = _temporary_password_login(contact=contact, password=password)
    if user is None:
        failures.record(contact)
        raise AuthenticationFailed("Invalid contact number or password.")
    return user


# --- Temporary passwords (staff added without an account, contract 2.1) -----------------------------------------------

# No look-alikes (0/O, 1/l/I): the person types it from an SMS.
TEMPORARY_PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
TEMPORARY_PASSWORD_LENGTH = 12
ASK_THE_CLINIC = "Ask your clinic to send you a new one."


def temporary_password_issue(*, user: User) -> str:
    """A new temporary password for `user` (any earlier one is void). Only its hash is stored; the caller sends the
    returned text by SMS and keeps it nowhere."""
    text = "".join(secrets.choice(TEMPORARY_PASSWORD_ALPHABET) for _ in range(TEMPORARY_PASSWORD_LENGTH))
    now = timezone.now()
    TemporaryPassword.objects.update_or_create(
        user=user,
        defaults={
            "password": make_password(text),
            "issued_at": now,
            "expires_at": now + timedelta(hours=settings.STAFF_TEMP_PASSWORD_HOURS),
            "used_at": None,
        },
    )
    return text


@transaction.atomic
def _temporary_password_login(*, contact: str, password: str) -> User | None:
    """The person of `contact`, when `password` is their temporary password and still usable (then used up); a 401
    saying to ask the clinic when it is right but expired or used; None when it is not theirs at all."""
    pending = (
        TemporaryPassword.objects.select_for_update()
        .select_related("user")
        .filter(user__contact=contact, user__is_active=True)
        .first()
    )
    if pending is None or not check_password(password, pending.password):
        return None
    if pending.used_at is not None:
        raise AuthenticationFailed(f"This temporary password has already been used. {ASK_THE_CLINIC}")
    if pending.expires_at <= timezone.now():
        raise AuthenticationFailed(f"This temporary password has expired. {ASK_THE_CLINIC}")
    pending.used_at = timezone.now()
    pending.save(update_fields=["used_at"])
    pending.user.onboarding_login = True  # read by the login view: the answer's tokens are onboarding tokens
    return pending.user


def member_onboarding_pending(user: User) -> bool:
    """Whether the account was created by a clinic and its person has not set their own password yet."""
    return TemporaryPassword.objects.filter(user=user).exists()


@transaction.atomic
def member_account_complete(*, user: User, data: dict) -> User:
    """`PATCH /api/users/onboarding/member/complete/`, the account's part: the person's own password (registration's
    rules), profile and home address; the temporary password is gone and every earlier token ends. 409 when done."""
    user = User.objects.select_for_update().get(pk=user.pk)
    pending = TemporaryPassword.objects.filter(user=user).first()
    if pending is None:
        raise Conflict("Your account is already set up. Use /api/users/me/ to update your profile.")
    password_validate(password=data["password"], user=user, field="password")
    user.set_password(data["password"])
    for field in ("name", "gender", "age", "email"):
        if field in data:
            setattr(user, field, data[field])
    user.is_partial_onboarding, user.is_complete_onboarding = False, True
    user.save()
    address = {model_field: data[field] for field, model_field in ADDRESS_FIELDS.items() if data.get(field)}
    if address:
        address_save(address=UserAddress(user=user, address_type="home", is_current=True, **address))
    pending.delete()
    tokens_revoke_all(user=user)
    return user


# --- One-time codes -------------------------------------------------------------------------------------------------


def _otp_cooldown(challenge: OTPChallenge, now) -> None:
    wait = (challenge.sent_at + timedelta(seconds=settings.OTP_RESEND_COOLDOWN_SECONDS) - now).total_seconds()
    if wait > 0:
        cooldown = Throttled(wait=math.ceil(wait))  # DRF would append "Expected available in N seconds." to a detail
        cooldown.detail = f"Please wait {math.ceil(wait)} seconds before asking again."
        raise cooldown


def _otp_issue(challenge: OTPChallenge, now) -> str:
    """A new random secret every time: an old code can never be replayed against a re-sent challenge."""
    challenge.otp_secret, challenge.otp_counter = pyotp.random_base32(), 0
    challenge.attempts, challenge.sent_at = 0, now
    challenge.expires_at = now + timedelta(seconds=settings.OTP_TTL_SECONDS)
    return pyotp.HOTP(challenge.otp_secret).at(challenge.otp_counter)


def otp_check(challenge: OTPChallenge, otp: str) -> str | None:
    """Is this OTP accepted? None if so (the caller uses the challenge up); otherwise the message to show, with the
    wrong attempt counted, or the challenge voided once expired or out of attempts. Single use, expiring, at most
    OTP_MAX_ATTEMPTS wrong codes. The caller holds the challenge's row lock and raises the message after commit."""
    if challenge.expires_at <= timezone.now():
        challenge.delete()
        return "This OTP has expired. Please start again at step 1 to get a new one."
    if settings.DEBUG and settings.MASTER_OTP and otp == settings.MASTER_OTP:
        return None
    if pyotp.HOTP(challenge.otp_secret).verify(otp, challenge.otp_counter):
        return None
    challenge.attempts += 1
    left = settings.OTP_MAX_ATTEMPTS - challenge.attempts
    if left <= 0:
        challenge.delete()
        return "Too many wrong OTPs. Please start again at step 1 to get a new one."
    challenge.save(update_fields=["attempts"])
    return f"The OTP is not correct. {left} attempt{'s' if left > 1 else ''} left."


def _otp_challenge_renew(model: type[OTPChallenge], *, contact: str, fill):
    """The number's challenge of this flow, locked (or a new one): the resend cooldown is enforced, `fill(challenge,
    now)` sets the flow's own fields (its result is passed back), the code is new, and the row is committed before
    the caller sends anything. Returns (challenge, code, fill's result)."""
    now = timezone.now()
    with transaction.atomic():
        challenge = model.objects.select_for_update(of=("self",)).filter(contact=contact).first()
        if challenge is not None:
            _otp_cooldown(challenge, now)
        challenge = challenge or model(contact=contact)
        filled = fill(challenge, now)
        code = _otp_issue(challenge, now)
        try:
            with transaction.atomic():
                challenge.save()
        except IntegrityError:  # a simultaneous request for the same number inserted first
            raise Conflict("A request for this number is already in progress; please retry.") from None
    return challenge, code, filled


def _otp_send(challenge: OTPChallenge, message: str) -> None:
    """Send after the challenge row is committed (no lock is held during the provider's HTTP call). A failed send
    removes the challenge, so nothing is kept that the person never received."""
    try:
        get_sms_backend().send(contact=challenge.contact, message=message, template_id=settings.SMS_DLT_TEMPLATE_OTP)
    except SMSError as exc:
        type(challenge).objects.filter(pk=challenge.pk, otp_secret=challenge.otp_secret).delete()
        raise ServiceUnavailable(f"We could not send the OTP: {exc} Please try again later.") from exc


def _code_message(code: str) -> str:
    minutes = settings.OTP_TTL_SECONDS // 60
    return f"{code} is your QuickCare verification code. It expires in {minutes} minutes."


def registration_start(*, contact: str, name: str, password: str, role: int) -> PendingRegistration:
    """Onboarding step 1: remember who registers and text them a fresh OTP. A failed send keeps nothing.

    A registered number gets its 409 before any limit or cooldown is looked at; only sent OTPs count against the
    per-number limit. While a registration for the number is waiting (its OTP not yet expired), a repeated step 1
    re-sends a code but keeps the first registrant's name, password and role: whoever holds the phone finishes the
    registration that is waiting, and a stranger's step 1 cannot replace its password."""
    if User.objects.filter(contact=contact).exists() and not (role == RoleId.PATIENT and walk_in_account(contact)):
        raise Conflict(ALREADY_REGISTERED)
    sends = ContactThrottle("otp_send_contact")
    sends.check(contact)

    def fill(pending: PendingRegistration, now) -> bool:
        waiting = pending.pk is not None and pending.expires_at > now
        if not waiting:
            pending.name, pending.password, pending.role_id = name, make_password(password), role
        return waiting

    pending, code, waiting = _otp_challenge_renew(PendingRegistration, contact=contact, fill=fill)
    message = _code_message(code)
    if waiting:
        message = f"A QuickCare registration for this number is already waiting. {message}"
    _otp_send(pending, message)
    sends.record(contact)
    return pending


def registration_verify(*, contact: str, otp: str, role: int) -> User:
    """Onboarding step 2: check the OTP and create the account."""
    ContactThrottle("otp_verify_contact").hit(contact)
    with transaction.atomic():
        pending = PendingRegistration.objects.select_for_update().filter(contact=contact, role_id=role).first()
        if pending is None:
            if User.objects.filter(contact=contact).exists():
                raise Conflict(ALREADY_REGISTERED)
            raise ValidationError("No registration is waiting for this number. Please start again at step 1.")
        error = otp_check(pending, otp)
        walk_in = walk_in_account(contact) if error is None and pending.role_id == RoleId.PATIENT else None
        if walk_in is not None:  # a clinic booked them at its desk: the registration is theirs to finish
            walk_in.name, walk_in.password, walk_in.is_partial_onboarding = pending.name, pending.password, True
            walk_in.save(update_fields=["name", "password", "is_partial_onboarding"])
            pending.delete()
            return walk_in
        if error is None:
            try:
                with transaction.atomic():
                    user = User.objects.create(
                        contact=contact,
                        name=pending.name,
                        password=pending.password,
                        roles_id=pending.role_id,
                        registered_role_id=pending.role_id,
                        is_partial_onboarding=True,
                    )
            except IntegrityError:  # the unique contact is the backstop against a replayed or racing step 2
                raise Conflict(ALREADY_REGISTERED) from None
            pending.delete()
            return user
    # Raised outside the transaction so that the attempt count (or the voided registration) is kept.
    raise ValidationError({"otp": [error]})


def walk_in_account(contact: str) -> User | None:
    """The account a clinic's desk made for a walk-in patient (contract 2.5), while nobody has registered it yet: a
    patient's, active, with no usable password and no temporary password waiting. Registration claims it."""
    user = User.objects.filter(contact=contact, is_active=True, roles_id=RoleId.PATIENT).first()
    if user is None or user.has_usable_password() or TemporaryPassword.objects.filter(user=user).exists():
        return None
    return user


def walk_in_patient(*, contact: str, name: str) -> tuple[User, bool]:
    """The patient a desk books by number: their account, or a new one without a password (they register it later
    with the patient step 1/2). Returns (user, created)."""
    user = User.objects.filter(contact=contact).first()
    if user is not None:
        if not user.is_active or user.roles_id != RoleId.PATIENT:
            raise ValidationError({"contact": ["This number belongs to an account that is not a patient's."]})
        return user, False
    if not name:
        raise ValidationError({"name": ["This number has no QuickCare account yet: give the patient's name."]})
    return User.objects.create_user(contact=contact, name=name, password=None), True


def password_reset_start(*, contact: str) -> None:
    """Forgotten password, step 1: an OTP to the number if it has an active account; the same answer, limits and
    stored state for every number (see PasswordReset)."""
    sends = ContactThrottle("otp_send_contact")
    sends.check(contact)

    def fill(reset: PasswordReset, now) -> None:
        reset.user = User.objects.filter(contact=contact, is_active=True).first()

    reset, code, _ = _otp_challenge_renew(PasswordReset, contact=contact, fill=fill)
    if reset.user is not None:
        _otp_send(reset, f"{_code_message(code)} Use it to set a new password. Did not ask? Ignore this message.")
    sends.record(contact)


def password_reset_finish(*, contact: str, otp: str, password: str) -> User:
    """Forgotten password, step 2: a correct OTP sets the new password and ends every earlier token."""
    ContactThrottle("otp_verify_contact").hit(contact)
    with transaction.atomic():
        reset = (
            PasswordReset.objects.select_for_update(of=("self",)).select_related("user").filter(contact=contact).first()
        )
        if reset is None:
            raise ValidationError(NO_RESET_WAITING)
        # Judged before the code, so that a rejected password does not use the code up.
        password_validate(password=password, user=reset.user or User(contact=contact), field="password")
        error = otp_check(reset, otp)
        if error is None and reset.user is None:  # no code was ever sent for a number without an account
            error = "The OTP is not correct."
        if error is None:
            user = reset.user
            reset.delete()
            password_change(user=user, password=password)
            return user
    raise ValidationError({"otp": [error]})


def password_validate(*, password: str, user: User, field: str) -> None:
    """Django's password validators, judged against the account (no similarity to its name or number)."""
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


def password_change_allowed(*, user: User, auth_claims, old_password: str | None) -> None:
    """Contract row 1.17: the current password is needed unless the caller logged in within the last
    PASSWORD_CHANGE_FRESH_MINUTES (the `auth_time` their token carries from the login)."""
    if old_password is not None:
        if not user.check_password(old_password):
            raise ValidationError({"old_password": ["The current password is not correct."]})
        return
    logged_in_at = (auth_claims or {}).get("auth_time") if hasattr(auth_claims, "get") else None
    fresh = timedelta(minutes=settings.PASSWORD_CHANGE_FRESH_MINUTES).total_seconds()
    if not isinstance(logged_in_at, int | float) or time.time() - logged_in_at > fresh:
        raise ValidationError({"old_password": ["Enter your current password."]})


def tokens_revoke_all(*, user: User) -> None:
    outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now()).exclude(
        blacklistedtoken__isnull=False
    )
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=t) for t in outstanding], ignore_conflicts=True)


@transaction.atomic
def password_change(*, user: User, password: str) -> None:
    """Sets the password; every earlier refresh token is blacklisted and every access token fails at once (tokens
    carry a digest of the password hash, SimpleJWT's CHECK_REVOKE_TOKEN)."""
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    tokens_revoke_all(user=user)


@transaction.atomic
def address_save(*, address: UserAddress) -> UserAddress:
    """Save an address; making it current (or giving a user their first address) makes the others not current.
    The user's row lock serialises a user's address writes, so two first addresses at once cannot both be current."""
    User.objects.select_for_update().filter(pk=address.user_id).first()
    others = UserAddress.objects.select_for_update().filter(user_id=address.user_id).exclude(pk=address.pk)
    if not others.filter(is_current=True).exists():
        address.is_current = True
    if address.is_current:
        others.filter(is_current=True).update(is_current=False)
    address.save()
    return address


ADDRESS_FIELDS = {
    "address_area": "area",
    "house_no": "house_no",
    "town": "town",
    "state": "state",
    "pincode": "pincode",
    "landmark": "landmark",
}


@transaction.atomic
def patient_onboarding_complete(*, user: User, data: dict) -> tuple[User, PatientMedicalProfile]:
    """Patient step 3: profile, medical details and the current home address, all or nothing."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.has_role(RoleId.PATIENT):
        raise PermissionDenied("Only patients complete this onboarding step.")
    if user.is_complete_onboarding:
        raise Conflict("Onboarding is already complete. Use /api/users/me/ to update your profile.")
    for field in ("gender", "age", "email", "blood_group"):
        if field in data:
            setattr(user, field, data[field])
    user.is_partial_onboarding, user.is_complete_onboarding = False, True
    user.save()
    profile, _ = PatientMedicalProfile.objects.get_or_create(user=user)
    for field in MEDICAL_FIELDS:
        if field in data:
            setattr(profile, field, data[field])
    profile.save()
    address = {model_field: data[field] for field, model_field in ADDRESS_FIELDS.items() if data.get(field)}
    if address:
        address_save(address=UserAddress(user=user, address_type="home", is_current=True, **address))
    return user, profile
