"""Contract row 1.3: `file` is a signed link a browser opens without a header, bound to the document and the user,
valid DOCUMENT_LINK_SECONDS, re-checked at every use and logged like a bearer-token download."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from clinic.services import member_remove
from documents.links import download_link
from documents.models import AccessAction, DocumentAccessLog
from documents.tests.factories import PDF_BYTES, make_consent, make_document
from tests.refusals import assert_refused

pytestmark = pytest.mark.django_db

EXPIRED = {"message": "This download link has expired. Open the document again to get a new one."}
NOT_VALID = {"message": "This download link is not valid."}


def link_of(client, document) -> str:
    """The `file` of the document as its list shows it, as a path with its query."""
    url = client.get(reverse("documents:detail", args=[document.id])).json()["file"]
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_the_link_opens_the_file_without_a_header_and_is_logged(auth_client, patient, doctor):
    document = make_document(owner=patient)
    consent = make_consent(document=document, doctor=doctor)
    link = link_of(auth_client(doctor.user), document)
    response = APIClient().get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Cache-Control"] == "private, no-store"
    download = DocumentAccessLog.objects.get(action=AccessAction.DOWNLOAD)
    assert (download.accessed_by_id, download.consent_id) == (doctor.user_id, consent.id)
    APIClient().get(link)
    assert DocumentAccessLog.objects.filter(action=AccessAction.DOWNLOAD).count() == 2  # one row per use


def test_a_revoked_consent_ends_the_link_at_once(auth_client, patient, doctor):
    document = make_document(owner=patient)
    consent = make_consent(document=document, doctor=doctor)
    link = link_of(auth_client(doctor.user), document)
    revoked = auth_client(patient).patch(
        reverse("documents:consent-action", args=[consent.id]), {"action": "revoke"}, format="json"
    )
    assert revoked.status_code == 200
    response = APIClient().get(link)
    assert response.status_code == 404 and response.json() == {"message": "Document not found."}
    assert not DocumentAccessLog.objects.filter(action=AccessAction.DOWNLOAD).exists()


def test_leaving_the_last_clinic_ends_the_link(auth_client, patient, doctor, clinic):
    document = make_document(owner=patient)
    make_consent(document=document, doctor=doctor)
    link = link_of(auth_client(doctor.user), document)
    member_remove(member=clinic.members.get(user=doctor.user))
    assert APIClient().get(link).json() == {"message": "Document not found."}


def test_a_tampered_link_is_a_404(auth_client, patient):
    document = make_document(owner=patient)
    link = link_of(auth_client(patient), document)
    for bad in (link[:-1] + ("A" if link[-1] != "A" else "B"), link.split("?")[0] + "?sig=", link + "x"):
        response = APIClient().get(bad)
        assert response.status_code == 401 and response.json() == NOT_VALID
    assert not DocumentAccessLog.objects.filter(action=AccessAction.DOWNLOAD).exists()


def test_a_link_opens_only_its_own_document(auth_client, patient):
    mine, other = make_document(owner=patient), make_document(owner=patient, title="X-ray")
    query = link_of(auth_client(patient), mine).split("?")[1]
    response = APIClient().get(reverse("documents:download", args=[other.id]) + "?" + query)
    assert response.status_code == 401 and response.json() == NOT_VALID


def test_a_link_issued_to_someone_else_opens_nothing_for_them(patient, other_patient):
    """A link made for a person who may not open the document (never served, but forged with the key) is a 404."""
    document = make_document(owner=patient)
    forged = download_link(document_id=document.id, user_id=other_patient.pk)
    response = APIClient().get(forged)
    assert response.status_code == 404 and response.json() == {"message": "Document not found."}


def test_an_expired_link_says_so(auth_client, patient, settings):
    settings.DOCUMENT_LINK_SECONDS = 300
    document = make_document(owner=patient)
    issued = timezone.now().replace(microsecond=0)  # the signer stamps whole seconds: start on one
    with time_machine.travel(issued, tick=False):
        link = link_of(auth_client(patient), document)
    with time_machine.travel(issued + timedelta(seconds=299), tick=False):
        assert APIClient().get(link).status_code == 200
    with time_machine.travel(issued + timedelta(seconds=301), tick=False):
        response = APIClient().get(link)
    assert response.status_code == 401 and response.json() == EXPIRED


def test_a_deactivated_account_ends_its_links(auth_client, patient):
    document = make_document(owner=patient)
    link = link_of(auth_client(patient), document)
    patient.is_active = False
    patient.save(update_fields=["is_active"])
    response = APIClient().get(link)
    assert response.status_code == 401 and response.json() == NOT_VALID


def test_the_bearer_token_still_works_and_wins_over_a_link(auth_client, patient, other_patient):
    document = make_document(owner=patient)
    plain = reverse("documents:download", args=[document.id])
    assert auth_client(patient).get(plain).status_code == 200
    # Someone else's bearer token with the owner's link: the token says who asks, and they may not open it.
    response = auth_client(other_patient).get(link_of(auth_client(patient), document))
    assert response.status_code == 404 and response.json() == {"message": "Document not found."}
    assert_refused(APIClient().get(plain), 401, {"message": "Authentication credentials were not provided."})


def test_head_with_a_link_writes_no_log_row(auth_client, patient, doctor):
    document = make_document(owner=patient)
    make_consent(document=document, doctor=doctor)
    response = APIClient().head(link_of(auth_client(doctor.user), document))
    assert response.status_code == 200 and response["Content-Length"] == str(len(PDF_BYTES))
    assert not DocumentAccessLog.objects.filter(action=AccessAction.DOWNLOAD).exists()


@pytest.mark.parametrize("count", [1, 20])
def test_links_cost_no_query_per_row(auth_client, patient, doctor, count):
    for number in range(count):
        make_consent(document=make_document(owner=patient, title=f"Report {number}"), doctor=doctor)
    client = auth_client(doctor.user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("documents:list"))
    assert response.status_code == 200 and len(response.json()) == count
    assert all("?sig=" in row["file"] for row in response.json())
    assert len(queries) == 3  # the page, the ends of the patients' log chains, one INSERT of its `list` rows
