"""A clinic's admission checklist (contract 2.6, first part): public to read, its owner's to change."""

import pytest
from django.urls import reverse

from clinic.models import AdmissionDocumentType
from clinic.tests.factories import make_clinic
from tests.refusals import assert_refused

pytestmark = pytest.mark.django_db

OWNER_ONLY = {"message": "Only this clinic's owner can manage it."}


def items(client, clinic, **query):
    return client.get(reverse("clinic:admission-docs", args=[clinic.id]), query)


def test_the_owner_builds_the_checklist_and_anyone_reads_it(api_client, auth_client, owner, clinic):
    client = auth_client(owner)
    url = reverse("clinic:admission-docs", args=[clinic.id])
    created = client.post(url, {"name": "Aadhaar card", "description": "Photo ID"})
    assert created.status_code == 201
    assert created.json() == {
        "id": created.json()["id"],
        "name": "Aadhaar card",
        "description": "Photo ID",
        "is_mandatory": True,
    }
    client.post(url, {"name": "Previous reports", "is_mandatory": False})
    assert [item["name"] for item in items(api_client, clinic).json()] == ["Aadhaar card", "Previous reports"]
    assert [item["name"] for item in items(api_client, clinic, mandatory="true").json()] == ["Aadhaar card"]
    assert [item["name"] for item in items(api_client, clinic, mandatory="0").json()] == ["Previous reports"]
    assert_refused(
        items(api_client, clinic, mandatory="maybe"),
        400,
        {"mandatory": ["Select a valid choice. maybe is not one of the available choices."]},
    )


def test_the_owner_edits_and_removes_an_item(api_client, auth_client, owner, clinic):
    item = AdmissionDocumentType.objects.create(clinic=clinic, name="Insurance card")
    url = reverse("clinic:admission-doc-detail", args=[clinic.id, item.id])
    client = auth_client(owner)
    edited = client.put(url, {"is_mandatory": False})
    assert (
        edited.status_code == 200
        and edited.json()["is_mandatory"] is False
        and edited.json()["name"] == "Insurance card"
    )
    assert client.delete(url).status_code == 204
    assert items(api_client, clinic).json() == []
    assert_refused(client.put(url, {"name": "Back"}), 404, {"message": "Not found."})


def test_only_the_owner_changes_the_checklist(auth_client, other_owner, patient, clinic):
    item = AdmissionDocumentType.objects.create(clinic=clinic, name="Insurance card")
    url = reverse("clinic:admission-docs", args=[clinic.id])
    assert_refused(auth_client(other_owner).post(url, {"name": "X"}), 403, OWNER_ONLY)
    detail = reverse("clinic:admission-doc-detail", args=[clinic.id, item.id])
    assert_refused(auth_client(other_owner).delete(detail), 403, OWNER_ONLY)
    assert_refused(auth_client(patient).post(url, {"name": "X"}), 403, {"message": "Only clinic owners can do this."})


def test_an_item_of_another_clinic_is_404(auth_client, owner, clinic):
    theirs = AdmissionDocumentType.objects.create(clinic=make_clinic(), name="Form 16")
    url = reverse("clinic:admission-doc-detail", args=[clinic.id, theirs.id])
    assert_refused(auth_client(owner).put(url, {"name": "Mine now"}), 404, {"message": "Not found."})


def test_a_closed_or_unknown_clinic_has_no_checklist(api_client, clinic):
    type(clinic).objects.filter(pk=clinic.pk).update(is_active=False)
    assert_refused(items(api_client, clinic), 404, {"message": "Not found."})


def test_an_item_needs_a_name(auth_client, owner, clinic):
    refused = auth_client(owner).post(reverse("clinic:admission-docs", args=[clinic.id]), {"description": "?"})
    assert_refused(refused, 400, {"name": ["This field is required."]})
