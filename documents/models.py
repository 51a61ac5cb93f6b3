import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils import timezone

from QuickCare.chain import ChainedLog


def document_storage():
    return storages["documents"]


def document_path(instance, filename: str) -> str:
    """A random name: never the client's filename (that is kept in `original_filename` only)."""
    return f"documents/{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}{PurePosixPath(filename).suffix.lower()}"


class DocumentType(models.TextChoices):
    PRESCRIPTION = "prescription"
    LAB_REPORT = "lab_report"
    IMAGING = "imaging"
    DISCHARGE_SUMMARY = "discharge_summary"
    INSURANCE = "insurance"
    OTHER = "other"


class UploaderRole(models.TextChoices):
    PATIENT = "patient"
    DOCTOR = "doctor"
    LAB_MEMBER = "lab_member"


class Document(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="documents")
    # Who put it in the owner's records: the owner themselves, or a doctor or lab member of a clinic (contract 2.4).
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_by_role = models.CharField(max_length=20, choices=UploaderRole.choices, default=UploaderRole.PATIENT)
    # The clinic a staff upload came through: the uploader opens it only while a doctor or lab member there.
    clinic = models.ForeignKey("clinic.Clinic", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=document_path, storage=document_storage, max_length=200)
    title = models.CharField(max_length=200)
    document_type = models.CharField(max_length=20, choices=DocumentType.choices)
    description = models.TextField(blank=True)
    appointment = models.ForeignKey(
        "appointments.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    original_filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        indexes = [models.Index(fields=["owner", "is_deleted", "document_type"])]  # the patient's list

    def __str__(self):
        return self.title


class ConsentStatus(models.TextChoices):
    PENDING = "pending"
    GRANTED = "granted"
    REJECTED = "rejected"
    REVOKED = "revoked"
    EXPIRED = "expired"  # never stored: shown for a pending or granted consent whose expires_at has passed


class DocumentConsent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="consents")
    doctor = models.ForeignKey("doctors.DoctorProfile", on_delete=models.CASCADE, related_name="document_consents")
    status = models.CharField(max_length=10, choices=ConsentStatus.choices, default=ConsentStatus.PENDING)
    purpose = models.CharField(max_length=500)
    expires_at = models.DateTimeField()
    requested_at = models.DateTimeField(auto_now_add=True)
    actioned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            # One open request per doctor and document; the service answers a second one with 409.
            models.UniqueConstraint(
                fields=["document", "doctor"], condition=Q(status="pending"), name="one_pending_consent_per_doctor"
            ),
        ]
        # "Which documents may this doctor open now?" runs on every doctor read.
        indexes = [models.Index(fields=["doctor", "status", "expires_at"])]

    def __str__(self):
        return f"{self.doctor_id} -> {self.document_id} ({self.status})"


class AdmissionSubmission(models.Model):
    """A patient handed one of their documents to a clinic for one item of its admission checklist (contract 2.6):
    while not withdrawn, the clinic's owner, receptionists and doctors may open it (documents_visible_to)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.PROTECT, related_name="admission_submissions")
    document_type = models.ForeignKey(
        "clinic.AdmissionDocumentType", on_delete=models.PROTECT, related_name="submissions"
    )
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="admission_submissions")
    notes = models.CharField(max_length=1000, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            # One open submission per patient and checklist item: a new one replaces it (services.admission_submit).
            models.UniqueConstraint(
                fields=["patient", "document_type"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_open_admission_submission_per_item",
            ),
        ]
        indexes = [models.Index(fields=["document", "withdrawn_at"])]  # "who may open this document?"

    def __str__(self):
        return f"{self.document_id} for {self.document_type_id}"


class AccessAction(models.TextChoices):
    LIST = "list"  # another person's document shown in a list (its title, description, file name, hash)
    VIEW = "view"
    DOWNLOAD = "download"


class AccessReason(models.TextChoices):
    """Why a log row's person could open the document: never stored, read from the row (AccessLogSerializer)."""

    OWNER = "owner"  # the patient themselves
    EMERGENCY = "emergency"  # a doctor, through `emergency_access` (contract 5.5)
    OPERATOR = "operator"  # QuickCare support, in the admin
    CONSENT = "consent"  # a doctor, through `consent`
    ADMISSION = "admission"  # the clinic's staff, through `admission_submission` (contract 2.6)
    UPLOADER = "uploader"  # the doctor or lab member who put it in the patient's records (contract 2.4)


