from django.db.models import Prefetch
from django.http import FileResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from doctors.selectors import active_doctor_memberships
from QuickCare.pagination import OptionalLimitOffsetPagination
from users.models import RoleId
from users.permissions import IsDoctor, IsPatient

from . import services
from .filters import ConsentFilter, DocumentFilter
from .models import AccessAction, DocumentAccessLog, DocumentConsent
from .selectors import documents_visible_to, with_effective_status
from .serializers import (
    AccessLogSerializer,
    ConsentActionResponseSerializer,
    ConsentActionSerializer,
    ConsentRequestSerializer,
    ConsentSerializer,
    DocumentSerializer,
    DocumentUploadSerializer,
    PatientConsentSerializer,
)


class IsPatientOrDoctor(BasePermission):
    message = "Documents are for patients and the doctors they share them with."

    def has_permission(self, request, view):
        return bool(
            request.user and request.user.is_authenticated and request.user.roles_id in (RoleId.PATIENT, RoleId.DOCTOR)
        )


class DocumentListCreateView(generics.ListAPIView):
    """Patients list and upload their own documents; doctors list the ones they hold an active consent for."""

    serializer_class = DocumentSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DocumentFilter
    pagination_class = OptionalLimitOffsetPagination
    parser_classes = [MultiPartParser, FormParser]

    def get_permissions(self):
        return [IsPatient()] if self.request.method == "POST" else [IsPatientOrDoctor()]

    def get_queryset(self):
        return documents_visible_to(self.request.user)

    @extend_schema(request={"multipart/form-data": DocumentUploadSerializer}, responses={201: DocumentSerializer})
    def post(self, request):
        upload = DocumentUploadSerializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        document = services.document_upload(owner=request.user, **upload.validated_data)
        return Response(self.get_serializer(document).data, status=status.HTTP_201_CREATED)


class DocumentDetailView(generics.RetrieveDestroyAPIView):
    serializer_class = DocumentSerializer

    def get_permissions(self):
        return [IsPatient()] if self.request.method == "DELETE" else [IsPatientOrDoctor()]

    def get_queryset(self):
        return documents_visible_to(self.request.user)

    def retrieve(self, request, pk):
        document = services.document_open(
            user=request.user, document_id=pk, ip=services.client_ip(request), action=AccessAction.VIEW
        )
        return Response(self.get_serializer(document).data)

    def perform_destroy(self, instance):
        services.document_delete(document=instance)


class DocumentDownloadView(APIView):
    permission_classes = [IsPatientOrDoctor]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk):
        document = services.document_open(
            user=request.user, document_id=pk, ip=services.client_ip(request), action=AccessAction.DOWNLOAD
        )
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_filename,
            content_type=document.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


def _consents_for_patient(user):
    clinics = Prefetch(
        "doctor__user__clinic_memberships",
        queryset=active_doctor_memberships().select_related("clinic"),
        to_attr="active_clinics",
    )
    consents = DocumentConsent.objects.filter(document__owner_id=user.pk).select_related("document", "doctor__user")
    return with_effective_status(consents).prefetch_related(clinics)


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
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)


class MyConsentListView(generics.ListAPIView):
    """Requests for the patient's documents (?status=pending|granted|rejected|revoked|expired)."""

    permission_classes = [IsPatient]
    serializer_class = PatientConsentSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ConsentFilter
    pagination_class = OptionalLimitOffsetPagination

    def get_queryset(self):
        return _consents_for_patient(self.request.user)


class DoctorConsentListView(generics.ListAPIView):
    permission_classes = [IsDoctor]
    serializer_class = ConsentSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ConsentFilter
    pagination_class = OptionalLimitOffsetPagination

    def get_queryset(self):
        return with_effective_status(DocumentConsent.objects.filter(doctor__user_id=self.request.user.pk))


class ConsentActionView(APIView):
    permission_classes = [IsPatient]

    @extend_schema(request=ConsentActionSerializer, responses={200: ConsentActionResponseSerializer})
    def patch(self, request, pk):
        consent = get_object_or_404(DocumentConsent.objects.filter(document__owner_id=request.user.pk), pk=pk)
        body = ConsentActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        consent = services.consent_act(consent=consent, **body.validated_data)
        return Response(ConsentActionResponseSerializer(consent).data)


class AccessLogListView(generics.ListAPIView):
    """Every view and download of the patient's documents (all of them, or one), newest first."""

    permission_classes = [IsPatient]
    serializer_class = AccessLogSerializer
    pagination_class = OptionalLimitOffsetPagination

    def get_queryset(self):
        logs = DocumentAccessLog.objects.filter(document__owner_id=self.request.user.pk).select_related("accessed_by")
        return logs.order_by("-accessed_at")


@extend_schema_view(get=extend_schema(operation_id="documents_document_access_log_list"))
class DocumentAccessLogListView(AccessLogListView):
    """One document's log (its owner only; a deleted document's history stays readable)."""

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DocumentAccessLog.objects.none()
        document = get_object_or_404(self.request.user.documents.all(), pk=self.kwargs["pk"])
        return super().get_queryset().filter(document=document)
