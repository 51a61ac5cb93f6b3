"""The admin goes through the rules (codebase issue #11, point 5): rule-bearing fields are read-only, and changes
happen only through admin actions that call the services, with the operator recorded."""

from datetime import time

import pytest
from django.urls import reverse

from appointments.tests.factories import make_appointment
from clinic.models import ClinicMember
from clinic.tests.factories import make_clinic, make_member
from doctors.tests.factories import make_doctor, next_weekday
from documents.models import DocumentConsent
from documents.tests.factories import make_consent, make_document
from tests.refusals import assert_refused
from users.models import RoleId
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(client):
    client.force_login(make_user(role=RoleId.SUPERADMIN, is_staff=True, is_superuser=True, name="Ops Priya"))
    return client


def test_an_operator_cannot_grant_a_consent_for_the_patient(operator_client, patient):
    consent = make_consent(document=make_document(owner=patient), doctor=make_doctor(), status="pending")
    url = reverse("admin:documents_documentconsent_change", args=[consent.pk])
    page = operator_client.get(url)
    assert page.status_code == 200 and b'name="status"' not in page.content  # shown, not editable
    operator_client.post(url, {"status": "granted", "purpose": consent.purpose})
    consent.refresh_from_db()
    assert consent.status == "pending"
    assert_refused(
        operator_client.get(reverse("admin:documents_documentconsent_add")),
        403,
        {"message": "You do not have permission to perform this action."},
    )
    assert DocumentConsent.objects.count() == 1


def test_appointment_status_is_not_a_form_field_and_cancel_goes_through_the_state_machine(operator_client):
    doctor = make_doctor()
    pending = make_appointment(doctor=doctor, on=next_weekday(0), at=time(9))
    completed = make_appointment(doctor=doctor, on=next_weekday(0), at=time(10), status="completed")
    page = operator_client.get(reverse("admin:appointments_appointment_change", args=[pending.pk]))
    assert b'name="status"' not in page.content
    response = operator_client.post(
        reverse("admin:appointments_appointment_changelist"),
        {"action": "cancel_as_operator", "_selected_action": [pending.pk, completed.pk]},
        follow=True,
    )
    pending.refresh_from_db()
    completed.refresh_from_db()
    assert pending.status == "cancelled"
    assert pending.cancellation_reason == "Cancelled by QuickCare support (Ops Priya)."
    assert completed.status == "completed"  # a final status stays final, for operators too
    assert b"Cannot change a completed appointment to cancelled." in response.content
    # The cancel is in the appointment's history, as the operator's, shown read-only on its page.
    [row] = pending.history.all()
    assert (row.event, row.from_status, row.to_status, row.by_role) == ("status", "pending", "cancelled", "operator")
    page = operator_client.get(reverse("admin:appointments_appointment_change", args=[pending.pk])).content
    assert b"operator" in page and b'name="history-0-event"' not in page
    for field in (b"token_number", b"checked_in_at", b"called_at"):
        assert b'name="' + field + b'"' not in page


def test_ending_a_membership_in_the_admin_gives_the_earlier_role_back(operator_client):
    person = make_user(role=RoleId.PATIENT)
    member = make_member(clinic=make_clinic(), user=person, member_role="receptionist")
    person.roles_id = RoleId.RECEPTIONIST
    person.save()
    page = operator_client.get(reverse("admin:clinic_clinicmember_change", args=[member.pk]))
    assert b'name="member_role"' not in page.content and b'name="status"' not in page.content
    operator_client.post(
        reverse("admin:clinic_clinicmember_changelist"),
        {"action": "end_memberships", "_selected_action": [member.pk]},
    )
    person.refresh_from_db()
    assert ClinicMember.objects.get(pk=member.pk).status == "inactive"
    assert person.roles_id == RoleId.PATIENT
    assert_refused(
        operator_client.get(reverse("admin:clinic_clinicmember_add")),
        403,
        {"message": "You do not have permission to perform this action."},
    )


def test_soft_delete_of_a_document_in_the_admin_ends_its_consents(operator_client, patient):
    document = make_document(owner=patient)
    consent = make_consent(document=document, doctor=make_doctor())
    operator_client.post(
        reverse("admin:documents_document_changelist"),
        {"action": "delete_softly", "_selected_action": [document.pk]},
    )
    document.refresh_from_db()
    consent.refresh_from_db()
    assert document.is_deleted and consent.status == "revoked"


def test_every_admin_page_opens(operator_client, patient):
    doctor = make_doctor()
    make_appointment(doctor=doctor, on=next_weekday(0))
    make_consent(document=make_document(owner=patient), doctor=doctor)
    for model in (
        "appointments/appointment",
        "documents/documentconsent",
        "documents/document",
        "clinic/clinic",
        "clinic/clinicmember",
        "doctors/doctorprofile",
        "doctors/doctoravailability",
        "users/user",
        "appointments/idempotencykey",
        "documents/admissionsubmission",
        "documents/documentaccesslog",
    ):
        assert operator_client.get(f"/admin/{model}/").status_code == 200, model
