"""The one pipeline for everything the clinic tells a person (contract section 4).

`notify` writes the row in the caller's transaction and enqueues its delivery on commit; `deliver` (the task) claims
the row with a conditional update, so a task that runs twice sends once, sends outside any transaction, and
records the outcome: sent, a retry with exponential backoff, or failed. `sweep` (run by the worker every
NOTIFY_SWEEP_SECONDS) enqueues what is due and was never enqueued or whose task was lost: reminders whose time has
come, retries, and rows a killed worker had claimed."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Min, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from users.models import User

from . import channels
from .models import DeliveryStatus, Kind, Notification
from .templates import DLT_TEMPLATE_IDS, render

logger = logging.getLogger("quickcare.notifications")


def _row(*, recipient: User, kind: str, context: dict, **fields) -> Notification:
    """An unsaved message. One that is due at once is written as enqueued: its task goes when the caller commits
    (`_enqueue_on_commit`), so no UPDATE follows the commit; if that task is lost, the sweep sends it after
    NOTIFY_LEASE_SECONDS like any lost task."""
    title, body = render(kind, recipient.preferred_language, context)
    now = timezone.now()
    if fields.get("send_after") is None or fields["send_after"] <= now:
        fields.setdefault("enqueued_at", now)
    return Notification(
        recipient=recipient,
        kind=kind,
        channel=recipient.preferred_channel,
        template_id=DLT_TEMPLATE_IDS[kind],
        language=recipient.preferred_language,
        title=title,
        body=body,
        **fields,
    )


def _enqueue_on_commit(rows: list[Notification]) -> None:
    due = [row.pk for row in rows if row.enqueued_at is not None]
    if due:
        transaction.on_commit(lambda: _send_tasks(due))


def notify(*, recipient: User, kind: str, context: dict, dedupe_key: str = "", **fields) -> Notification | None:
    """Write one message for `recipient` (in their language, for their channel) and, after the caller's transaction
    commits, enqueue its delivery (a `send_after` in the future waits for the sweep). A `dedupe_key` that already
    has a message makes none (None)."""
    row = _row(recipient=recipient, kind=kind, context=context, dedupe_key=dedupe_key, **fields)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # the key's message exists (one per doctor, patient and day)
        return None
    _enqueue_on_commit([row])
    return row


def notify_all(messages: list[dict]) -> list[Notification]:
    """`notify` for several messages without keys, in one INSERT (a booking's confirmation and its reminders)."""
    rows = Notification.objects.bulk_create([_row(**message) for message in messages])
    _enqueue_on_commit(rows)
    return rows


def record_sent(*, recipient: User, kind: str, context: dict, sent: bool, error: str = "") -> Notification:
    """A message that had to go out at once, synchronously, because it carried a secret (a staff invitation's
    temporary password): the row keeps the words without the secret and the outcome, for the recipient's list."""
    title, body = render(kind, recipient.preferred_language, context)
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        channel="sms",
        sent_channel="sms",
        template_id=DLT_TEMPLATE_IDS[kind],
        language=recipient.preferred_language,
        title=title,
        body=body,
        status=DeliveryStatus.SENT if sent else DeliveryStatus.FAILED,
        attempts=1,
        error=error[:300],
        sent_at=timezone.now() if sent else None,
    )


def _enqueue(ids: list) -> None:
    Notification.objects.filter(pk__in=ids).update(enqueued_at=timezone.now())
    _send_tasks(ids)


def _send_tasks(ids: list) -> None:
    from .tasks import deliver_notification  # the task module imports this one

    for notification_id in ids:
        deliver_notification.enqueue(str(notification_id))


