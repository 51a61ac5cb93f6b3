from functools import cached_property

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from QuickCare.caching import PublicCacheMixin
from QuickCare.filtering import FilterBackend
from QuickCare.lists import RowsMixin
from QuickCare.mixins import PartialPutMixin
from QuickCare.net import client_ip
from users.permissions import HasOwnRecords, IsClinicOwner
from users.throttles import PatientLookupThrottle

from . import services
from .filters import AdmissionDocumentFilter, MemberFilter, PublicClinicFilter
from .models import AdmissionDocumentType, Clinic, ClinicMember
from .selectors import clinic_for_owner, clinics_with_member_count
from .serializers import (
    PUBLIC_CLINIC_COLUMNS,
    AdmissionDocumentTypeSerializer,
    ClinicOnboardingResponseSerializer,
    ClinicOnboardingSerializer,
    ClinicSerializer,
    InviteResentSerializer,
    MemberCreatedSerializer,
    MemberCreateSerializer,
    MemberSerializer,
    MembershipSerializer,
    PatientCardSerializer,
    PatientLookupQuerySerializer,
    PublicClinicSerializer,
    TimeSlotSerializer,
    public_clinic_rows_json,
)


class ClinicOnboardingView(APIView):
    """Clinic-owner step 3 (the spec also calls it step2 in one place; both paths serve it)."""

    permission_classes = [IsClinicOwner]

    @extend_schema(request=ClinicOnboardingSerializer, responses={201: ClinicOnboardingResponseSerializer})
    def post(self, request):
        serializer = ClinicOnboardingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        clinic, slots = services.clinic_onboarding_complete(owner=request.user, **serializer.validated_data)
        body = {
            "message": "Clinic registration complete! You can now add doctors from your dashboard.",
            "clinic": clinic,
            "time_slots": slots,
        }
        return Response(ClinicOnboardingResponseSerializer(body).data, status=status.HTTP_201_CREATED)


class PublicClinicListView(PublicCacheMixin, RowsMixin, generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = PublicClinicSerializer
    filter_backends = [FilterBackend]
    filterset_class = PublicClinicFilter
    columns = PUBLIC_CLINIC_COLUMNS

    def get_queryset(self):
        return clinics_with_member_count()

    def rows_to_json(self, rows):
        return public_clinic_rows_json(rows)


class MyClinicListCreateView(generics.ListCreateAPIView):
    permission_classes = [IsClinicOwner]
    serializer_class = ClinicSerializer

    def get_queryset(self):
        return clinics_with_member_count().filter(owner=self.request.user)

    def perform_create(self, serializer):
        serializer.instance, _ = services.clinic_create(owner=self.request.user, **serializer.validated_data)


# `cancel_appointments` in the query (or a JSON body): empty means false.
FLAG_VALUES = {"true": True, "1": True, True: True, "false": False, "0": False, False: False, "": False}


class ClinicDetailView(PartialPutMixin, generics.RetrieveUpdateDestroyAPIView):
    """Public to read; only the owner writes (a public object, so others get 403, not 404)."""

    serializer_class = ClinicSerializer

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsAuthenticated()]

    def get_queryset(self):
        return clinics_with_member_count()

    def get_object(self):
        if self.request.method == "GET":
            return super().get_object()
        return clinic_for_owner(user=self.request.user, clinic_id=self.kwargs["pk"])

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "cancel_appointments",
                str,
                enum=["true", "false", "1", "0"],
                description="Cancel its upcoming appointments (else 409 lists them).",
            )
        ]
    )
    def delete(self, request, *args, **kwargs):
        return super().delete(request, *args, **kwargs)

    def perform_destroy(self, instance):
        body = self.request.data if isinstance(self.request.data, dict) else {}
        flag = self.request.query_params.get("cancel_appointments", body.get("cancel_appointments", ""))
        if not isinstance(flag, str | bool) or flag not in FLAG_VALUES:
            raise ValidationError({"cancel_appointments": ["Send true or false."]})
        services.clinic_deactivate(clinic=instance, cancel_appointments=FLAG_VALUES[flag])


class _OwnedClinicMixin:
    """Endpoints under /api/clinics/<clinic_id>/ that only the clinic's owner may use."""

    permission_classes = [IsClinicOwner]

    @cached_property
    def clinic(self):
        return clinic_for_owner(user=self.request.user, clinic_id=self.kwargs["clinic_id"])


class MemberListCreateView(_OwnedClinicMixin, generics.ListCreateAPIView):
    serializer_class = MemberSerializer
    filter_backends = [FilterBackend]
    filterset_class = MemberFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no clinic_id
            return ClinicMember.objects.none()
        return self.clinic.members.select_related("user")

    @extend_schema(request=MemberCreateSerializer, responses={201: MemberCreatedSerializer})
    def post(self, request, clinic_id):
        serializer = MemberCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = services.member_add(clinic=self.clinic, added_by=request.user, **serializer.validated_data)
        if member.invite_password is None:
            info = f"{member.user.name} will get an SMS naming this clinic and their role."
        else:  # the add has committed: now the SMS with the temporary password (contract 2.1)
            info = services.staff_invite_send(member=member, password=member.invite_password)
        body = {**MemberSerializer(member).data, "account_created": member.invite_password is not None, "_info": info}
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(request=None, responses={200: InviteResentSerializer})
class MemberInviteResendView(_OwnedClinicMixin, APIView):
    """POST /api/clinics/<id>/members/<mid>/resend-invite/ (owner; contract 2.1)."""

    def post(self, request, clinic_id, member_id):
        member = get_object_or_404(self.clinic.members.select_related("user", "clinic"), pk=member_id)
        info = services.staff_invite_resend(member=member)
        return Response({"message": "A new temporary password was issued; the old one no longer works.", "_info": info})


