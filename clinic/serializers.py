from rest_framework import serializers

from QuickCare.serializers import TimeRangeMixin
from users.fields import ContactField, PincodeField
from users.models import User
from users.serializers import UserBriefSerializer

from .models import AdmissionDocumentType, Clinic, ClinicMember, ClinicTimeSlot, MemberRole

MAX_ONBOARDING_SLOTS = 50  # a week of opening hours is a handful of rows; thousands only cost a worker seconds


class TimeSlotSerializer(TimeRangeMixin, serializers.ModelSerializer):
    day_name = serializers.CharField(read_only=True)
    day_of_week = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday ... 6 = Sunday")
    slot_duration_minutes = serializers.IntegerField(min_value=5, max_value=240)
    max_appointments = serializers.IntegerField(min_value=1, max_value=1000)

    class Meta:
        model = ClinicTimeSlot
        fields = [
            "id",
            "day_of_week",
            "day_name",
            "start_time",
            "end_time",
            "slot_duration_minutes",
            "max_appointments",
            "is_active",
        ]
        read_only_fields = ["id", "day_name"]
        extra_kwargs = {"is_active": {"required": False}}


class ClinicSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)
    pincode = PincodeField()

    class Meta:
        model = Clinic
        fields = [
            "id",
            "name",
            "slug",
            "clinic_type",
            "phone",
            "email",
            "address",
            "city",
            "state",
            "pincode",
            "registration_number",
            "description",
            "grievance_officer_name",
            "grievance_contact",
            "is_active",
            "member_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "slug", "is_active", "created_at", "updated_at"]
        extra_kwargs = {"clinic_type": {"required": True}, "description": {"max_length": 5000}}


class PublicClinicSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Clinic
        fields = ["id", "name", "slug", "clinic_type", "city", "phone", "member_count"]
        read_only_fields = fields


PUBLIC_CLINIC_COLUMNS = ("id", "name", "slug", "clinic_type", "city", "phone", "member_count")


def public_clinic_rows_json(rows: list[dict]) -> list[dict]:
    """The one builder of PublicClinicSerializer's shape, from `.values(*PUBLIC_CLINIC_COLUMNS)` rows of
    `clinics_with_member_count()`: plain dicts, several times cheaper than the serializer (bench/README.md)."""
    return [{**row, "id": str(row["id"])} for row in rows]


class ClinicBriefSerializer(serializers.ModelSerializer):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Clinic
        fields = ["id", "name", "slug", "clinic_type", "city", "member_count"]
        read_only_fields = fields


class ClinicOnboardingSerializer(ClinicSerializer):
    time_slots = TimeSlotSerializer(many=True, required=False, max_length=MAX_ONBOARDING_SLOTS)

    class Meta(ClinicSerializer.Meta):
        fields = [*ClinicSerializer.Meta.fields, "time_slots"]


class ClinicOnboardingResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    clinic = ClinicBriefSerializer()
    time_slots = TimeSlotSerializer(many=True)


class MemberSerializer(serializers.ModelSerializer):
    user = UserBriefSerializer(read_only=True)

    class Meta:
        model = ClinicMember
        fields = ["id", "user", "member_role", "status", "department", "joined_at", "left_at", "notes"]
        read_only_fields = ["id", "user", "joined_at", "left_at"]
        extra_kwargs = {
            "notes": {"max_length": 2000},
            "status": {"help_text": "`inactive` ends the membership as DELETE does; `active` reactivates it."},
        }


class MemberCreateSerializer(serializers.Serializer):
    contact = ContactField()
    name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Required when the number has no account yet."
    )
    member_role = serializers.ChoiceField(choices=MemberRole.choices)
    department = serializers.CharField(max_length=100, required=False, allow_blank=True)
    joined_at = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class MemberCreatedSerializer(MemberSerializer):
    """The spec's member object, with `account_created` (true when the person had no account, contract 2.1) and
    `_info`, who was told what (never the temporary password)."""

    account_created = serializers.BooleanField()
    _info = serializers.CharField()

    class Meta(MemberSerializer.Meta):
        fields = [*MemberSerializer.Meta.fields, "account_created", "_info"]
        read_only_fields = fields


class InviteResentSerializer(serializers.Serializer):
    message = serializers.CharField()
    _info = serializers.CharField()


class MembershipSerializer(serializers.ModelSerializer):
    clinic_name = serializers.CharField(source="clinic.name", read_only=True)

    class Meta:
        model = ClinicMember
        fields = ["id", "clinic", "clinic_name", "member_role", "status", "department", "joined_at"]
        read_only_fields = fields


class PatientLookupQuerySerializer(serializers.Serializer):
    contact = ContactField()


class PatientCardSerializer(serializers.ModelSerializer):
    """What clinic staff see of a patient they looked up (contract 2.2)."""

    contact = ContactField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "name", "contact", "gender", "age", "blood_group"]
        read_only_fields = fields


class AdmissionDocumentTypeSerializer(serializers.ModelSerializer):
    """An admission checklist item (contract 2.6)."""

    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    class Meta:
        model = AdmissionDocumentType
        fields = ["id", "name", "description", "is_mandatory"]
        read_only_fields = ["id"]
