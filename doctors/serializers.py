from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.models import Clinic
from QuickCare.serializers import DecimalField, TimeRangeMixin
from users import serializers as users_serializers
from users.serializers import UserBriefSerializer

from .models import DoctorAvailability, DoctorLeave, DoctorProfile, Specialty, Weekday
from .selectors import clinics_of


class DoctorClinicSerializer(serializers.Serializer):
    clinic_id = serializers.UUIDField(source="clinic.id")
    clinic_name = serializers.CharField(source="clinic.name")
    city = serializers.CharField(source="clinic.city")
    department = serializers.CharField()


class DoctorListSerializer(serializers.ModelSerializer):
    """The doctor card's shape, for the OpenAPI schema only: doctors.selectors.doctor_cards builds every card."""

    user = UserBriefSerializer(read_only=True)
    clinics = DoctorClinicSerializer(many=True, read_only=True, source="user.active_clinics")

    class Meta:
        model = DoctorProfile
        fields = [
            "id",
            "user",
            "specialty",
            "qualification",
            "experience_years",
            "first_visit_fee",
            "follow_up_fee",
            "offers_video_consultation",
            "clinics",
        ]
        read_only_fields = fields


class DoctorDetailSerializer(DoctorListSerializer):
    class Meta(DoctorListSerializer.Meta):
        fields = [*DoctorListSerializer.Meta.fields, "registration_number", "biography", "languages"]
        read_only_fields = fields


class MyDoctorProfileSerializer(serializers.ModelSerializer):
    user = UserBriefSerializer(read_only=True)
    clinics = serializers.SerializerMethodField(help_text="In the public list's shape (contract row 1.4).")
    first_visit_fee = DecimalField(max_digits=10, decimal_places=2, min_value=0, max_value=1_000_000)
    follow_up_fee = DecimalField(max_digits=10, decimal_places=2, min_value=0, max_value=1_000_000)
    experience_years = serializers.IntegerField(min_value=0, max_value=80)

    class Meta:
        model = DoctorProfile
        fields = [
            "id",
            "user",
            "specialty",
            "qualification",
            "registration_number",
            "experience_years",
            "biography",
            "languages",
            "first_visit_fee",
            "follow_up_fee",
            "offers_video_consultation",
            "clinics",
            "updated_at",
        ]
        read_only_fields = ["id", "user", "clinics", "updated_at"]
        extra_kwargs = {"biography": {"max_length": 5000}}

    @extend_schema_field(DoctorClinicSerializer(many=True))
    def get_clinics(self, profile) -> list[dict]:
        return clinics_of([profile.user_id])[profile.user_id]


class AvailabilitySerializer(TimeRangeMixin, serializers.ModelSerializer):
    clinic = serializers.PrimaryKeyRelatedField(
        queryset=Clinic.objects.filter(is_active=True),
        required=False,
        help_text="Optional when the doctor is a doctor of exactly one clinic (contract row 1.5).",
    )
    clinic_name = serializers.CharField(source="clinic.name", read_only=True)
    day = serializers.ChoiceField(choices=Weekday.choices)
    slot_duration_minutes = serializers.IntegerField(min_value=5, max_value=240)
    max_patients = serializers.IntegerField(min_value=1, max_value=500)

    class Meta:
        model = DoctorAvailability
        fields = [
            "id",
            "clinic",
            "clinic_name",
            "day",
            "start_time",
            "end_time",
            "slot_duration_minutes",
            "max_patients",
            "is_active",
        ]
        read_only_fields = ["id", "clinic_name"]
        extra_kwargs = {"is_active": {"required": False}}


class LeaveSerializer(serializers.ModelSerializer):
    clinic = serializers.PrimaryKeyRelatedField(
        queryset=Clinic.objects.filter(is_active=True), required=False, allow_null=True
    )

    cancel_appointments = serializers.BooleanField(
        write_only=True, default=False, help_text="Cancel the upcoming appointments that fall in the leave."
    )

    class Meta:
        model = DoctorLeave
        fields = ["id", "clinic", "start_date", "end_date", "reason", "cancel_appointments", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate(self, attrs):
        if attrs["end_date"] < attrs["start_date"]:
            raise serializers.ValidationError({"end_date": ["The leave cannot end before it starts."]})
        return attrs


class MemberOnboardingSerializer(users_serializers.MemberOnboardingSerializer):
    """The account's fields, and a doctor's own profile fields (ignored for other roles)."""

    specialty = serializers.ChoiceField(choices=Specialty.choices, required=False)
    qualification = serializers.CharField(max_length=200, required=False, allow_blank=True)
    experience_years = serializers.IntegerField(min_value=0, max_value=80, required=False)
    registration_number = serializers.CharField(max_length=100, required=False, allow_blank=True)
