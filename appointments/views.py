from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from doctors.models import DoctorProfile
from QuickCare.lists import RowsListMixin
from users.permissions import HasOwnRecords, IsDoctor

from . import services
from .filters import DoctorAppointmentFilter, PatientAppointmentFilter
from .models import Actor
from .selectors import appointments_of_doctor, appointments_of_patient, doctor_free_slots
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


class _AppointmentList(RowsListMixin):
    """The hot lists: JSON built from `.values()` rows (test-guarded to equal the serializers')."""

    filter_backends = [DjangoFilterBackend]

    def rows_to_json(self, rows):
        return appointment_rows_json(rows)


class MyAppointmentListCreateView(_AppointmentList, generics.ListCreateAPIView):
    permission_classes = [HasOwnRecords]
    serializer_class = AppointmentSerializer
    filterset_class = PatientAppointmentFilter
    list_columns = LIST_COLUMNS

    def get_queryset(self):
        return appointments_of_patient(self.request.user)

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
    actor: Actor

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
    permission_classes = [HasOwnRecords]
    serializer_class = AppointmentSerializer
    status_serializer = PatientStatusSerializer
    actor = Actor.PATIENT

    def get_queryset(self):
        return appointments_of_patient(self.request.user)


class DoctorAppointmentListView(_AppointmentList, generics.ListAPIView):
    permission_classes = [IsDoctor]
    serializer_class = DoctorAppointmentSerializer
    filterset_class = DoctorAppointmentFilter
    list_columns = DOCTOR_LIST_COLUMNS

    def get_queryset(self):
        return appointments_of_doctor(self.request.user)


@extend_schema(methods=["PATCH"], request=DoctorStatusSerializer, responses={200: DoctorAppointmentSerializer})
class DoctorAppointmentDetailView(_AppointmentDetail):
    permission_classes = [IsDoctor]
    serializer_class = DoctorAppointmentSerializer
    status_serializer = DoctorStatusSerializer
    actor = Actor.DOCTOR

    def get_queryset(self):
        return appointments_of_doctor(self.request.user)
