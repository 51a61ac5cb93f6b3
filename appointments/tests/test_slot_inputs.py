"""`slot_inputs` reads in hand-written SQL; these tests hold it to the ORM's definitions row for row."""

from datetime import time, timedelta

import pytest

from appointments.selectors import Leave, Window, slot_inputs
from appointments.tests.factories import make_appointment
from clinic.models import MemberRole, MemberStatus
from clinic.tests.factories import make_clinic, make_member
from doctors.models import DoctorLeave, Weekday
from doctors.selectors import bookable_windows
from doctors.tests.factories import make_doctor, make_window, next_weekday

pytestmark = pytest.mark.django_db


def orm_windows(doctor, on, clinic=None) -> list[Window]:
    windows = bookable_windows(doctor_id=doctor.pk).filter(day=Weekday.of(on))
    if clinic is not None:
        windows = windows.filter(clinic=clinic)
    return [
        Window(*row)
        for row in windows.values_list("clinic_id", "start_time", "end_time", "slot_duration_minutes", "max_patients")
    ]


def by_start(windows):
    return sorted(windows, key=lambda w: w.start_time)


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


def close_window(doctor, a, b):
    doctor.availability.filter(clinic=a).update(is_active=False)


def close_clinic(doctor, a, b):
    type(a).objects.filter(pk=a.pk).update(is_active=False)


def end_membership(doctor, a, b):
    doctor.user.clinic_memberships.filter(clinic=a).update(status=MemberStatus.INACTIVE)


def make_receptionist(doctor, a, b):
    doctor.user.clinic_memberships.filter(clinic=a).update(member_role=MemberRole.RECEPTIONIST)


def move_to_tuesday(doctor, a, b):
    doctor.availability.filter(clinic=a).update(day=Weekday.TUESDAY)


def nothing(doctor, a, b):
    pass


@pytest.mark.parametrize(
    "change, expected",
    [
        (nothing, 2),
        (close_window, 1),
        (close_clinic, 1),
        (end_membership, 1),
        (make_receptionist, 1),
        (move_to_tuesday, 1),
    ],
)
def test_windows_are_the_bookable_windows(setting, monday, change, expected):
    doctor, a, b = setting
    make_window(doctor=make_doctor(clinic=a), clinic=a)  # another doctor's window at the same clinic never counts
    change(doctor, a, b)
    windows, _, _ = slot_inputs(doctor_id=doctor.pk, on=monday)
    assert by_start(windows) == by_start(orm_windows(doctor, monday))
    assert len(windows) == expected
    assert windows[-1] == Window(b.pk, time(17), time(20), 20, 4)


@pytest.mark.parametrize("which", [0, 1])
def test_clinic_filter_keeps_that_clinic_only(setting, monday, which):
    doctor, *clinics = setting
    clinic = clinics[which]
    windows, _, _ = slot_inputs(doctor_id=doctor.pk, on=monday, clinic_id=clinic.pk)
    assert windows == orm_windows(doctor, monday, clinic) and [w.clinic_id for w in windows] == [clinic.pk]


def test_leaves_covering_the_day_at_any_or_one_clinic(setting, monday):
    doctor, a, _ = setting
    DoctorLeave.objects.create(doctor=doctor, start_date=monday - timedelta(days=2), end_date=monday)
    DoctorLeave.objects.create(doctor=doctor, clinic=a, start_date=monday, end_date=monday + timedelta(days=1))
    DoctorLeave.objects.create(doctor=doctor, start_date=monday + timedelta(days=1), end_date=monday + timedelta(7))
    _, leaves, _ = slot_inputs(doctor_id=doctor.pk, on=monday)
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
    _, _, booked = slot_inputs(doctor_id=doctor.pk, on=monday)
    assert sorted(booked) == [time(9), time(17, 20)]
