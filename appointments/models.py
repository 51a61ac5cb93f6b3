from django.conf import settings
from django.db import models
from django.db.models import Q


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
        ]
        indexes = [
            # The patient's list (?status=), and the doctor's day / range views and free-slot lookups.
            models.Index(fields=["patient", "status"]),
            models.Index(fields=["doctor", "appointment_date", "status"]),
        ]

    def __str__(self):
        return f"#{self.pk} {self.appointment_date} {self.appointment_time} ({self.status})"
