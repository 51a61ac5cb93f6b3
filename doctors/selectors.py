"""Reads with rules: which doctors the public sees, and which of their weekly windows are bookable."""

import uuid
from collections import defaultdict
from functools import cache

from django.db import connection
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Subquery, When
from rest_framework.exceptions import NotFound, PermissionDenied

from clinic.models import ClinicMember, MemberRole, MemberStatus
from clinic.selectors import active_memberships
from QuickCare.sql import fetch_all
from users.models import User
from users.validators import contact_as_int

from .models import DoctorAvailability, DoctorProfile, Weekday

# Weekday names sort alphabetically; this puts Monday first.
DAY_ORDER = Case(*[When(day=day, then=i) for i, day in enumerate(Weekday.values)])


def active_doctor_memberships() -> QuerySet[ClinicMember]:
    """Memberships that make a doctor bookable: active, as a doctor, at an active clinic."""
    return active_memberships(MemberRole.DOCTOR)


def published(queryset: QuerySet, *, prefix: str = "") -> QuerySet:
    """Only doctors in the directory and bookable: a profile they filled in themselves (`listed_at`) that still names
    a specialty (a doctor who clears it leaves the directory until they name one again), and an active account.
    `prefix` leads from the queryset's model to the DoctorProfile ("doctor__" for windows).

    The account's `is_active` is a scalar subquery rather than a joined table: on the free-slot hot path PostgreSQL
    planned one more joined table in about as long again as the whole query (2.0 ms against 0.9 ms a call on the
    benchmark data)."""
    account_active = Subquery(User.objects.filter(pk=OuterRef(f"{prefix}user_id")).values("is_active")[:1])
    return queryset.alias(account_active=account_active).filter(
        ~Q(**{f"{prefix}specialty": ""}), **{f"{prefix}listed_at__isnull": False}, account_active=True
    )


def listed_doctors() -> QuerySet[DoctorProfile]:
    """Doctors the public may see: published, and active members of at least one active clinic."""
    return published(
        DoctorProfile.objects.filter(Exists(active_doctor_memberships().filter(user_id=OuterRef("user_id"))))
    ).order_by("id")


CARD_FIELDS = (
    "id",
    "user_id",
    "user__name",
    "user__contact",
    "specialty",
    "qualification",
    "experience_years",
    "first_visit_fee",
    "follow_up_fee",
    "offers_video_consultation",
)
DETAIL_FIELDS = ("registration_number", "biography", "languages")  # the detail's card adds these


def clinics_of(user_ids: list) -> dict[object, list[dict]]:
    """The `clinics` of doctor cards, by user id: their active doctor memberships at active clinics, oldest first.
    One query; the one builder of this shape (the directory and /api/doctors/me/)."""
    clinics = defaultdict(list)
    memberships = active_doctor_memberships().filter(user_id__in=user_ids).order_by("joined_at")
    for m in memberships.values("user_id", "clinic_id", "clinic__name", "clinic__city", "department"):
        clinics[m["user_id"]].append(
            {
                "clinic_id": str(m["clinic_id"]),
                "clinic_name": m["clinic__name"],
                "city": m["clinic__city"],
                "department": m["department"],
            }
        )
    return clinics


def doctor_cards(rows: list[dict]) -> list[dict]:
    """The one builder of the doctor card (DoctorListSerializer's shape; DoctorDetailSerializer's when the rows
    also hold DETAIL_FIELDS), from `.values(*CARD_FIELDS)` rows. Two queries for any number of doctors.

    The list is the hottest public read; building plain dicts is several times cheaper than model instances
    through nested serializers (bench/README.md).
    """
    clinics = clinics_of([row["user_id"] for row in rows])
    return [
        {
            "id": row["id"],
            "user": {
                "id": str(row["user_id"]),
                "name": row["user__name"],
                "contact": contact_as_int(row["user__contact"]),
            },
            "specialty": row["specialty"],
            "qualification": row["qualification"],
            "experience_years": row["experience_years"],
            "first_visit_fee": f"{row['first_visit_fee']:.2f}",
            "follow_up_fee": f"{row['follow_up_fee']:.2f}",
            "offers_video_consultation": row["offers_video_consultation"],
            "clinics": clinics[row["user_id"]],
            **{field: row[field] for field in DETAIL_FIELDS if field in row},
        }
        for row in rows
    ]


WINDOW_COLUMNS = ("clinic_id", "start_time", "end_time", "slot_duration_minutes", "max_patients")
# Stand-ins compiled into the SQL once, swapped for the real values at every call (see bookable_windows_sql).
_DOCTOR, _DAY, _CLINIC = -7_340_000_001, "__weekday__", uuid.UUID(int=0x7340_0001)


@cache
def bookable_windows_sql(*, with_clinic: bool) -> tuple[str, tuple]:
    """`bookable_windows` of one weekday (and one clinic) compiled to SQL once per process: free slots, the busiest
    public read, then pays only for running it (building it through the ORM cost more: bench/README.md). The ORM
    queryset stays the only definition of a bookable window. Returns (sql, params with stand-ins)."""
    windows = bookable_windows(doctor_id=_DOCTOR).filter(day=_DAY)
    if with_clinic:
        windows = windows.filter(clinic_id=_CLINIC)
    sql, params = windows.order_by().values_list(*WINDOW_COLUMNS).query.sql_with_params()
    return sql, tuple(params)


def bookable_window_rows(*, doctor_id: int, day: str, clinic_id=None) -> list[tuple]:
    """The WINDOW_COLUMNS of the doctor's bookable windows on `day` (a Weekday value), optionally at one clinic."""
    sql, params = bookable_windows_sql(with_clinic=clinic_id is not None)
    prep = DoctorAvailability._meta.get_field("clinic").get_db_prep_value
    swap = {_DOCTOR: doctor_id, _DAY: day, prep(_CLINIC, connection): prep(clinic_id, connection)}
    values = [swap.get(p, p) for p in params]
    return fetch_all("qc_windows_at_clinic" if clinic_id is not None else "qc_windows", sql, values)


def bookable_windows(*, doctor_id: int) -> QuerySet[DoctorAvailability]:
    """A window counts only while it is active, its doctor is `published` and an active member of its (active)
    clinic.

    A plain join to the membership, not an EXISTS: one membership row per clinic and user (a unique constraint) means
    no duplicates, and this query is on the free-slot hot path, where the simpler SQL is cheaper to plan.
    """
    windows = DoctorAvailability.objects.filter(
        doctor_id=doctor_id,
        is_active=True,
        clinic__is_active=True,
        clinic__members__user_id=F("doctor__user_id"),
        clinic__members__status=MemberStatus.ACTIVE,
        clinic__members__member_role=MemberRole.DOCTOR,
    )
    return published(windows, prefix="doctor__")


def doctor_profile_of(user) -> DoctorProfile | None:
    """The doctor profile of this user, if they have one: the one accessor (profiles are created by
    clinic.services.doctor_profile_ensure when a clinic adds a doctor, never on a read)."""
    return DoctorProfile.objects.select_related("user").filter(user_id=user.pk).first()


def doctor_for_self(*, user, doctor_id) -> DoctorProfile:
    """A doctor profile the caller may change: unknown -> 404, another doctor's (a public object) -> 403. The same
    idiom as clinic.selectors.clinic_for_owner."""
    doctor = DoctorProfile.objects.filter(pk=doctor_id).first()
    if doctor is None:
        raise NotFound("Doctor not found.")
    if doctor.user_id != user.pk:
        raise PermissionDenied("You can only manage your own availability.")
    return doctor
