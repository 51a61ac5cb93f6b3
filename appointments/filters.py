import django_filters

from .models import Appointment, AppointmentStatus


class PatientAppointmentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AppointmentStatus.choices)

    class Meta:
        model = Appointment
        fields = []


class DoctorAppointmentFilter(PatientAppointmentFilter):
    date = django_filters.DateFilter(field_name="appointment_date")
    from_date = django_filters.DateFilter(field_name="appointment_date", lookup_expr="gte")
    to_date = django_filters.DateFilter(field_name="appointment_date", lookup_expr="lte")
