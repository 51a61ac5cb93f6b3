"""Admission documents, the patient's side and the clinic's access (contract 2.6): a patient with a care relationship
hands one of their documents to the clinic for a checklist item; the clinic's owner, receptionists and doctors may
open it (logged, shown to the patient) until it is withdrawn; nobody else."""

from datetime import time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appointments.models import AppointmentStatus
from appointments.tests.factories import make_appointment
from clinic.models import AdmissionDocumentType, MemberRole, MemberStatus
from clinic.tests.factories import make_clinic, make_member
from documents.models import AccessAction, AdmissionSubmission, DocumentAccessLog
from documents.services import document_delete
from documents.tests.factories import make_consent, make_document
from tests.refusals import assert_refused
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db

NO_CARE = {"message": "You can send admission documents only to a clinic where you have an appointment."}
NOT_FOUND = {"message": "Document not found."}


@pytest.fixture
def booked(doctor, patient):
    """The patient is booked with the clinic's doctor next week: a care relationship at the clinic."""
    return make_appointment(doctor=doctor, on=timezone.localdate() + timedelta(days=7), patient=patient)


@pytest.fixture
def checklist(clinic):
    aadhaar = AdmissionDocumentType.objects.create(clinic=clinic, name="Aadhaar card", description="Photo ID")
    reports = AdmissionDocumentType.objects.create(clinic=clinic, name="Previous reports", is_mandatory=False)
    return aadhaar, reports


@pytest.fixture
def receptionist(clinic):
    return make_member(clinic=clinic, member_role=MemberRole.RECEPTIONIST).user


def submit(client, clinic, document, item, **fields):
    body = {"document": str(document.pk), "document_type": str(item.pk), **fields}
    return client.post(reverse("admission-submissions", args=[clinic.id]), body)


def opens(client, document) -> int:
    return client.get(reverse("documents:download", args=[document.pk])).status_code


@pytest.fixture
def submitted(auth_client, patient, clinic, booked, checklist):
    """The patient's Aadhaar scan, submitted for the first item."""
    document = make_document(owner=patient, title="Aadhaar scan", document_type="other")
    response = submit(auth_client(patient), clinic, document, checklist[0], notes="Front and back")
    assert response.status_code == 201, response.content
    return document, response.json()


def test_the_patient_sees_the_checklist_submits_and_sees_it_ticked(auth_client, patient, clinic, booked, checklist):
    aadhaar, reports = checklist
    client = auth_client(patient)
    url = reverse("admission-checklist", args=[clinic.id])
    before = client.get(url).json()
    assert before == {
        "clinic": {"id": str(clinic.id), "name": "Apollo Clinic"},
        "mandatory_documents": [
            {
                "id": str(aadhaar.id),
                "name": "Aadhaar card",
                "description": "Photo ID",
                "is_mandatory": True,
                "is_uploaded": False,
                "document": None,
                "submission_id": None,
            }
        ],
        "optional_documents": [
            {
                "id": str(reports.id),
                "name": "Previous reports",
                "description": "",
                "is_mandatory": False,
                "is_uploaded": False,
                "document": None,
                "submission_id": None,
            }
        ],
    }
    document = make_document(owner=patient, title="Aadhaar scan", document_type="other")
    created = submit(client, clinic, document, aadhaar, notes="Front and back")
    assert created.status_code == 201
    body = created.json()
    assert body == {
        "id": body["id"],
        "clinic": {"id": str(clinic.id), "name": "Apollo Clinic"},
        "patient": {"id": str(patient.pk), "name": patient.name},
        "document": str(document.pk),
        "document_title": "Aadhaar scan",
        "document_type": str(aadhaar.id),
        "document_type_name": "Aadhaar card",
        "notes": "Front and back",
        "submitted_at": body["submitted_at"],
        "file": body["file"],
    }
    assert f"/api/documents/{document.pk}/download/?sig=" in body["file"]
    ticked = client.get(url).json()["mandatory_documents"][0]
    assert (ticked["is_uploaded"], ticked["document"], ticked["submission_id"]) == (True, str(document.pk), body["id"])
    # The mobile app's two calls: the clinics where I am a patient, and one clinic's checklist.
    clinics = client.get(reverse("my-care-clinics")).json()
    assert clinics == [{"id": str(clinic.id), "name": "Apollo Clinic", "city": "Jaipur", "clinic_type": "clinic"}]
    brief = client.get(reverse("my-clinic-admission-docs", args=[clinic.id])).json()
    assert brief == [
        {
            "id": str(aadhaar.id),
            "name": "Aadhaar card",
            "description": "Photo ID",
            "is_required": True,
            "is_uploaded": True,
        },
        {
            "id": str(reports.id),
            "name": "Previous reports",
            "description": "",
            "is_required": False,
            "is_uploaded": False,
        },
    ]
    assert [row["id"] for row in client.get(reverse("admission-submissions", args=[clinic.id])).json()] == [body["id"]]


