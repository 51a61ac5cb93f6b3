"""Free appointment times.

`free_slots` is pure (no database, no clock): everything it needs is passed in, so it is unit-tested directly.
`doctor_free_slots` gathers its inputs in three queries, whatever the number of bookings.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from uuid import UUID

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from clinic.models import Clinic, MemberRole
from clinic.selectors import active_memberships
from doctors.models import DoctorLeave, Weekday
from doctors.selectors import bookable_window_rows
from QuickCare.sql import fetch_all
from users.models import User

from .models import ACTIVE_STATUSES, Appointment, AppointmentStatus


@dataclass(frozen=True)
class Window:
    clinic_id: object
    start_time: time
    end_time: time
    slot_duration_minutes: int
    max_patients: int

    def grid(self) -> list[time]:
        """Every slot start from start_time, each a full slot_duration long and ending by end_time."""
        day = date(2000, 1, 3)  # any date: the arithmetic is on wall-clock times of one day
        start, end = datetime.combine(day, self.start_time), datetime.combine(day, self.end_time)
        step = timedelta(minutes=self.slot_duration_minutes)
        times = []
        while start + step <= end:
            times.append(start.time())
            start += step
        return times

    def contains(self, at: time) -> bool:
        return self.start_time <= at < self.end_time


@dataclass(frozen=True)
class Leave:
    start_date: date
    end_date: date
    clinic_id: object = None  # None: on leave at every clinic

    def covers(self, on: date, clinic_id) -> bool:
        return self.start_date <= on <= self.end_date and self.clinic_id in (None, clinic_id)


def free_slots(
    *, windows: Iterable[Window], leaves: Iterable[Leave], booked: Iterable[time], on: date, now: datetime
) -> list[time]:
    """The free start times on `on` (clinic-local `now`), sorted.

    A time is free when a window produces it, no leave covers that window's clinic that day, nobody holds it,
    it is still in the future, and its window has fewer than `max_patients` active bookings.
    """
    if on < now.date():
        return []
    booked = list(booked)
    taken = set(booked)
    leaves = list(leaves)
    free = []
    for window in windows:
        if any(leave.covers(on, window.clinic_id) for leave in leaves):
            continue
        if sum(1 for t in booked if window.contains(t)) >= window.max_patients:
            continue
        free.extend(t for t in window.grid() if t not in taken and (on > now.date() or t > now.time()))
    return sorted(free)


def clinic_now() -> datetime:
    return timezone.localtime()  # settings.TIME_ZONE, Asia/Kolkata by default


# The other two inputs of free slots and booking, written out in SQL for the same reason as
# doctors.selectors.bookable_windows_sql: on this hot path, building a query through the ORM cost more than running
# it (bench/README.md).
LEAVES_SQL = f"""
    SELECT start_date, end_date, clinic_id FROM {DoctorLeave._meta.db_table}
    WHERE doctor_id = %s AND start_date <= %s AND end_date >= %s
"""
DAY_SQL = f"""
    SELECT appointment_time, status, clinic_id, token_number FROM {Appointment._meta.db_table}
    WHERE doctor_id = %s AND appointment_date = %s
"""


def _uuid(value):
    """A clinic id as the UUID the ORM would give (SQLite hands raw queries its 32-hex-digit text)."""
    return value if value is None or isinstance(value, UUID) else UUID(value)


class SlotInputs(NamedTuple):
    windows: list[Window]
    leaves: list[Leave]
    booked: list[time]  # held by active appointments, at any clinic: a doctor is in one place at a time
    last_tokens: dict  # clinic id -> the day's highest token there (any status: a token is never reused)


def slot_inputs(*, doctor_id: int, on: date, clinic_id=None) -> SlotInputs:
    """That weekday's bookable windows, the leaves covering the day, the times already held and the day's last
    tokens. Three queries; the windows are doctors.selectors.bookable_windows itself."""
    rows = bookable_window_rows(doctor_id=doctor_id, day=Weekday.of(on).value, clinic_id=clinic_id)
    windows = [Window(_uuid(clinic), *rest) for clinic, *rest in rows]
    leaves = [
        Leave(start, end, _uuid(clinic))
        for start, end, clinic in fetch_all("qc_leaves", LEAVES_SQL, [doctor_id, on, on])
    ]
    day = fetch_all("qc_day", DAY_SQL, [doctor_id, on])
    booked = [at for at, status, _, _ in day if status in ACTIVE_STATUSES]
    last_tokens = {}
    for _, _, clinic, token in day:
        last_tokens[_uuid(clinic)] = max(token, last_tokens.get(_uuid(clinic), 0))
    return SlotInputs(windows, leaves, booked, last_tokens)


def beyond_horizon(on: date, now: datetime) -> bool:
    """True when `on` is further ahead than settings.BOOKING_HORIZON_DAYS allows (0 = no horizon)."""
    days = settings.BOOKING_HORIZON_DAYS
    return bool(days) and on > now.date() + timedelta(days=days)


def doctor_free_slots(*, doctor_id: int, on: date, clinic_id=None, now: datetime | None = None) -> list[time]:
    now = now or clinic_now()
    if beyond_horizon(on, now):
        return []
    windows, leaves, booked, _ = slot_inputs(doctor_id=doctor_id, on=on, clinic_id=clinic_id)
    return free_slots(windows=windows, leaves=leaves, booked=booked, on=on, now=now)


def _appointments():
    return Appointment.objects.select_related("doctor__user", "clinic")


def appointments_of_patient(user):
    """The caller's own appointments (someone else's is then a 404)."""
    return _appointments().filter(patient_id=user.pk)


def appointments_of_doctor(user):
    """Appointments with the caller as the doctor, with their patients."""
    return _appointments().select_related("patient").filter(doctor__user_id=user.pk)


def appointments_of_clinic(clinic):
    """A clinic's appointments with their patients, for its owner and receptionists (clinic_for_desk)."""
    return _appointments().select_related("patient").filter(clinic=clinic)


