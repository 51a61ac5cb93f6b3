"""Free appointment times.

`free_slots` is pure (no database, no clock): everything it needs is passed in, so it is unit-tested directly.
`doctor_free_slots` gathers its inputs in three queries, whatever the number of bookings.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID

from django.conf import settings
from django.db import connection
from django.utils import timezone

from clinic.models import Clinic, ClinicMember, MemberRole, MemberStatus
from doctors.models import DoctorAvailability, DoctorLeave, DoctorProfile, Weekday
from users.models import User

from .models import ACTIVE_STATUSES, Appointment


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


# The three queries behind free slots and booking, written out in SQL. Free slots is the busiest public read, and
# building these through the ORM (joins, lookups, compiling) cost more than running them: 1.8 ms against 0.7 ms a
# request, measured on the benchmark data. `doctors.selectors.bookable_windows` stays the definition of a bookable
# window; a test keeps WINDOWS_SQL returning the same rows for every rule it encodes.
WINDOWS_SQL = f"""
    SELECT w.clinic_id, w.start_time, w.end_time, w.slot_duration_minutes, w.max_patients
    FROM {DoctorAvailability._meta.db_table} w
    JOIN {DoctorProfile._meta.db_table} d ON d.id = w.doctor_id
    JOIN {User._meta.db_table} u ON u.id = d.user_id
    JOIN {Clinic._meta.db_table} c ON c.id = w.clinic_id
    JOIN {ClinicMember._meta.db_table} m ON m.clinic_id = w.clinic_id AND m.user_id = d.user_id
    WHERE w.doctor_id = %s AND w.day = %s AND w.is_active AND c.is_active AND m.status = %s AND m.member_role = %s
      AND u.is_active AND d.listed_at IS NOT NULL
"""
LEAVES_SQL = f"""
    SELECT start_date, end_date, clinic_id FROM {DoctorLeave._meta.db_table}
    WHERE doctor_id = %s AND start_date <= %s AND end_date >= %s
"""
BOOKED_SQL = f"""
    SELECT appointment_time FROM {Appointment._meta.db_table}
    WHERE doctor_id = %s AND appointment_date = %s AND status IN ({", ".join(["%s"] * len(ACTIVE_STATUSES))})
"""


def _uuid(value):
    """A clinic id as the UUID the ORM would give (SQLite hands raw queries its 32-hex-digit text)."""
    return value if value is None or isinstance(value, UUID) else UUID(value)


def slot_inputs(*, doctor_id: int, on: date, clinic_id=None) -> tuple[list[Window], list[Leave], list[time]]:
    """That weekday's bookable windows, the leaves covering the day, and the times already held by active
    appointments (at any clinic: a doctor is in one place at a time). Three queries."""
    windows_sql = WINDOWS_SQL
    windows_params = [doctor_id, Weekday.of(on).value, MemberStatus.ACTIVE.value, MemberRole.DOCTOR.value]
    if clinic_id is not None:
        windows_sql += " AND w.clinic_id = %s"
        windows_params.append(DoctorAvailability._meta.get_field("clinic").get_db_prep_value(clinic_id, connection))
    with connection.cursor() as cursor:
        cursor.execute(windows_sql, windows_params)
        windows = [Window(_uuid(clinic), *rest) for clinic, *rest in cursor.fetchall()]
        cursor.execute(LEAVES_SQL, [doctor_id, on, on])
        leaves = [Leave(start, end, _uuid(clinic)) for start, end, clinic in cursor.fetchall()]
        cursor.execute(BOOKED_SQL, [doctor_id, on, *(status.value for status in ACTIVE_STATUSES)])
        booked = [at for (at,) in cursor.fetchall()]
    return windows, leaves, booked


def beyond_horizon(on: date, now: datetime) -> bool:
    """True when `on` is further ahead than settings.BOOKING_HORIZON_DAYS allows (0 = no horizon)."""
    days = settings.BOOKING_HORIZON_DAYS
    return bool(days) and on > now.date() + timedelta(days=days)


def doctor_free_slots(*, doctor_id: int, on: date, clinic_id=None, now: datetime | None = None) -> list[time]:
    now = now or clinic_now()
    if beyond_horizon(on, now):
        return []
    windows, leaves, booked = slot_inputs(doctor_id=doctor_id, on=on, clinic_id=clinic_id)
    return free_slots(windows=windows, leaves=leaves, booked=booked, on=on, now=now)


def _appointments():
    return Appointment.objects.select_related("doctor__user", "clinic")


def appointments_of_patient(user):
    """The caller's own appointments (someone else's is then a 404)."""
    return _appointments().filter(patient_id=user.pk)


def appointments_of_doctor(user):
    """Appointments with the caller as the doctor, with their patients."""
    return _appointments().select_related("patient").filter(doctor__user_id=user.pk)
