import django_filters

from .models import ConsentStatus, Document, DocumentConsent, DocumentType, UploaderRole


class DocumentFilter(django_filters.FilterSet):
    document_type = django_filters.ChoiceFilter(choices=DocumentType.choices)
    type = django_filters.ChoiceFilter(choices=DocumentType.choices, field_name="document_type")  # the web app's name
    uploaded_by_role = django_filters.ChoiceFilter(choices=UploaderRole.choices)

    class Meta:
        model = Document
        fields = []


class ConsentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ConsentStatus.choices, field_name="effective_status")

    class Meta:
        model = DocumentConsent
        fields = []