def test_a_second_submission_for_an_item_replaces_the_first(auth_client, patient, clinic, submitted, checklist):
    first_document, first = submitted
    newer = make_document(owner=patient, title="Aadhaar, clearer scan", document_type="other")
    second = submit(auth_client(patient), clinic, newer, checklist[0]).json()
    open_ones = AdmissionSubmission.objects.filter(withdrawn_at__isnull=True)
    assert [(str(pk), document) for pk, document in open_ones.values_list("pk", "document_id")] == [
        (second["id"], newer.pk)
    ]
    owner_client = auth_client(clinic.owner)
    assert (opens(owner_client, first_document), opens(owner_client, newer)) == (404, 200)


@pytest.mark.parametrize("who", ["owner", "receptionist", "doctor"])
def test_the_clinics_people_open_a_submitted_document_and_the_patient_sees_why(
    auth_client, patient, clinic, doctor, receptionist, submitted, who
):
    document, submission = submitted
    reader = {"owner": clinic.owner, "receptionist": receptionist, "doctor": doctor.user}[who]
    client = auth_client(reader)
    detail = client.get(reverse("documents:detail", args=[document.pk]))
    assert detail.status_code == 200 and detail.json()["title"] == "Aadhaar scan"
    assert opens(client, document) == 200
    log = DocumentAccessLog.objects.filter(accessed_by=reader)
    assert sorted((action, str(used)) for action, used in log.values_list("action", "admission_submission_id")) == [
        (AccessAction.DOWNLOAD, submission["id"]),
        (AccessAction.VIEW, submission["id"]),
    ]
    rows = auth_client(patient).get(reverse("documents:access-log")).json()
    assert {(row["accessed_by"]["id"], row["reason"], row["admission_submission"]) for row in rows} == {
        (str(reader.pk), "admission", submission["id"])
    }


def test_the_clinic_lists_what_was_submitted_to_it_and_each_row_is_logged(
    auth_client, patient, clinic, receptionist, submitted
):
    document, submission = submitted
    listed = auth_client(receptionist).get(reverse("admission-submissions", args=[clinic.id]))
    assert [row["id"] for row in listed.json()] == [submission["id"]]
    assert listed.json()[0]["patient"] == {"id": str(patient.pk), "name": patient.name}
    log = DocumentAccessLog.objects.get(accessed_by=receptionist)
    assert (log.action, log.document_id, str(log.admission_submission_id)) == (
        AccessAction.LIST,
        document.pk,
        submission["id"],
    )


def test_nobody_else_opens_it(auth_client, clinic, submitted):
    document, _ = submitted
    other_clinic = make_clinic()
    lab = make_member(clinic=clinic, member_role=MemberRole.LAB_MEMBER).user
    elsewhere = make_member(clinic=other_clinic, member_role=MemberRole.RECEPTIONIST).user
    for stranger in [lab, elsewhere, other_clinic.owner, make_user()]:
        assert_refused(auth_client(stranger).get(reverse("documents:detail", args=[document.pk])), 404, NOT_FOUND)
        assert opens(auth_client(stranger), document) == 404
    url = reverse("admission-submissions", args=[clinic.id])
    other_staff = {"message": "Only this clinic's owner, receptionists and doctors can see its admission documents."}
    assert_refused(auth_client(elsewhere).get(url), 403, other_staff)
    assert_refused(auth_client(other_clinic.owner).get(url), 403, other_staff)
    assert_refused(
        auth_client(lab).get(url),
        403,
        {"message": "Only patients and a clinic's owner, receptionists and doctors can see admission documents."},
    )
    assert not DocumentAccessLog.objects.exclude(accessed_by=document.owner).exists()


