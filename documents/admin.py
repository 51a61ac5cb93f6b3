from django.contrib import admin

from QuickCare.admin import ReadOnlyAdmin, ReadOnlyInline, run_service_action
from QuickCare.net import client_ip

from . import services
from .models import AdmissionSubmission, ConsentEvent, Document, DocumentAccessLog, DocumentConsent, EmergencyAccess


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Metadata only: the file itself is never linked from the admin (it has no public URL)."""

    list_display = ["title", "owner", "document_type", "content_type", "size", "uploaded_at", "is_deleted"]
    list_filter = ["document_type", "is_deleted", "content_type"]
    search_fields = ["title", "owner__contact", "owner__name", "sha256"]
    list_select_related = ["owner"]
    exclude = ["file"]
    readonly_fields = [
        "owner",
        "uploaded_by",
        "uploaded_by_role",
        "clinic",
        "original_filename",
        "content_type",
        "size",
        "sha256",
        "uploaded_at",
        "appointment",
        "is_deleted",
        "deleted_at",
    ]
    actions = ["delete_softly"]

    def has_add_permission(self, request):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        document = self.get_object(request, object_id)
        if document is not None and request.method == "GET":
            services.document_viewed_in_admin(document=document, operator=request.user, ip=client_ip(request))
        return super().change_view(request, object_id, form_url, extra_context)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Delete selected documents (soft; their consents end)")
    def delete_softly(self, request, queryset):
        run_service_action(
            self,
            request,
            queryset.filter(is_deleted=False),
            lambda d, operator: services.document_delete(document=d, by=operator),
            "deleted",
        )


class ConsentEventInline(ReadOnlyInline):
    model = ConsentEvent
    fields = ["at", "kind", "status", "actor", "actor_role", "expires_at", "note"]
    readonly_fields = fields


@admin.register(DocumentConsent)
class DocumentConsentAdmin(ReadOnlyAdmin):
    """Only the patient grants, rejects or revokes (documents.services.consent_act): operators read, never set."""

    inlines = [ConsentEventInline]
    list_display = ["document", "doctor", "status", "expires_at", "requested_at", "actioned_at"]
    list_filter = ["status"]
    search_fields = ["document__title", "doctor__user__name", "document__owner__contact"]
    list_select_related = ["document", "doctor__user"]


@admin.register(DocumentAccessLog)
class DocumentAccessLogAdmin(ReadOnlyAdmin):
    """Append-only: operators can read the log but never add, change or delete an entry."""

    list_display = [
        "accessed_at",
        "document",
        "accessed_by",
        "action",
        "consent",
        "admission_submission",
        "emergency_access",
        "via_admin",
        "ip_address",
    ]
    list_filter = ["action"]
    search_fields = ["document__title", "accessed_by__contact", "ip_address"]
    list_select_related = ["document", "accessed_by"]


@admin.register(AdmissionSubmission)
class AdmissionSubmissionAdmin(ReadOnlyAdmin):
    """Only the patient submits and withdraws (documents.services.admission_submit / admission_withdraw)."""

    list_display = ["submitted_at", "clinic", "document_type", "document", "patient", "withdrawn_at"]
    search_fields = ["clinic__name", "document__title", "patient__contact"]
    list_select_related = ["clinic", "document_type", "document", "patient"]


@admin.register(EmergencyAccess)
class EmergencyAccessAdmin(ReadOnlyAdmin):
    """Only a doctor opens one (documents.services.emergency_access_open); operators read."""

    list_display = ["granted_at", "doctor", "document", "expires_at", "reason"]
    search_fields = ["doctor__contact", "document__title", "document__owner__contact"]
    list_select_related = ["doctor", "document"]
