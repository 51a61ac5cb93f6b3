from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import get_object_or_404
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from appointments.selectors import care_clinics, has_care_relationship
from appointments.serializers import CareClinicSerializer
from clinic.models import AdmissionDocumentType, Clinic
from QuickCare.filtering import FilterBackend
from QuickCare.net import client_ip
from QuickCare.serializers import DateTimeField
from users.models import RoleId, User
from users.permissions import HasOwnRecords, IsDoctor, IsPatient, MayOpenDocuments, MayReadAdmissions
from users.serializers import MessageSerializer
from users.throttles import UploadThrottle

from . import filetypes, patient_data, services
from .access_events import PatientEvents
from .authentication import SignedLinkAuthentication
from .filters import ConsentFilter, DocumentFilter
from .models import (
    AccessAction,
    AdmissionSubmission,
    ConsentEvent,
    Document,
    DocumentAccessLog,
    DocumentConsent,
    DocumentType,
)
from .selectors import (
    admission_checklist,
    admission_staff_clinics,
    admission_submissions_open_to,
    admission_submissions_shown,
    consent_history,
    consents_for_patient,
    consents_of_doctor,
    consents_of_party,
    consents_shown,
    documents_for_care,
    documents_visible_to,
)
from .serializers import (
    AccessLogSerializer,
    AdmissionChecklistBriefSerializer,
    AdmissionChecklistSerializer,
    AdmissionSubmissionSerializer,
    AdmissionSubmitSerializer,
    ConsentActionSerializer,
    ConsentEventSerializer,
    ConsentRequestSerializer,
    ConsentSerializer,
    DocumentSerializer,
    DocumentUploadSerializer,
    EmergencyAccessRequestSerializer,
    EmergencyAccessSerializer,
    PatientDocumentsQuerySerializer,
    PatientDocumentsSerializer,
    PatientEventSerializer,
    PrescriptionUploadSerializer,
)


