from pathlib import PurePath

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from appointments.models import Appointment
from clinic.serializers import AdmissionDocumentTypeSerializer
from doctors.models import Specialty
from QuickCare.serializers import DateTimeField, SynonymChoiceField
from users.models import User, role_key
from users.serializers import UserBriefSerializer

from .links import download_link
from .models import (
    AccessReason,
    AdmissionSubmission,
    ConsentEvent,
    ConsentStatus,
    Document,
    DocumentAccessLog,
    DocumentConsent,
    DocumentType,
    EmergencyAccess,
)
from .services import (
    CONSENT_ACTION_SYNONYMS,
    CONSENT_ACTIONS,
    EMERGENCY_REASON_MIN_LENGTH,
    EMERGENCY_REASON_TOO_SHORT,
)


class _PersonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class _AccessorSerializer(_PersonSerializer):
    role = serializers.SerializerMethodField()

    def get_role(self, user) -> str:
        return role_key(user.roles_id)


def caller_link(request, document_id) -> str:
    """The caller's signed download link to a document, absolute (documents.links)."""
    return request.build_absolute_uri(download_link(document_id=document_id, user_id=request.user.pk))


@extend_schema_field(serializers.URLField())
class DownloadLinkField(serializers.Field):
    """The caller's signed download link to the document whose id is at `source`: every answer that carries one
    builds it here (a consent's conditional link calls `caller_link` itself)."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, document_id) -> str:
        return caller_link(self.context["request"], document_id)


class DocumentSerializer(serializers.ModelSerializer):
    file = DownloadLinkField(
        source="pk",
        help_text="A signed download link for the caller, usable without a header for DOCUMENT_LINK_SECONDS "
        "(default 300); the same path with a Bearer token and no `sig` works too.",
    )
    owner = _PersonSerializer(read_only=True)
    patient = _PersonSerializer(source="owner", read_only=True, help_text="The same person as `owner`.")
    created_at = serializers.DateTimeField(source="uploaded_at", read_only=True, help_text="Same as `uploaded_at`.")
    uploaded_by = _PersonSerializer(read_only=True, help_text="The owner, or the clinic's doctor or lab member.")

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "document_type",
            "description",
            "appointment",
            "file",
            "original_filename",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "created_at",
            "owner",
            "patient",
            "uploaded_by",
            "uploaded_by_role",
        ]
        read_only_fields = fields


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(max_length=255, allow_empty_file=True)  # emptiness gets its own message
    title = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Default: the file's name without its extension."
    )
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    appointment = serializers.PrimaryKeyRelatedField(
        queryset=Appointment.objects.all(),
        required=False,
        allow_null=True,
        help_text="One of the appointments of the document's owner.",
    )
    patient_id = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text="A doctor or lab member adding to the records of a patient they treat (contract 2.4).",
    )

    def validate(self, attrs):
        if not attrs.get("title"):  # some forms send none (contract row 1.10)
            attrs["title"] = (PurePath(attrs["file"].name or "").stem or "Document")[:200]
        owner = attrs.get("patient_id") or self.context["request"].user
        appointment = attrs.get("appointment")
        if appointment is not None and appointment.patient_id != owner.pk:
            raise serializers.ValidationError({"appointment": ["Not one of the appointments of the document's owner."]})
        return attrs


class PrescriptionUploadSerializer(DocumentUploadSerializer):
    """`POST /api/prescriptions/`: a doctor's upload with the type fixed (contract 2.4)."""

    document_type = None
    patient_id = None
    patient = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))

    def validate(self, attrs):
        attrs["patient_id"], attrs["document_type"] = attrs.pop("patient"), DocumentType.PRESCRIPTION
        return super().validate(attrs)


class ConsentRequestSerializer(serializers.Serializer):
    document = serializers.UUIDField()
    purpose = serializers.CharField(max_length=500)
    expires_at = DateTimeField(required=False, allow_null=True)


