import hashlib
import ipaddress
from datetime import datetime, timedelta
from pathlib import PurePath

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.throttling import BaseThrottle

from doctors.selectors import active_doctor_memberships
from QuickCare.exceptions import Conflict
from users.models import User

from . import filetypes
from .models import ConsentStatus, Document, DocumentAccessLog, DocumentConsent
from .selectors import consent_used, doctor_profile_of, documents_visible_to


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or the client's address in X-Forwarded-For when TRUSTED_PROXY_COUNT proxies are trusted (the
    same rule the throttles use)."""
    candidate = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


def _safe_filename(name: str) -> str:
    name = PurePath(name.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return name[:255] or "document"


@transaction.atomic
def document_upload(*, owner: User, file, title: str, document_type: str, description: str = "", appointment=None):
    if file.size == 0:
        raise ValidationError({"file": ["The file is empty."]})
    limit = settings.DOCUMENT_MAX_UPLOAD_BYTES
    if file.size > limit:
        raise PayloadTooLarge(f"The file is larger than the {limit // (1024 * 1024)} MB limit.")
    head = file.read(132)
    file.seek(0)
    content_type = filetypes.sniff(head)
    if content_type in (filetypes.PNG, filetypes.JPEG) and not filetypes.image_is_intact(file):
        content_type = None
    if content_type is None:
        raise ValidationError({"file": ["Only PDF, JPEG, PNG or DICOM files are accepted, and this file is none."]})
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    original = _safe_filename(file.name or "")
    file.name = "upload" + filetypes.EXTENSIONS[content_type]  # the stored name comes from the content, not the client
    return Document.objects.create(
        owner=owner,
        file=file,
        title=title,
        document_type=document_type,
        description=description,
        appointment=appointment,
        original_filename=original,
        content_type=content_type,
        size=file.size,
        sha256=digest.hexdigest(),
    )


@transaction.atomic
def document_open(*, user: User, document_id, ip: str | None, action: str) -> Document:
    """Check access and write the access-log row in one transaction. Refused reads are not logged (they 404)."""
    document = documents_visible_to(user).filter(pk=document_id).first()
    if document is None:
        raise NotFound("Document not found.")
    consent = None if document.owner_id == user.pk else consent_used(user=user, document=document)
    DocumentAccessLog.objects.create(document=document, accessed_by=user, ip_address=ip, action=action, consent=consent)
    return document


@transaction.atomic
def document_delete(*, document: Document) -> None:
    """Soft delete; every open or granted consent on it ends now."""
    now = timezone.now()
    document.is_deleted, document.deleted_at = True, now
    document.save(update_fields=["is_deleted", "deleted_at"])
    document.consents.filter(status__in=[ConsentStatus.PENDING, ConsentStatus.GRANTED]).update(
        status=ConsentStatus.REVOKED, actioned_at=now
    )


def _check_expiry(expires_at: datetime) -> datetime:
    now = timezone.now()
    if expires_at <= now:
        raise ValidationError({"expires_at": ["The expiry must be in the future."]})
    max_days = settings.DOCUMENT_CONSENT_MAX_DAYS
    if max_days and expires_at > now + timedelta(days=max_days):
        raise ValidationError({"expires_at": [f"Access can be given for at most {max_days} days."]})
    return expires_at


@transaction.atomic
def consent_request(*, user: User, document_id, purpose: str, expires_at: datetime | None = None) -> DocumentConsent:
    doctor = doctor_profile_of(user)
    if doctor is None or not active_doctor_memberships().filter(user_id=user.pk).exists():
        raise PermissionDenied("Only doctors working at an active clinic can request access to documents.")
    document = Document.objects.filter(pk=document_id, is_deleted=False).first()
    if document is None:
        raise NotFound("Document not found.")
    if expires_at is None:
        expires_at = timezone.now() + timedelta(days=settings.DOCUMENT_CONSENT_DEFAULT_DAYS)
    try:
        with transaction.atomic():
            return DocumentConsent.objects.create(
                document=document, doctor=doctor, purpose=purpose, expires_at=_check_expiry(expires_at)
            )
    except IntegrityError:
        raise Conflict("You already have a pending request for this document.") from None


CONSENT_ACTIONS = {  # action: (required current status, new status)
    "grant": (ConsentStatus.PENDING, ConsentStatus.GRANTED),
    "reject": (ConsentStatus.PENDING, ConsentStatus.REJECTED),
    "revoke": (ConsentStatus.GRANTED, ConsentStatus.REVOKED),
}


def allowed_consent_actions(current: str) -> list[str]:
    return [action for action, (required, _) in CONSENT_ACTIONS.items() if required == current]


@transaction.atomic
def consent_act(*, consent: DocumentConsent, action: str, expires_at: datetime | None = None) -> DocumentConsent:
    """The patient's answer. On grant the patient may also choose (shorten or extend) how long access lasts."""
    consent = DocumentConsent.objects.select_for_update().get(pk=consent.pk)
    required, new = CONSENT_ACTIONS[action]
    if consent.status != required:
        allowed = allowed_consent_actions(consent.status)
        hint = f"Allowed: {', '.join(allowed)}." if allowed else "No further action is possible."
        raise Conflict(f"Cannot {action} a consent that is {consent.status}. {hint}")
    if action == "grant":
        if expires_at is not None:
            consent.expires_at = _check_expiry(expires_at)
        elif consent.expires_at <= timezone.now():
            raise Conflict("This request has expired. The doctor needs to ask again.")
    consent.status, consent.actioned_at = new, timezone.now()
    consent.save(update_fields=["status", "actioned_at", "expires_at"])
    return consent
