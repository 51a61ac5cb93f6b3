from datetime import date, time, timedelta

from django.utils import timezone

from clinic.models import ClinicMember, MemberRole
from clinic.tests.factories import make_clinic
from doctors.models import DoctorAvailability, DoctorProfile
from users.models import RoleId
from users.tests.factories import make_user


def make_doctor(*, clinic=None, name="Dr. Priya Sharma", department="Cardiology", **profile) -> DoctorProfile:
    """A doctor who is an active member of `clinic` (a new clinic when not given)."""
    user = make_user(role=RoleId.DOCTOR, name=name)
    profile.setdefault("specialty", "cardiology")
    profile.setdefault("first_visit_fee", 500)
    profile.setdefault("follow_up_fee", 300)
    profile.setdefault("listed_at", timezone.now())  # as if the doctor had filled in their profile
    doctor = DoctorProfile.objects.create(user=user, **profile)
    ClinicMember.objects.create(
        clinic=clinic or make_clinic(), user=user, member_role=MemberRole.DOCTOR, department=department
    )
    return doctor


def make_window(*, doctor, clinic=None, day="monday", start=time(9), end=time(13), **fields) -> DoctorAvailability:
    fields.setdefault("slot_duration_minutes", 15)
    fields.setdefault("max_patients", 20)
    clinic = clinic or doctor.user.clinic_memberships.first().clinic
    return DoctorAvailability.objects.create(
        doctor=doctor, clinic=clinic, day=day, start_time=start, end_time=end, **fields
    )


def next_weekday(weekday: int = 0, weeks_ahead: int = 1) -> date:
    """A date on `weekday` (0 = Monday) at least `weeks_ahead` weeks from today: always in the future."""
    today = timezone.localdate()  # clinic time, and what time-machine moves
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)
