import hashlib
import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from appointments.tests.factories import make_appointment
from doctors.tests.factories import make_doctor, next_weekday
from documents.models import Document, DocumentAccessLog
from documents.services import document_open
from documents.tests.factories import (
    PDF_BYTES,
    dicom_bytes,
    jpeg_bytes,
    make_consent,
    make_document,
    pdf_upload,
    png_bytes,
)
from tests.live import ROOT
from tests.refusals import assert_refused
from users.models import RoleId
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(patient):
    return make_document(owner=patient, description="CBC report dated 2026-02-20")


def upload(client, file, **fields):
    body = {
        "file": file,
        "title": "Blood Test Report",
        "document_type": "lab_report",
        "description": "CBC report dated 2026-02-20",
        **fields,
    }
    return client.post(reverse("documents:list"), body, format="multipart")


# --- upload ------------------------------------------------------------------------------------------------------


def test_patient_uploads_a_pdf(auth_client, patient, settings):
    response = upload(auth_client(patient), pdf_upload("My CBC (Feb).pdf"))
    assert response.status_code == 201
    body = response.json()
    document = Document.objects.get()
    assert body["id"] == str(document.id)
    assert body["title"] == "Blood Test Report" and body["document_type"] == "lab_report"
    assert body["original_filename"] == "My CBC (Feb).pdf"
    assert body["content_type"] == "application/pdf" and body["size"] == len(PDF_BYTES)
    assert body["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest()
    assert body["file"].startswith("http://testserver" + reverse("documents:download", args=[document.id]) + "?sig=")
    assert "CBC" not in document.file.name and document.file.name.endswith(".pdf")  # random stored name
    assert str(settings.MEDIA_ROOT) in document.file.path


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("scan.png", png_bytes(), "image/png"),
        ("photo.jpeg", jpeg_bytes(), "image/jpeg"),
        ("scan.bin", dicom_bytes(), "application/dicom"),
        ("no-extension", PDF_BYTES, "application/pdf"),
    ],
)
def test_accepted_types_are_judged_by_bytes(auth_client, patient, name, content, expected):
    response = upload(auth_client(patient), pdf_upload(name, content, "application/octet-stream"))
    assert response.status_code == 201 and response.json()["content_type"] == expected


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.pdf", b"<html><script>alert(1)</script></html>"),
        ("report.pdf", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 200),
        ("image.png", b"\x89PNG\r\n\x1a\n" + b"not really a png"),
    ],
)
def test_disguised_files_are_refused(auth_client, patient, name, content):
    response = upload(auth_client(patient), pdf_upload(name, content, "application/pdf"))
    assert response.status_code == 400
    assert response.json() == {"file": ["Only PDF, JPEG, PNG or DICOM files are accepted, and this file is none."]}
    assert not Document.objects.exists()


def test_empty_file_is_refused(auth_client, patient):
    response = upload(auth_client(patient), pdf_upload("empty.pdf", b""))
    assert response.status_code == 400 and response.json() == {"file": ["The file is empty."]}


def test_size_limit(auth_client, patient, settings):
    settings.DOCUMENT_MAX_UPLOAD_BYTES = 1024 * 1024
    response = upload(auth_client(patient), pdf_upload(content=PDF_BYTES + b"\0" * (1024 * 1024)))
    assert response.status_code == 413
    assert response.json() == {"message": "The file is larger than the 1 MB limit."}
    assert not Document.objects.exists()


def test_upload_validation(auth_client, patient):
    response = auth_client(patient).post(reverse("documents:list"), {"document_type": "selfie"}, format="multipart")
    assert response.status_code == 400
    assert set(response.json()) == {"file", "document_type"}  # the title has a default (contract row 1.10)


def test_appointment_link_must_be_my_own(auth_client, patient, other_patient, doctor):
    mine = make_appointment(doctor=doctor, on=next_weekday(0), patient=patient)
    theirs = make_appointment(doctor=doctor, on=next_weekday(0, 2), patient=other_patient)
    client = auth_client(patient)
    assert upload(client, pdf_upload(), appointment=mine.id).json()["appointment"] == mine.id
    refused = upload(client, pdf_upload(), appointment=theirs.id)
    assert refused.status_code == 400 and "appointment" in refused.json()


OWN_RECORDS_ONLY = {"message": "Only patients (and clinic staff, for their own records) can do this."}


