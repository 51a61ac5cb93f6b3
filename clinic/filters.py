import django_filters

from .models import Clinic, ClinicMember, ClinicType, MemberRole, MemberStatus


class PublicClinicFilter(django_filters.FilterSet):
    city = django_filters.CharFilter(field_name="city", lookup_expr="iexact")
    type = django_filters.ChoiceFilter(field_name="clinic_type", choices=ClinicType.choices)
    search = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=100)

    class Meta:
        model = Clinic
        fields = []


class MemberFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(field_name="member_role", choices=MemberRole.choices)
    status = django_filters.ChoiceFilter(field_name="status", choices=MemberStatus.choices)

    class Meta:
        model = ClinicMember
        fields = []
