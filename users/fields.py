from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .validators import normalize_contact


@extend_schema_field({"type": "integer", "format": "int64", "example": 9876543210})
class ContactField(serializers.Field):
    """A 10-digit Indian mobile number: accepted as integer or string, returned as a JSON integer."""

    def to_internal_value(self, data):
        try:
            return normalize_contact(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def to_representation(self, value):
        return int(value) if value else None
