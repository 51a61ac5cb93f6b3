"""`python manage.py seed_demo`: a small, realistic data set to look around with. Safe to run again.

It lives in `documents`, the app at the top of the stack, because it touches every domain.
"""

from datetime import time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment
from appointments.selectors import doctor_free_slots
from appointments.services import appointment_book
from clinic.models import Clinic, ClinicMember
from clinic.services import clinic_create, member_add
from doctors.models import DoctorProfile, Weekday
from doctors.services import availability_save, doctor_profile_update
from documents.models import Document
from documents.services import consent_act, consent_request, document_upload
from users.models import RoleId, User

PASSWORD = "Demo@Pass123"
ADMIN = ("9999999999", "Super Admin")
OWNERS = [("9800000001", "Anil Gupta"), ("9800000002", "Sunita Kulkarni")]
CLINICS = [  # owner index, name, type, city
    (0, "City Care Clinic", "clinic", "Jaipur"),
    (0, "Pink City Diagnostics", "diagnostic_center", "Jaipur"),
    (1, "Deccan Multispeciality Hospital", "hospital", "Pune"),
]
DOCTORS = [  # contact, name, clinic index, specialty, first-visit fee, video
    ("9811111101", "Dr. Priya Sharma", 0, "cardiology", 500, True),
    ("9811111102", "Dr. Rakesh Meena", 0, "general_physician", 300, False),
    ("9811111103", "Dr. Farah Khan", 1, "radiology", 700, False),
    ("9811111104", "Dr. Vikram Joshi", 2, "orthopedics", 800, True),
    ("9811111105", "Dr. Meera Iyer", 2, "pediatrics", 600, True),
]
PATIENTS = [("9822222201", "Rahul Sharma"), ("9822222202", "Kavya Nair"), ("9822222203", "Arjun Patil")]
DEMO_PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


def _user(contact, name, role, **extra) -> User:
    user = User.objects.filter(contact=contact).first()
    if user is None:
        user = User.objects.create_user(
            contact=contact, password=PASSWORD, name=name, roles_id=role, is_complete_onboarding=True, **extra
        )
    return user


class Command(BaseCommand):
    help = "Create demo clinics, doctors, patients, appointments and a shared document (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        if not User.objects.filter(contact=ADMIN[0]).exists():
            User.objects.create_superuser(contact=ADMIN[0], password=PASSWORD, name=ADMIN[1])
        owners = [_user(contact, name, RoleId.CLINIC_OWNER) for contact, name in OWNERS]
        clinics = []
        for owner_index, name, clinic_type, city in CLINICS:
            clinic = Clinic.objects.filter(name=name, owner=owners[owner_index]).first()
            if clinic is None:
                slots = [
                    {
                        "day_of_week": day,
                        "start_time": start,
                        "end_time": end,
                        "slot_duration_minutes": 15,
                        "max_appointments": 20,
                    }
                    for day in range(6)
                    for start, end in ((time(9), time(13)), (time(17), time(20)))
                ]
                clinic, _ = clinic_create(
                    owner=owners[owner_index],
                    name=name,
                    clinic_type=clinic_type,
                    city=city,
                    phone="0141-2222222",
                    time_slots=slots,
                )
            clinics.append(clinic)

        doctors = []
        for contact, name, clinic_index, specialty, fee, video in DOCTORS:
            user = _user(contact, name, RoleId.PATIENT)
            clinic = clinics[clinic_index]
            if not ClinicMember.objects.filter(clinic=clinic, user=user).exists():
                member_add(
                    clinic=clinic,
                    contact=contact,
                    member_role="doctor",
                    added_by=clinic.owner,
                    department=specialty.replace("_", " ").title(),
                )
            doctor = DoctorProfile.objects.get(user=user)
            if not doctor.qualification:
                doctor = doctor_profile_update(  # as the doctor would: this also lists them in the directory
                    profile=doctor,
                    specialty=specialty,
                    qualification="MBBS, MD",
                    experience_years=8,
                    first_visit_fee=fee,
                    follow_up_fee=fee * 6 // 10,
                    offers_video_consultation=video,
                    languages="English, Hindi",
                )
            if not doctor.availability.exists():
                for day in list(Weekday)[:6]:
                    availability_save(
                        doctor=doctor,
                        clinic=clinic,
                        day=day,
                        start_time=time(9),
                        end_time=time(13),
                        slot_duration_minutes=15,
                        max_patients=16,
                    )
            doctors.append(doctor)

        patients = [_user(contact, name, RoleId.PATIENT) for contact, name in PATIENTS]
        next_monday = timezone.localdate() + timedelta(days=7 - timezone.localdate().weekday())
        for i, patient in enumerate(patients):
            if not Appointment.objects.filter(patient=patient).exists():
                doctor = doctors[i % len(doctors)]
                free = doctor_free_slots(doctor_id=doctor.pk, on=next_monday)
                if free:
                    appointment_book(patient=patient, doctor=doctor, on=next_monday, at=free[0])

        if not Document.objects.filter(owner=patients[0]).exists():
            report = document_upload(
                owner=patients[0],
                title="Blood Test Report",
                document_type="lab_report",
                description="CBC, demo data",
                file=SimpleUploadedFile("cbc-report.pdf", DEMO_PDF, "application/pdf"),
            )
            consent = consent_request(
                user=doctors[0].user, document_id=report.pk, purpose="Reviewing prior lab results before consultation"
            )
            consent_act(consent=consent, action="grant", by=patients[0])

        self.stdout.write(self.style.SUCCESS("Demo data is ready. Every account's password: " + PASSWORD))
        rows = (
            [("Superadmin (/admin/)", *ADMIN)]
            + [("Clinic owner", *o) for o in OWNERS]
            + [("Doctor", d[0], d[1]) for d in DOCTORS]
            + [("Patient", *p) for p in PATIENTS]
        )
        for role, contact, name in rows:
            self.stdout.write(f"  {role:<22} {contact}  {name}")