@pytest.mark.parametrize("role", [RoleId.CLINIC_OWNER, RoleId.ADMIN])
def test_organisation_accounts_cannot_upload(auth_client, role):
    refused = upload(auth_client(make_user(role=role)), pdf_upload())
    assert refused.status_code == 403 and refused.json() == OWN_RECORDS_ONLY


@pytest.mark.parametrize("role", [RoleId.DOCTOR, RoleId.RECEPTIONIST, RoleId.LAB_MEMBER])
def test_staff_upload_and_list_their_own_documents(auth_client, role):
    client = auth_client(make_user(role=role))
    uploaded = upload(client, pdf_upload())
    assert uploaded.status_code == 201
    assert [d["id"] for d in client.get(reverse("documents:list")).json()] == [uploaded.json()["id"]]


@pytest.mark.parametrize("role", [RoleId.CLINIC_OWNER, RoleId.ADMIN])
def test_roles_without_business_get_403_on_the_list(auth_client, role):
    refused = auth_client(make_user(role=role)).get(reverse("documents:list"))
    assert refused.status_code == 403 and refused.json() == OWN_RECORDS_ONLY


def test_documents_need_a_token(api_client, document):
    assert_refused(
        api_client.get(reverse("documents:list")), 401, {"message": "Authentication credentials were not provided."}
    )
    assert_refused(
        api_client.get(reverse("documents:detail", args=[document.id])),
        401,
        {"message": "Authentication credentials were not provided."},
    )
    assert_refused(
        api_client.get(reverse("documents:download", args=[document.id])),
        401,
        {"message": "Authentication credentials were not provided."},
    )


# --- reading -----------------------------------------------------------------------------------------------------


def test_patient_lists_own_documents_with_type_filter(auth_client, patient, other_patient, document):
    prescription = make_document(owner=patient, document_type="prescription")
    make_document(owner=other_patient)
    client = auth_client(patient)
    assert {d["id"] for d in client.get(reverse("documents:list")).json()} == {str(document.id), str(prescription.id)}
    rows = client.get(reverse("documents:list"), {"document_type": "prescription"}).json()
    assert [d["id"] for d in rows] == [str(prescription.id)]
    assert_refused(
        client.get(reverse("documents:list"), {"document_type": "x"}),
        400,
        {"document_type": ["Select a valid choice. x is not one of the available choices."]},
    )


@pytest.mark.parametrize("count", [2, 10])
def test_document_list_query_count(auth_client, patient, django_assert_num_queries, count):
    for _ in range(count):
        make_document(owner=patient)
    client = auth_client(patient)
    with django_assert_num_queries(1):
        assert len(client.get(reverse("documents:list")).json()) == count


@pytest.mark.parametrize("count", [2, 10])
def test_doctor_document_list_query_count(auth_client, patient, doctor, django_assert_num_queries, count):
    for _ in range(count):
        make_consent(document=make_document(owner=patient), doctor=doctor)
    client = auth_client(doctor.user)
    with django_assert_num_queries(3):  # the page, the ends of the patients' log chains, one INSERT of `list` rows
        assert len(client.get(reverse("documents:list")).json()) == count
    assert DocumentAccessLog.objects.filter(action="list").count() == count


def test_owner_views_and_it_is_logged(auth_client, patient, document):
    response = auth_client(patient).get(reverse("documents:detail", args=[document.id]), REMOTE_ADDR="103.21.244.1")
    assert response.status_code == 200 and response.json()["description"] == "CBC report dated 2026-02-20"
    log = DocumentAccessLog.objects.get()
    assert (log.accessed_by, log.action, log.ip_address, log.consent) == (patient, "view", "103.21.244.1", None)


def test_other_patient_gets_404_and_nothing_is_logged(auth_client, other_patient, document):
    client = auth_client(other_patient)
    assert_refused(client.get(reverse("documents:detail", args=[document.id])), 404, {"message": "Document not found."})
    assert_refused(
        client.get(reverse("documents:download", args=[document.id])), 404, {"message": "Document not found."}
    )
    assert_refused(client.delete(reverse("documents:detail", args=[document.id])), 404, {"message": "Not found."})
    assert client.get(reverse("documents:list")).json() == []
    assert not DocumentAccessLog.objects.exists()
    assert Document.objects.get(pk=document.id).is_deleted is False


