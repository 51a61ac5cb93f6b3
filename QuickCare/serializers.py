from rest_framework import serializers


class TimeRangeMixin:
    """For serializers with start_time/end_time: the end must come after the start, also on a partial update."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        start = attrs.get("start_time", getattr(self.instance, "start_time", None))
        end = attrs.get("end_time", getattr(self.instance, "end_time", None))
        if start and end and end <= start:
            raise serializers.ValidationError({"end_time": ["The end time must be after the start time."]})
        return attrs
