import logging
from datetime import date, time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from doctors.models import DoctorProfile
from doctors.selectors import bookable_windows, published
from notifications.models import Kind
from QuickCare.exceptions import Conflict
from users.models import User, role_key
from users.services import walk_in_patient

from . import messages
from .models import (
    ACTIVE_STATUSES,
    Actor,
    Appointment,
    AppointmentHistory,
    AppointmentMode,
    AppointmentStatus,
    AppointmentType,
    HistoryEvent,
    WaitlistEntry,
)
from .selectors import (
    QUEUE_COLUMNS,
    beyond_horizon,
    clinic_now,
    free_slots,
    next_token,
    queue_day,
    slot_inputs,
    waiting,
)

logger = logging.getLogger(__name__)

SLOT_TAKEN = "This slot is no longer available."

# Who may move an appointment from one status to another. Everything not listed is refused.
# The clinic's desk (owner, receptionists) may move an appointment as its doctor may (contract 2.5).
_CLINIC = {Actor.DOCTOR, Actor.DESK}
APPOINTMENT_MOVES = {
    (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED): _CLINIC,
    (AppointmentStatus.PENDING, AppointmentStatus.CANCELLED): {Actor.PATIENT, *_CLINIC, Actor.OPERATOR},
    # Seeing the patient confirms the booking (contract row 1.6): the doctor may close a pending one directly.
    (AppointmentStatus.PENDING, AppointmentStatus.COMPLETED): _CLINIC,
    (AppointmentStatus.PENDING, AppointmentStatus.NO_SHOW): _CLINIC,
    (AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED): _CLINIC,
    (AppointmentStatus.CONFIRMED, AppointmentStatus.CANCELLED): {Actor.PATIENT, *_CLINIC, Actor.OPERATOR},
    (AppointmentStatus.CONFIRMED, AppointmentStatus.NO_SHOW): _CLINIC,
}
# Moves that record what happened at the visit, so they cannot happen before its day.
AFTER_THE_VISIT = {AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW}


def allowed_moves(*, current: str, actor: Actor) -> list[str]:
    return [new for (old, new), actors in APPOINTMENT_MOVES.items() if old == current and actor in actors]


def _check_booking_cap(*, patient: User, today: date) -> None:
    """At most MAX_ACTIVE_BOOKINGS_PER_PATIENT upcoming appointments per patient (0 = no cap), so that one account
    cannot hold a doctor's calendar. The patient's row lock, taken by the same statement that counts, makes two
    bookings at once count each other."""
    cap = settings.MAX_ACTIVE_BOOKINGS_PER_PATIENT
    if not cap:
        return
    upcoming = (
        Appointment.objects.filter(patient=OuterRef("pk"), status__in=ACTIVE_STATUSES, appointment_date__gte=today)
        .order_by()
        .values("patient")
        .annotate(count=Count("pk"))
        .values("count")
    )
    locked = User.objects.select_for_update().filter(pk=patient.pk).annotate(upcoming=Subquery(upcoming))
    if (locked.values_list("upcoming", flat=True).first() or 0) >= cap:
        raise Conflict(f"You already have {cap} upcoming appointments. Cancel one before booking another.")


def _bookable(*, doctor: DoctorProfile, on: date, at: time, clinic_id, now, moving: Appointment | None = None):
    """The booking rules for one time, for a new booking and for `moving` an appointment there (its own time does
    not count as taken): the time is ahead, within the horizon, on the doctor's grid (at `clinic_id` when given),
    not on leave, free, and its window not full. Returns the window and the day's next token at its clinic. The
    caller holds the doctor row lock, so what this reads stays true until it commits."""
    if (on, at) <= (now.date(), now.time()):
        raise ValidationError("That time has already passed. Please pick a future slot.")
    if beyond_horizon(on, now):
        raise ValidationError(f"Appointments can be booked at most {settings.BOOKING_HORIZON_DAYS} days ahead.")
    windows, leaves, booked, last_tokens = slot_inputs(doctor_id=doctor.pk, on=on, clinic_id=clinic_id)
    if moving is not None and moving.appointment_date == on and moving.status in ACTIVE_STATUSES:
        booked.remove(moving.appointment_time)
    window = next((w for w in windows if at in w.grid()), None)
    if window is None:
        raise ValidationError("The doctor does not see patients at that time. Pick one of the available slots.")
    if any(leave.covers(on, window.clinic_id) for leave in leaves):
        raise ValidationError("The doctor is on leave that day.")
    if at not in free_slots(windows=[window], leaves=[], booked=booked, on=on, now=now):
        if at in booked:
            raise Conflict(SLOT_TAKEN)
        raise Conflict("All appointments in this session are booked. Please pick another time.")
    return window, next_token(last_tokens, window.clinic_id)


