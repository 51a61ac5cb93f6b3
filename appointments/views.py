from functools import cached_property
from types import SimpleNamespace
from uuid import UUID

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.selectors import clinic_for_desk, clinic_for_doctor
from doctors.models import DoctorProfile
from QuickCare.exceptions import Conflict
from QuickCare.filtering import FilterBackend
from QuickCare.lists import RowsMixin
from QuickCare.sql import compiled_values
from users.permissions import HasOwnRecords, IsDoctor, IsPatient

from . import services
from .filters import DoctorAppointmentFilter, PatientAppointmentFilter
from .idempotency import IDEMPOTENCY_KEY, idempotent
from .models import ACTIVE_STATUSES, Actor, Appointment, WaitlistEntry
from .selectors import (
    ahead_of,
    appointments_of_clinic,
    appointments_of_doctor,
    appointments_of_patient,
    clinic_now,
    day_summary,
    doctor_free_slots,
    estimated_wait_minutes,
    not_arrived,
    now_serving,
    queue_day,
    slot_duration_at,
    waiting,
)
from .serializers import (
    COLUMNS,
    DOCTOR_COLUMNS,
    AppointmentHistorySerializer,
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
    QueueNextSerializer,
    QueuePositionSerializer,
    QueueQuerySerializer,
    QueueSerializer,
    RescheduleSerializer,
    WaitlistSerializer,
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

    filter_backends = [FilterBackend]
    columns = COLUMNS

    def rows_to_json(self, rows):
        return appointment_rows_json(rows)


class _Mine:
    """The patient's own appointments (someone else's is a 404), acted on as the patient."""

    permission_classes = [HasOwnRecords]
    serializer_class = AppointmentSerializer
    actor = Actor.PATIENT

    def get_queryset(self):
        return appointments_of_patient(self.request.user)


class _Doctors:
    """The doctor's own appointments, acted on as the doctor."""

    permission_classes = [IsDoctor]
    serializer_class = DoctorAppointmentSerializer
    columns = DOCTOR_COLUMNS
    actor = Actor.DOCTOR

    def get_queryset(self):
        return appointments_of_doctor(self.request.user)


# A patient id no account has: the patient's list is compiled once with it (QuickCare.sql.compiled_values).
_ANY_PATIENT = UUID(int=0x7340_0002)


class MyAppointmentListCreateView(_Mine, _Appointments, generics.ListCreateAPIView):
    filterset_class = PatientAppointmentFilter

    def list(self, request, *args, **kwargs):
        """Without a query (no filter, no page: what the apps ask for), the patient's list runs from SQL compiled
        once; with one, the general path builds it."""
        if request.query_params:
            return super().list(request, *args, **kwargs)
        cap = settings.MAX_LIST_ITEMS
        rows = compiled_values(
            f"my-appointments-{cap}",
            lambda patient_id: appointments_of_patient(SimpleNamespace(pk=patient_id)).values(*self.columns)[
                : cap + 1 if cap else None
            ],
            {"patient_id": _ANY_PATIENT},
            {"patient_id": request.user.pk},
        )
        return self.get_paginated_response(self.rows_to_json(self.paginate_queryset(rows)))

    @extend_schema(request=BookingSerializer, responses={201: AppointmentSerializer}, parameters=[IDEMPOTENCY_KEY])
    def post(self, request):
        def act():
            body = BookingSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            appointment = services.appointment_book(
                patient=request.user, clinic=body.validated_data.get("clinic"), **body.booking()
            )
            return Response(self.instance_json(appointment), status=status.HTTP_201_CREATED)

        return idempotent(self, request, act)


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
class MyAppointmentDetailView(_Mine, _AppointmentDetail):
    status_serializer = PatientStatusSerializer


class DoctorAppointmentListView(_Doctors, _Appointments, generics.ListAPIView):
    filterset_class = DoctorAppointmentFilter


@extend_schema_view(patch=extend_schema(request=DoctorStatusSerializer, responses={200: DoctorAppointmentSerializer}))
class DoctorAppointmentDetailView(_Doctors, _AppointmentDetail):
    status_serializer = DoctorStatusSerializer


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


class _Desk(_ClinicDesk):
    """The appointments of the clinic of the URL, for its owner and receptionists, acted on as the desk."""

    serializer_class = DoctorAppointmentSerializer
    columns = DOCTOR_COLUMNS
    actor = Actor.DESK

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Appointment.objects.none()
        return appointments_of_clinic(self.clinic)


class ClinicAppointmentListCreateView(_Desk, _Appointments, generics.ListCreateAPIView):
    """GET lists the clinic's appointments (the doctor list's filters); POST books at the desk for a patient, through
    the same booking service as the patient's own booking (contract 2.5)."""

    filterset_class = DoctorAppointmentFilter

    @extend_schema(
        request=DeskBookingSerializer, responses={201: DoctorAppointmentSerializer}, parameters=[IDEMPOTENCY_KEY]
    )
    def post(self, request, clinic_id):
        def act():
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
            return Response(self.instance_json(appointment), status=status.HTTP_201_CREATED)

        return idempotent(self, request, act)


@extend_schema_view(patch=extend_schema(request=DoctorStatusSerializer, responses={200: DoctorAppointmentSerializer}))
class ClinicAppointmentDetailView(_Desk, _AppointmentDetail):
    """GET / PATCH /api/appointments/clinic/<clinic_id>/<id>/: the desk moves an appointment as its doctor may
    (Actor.DESK in APPOINTMENT_MOVES), recorded as done by the caller."""

    status_serializer = DoctorStatusSerializer


# --- The OPD day (contract section 3): check-in, the doctor's queue, reschedule, history ------------------------------


class _CheckIn(_Appointments, generics.GenericAPIView):
    """POST .../<id>/check-in/: the patient has arrived (today's pending or confirmed appointments; 409 otherwise)."""

    @extend_schema(request=None)
    def post(self, request, pk, **kwargs):
        appointment = services.appointment_check_in(appointment=self.get_object(), actor=self.actor, by=request.user)
        return Response(self.object_json(self.get_queryset().filter(pk=appointment.pk)))


class DoctorCheckInView(_Doctors, _CheckIn):
    pass


class ClinicCheckInView(_Desk, _CheckIn):
    pass


class _Reschedule(_Appointments, generics.GenericAPIView):
    """POST .../<id>/reschedule/ {"appointment_date", "appointment_time", "reason"}: every booking rule, the same
    lock; honours Idempotency-Key."""

    @extend_schema(request=RescheduleSerializer, parameters=[IDEMPOTENCY_KEY])
    def post(self, request, pk, **kwargs):
        def act():
            appointment = self.get_object()  # someone else's is a 404 whatever the body
            body = RescheduleSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            appointment = services.appointment_reschedule(
                appointment=appointment,
                on=body.validated_data["appointment_date"],
                at=body.validated_data["appointment_time"],
                reason=body.validated_data["reason"],
                actor=self.actor,
                by=request.user,
            )
            return Response(self.object_json(self.get_queryset().filter(pk=appointment.pk)))

        return idempotent(self, request, act)


class MyRescheduleView(_Mine, _Reschedule):
    pass


class DoctorRescheduleView(_Doctors, _Reschedule):
    pass


class ClinicRescheduleView(_Desk, _Reschedule):
    pass


class _History(_Appointments, generics.GenericAPIView):
    """GET .../<id>/history/: every change of status, time and check-in, oldest first, with who made it."""

    @extend_schema(responses={200: AppointmentHistorySerializer(many=True)})
    def get(self, request, pk, **kwargs):
        appointment = self.get_object()
        page = self.paginate_queryset(appointment.history.select_related("by"))
        return self.get_paginated_response(AppointmentHistorySerializer(page, many=True).data)


class MyHistoryView(_Mine, _History):
    pass


class DoctorHistoryView(_Doctors, _History):
    pass


class ClinicHistoryView(_Desk, _History):
    pass


def _queue_json(day: list[dict]) -> dict:
    return {
        "now_serving": now_serving(day),
        "waiting": appointment_rows_json(waiting(day)),
        "not_arrived": not_arrived(day),
    }


@extend_schema(parameters=[QueueQuerySerializer], responses={200: QueueSerializer})
class QueueView(APIView):
    """GET /api/appointments/doctor/queue/?clinic_id=&date= (the doctor; default today): who is being seen, who
    waits (checked in, in token order) and how many have not arrived. Two queries, whatever the size of the day."""

    permission_classes = [IsDoctor]

    def get(self, request):
        query = QueueQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        clinic = clinic_for_doctor(user=request.user, clinic_id=query.validated_data.get("clinic_id"))
        on = query.validated_data.get("date") or clinic_now().date()
        day = queue_day(doctor_id=request.user.doctor_profile.pk, clinic_id=clinic.pk, on=on, columns=DOCTOR_COLUMNS)
        return Response(_queue_json(day))


@extend_schema(request=QueueNextSerializer, responses={200: DoctorAppointmentSerializer})
class QueueNextView(_Doctors, _Appointments, generics.GenericAPIView):
    """POST /api/appointments/doctor/queue/next/ {"clinic_id"}: call the next checked-in patient (409 when nobody
    waits); two devices calling at once get two different patients."""

    def post(self, request):
        body = QueueNextSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        clinic = clinic_for_doctor(user=request.user, clinic_id=body.validated_data.get("clinic_id"))
        appointment = services.queue_next(doctor=request.user.doctor_profile, clinic=clinic, by=request.user)
        return Response(self.object_json(self.get_queryset().filter(pk=appointment.pk)))


@extend_schema(responses={200: QueuePositionSerializer})
class MyQueuePositionView(_Mine, _Appointments, generics.GenericAPIView):
    """GET /api/appointments/my/<id>/queue/: the patient's place in their doctor's queue that day and the estimate
    (the window's slot length for each patient ahead). A cancelled or finished appointment is not in a queue (409)."""

    def get(self, request, pk):
        appointment = self.get_object()
        if appointment.status not in ACTIVE_STATUSES:
            raise Conflict(f"A {appointment.status} appointment is not in a queue.")
        day = queue_day(
            doctor_id=appointment.doctor_id, clinic_id=appointment.clinic_id, on=appointment.appointment_date
        )
        called = appointment.called_at is not None
        ahead = 0 if called else ahead_of(day, appointment.token_number)
        minutes = slot_duration_at(
            doctor_id=appointment.doctor_id,
            clinic_id=appointment.clinic_id,
            on=appointment.appointment_date,
            at=appointment.appointment_time,
        )
        return Response(
            {
                "token_number": appointment.token_number,
                "now_serving": now_serving(day),
                "ahead_of_you": ahead,
                "estimated_wait_minutes": estimated_wait_minutes(ahead=ahead, slot_duration_minutes=minutes),
            }
        )


class WaitlistListCreateView(generics.ListCreateAPIView):
    """GET / POST /api/appointments/waitlist/ (patient; contract section 4): their places on doctors' waitlists;
    when a booked time of that day frees up they are told, in the order they joined."""

    permission_classes = [IsPatient]
    serializer_class = WaitlistSerializer

    def get_queryset(self):
        return WaitlistEntry.objects.filter(patient=self.request.user).select_related("doctor__user")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.waitlist_join(
            patient=self.request.user, doctor_id=data["doctor_id"], on=data["date"], clinic_id=data.get("clinic_id")
        )


class WaitlistDetailView(generics.DestroyAPIView):
    """DELETE /api/appointments/waitlist/<id>/: leave it (someone else's is a 404)."""

    permission_classes = [IsPatient]
    serializer_class = WaitlistSerializer

    def get_queryset(self):
        return WaitlistEntry.objects.filter(patient=self.request.user)