def _due(now: datetime):
    """Queued rows whose time has come, no retry is pending and nobody is sending."""
    return Notification.objects.filter(
        Q(send_after__isnull=True) | Q(send_after__lte=now),
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        status=DeliveryStatus.QUEUED,
    )


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: NOTIFY_BACKOFF_SECONDS, doubled each time."""
    return timedelta(seconds=settings.NOTIFY_BACKOFF_SECONDS * 2 ** (attempts - 1))


def deliver(notification_id) -> str:
    """Send one message if it is due and nobody else is sending it; answers what became of it. The claim is one
    conditional UPDATE (autocommit), so of two workers given the same row only one sends; the send itself runs
    outside any transaction."""
    now = timezone.now()
    claimed = (
        _due(now)
        .filter(pk=notification_id)
        .update(claimed_until=now + timedelta(seconds=settings.NOTIFY_LEASE_SECONDS), attempts=F("attempts") + 1)
    )
    if not claimed:
        return "not due"
    row = Notification.objects.select_related("recipient").get(pk=notification_id)
    recipient = row.recipient
    if not recipient.contact or not recipient.is_active:
        return _finish(row, DeliveryStatus.FAILED, error="The recipient has no phone number to send to.")
    try:
        provider_id, used = channels.send(
            channel=row.channel,
            contact=recipient.contact,
            message=row.body,  # the title is for the app's list; a text message is the body alone
            template_id=row.template_id,
            reference=str(row.pk),
        )
    except channels.PermanentSendError as exc:
        return _finish(row, DeliveryStatus.FAILED, error=str(exc))
    except channels.SendError as exc:
        if row.attempts >= settings.NOTIFY_MAX_ATTEMPTS:
            return _finish(row, DeliveryStatus.FAILED, error=f"{exc} Gave up after {row.attempts} attempts.")
        Notification.objects.filter(pk=row.pk).update(
            claimed_until=None, next_attempt_at=timezone.now() + backoff(row.attempts), error=str(exc)[:300]
        )
        return "retry"
    return _finish(row, DeliveryStatus.SENT, provider_message_id=provider_id or "", sent_channel=used)


def _finish(row: Notification, status: str, **fields) -> str:
    if status == DeliveryStatus.SENT:
        fields["sent_at"] = timezone.now()
    if "error" in fields:
        fields["error"] = fields["error"][:300]
        logger.warning("Notification %s failed: %s", row.pk, fields["error"])
    Notification.objects.filter(pk=row.pk).update(status=status, claimed_until=None, **fields)
    return status


def sweep(*, requeue_after_seconds: int | None = None) -> int:
    """Enqueue every due row that no task is known to hold: never enqueued (a reminder whose time came, a retry),
    or enqueued longer ago than NOTIFY_LEASE_SECONDS without being sent (its task was lost). Answers how many."""
    now = timezone.now()
    lost = now - timedelta(seconds=requeue_after_seconds or settings.NOTIFY_LEASE_SECONDS)
    due = _due(now).filter(
        Q(enqueued_at__isnull=True)
        | Q(enqueued_at__lt=lost)
        | Q(next_attempt_at__isnull=False, enqueued_at__lt=F("next_attempt_at"))
    )
    ids = list(due.order_by("created_at").values_list("pk", flat=True)[:500])
    if ids:
        _enqueue(ids)
    return len(ids)


def queue_health() -> dict:
    """For /api/health/: how long the oldest due message has waited, and how many have failed."""
    now = timezone.now()
    waiting = Notification.objects.filter(
        Q(send_after__isnull=True) | Q(send_after__lte=now),
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        status=DeliveryStatus.QUEUED,
    )
    since = waiting.aggregate(oldest=Min(Greatest("created_at", Coalesce("send_after", "created_at"))))["oldest"]
    age = int((now - since).total_seconds()) if since else 0
    failed = Notification.objects.filter(status=DeliveryStatus.FAILED).count()
    return {"oldest_queued_seconds": age, "failed": failed, "stale": age > settings.NOTIFY_STALE_SECONDS}


def cancel_reminders(*appointments) -> None:
    """The appointments were cancelled or moved: their reminders that have not gone out never will (one UPDATE)."""
    queued = Notification.objects.filter(kind=Kind.REMINDER, status=DeliveryStatus.QUEUED)
    queued.filter(appointment__in=appointments).update(status=DeliveryStatus.CANCELLED)