def _acting_role(by: User | None, actor: Actor) -> str:
    """The role a history row names: what the person acted as (a doctor booking for themselves is a patient)."""
    if actor in (Actor.PATIENT, Actor.OPERATOR) or by is None:
        return actor.value
    return role_key(by.roles_id)


def _history(appointment: Appointment, event: str, *, by: User | None, actor: Actor, **change) -> AppointmentHistory:
    """One history row (contract section 3), unsaved: the caller writes it in the transaction of the change. The
    appointment's status, date and time are the row's `to_*` unless the change says otherwise."""
    change.setdefault("to_status", appointment.status)
    change.setdefault("to_date", appointment.appointment_date)
    change.setdefault("to_time", appointment.appointment_time)
    return AppointmentHistory(appointment=appointment, event=event, by=by, by_role=_acting_role(by, actor), **change)


@transaction.atomic
def appointment_book(
    *,
    patient: User,
    doctor: DoctorProfile | int,
    on: date,
    at: time,
    appointment_type: str = AppointmentType.FIRST_VISIT,
    mode: str = AppointmentMode.IN_CLINIC,
    notes: str = "",
    clinic=None,
    booked_by: User | None = None,
    message: str = Kind.BOOKING_CONFIRMED,
) -> Appointment:
    """The one booking path: the patient's own, and the clinic desk's (`booked_by`, `clinic` its own). `doctor` is
    the profile or its id (an unknown id is a 400 on the field). The token is the day's next at the clinic, handed
    out under the same lock."""
    # Serialise bookings per doctor: a second request waits here, then sees the first booking (and the
    # max_patients count, and the last token) before it decides. This is the only read of the doctor.
    doctor_id = getattr(doctor, "pk", doctor)
    doctor = DoctorProfile.objects.select_for_update(of=("self",)).select_related("user").filter(pk=doctor_id).first()
    if doctor is None:
        raise ValidationError({"doctor": [f'Invalid pk "{doctor_id}" - object does not exist.']})
    if doctor.user_id == patient.pk:
        raise ValidationError("You cannot book an appointment with yourself.")
    if mode == AppointmentMode.VIDEO and not doctor.offers_video_consultation:
        raise ValidationError({"mode": ["This doctor does not offer video consultations."]})
    now = clinic_now()
    _check_booking_cap(patient=patient, today=now.date())
    window, token = _bookable(doctor=doctor, on=on, at=at, clinic_id=getattr(clinic, "pk", None), now=now)
    fee = doctor.first_visit_fee if appointment_type == AppointmentType.FIRST_VISIT else doctor.follow_up_fee
    try:  # no savepoint: a failed INSERT ends the booking, and this transaction (or savepoint) is rolled back whole
        appointment = Appointment.objects.create(
            patient=patient,
            doctor=doctor,
            clinic_id=window.clinic_id,
            appointment_date=on,
            appointment_time=at,
            appointment_type=appointment_type,
            mode=mode,
            notes=notes,
            fee_charged=fee,
            booked_by=booked_by,
            token_number=token,
        )
    except IntegrityError:  # the partial unique constraint is the backstop
        raise Conflict(SLOT_TAKEN) from None
    actor = Actor.PATIENT if booked_by is None else Actor.DESK
    _history(appointment, HistoryEvent.BOOKED, by=booked_by or patient, actor=actor).save()
    messages.tell_booked(appointment, kind=message)
    return appointment


