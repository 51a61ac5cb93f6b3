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
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from clinic.models import Clinic, MemberRole
from clinic.selectors import active_memberships
from doctors.models import DoctorLeave, Weekday
from doctors.selectors import bookable_window_rows
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
BOOKED_SQL = f"""
    SELECT appointment_time FROM {Appointment._meta.db_table}
    WHERE doctor_id = %s AND appointment_date = %s AND status IN ({", ".join(["%s"] * len(ACTIVE_STATUSES))})
"""


def _uuid(value):
    """A clinic id as the UUID the ORM would give (SQLite hands raw queries its 32-hex-digit text)."""
    return value if value is None or isinstance(value, UUID) else UUID(value)


def slot_inputs(*, doctor_id: int, on: date, clinic_id=None) -> tuple[list[Window], list[Leave], list[time]]:
    """That weekday's bookable windows, the leaves covering the day, and the times already held by active
    appointments (at any clinic: a doctor is in one place at a time). Three queries; the windows are
    doctors.selectors.bookable_windows itself."""
    rows = bookable_window_rows(doctor_id=doctor_id, day=Weekday.of(on).value, clinic_id=clinic_id)
    windows = [Window(_uuid(clinic), *rest) for clinic, *rest in rows]
    with connection.cursor() as cursor:
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
