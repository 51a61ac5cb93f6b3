"""Seed the benchmark data set through the ORM: 20 clinics, 200 doctors, 2,000 patients, 20,000 appointments.

Usage (from the repo root, against an empty migrated database): python bench/seed.py OUT_DIR
Writes OUT_DIR/targets.json (ids and tokens for the load runs), OUT_DIR/bookings.txt (one free booking body per
line, for the booking runs), OUT_DIR/patient_tokens.txt (64 patients' access tokens, for the booking run by many
patients) and OUT_DIR/reschedules.txt (an appointment id and a free new time per line).
"""

import json
import os
import sys
from datetime import date, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "QuickCare.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from appointments.models import Appointment  # noqa: E402
from clinic.models import Clinic, ClinicMember  # noqa: E402
from doctors.models import DoctorAvailability, DoctorProfile, Specialty, Weekday  # noqa: E402
from users.models import RoleId, User  # noqa: E402
from users.services import tokens_for  # noqa: E402

CLINICS, DOCTORS, PATIENTS, APPOINTMENTS = 20, 200, 2000, 20000
CITIES = ["Jaipur", "Pune", "Delhi", "Mumbai", "Bengaluru"]
TIMES = [time(9 + m // 60, m % 60) for m in range(0, 240, 15)]  # 16 slots, 09:00-12:45


def users(prefix: int, count: int, role: int, name: str) -> list[User]:
    rows = [
        User(contact=str(prefix + i), name=f"{name} {i}", roles_id=role, password="!", is_complete_onboarding=True)
        for i in range(count)
    ]
    return User.objects.bulk_create(rows, batch_size=1000)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    owners = users(9100000000, CLINICS, RoleId.CLINIC_OWNER, "Owner")
    clinics = Clinic.objects.bulk_create(
        [
            Clinic(
                owner=owners[i],
                name=f"Bench Clinic {i}",
                slug=f"bench-clinic-{i}",
                city=CITIES[i % len(CITIES)],
                clinic_type="clinic",
            )
            for i in range(CLINICS)
        ]
    )
    doctor_users = users(9200000000, DOCTORS, RoleId.DOCTOR, "Dr. Bench")
    specialties = [s for s in Specialty.values if s != "other"]
    doctors = DoctorProfile.objects.bulk_create(
        [
            DoctorProfile(
                user=u,
                specialty=specialties[i % len(specialties)],
                first_visit_fee=200 + (i % 14) * 100,
                follow_up_fee=150,
                offers_video_consultation=i % 3 == 0,
                qualification="MBBS, MD",
                listed_at=timezone.now(),  # as if each had filled in their profile: in the directory, bookable
            )
            for i, u in enumerate(doctor_users)
        ]
    )
    members = [
        ClinicMember(clinic=clinics[i % CLINICS], user=d.user, member_role="doctor", department="OPD")
        for i, d in enumerate(doctors)
    ]
    members += [
        ClinicMember(clinic=clinics[(i + 7) % CLINICS], user=d.user, member_role="doctor")
        for i, d in enumerate(doctors)
        if i % 4 == 0
    ]  # a quarter also visit a second clinic
    ClinicMember.objects.bulk_create(members)
    DoctorAvailability.objects.bulk_create(
        [
            DoctorAvailability(
                doctor=d,
                clinic=clinics[i % CLINICS],
                day=day,
                start_time=time(9),
                end_time=time(13),
                slot_duration_minutes=15,
                max_patients=16,
            )
            for i, d in enumerate(doctors)
            for day in list(Weekday)[:6]
        ]
    )
    patients = users(9300000000, PATIENTS, RoleId.PATIENT, "Patient")

    # 100 appointments per doctor: the last three weeks' Mondays and Tuesdays (done), then a busy coming Monday.
    today = date.today()
    next_monday = today + timedelta(days=7 - today.weekday())
    days = [next_monday - timedelta(days=7 * w) + timedelta(days=d) for w in (1, 2, 3) for d in (0, 1)]
    rows = []
    for i, doctor in enumerate(doctors):
        clinic = clinics[i % CLINICS]
        slots = [(day, t, "completed") for day in days for t in TIMES] + [(next_monday, t, "pending") for t in TIMES]
        tokens = {}
        for j, (on, at, status) in enumerate(slots[: APPOINTMENTS // DOCTORS]):
            tokens[on] = tokens.get(on, 0) + 1
            rows.append(
                Appointment(
                    patient=patients[(i * 100 + j) % PATIENTS],
                    doctor=doctor,
                    clinic=clinic,
                    appointment_date=on,
                    appointment_time=at,
                    appointment_type="first_visit",
                    status=status,
                    fee_charged=doctor.first_visit_fee,
                    token_number=tokens[on],
                )
            )
    Appointment.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum would do after a bulk load: fresh planner statistics

    # The busy day's queue of the first doctor: half of their patients have checked in.
    first_day = Appointment.objects.filter(doctor=doctors[0], appointment_date=next_monday).order_by("token_number")
    Appointment.objects.filter(pk__in=list(first_day.values_list("pk", flat=True)[::2])).update(
        checked_in_at=timezone.now()
    )

    # The reschedule run: a second patient holds one appointment with each of MOVERS doctors, 40 weeks out; each
    # line moves one of them to a fresh free time of its own doctor (lines cycle through the appointments, so the
    # same one is never moved twice at once).
    mover, movers_day = patients[1], next_monday + timedelta(weeks=40)
    held = Appointment.objects.bulk_create(
        Appointment(
            patient=mover,
            doctor=doctor,
            clinic=clinics[i % CLINICS],
            appointment_date=movers_day,
            appointment_time=TIMES[0],
            appointment_type="first_visit",
            fee_charged=doctor.first_visit_fee,
            token_number=1,
        )
        for i, doctor in enumerate(doctors)
    )
    workdays = [movers_day + timedelta(days=d) for d in range(1, 60) if (movers_day + timedelta(days=d)).weekday() < 6]
    with open(out / "reschedules.txt", "w") as moves:
        for n in range(600):
            on, at = workdays[n // len(TIMES)], TIMES[n % len(TIMES)]
            for appointment in held:
                body = {"appointment_date": on.isoformat(), "appointment_time": at.strftime("%H:%M")}
                moves.write(f"{appointment.id}\t{json.dumps(body)}\n")

    booker = patients[0]
    far = next_monday + timedelta(weeks=20)
    with open(out / "bookings.txt", "w") as bookings:
        for week in range(8):
            for day in range(6):
                for at in TIMES:
                    for doctor in doctors:
                        on = far + timedelta(weeks=week, days=day)
                        bookings.write(
                            json.dumps(
                                {
                                    "doctor": doctor.id,
                                    "appointment_date": on.isoformat(),
                                    "appointment_time": at.strftime("%H:%M"),
                                }
                            )
                            + "\n"
                        )
    # The booking run by many patients: each request books as the next of these, so bookings do not queue on one
    # patient's row lock and hash chain as the one-patient run's do.
    (out / "patient_tokens.txt").write_text("".join(tokens_for(p)["access"] + "\n" for p in patients[100:164]))
    (out / "targets.json").write_text(
        json.dumps(
            {
                "token": tokens_for(booker)["access"],
                # Reads "my appointments" as a patient who does not book in the runs (about 10 appointments): the
                # booker's list grows by thousands during a run.
                "reader_token": tokens_for(patients[2])["access"],
                "doctor_token": tokens_for(doctors[0].user)["access"],
                "owner_token": tokens_for(owners[0])["access"],
                "lookup_contact": patients[5].contact,
                "mover_token": tokens_for(mover)["access"],
                "doctor": doctors[0].id,
                "clinic": str(clinics[0].id),
                "busy_day": next_monday.isoformat(),
                "contact": booker.contact,
            }
        )
    )
    print(f"seeded {Appointment.objects.count()} appointments, {DoctorProfile.objects.count()} doctors")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