@transaction.atomic
def appointment_reschedule(
    *, appointment: Appointment, on: date, at: time, actor: Actor, by: User, reason: str = ""
) -> Appointment:
    """Move an appointment to another time (contract section 3): the booking rules and the doctor row lock of
    `appointment_book`, at the appointment's clinic; the old time is free as soon as this commits. It keeps its id,
    gets the new day's next token when the day changes, leaves the queue (check-in and call are cleared) and returns
    to pending when the patient moved it. A taken time is a 409 and nothing changes."""
    doctor = DoctorProfile.objects.select_for_update().get(pk=appointment.doctor_id)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    now = clinic_now()
    if appointment.status not in ACTIVE_STATUSES:
        raise Conflict(f"A {appointment.status} appointment cannot be moved.")
    if (appointment.appointment_date, appointment.appointment_time) <= (now.date(), now.time()):
        raise Conflict("This appointment time has passed; it can no longer be moved.")
    if (on, at) == (appointment.appointment_date, appointment.appointment_time):
        raise ValidationError("The appointment is already at that time.")
    _, token = _bookable(doctor=doctor, on=on, at=at, clinic_id=appointment.clinic_id, now=now, moving=appointment)
    before = {
        "from_status": appointment.status,
        "from_date": appointment.appointment_date,
        "from_time": appointment.appointment_time,
    }
    if on != appointment.appointment_date:
        appointment.token_number = token
    appointment.appointment_date, appointment.appointment_time = on, at
    appointment.checked_in_at = appointment.called_at = None
    if actor == Actor.PATIENT:
        appointment.status = AppointmentStatus.PENDING
    try:
        with transaction.atomic():
            appointment.save(
                update_fields=[
                    "appointment_date",
                    "appointment_time",
                    "token_number",
                    "checked_in_at",
                    "called_at",
                    "status",
                    "updated_at",
                ]
            )
    except IntegrityError:
        raise Conflict(SLOT_TAKEN) from None
    _history(appointment, HistoryEvent.RESCHEDULED, by=by, actor=actor, reason=reason[:500], **before).save()
    messages.tell_moved(appointment, old_date=before["from_date"], old_time=before["from_time"])
    return appointment


@transaction.atomic
def desk_book(
    *, clinic, booked_by: User, patient: User | None = None, contact: str = "", name: str = "", **booking
) -> Appointment:
    """A booking at the clinic's desk (contract 2.5): for a patient's account, or a walk-in by number (an account is
    made for a new number, all or nothing with the booking, and told by SMS how to register it). The booking itself
    is appointment_book's, with this clinic."""
    created = False
    if patient is None:
        patient, created = walk_in_patient(contact=contact, name=name)
    message = Kind.WALK_IN_BOOKED if created else Kind.BOOKING_CONFIRMED  # a new account is told how to claim it
    return appointment_book(patient=patient, clinic=clinic, booked_by=booked_by, message=message, **booking)