def test_doctor_without_consent_gets_404(auth_client, doctor, document):
    client = auth_client(doctor.user)
    assert_refused(client.get(reverse("documents:detail", args=[document.id])), 404, {"message": "Document not found."})
    assert_refused(
        client.get(reverse("documents:download", args=[document.id])), 404, {"message": "Document not found."}
    )
    assert client.get(reverse("documents:list")).json() == []
    make_consent(document=document, doctor=doctor, status="pending")
    assert_refused(client.get(reverse("documents:detail", args=[document.id])), 404, {"message": "Document not found."})


def test_doctor_with_consent_views_downloads_and_both_are_logged(auth_client, doctor, document):
    consent = make_consent(document=document, doctor=doctor)
    client = auth_client(doctor.user)
    assert [d["id"] for d in client.get(reverse("documents:list")).json()] == [str(document.id)]
    assert client.get(reverse("documents:detail", args=[document.id]), REMOTE_ADDR="10.1.2.3").status_code == 200
    download = client.get(reverse("documents:download", args=[document.id]), REMOTE_ADDR="10.1.2.3")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"] == 'attachment; filename="report.pdf"'
    logs = list(DocumentAccessLog.objects.order_by("accessed_at"))
    assert [(log.action, log.accessed_by, log.consent, log.ip_address) for log in logs] == [
        ("list", doctor.user, consent, "127.0.0.1"),
        ("view", doctor.user, consent, "10.1.2.3"),
        ("download", doctor.user, consent, "10.1.2.3"),
    ]


