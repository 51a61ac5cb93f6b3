import itertools
from datetime import time

from clinic.models import Clinic, ClinicMember, ClinicTimeSlot, MemberRole
from clinic.services import ROLE_FOR_MEMBER, doctor_profile_ensure
from users.models import RoleId
from users.tests.factories import make_user

_names = itertools.count(1)


def make_clinic(*, owner=None, members: int = 0, **fields) -> Clinic:
    n = next(_names)
    fields.setdefault("name", f"Clinic {n}")
    fields.setdefault("slug", f"clinic-{n}")
    fields.setdefault("city", "Jaipur")
    fields.setdefault("clinic_type", "clinic")
    clinic = Clinic.objects.create(owner=owner or make_user(role=RoleId.CLINIC_OWNER), **fields)
    for _ in range(members):
        make_member(clinic=clinic)
    return clinic


def make_member(*, clinic, user=None, member_role=MemberRole.DOCTOR, **fields) -> ClinicMember:
    user = user or make_user(role=ROLE_FOR_MEMBER[member_role])
    if member_role == MemberRole.DOCTOR:
        doctor_profile_ensure(user=user)
    return ClinicMember.objects.create(clinic=clinic, user=user, member_role=member_role, **fields)


def make_slot(*, clinic, day_of_week=0, start=time(9), end=time(13), **fields) -> ClinicTimeSlot:
    fields.setdefault("slot_duration_minutes", 15)
    fields.setdefault("max_appointments", 20)
    return ClinicTimeSlot.objects.create(
        clinic=clinic, day_of_week=day_of_week, start_time=start, end_time=end, **fields
    )