class EmergencyAccess(models.Model):
    """A doctor opened a document without consent, giving a reason (contract 5.5): it opens for
    EMERGENCY_ACCESS_HOURS, the patient and the doctor's clinic owners are told at once, and every access through
    it is logged with it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="emergency_accesses")
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=1000)
    granted_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["doctor", "document", "expires_at"])]

    def __str__(self):
        return f"{self.doctor_id} -> {self.document_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class DocumentAccessLog(ChainedLog):
    """Append-only and tamper-evident (QuickCare.chain): written by `documents.services.document_open` and
    `documents_listed`, never changed or deleted (admin is read-only; PostgreSQL refuses it)."""

    CHAIN_FIELDS = (
        "id",
        "document_id",
        "accessed_by_id",
        "accessed_at",
        "ip_address",
        "action",
        "consent_id",
        "admission_submission_id",
        "emergency_access_id",
        "chain_owner_id",
        "chain_seq",
        "prev_hash",
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="access_logs")
    accessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accessed_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)  # hashed: set before save
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    action = models.CharField(max_length=10, choices=AccessAction.choices)
    consent = models.ForeignKey(DocumentConsent, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    admission_submission = models.ForeignKey(
        AdmissionSubmission, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    emergency_access = models.ForeignKey(
        EmergencyAccess, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    via_admin = models.BooleanField(default=False, help_text="An operator opened it in the admin.")

    class Meta:
        ordering = ["-accessed_at"]
        constraints = [
            models.UniqueConstraint(fields=["chain_owner", "chain_seq"], name="documentaccesslog_chain_position")
        ]

    def __str__(self):
        return f"{self.accessed_by_id} {self.action} {self.document_id} at {self.accessed_at:%Y-%m-%d %H:%M}"

    def chain_owner_of(self):
        return self.document.owner_id

    @property
    def reason(self) -> str:
        """Why this person could open the document (AccessReason): the one reading of a row, for every answer."""
        if self.via_admin:
            return AccessReason.OPERATOR
        if self.consent_id:
            return AccessReason.CONSENT
        if self.admission_submission_id:
            return AccessReason.ADMISSION
        if self.emergency_access_id:
            return AccessReason.EMERGENCY
        return AccessReason.OWNER if self.accessed_by_id == self.document.owner_id else AccessReason.UPLOADER


class ConsentEventKind(models.TextChoices):
    REQUESTED = "requested"
    GRANTED = "granted"
    REJECTED = "rejected"
    REVOKED = "revoked"
    REGRANTED = "regranted"  # granted again after a rejection or revocation
    EXPIRED = "expired"  # stored when first observed, at expires_at (selectors.consent_history)


class ConsentEvent(models.Model):
    """Append-only history of one consent (contract 5.3), written by the service call that makes the change, in its
    transaction: who did it, with which role, and the expiry the consent had afterwards."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    consent = models.ForeignKey(DocumentConsent, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=10, choices=ConsentEventKind.choices)
    status = models.CharField(max_length=10, choices=ConsentStatus.choices, help_text="The consent's status after it.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_role = models.CharField(max_length=20, help_text="patient, doctor, operator, ...")
    expires_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(fields=["consent"], condition=Q(kind="expired"), name="one_expiry_per_consent")
        ]

    def __str__(self):
        return f"{self.consent_id} {self.kind} at {self.at:%Y-%m-%d %H:%M}"
