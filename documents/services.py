import hashlib
from datetime import datetime, timedelta
from pathlib import PurePath

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from rest_framework.exceptions import NotFound, PermissionDenied, Throttled, ValidationError

from appointments.selectors import care_appointments, care_clinics
from clinic.models import AdmissionDocumentType, Clinic
from doctors.selectors import active_doctor_memberships, doctor_profile_of
from notifications.models import Kind
from notifications.services import notify
from notifications.templates import ANSWERS
from QuickCare.exceptions import Conflict, PayloadTooLarge
from users.models import RoleId, User, role_key

from . import filetypes
from .models import (
    AccessAction,
    AdmissionSubmission,
    ConsentEvent,
    ConsentEventKind,
    ConsentStatus,
    Document,
    DocumentAccessLog,
    DocumentConsent,
    EmergencyAccess,
    UploaderRole,
)
from .selectors import documents_visible_to


def _safe_filename(name: str) -> str:
    name = PurePath(name.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return name[:255] or "document"


def _check_quota(*, owner: User, size: int) -> None:
    quota = settings.DOCUMENT_QUOTA_BYTES
    if not quota:
        return
    used = Document.objects.filter(owner=owner, is_deleted=False).aggregate(total=Sum("size"))["total"] or 0
    if used + size > quota:
        raise PayloadTooLarge(
            f"This would take your documents past their {quota // (1024 * 1024)} MB of storage. "
            "Delete documents you no longer need, or ask your clinic."
        )


@transaction.atomic
def document_upload(
    *,
    owner: User,
    file,
    title: str,
    document_type: str,
    description: str = "",
    appointment=None,
    uploaded_by: User | None = None,
    uploaded_by_role: str = UploaderRole.PATIENT,
    clinic_id=None,
):
    """Into `owner`'s records: their own upload, or a clinic's doctor or lab member's (document_upload_for_patient)."""
    if file.size == 0:
        raise ValidationError({"file": ["The file is empty."]})
    limit = settings.DOCUMENT_MAX_UPLOAD_BYTES
    if file.size > limit:
        raise PayloadTooLarge(f"The file is larger than the {limit // (1024 * 1024)} MB limit.")
    User.objects.select_for_update().filter(pk=owner.pk).first()  # one upload at a time per owner: the quota holds
    _check_quota(owner=owner, size=file.size)
    content_type = filetypes.identify(file)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    original = _safe_filename(file.name or "")
    file.name = "upload" + filetypes.EXTENSIONS[content_type]  # the stored name comes from the content, not the client
    return Document.objects.create(
        owner=owner,
        uploaded_by=uploaded_by or owner,
        uploaded_by_role=uploaded_by_role,
        clinic_id=clinic_id,
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


UPLOADER_ROLES = {RoleId.DOCTOR: UploaderRole.DOCTOR, RoleId.LAB_MEMBER: UploaderRole.LAB_MEMBER}


@transaction.atomic
def document_upload_for_patient(*, staff: User, patient: User, **upload) -> Document:
    """A doctor or lab member puts a report or prescription into the records of a patient they treat (contract
    2.4): the care relationship decides, through the clinic of the patient's latest appointment with them there."""
    role = UPLOADER_ROLES.get(staff.roles_id)
    care = care_appointments(staff=staff, patient_id=patient.pk).order_by("-appointment_date", "-appointment_time")
    clinic_id = care.values_list("clinic_id", flat=True).first() if role else None
    if clinic_id is None or patient.pk == staff.pk:
        raise PermissionDenied("You can add documents only to the records of patients you treat at your clinic.")
    document = document_upload(owner=patient, uploaded_by=staff, uploaded_by_role=role, clinic_id=clinic_id, **upload)
    context = {"uploader": staff.name, "clinic": Clinic.objects.get(pk=clinic_id).name, "document": document.title}
    notify(recipient=patient, kind=Kind.DOCUMENT_UPLOADED, context=context)
    return document


def document_for(*, user: User, document_id) -> Document:
    """May this person open this document now? The one access rule (documents_visible_to), as a 404 when not."""
    document = documents_visible_to(user).filter(pk=document_id).first()
    if document is None:
        raise NotFound("Document not found.")
    return document


@transaction.atomic
def document_open(*, user: User, document_id, ip: str | None, action: str) -> Document:
    """Check access and write the access-log row in one transaction. Refused reads are not logged (they 404)."""
    document = document_for(user=user, document_id=document_id)
    if document.owner_id != user.pk:  # the patient hears of it: one message per person, patient and day
        day = timezone.localdate().isoformat()
        notify(
            recipient=document.owner,
            kind=Kind.DOCUMENT_OPENED,
            context={"opener": user.name},
            dedupe_key=f"opened:{user.pk}:{document.owner_id}:{day}",
        )
    _access_row(document, user=user, ip=ip, action=action).save()
    return document


def _access_row(document: Document, *, user: User, ip: str | None, action: str) -> DocumentAccessLog:
    """One access-log row, unsaved, naming the grant the one access rule found (documents_visible_to's
    annotations: a consent, an admission submission or an emergency access; none for the owner or the uploader)."""
    return DocumentAccessLog(
        document=document,
        accessed_by=user,
        ip_address=ip,
        action=action,
        consent_id=document.consent_id_used,
        admission_submission_id=document.admission_id_used,
        emergency_access_id=document.emergency_id_used,
    )


def through(document: Document, *, consent=None, admission=None) -> Document:
    """`document` marked as reached through this grant, as documents_visible_to would annotate it: for answers that
    list documents from their grant's side (a doctor's consents, a clinic's admission submissions)."""
    document.consent_id_used = getattr(consent, "pk", None)
    document.admission_id_used = getattr(admission, "pk", None)
    document.emergency_id_used = None
    return document


def documents_listed(*, user: User, documents: list[Document], ip: str | None) -> None:
    """A list shows titles, descriptions, file names and hashes: every other person's document in it gets a `list`
    row in its access log (one INSERT for the page). The caller's own documents are not logged."""
    DocumentAccessLog.objects.bulk_create(
        [
            _access_row(document, user=user, ip=ip, action=AccessAction.LIST)
            for document in documents
            if document.owner_id != user.pk
        ]
    )


def _consent_event(consent: DocumentConsent, kind: str, *, by: User, note: str = "") -> ConsentEvent:
    """One row of a consent's history (contract 5.3), unsaved: the caller writes it in its own transaction."""
    return ConsentEvent(
        consent=consent,
        kind=kind,
        status=consent.status,
        actor=by,
        actor_role=role_key(by.roles_id),
        expires_at=consent.expires_at,
        note=note,
        at=consent.actioned_at or consent.requested_at or timezone.now(),
    )


@transaction.atomic
def document_delete(*, document: Document, by: User) -> None:
    """Soft delete; every open or granted consent on it ends now (each change kept in its history), and so does every
    admission submission of it."""
    now = timezone.now()
    document.is_deleted, document.deleted_at = True, now
    document.save(update_fields=["is_deleted", "deleted_at"])
    document.admission_submissions.filter(withdrawn_at__isnull=True).update(withdrawn_at=now)
    ending = list(
        document.consents.select_for_update().filter(status__in=[ConsentStatus.PENDING, ConsentStatus.GRANTED])
    )
    for consent in ending:
        consent.status, consent.actioned_at = ConsentStatus.REVOKED, now
    DocumentConsent.objects.bulk_update(ending, ["status", "actioned_at"])
    ConsentEvent.objects.bulk_create(
        _consent_event(consent, ConsentEventKind.REVOKED, by=by, note="The document was deleted.") for consent in ending
    )


def _check_expiry(expires_at: datetime) -> datetime:
    now = timezone.now()
    if expires_at <= now:
        raise ValidationError({"expires_at": ["The expiry must be in the future."]})
    max_days = settings.DOCUMENT_CONSENT_MAX_DAYS
    if max_days and expires_at > now + timedelta(days=max_days):
        raise ValidationError({"expires_at": [f"Access can be given for at most {max_days} days."]})
    return expires_at


def _check_rerequest_cooldown(*, doctor, document: Document) -> None:
    days = settings.CONSENT_REREQUEST_DAYS
    if not days:
        return
    since = timezone.now() - timedelta(days=days)
    refused = document.consents.filter(doctor=doctor, status=ConsentStatus.REJECTED, actioned_at__gt=since)
    last = refused.order_by("-actioned_at").values_list("actioned_at", flat=True).first()
    if last is not None:
        again = timezone.localtime(last + timedelta(days=days))
        raise Conflict(f"The patient declined this request. You can ask again from {again:%Y-%m-%d %H:%M}.")


@transaction.atomic
def consent_request(*, user: User, document_id, purpose: str, expires_at: datetime | None = None) -> DocumentConsent:
    doctor = doctor_profile_of(user)
    if doctor is None or not active_doctor_memberships().filter(user_id=user.pk).exists():
        raise PermissionDenied("Only doctors working at an active clinic can request access to documents.")
    document = Document.objects.filter(pk=document_id, is_deleted=False).first()
    if document is None:
        raise NotFound("Document not found.")
    _check_rerequest_cooldown(doctor=doctor, document=document)
    if expires_at is None:
        expires_at = timezone.now() + timedelta(days=settings.DOCUMENT_CONSENT_DEFAULT_DAYS)
    try:
        with transaction.atomic():
            consent = DocumentConsent.objects.create(
                document=document, doctor=doctor, purpose=purpose, expires_at=_check_expiry(expires_at)
            )
    except IntegrityError:
        raise Conflict("You already have a pending request for this document.") from None
    _consent_event(consent, ConsentEventKind.REQUESTED, by=user).save()
    context = {"doctor": user.name, "document": document.title, "purpose": purpose}
    notify(recipient=document.owner, kind=Kind.CONSENT_REQUESTED, context=context)
    return consent


CONSENT_ACTIONS = {  # action: (statuses it may start from, new status)
    # A patient may grant again what they rejected or revoked (contract row 1.2), with a new expiry.
    "grant": ({ConsentStatus.PENDING, ConsentStatus.REJECTED, ConsentStatus.REVOKED}, ConsentStatus.GRANTED),
    "reject": ({ConsentStatus.PENDING}, ConsentStatus.REJECTED),
    "revoke": ({ConsentStatus.GRANTED}, ConsentStatus.REVOKED),
}
# The spellings the web app sends (contract row 1.2).
CONSENT_ACTION_SYNONYMS = {"granted": "grant", "rejected": "reject", "revoked": "revoke"}


def allowed_consent_actions(current: str) -> list[str]:
    return [action for action, (required, _) in CONSENT_ACTIONS.items() if current in required]


@transaction.atomic
def consent_act(
    *, consent: DocumentConsent, action: str, by: User, expires_at: datetime | None = None
) -> DocumentConsent:
    """The patient's answer (`by`: the patient, or an operator acting for them). On grant the patient may also
    choose (shorten or extend) how long access lasts. The change and its history row commit together."""
    consent = (
        DocumentConsent.objects.select_for_update(of=("self",))
        .select_related("document__owner", "doctor__user")
        .get(pk=consent.pk)
    )
    required, new = CONSENT_ACTIONS[action]
    if consent.status not in required:
        allowed = allowed_consent_actions(consent.status)
        hint = f"Allowed: {', '.join(allowed)}." if allowed else "No further action is possible."
        raise Conflict(f"Cannot {action} a consent that is {consent.status}. {hint}")
    if action == "grant":
        if consent.document.is_deleted:
            raise Conflict("This document has been deleted; it cannot be shared.")
        if expires_at is not None:
            consent.expires_at = _check_expiry(expires_at)
        elif consent.status != ConsentStatus.PENDING:  # granted again: a fresh period, as on a first grant
            consent.expires_at = timezone.now() + timedelta(days=settings.DOCUMENT_CONSENT_DEFAULT_DAYS)
        elif consent.expires_at <= timezone.now():
            raise Conflict("This request has expired. The doctor needs to ask again.")
    kind = ConsentEventKind.REGRANTED if action == "grant" and consent.status != ConsentStatus.PENDING else new
    consent.status, consent.actioned_at = new, timezone.now()
    consent.save(update_fields=["status", "actioned_at", "expires_at"])
    _consent_event(consent, kind, by=by).save()
    context = {"patient": consent.document.owner.name, "document": consent.document.title, "answer": ANSWERS[new]}
    notify(recipient=consent.doctor.user, kind=Kind.CONSENT_ANSWERED, context=context)
    return consent


def admission_clinic(*, patient: User, clinic_id) -> Clinic:
    """An active clinic where the patient has a care relationship: unknown -> 404; one they have no appointment at (a
    public object) -> 403. The one check of the patient's admission endpoints."""
    clinic = Clinic.objects.filter(pk=clinic_id, is_active=True).first()
    if clinic is None:
        raise NotFound("Clinic not found.")
    if not care_clinics(patient=patient).filter(pk=clinic.pk).exists():
        raise PermissionDenied("You can send admission documents only to a clinic where you have an appointment.")
    return clinic


@transaction.atomic
def admission_submit(*, patient: User, clinic: Clinic, document_id, document_type_id, notes: str = ""):
    """Hand one of the patient's own documents to `clinic` for one item of its checklist (contract 2.6). A second
    submission for the same item replaces the first (which is withdrawn in the same transaction); the item's row
    lock orders two at once. An item of another clinic or a document of someone else is a 404."""
    item = (
        AdmissionDocumentType.objects.select_for_update()
        .filter(pk=document_type_id, clinic=clinic, is_active=True)
        .first()
    )
    if item is None:
        raise NotFound("This clinic has no such admission checklist item.")
    document = patient.documents.filter(pk=document_id, is_deleted=False).first()
    if document is None:
        raise NotFound("Document not found.")
    AdmissionSubmission.objects.filter(patient=patient, document_type=item, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now()
    )
    return AdmissionSubmission.objects.create(
        patient=patient, clinic=clinic, document_type=item, document=document, notes=notes
    )


def admission_withdraw(*, submission: AdmissionSubmission) -> None:
    """The patient takes a submission back: from now on the clinic's staff cannot open the document through it."""
    AdmissionSubmission.objects.filter(pk=submission.pk, withdrawn_at__isnull=True).update(withdrawn_at=timezone.now())


EMERGENCY_REASON_MIN_LENGTH = 20
EMERGENCY_REASON_TOO_SHORT = "Say why in at least 20 characters: it is shown to the patient."


@transaction.atomic
def emergency_access_open(*, doctor: User, document_id, reason: str) -> EmergencyAccess:
    """A doctor of a clinic opens a document without consent for an emergency (contract 5.5): a reason of at least
    20 characters (400), at most EMERGENCY_ACCESS_PER_DAY a day (429, counted under the doctor's row lock), off
    altogether with EMERGENCY_ACCESS_ENABLED=False (403). It opens for EMERGENCY_ACCESS_HOURS through the one access
    rule; the patient and the owners of the doctor's clinics are told at once."""
    if not settings.EMERGENCY_ACCESS_ENABLED:
        raise PermissionDenied("Emergency access is turned off on this service.")
    clinics = [m.clinic for m in active_doctor_memberships().filter(user_id=doctor.pk).select_related("clinic__owner")]
    if not clinics:
        raise PermissionDenied("Only a doctor of an active clinic can use emergency access.")
    reason = reason.strip()
    if len(reason) < EMERGENCY_REASON_MIN_LENGTH:
        raise ValidationError({"reason": [EMERGENCY_REASON_TOO_SHORT]})
    document = Document.objects.filter(pk=document_id, is_deleted=False).select_related("owner").first()
    if document is None:
        raise NotFound("Document not found.")
    if document.owner_id == doctor.pk:
        raise Conflict("This is your own document; open it as usual.")
    User.objects.select_for_update().filter(pk=doctor.pk).first()  # two at once count each other
    now = timezone.localtime()
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if (
        EmergencyAccess.objects.filter(doctor=doctor, granted_at__gte=start_of_day).count()
        >= settings.EMERGENCY_ACCESS_PER_DAY
    ):
        tomorrow = start_of_day + timedelta(days=1)
        raise Throttled(wait=(tomorrow - now).total_seconds())
    grant = EmergencyAccess.objects.create(
        document=document,
        doctor=doctor,
        reason=reason,
        expires_at=now + timedelta(hours=settings.EMERGENCY_ACCESS_HOURS),
    )
    until = timezone.localtime(grant.expires_at).strftime("%d-%m-%Y %H:%M")
    context = {"doctor": doctor.name, "document": document.title, "reason": reason, "until": until}
    notify(recipient=document.owner, kind=Kind.EMERGENCY_ACCESS, context=context)
    for owner in {clinic.owner_id: clinic.owner for clinic in clinics}.values():
        clinic_names = ", ".join(c.name for c in clinics if c.owner_id == owner.pk)
        notify(recipient=owner, kind=Kind.EMERGENCY_ACCESS_CLINIC, context={**context, "clinic": clinic_names})
    return grant


def document_viewed_in_admin(*, document: Document, operator: User, ip: str | None) -> None:
    """An operator opened a document's page in the admin (its metadata; the file has no admin link): logged like
    anyone's access, marked as the admin's, and shown to the patient (contract 5.2/5.4)."""
    DocumentAccessLog.objects.create(
        document=document, accessed_by=operator, ip_address=ip, action=AccessAction.VIEW, via_admin=True
    )
