import django_filters
from django.db.models import Exists, OuterRef

from clinic.filters import BOOLEAN, TRUE

from .models import DoctorProfile, Specialty
from .selectors import active_doctor_memberships

MAX_FEE = 1_000_000  # as DoctorProfileSerializer's fees


class DoctorFilter(django_filters.FilterSet):
    """Every value is validated: a malformed one is a 400 naming the parameter, never ignored."""

    clinic = django_filters.UUIDFilter(method="filter_clinic")
    specialty = django_filters.ChoiceFilter(choices=Specialty.choices)
    min_fee = django_filters.NumberFilter(
        field_name="first_visit_fee", lookup_expr="gte", min_value=0, max_value=MAX_FEE
    )
    max_fee = django_filters.NumberFilter(
        field_name="first_visit_fee", lookup_expr="lte", min_value=0, max_value=MAX_FEE
    )
    video = django_filters.ChoiceFilter(choices=BOOLEAN, method="filter_video")
    search = django_filters.CharFilter(field_name="user__name", lookup_expr="icontains", max_length=100)

    class Meta:
        model = DoctorProfile
        fields = []

    def filter_clinic(self, queryset, name, value):
        return queryset.filter(Exists(active_doctor_memberships().filter(user_id=OuterRef("user_id"), clinic_id=value)))

    def filter_video(self, queryset, name, value):
        return queryset.filter(offers_video_consultation=value in TRUE)
