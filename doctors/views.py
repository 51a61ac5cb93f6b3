import uuid
from functools import cached_property

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from QuickCare.caching import PublicCacheMixin
from QuickCare.filtering import FilterBackend
from QuickCare.lists import RowsMixin
from QuickCare.mixins import PartialPutMixin
from users.permissions import IsDoctor
from users.serializers import SignedInSerializer
from users.services import tokens_for

from . import services
from .filters import MAX_FEE, DoctorFilter
from .models import DoctorAvailability, DoctorProfile
from .selectors import (
    CARD_FIELDS,
    DAY_ORDER,
    DETAIL_FIELDS,
    bookable_windows,
    doctor_cards,
    doctor_for_self,
    doctor_profile_of,
    listed_doctors,
)
from .serializers import (
    AvailabilitySerializer,
    DoctorDetailSerializer,
    DoctorListSerializer,
    LeaveSerializer,
    MemberOnboardingSerializer,
    MyDoctorProfileSerializer,
)


def my_doctor_profile(user) -> DoctorProfile:
    profile = doctor_profile_of(user)
    if profile is None:
        raise NotFound("You have no doctor profile yet: a clinic creates it when it adds you as a doctor.")
    return profile


class _DoctorCards(PublicCacheMixin, RowsMixin):
    """The public directory: every card comes from doctor_cards."""

    permission_classes = [AllowAny]

    def get_queryset(self):
        return listed_doctors()

    def rows_to_json(self, rows):
        return doctor_cards(rows)


FEE_PARAMETER = {"type": "number", "minimum": 0, "maximum": MAX_FEE}


@extend_schema(parameters=[OpenApiParameter("min_fee", FEE_PARAMETER), OpenApiParameter("max_fee", FEE_PARAMETER)])
class DoctorListView(_DoctorCards, generics.ListAPIView):
    serializer_class = DoctorListSerializer
    filter_backends = [FilterBackend]
    filterset_class = DoctorFilter
    columns = CARD_FIELDS


class DoctorDetailView(_DoctorCards, generics.RetrieveAPIView):
    serializer_class = DoctorDetailSerializer
    columns = (*CARD_FIELDS, *DETAIL_FIELDS)


class DoctorMeView(PartialPutMixin, generics.RetrieveUpdateAPIView):
    permission_classes = [IsDoctor]
    serializer_class = MyDoctorProfileSerializer

    def get_object(self):
        return my_doctor_profile(self.request.user)

    def perform_update(self, serializer):
        serializer.instance = services.doctor_profile_update(profile=serializer.instance, **serializer.validated_data)


class _DoctorWindows:
    """/api/doctors/<doctor_id>/availability/...: anyone reads; only that doctor writes."""

    serializer_class = AvailabilitySerializer

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else [IsDoctor()]

    @cached_property
    def doctor(self) -> DoctorProfile:
        if self.request.method == "GET":
            return get_object_or_404(DoctorProfile, pk=self.kwargs["doctor_id"])
        return doctor_for_self(user=self.request.user, doctor_id=self.kwargs["doctor_id"])

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DoctorAvailability.objects.none()
        if self.request.method == "GET":
            return bookable_windows(doctor_id=self.doctor.pk).select_related("clinic").order_by(DAY_ORDER, "start_time")
        return self.doctor.availability.select_related("clinic")


class AvailabilityListCreateView(_DoctorWindows, generics.ListCreateAPIView):
    def perform_create(self, serializer):
        serializer.instance = services.availability_save(doctor=self.doctor, **serializer.validated_data)

    @extend_schema(
        operation_id="doctors_availability_destroy_by_query",
        parameters=[OpenApiParameter("slot_id", str, required=True, description="The window to deactivate.")],
        responses={204: None},
    )
    def delete(self, request, doctor_id):
        """The form existing web clients send: DELETE .../availability/?slot_id=<id>."""
        slot_id = request.query_params.get("slot_id")
        if not slot_id:
            raise ValidationError({"slot_id": ["Name the window to remove: ?slot_id=<id>."]})
        try:
            window = get_object_or_404(self.get_queryset(), pk=uuid.UUID(slot_id))
        except ValueError:
            raise NotFound("Availability window not found.") from None
        services.availability_deactivate(window=window)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AvailabilityDetailView(_DoctorWindows, PartialPutMixin, generics.RetrieveUpdateDestroyAPIView):
    lookup_url_kwarg = "window_id"

    def perform_update(self, serializer):
        serializer.instance = services.availability_save(
            doctor=self.doctor, window=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.availability_deactivate(window=instance)


class MyLeaveListCreateView(generics.ListCreateAPIView):
    permission_classes = [IsDoctor]
    serializer_class = LeaveSerializer

    def get_queryset(self):
        return my_doctor_profile(self.request.user).leaves.all()

    def perform_create(self, serializer):
        serializer.instance = services.leave_create(
            doctor=my_doctor_profile(self.request.user), **serializer.validated_data
        )


class MyLeaveDetailView(generics.RetrieveDestroyAPIView):
    permission_classes = [IsDoctor]
    serializer_class = LeaveSerializer
    lookup_url_kwarg = "leave_id"

    def get_queryset(self):
        return my_doctor_profile(self.request.user).leaves.all()


@extend_schema(request=MemberOnboardingSerializer, responses={200: SignedInSerializer})
class MemberOnboardingCompleteView(APIView):
    """PATCH (or PUT) /api/users/onboarding/member/complete/ (contract 2.1): staff added without an account choose
    their own password and fill their profile; fresh tokens, every earlier one ends. Served here because a doctor's
    profile is part of it."""

    onboarding_methods = ("PATCH", "PUT")  # open to an onboarding login (users.authentication)

    def patch(self, request):
        body = MemberOnboardingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = services.member_onboarding_complete(user=request.user, data=dict(body.validated_data))
        return Response(
            SignedInSerializer({"message": "Your account is ready.", **tokens_for(user), "user": user}).data
        )

    def put(self, request):
        return self.patch(request)
