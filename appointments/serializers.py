from rest_framework import serializers

from clinic.models import Clinic
from doctors.models import DoctorProfile
from users.serializers import UserBriefSerializer

from .models import Appointment, AppointmentMode, AppointmentStatus, AppointmentType


class _DoctorUserSerializer(serializers.Serializer):
    name = serializers.CharField()


class AppointmentDoctorSerializer(serializers.ModelSerializer):
    user = _DoctorUserSerializer()

    class Meta:
        model = DoctorProfile
        fields = ["id", "user", "specialty"]


class AppointmentClinicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Clinic
        fields = ["id", "name", "city"]


class AppointmentSerializer(serializers.ModelSerializer):
    doctor = AppointmentDoctorSerializer(read_only=True)
    clinic = AppointmentClinicSerializer(read_only=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "doctor",
            "clinic",
            "appointment_date",
            "appointment_time",
            "appointment_type",
            "status",
            "mode",
            "notes",
            "fee_charged",
            "created_at",
        ]
        read_only_fields = fields


class DoctorAppointmentSerializer(AppointmentSerializer):
    """The doctor's view also says who the patient is."""

    patient = UserBriefSerializer(read_only=True)

    class Meta(AppointmentSerializer.Meta):
        fields = [*AppointmentSerializer.Meta.fields, "patient"]
        read_only_fields = fields


class BookingSerializer(serializers.Serializer):
    doctor = serializers.PrimaryKeyRelatedField(queryset=DoctorProfile.objects.all())
    appointment_date = serializers.DateField()
    appointment_time = serializers.TimeField()
    appointment_type = serializers.ChoiceField(choices=AppointmentType.choices, default=AppointmentType.FIRST_VISIT)
    mode = serializers.ChoiceField(choices=AppointmentMode.choices, default=AppointmentMode.IN_CLINIC)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    clinic = serializers.PrimaryKeyRelatedField(
        queryset=Clinic.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Optional: inferred from the doctor's hours that contain the time.",
    )


class PatientStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[AppointmentStatus.CANCELLED],
        error_messages={"invalid_choice": 'Patients can only cancel: send {{"status": "cancelled"}}.'},
    )


class DoctorStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AppointmentStatus.choices)


class FreeSlotsQuerySerializer(serializers.Serializer):
    date = serializers.DateField()
    clinic_id = serializers.UUIDField(required=False)


class FreeSlotsSerializer(serializers.Serializer):
    doctor = serializers.IntegerField()
    date = serializers.DateField()
    available_slots = serializers.ListField(child=serializers.CharField(), help_text='"HH:MM" start times')
