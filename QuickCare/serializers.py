from datetime import UTC, date, datetime

from rest_framework import serializers


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


class DateTimeField(serializers.DateTimeField):
    """DRF's, refusing instants that cannot be stored: "0001-01-01" in Asia/Kolkata is before year 1 in UTC."""

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
