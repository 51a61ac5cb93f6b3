import math
import re
from datetime import UTC, date, datetime

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class DecimalField(serializers.DecimalField):
    """DRF's, with the input spellings narrowed to what a person means (and the schema says, QuickCare/openapi.py):
    a string of plain digits (a sign only when negatives are allowed, at most `decimal_places` after the point; no
    exponent, spaces, underscores or "NaN"), or a JSON number, read as the decimal it was written as (a float that
    differs from its rounding only beyond 9 places, like 1.1500000000000001, is that rounding)."""

    @property
    def pattern(self) -> str:
        sign = "-?" if self.min_value is None or self.min_value < 0 else ""
        whole = f"0*[0-9]{{1,{self.max_whole_digits}}}" if self.max_whole_digits else "0+"
        fraction = rf"(\.[0-9]{{1,{self.decimal_places}}})?" if self.decimal_places else ""
        return f"^{sign}{whole}{fraction}$"

    def to_internal_value(self, data):
        if isinstance(data, float) and math.isfinite(data):
            if self.min_value is not None and data < self.min_value:
                self.fail("min_value", min_value=self.min_value)  # not rounded up into range (-1e-200 is below 0)
            if self.max_value is not None and data > self.max_value:
                self.fail("max_value", max_value=self.max_value)
            rounded = round(data, self.decimal_places)
            if abs(rounded - data) < 1e-9:
                data = f"{rounded:.{self.decimal_places}f}"
        elif (
            isinstance(data, bool)
            or not isinstance(data, int | str)
            or (isinstance(data, str) and not re.search(self.pattern, data))  # `$` as RegexField and the schema read it
        ):
            raise serializers.ValidationError(f"Enter a number such as {'499.50' if self.decimal_places else '500'}.")
        return super().to_internal_value(data)


class TimeRangeMixin:
    """For serializers with start_time/end_time (and a slot length): the end must come after the start, and the
    window must hold at least one whole slot, also on a partial update."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        start = attrs.get("start_time", getattr(self.instance, "start_time", None))
        end = attrs.get("end_time", getattr(self.instance, "end_time", None))
        minutes = attrs.get("slot_duration_minutes", getattr(self.instance, "slot_duration_minutes", None))
        if start and end and end <= start:
            raise serializers.ValidationError({"end_time": ["The end time must be after the start time."]})
        if start and end and minutes:
            length = datetime.combine(date.min, end) - datetime.combine(date.min, start)
            if length.total_seconds() < minutes * 60:
                raise serializers.ValidationError(
                    {"end_time": [f"This window is shorter than one {minutes}-minute slot; no one could book it."]}
                )
        return attrs


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "pattern": r"^(190[1-9]|19[1-9][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-",
    }
)
class DateTimeField(serializers.DateTimeField):
    """DRF's, refusing instants that cannot be stored: "0001-01-01" in Asia/Kolkata is before year 1 in UTC. The
    schema names the years that are safe in every time zone (1901-9998)."""

    default_error_messages = {"out_of_range": "Enter a date and time between the years 1900 and 9999."}

    def to_internal_value(self, value):
        try:
            parsed = super().to_internal_value(value)
            in_range = 1900 <= parsed.astimezone(UTC).year <= 9999
        except OverflowError:
            in_range = False
        if not in_range:
            self.fail("out_of_range")
        return parsed


class BlankMeansNoValue:
    """Frontends send "" for an empty optional number or contact (contract row 1.9): for a field that takes null
    and is not text, "" is read as null. Anything else keeps its usual validation."""

    def to_internal_value(self, data):
        if hasattr(data, "items"):
            blanks = {
                name
                for name, field in self.fields.items()
                if data.get(name) == "" and field.allow_null and not isinstance(field, serializers.CharField)
            }
            if blanks:
                data = {**data, **dict.fromkeys(blanks)}
        return super().to_internal_value(data)


class SynonymChoiceField(serializers.ChoiceField):
    """A choice that also accepts the other spellings existing clients send, read as the canonical one."""

    def __init__(self, *, synonyms: dict, **kwargs):
        self.synonyms = synonyms
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(self.synonyms.get(data, data) if isinstance(data, str) else data)
