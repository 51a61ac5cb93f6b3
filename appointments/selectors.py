"""Free appointment times.

`free_slots` is pure (no database, no clock): everything it needs is passed in, so it is unit-tested directly.
`doctor_free_slots` gathers its inputs in three queries, whatever the number of bookings.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from doctors.models import DoctorLeave, Weekday
from doctors.selectors import bookable_windows

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


def slot_inputs(*, doctor_id: int, on: date, clinic_id=None) -> tuple[list[Window], list[Leave], list[time]]:
    """The three queries behind free slots and booking: that weekday's windows, leaves covering the day, and the
    times already held by active appointments (at any clinic: a doctor is in one place at a time)."""
    windows = bookable_windows(doctor_id=doctor_id).filter(day=Weekday.of(on))
    if clinic_id is not None:
        windows = windows.filter(clinic_id=clinic_id)
    # .order_by(): the models' default orderings would only add a sort to each of these hot queries.
    window_rows = [
        Window(*row)
        for row in windows.order_by().values_list(
            "clinic_id", "start_time", "end_time", "slot_duration_minutes", "max_patients"
        )
    ]
    leaves = [
        Leave(start, end, clinic)
        for start, end, clinic in DoctorLeave.objects.filter(doctor_id=doctor_id, start_date__lte=on, end_date__gte=on)
        .order_by()
        .values_list("start_date", "end_date", "clinic_id")
    ]
    booked = list(
        Appointment.objects.filter(doctor_id=doctor_id, appointment_date=on, status__in=ACTIVE_STATUSES)
        .order_by()
        .values_list("appointment_time", flat=True)
    )
    return window_rows, leaves, booked


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
