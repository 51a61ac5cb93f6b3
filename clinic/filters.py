import django_filters

from .models import AdmissionDocumentType, Clinic, ClinicMember, ClinicType, MemberRole, MemberStatus

# A yes/no query parameter: refused (400) unless one of these, never silently ignored.
BOOLEAN = [("true", "true"), ("false", "false"), ("1", "1"), ("0", "0")]
TRUE = ("true", "1")


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


class AdmissionDocumentFilter(django_filters.FilterSet):
    mandatory = django_filters.ChoiceFilter(choices=BOOLEAN, method="filter_mandatory")

    class Meta:
        model = AdmissionDocumentType
        fields = []

    def filter_mandatory(self, queryset, name, value):
        return queryset.filter(is_mandatory=value in TRUE)
