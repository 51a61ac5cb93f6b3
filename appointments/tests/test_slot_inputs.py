"""`slot_inputs`: the bookable windows (every combination of their conditions), leaves and booked times."""

import itertools
from datetime import time, timedelta

import pytest

from appointments.selectors import Leave, Window, slot_inputs
from appointments.tests.factories import make_appointment
from clinic.models import MemberRole, MemberStatus
from clinic.tests.factories import make_clinic, make_member
from doctors.models import DoctorLeave, Weekday
from doctors.selectors import WINDOW_COLUMNS, bookable_windows
from doctors.tests.factories import make_doctor, make_window, next_weekday

pytestmark = pytest.mark.django_db


def orm_windows(doctor, on, clinic=None) -> list[Window]:
    windows = bookable_windows(doctor_id=doctor.pk).filter(day=Weekday.of(on))
    if clinic is not None:
        windows = windows.filter(clinic=clinic)
    return [Window(*row) for row in windows.values_list(*WINDOW_COLUMNS)]


@pytest.fixture
def monday():
    return next_weekday(0)


@pytest.fixture
def setting():
    """A doctor with a morning window at clinic A and an evening window at clinic B, both on Mondays."""
    a, b = make_clinic(name="Clinic A"), make_clinic(name="Clinic B")
    doctor = make_doctor(clinic=a)
    make_member(clinic=b, user=doctor.user, member_role=MemberRole.DOCTOR)
    make_window(doctor=doctor, clinic=a, start=time(9), end=time(12))
    make_window(doctor=doctor, clinic=b, start=time(17), end=time(20), slot_duration_minutes=20, max_patients=4)
    return doctor, a, b


# Every condition of a bookable window, each as the change that breaks it for clinic A's window. A condition added
# to bookable_windows without a line here (or a line here the rule does not honour) fails the test below.
BREAKS = {
    "window inactive": lambda d, a: d.availability.filter(clinic=a).update(is_active=False),
    "other weekday": lambda d, a: d.availability.filter(clinic=a).update(day=Weekday.TUESDAY),
    "clinic closed": lambda d, a: type(a).objects.filter(pk=a.pk).update(is_active=False),
    "membership ended": lambda d, a: d.user.clinic_memberships.filter(clinic=a).update(status=MemberStatus.INACTIVE),
    "not a doctor there": lambda d, a: d.user.clinic_memberships.filter(clinic=a).update(member_role="receptionist"),
    "account deactivated": lambda d, a: type(d.user).objects.filter(pk=d.user_id).update(is_active=False),
    "profile never filled in": lambda d, a: type(d).objects.filter(pk=d.pk).update(listed_at=None),
    "specialty cleared": lambda d, a: type(d).objects.filter(pk=d.pk).update(specialty=""),
}
COMBINATIONS = [combo for n in range(len(BREAKS) + 1) for combo in itertools.combinations(BREAKS, n)]
# Conditions of the doctor (not of one window) hide clinic B's window too.
WHOLE_DOCTOR = {"account deactivated", "profile never filled in", "specialty cleared"}


@pytest.mark.parametrize("broken", COMBINATIONS, ids=lambda combo: "+".join(combo) or "nothing")
def test_windows_are_bookable_exactly_when_every_condition_holds(setting, monday, broken):
    doctor, a, b = setting
    make_window(doctor=make_doctor(clinic=a), clinic=a)  # another doctor's window at the same clinic never counts
    for name in broken:
        BREAKS[name](doctor, a)
    windows, *_ = slot_inputs(doctor_id=doctor.pk, on=monday)
    expected = [] if WHOLE_DOCTOR & set(broken) else [Window(b.pk, time(17), time(20), 20, 4)]
    if not broken:
        expected.insert(0, Window(a.pk, time(9), time(12), 15, 20))
    assert sorted(windows, key=lambda w: w.start_time) == expected
    assert sorted(orm_windows(doctor, monday), key=lambda w: w.start_time) == expected


@pytest.mark.parametrize("which", [0, 1])
def test_clinic_filter_keeps_that_clinic_only(setting, monday, which):
    doctor, *clinics = setting
    clinic = clinics[which]
    windows, *_ = slot_inputs(doctor_id=doctor.pk, on=monday, clinic_id=clinic.pk)
    assert windows == orm_windows(doctor, monday, clinic) and [w.clinic_id for w in windows] == [clinic.pk]


def test_leaves_covering_the_day_at_any_or_one_clinic(setting, monday):
    doctor, a, _ = setting
    DoctorLeave.objects.create(doctor=doctor, start_date=monday - timedelta(days=2), end_date=monday)
    DoctorLeave.objects.create(doctor=doctor, clinic=a, start_date=monday, end_date=monday + timedelta(days=1))
    DoctorLeave.objects.create(doctor=doctor, start_date=monday + timedelta(days=1), end_date=monday + timedelta(7))
    _, leaves, *_ = slot_inputs(doctor_id=doctor.pk, on=monday)
    assert sorted(leaves, key=lambda leave: leave.start_date) == [
        Leave(monday - timedelta(days=2), monday, None),
        Leave(monday, monday + timedelta(days=1), a.pk),
    ]


def test_booked_times_are_the_active_appointments_of_that_day(setting, monday):
    doctor, a, b = setting
    make_appointment(doctor=doctor, clinic=a, on=monday, at=time(9))
    make_appointment(doctor=doctor, clinic=b, on=monday, at=time(17, 20), status="confirmed")
    make_appointment(doctor=doctor, clinic=a, on=monday, at=time(9, 15), status="cancelled")
    make_appointment(doctor=doctor, clinic=a, on=monday + timedelta(days=7), at=time(9, 30))
    make_appointment(doctor=make_doctor(clinic=a), clinic=a, on=monday, at=time(10))
    _, _, booked, _ = slot_inputs(doctor_id=doctor.pk, on=monday)
    assert sorted(booked) == [time(9), time(17, 20)]