def test_withdrawing_or_leaving_ends_access_at_once(auth_client, patient, clinic, receptionist, submitted):
    document, submission = submitted
    assert opens(auth_client(receptionist), document) == 200
    type(receptionist.clinic_memberships.get()).objects.update(status=MemberStatus.INACTIVE)
    assert opens(auth_client(receptionist), document) == 404
    assert opens(auth_client(clinic.owner), document) == 200
    url = reverse("admission-submission-detail", args=[clinic.id, submission["id"]])
    assert auth_client(patient).delete(url).status_code == 204
    assert opens(auth_client(clinic.owner), document) == 404
    assert auth_client(clinic.owner).get(reverse("admission-submissions", args=[clinic.id])).json() == []
    assert_refused(auth_client(patient).delete(url), 404, {"message": "Not found."})
    item = auth_client(patient).get(reverse("admission-checklist", args=[clinic.id])).json()
    assert item["mandatory_documents"][0]["is_uploaded"] is False


def test_deleting_the_document_withdraws_it(auth_client, patient, clinic, submitted):
    document, _ = submitted
    document_delete(document=document, by=patient)
    assert AdmissionSubmission.objects.get().withdrawn_at is not None
    assert opens(auth_client(clinic.owner), document) == 404


def test_the_patient_may_withdraw_after_the_care_relationship_ended(auth_client, patient, clinic, booked, submitted):
    _, submission = submitted
    type(booked).objects.filter(pk=booked.pk).update(status=AppointmentStatus.CANCELLED)
    client = auth_client(patient)
    assert_refused(client.get(reverse("admission-checklist", args=[clinic.id])), 403, NO_CARE)
    assert [row["id"] for row in client.get(reverse("admission-submissions", args=[clinic.id])).json()] == [
        submission["id"]
    ]
    url = reverse("admission-submission-detail", args=[clinic.id, submission["id"]])
    assert client.delete(url).status_code == 204


def test_a_patient_without_an_appointment_there_is_refused(auth_client, patient, clinic, doctor, checklist):
    client = auth_client(patient)
    document = make_document(owner=patient)
    assert_refused(client.get(reverse("admission-checklist", args=[clinic.id])), 403, NO_CARE)
    assert_refused(submit(client, clinic, document, checklist[0]), 403, NO_CARE)
    assert client.get(reverse("my-care-clinics")).json() == []
    assert_refused(client.get(reverse("my-clinic-admission-docs", args=[clinic.id])), 404, {"message": "Not found."})
    # A cancelled appointment, or one older than CARE_RELATIONSHIP_DAYS, makes none either.
    make_appointment(doctor=doctor, on=timezone.localdate(), patient=patient, status=AppointmentStatus.CANCELLED)
    make_appointment(doctor=doctor, on=timezone.localdate() - timedelta(days=181), patient=patient, status="completed")
    assert client.get(reverse("my-care-clinics")).json() == []
    assert not AdmissionSubmission.objects.exists()


def test_bad_submissions(auth_client, patient, other_patient, clinic, booked, checklist):
    client = auth_client(patient)
    mine = make_document(owner=patient)
    theirs = make_document(owner=other_patient)
    foreign_item = AdmissionDocumentType.objects.create(clinic=make_clinic(), name="Form 16")
    no_item = {"message": "This clinic has no such admission checklist item."}
    assert_refused(submit(client, clinic, mine, foreign_item), 404, no_item)
    assert_refused(submit(client, clinic, theirs, checklist[0]), 404, NOT_FOUND)
    removed = AdmissionDocumentType.objects.create(clinic=clinic, name="Old form", is_active=False)
    assert_refused(submit(client, clinic, mine, removed), 404, no_item)
    document_delete(document=mine, by=patient)
    assert_refused(submit(client, clinic, mine, checklist[0]), 404, NOT_FOUND)
    url = reverse("admission-submissions", args=[clinic.id])
    assert_refused(
        client.post(url, {"document": "not-a-uuid"}),
        400,
        {"document": ["Must be a valid UUID."], "document_type": ["This field is required."]},
    )
    assert_refused(
        client.post(url, {"document": str(mine.pk), "document_type": str(checklist[0].pk), "notes": "x" * 1001}),
        400,
        {"notes": ["Ensure this field has no more than 1000 characters."]},
    )
    unknown = reverse("admission-submissions", args=["00000000-0000-0000-0000-000000000000"])
    assert_refused(client.post(unknown, {}), 404, {"message": "Clinic not found."})
    assert not AdmissionSubmission.objects.exists()