class ConsentSerializer(serializers.ModelSerializer):
    """Every consent answer (request, both lists, action; contract row 1.12), from `selectors.consents_shown`.
    `doctor` is the doctor profile's id as in the spec; who, where and what sit beside it."""

    status = serializers.SerializerMethodField()
    document_title = serializers.CharField(source="document.title")
    document_type = serializers.ChoiceField(source="document.document_type", choices=DocumentType.choices)
    doctor_name = serializers.CharField(source="doctor.user.name")
    doctor_specialty = serializers.ChoiceField(source="doctor.specialty", choices=Specialty.choices, allow_blank=True)
    clinic_names = serializers.SerializerMethodField(help_text="The asking doctor's active clinics.")
    patient = _PersonSerializer(source="document.owner")
    created_at = serializers.DateTimeField(source="requested_at", help_text="Same as `requested_at`.")
    file = serializers.SerializerMethodField(
        help_text="To the consent's doctor, while it opens the document: its signed download link. Otherwise null."
    )

    class Meta:
        model = DocumentConsent
        fields = [
            "id",
            "document",
            "document_title",
            "document_type",
            "doctor",
            "doctor_name",
            "doctor_specialty",
            "clinic_names",
            "patient",
            "status",
            "purpose",
            "expires_at",
            "requested_at",
            "created_at",
            "actioned_at",
            "file",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=ConsentStatus.choices))
    def get_status(self, consent) -> str:
        return consent.effective_status  # "expired" once past expires_at

    def get_clinic_names(self, consent) -> list[str]:
        return [membership.clinic.name for membership in consent.doctor.user.active_clinics]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_file(self, consent) -> str | None:
        request = self.context["request"]
        if not consent.opens_now or consent.doctor.user_id != request.user.pk:
            return None
        return caller_link(request, consent.document_id)


class ConsentActionSerializer(serializers.Serializer):
    action = SynonymChoiceField(
        choices=list(CONSENT_ACTIONS), synonyms=CONSENT_ACTION_SYNONYMS, help_text="Also granted, rejected, revoked."
    )
    expires_at = DateTimeField(required=False, allow_null=True, help_text="Optional, with grant only.")


class _EventActorSerializer(_PersonSerializer):
    role = serializers.CharField(help_text="The role they acted in, as it was then.")


class ConsentEventSerializer(serializers.ModelSerializer):
    """One row of `GET /api/documents/consent/<id>/history/`. The expiry is written when first observed, by nobody
    (`by` is null)."""

    by = serializers.SerializerMethodField()

    class Meta:
        model = ConsentEvent
        fields = ["id", "kind", "status", "at", "by", "expires_at", "note"]
        read_only_fields = fields

    @extend_schema_field(_EventActorSerializer(allow_null=True))
    def get_by(self, event) -> dict | None:
        if event.actor is None:
            return None
        return {"id": str(event.actor.pk), "name": event.actor.name, "role": event.actor_role}


class AccessLogSerializer(serializers.ModelSerializer):
    accessed_by = _AccessorSerializer(read_only=True)
    document_title = serializers.CharField(source="document.title", read_only=True)
    reason = serializers.SerializerMethodField(help_text="Why this person could open it.")

    class Meta:
        model = DocumentAccessLog
        fields = [
            "id",
            "document",
            "document_title",
            "accessed_by",
            "accessed_at",
            "ip_address",
            "action",
            "reason",
            "consent",
            "admission_submission",
            "emergency_access",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=AccessReason.choices))
    def get_reason(self, log) -> str:
        return log.reason


class PatientDocumentsQuerySerializer(serializers.Serializer):
    patient_id = serializers.UUIDField()


class CareDocumentSerializer(serializers.ModelSerializer):
    """A document as listed to a doctor treating its owner: no file, no link (contract 2.3)."""

    created_at = serializers.DateTimeField(source="uploaded_at")
    consent_status = serializers.ChoiceField(choices=ConsentStatus.choices, allow_null=True)

    class Meta:
        model = Document
        fields = ["id", "title", "document_type", "uploaded_by_role", "created_at", "consent_status"]
        read_only_fields = fields


class PatientDocumentsSerializer(serializers.Serializer):
    patient = UserBriefSerializer()
    total = serializers.IntegerField()
    documents = CareDocumentSerializer(many=True)


