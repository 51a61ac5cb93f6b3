from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from rest_framework.exceptions import AuthenticationFailed, Throttled

from QuickCare.admin import ReadOnlyAdmin

from . import services
from .models import PatientMedicalProfile, PendingRegistration, Role, User, UserAddress
from .validators import normalize_contact


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login goes through the API's password check, with the same per-IP and per-number limits."""

    def clean(self):
        contact, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if contact is None or password is None:
            return self.cleaned_data
        try:
            contact = normalize_contact(contact)
            self.user_cache = services.login_authenticate(request=self.request, contact=contact, password=password)
        except Throttled as exc:
            raise ValidationError(str(exc.detail), code="throttled") from None
        except (ValidationError, AuthenticationFailed):
            raise self.get_invalid_login_error() from None
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


admin.site.login_form = AdminLoginForm


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["id", "name"]


class MedicalProfileInline(admin.StackedInline):
    model = PatientMedicalProfile
    can_delete = False


class AddressInline(admin.TabularInline):
    model = UserAddress
    extra = 0


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["-created_at"]
    list_display = ["contact", "name", "roles", "is_complete_onboarding", "is_active", "created_at"]
    list_filter = ["roles", "is_active", "is_complete_onboarding", "is_staff"]
    search_fields = ["contact", "name", "email"]
    list_select_related = ["roles"]
    readonly_fields = ["created_at", "updated_at", "last_login"]
    inlines = [MedicalProfileInline, AddressInline]
    fieldsets = [
        (None, {"fields": ["contact", "password"]}),
        ("Profile", {"fields": ["name", "email", "age", "gender", "blood_group", "roles"]}),
        ("Onboarding", {"fields": ["is_partial_onboarding", "is_complete_onboarding"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "created_at", "updated_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["contact", "name", "roles", "password1", "password2"]})]


@admin.register(UserAddress)
class UserAddressAdmin(admin.ModelAdmin):
    list_display = ["user", "area", "town", "pincode", "address_type", "is_current"]
    list_filter = ["address_type", "is_current"]
    search_fields = ["user__contact", "user__name", "town", "pincode"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(PendingRegistration)
class PendingRegistrationAdmin(ReadOnlyAdmin):
    """Operators may see that a number is mid-registration; never the password hash or the OTP secret."""

    list_display = ["contact", "name", "role", "attempts", "sent_at", "expires_at"]
    search_fields = ["contact"]
    fields = ["contact", "name", "role", "attempts", "sent_at", "expires_at"]

    def has_delete_permission(self, request, obj=None):
        return True  # voiding a stuck registration is safe: the person starts again at step 1
