from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic.models import Clinic
from doctors.models import DoctorProfile
from users.fields import ContactField
from users.models import User
from users.permissions import PERSON_ROLES
from users.serializers import UserBriefSerializer
from users.validators import contact_as_int

from .models import Actor, AppointmentHistory, AppointmentMode, AppointmentStatus, AppointmentType, WaitlistEntry
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
    """The appointment's shape, for the OpenAPI schema only: `appointment_rows_json` builds every answer."""

    id = serializers.IntegerField()
    doctor = AppointmentDoctorSerializer()
    clinic = AppointmentClinicSerializer()
    appointment_date = serializers.DateField()
    appointment_time = serializers.TimeField()
    appointment_type = serializers.ChoiceField(choices=AppointmentType.choices)
    status = serializers.ChoiceField(choices=AppointmentStatus.choices)
    mode = serializers.ChoiceField(choices=AppointmentMode.choices)
    notes = serializers.CharField()
    cancellation_reason = serializers.CharField()
    fee_charged = serializers.DecimalField(max_digits=10, decimal_places=2)
    token_number = serializers.IntegerField(help_text="The OPD token: 1, 2, 3, ... per doctor, clinic and date.")
    checked_in_at = serializers.DateTimeField(allow_null=True, help_text="When the patient was checked in.")
    called_at = serializers.DateTimeField(allow_null=True, help_text="When the doctor called them in.")
    created_at = serializers.DateTimeField()


class DoctorAppointmentSerializer(AppointmentSerializer):
    """The doctor's view also says who the patient is (schema only)."""

    patient = UserBriefSerializer()


# The columns `appointment_rows_json` reads; the doctor's lists add the patient.
COLUMNS = (
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
    "cancellation_reason",
    "fee_charged",
    "token_number",
    "checked_in_at",
    "called_at",
    "created_at",
)
DOCTOR_COLUMNS = (*COLUMNS, "patient_id", "patient__name", "patient__contact")
_DATETIME = serializers.DateTimeField()  # DRF's formatting of an instant: clinic-local, ISO 8601


def _instant(value):
    return None if value is None else _DATETIME.to_representation(value)


def appointment_rows_json(rows: list[dict]) -> list[dict]:
    """The one builder of the appointment shape (AppointmentSerializer / DoctorAppointmentSerializer)."""
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
            "appointment_date": row["appointment_date"].isoformat(),
            "appointment_time": row["appointment_time"].isoformat(),
            "appointment_type": row["appointment_type"],
            "status": row["status"],
            "mode": row["mode"],
            "notes": row["notes"],
            "cancellation_reason": row["cancellation_reason"],
            "fee_charged": f"{row['fee_charged']:.2f}",
            "token_number": row["token_number"],
            "checked_in_at": _instant(row["checked_in_at"]),
            "called_at": _instant(row["called_at"]),
            "created_at": _DATETIME.to_representation(row["created_at"]),
        }
        if "patient_id" in row:
            item["patient"] = {
                "id": str(row["patient_id"]),
                "name": row["patient__name"],
                "contact": contact_as_int(row["patient__contact"]),
            }
        result.append(item)
    return result


class BookingSerializer(serializers.Serializer):
    """The spec's booking body; `reason` is accepted as `notes` (contract row 1.16)."""

    def to_internal_value(self, data):
        if hasattr(data, "get") and "notes" not in data and "reason" in data:
            data = {**data, "notes": data["reason"]}
        return super().to_internal_value(data)

    # The doctor's id; the booking service reads the doctor once, under its row lock (a missing one is a 400 here).
    doctor = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
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

    def booking(self) -> dict:
        """The validated body as appointment_book's arguments (the clinic and the patient are the caller's)."""
        data = self.validated_data
        return {
            "doctor": data["doctor"],
            "on": data["appointment_date"],
            "at": data["appointment_time"],
            "appointment_type": data["appointment_type"],
            "mode": data["mode"],
            "notes": data.get("notes", ""),
        }


class DeskBookingSerializer(BookingSerializer):
    """A booking at the clinic's desk (contract 2.5), at this clinic: for a patient's account (`patient_id`), or a
    walk-in by `contact` (and `name` when the number has no account yet)."""

    clinic = None  # the clinic of the URL
    patient_id = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, roles_id__in=PERSON_ROLES),
        required=False,
        help_text="The patient's account id.",
    )
    contact = ContactField(required=False, help_text="A walk-in's number, instead of patient_id.")
    name = serializers.CharField(max_length=100, required=False, help_text="A walk-in's name, for a new number.")

    def validate(self, attrs):
        if ("patient_id" in attrs) == ("contact" in attrs):
            raise serializers.ValidationError(
                {"patient_id": ["Give the patient's account id, or a walk-in's contact (and name), not both."]}
            )
        return attrs


class ClinicDayQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="Default: today in clinic time.")
    status = serializers.ChoiceField(choices=AppointmentStatus.choices, required=False)
    doctor_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)


class _DaySummarySerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    confirmed = serializers.IntegerField()
    completed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    no_show = serializers.IntegerField()
    total = serializers.IntegerField()


class ClinicDaySerializer(serializers.Serializer):
    """The dashboard's shape, for the OpenAPI schema only (appointments/views.py ClinicDashboardView builds it)."""

    clinic = serializers.CharField()
    date = serializers.DateField()
    summary = _DaySummarySerializer()
    appointments = DoctorAppointmentSerializer(many=True)


class PatientStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[new for (_, new), actors in APPOINTMENT_MOVES.items() if Actor.PATIENT in actors],
        error_messages={"invalid_choice": 'Patients can only cancel: send {{"status": "cancelled"}}.'},
    )
    cancellation_reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class DoctorStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AppointmentStatus.choices)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, help_text="With completed.")
    cancellation_reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class FreeSlotsQuerySerializer(serializers.Serializer):
    date = serializers.DateField()
    clinic_id = serializers.UUIDField(required=False)


class FreeSlotsSerializer(serializers.Serializer):
    doctor = serializers.IntegerField()
    date = serializers.DateField()
    available_slots = serializers.ListField(child=serializers.CharField(), help_text='"HH:MM" start times')


class CareClinicSerializer(AppointmentClinicSerializer):
    """`GET /api/appointments/my/clinics/`: a clinic where the patient has a care relationship."""

    class Meta(AppointmentClinicSerializer.Meta):
        fields = [*AppointmentClinicSerializer.Meta.fields, "clinic_type"]
        read_only_fields = fields


class RescheduleSerializer(serializers.Serializer):
    appointment_date = serializers.DateField()
    appointment_time = serializers.TimeField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class _HistoryActorSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    role = serializers.CharField(help_text="The role they acted in then: patient, doctor, receptionist, ...")


class AppointmentHistorySerializer(serializers.ModelSerializer):
    """One row of an appointment's history (contract section 3), oldest first. `event` says what changed."""

    by = serializers.SerializerMethodField()
    from_status = serializers.SerializerMethodField()

    class Meta:
        model = AppointmentHistory
        fields = [
            "at",
            "event",
            "by",
            "from_status",
            "to_status",
            "from_date",
            "from_time",
            "to_date",
            "to_time",
            "reason",
        ]
        read_only_fields = fields

    @extend_schema_field(_HistoryActorSerializer(allow_null=True))
    def get_by(self, row) -> dict | None:
        if row.by is None:
            return None
        return {"id": str(row.by.pk), "name": row.by.name, "role": row.by_role}

    @extend_schema_field(serializers.ChoiceField(choices=AppointmentStatus.choices, allow_null=True))
    def get_from_status(self, row) -> str | None:
        return row.from_status or None  # null on the booking row


class QueueQuerySerializer(serializers.Serializer):
    clinic_id = serializers.UUIDField(required=False, help_text="Required when the doctor works at several clinics.")
    date = serializers.DateField(required=False, help_text="Default: today in clinic time.")


class QueueNextSerializer(serializers.Serializer):
    clinic_id = serializers.UUIDField(required=False, help_text="Required when the doctor works at several clinics.")


class QueueSerializer(serializers.Serializer):
    """The doctor's queue (schema only: QueueView builds it)."""

    now_serving = serializers.IntegerField(allow_null=True)
    waiting = DoctorAppointmentSerializer(many=True)
    not_arrived = serializers.IntegerField()


class QueuePositionSerializer(serializers.Serializer):
    token_number = serializers.IntegerField()
    now_serving = serializers.IntegerField(allow_null=True)
    ahead_of_you = serializers.IntegerField()
    estimated_wait_minutes = serializers.IntegerField()


class WaitlistSerializer(serializers.ModelSerializer):
    """A place on a doctor's waitlist for a day (contract section 4): `POST {"doctor", "date", "clinic"?}`."""

    doctor = serializers.IntegerField(source="doctor_id", min_value=1, max_value=2**63 - 1)
    doctor_name = serializers.CharField(source="doctor.user.name", read_only=True)
    clinic = serializers.UUIDField(
        source="clinic_id", required=False, allow_null=True, help_text="Any of theirs if absent."
    )

    class Meta:
        model = WaitlistEntry
        fields = ["id", "doctor", "doctor_name", "clinic", "date", "created_at", "notified_at"]
        read_only_fields = ["id", "doctor_name", "created_at", "notified_at"]
