from rest_framework import serializers

from .models import DeliveryStatus, Notification


class NotificationSerializer(serializers.ModelSerializer):
    """One message in `GET /api/users/me/notifications/` (contract section 4)."""

    delivery_status = serializers.ChoiceField(source="status", choices=DeliveryStatus.choices)

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "created_at", "read_at", "channel", "delivery_status"]
        read_only_fields = fields
