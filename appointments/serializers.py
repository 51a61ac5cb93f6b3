from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.models import Clinic
from doctors.models import DoctorProfile
from users.serializers import UserBriefSerializer

from .models import AppointmentMode, AppointmentStatus, AppointmentType


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


class AppointmentSerializer(serializers.Serializer):
    """Appointment lists are hot: plain declared fields (a ModelSerializer introspects the model each time it is
    built) and nested objects built as dicts (the two serializers above document their shape)."""

    id = serializers.IntegerField(read_only=True)
    doctor = serializers.SerializerMethodField()
    clinic = serializers.SerializerMethodField()
    appointment_date = serializers.DateField(read_only=True)
    appointment_time = serializers.TimeField(read_only=True)
    appointment_type = serializers.ChoiceField(choices=AppointmentType.choices, read_only=True)
    status = serializers.ChoiceField(choices=AppointmentStatus.choices, read_only=True)
    mode = serializers.ChoiceField(choices=AppointmentMode.choices, read_only=True)
    notes = serializers.CharField(read_only=True)
    fee_charged = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(AppointmentDoctorSerializer)
    def get_doctor(self, appointment) -> dict:
        doctor = appointment.doctor
        return {"id": doctor.id, "user": {"name": doctor.user.name}, "specialty": doctor.specialty}

    @extend_schema_field(AppointmentClinicSerializer)
    def get_clinic(self, appointment) -> dict:
        clinic = appointment.clinic
        return {"id": str(clinic.id), "name": clinic.name, "city": clinic.city}


class DoctorAppointmentSerializer(AppointmentSerializer):
    """The doctor's view also says who the patient is."""

    patient = serializers.SerializerMethodField()

    @extend_schema_field(UserBriefSerializer)
    def get_patient(self, appointment) -> dict:
        patient = appointment.patient
        return {"id": str(patient.id), "name": patient.name, "contact": int(patient.contact)}


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