class MemberDetailView(_OwnedClinicMixin, PartialPutMixin, generics.RetrieveUpdateDestroyAPIView):
    serializer_class = MemberSerializer
    lookup_url_kwarg = "member_id"

    def get_queryset(self):
        return self.clinic.members.select_related("user")

    def perform_update(self, serializer):
        serializer.instance = services.member_update(member=serializer.instance, **serializer.validated_data)

    def perform_destroy(self, instance):
        services.member_remove(member=instance)


class TimeSlotListCreateView(generics.ListCreateAPIView):
    """Anyone may read a clinic's active weekly slots; only its owner adds them."""

    serializer_class = TimeSlotSerializer

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsClinicOwner()]

    def get_queryset(self):
        clinic = get_object_or_404(Clinic.objects.filter(is_active=True), pk=self.kwargs["clinic_id"])
        return clinic.time_slots.filter(is_active=True)

    def perform_create(self, serializer):
        clinic = clinic_for_owner(user=self.request.user, clinic_id=self.kwargs["clinic_id"])
        serializer.instance = services.time_slot_save(clinic=clinic, **serializer.validated_data)


class TimeSlotDetailView(_OwnedClinicMixin, PartialPutMixin, generics.RetrieveUpdateDestroyAPIView):
    serializer_class = TimeSlotSerializer
    lookup_url_kwarg = "slot_id"

    def get_queryset(self):
        return self.clinic.time_slots.all()

    def perform_update(self, serializer):
        serializer.instance = services.time_slot_save(
            clinic=self.clinic, slot=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.time_slot_save(clinic=self.clinic, slot=instance, is_active=False)


class MyMembershipsView(generics.ListAPIView):
    """Every membership the caller has or had, any role (contract 2.0: a patient sees who added them)."""

    permission_classes = [HasOwnRecords]
    serializer_class = MembershipSerializer

    def get_queryset(self):
        return self.request.user.clinic_memberships.select_related("clinic").order_by("-status", "joined_at")


@extend_schema(request=None, responses={200: MembershipSerializer})
class MyMembershipLeaveView(APIView):
    """POST /api/clinics/my/memberships/<member_id>/leave/: the person ends a membership themselves."""

    permission_classes = [HasOwnRecords]

    def post(self, request, member_id):
        member = get_object_or_404(request.user.clinic_memberships.select_related("clinic"), pk=member_id)
        services.member_remove(member=member)
        return Response(MembershipSerializer(member).data)


@extend_schema(parameters=[PatientLookupQuerySerializer], responses={200: PatientCardSerializer})
class PatientLookupView(APIView):
    """GET /api/users/patient/lookup/?contact= (a clinic's doctors, lab members and receptionists; contract 2.2)."""

    throttle_classes = [PatientLookupThrottle]

    def get(self, request):
        query = PatientLookupQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        patient = services.patient_lookup(
            staff=request.user, contact=query.validated_data["contact"], ip=client_ip(request)
        )
        return Response(PatientCardSerializer(patient).data)


class AdmissionDocumentListCreateView(generics.ListCreateAPIView):
    """GET /api/clinics/<id>/admission-docs/ (public; ?mandatory=true): the clinic's admission checklist; POST adds an
    item (its owner; contract 2.6)."""

    serializer_class = AdmissionDocumentTypeSerializer
    filter_backends = [FilterBackend]
    filterset_class = AdmissionDocumentFilter

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsClinicOwner()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AdmissionDocumentType.objects.none()
        clinic = get_object_or_404(Clinic.objects.filter(is_active=True), pk=self.kwargs["clinic_id"])
        return clinic.admission_documents.filter(is_active=True)

    def perform_create(self, serializer):
        serializer.save(clinic=clinic_for_owner(user=self.request.user, clinic_id=self.kwargs["clinic_id"]))


class AdmissionDocumentDetailView(_OwnedClinicMixin, PartialPutMixin, generics.RetrieveUpdateDestroyAPIView):
    """PUT / DELETE /api/clinics/<id>/admission-docs/<doc_id>/ (its owner): DELETE takes the item off the checklist."""

    serializer_class = AdmissionDocumentTypeSerializer
    lookup_url_kwarg = "doc_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return AdmissionDocumentType.objects.none()
        return self.clinic.admission_documents.filter(is_active=True)

    def perform_destroy(self, instance):
        instance.is_active = False
        instance.save(update_fields=["is_active"])