def day_summary(appointments) -> dict:
    """How many of `appointments` there are in each status, and in all: one aggregate query."""
    counts = {status: Count("pk", filter=Q(status=status)) for status in AppointmentStatus.values}
    return appointments.order_by().aggregate(**counts, total=Count("pk"))


# Appointments that make a care relationship (quickcare-api-next.md, "Words used below").
CARE_STATUSES = (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED)


def care_appointments(*, staff: User, patient_id) -> QuerySet[Appointment]:
    """The one definition of a care relationship: the patient's pending, confirmed or completed appointments, upcoming
    or of the last CARE_RELATIONSHIP_DAYS, at an active clinic where `staff` is a member now; for a doctor there only
    their own appointments, for a lab member or receptionist any. Leaving the clinic ends it at once."""
    member_here = active_memberships().filter(user_id=staff.pk, clinic_id=OuterRef("clinic_id"))
    as_doctor = member_here.filter(member_role=MemberRole.DOCTOR, user_id=OuterRef("doctor__user_id"))
    as_other_staff = member_here.filter(member_role__in=[MemberRole.LAB_MEMBER, MemberRole.RECEPTIONIST])
    return _care_window(patient_id).filter(Exists(as_doctor) | Exists(as_other_staff))


def _care_window(patient_id) -> QuerySet[Appointment]:
    """The patient's appointments that make a care relationship: pending, confirmed or completed, upcoming or of the
    last CARE_RELATIONSHIP_DAYS."""
    since = clinic_now().date() - timedelta(days=settings.CARE_RELATIONSHIP_DAYS)
    return Appointment.objects.filter(patient_id=patient_id, status__in=CARE_STATUSES, appointment_date__gte=since)


def care_clinics(*, patient: User) -> QuerySet[Clinic]:
    """The active clinics where the patient has a care relationship (the same window as `care_appointments`), in
    name order."""
    here = _care_window(patient.pk).filter(clinic_id=OuterRef("pk"))
    return Clinic.objects.filter(Exists(here), is_active=True).order_by("name", "id")


def has_care_relationship(*, staff: User, patient_id) -> bool:
    return care_appointments(staff=staff, patient_id=patient_id).exists()


# --- The OPD day (contract section 3) -------------------------------------------------------------------------------
# The rules are pure functions over one day's rows of a doctor at a clinic (one query gathers them), unit-tested
# directly: who is being seen, who waits, who has not arrived, and how long a patient will wait.


def next_token(last_tokens: dict, clinic_id) -> int:
    """The next token of a doctor's day at a clinic: one more than the highest handed out there that day, whatever
    became of it (a cancelled appointment's number is never given again)."""
    return last_tokens.get(clinic_id, 0) + 1


def now_serving(day: list[dict]) -> int | None:
    """The token of the patient the doctor called last, None before the first call."""
    called = [row for row in day if row["called_at"] is not None]
    return max(called, key=lambda row: row["called_at"])["token_number"] if called else None


def waiting(day: list[dict]) -> list[dict]:
    """Checked in, not yet called, still pending or confirmed: in token order."""
    return sorted(
        (
            row
            for row in day
            if row["checked_in_at"] is not None and row["called_at"] is None and row["status"] in ACTIVE_STATUSES
        ),
        key=lambda row: row["token_number"],
    )


def not_arrived(day: list[dict]) -> int:
    """Pending or confirmed, not checked in (and not called)."""
    return sum(
        1
        for row in day
        if row["checked_in_at"] is None and row["called_at"] is None and row["status"] in ACTIVE_STATUSES
    )


def ahead_of(day: list[dict], token: int) -> int:
    """How many waiting patients hold a lower token: they are called before this one."""
    return sum(1 for row in waiting(day) if row["token_number"] < token)


def estimated_wait_minutes(*, ahead: int, slot_duration_minutes: int) -> int:
    """The window's slot length for each patient ahead."""
    return ahead * slot_duration_minutes


QUEUE_COLUMNS = ("token_number", "status", "checked_in_at", "called_at")


def queue_day(*, doctor_id: int, clinic_id, on: date, columns=QUEUE_COLUMNS) -> list[dict]:
    """One doctor's day at one clinic, every status, in token order: one query."""
    day = Appointment.objects.filter(doctor_id=doctor_id, clinic_id=clinic_id, appointment_date=on)
    return list(day.order_by("token_number").values(*columns))


def slot_duration_at(*, doctor_id: int, clinic_id, on: date, at: time) -> int:
    """The slot length of the doctor's window that holds `at` at that clinic (one query); 15 minutes, the spec's
    usual slot, when the hours have changed since the booking."""
    rows = bookable_window_rows(doctor_id=doctor_id, day=Weekday.of(on).value, clinic_id=clinic_id)
    windows = [Window(_uuid(clinic), *rest) for clinic, *rest in rows]
    window = next((w for w in windows if w.contains(at)), None)
    return window.slot_duration_minutes if window else 15
