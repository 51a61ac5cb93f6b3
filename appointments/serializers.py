from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.models import Clinic
from doctors.models import DoctorProfile
from users.serializers import UserBriefSerializer
from users.validators import contact_as_int

from .models import Actor, AppointmentMode, AppointmentStatus, AppointmentType
from .services import APPOINTMENT_MOVES


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
        return {"id": str(patient.id), "name": patient.name, "contact": contact_as_int(patient.contact)}


# The same JSON from `.values(*LIST_COLUMNS)` rows, for the lists (RowsListMixin); DRF's own fields format values.
LIST_COLUMNS = (
    "id",
    "doctor_id",
    "doctor__user__name",
    "doctor__specialty",
    "clinic_id",
    "clinic__name",
    "clinic__city",
    "appointment_date",
    "appointment_time",
    "appointment_type",
    "status",
    "mode",
    "notes",
    "fee_charged",
    "created_at",
)
DOCTOR_LIST_COLUMNS = (*LIST_COLUMNS, "patient_id", "patient__name", "patient__contact")
_FORMAT = {
    name: AppointmentSerializer._declared_fields[name]
    for name in ("appointment_date", "appointment_time", "fee_charged", "created_at")
}


def appointment_rows_json(rows: list[dict]) -> list[dict]:
    result = []
    for row in rows:
        item = {
            "id": row["id"],
            "doctor": {
                "id": row["doctor_id"],
                "user": {"name": row["doctor__user__name"]},
                "specialty": row["doctor__specialty"],
            },
            "clinic": {"id": str(row["clinic_id"]), "name": row["clinic__name"], "city": row["clinic__city"]},
            "appointment_date": None,
            "appointment_time": None,
            "appointment_type": row["appointment_type"],
            "status": row["status"],
            "mode": row["mode"],
            "notes": row["notes"],
            "fee_charged": None,
            "created_at": None,
        }
        for name, field in _FORMAT.items():
            item[name] = field.to_representation(row[name])
        if "patient_id" in row:
            item["patient"] = {
                "id": str(row["patient_id"]),
                "name": row["patient__name"],
                "contact": contact_as_int(row["patient__contact"]),
            }
        result.append(item)
    return result


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
        choices=[new for (_, new), actors in APPOINTMENT_MOVES.items() if Actor.PATIENT in actors],
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
