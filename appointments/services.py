import logging
from datetime import date, time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from doctors.models import DoctorProfile
from QuickCare.exceptions import Conflict
from users.models import User
from users.services import walk_in_patient
from users.sms import SMSError, get_sms_backend

from .models import ACTIVE_STATUSES, Actor, Appointment, AppointmentMode, AppointmentStatus, AppointmentType
from .selectors import beyond_horizon, clinic_now, free_slots, slot_inputs

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
    cannot hold a doctor's calendar. The patient's row lock makes two bookings at once count each other."""
    cap = settings.MAX_ACTIVE_BOOKINGS_PER_PATIENT
    if not cap:
        return
    User.objects.select_for_update().filter(pk=patient.pk).first()
    upcoming = Appointment.objects.filter(patient=patient, status__in=ACTIVE_STATUSES, appointment_date__gte=today)
    if upcoming.count() >= cap:
        raise Conflict(f"You already have {cap} upcoming appointments. Cancel one before booking another.")


@transaction.atomic
def appointment_book(
    *,
    patient: User,
    doctor: DoctorProfile,
    on: date,
    at: time,
    appointment_type: str = AppointmentType.FIRST_VISIT,
    mode: str = AppointmentMode.IN_CLINIC,
    notes: str = "",
    clinic=None,
    booked_by: User | None = None,
) -> Appointment:
    """The one booking path: the patient's own, and the clinic desk's (`booked_by`, `clinic` its own)."""
    # Serialise bookings per doctor: a second request waits here, then sees the first booking (and the
    # max_patients count) before it decides.
    doctor = DoctorProfile.objects.select_for_update().get(pk=doctor.pk)
    if doctor.user_id == patient.pk:
        raise ValidationError("You cannot book an appointment with yourself.")
    if mode == AppointmentMode.VIDEO and not doctor.offers_video_consultation:
        raise ValidationError({"mode": ["This doctor does not offer video consultations."]})
    now = clinic_now()
    if (on, at) <= (now.date(), now.time()):
        raise ValidationError("That time has already passed. Please pick a future slot.")
    _check_booking_cap(patient=patient, today=now.date())
    if beyond_horizon(on, now):
        raise ValidationError(f"Appointments can be booked at most {settings.BOOKING_HORIZON_DAYS} days ahead.")
    windows, leaves, booked = slot_inputs(doctor_id=doctor.pk, on=on, clinic_id=getattr(clinic, "pk", None))
    window = next((w for w in windows if at in w.grid()), None)
    if window is None:
        raise ValidationError("The doctor does not see patients at that time. Pick one of the available slots.")
    if any(leave.covers(on, window.clinic_id) for leave in leaves):
        raise ValidationError("The doctor is on leave that day.")
    if at not in free_slots(windows=[window], leaves=[], booked=booked, on=on, now=now):
        if at in booked:
            raise Conflict(SLOT_TAKEN)
        raise Conflict("All appointments in this session are booked. Please pick another time.")
    fee = doctor.first_visit_fee if appointment_type == AppointmentType.FIRST_VISIT else doctor.follow_up_fee
    try:
        with transaction.atomic():
            return Appointment.objects.create(
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
            )
    except IntegrityError:  # the partial unique constraint is the backstop
        raise Conflict(SLOT_TAKEN) from None


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
    appointment = appointment_book(patient=patient, clinic=clinic, booked_by=booked_by, **booking)
    if created:
        transaction.on_commit(lambda: _tell_walk_in(appointment))
    return appointment


def _tell_walk_in(appointment: Appointment) -> None:
    message = (
        f"{appointment.clinic.name} booked your appointment with {appointment.doctor.user.name} on "
        f"{appointment.appointment_date:%d %b %Y} at {appointment.appointment_time:%H:%M}. To see it in QuickCare, "
        "register in the app with this number."
    )
    try:
        get_sms_backend().send(contact=appointment.patient.contact, message=message)
    except SMSError:
        logger.warning("Could not tell walk-in patient of appointment %s", appointment.pk)


def appointments_release(*, appointments, cancel: bool, reason: str, what: str) -> int:
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
    return Appointment.objects.filter(pk__in=[a["id"] for a in held]).update(
        status=AppointmentStatus.CANCELLED, cancellation_reason=reason, updated_at=timezone.now()
    )


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
    return appointment
