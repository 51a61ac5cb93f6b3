import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from users.models import Channel, Language


class Kind(models.TextChoices):
    """Every message the clinic sends a person (contract section 4); templates.TEMPLATES has each one's words."""

    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_CANCELLED = "booking_cancelled"
    BOOKING_RESCHEDULED = "booking_rescheduled"
    REMINDER = "reminder"
    CONSENT_REQUESTED = "consent_requested"
    CONSENT_ANSWERED = "consent_answered"
    STAFF_INVITATION = "staff_invitation"
    MEMBER_ADDED = "member_added"
    WALK_IN_BOOKED = "walk_in_booked"
    DOCUMENT_UPLOADED = "document_uploaded"
    DOCUMENT_OPENED = "document_opened"
    SLOT_FREED = "slot_freed"
    EMERGENCY_ACCESS = "emergency_access"  # to the patient
    EMERGENCY_ACCESS_CLINIC = "emergency_access_clinic"  # to the owners of the doctor's clinics


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued"  # waiting to be sent (a reminder until its time; a failed send until its retry)
    SENT = "sent"
    FAILED = "failed"  # given up: a permanent provider error, no number, or NOTIFY_MAX_ATTEMPTS reached
    CANCELLED = "cancelled"  # a reminder whose appointment was cancelled or moved before it went out


class Notification(models.Model):
    """One message to one person: written in the transaction of what caused it, sent by a task after the commit
    (services.notify, tasks.deliver_notification), readable by its recipient in `GET /api/users/me/notifications/`.
    Never holds an OTP or a password."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    template_id = models.CharField(max_length=50, blank=True, help_text="The DLT template id (SMS_DLT_TEMPLATE_*).")
    language = models.CharField(max_length=2, choices=Language.choices)
    title = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    send_after = models.DateTimeField(null=True, blank=True, help_text="A reminder's time; null: at once.")
    next_attempt_at = models.DateTimeField(null=True, blank=True, help_text="After a failed attempt: the retry.")
    claimed_until = models.DateTimeField(null=True, blank=True, help_text="A worker is sending it until then.")
    enqueued_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=100, blank=True)
    sent_channel = models.CharField(
        max_length=10, choices=Channel.choices, blank=True, help_text="SMS after a fallback."
    )
    error = models.CharField(max_length=300, blank=True, help_text="Why the last attempt failed.")
    # One message per key: a document-opened alert per doctor, patient and day; a reminder per appointment and time.
    dedupe_key = models.CharField(max_length=120, blank=True)
    appointment = models.ForeignKey(
        "appointments.Appointment", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"], condition=~Q(dedupe_key=""), name="one_notification_per_key"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "created_at"]),  # the recipient's list
            models.Index(fields=["status", "send_after"]),  # the sweep and /api/health/
        ]

    def __str__(self):
        return f"{self.kind} to {self.recipient_id} ({self.status})"
