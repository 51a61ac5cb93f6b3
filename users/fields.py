from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .validators import contact_as_int, normalize_contact


@extend_schema_field({"type": "integer", "format": "int64", "example": 9876543210, "nullable": True})
class ContactField(serializers.Field):
    """A 10-digit Indian mobile number: accepted as integer or string, returned as a JSON integer."""

    def to_internal_value(self, data):
        try:
            return normalize_contact(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def to_representation(self, value):
        return contact_as_int(value)
