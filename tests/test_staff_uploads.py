"""Staff uploading into a patient's records (contract 2.4) and `/api/prescriptions/`: the care relationship decides,
the document is the patient's, the uploader opens what they uploaded (logged) while still at that clinic."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import AppointmentStatus
from appointments.tests.factories import make_appointment
from clinic.models import MemberRole, MemberStatus
from clinic.tests.factories import make_member
from documents.models import AccessAction, Document, DocumentAccessLog
from documents.tests.factories import make_document, pdf_upload
from tests.refusals import assert_refused
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db

NOT_TREATED = {"message": "You can add documents only to the records of patients you treat at your clinic."}


@pytest.fixture
def treated(doctor, patient):
    """The patient saw the doctor last week."""
    on = timezone.localdate() - timedelta(days=7)
    return make_appointment(doctor=doctor, on=on, patient=patient, status=AppointmentStatus.COMPLETED)


@pytest.fixture
def lab(clinic):
    return make_member(clinic=clinic, member_role=MemberRole.LAB_MEMBER).user


def upload_for(client, patient, **fields):
    body = {"file": pdf_upload("cbc.pdf"), "document_type": "lab_report", "patient_id": str(patient.pk), **fields}
    return client.post(reverse("documents:list"), body, format="multipart")


def test_a_doctor_puts_a_report_into_a_treated_patients_records(auth_client, doctor, patient, clinic, treated):
    response = upload_for(auth_client(doctor.user), patient, title="CBC", appointment=treated.id)
    assert response.status_code == 201
    body = response.json()
    assert body["owner"] == {"id": str(patient.pk), "name": patient.name}
    assert body["uploaded_by"] == {"id": str(doctor.user_id), "name": "Dr. Priya Sharma"}
    assert (body["uploaded_by_role"], body["appointment"]) == ("doctor", treated.id)
    document = Document.objects.get()
    assert (document.owner_id, document.clinic_id) == (patient.pk, clinic.pk)
    # The patient has it, and can pick out what their doctors added.
    mine = auth_client(patient).get(reverse("documents:list"), {"uploaded_by_role": "doctor"}).json()
    assert [row["id"] for row in mine] == [body["id"]]
    assert auth_client(patient).get(reverse("documents:list"), {"uploaded_by_role": "patient"}).json() == []


def test_the_uploader_opens_what_they_uploaded_and_it_is_logged(auth_client, doctor, patient, treated):
    document_id = upload_for(auth_client(doctor.user), patient).json()["id"]
    client = auth_client(doctor.user)
    assert [row["id"] for row in client.get(reverse("documents:list")).json()] == [document_id]
    assert client.get(reverse("documents:download", args=[document_id])).status_code == 200
    actions = DocumentAccessLog.objects.filter(accessed_by=doctor.user).values_list("action", flat=True)
    assert sorted(actions) == [AccessAction.DOWNLOAD, AccessAction.LIST]


def test_a_lab_member_uploads_for_a_patient_of_their_clinic_and_sees_exactly_those(auth_client, lab, patient, treated):
    own = make_document(owner=lab, title="My own X-ray")
    make_document(owner=patient, title="The patient's own")
    uploaded = upload_for(auth_client(lab), patient, title="Lipid profile").json()
    assert uploaded["uploaded_by_role"] == "lab_member"
    titles = sorted(row["title"] for row in auth_client(lab).get(reverse("documents:list")).json())
    assert titles == ["Lipid profile", own.title]


def test_leaving_the_clinic_ends_the_uploaders_access_at_once(auth_client, lab, patient, treated):
    document_id = upload_for(auth_client(lab), patient).json()["id"]
    lab.clinic_memberships.update(status=MemberStatus.INACTIVE)
    assert_refused(
        auth_client(lab).get(reverse("documents:detail", args=[document_id])), 404, {"message": "Document not found."}
    )
    assert auth_client(patient).get(reverse("documents:detail", args=[document_id])).status_code == 200


def test_without_a_care_relationship_staff_cannot_add_to_someones_records(auth_client, doctor, lab, patient):
    for user in (doctor.user, lab):
        assert_refused(upload_for(auth_client(user), patient), 403, NOT_TREATED)
    assert not Document.objects.exists()


def test_receptionists_and_patients_cannot_add_to_someone_elses_records(auth_client, clinic, patient, treated):
    receptionist = make_member(clinic=clinic, member_role=MemberRole.RECEPTIONIST).user
    for user in (receptionist, make_user()):
        assert_refused(upload_for(auth_client(user), patient), 403, NOT_TREATED)
    assert not Document.objects.exists()


def test_the_appointment_must_be_the_patients(auth_client, doctor, patient, treated):
    theirs = make_appointment(doctor=doctor, on=timezone.localdate(), patient=make_user())
    assert_refused(
        upload_for(auth_client(doctor.user), patient, appointment=theirs.id),
        400,
        {"appointment": ["Not one of the appointments of the document's owner."]},
    )


# --- /api/prescriptions/ -----------------------------------------------------------------------------------------


def prescribe(client, patient, **fields):
    body = {"file": pdf_upload("rx.pdf"), "patient": str(patient.pk), **fields}
    return client.post(reverse("prescriptions"), body, format="multipart")


def test_a_doctor_prescribes_and_both_sides_list_it(auth_client, doctor, patient, treated):
    created = prescribe(auth_client(doctor.user), patient, title="Amoxicillin 500")
    assert created.status_code == 201
    body = created.json()
    assert (body["document_type"], body["title"], body["uploaded_by_role"]) == (
        "prescription",
        "Amoxicillin 500",
        "doctor",
    )
    make_document(owner=patient, title="A lab report")  # not a prescription
    for user in (patient, doctor.user):
        assert [row["id"] for row in auth_client(user).get(reverse("prescriptions")).json()] == [body["id"]]
    assert auth_client(make_user()).get(reverse("prescriptions")).json() == []


def test_only_treating_doctors_prescribe(auth_client, doctor, lab, patient, treated):
    assert_refused(prescribe(auth_client(lab), patient), 403, {"message": "Only doctors can do this."})
    stranger = make_user()
    assert_refused(prescribe(auth_client(doctor.user), stranger), 403, NOT_TREATED)
    bad_id = auth_client(doctor.user).post(
        reverse("prescriptions"), {"file": pdf_upload("rx.pdf"), "patient": "nope"}, format="multipart"
    )
    assert_refused(bad_id, 400, {"patient": ["“nope” is not a valid UUID."]})


@pytest.mark.parametrize("count", [1, 20])
def test_the_uploaders_list_query_count(auth_client, lab, patient, treated, django_assert_num_queries, count):
    for _ in range(count):
        upload_for(auth_client(lab), patient)
    client = auth_client(lab)
    with django_assert_num_queries(3):  # the page, the end of the patient's log chain, one INSERT of `list` rows
        assert len(client.get(reverse("documents:list")).json()) == count
