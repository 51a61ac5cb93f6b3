from functools import cached_property

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.selectors import clinic_for_desk
from doctors.models import DoctorProfile
from QuickCare.lists import RowsMixin
from users.permissions import HasOwnRecords, IsDoctor

from . import services
from .filters import DoctorAppointmentFilter, PatientAppointmentFilter
from .models import Actor, Appointment
from .selectors import (
    appointments_of_clinic,
    appointments_of_doctor,
    appointments_of_patient,
    clinic_now,
    day_summary,
    doctor_free_slots,
)
from .serializers import (
    COLUMNS,
    DOCTOR_COLUMNS,
    AppointmentSerializer,
    BookingSerializer,
    ClinicDayQuerySerializer,
    ClinicDaySerializer,
    DeskBookingSerializer,
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


class _Appointments(RowsMixin):
    """Every appointment answer comes from appointment_rows_json."""

    filter_backends = [DjangoFilterBackend]
    columns = COLUMNS

    def rows_to_json(self, rows):
        return appointment_rows_json(rows)


class MyAppointmentListCreateView(_Appointments, generics.ListCreateAPIView):
    permission_classes = [HasOwnRecords]
    serializer_class = AppointmentSerializer
    filterset_class = PatientAppointmentFilter

    def get_queryset(self):
        return appointments_of_patient(self.request.user)

    @extend_schema(request=BookingSerializer, responses={201: AppointmentSerializer})
    def post(self, request):
        body = BookingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        appointment = services.appointment_book(
            patient=request.user, clinic=body.validated_data.get("clinic"), **body.booking()
        )
        created = self.object_json(self.get_queryset().filter(pk=appointment.pk))
        return Response(created, status=status.HTTP_201_CREATED)


class _AppointmentDetail(_Appointments, generics.RetrieveAPIView):
    status_serializer: type
    actor: Actor

    def patch(self, request, pk, **kwargs):  # documented per subclass below
        body = self.status_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        appointment = services.appointment_move(
            appointment=self.get_object(),
            to=data["status"],
            actor=self.actor,
            reason=data.get("cancellation_reason", ""),
            notes=data.get("notes", ""),
            by=request.user,
        )
        return Response(self.object_json(self.get_queryset().filter(pk=appointment.pk)))


@extend_schema_view(patch=extend_schema(request=PatientStatusSerializer, responses={200: AppointmentSerializer}))
class MyAppointmentDetailView(_AppointmentDetail):
    permission_classes = [HasOwnRecords]
    serializer_class = AppointmentSerializer
    status_serializer = PatientStatusSerializer
    actor = Actor.PATIENT

    def get_queryset(self):
        return appointments_of_patient(self.request.user)


class DoctorAppointmentListView(_Appointments, generics.ListAPIView):
    permission_classes = [IsDoctor]
    serializer_class = DoctorAppointmentSerializer
    filterset_class = DoctorAppointmentFilter
    columns = DOCTOR_COLUMNS

    def get_queryset(self):
        return appointments_of_doctor(self.request.user)


@extend_schema_view(patch=extend_schema(request=DoctorStatusSerializer, responses={200: DoctorAppointmentSerializer}))
class DoctorAppointmentDetailView(_AppointmentDetail):
    permission_classes = [IsDoctor]
    serializer_class = DoctorAppointmentSerializer
    columns = DOCTOR_COLUMNS
    status_serializer = DoctorStatusSerializer
    actor = Actor.DOCTOR

    def get_queryset(self):
        return appointments_of_doctor(self.request.user)


class _ClinicDesk:
    """The clinic of the URL, for its owner and receptionists only (clinic.selectors.clinic_for_desk)."""

    @cached_property
    def clinic(self):
        return clinic_for_desk(user=self.request.user, clinic_id=self.kwargs["clinic_id"])


@extend_schema(parameters=[ClinicDayQuerySerializer], responses={200: ClinicDaySerializer})
class ClinicDashboardView(_ClinicDesk, APIView):
    """GET /api/appointments/clinic/<clinic_id>/dashboard/?date=&status=&doctor_id= (contract 2.5): the day's counts
    by status (of the doctor, when given) and its appointments (also filtered by status), in time order."""

    def get(self, request, clinic_id):
        query = ClinicDayQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        on = query.validated_data.get("date") or clinic_now().date()
        day = appointments_of_clinic(self.clinic).filter(appointment_date=on)
        if "doctor_id" in query.validated_data:
            day = day.filter(doctor_id=query.validated_data["doctor_id"])
        summary = day_summary(day)
        if "status" in query.validated_data:
            day = day.filter(status=query.validated_data["status"])
        rows = day.order_by("appointment_time", "id").values(*DOCTOR_COLUMNS)
        return Response(
            {"clinic": self.clinic.name, "date": on, "summary": summary, "appointments": appointment_rows_json(rows)}
        )


class ClinicAppointmentListCreateView(_ClinicDesk, _Appointments, generics.ListCreateAPIView):
    """GET lists the clinic's appointments (the doctor list's filters); POST books at the desk for a patient, through
    the same booking service as the patient's own booking (contract 2.5)."""

    serializer_class = DoctorAppointmentSerializer
    filterset_class = DoctorAppointmentFilter
    columns = DOCTOR_COLUMNS

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Appointment.objects.none()
        return appointments_of_clinic(self.clinic)

    @extend_schema(request=DeskBookingSerializer, responses={201: DoctorAppointmentSerializer})
    def post(self, request, clinic_id):
        clinic = self.clinic
        body = DeskBookingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        appointment = services.desk_book(
            clinic=clinic,
            booked_by=request.user,
            patient=data.get("patient_id"),
            contact=data.get("contact", ""),
            name=data.get("name", ""),
            **body.booking(),
        )
        created = self.object_json(self.get_queryset().filter(pk=appointment.pk))
        return Response(created, status=status.HTTP_201_CREATED)


@extend_schema_view(patch=extend_schema(request=DoctorStatusSerializer, responses={200: DoctorAppointmentSerializer}))
class ClinicAppointmentDetailView(_ClinicDesk, _AppointmentDetail):
    """GET / PATCH /api/appointments/clinic/<clinic_id>/<id>/: the desk moves an appointment as its doctor may
    (Actor.DESK in APPOINTMENT_MOVES), recorded as done by the caller."""

    serializer_class = DoctorAppointmentSerializer
    columns = DOCTOR_COLUMNS
    status_serializer = DoctorStatusSerializer
    actor = Actor.DESK

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Appointment.objects.none()
        return appointments_of_clinic(self.clinic)
