import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from appointments.models import Appointment
from clinic.models import Clinic
from demo.management.commands.seed_demo import DOCTORS, PASSWORD, PATIENTS
from doctors.models import DoctorProfile
from documents.models import DocumentConsent
from users.models import User

pytestmark = pytest.mark.django_db


def counts():
    return (
        User.objects.count(),
        Clinic.objects.count(),
        DoctorProfile.objects.count(),
        Appointment.objects.count(),
        DocumentConsent.objects.count(),
    )


def test_seed_demo_is_idempotent_and_usable(api_client):
    call_command("seed_demo", stdout=io.StringIO())
    first = counts()
    call_command("seed_demo", stdout=io.StringIO())
    assert counts() == first
    assert first[1:] == (3, len(DOCTORS), len(PATIENTS), 1)
    login = api_client.post(reverse("users:login"), {"contact": PATIENTS[0][0], "password": PASSWORD}, format="json")
    assert login.status_code == 200
    doctors = api_client.get(reverse("doctors:list")).json()
    assert len(doctors) == len(DOCTORS)
    assert User.objects.get(contact="9999999999").is_superuser
