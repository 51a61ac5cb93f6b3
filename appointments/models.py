import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from QuickCare.chain import ChainedLog


class AppointmentStatus(models.TextChoices):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# Statuses that hold a slot; cancelling (or any final status) frees it.
ACTIVE_STATUSES = (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED)


class Actor(models.TextChoices):
    """Who moves an appointment (appointments.services.APPOINTMENT_MOVES says who may make which move)."""

    PATIENT = "patient"
    DOCTOR = "doctor"
    OPERATOR = "operator"  # staff in the Django admin
    DESK = "desk"  # the clinic's owner or a receptionist (contract 2.5): moves as the doctor may


class AppointmentType(models.TextChoices):
    FIRST_VISIT = "first_visit"
    FOLLOW_UP = "follow_up"


class AppointmentMode(models.TextChoices):
    IN_CLINIC = "in_clinic"
    VIDEO = "video"


class Appointment(models.Model):
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments")
    doctor = models.ForeignKey("doctors.DoctorProfile", on_delete=models.PROTECT, related_name="appointments")
    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.PROTECT, related_name="appointments")
    appointment_date = models.DateField()
    appointment_time = models.TimeField()
    appointment_type = models.CharField(max_length=20, choices=AppointmentType.choices)
    mode = models.CharField(max_length=20, choices=AppointmentMode.choices, default=AppointmentMode.IN_CLINIC)
    status = models.CharField(max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.PENDING)
    notes = models.TextField(blank=True)
    cancellation_reason = models.CharField(max_length=500, blank=True)
    fee_charged = models.DecimalField(max_digits=10, decimal_places=2)  # the doctor's fee at booking time
    # Who made the booking when it was not the patient: the clinic's owner or receptionist at the desk (contract 2.5).
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Who made the last status change (the patient, the doctor, the desk or an operator); null until one is made.
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The OPD token (contract section 3): 1, 2, 3, ... per doctor, clinic and date in booking order, never reused.
    token_number = models.PositiveIntegerField()
    checked_in_at = models.DateTimeField(null=True, blank=True)  # the patient arrived (the desk or the doctor)
    called_at = models.DateTimeField(null=True, blank=True)  # the doctor called them in (queue/next)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-appointment_date", "-appointment_time"]
        constraints = [
            # The backstop against double booking: one active appointment per doctor, date and time.
            models.UniqueConstraint(
                fields=["doctor", "appointment_date", "appointment_time"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="one_active_booking_per_doctor_slot",
            ),
            # Tokens are handed out under the doctor row lock (services.appointment_book); this is the backstop.
            models.UniqueConstraint(
                fields=["doctor", "clinic", "appointment_date", "token_number"], name="one_token_per_doctor_clinic_day"
            ),
        ]
        indexes = [
            # The patient's list (?status=), and the doctor's day / range views and free-slot lookups.
            models.Index(fields=["patient", "status"]),
            models.Index(fields=["doctor", "appointment_date", "status"]),
        ]

    def __str__(self):
        return f"#{self.pk} {self.appointment_date} {self.appointment_time} ({self.status})"


class HistoryEvent(models.TextChoices):
    BOOKED = "booked"
    STATUS = "status"  # from_status -> to_status
    RESCHEDULED = "rescheduled"  # from_date/from_time -> to_date/to_time
    CHECKED_IN = "checked_in"
    CALLED = "called"  # the doctor called the patient in (queue/next)


class AppointmentHistory(ChainedLog):
    """Append-only and tamper-evident (QuickCare.chain): one row for every change of an appointment's status, time
    or check-in (contract section 3), written by the service call that makes the change, in its transaction, with
    who made it."""

    CHAIN_FIELDS = (
        "appointment_id",
        "event",
        "at",
        "by_id",
        "by_role",
        "from_status",
        "to_status",
        "from_date",
        "from_time",
        "to_date",
        "to_time",
        "reason",
        "chain_owner_id",
        "chain_seq",
        "prev_hash",
    )

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="history")
    event = models.CharField(max_length=20, choices=HistoryEvent.choices)
    at = models.DateTimeField(default=timezone.now, editable=False)  # hashed (QuickCare.chain): set before save
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    by_role = models.CharField(max_length=20, help_text="The role they acted in then: patient, doctor, operator, ...")
    from_status = models.CharField(max_length=20, choices=AppointmentStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=AppointmentStatus.choices)
    from_date = models.DateField(null=True, blank=True)
    from_time = models.TimeField(null=True, blank=True)
    to_date = models.DateField()
    to_time = models.TimeField()
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["chain_owner", "chain_seq"], name="appointmenthistory_chain_position")
        ]

    def __str__(self):
        return f"#{self.appointment_id} {self.event} at {self.at:%Y-%m-%d %H:%M}"

    def chain_owner_of(self):
        return self.appointment.patient_id


class IdempotencyKey(models.Model):
    """A booking or reschedule sent with an `Idempotency-Key` header (contract section 3): the first answer, kept
    for IDEMPOTENCY_KEY_HOURS (24) and given again to a replay of the same request by the same user."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body.")
    status_code = models.PositiveSmallIntegerField()
    body = models.TextField(help_text="The answer as it was sent (JSON).")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_user")]

    def __str__(self):
        return f"{self.user_id}: {self.key}"


class WaitlistEntry(models.Model):
    """A patient waiting for a time to free up with a doctor on a day (contract section 4): when a booked time of
    that day frees, the waiting patients are told, in the order they joined."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries")
    doctor = models.ForeignKey("doctors.DoctorProfile", on_delete=models.CASCADE, related_name="waitlist_entries")
    clinic = models.ForeignKey("clinic.Clinic", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When a freed time was last offered.")

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "doctor", "date"], name="one_waitlist_entry_per_day"),
        ]
        indexes = [models.Index(fields=["doctor", "date"])]

    def __str__(self):
        return f"{self.patient_id} waits for {self.doctor_id} on {self.date}"
