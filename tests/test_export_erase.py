"""The patient's own data (contract 5.6): the export holds exactly the caller's records (and, as a zip, their files,
streamed), erasure leaves no personal field and no file but keeps the clinics' records and a verifiable log."""

import io
import json
import tracemalloc
import zipfile
from datetime import time

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from rest_framework.test import APIClient

from appointments.models import Appointment, AppointmentHistory
from appointments.services import appointment_book
from clinic.models import PatientLookup
from doctors.tests.factories import make_window, next_weekday
from documents.models import Document, DocumentAccessLog
from documents.tests.factories import PDF_BYTES, make_consent, make_document
from notifications.models import Notification
from QuickCare.chain import verify
from tests.refusals import assert_refused
from users.models import UserAddress
from users.services import tokens_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(auth_client, doctor, patient, other_patient):
    """Both patients have an appointment, a document the doctor may open (and did), and a message."""
    make_window(doctor=doctor)
    for person, at in ((patient, time(9)), (other_patient, time(9, 15))):
        appointment_book(patient=person, doctor=doctor, on=next_weekday(0), at=at)
        document = make_document(owner=person, title=f"CBC of {person.name}")
        make_consent(document=document, doctor=doctor)
        auth_client(doctor.user).get(reverse("documents:detail", args=[document.pk]))
    UserAddress.objects.create(user=patient, area="MG Road", town="Jaipur", state="Rajasthan", pincode="302001")
    return Appointment.objects.get(patient=patient), Document.objects.get(owner=patient)


def test_the_export_holds_exactly_the_callers_records(auth_client, patient, other_patient, records):
    appointment, document = records
    response = auth_client(patient).get(reverse("my-export"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"] and response["Cache-Control"] == "private, no-store"
    data = json.loads(response.content)
    assert data["profile"]["id"] == str(patient.pk) and data["addresses"][0]["area"] == "MG Road"
    assert [a["id"] for a in data["appointments"]] == [appointment.id]
    assert [h["event"] for h in data["appointments"][0]["history"]] == ["booked"]
    assert [d["id"] for d in data["documents"]] == [str(document.pk)]
    assert [c["document_id"] for c in data["consents"]] == [str(document.pk)]
    assert [e["document"]["id"] for e in data["access_log"]] == [str(document.pk)]
    assert {n["kind"] for n in data["notifications"]} >= {"booking_confirmed"}
    text = response.content.decode()
    assert other_patient.name not in text and str(other_patient.pk) not in text  # never another patient's data


def test_the_zip_has_the_export_and_the_files(auth_client, patient, records):
    _, document = records
    response = auth_client(patient).get(reverse("my-export"), {"format": "zip"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip" and response.streaming
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == ["export.json", f"files/{document.pk}/report.pdf"]
    assert archive.read(f"files/{document.pk}/report.pdf") == PDF_BYTES
    assert json.loads(archive.read("export.json"))["profile"]["id"] == str(patient.pk)
    assert_refused(
        auth_client(patient).get(reverse("my-export"), {"format": "pdf"}),
        400,
        {"format": ['"pdf" is not a valid choice.']},
    )


def test_the_zip_streams_a_large_file_with_flat_memory(auth_client, patient):
    size = 40 * 1024 * 1024
    name = Document._meta.get_field("file").storage.save("documents/big/scan.bin", ContentFile(b"\x00" * size))
    Document.objects.create(
        owner=patient,
        uploaded_by=patient,
        file=name,
        title="MRI",
        document_type="imaging",
        original_filename="scan.bin",
        content_type="application/octet-stream",
        size=size,
        sha256="0" * 64,
    )
    response = auth_client(patient).get(reverse("my-export"), {"format": "zip"})
    tracemalloc.start()
    total = 0
    for chunk in response.streaming_content:
        total += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert total > 0 and peak < 8 * 1024 * 1024, peak  # a 40 MB file, never more than a few chunks in memory


def test_a_wrong_password_erases_nothing(auth_client, patient, records):
    assert_refused(
        auth_client(patient).post(reverse("my-erase"), {"password": "not-it"}, format="json"),
        400,
        {"password": ["The password is not correct."]},
    )
    patient.refresh_from_db()
    assert patient.is_active and patient.name == "Rahul Sharma" and UserAddress.objects.filter(user=patient).exists()


def test_erasure_leaves_no_personal_field_no_file_a_verifiable_log_and_dead_tokens(
    patient, other_patient, records, django_capture_on_commit_callbacks
):
    appointment, document = records
    storage, file_name = document.file.storage, document.file.name
    patient.set_password("Erase-Me#2026")
    patient.save()
    access = tokens_for(patient)["access"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    contact = patient.contact
    with django_capture_on_commit_callbacks(execute=True):
        erased = client.post(reverse("my-erase"), {"password": "Erase-Me#2026"}, format="json")
    assert erased.status_code == 200
    patient.refresh_from_db()
    assert (patient.name, patient.email, patient.age, patient.gender, patient.blood_group) == (
        "Erased user",
        "",
        None,
        "",
        "",
    )
    assert patient.contact != contact and not patient.contact.isdigit() and not patient.is_active
    assert not patient.has_usable_password()
    assert (
        not UserAddress.objects.filter(user=patient).exists()
        and not Notification.objects.filter(recipient=patient).exists()
    )
    assert not storage.exists(file_name)
    document.refresh_from_db()
    assert (document.title, document.original_filename, document.is_deleted) == ("Erased", "", True)
    assert Appointment.objects.filter(pk=appointment.pk, patient=patient).exists()  # the clinic's record stays
    assert DocumentAccessLog.objects.filter(chain_owner=patient).exists()  # the log stays, pointing at the pseudonym
    for model in (DocumentAccessLog, PatientLookup, AppointmentHistory):
        assert verify(model)[1] is None
    assert client.get(reverse("users:me")).status_code == 401
    other_patient.refresh_from_db()
    assert other_patient.is_active and Document.objects.filter(owner=other_patient, is_deleted=False).exists()
