"""Regression tests for the hardening issue (#10): upload input (items 8, 9), quotas and limits (item 13), access
that must end (item 16) and reads that must be logged (item 19)."""

import io
import struct
import zlib
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from clinic.models import ClinicMember, MemberStatus
from documents.models import Document, DocumentAccessLog, DocumentConsent
from documents.tests.factories import PDF_BYTES, dicom_bytes, make_consent, make_document, pdf_upload
from tests.refusals import assert_refused

pytestmark = pytest.mark.django_db


def upload(client, file, **fields):
    body = {"file": file, "title": "Scan", "document_type": "imaging", **fields}
    return client.post(reverse("documents:list"), body, format="multipart")


def png_declaring(width: int, height: int) -> bytes:
    """A real 1x1 PNG whose IHDR claims `width` x `height` (with a valid CRC): a decompression bomb's header."""
    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    ihdr = b"IHDR" + struct.pack(">II", width, height) + bytes(data[24:29])
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(ihdr))
    return bytes(data)


def jpeg_declaring(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (8, 8)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


# --- 8. images that would explode, and DICOM judged properly ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"), [("bomb.png", png_declaring(20_000, 20_000)), ("bomb.jpg", jpeg_declaring(65_500, 65_500))]
)
def test_item08_decompression_bomb_images_are_400(auth_client, patient, name, content):
    response = upload(auth_client(patient), SimpleUploadedFile(name, content))
    assert response.status_code == 400
    assert response.json()["file"][0] in (
        "This image declares more pixels than any scan or photo has.",
        "This image is 65500x65500 pixels; at most 100,000,000 are accepted.",
    )
    assert not Document.objects.exists()


def test_item08_dicom_needs_its_file_meta_group_not_only_the_magic(auth_client, patient):
    client = auth_client(patient)
    fake = b"\0" * 128 + b"DICM" + b"<html><script>alert(1)</script></html>"
    refused = upload(client, SimpleUploadedFile("scan.dcm", fake))
    assert refused.status_code == 400
    assert refused.json() == {"file": ["Only PDF, JPEG, PNG or DICOM files are accepted, and this file is none."]}
    bad_uid = upload(client, SimpleUploadedFile("scan.dcm", dicom_bytes(transfer_syntax=b"<script>")))
    assert_refused(bad_uid, 400, {"file": ["Only PDF, JPEG, PNG or DICOM files are accepted, and this file is none."]})
    ok = upload(client, SimpleUploadedFile("scan.dcm", dicom_bytes()))
    assert ok.status_code == 201 and ok.json()["content_type"] == "application/dicom"


# --- 9. an upload past the limit is never stored whole -------------------------------------------------------------


def test_item09_the_upload_handler_stops_reading_at_the_limit(auth_client, patient, settings, monkeypatch):
    """Without a trustworthy Content-Length (here: the check switched off), the handler still stops the body."""
    settings.DOCUMENT_MAX_UPLOAD_BYTES = 64 * 1024
    monkeypatch.setattr("QuickCare.uploads.body_limit", lambda content_type: 10**12)
    written = []
    from django.core.files.uploadhandler import TemporaryFileUploadHandler

    original = TemporaryFileUploadHandler.receive_data_chunk
    monkeypatch.setattr(
        TemporaryFileUploadHandler,
        "receive_data_chunk",
        lambda self, raw, start: written.append(len(raw)) or original(self, raw, start),
    )
    big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * (5 * 1024 * 1024))
    response = upload(auth_client(patient), big)
    assert response.status_code == 413
    assert response.json() == {"message": "The file is larger than the 0 MB limit."}
    assert sum(written) <= 128 * 1024  # stopped near the limit, not after 5 MB
    assert not Document.objects.exists()


# --- 13. quotas and limits ---------------------------------------------------------------------------------------


def test_item13_document_quota_per_patient(auth_client, patient, settings):
    settings.DOCUMENT_QUOTA_BYTES = len(PDF_BYTES) * 2
    client = auth_client(patient)
    assert upload(client, pdf_upload()).status_code == 201
    assert upload(client, pdf_upload()).status_code == 201
    refused = upload(client, pdf_upload())
    assert refused.status_code == 413
    assert refused.json()["message"].startswith("This would take your documents past their 0 MB of storage.")
    settings.DOCUMENT_QUOTA_BYTES = 0  # no limit
    assert upload(client, pdf_upload()).status_code == 201


def test_item13_uploads_per_user_are_throttled(auth_client, patient, settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {**rates, "upload_user": "2/hour"}}
    client = auth_client(patient)
    assert [upload(client, pdf_upload()).status_code for _ in range(3)] == [201, 201, 429]
    assert client.get(reverse("documents:list")).status_code == 200  # reads are not counted


def test_item13_a_rejected_doctor_waits_before_asking_again(auth_client, patient, doctor, settings):
    document = make_document(owner=patient)
    make_consent(document=document, doctor=doctor, status="rejected", actioned_at=timezone.now())
    body = {"document": str(document.id), "purpose": "Follow-up"}
    refused = auth_client(doctor.user).post(reverse("documents:consent-request"), body)
    assert refused.status_code == 409
    assert refused.json()["message"].startswith("The patient declined this request. You can ask again from ")
    DocumentConsent.objects.update(actioned_at=timezone.now() - timedelta(days=8))
    assert auth_client(doctor.user).post(reverse("documents:consent-request"), body).status_code == 201


# --- 16. leaving the last clinic ends access through old consents --------------------------------------------------


def test_item16_a_doctor_removed_from_every_clinic_loses_consented_documents(auth_client, patient, doctor):
    document = make_document(owner=patient)
    make_consent(document=document, doctor=doctor)
    client = auth_client(doctor.user)
    assert client.get(reverse("documents:detail", args=[document.id])).status_code == 200
    ClinicMember.objects.filter(user=doctor.user).update(status=MemberStatus.INACTIVE)
    assert_refused(client.get(reverse("documents:detail", args=[document.id])), 404, {"message": "Document not found."})
    assert_refused(
        client.get(reverse("documents:download", args=[document.id])), 404, {"message": "Document not found."}
    )
    assert client.get(reverse("documents:list")).json() == []


# --- 19. every read of another person's document is logged, and HEAD is not a download ----------------------------


def test_item19_a_doctors_list_logs_each_shown_document_as_list(auth_client, patient, doctor):
    document = make_document(owner=patient)
    consent = make_consent(document=document, doctor=doctor)
    own = make_document(owner=doctor.user)
    rows = auth_client(doctor.user).get(reverse("documents:list"), REMOTE_ADDR="10.9.8.7").json()
    assert {row["id"] for row in rows} == {str(document.id), str(own.id)}
    columns = ("document_id", "accessed_by_id", "action", "consent_id", "ip_address")
    logs = list(DocumentAccessLog.objects.values_list(*columns))
    assert logs == [(document.id, doctor.user_id, "list", consent.id, "10.9.8.7")]  # their own is not logged
    shown = auth_client(patient).get(reverse("documents:access-log")).json()
    assert [entry["action"] for entry in shown] == ["list"]


def test_item19_head_on_a_download_checks_access_but_is_not_logged(auth_client, patient, other_patient):
    document = make_document(owner=patient)
    head = auth_client(patient).head(reverse("documents:download", args=[document.id]))
    assert head.status_code == 200
    assert head["Content-Length"] == str(len(PDF_BYTES)) and head["Content-Type"] == "application/pdf"
    assert head.content == b""
    assert not DocumentAccessLog.objects.exists()
    assert (
        auth_client(other_patient).head(reverse("documents:download", args=[document.id])).status_code == 404
    )  # HEAD: no body