@transaction.atomic
def appointment_check_in(*, appointment: Appointment, actor: Actor, by: User) -> Appointment:
    """The patient has arrived (contract section 3): today's pending or confirmed appointments only (409 otherwise).
    Checking in twice changes nothing."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status not in ACTIVE_STATUSES:
        raise Conflict(f"A {appointment.status} appointment cannot be checked in.")
    if appointment.appointment_date != clinic_now().date():
        raise Conflict("Only today's appointments can be checked in.")
    if appointment.checked_in_at is None:
        appointment.checked_in_at = timezone.now()
        appointment.save(update_fields=["checked_in_at", "updated_at"])
        _history(appointment, HistoryEvent.CHECKED_IN, by=by, actor=actor, from_status=appointment.status).save()
    return appointment


@transaction.atomic
def queue_next(*, doctor: DoctorProfile, clinic, by: User) -> Appointment:
    """The doctor calls the next checked-in patient at this clinic today, in token order. The doctor row lock (the
    one bookings take) orders two devices calling at once: each gets a different patient. 409 when nobody waits."""
    DoctorProfile.objects.select_for_update().get(pk=doctor.pk)
    today = clinic_now().date()
    day = queue_day(doctor_id=doctor.pk, clinic_id=clinic.pk, on=today, columns=("id", *QUEUE_COLUMNS))
    first = next(iter(waiting(day)), None)
    if first is None:
        raise Conflict("Nobody is waiting: no checked-in patient has yet to be called.")
    appointment = Appointment.objects.get(pk=first["id"])
    appointment.called_at = timezone.now()
    appointment.save(update_fields=["called_at", "updated_at"])
    _history(appointment, HistoryEvent.CALLED, by=by, actor=Actor.DOCTOR, from_status=appointment.status).save()
    return appointment


def appointments_release(*, appointments, cancel: bool, reason: str, what: str, by: User) -> int:
    """The upcoming active appointments in `appointments` stand in the way of a doctor's leave or a clinic's
    closure: without `cancel` a 409 that lists them; with it they are all cancelled, the reason recorded. The caller
    holds the doctor row locks that bookings take, so no booking slips in between."""
    now = clinic_now()
    upcoming = appointments.filter(status__in=ACTIVE_STATUSES).filter(
        Q(appointment_date__gt=now.date()) | Q(appointment_date=now.date(), appointment_time__gt=now.time())
    )
    held = list(
        upcoming.order_by("appointment_date", "appointment_time").values("id", "appointment_date", "appointment_time")
    )
    if not held:
        return 0
    if not cancel:
        raise Conflict(
            f"{len(held)} upcoming appointment{'s' if len(held) > 1 else ''} fall in {what}. Move or cancel them, "
            'or send "cancel_appointments": true to cancel them all.',
            extra={
                "appointments": [
                    {
                        "id": a["id"],
                        "appointment_date": a["appointment_date"],
                        "appointment_time": a["appointment_time"],
                    }
                    for a in held
                ]
            },
        )
    held_ids = [a["id"] for a in held]
    released = list(Appointment.objects.filter(pk__in=held_ids).select_related("doctor__user", "clinic", "patient"))
    history = []
    for appointment in released:
        before = appointment.status
        appointment.status, appointment.cancellation_reason = AppointmentStatus.CANCELLED, reason
        appointment.status_changed_by, appointment.updated_at = by, timezone.now()
        history.append(
            _history(appointment, HistoryEvent.STATUS, by=by, actor=Actor.DESK, from_status=before, reason=reason)
        )
    Appointment.objects.bulk_update(released, ["status", "cancellation_reason", "status_changed_by", "updated_at"])
    AppointmentHistory.objects.bulk_create(history)
    messages.tell_released(released, reason=reason)
    return len(released)


@transaction.atomic
def appointment_move(
    *, appointment: Appointment, to: str, actor: Actor, reason: str = "", notes: str = "", by: User | None = None
) -> Appointment:
    """The one way an appointment's status changes (API, admin). `reason` is kept with a cancellation; `notes`
    with a completion are the doctor's, added after the patient's booking note; `by` is recorded as who did it."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    current = appointment.status
    if actor not in APPOINTMENT_MOVES.get((current, to), ()):
        allowed = allowed_moves(current=current, actor=actor)
        hint = f"Allowed: {', '.join(allowed)}." if allowed else f"A {current} appointment is final for you."
        raise Conflict(f"Cannot change a {current} appointment to {to}. {hint}")
    now = clinic_now()
    if to in AFTER_THE_VISIT and appointment.appointment_date > now.date():
        raise Conflict(f"An appointment can be marked {to} only on or after its date.")
    if actor == Actor.PATIENT and (appointment.appointment_date, appointment.appointment_time) <= (
        now.date(),
        now.time(),
    ):
        raise Conflict("This appointment time has passed; it can no longer be cancelled.")
    appointment.status = to
    if to == AppointmentStatus.CANCELLED and reason:
        appointment.cancellation_reason = reason[:500]
    if to == AppointmentStatus.COMPLETED and notes:
        appointment.notes = f"{appointment.notes}\n\n{notes}".strip()
    appointment.status_changed_by = by
    appointment.save(update_fields=["status", "cancellation_reason", "notes", "status_changed_by", "updated_at"])
    kept_reason = appointment.cancellation_reason if to == AppointmentStatus.CANCELLED else ""
    _history(appointment, HistoryEvent.STATUS, by=by, actor=actor, from_status=current, reason=kept_reason).save()
    if to == AppointmentStatus.CANCELLED:
        messages.tell_cancelled(appointment, reason=kept_reason)
    return appointment


def waitlist_join(*, patient: User, doctor_id: int, on: date, clinic_id=None) -> WaitlistEntry:
    """Wait for a time to free up with a doctor on a day (at one of their clinics, or any): the day must be ahead
    and within the horizon, the doctor in the directory and, when a clinic is named, seeing patients there; once
    per doctor and day (409)."""
    doctor = published(DoctorProfile.objects.select_related("user")).filter(pk=doctor_id).first()
    if doctor is None:
        raise ValidationError({"doctor": [f'Invalid pk "{doctor_id}" - object does not exist.']})
    now = clinic_now()
    if on < now.date():
        raise ValidationError({"date": ["That day has passed."]})
    if beyond_horizon(on, now):
        raise ValidationError(
            {"date": [f"Appointments can be booked at most {settings.BOOKING_HORIZON_DAYS} days ahead."]}
        )
    if clinic_id is not None and not bookable_windows(doctor_id=doctor.pk).filter(clinic_id=clinic_id).exists():
        raise ValidationError({"clinic": ["The doctor does not see patients at this clinic."]})
    try:
        with transaction.atomic():
            entry = WaitlistEntry.objects.create(patient=patient, doctor=doctor, date=on, clinic_id=clinic_id)
    except IntegrityError:
        raise Conflict("You are already on this doctor's waitlist for that day.") from None
    return entry
