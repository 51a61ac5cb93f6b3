"""The appointment state machine: every (status, target, actor) combination."""

import itertools
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from appointments.models import Actor, AppointmentStatus
from appointments.services import APPOINTMENT_MOVES, appointment_move
from appointments.tests.factories import make_appointment
from doctors.tests.factories import make_doctor
from QuickCare.exceptions import Conflict

pytestmark = pytest.mark.django_db

PATIENT, DOCTOR, OPERATOR = Actor.PATIENT, Actor.DOCTOR, Actor.OPERATOR
EXPECTED_ALLOWED = {
    ("pending", "confirmed", DOCTOR),
    ("pending", "cancelled", DOCTOR),
    ("pending", "cancelled", PATIENT),
    ("confirmed", "completed", DOCTOR),
    ("confirmed", "cancelled", DOCTOR),
    ("confirmed", "cancelled", PATIENT),
    ("confirmed", "no_show", DOCTOR),
    ("pending", "completed", DOCTOR),
    ("pending", "no_show", DOCTOR),
    ("pending", "cancelled", OPERATOR),
    ("confirmed", "cancelled", OPERATOR),
    # The clinic's desk, as the doctor (contract 2.5).
    ("pending", "confirmed", Actor.DESK),
    ("pending", "cancelled", Actor.DESK),
    ("confirmed", "completed", Actor.DESK),
    ("confirmed", "cancelled", Actor.DESK),
    ("confirmed", "no_show", Actor.DESK),
    ("pending", "completed", Actor.DESK),
    ("pending", "no_show", Actor.DESK),
}


def test_table_is_the_agreed_one():
    table = {(old, new, actor) for (old, new), actors in APPOINTMENT_MOVES.items() for actor in actors}
    assert table == EXPECTED_ALLOWED


@pytest.mark.parametrize(
    ("current", "target", "actor"),
    list(itertools.product(AppointmentStatus.values, AppointmentStatus.values, list(Actor))),
)
@time_machine.travel(datetime(2030, 1, 7, 12, 0, tzinfo=ZoneInfo("Asia/Kolkata")), tick=False)
def test_every_move(current, target, actor):
    # Noon on the appointment's date, the appointment at 12:01: completed / no_show allowed, still in the future.
    appointment = make_appointment(doctor=make_doctor(), on=date(2030, 1, 7), at=time(12, 1), status=current)
    if (current, target, actor) in EXPECTED_ALLOWED:
        assert appointment_move(appointment=appointment, to=target, actor=actor).status == target
    else:
        with pytest.raises(Conflict):
            appointment_move(appointment=appointment, to=target, actor=actor)
        appointment.refresh_from_db()
        assert appointment.status == current
