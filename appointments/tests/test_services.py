"""The appointment state machine: every (status, target, actor) combination."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from appointments.models import AppointmentStatus
from appointments.services import APPOINTMENT_MOVES, DOCTOR, PATIENT, appointment_move
from appointments.tests.factories import make_appointment
from doctors.tests.factories import make_doctor
from QuickCare.exceptions import Conflict

pytestmark = pytest.mark.django_db

EXPECTED_ALLOWED = {
    ("pending", "confirmed", DOCTOR),
    ("pending", "cancelled", DOCTOR),
    ("pending", "cancelled", PATIENT),
    ("confirmed", "completed", DOCTOR),
    ("confirmed", "cancelled", DOCTOR),
    ("confirmed", "cancelled", PATIENT),
    ("confirmed", "no_show", DOCTOR),
}


def test_table_is_the_agreed_one():
    table = {(old, new, actor) for (old, new), actors in APPOINTMENT_MOVES.items() for actor in actors}
    assert table == EXPECTED_ALLOWED


@pytest.mark.parametrize(
    ("current", "target", "actor"),
    list(itertools.product(AppointmentStatus.values, AppointmentStatus.values, [PATIENT, DOCTOR])),
)
def test_every_move(current, target, actor):
    # Today, late in the evening: on the appointment's date (completed / no_show allowed) and still in the future.
    appointment = make_appointment(doctor=make_doctor(), on=timezone.localdate(), status=current)
    appointment.appointment_time = (timezone.localtime() + timedelta(minutes=1)).time()
    if appointment.appointment_time < timezone.localtime().time():  # just before midnight: use tomorrow instead
        pytest.skip("too close to midnight for a same-day future appointment")
    appointment.save()
    if (current, target, actor) in EXPECTED_ALLOWED:
        assert appointment_move(appointment=appointment, to=target, actor=actor).status == target
    else:
        with pytest.raises(Conflict):
            appointment_move(appointment=appointment, to=target, actor=actor)
        appointment.refresh_from_db()
        assert appointment.status == current