def test_forwarded_ip_is_used_only_behind_trusted_proxies(auth_client, patient, document, settings):
    client = auth_client(patient)
    url = reverse("documents:detail", args=[document.id])
    client.get(url, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    client.get(url, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert list(DocumentAccessLog.objects.order_by("accessed_at").values_list("ip_address", flat=True)) == [
        "10.0.0.1",
        "1.2.3.4",
    ]


def test_revoke_cuts_access_at_once(auth_client, patient, doctor, document):
    consent = make_consent(document=document, doctor=doctor)
    doctor_client = auth_client(doctor.user)
    assert doctor_client.get(reverse("documents:detail", args=[document.id])).status_code == 200
    auth_client(patient).patch(reverse("documents:consent-action", args=[consent.id]), {"action": "revoke"})
    assert_refused(
        doctor_client.get(reverse("documents:detail", args=[document.id])), 404, {"message": "Document not found."}
    )
    assert_refused(
        doctor_client.get(reverse("documents:download", args=[document.id])), 404, {"message": "Document not found."}
    )


def test_expiry_cuts_access(auth_client, doctor, document):
    make_consent(document=document, doctor=doctor, days=1)
    client = auth_client(doctor.user)
    assert client.get(reverse("documents:detail", args=[document.id])).status_code == 200
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        assert_refused(
            client.get(reverse("documents:detail", args=[document.id])), 404, {"message": "Document not found."}
        )
        assert client.get(reverse("documents:list")).json() == []


def test_owner_deletes_softly_and_consents_end(auth_client, patient, doctor, document):
    consent = make_consent(document=document, doctor=doctor)
    pending = make_consent(document=document, doctor=make_doctor(), status="pending")
    assert_refused(
        auth_client(doctor.user).delete(reverse("documents:detail", args=[document.id])), 404, {"message": "Not found."}
    )
    assert auth_client(patient).delete(reverse("documents:detail", args=[document.id])).status_code == 204
    document.refresh_from_db()
    assert document.is_deleted and document.deleted_at
    consent.refresh_from_db()
    pending.refresh_from_db()
    assert consent.status == pending.status == "revoked"
    assert_refused(
        auth_client(patient).get(reverse("documents:detail", args=[document.id])),
        404,
        {"message": "Document not found."},
    )
    assert_refused(
        auth_client(doctor.user).get(reverse("documents:detail", args=[document.id])),
        404,
        {"message": "Document not found."},
    )
    assert auth_client(patient).get(reverse("documents:list")).json() == []


def test_files_are_not_served_by_any_public_url(api_client, document):
    assert_refused(api_client.get("/media/" + document.file.name), 404, {"message": "Not found."})
    assert_refused(api_client.get("/" + document.file.name), 404, {"message": "Not found."})


# --- access log --------------------------------------------------------------------------------------------------


def test_access_log_lists_newest_first(auth_client, patient, doctor, document):
    other = make_document(owner=patient, title="X-ray")
    make_consent(document=document, doctor=doctor)
    doctor_client = auth_client(doctor.user)
    doctor_client.get(reverse("documents:detail", args=[document.id]), REMOTE_ADDR="103.21.244.1")
    auth_client(patient).get(reverse("documents:download", args=[other.id]))
    client = auth_client(patient)
    rows = client.get(reverse("documents:access-log")).json()
    assert [(r["document"], r["action"]) for r in rows] == [(str(other.id), "download"), (str(document.id), "view")]
    first = rows[1]
    assert first["accessed_by"] == {"id": str(doctor.user.id), "name": doctor.user.name, "role": "doctor"}
    assert first["document_title"] == document.title
    assert first["ip_address"] == "103.21.244.1" and set(first) == {
        "id",
        "document",
        "document_title",
        "accessed_by",
        "accessed_at",
        "ip_address",
        "action",
        "reason",
        "consent",
        "admission_submission",
        "emergency_access",
    }
    assert (first["reason"], first["admission_submission"]) == ("consent", None) and first["consent"] is not None
    one = client.get(reverse("documents:document-access-log", args=[document.id])).json()
    assert [r["document"] for r in one] == [str(document.id)]


def test_access_log_is_private(auth_client, other_patient, doctor, document):
    auth_client(document.owner).get(reverse("documents:detail", args=[document.id]))
    assert auth_client(other_patient).get(reverse("documents:access-log")).json() == []
    assert_refused(
        auth_client(other_patient).get(reverse("documents:document-access-log", args=[document.id])),
        404,
        {"message": "Not found."},
    )
    assert auth_client(doctor.user).get(reverse("documents:access-log")).json() == []  # their own documents' log


@pytest.mark.parametrize("count", [2, 10])
def test_access_log_query_count(auth_client, patient, document, django_assert_num_queries, count):
    client = auth_client(patient)
    for _ in range(count):
        client.get(reverse("documents:detail", args=[document.id]))
    with django_assert_num_queries(1):
        assert len(client.get(reverse("documents:access-log")).json()) == count


def test_access_log_cannot_be_changed_through_the_api(auth_client, patient, document):
    client = auth_client(patient)
    client.get(reverse("documents:detail", args=[document.id]))
    url = reverse("documents:access-log")
    assert_refused(client.delete(url), 405, {"message": 'Method "DELETE" not allowed.'})
    assert_refused(client.post(url, {}), 405, {"message": 'Method "POST" not allowed.'})
    assert_refused(client.put(url, {}), 405, {"message": 'Method "PUT" not allowed.'})
    assert DocumentAccessLog.objects.count() == 1


def test_access_log_is_read_only_in_the_admin(client, patient, document):
    admin = make_user(role=RoleId.SUPERADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    document_open(user=patient, document_id=document.id, ip="1.1.1.1", action="view")
    log_id = DocumentAccessLog.objects.get().id
    change_url = reverse("admin:documents_documentaccesslog_change", args=[log_id])
    assert client.get(reverse("admin:documents_documentaccesslog_changelist")).status_code == 200
    assert_refused(
        client.post(change_url, {"ip_address": "9.9.9.9", "action": "download"}),
        403,
        {"message": "You do not have permission to perform this action."},
    )
    assert (
        client.post(reverse("admin:documents_documentaccesslog_delete", args=[log_id]), {"post": "yes"}).status_code
        == 403
    )
    assert_refused(
        client.get(reverse("admin:documents_documentaccesslog_add")),
        403,
        {"message": "You do not have permission to perform this action."},
    )
    log = DocumentAccessLog.objects.get()
    assert (log.ip_address, log.action) == ("1.1.1.1", "view")


def test_s3_bucket_is_a_documented_private_setting():
    env = {
        **os.environ,
        "DOCUMENTS_STORAGE_BACKEND": "storages.backends.s3.S3Storage",
        "DOCUMENTS_S3_BUCKET": "quickcare-documents",
        "DOCUMENTS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
    }
    script = (
        "from documents.models import document_storage; s = document_storage(); "
        "print(type(s).__name__, s.bucket_name, s.default_acl, s.querystring_auth, s.endpoint_url)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split()[-5:] == ["S3Storage", "quickcare-documents", "None", "True", "http://127.0.0.1:9000"]
