from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import DeliveryStatus, Notification
from .serializers import NotificationSerializer


def shown_to(user):
    """The caller's messages, newest first: not the reminders still waiting for their time, nor cancelled ones."""
    return Notification.objects.filter(
        Q(send_after__isnull=True) | Q(send_after__lte=timezone.now()), recipient_id=user.pk
    ).exclude(status=DeliveryStatus.CANCELLED)


class MyNotificationListView(generics.ListAPIView):
    """GET /api/users/me/notifications/: every message sent to the caller (contract section 4)."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        return shown_to(self.request.user)


@extend_schema(request=None, responses={200: NotificationSerializer})
class MyNotificationReadView(APIView):
    """POST /api/users/me/notifications/<id>/read/: marks it read (once; reading again keeps the first time)."""

    def post(self, request, pk):
        notification = get_object_or_404(shown_to(request.user), pk=pk)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(NotificationSerializer(notification).data)
