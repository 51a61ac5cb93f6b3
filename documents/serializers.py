from pathlib import PurePath

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from appointments.models import Appointment
from doctors.models import Specialty
from QuickCare.serializers import DateTimeField, SynonymChoiceField
from users.models import role_key

from .models import ConsentStatus, Document, DocumentAccessLog, DocumentConsent, DocumentType
from .services import CONSENT_ACTION_SYNONYMS, CONSENT_ACTIONS


class _PersonSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class _AccessorSerializer(_PersonSerializer):
    role = serializers.SerializerMethodField()

    def get_role(self, user) -> str:
        return role_key(user.roles_id)


class DocumentSerializer(serializers.ModelSerializer):
    file = serializers.SerializerMethodField(help_text="The download URL (needs the same Bearer token).")
    owner = _PersonSerializer(read_only=True)
    patient = _PersonSerializer(source="owner", read_only=True, help_text="The same person as `owner`.")
    created_at = serializers.DateTimeField(source="uploaded_at", read_only=True, help_text="Same as `uploaded_at`.")

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
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_file(self, document) -> str:
        url = reverse("documents:download", args=[document.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(max_length=255, allow_empty_file=True)  # emptiness gets its own message
    title = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Default: the file's name without its extension."
    )
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    appointment = serializers.PrimaryKeyRelatedField(
        queryset=Appointment.objects.none(),
        required=False,
        allow_null=True,
        help_text="One of your own appointments.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")  # absent while the OpenAPI schema is generated
        if request is not None:
            self.fields["appointment"].queryset = Appointment.objects.filter(patient_id=request.user.pk)

    def validate(self, attrs):
        if not attrs.get("title"):  # some forms send none (contract row 1.10)
            attrs["title"] = (PurePath(attrs["file"].name or "").stem or "Document")[:200]
        return attrs


class ConsentRequestSerializer(serializers.Serializer):
    document = serializers.UUIDField()
    purpose = serializers.CharField(max_length=500)
    expires_at = DateTimeField(required=False, allow_null=True)


class ConsentSerializer(serializers.ModelSerializer):
    """The doctor's answer to a request: the spec's shape."""

    status = serializers.SerializerMethodField()

    class Meta:
        model = DocumentConsent
        fields = ["id", "document", "doctor", "status", "purpose", "expires_at", "requested_at", "actioned_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=ConsentStatus.choices))
    def get_status(self, consent) -> str:
        # Lists annotate `effective_status` ("expired" once past expires_at); a fresh request is simply pending.
        return getattr(consent, "effective_status", consent.status)


class _RequestingDoctorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="user.name")
    specialty = serializers.ChoiceField(choices=Specialty.choices)
    clinics = serializers.SerializerMethodField()

    def get_clinics(self, doctor) -> list[str]:
        return [membership.clinic.name for membership in doctor.user.active_clinics]


class PatientConsentSerializer(ConsentSerializer):
    """What a patient sees of a request: which doctor, from which clinics, asks for which document and why."""

    doctor = _RequestingDoctorSerializer(read_only=True)
    document_title = serializers.CharField(source="document.title", read_only=True)

    class Meta(ConsentSerializer.Meta):
        fields = [
            "id",
            "document",
            "document_title",
            "doctor",
            "status",
            "purpose",
            "expires_at",
            "requested_at",
            "actioned_at",
        ]
        read_only_fields = fields


class ConsentActionSerializer(serializers.Serializer):
    action = SynonymChoiceField(
        choices=list(CONSENT_ACTIONS), synonyms=CONSENT_ACTION_SYNONYMS, help_text="Also granted, rejected, revoked."
    )
    expires_at = DateTimeField(required=False, allow_null=True, help_text="Optional, with grant only.")


class ConsentActionResponseSerializer(serializers.ModelSerializer):
    class Meta:
        model = DocumentConsent
        fields = ["id", "status", "actioned_at", "expires_at"]
        read_only_fields = fields


class AccessLogSerializer(serializers.ModelSerializer):
    accessed_by = _AccessorSerializer(read_only=True)
    document_title = serializers.CharField(source="document.title", read_only=True)

    class Meta:
        model = DocumentAccessLog
        fields = ["id", "document", "document_title", "accessed_by", "accessed_at", "ip_address", "action"]
        read_only_fields = fields
