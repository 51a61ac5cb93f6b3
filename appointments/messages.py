"""What an appointment's changes tell people (contract section 4), through the one pipeline (notifications.services).
Called by the services that make the changes, inside their transactions; the sending happens after the commit."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from notifications.models import Kind
from notifications.services import cancel_reminders, notify_all

from .models import Appointment, WaitlistEntry
from .selectors import doctor_free_slots


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
    """A cancellation's message, its reminders cancelled, and the freed time offered to the waitlist."""
    tell_released([appointment], reason=reason)
    offer_freed_time(
        doctor=appointment.doctor,
        clinic_id=appointment.clinic_id,
        on=appointment.appointment_date,
        at=appointment.appointment_time,
    )


def tell_released(appointments: list[Appointment], *, reason: str) -> None:
    """Cancellation messages for `appointments` (with their doctors, clinics and patients loaded), their reminders
    cancelled: one UPDATE and one INSERT for any number. A leave or a closure frees no bookable time, so it offers
    none to the waitlist (appointments_release calls this alone)."""
    cancel_reminders(*appointments)
    notify_all(
        [
            {
                "recipient": appointment.patient,
                "kind": Kind.BOOKING_CANCELLED,
                "context": {**_context(appointment, *_names(appointment)), "reason": reason},
                "appointment": appointment,
            }
            for appointment in appointments
        ]
    )


def offer_freed_time(*, doctor, clinic_id, on, at) -> int:
    """A booked time freed up: everyone waiting for that doctor and day (at that clinic, or any) is told, in the
    order they joined, when the time can be booked now (the free-slot rule itself: ahead, not taken again, not on
    leave, its window not full). Answers how many were told."""
    waiting = list(
        WaitlistEntry.objects.filter(Q(clinic_id=clinic_id) | Q(clinic__isnull=True), doctor=doctor, date=on)
        .select_related("patient")
        .order_by("created_at")
    )
    if not waiting or at not in doctor_free_slots(doctor_id=doctor.pk, on=on, clinic_id=clinic_id):
        return 0
    context = {"doctor": doctor.user.name, "date": on.strftime("%d-%m-%Y"), "time": at.strftime("%H:%M")}
    notify_all([{"recipient": entry.patient, "kind": Kind.SLOT_FREED, "context": context} for entry in waiting])
    WaitlistEntry.objects.filter(pk__in=[entry.pk for entry in waiting]).update(notified_at=timezone.now())
    return len(waiting)
