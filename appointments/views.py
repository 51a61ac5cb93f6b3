from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from doctors.models import DoctorProfile
from QuickCare.lists import RowsListMixin
from QuickCare.pagination import OptionalLimitOffsetPagination
from users.permissions import IsDoctor, IsPatient

from . import services
from .filters import DoctorAppointmentFilter, PatientAppointmentFilter
from .models import Appointment
from .selectors import doctor_free_slots
from .serializers import (
    DOCTOR_LIST_COLUMNS,
    LIST_COLUMNS,
    AppointmentSerializer,
    BookingSerializer,
    DoctorAppointmentSerializer,
    DoctorStatusSerializer,
    FreeSlotsQuerySerializer,
    FreeSlotsSerializer,
    PatientStatusSerializer,
    appointment_rows_json,
)


@extend_schema(parameters=[FreeSlotsQuerySerializer], responses={200: FreeSlotsSerializer})
class FreeSlotsView(APIView):
    """GET /api/doctors/<doctor_id>/availability/slots/?date=&clinic_id= (public). Three queries; a fourth only to
    tell an unknown doctor (404) from a day without free times."""

    permission_classes = [AllowAny]

    def get(self, request, doctor_id):
        query = FreeSlotsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        on = query.validated_data["date"]
        slots = doctor_free_slots(doctor_id=doctor_id, on=on, clinic_id=query.validated_data.get("clinic_id"))
        if not slots and not DoctorProfile.objects.filter(pk=doctor_id).exists():
            raise NotFound("Doctor not found.")
        return Response({"doctor": doctor_id, "date": on, "available_slots": [t.strftime("%H:%M") for t in slots]})


# The columns the appointment JSON shows: loading only these keeps the hot lists' four-table join cheap.
APPOINTMENT_COLUMNS = [
    "id",
    "appointment_date",
    "appointment_time",
    "appointment_type",
    "status",
    "mode",
    "notes",
    "fee_charged",
    "created_at",
    "patient_id",
    "doctor__id",
    "doctor__specialty",
    "doctor__user__name",
    "clinic__id",
    "clinic__name",
    "clinic__city",
]


def _appointments():
    return Appointment.objects.select_related("doctor__user", "clinic").only(*APPOINTMENT_COLUMNS)


def _doctor_appointments(user):
    return (
        _appointments()
        .select_related("patient")
        .only(*APPOINTMENT_COLUMNS, "patient__name", "patient__contact")
        .filter(doctor__user_id=user.pk)
    )


class MyAppointmentListCreateView(RowsListMixin, generics.ListCreateAPIView):
    permission_classes = [IsPatient]
    serializer_class = AppointmentSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PatientAppointmentFilter
    pagination_class = OptionalLimitOffsetPagination
    list_columns = LIST_COLUMNS

    def rows_to_json(self, rows):
        return appointment_rows_json(rows)

    def get_queryset(self):
        return _appointments().filter(patient_id=self.request.user.pk)

    @extend_schema(request=BookingSerializer, responses={201: AppointmentSerializer})
    def post(self, request):
        booking = BookingSerializer(data=request.data)
        booking.is_valid(raise_exception=True)
        data = booking.validated_data
        appointment = services.appointment_book(
            patient=request.user,
            doctor=data["doctor"],
            on=data["appointment_date"],
            at=data["appointment_time"],
            appointment_type=data["appointment_type"],
            mode=data["mode"],
            notes=data.get("notes", ""),
            clinic=data.get("clinic"),
        )
        return Response(AppointmentSerializer(appointment).data, status=status.HTTP_201_CREATED)


class _AppointmentDetail(generics.RetrieveAPIView):
    status_serializer: type
    actor: str

    @extend_schema(request=None, responses=None)  # replaced per subclass below
    def patch(self, request, pk):
        body = self.status_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        appointment = services.appointment_move(
            appointment=self.get_object(), to=body.validated_data["status"], actor=self.actor
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=appointment.pk)).data)


@extend_schema(methods=["PATCH"], request=PatientStatusSerializer, responses={200: AppointmentSerializer})
class MyAppointmentDetailView(_AppointmentDetail):
    permission_classes = [IsPatient]
    serializer_class = AppointmentSerializer
    status_serializer = PatientStatusSerializer
    actor = services.PATIENT

    def get_queryset(self):
        return _appointments().filter(patient_id=self.request.user.pk)


class DoctorAppointmentListView(RowsListMixin, generics.ListAPIView):
    permission_classes = [IsDoctor]
    serializer_class = DoctorAppointmentSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DoctorAppointmentFilter
    pagination_class = OptionalLimitOffsetPagination
    list_columns = DOCTOR_LIST_COLUMNS

    def rows_to_json(self, rows):
        return appointment_rows_json(rows)

    def get_queryset(self):
        return _doctor_appointments(self.request.user)


@extend_schema(methods=["PATCH"], request=DoctorStatusSerializer, responses={200: DoctorAppointmentSerializer})
class DoctorAppointmentDetailView(_AppointmentDetail):
    permission_classes = [IsDoctor]
    serializer_class = DoctorAppointmentSerializer
    status_serializer = DoctorStatusSerializer
    actor = services.DOCTOR

    def get_queryset(self):
        return _doctor_appointments(self.request.user)
