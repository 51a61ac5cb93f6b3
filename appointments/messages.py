"""What an appointment's changes tell people (contract section 4), through the one pipeline (notifications.services).
Called by the services that make the changes, inside their transactions; the sending happens after the commit."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from notifications.models import Kind
from notifications.services import cancel_reminders, notify, notify_all

from .models import ACTIVE_STATUSES, Appointment, WaitlistEntry


def _context(appointment: Appointment, doctor_name: str, clinic_name: str) -> dict:
    return {
        "doctor": doctor_name,
        "clinic": clinic_name,
        "date": appointment.appointment_date.strftime("%d-%m-%Y"),
        "time": appointment.appointment_time.strftime("%H:%M"),
        "token": appointment.token_number,
    }


def _names(appointment: Appointment) -> tuple[str, str]:
    return appointment.doctor.user.name, appointment.clinic.name


def reminder_times(appointment: Appointment, *, now: datetime) -> list[tuple[int, datetime]]:
    """(hours before, when) for each of REMINDER_HOURS_BEFORE still ahead of `now`, in clinic time."""
    start = timezone.make_aware(datetime.combine(appointment.appointment_date, appointment.appointment_time))
    return [
        (hours, start - timedelta(hours=hours))
        for hours in settings.REMINDER_HOURS_BEFORE
        if start - timedelta(hours=hours) > now
    ]


def _confirmation_and_reminders(appointment: Appointment, kind: str, context: dict) -> list[dict]:
    patient = appointment.patient
    messages = [{"recipient": patient, "kind": kind, "context": context, "appointment": appointment}]
    for _, when in reminder_times(appointment, now=timezone.now()):
        messages.append(
            {
                "recipient": patient,
                "kind": Kind.REMINDER,
                "context": context,
                "appointment": appointment,
                "send_after": when,
            }
        )
    return messages


def tell_booked(appointment: Appointment, *, kind: str = Kind.BOOKING_CONFIRMED) -> None:
    """The booking's confirmation (a walk-in's own words for a new account) and its reminders: one INSERT."""
    notify_all(_confirmation_and_reminders(appointment, kind, _context(appointment, *_names(appointment))))


def tell_moved(appointment: Appointment, *, old_date, old_time) -> None:
    """The move's message, the old reminders cancelled and new ones planned, the old time offered to the waitlist."""
    cancel_reminders(appointment)
    context = _context(appointment, *_names(appointment))
    notify_all(_confirmation_and_reminders(appointment, Kind.BOOKING_RESCHEDULED, context))
    offer_freed_time(doctor=appointment.doctor, clinic_id=appointment.clinic_id, on=old_date, at=old_time)


def tell_cancelled(appointment: Appointment, *, reason: str = "") -> None:
    cancel_reminders(appointment)
    context = {**_context(appointment, *_names(appointment)), "reason": reason}
    notify(recipient=appointment.patient, kind=Kind.BOOKING_CANCELLED, context=context, appointment=appointment)
    offer_freed_time(
        doctor=appointment.doctor,
        clinic_id=appointment.clinic_id,
        on=appointment.appointment_date,
        at=appointment.appointment_time,
    )


def offer_freed_time(*, doctor, clinic_id, on, at) -> int:
    """A booked time freed up: everyone waiting for that doctor and day (at that clinic, or any) is told, in the
    order they joined, unless the time has passed or was taken again. Answers how many were told."""
    now = timezone.localtime()
    if (on, at) <= (now.date(), now.time()):
        return 0
    if Appointment.objects.filter(
        doctor=doctor, appointment_date=on, appointment_time=at, status__in=ACTIVE_STATUSES
    ).exists():
        return 0
    waiting = list(
        WaitlistEntry.objects.filter(Q(clinic_id=clinic_id) | Q(clinic__isnull=True), doctor=doctor, date=on)
        .select_related("patient")
        .order_by("created_at")
    )
    if not waiting:
        return 0
    context = {"doctor": doctor.user.name, "date": on.strftime("%d-%m-%Y"), "time": at.strftime("%H:%M")}
    notify_all([{"recipient": entry.patient, "kind": Kind.SLOT_FREED, "context": context} for entry in waiting])
    WaitlistEntry.objects.filter(pk__in=[entry.pk for entry in waiting]).update(notified_at=timezone.now())
    return len(waiting)
