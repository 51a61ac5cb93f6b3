from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from QuickCare.serializers import SynonymChoiceField

from .models import Gender
from .validators import CONTACT_INPUT_SCHEMA, contact_as_int, normalize_contact


class ContactField(serializers.Field):
    """A 10-digit Indian mobile number: accepted as integer or string, returned as a JSON integer."""

    def to_internal_value(self, data):
        try:
            return normalize_contact(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def to_representation(self, value):
        return contact_as_int(value)


class ContactFieldSchema(OpenApiSerializerFieldExtension):
    """Answers show a JSON integer; requests may send what normalize_contact accepts."""

    target_class = ContactField

    def map_serializer_field(self, auto_schema, direction):
        if direction == "response":
            return {"type": "integer", "format": "int64", "example": 9876543210, "nullable": True}
        return CONTACT_INPUT_SCHEMA  # with "" and null where BlankMeansNoValue reads them (QuickCare/openapi.py)


class PincodeField(serializers.RegexField):
    """An Indian PIN code: six ASCII digits (`\\d` would also accept other scripts' digits). Optional, blank allowed."""

    other_json_types = {"type": "integer", "minimum": 100000, "maximum": 999999}  # read as its digits

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        super().__init__(r"^[0-9]{6}$", error_messages={"invalid": "A PIN code has 6 digits."}, **kwargs)


class OTPField(serializers.RegexField):
    """The code from the SMS: ASCII digits only."""

    other_json_types = {"type": "integer", "minimum": 1000, "maximum": 9_999_999_999}  # read as its digits

    def __init__(self, **kwargs):
        super().__init__(r"^[0-9]{4,10}$", error_messages={"invalid": "The OTP is the 6-digit code we sent."}, **kwargs)


class GenderField(SynonymChoiceField):
    """The spec's genders plus `prefer_not_to_say`; the web app's `others` is read as `other` (contract row 1.8)."""

    def __init__(self, **kwargs):
        super().__init__(choices=Gender.choices, synonyms={"others": Gender.OTHER}, **kwargs)