class DocumentListCreateView(generics.ListAPIView):
    """Everyone lists and uploads their own documents; doctors also list the ones an active consent opens (each
    such row logged as `list`)."""

    permission_classes = [HasOwnRecords]
    serializer_class = DocumentSerializer
    filter_backends = [FilterBackend]
    filterset_class = DocumentFilter
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [UploadThrottle]

    def get_queryset(self):
        return documents_visible_to(self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        services.documents_listed(user=request.user, documents=page, ip=client_ip(request))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    upload_serializer = DocumentUploadSerializer

    @extend_schema(request={"multipart/form-data": DocumentUploadSerializer}, responses={201: DocumentSerializer})
    def post(self, request):
        upload = self.upload_serializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        fields = upload.validated_data
        patient = fields.pop("patient_id", None)
        if patient is None:
            document = services.document_upload(owner=request.user, **fields)
        else:
            document = services.document_upload_for_patient(staff=request.user, patient=patient, **fields)
        return Response(self.get_serializer(document).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    post=extend_schema(
        request={"multipart/form-data": PrescriptionUploadSerializer}, responses={201: DocumentSerializer}
    )
)
class PrescriptionListCreateView(DocumentListCreateView):
    """`/api/prescriptions/` (contract 2.4): a doctor uploads a prescription into a patient's records (the same
    upload, type fixed); the list is a patient's own prescriptions, or for a doctor those they uploaded."""

    upload_serializer = PrescriptionUploadSerializer

    def get_permissions(self):
        return [IsDoctor()] if self.request.method == "POST" else super().get_permissions()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Document.objects.none()
        mine = documents_visible_to(self.request.user).filter(document_type=DocumentType.PRESCRIPTION)
        if self.request.user.roles_id == RoleId.DOCTOR:
            return mine.filter(uploaded_by=self.request.user).exclude(owner=self.request.user)
        return mine.filter(owner=self.request.user)


class DocumentDetailView(generics.RetrieveDestroyAPIView):
    permission_classes = [MayOpenDocuments]
    serializer_class = DocumentSerializer

    def get_queryset(self):
        if self.request.method == "DELETE":  # only the owner deletes, whatever else they may read
            return self.request.user.documents.filter(is_deleted=False)
        return documents_visible_to(self.request.user)

    def retrieve(self, request, pk):
        document = services.document_open(
            user=request.user, document_id=pk, ip=client_ip(request), action=AccessAction.VIEW
        )
        return Response(self.get_serializer(document).data)

    def perform_destroy(self, instance):
        services.document_delete(document=instance, by=self.request.user)


def _file_response(document, *, with_body: bool):
    prefix = settings.DOCUMENTS_ACCEL_REDIRECT_PREFIX
    if with_body and prefix and isinstance(document.file.storage, FileSystemStorage):
        # nginx sends the file (deploy/nginx.conf); the worker is free as soon as the log row is written.
        response = HttpResponse(content_type=document.content_type)
        response["X-Accel-Redirect"] = prefix + quote(document.file.name)
        response["Content-Disposition"] = content_disposition_header(True, document.original_filename)
    elif with_body:
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_filename,
            content_type=document.content_type,
        )
    else:  # HEAD: the headers a download would have, no file opened, no log row
        response = HttpResponse(content_type=document.content_type)
        response["Content-Length"] = str(document.size)
        response["Content-Disposition"] = content_disposition_header(True, document.original_filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class DocumentDownloadView(APIView):
    """With a bearer token, or without one through the signed link in `file` (`?sig=`, contract row 1.3): either
    way the same access rule and the same log row (services.document_open)."""

    authentication_classes = [*api_settings.DEFAULT_AUTHENTICATION_CLASSES, SignedLinkAuthentication]
    permission_classes = [MayOpenDocuments]

    @extend_schema(responses={(200, content_type): OpenApiTypes.BINARY for content_type in filetypes.EXTENSIONS})
    def get(self, request, pk):
        document = services.document_open(
            user=request.user, document_id=pk, ip=client_ip(request), action=AccessAction.DOWNLOAD
        )
        return _file_response(document, with_body=True)

    def head(self, request, pk):
        return _file_response(services.document_for(user=request.user, document_id=pk), with_body=False)


def _consent_json(request, consent) -> dict:
    shown = consents_shown(DocumentConsent.objects.filter(pk=consent.pk)).get()
    return ConsentSerializer(shown, context={"request": request}).data


class ConsentRequestView(APIView):
    permission_classes = [IsDoctor]

    @extend_schema(request=ConsentRequestSerializer, responses={201: ConsentSerializer})
    def post(self, request):
        body = ConsentRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        consent = services.consent_request(
            user=request.user,
            document_id=body.validated_data["document"],
            purpose=body.validated_data["purpose"],
            expires_at=body.validated_data.get("expires_at"),
        )
        return Response(_consent_json(request, consent), status=status.HTTP_201_CREATED)


class MyConsentListView(generics.ListAPIView):
    """Requests for the patient's documents (?status=pending|granted|rejected|revoked|expired)."""

    permission_classes = [HasOwnRecords]
    serializer_class = ConsentSerializer
    filter_backends = [FilterBackend]
    filterset_class = ConsentFilter

    def get_queryset(self):
        return consents_for_patient(self.request.user)


class DoctorConsentListView(generics.ListAPIView):
    permission_classes = [IsDoctor]
    serializer_class = ConsentSerializer
    filter_backends = [FilterBackend]
    filterset_class = ConsentFilter

    def get_queryset(self):
        return consents_of_doctor(self.request.user)

    def list(self, request, *args, **kwargs):
        """Each consent that opens its document now carries a signed link to it: a link issued is logged for the
        patient as a `list` access through that consent, as in any list of someone else's documents."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        linked = [services.through(consent.document, consent=consent) for consent in page if consent.opens_now]
        services.documents_listed(user=request.user, documents=linked, ip=client_ip(request))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ConsentActionView(APIView):
    permission_classes = [HasOwnRecords]

    @extend_schema(request=ConsentActionSerializer, responses={200: ConsentSerializer})
    def patch(self, request, pk):
        consent = get_object_or_404(DocumentConsent.objects.filter(document__owner_id=request.user.pk), pk=pk)
        body = ConsentActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        consent = services.consent_act(consent=consent, by=request.user, **body.validated_data)
        return Response(_consent_json(request, consent))


class ConsentHistoryView(generics.ListAPIView):
    """Every change of one consent, oldest first (contract 5.3): for the patient and for the asking doctor."""

    permission_classes = [HasOwnRecords]
    serializer_class = ConsentEventSerializer

    def get_queryset(self):  # the schema's only use; list() answers from consent_history
        return ConsentEvent.objects.none()

    def list(self, request, pk):
        consent = get_object_or_404(consents_of_party(request.user), pk=pk)
        page = self.paginate_queryset(consent_history(consent))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class AccessLogListView(generics.ListAPIView):
    """Every view and download of the patient's documents (all of them, or one), newest first."""

    permission_classes = [HasOwnRecords]
    serializer_class = AccessLogSerializer

    def get_queryset(self):
        logs = DocumentAccessLog.objects.filter(document__owner_id=self.request.user.pk).select_related(
            "accessed_by", "document"
        )
        return logs.order_by("-accessed_at")


@extend_schema_view(get=extend_schema(operation_id="documents_document_access_log_list"))
class DocumentAccessLogListView(AccessLogListView):
    """One document's log (its owner only; a deleted document's history stays readable)."""

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DocumentAccessLog.objects.none()
        document = get_object_or_404(self.request.user.documents.all(), pk=self.kwargs["pk"])
        return super().get_queryset().filter(document=document)


@extend_schema(parameters=[PatientDocumentsQuerySerializer], responses={200: PatientDocumentsSerializer})
class PatientDocumentsView(APIView):
    """GET /api/documents/patient-docs/?patient_id= (a doctor treating the patient; contract 2.3): what the patient
    keeps, as metadata with this doctor's consent status, never a file or a link. Each document shown is logged for
    the patient as a `list` access, as in any list of someone else's documents."""

    permission_classes = [IsDoctor]

    def get(self, request):
        query = PatientDocumentsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        patient_id = query.validated_data["patient_id"]
        patient = User.objects.filter(pk=patient_id, is_active=True).first()
        if patient is None or not has_care_relationship(staff=request.user, patient_id=patient_id):
            raise NotFound("Patient not found.")
        documents = list(documents_for_care(doctor_user=request.user, patient_id=patient_id))
        services.documents_listed(user=request.user, documents=documents, ip=client_ip(request))
        body = {"patient": patient, "total": len(documents), "documents": documents}
        return Response(PatientDocumentsSerializer(body).data)


@extend_schema(responses={200: AdmissionChecklistSerializer})
class AdmissionChecklistView(APIView):
    """GET /api/clinics/<id>/admission-docs/patient/ (a patient with a care relationship there; contract 2.6): the
    checklist in two parts, each item with what the patient has submitted for it."""

    permission_classes = [IsPatient]

    def get(self, request, clinic_id):
        clinic = services.admission_clinic(patient=request.user, clinic_id=clinic_id)
        items = list(admission_checklist(clinic=clinic, patient=request.user))
        body = {
            "clinic": clinic,
            "mandatory_documents": [item for item in items if item.is_mandatory],
            "optional_documents": [item for item in items if not item.is_mandatory],
        }
        return Response(AdmissionChecklistSerializer(body).data)


class AdmissionSubmissionListCreateView(generics.ListAPIView):
    """/api/clinics/<id>/admission-documents/ (contract 2.6). POST (a patient with a care relationship there) hands
    one of their documents to the clinic for a checklist item. GET lists the open submissions: the patient's own,
    or, for the clinic's owner, receptionists and doctors, all of the clinic's (each row logged for its patient as a
    `list` access, as in any list of someone else's documents)."""

    serializer_class = AdmissionSubmissionSerializer

    def get_permissions(self):
        return [IsPatient()] if self.request.method == "POST" else [MayReadAdmissions()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AdmissionSubmission.objects.none()
        user, clinic_id = self.request.user, self.kwargs["clinic_id"]
        clinic = get_object_or_404(Clinic.objects.filter(is_active=True), pk=clinic_id)
        if user.roles_id == RoleId.PATIENT:
            submissions = AdmissionSubmission.objects.filter(patient=user, withdrawn_at__isnull=True)
        elif admission_staff_clinics(user).filter(pk=clinic.pk).exists():
            submissions = admission_submissions_open_to(user)
        else:
            raise PermissionDenied(
                "Only this clinic's owner, receptionists and doctors can see its admission documents."
            )
        return admission_submissions_shown(submissions.filter(clinic=clinic))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        listed = [services.through(submission.document, admission=submission) for submission in page]
        services.documents_listed(user=request.user, documents=listed, ip=client_ip(request))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=AdmissionSubmitSerializer, responses={201: AdmissionSubmissionSerializer})
    def post(self, request, clinic_id):
        clinic = services.admission_clinic(patient=request.user, clinic_id=clinic_id)
        body = AdmissionSubmitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        submission = services.admission_submit(
            patient=request.user,
            clinic=clinic,
            document_id=body.validated_data["document"],
            document_type_id=body.validated_data["document_type"],
            notes=body.validated_data["notes"],
        )
        shown = admission_submissions_shown(AdmissionSubmission.objects.filter(pk=submission.pk)).get()
        return Response(self.get_serializer(shown).data, status=status.HTTP_201_CREATED)


class AdmissionSubmissionWithdrawView(APIView):
    """DELETE /api/clinics/<id>/admission-documents/<submission_id>/ (the patient who submitted it): withdraw it;
    the clinic's staff can no longer open the document through it. Allowed whenever it is open, also after the care
    relationship has ended."""

    permission_classes = [IsPatient]

    @extend_schema(responses={204: None})
    def delete(self, request, clinic_id, submission_id):
        submission = get_object_or_404(
            AdmissionSubmission.objects.filter(patient=request.user, clinic_id=clinic_id, withdrawn_at__isnull=True),
            pk=submission_id,
        )
        services.admission_withdraw(submission=submission)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyCareClinicListView(generics.ListAPIView):
    """GET /api/appointments/my/clinics/ (patient; contract 2.6): the clinics where they have a care relationship."""

    permission_classes = [IsPatient]
    serializer_class = CareClinicSerializer

    def get_queryset(self):
        return care_clinics(patient=self.request.user)


class MyClinicAdmissionChecklistView(generics.ListAPIView):
    """GET /api/appointments/my/clinics/<clinic_id>/admission-docs/ (patient): the checklist of one of those clinics
    in the mobile app's shape; any other clinic is not one of "my clinics" (404)."""

    permission_classes = [IsPatient]
    serializer_class = AdmissionChecklistBriefSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AdmissionDocumentType.objects.none()
        clinic = get_object_or_404(care_clinics(patient=self.request.user), pk=self.kwargs["clinic_id"])
        return admission_checklist(clinic=clinic, patient=self.request.user)


@extend_schema(request=EmergencyAccessRequestSerializer, responses={201: EmergencyAccessSerializer})
class EmergencyAccessView(APIView):
    """POST /api/documents/<id>/emergency-access/ {"reason"} (a doctor of a clinic; contract 5.5)."""

    permission_classes = [IsDoctor]

    def post(self, request, pk):
        body = EmergencyAccessRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        grant = services.emergency_access_open(
            doctor=request.user, document_id=pk, reason=body.validated_data["reason"]
        )
        return Response(
            EmergencyAccessSerializer(grant, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


_EVENT_TIME = DateTimeField()


class MyAccessLogView(generics.ListAPIView):
    """GET /api/users/me/access-log/ (contract 5.2): everything that touched the caller, newest first."""

    permission_classes = [HasOwnRecords]
    serializer_class = PatientEventSerializer

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(PatientEvents(request.user))
        for event in page:
            event["at"] = _EVENT_TIME.to_representation(event["at"])
        return self.get_paginated_response(page)

    def get_queryset(self):  # the schema's only use; list() reads documents.access_events
        return DocumentAccessLog.objects.none()


class _AnyFormat(DefaultContentNegotiation):
    """`?format=zip` names the export's form, not a renderer: always answer with the first renderer (JSON)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ExportQuerySerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["json", "zip"], required=False, help_text="zip adds the files.")


@extend_schema(
    parameters=[ExportQuerySerializer],
    responses={(200, "application/json"): OpenApiTypes.OBJECT, (200, "application/zip"): OpenApiTypes.BINARY},
)
class MyExportView(APIView):
    """GET /api/users/me/export/ (contract 5.6): everything stored about the caller, as JSON; `?format=zip` a zip
    of export.json and their files, streamed."""

    permission_classes = [HasOwnRecords]
    content_negotiation_class = _AnyFormat

    def get(self, request):
        query = ExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        stamp = timezone.localdate().isoformat()
        if query.validated_data.get("format") == "zip":
            response = StreamingHttpResponse(patient_data.export_zip(request.user), content_type="application/zip")
            response["Content-Disposition"] = content_disposition_header(True, f"quickcare-export-{stamp}.zip")
        else:
            response = HttpResponse(patient_data.export_json(request.user), content_type="application/json")
            response["Content-Disposition"] = content_disposition_header(True, f"quickcare-export-{stamp}.json")
        response["Cache-Control"] = "private, no-store"
        return response


class EraseSerializer(serializers.Serializer):
    password = serializers.CharField(trim_whitespace=False, max_length=128)


@extend_schema(request=EraseSerializer, responses={200: MessageSerializer})
class MyEraseView(APIView):
    """POST /api/users/me/erase/ {"password"} (contract 5.6): deletes the caller's account, as the README's privacy
    model describes; a wrong password is a 400 and nothing changes."""

    permission_classes = [HasOwnRecords]

    def post(self, request):
        body = EraseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        patient_data.erase(user=request.user, password=body.validated_data["password"])
        return Response({"message": "Your account and your personal data have been erased."})
