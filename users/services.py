import math
from datetime import timedelta

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied, Throttled, ValidationError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from QuickCare.exceptions import Conflict, ServiceUnavailable

from .models import MEDICAL_FIELDS, PatientMedicalProfile, PendingRegistration, RoleId, User, UserAddress
from .sms import SMSError, get_sms_backend
from .throttles import ContactThrottle

ALREADY_REGISTERED = "This contact number is already registered. Please log in instead."


def tokens_for(user: User) -> dict:
    refresh = RefreshToken.for_user(user)  # recorded as an outstanding token, so it can be revoked
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@transaction.atomic
def registration_start(*, contact: str, name: str, password: str, role: int) -> PendingRegistration:
    """Onboarding step 1: remember who registers and text them a fresh OTP. A failed send keeps nothing.

    A registered number gets its 409 before any limit or cooldown is looked at; only sent OTPs count against the
    per-number limit."""
    if User.objects.filter(contact=contact).exists():
        raise Conflict(ALREADY_REGISTERED)
    sends = ContactThrottle("otp_send_contact")
    sends.check(contact)
    now = timezone.now()
    pending = PendingRegistration.objects.select_for_update().filter(contact=contact).first()
    if pending is not None:
        wait = (pending.sent_at + timedelta(seconds=settings.OTP_RESEND_COOLDOWN_SECONDS) - now).total_seconds()
        if wait > 0:
            raise Throttled(wait=math.ceil(wait), detail=f"Please wait {math.ceil(wait)} seconds before asking again.")
    else:
        pending = PendingRegistration(contact=contact)
    pending.name, pending.password, pending.role_id = name, make_password(password), role
    # A new random secret every time: an old code can never be replayed against a re-sent registration.
    pending.otp_secret, pending.otp_counter = pyotp.random_base32(), 0
    pending.attempts, pending.sent_at = 0, now
    pending.expires_at = now + timedelta(seconds=settings.OTP_TTL_SECONDS)
    try:
        with transaction.atomic():
            pending.save()
    except IntegrityError:  # a simultaneous step 1 for the same number inserted first
        raise Conflict("A registration for this number is already in progress; please retry.") from None
    code = pyotp.HOTP(pending.otp_secret).at(pending.otp_counter)
    minutes = settings.OTP_TTL_SECONDS // 60
    try:
        get_sms_backend().send(
            contact=contact, message=f"{code} is your QuickCare verification code. It expires in {minutes} minutes."
        )
    except SMSError as exc:
        raise ServiceUnavailable(f"We could not send the OTP: {exc} Please try again later.") from exc
    sends.record(contact)
    return pending


def _otp_matches(pending: PendingRegistration, otp: str) -> bool:
    if settings.DEBUG and settings.MASTER_OTP and otp == settings.MASTER_OTP:
        return True
    return pyotp.HOTP(pending.otp_secret).verify(otp, pending.otp_counter)


def registration_verify(*, contact: str, otp: str, role: int) -> User:
    """Onboarding step 2: check the OTP and create the account. Single use, expiring, at most N wrong tries."""
    with transaction.atomic():
        pending = PendingRegistration.objects.select_for_update().filter(contact=contact, role_id=role).first()
        if pending is None:
            if User.objects.filter(contact=contact).exists():
                raise Conflict(ALREADY_REGISTERED)
            raise ValidationError("No registration is waiting for this number. Please start again at step 1.")
        if pending.expires_at <= timezone.now():
            pending.delete()
            error = "This OTP has expired. Please start again at step 1 to get a new one."
        elif not _otp_matches(pending, otp):
            pending.attempts += 1
            left = settings.OTP_MAX_ATTEMPTS - pending.attempts
            if left <= 0:
                pending.delete()
                error = "Too many wrong OTPs. Please start again at step 1 to get a new one."
            else:
                pending.save(update_fields=["attempts"])
                error = f"The OTP is not correct. {left} attempt{'s' if left > 1 else ''} left."
        else:
            try:
                with transaction.atomic():
                    user = User.objects.create(
                        contact=contact,
                        name=pending.name,
                        password=pending.password,
                        roles_id=pending.role_id,
                        is_partial_onboarding=True,
                    )
            except IntegrityError:  # the unique contact is the backstop against a replayed or racing step 2
                raise Conflict(ALREADY_REGISTERED) from None
            pending.delete()
            return user
    # Raised outside the transaction so that the attempt count (or the voided registration) is kept.
    raise ValidationError({"otp": [error]})


def tokens_revoke_all(*, user: User) -> None:
    outstanding = OutstandingToken.objects.filter(user=user, expires_at__gt=timezone.now()).exclude(
        blacklistedtoken__isnull=False
    )
    BlacklistedToken.objects.bulk_create([BlacklistedToken(token=t) for t in outstanding], ignore_conflicts=True)


@transaction.atomic
def password_change(*, user: User, password: str) -> None:
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    tokens_revoke_all(user=user)


@transaction.atomic
def address_save(*, address: UserAddress) -> UserAddress:
    """Save an address; making it current (or giving a user their first address) makes the others not current."""
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
