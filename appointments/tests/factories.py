from datetime import time

from django.db.models import Max

from appointments.models import Appointment
from users.tests.factories import make_user


def make_appointment(*, doctor, on, at=time(9), patient=None, clinic=None, **fields) -> Appointment:
    fields.setdefault("appointment_type", "first_visit")
    fields.setdefault("fee_charged", doctor.first_visit_fee)
    clinic = clinic or doctor.user.clinic_memberships.first().clinic
    if "token_number" not in fields:  # the next of the day, as the booking service hands them out
        day = Appointment.objects.filter(doctor=doctor, clinic=clinic, appointment_date=on)
        fields["token_number"] = (day.aggregate(last=Max("token_number"))["last"] or 0) + 1
    return Appointment.objects.create(
        patient=patient or make_user(), doctor=doctor, clinic=clinic, appointment_date=on, appointment_time=at, **fields
    )