class _ClinicBriefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class AdmissionSubmitSerializer(serializers.Serializer):
    document = serializers.UUIDField(help_text="One of the caller's own documents.")
    document_type = serializers.UUIDField(help_text="An item of this clinic's admission checklist.")
    notes = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class AdmissionSubmissionSerializer(serializers.ModelSerializer):
    """A document handed to a clinic for admission (contract 2.6), from `selectors.admission_submissions_shown`.
    `document` and `document_type` are ids, as in the request; their names sit beside them."""

    clinic = _ClinicBriefSerializer()
    patient = _PersonSerializer()
    document_title = serializers.CharField(source="document.title")
    document_type_name = serializers.CharField(source="document_type.name")
    file = DownloadLinkField(source="document_id", help_text="The document's signed download link for the caller.")

    class Meta:
        model = AdmissionSubmission
        fields = [
            "id",
            "clinic",
            "patient",
            "document",
            "document_title",
            "document_type",
            "document_type_name",
            "notes",
            "submitted_at",
            "file",
        ]
        read_only_fields = fields


class AdmissionChecklistItemSerializer(AdmissionDocumentTypeSerializer):
    """A checklist item as the patient sees it, from `selectors.admission_checklist`: whether they submitted a
    document for it, which one (`document`, its id), and the submission to withdraw (`submission_id`)."""

    is_uploaded = serializers.SerializerMethodField()
    document = serializers.UUIDField(source="submitted_document_id", allow_null=True, read_only=True)
    submission_id = serializers.UUIDField(allow_null=True, read_only=True)

    class Meta(AdmissionDocumentTypeSerializer.Meta):
        fields = [*AdmissionDocumentTypeSerializer.Meta.fields, "is_uploaded", "document", "submission_id"]
        read_only_fields = fields

    def get_is_uploaded(self, item) -> bool:
        return item.submission_id is not None


class AdmissionChecklistSerializer(serializers.Serializer):
    """`GET /api/clinics/<id>/admission-docs/patient/`: the checklist in two parts."""

    clinic = _ClinicBriefSerializer()
    mandatory_documents = AdmissionChecklistItemSerializer(many=True)
    optional_documents = AdmissionChecklistItemSerializer(many=True)


class AdmissionChecklistBriefSerializer(AdmissionChecklistItemSerializer):
    """`GET /api/appointments/my/clinics/<clinic_id>/admission-docs/`: the same items in the mobile app's shape."""

    is_required = serializers.BooleanField(source="is_mandatory", read_only=True)

    class Meta(AdmissionChecklistItemSerializer.Meta):
        fields = ["id", "name", "description", "is_required", "is_uploaded"]
        read_only_fields = fields


class EmergencyAccessRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(
        min_length=EMERGENCY_REASON_MIN_LENGTH,
        max_length=1000,
        error_messages={"min_length": EMERGENCY_REASON_TOO_SHORT},
        help_text="The patient reads it.",
    )


class EmergencyAccessSerializer(serializers.ModelSerializer):
    """An emergency access (contract 5.5), with the caller's signed link to the document while it lasts."""

    document_title = serializers.CharField(source="document.title")
    patient = _PersonSerializer(source="document.owner")
    file = DownloadLinkField(source="document_id")

    class Meta:
        model = EmergencyAccess
        fields = ["id", "document", "document_title", "patient", "reason", "granted_at", "expires_at", "file"]
        read_only_fields = fields


class _EventDocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()


class PatientEventSerializer(serializers.Serializer):
    """One row of `GET /api/users/me/access-log/` (schema only: documents.access_events builds it)."""

    at = serializers.DateTimeField()
    event = serializers.ChoiceField(choices=["document_view", "document_download", "document_listed", "patient_lookup"])
    by = _AccessorSerializer()
    clinic = _ClinicBriefSerializer(allow_null=True)
    document = _EventDocumentSerializer(allow_null=True)
    why = serializers.ChoiceField(choices=[*AccessReason.values, "lookup"])
    emergency_reason = serializers.CharField(allow_null=True)
    ip_address = serializers.IPAddressField(allow_null=True)
