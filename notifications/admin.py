from django.contrib import admin

from QuickCare.admin import ReadOnlyAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """What was told to whom and what became of it: read-only (the pipeline writes every field)."""

    list_display = ["created_at", "recipient", "kind", "channel", "status", "attempts", "sent_at", "error"]
    list_filter = ["kind", "status", "channel"]
    search_fields = ["recipient__contact", "provider_message_id"]
    list_select_related = ["recipient"]