def test_only_the_submitting_patient_withdraws(auth_client, other_patient, clinic, submitted):
    _, submission = submitted
    url = reverse("admission-submission-detail", args=[clinic.id, submission["id"]])
    assert_refused(auth_client(other_patient).delete(url), 404, {"message": "Not found."})
    assert_refused(auth_client(clinic.owner).delete(url), 403, {"message": "Only patients can do this."})
    assert AdmissionSubmission.objects.get().withdrawn_at is None


def test_roles_without_business_get_403(auth_client, doctor, clinic, checklist):
    for url in [
        reverse("admission-checklist", args=[clinic.id]),
        reverse("my-care-clinics"),
        reverse("my-clinic-admission-docs", args=[clinic.id]),
    ]:
        assert_refused(auth_client(clinic.owner).get(url), 403, {"message": "Only patients can do this."})
    document = make_document(owner=doctor.user)
    refused = submit(auth_client(doctor.user), clinic, document, checklist[0])
    assert_refused(refused, 403, {"message": "Only patients can do this."})


def test_access_log_reasons(auth_client, patient, doctor, clinic, booked):
    document = make_document(owner=patient)
    make_consent(document=document, doctor=doctor)
    auth_client(doctor.user).get(reverse("documents:detail", args=[document.pk]))
    auth_client(patient).get(reverse("documents:detail", args=[document.pk]))
    rows = auth_client(patient).get(reverse("documents:access-log")).json()
    assert sorted((row["reason"], row["consent"] is not None) for row in rows) == [("consent", True), ("owner", False)]


def test_lists_cost_the_same_for_one_and_twenty(auth_client, clinic, doctor, checklist):
    def staff_list_and_checklist(count, days_ahead):
        patients = [make_user() for _ in range(count)]
        for number, patient in enumerate(patients):
            make_appointment(
                doctor=doctor,
                on=timezone.localdate() + timedelta(days=days_ahead),
                at=time(9 + number // 4, number % 4 * 15),
                patient=patient,
            )
            AdmissionSubmission.objects.create(
                patient=patient, clinic=clinic, document_type=checklist[0], document=make_document(owner=patient)
            )
        client = auth_client(clinic.owner)
        with CaptureQueriesContext(connection) as listed:
            response = client.get(reverse("admission-submissions", args=[clinic.id]))
        assert len(response.json()) >= count
        with CaptureQueriesContext(connection) as checked:
            assert auth_client(patients[0]).get(reverse("admission-checklist", args=[clinic.id])).status_code == 200
        return len(listed), len(checked)

    assert staff_list_and_checklist(1, days_ahead=1) == staff_list_and_checklist(20, days_ahead=2)


def test_anonymous_callers_are_asked_to_sign_in(api_client, clinic, checklist):
    no_credentials = {"message": "Authentication credentials were not provided."}
    for method, url in [
        ("get", reverse("admission-checklist", args=[clinic.id])),
        ("get", reverse("admission-submissions", args=[clinic.id])),
        ("post", reverse("admission-submissions", args=[clinic.id])),
        ("delete", reverse("admission-submission-detail", args=[clinic.id, checklist[0].id])),
        ("get", reverse("my-care-clinics")),
        ("get", reverse("my-clinic-admission-docs", args=[clinic.id])),
    ]:
        assert_refused(getattr(api_client, method)(url), 401, no_credentials)
