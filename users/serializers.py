from decimal import Decimal

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import serializers as jwt_serializers
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from QuickCare.serializers import BlankMeansNoValue, DecimalField

from . import services
from .fields import ContactField, GenderField, OTPField, PincodeField
from .models import MEDICAL_FIELDS, BloodGroup, PatientMedicalProfile, User, UserAddress

TEXT_MAX = 2000  # free-text medical fields


class RoleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="api_name")


class UserSummarySerializer(serializers.ModelSerializer):
    """The `user` object of login and onboarding responses."""

    contact = ContactField()
    roles = RoleSerializer()

    class Meta:
        model = User
        fields = ["id", "name", "contact", "roles", "is_partial_onboarding", "is_complete_onboarding"]
        read_only_fields = fields


class UserBriefSerializer(serializers.ModelSerializer):
    """A user as other people see them (clinic members, doctors): no medical or onboarding details."""

    contact = ContactField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "name", "contact"]
        read_only_fields = fields


class MeSerializer(BlankMeansNoValue, serializers.ModelSerializer):
    contact = ContactField(read_only=True)
    gender = GenderField(required=False, allow_blank=True)
    roles = RoleSerializer(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "name",
            "contact",
            "email",
            "age",
            "gender",
            "blood_group",
            "preferred_language",
            "preferred_channel",
            "roles",
            "is_partial_onboarding",
            "is_complete_onboarding",
        ]
        read_only_fields = ["id", "contact", "roles", "is_partial_onboarding", "is_complete_onboarding"]
        extra_kwargs = {"name": {"allow_blank": False}}


class _Password(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(write_only=True, max_length=128, trim_whitespace=False, **kwargs)


class LoginSerializer(serializers.Serializer):
    contact = ContactField()
    password = _Password()


class LoginResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserSummarySerializer()
    onboarding_required = serializers.BooleanField(
        required=False, help_text="Only after a temporary password: these tokens open only the onboarding step."
    )
    onboarding_url = serializers.CharField(required=False)


class RegistrationStartSerializer(serializers.Serializer):
    contact = ContactField()
    name = serializers.CharField(max_length=100)
    password = _Password()

    def validate(self, attrs):
        # The one password rule, judged against the would-be user (no similarity to name or number).
        candidate = User(contact=attrs["contact"], name=attrs["name"])
        services.password_validate(password=attrs["password"], user=candidate, field="password")
        return attrs


class RegistrationStartResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    contact = ContactField()
    next_step = serializers.CharField()


class RegistrationVerifySerializer(serializers.Serializer):
    contact = ContactField()
    otp = OTPField()


class SignedInSerializer(serializers.Serializer):
    """An answer that signs the person in: a message, fresh tokens and who they are."""

    message = serializers.CharField()
    access = serializers.CharField()
    refresh = serializers.CharField()
    user = UserSummarySerializer()


class RegistrationVerifyResponseSerializer(SignedInSerializer):
    next_step = serializers.CharField()


class MedicalProfileSerializer(BlankMeansNoValue, serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DecimalField: DecimalField,
    }
    emergency_contact_number = ContactField(required=False, allow_null=True)

    class Meta:
        model = PatientMedicalProfile
        fields = [*MEDICAL_FIELDS, "updated_at"]
        read_only_fields = ["updated_at"]
        extra_kwargs = {f: {"max_length": TEXT_MAX} for f in fields[:5]}

    def validate_emergency_contact_number(self, value):
        return value or ""


class HomeAddressSerializer(serializers.Serializer):
    """The home address of an onboarding step (patient step 3, member onboarding): all optional, but an address has
    at least its area and town."""

    address_area = serializers.CharField(max_length=200, required=False, allow_blank=True)
    house_no = serializers.CharField(max_length=50, required=False, allow_blank=True)
    town = serializers.CharField(max_length=100, required=False, allow_blank=True)
    state = serializers.CharField(max_length=100, required=False, allow_blank=True)
    pincode = PincodeField()
    landmark = serializers.CharField(max_length=200, required=False, allow_blank=True)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        given = [f for f in ("address_area", "house_no", "town", "state", "pincode", "landmark") if attrs.get(f)]
        if given:
            missing = {f: ["Required when an address is given."] for f in ("address_area", "town") if not attrs.get(f)}
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


class PatientOnboardingSerializer(BlankMeansNoValue, HomeAddressSerializer):
    gender = GenderField()
    age = serializers.IntegerField(min_value=0, max_value=130)
    email = serializers.EmailField(required=False, allow_blank=True)
    blood_group = serializers.ChoiceField(choices=BloodGroup.choices, required=False, allow_blank=True)
    allergies = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    chronic_conditions = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    current_medications = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    past_surgeries = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    family_history = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    height_cm = serializers.IntegerField(min_value=1, max_value=300, required=False, allow_null=True)
    weight_kg = DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0.1"), max_value=500, required=False, allow_null=True
    )
    emergency_contact_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    emergency_contact_number = ContactField(required=False, allow_null=True)

    def validate_emergency_contact_number(self, value):
        return value or ""


class MemberOnboardingSerializer(BlankMeansNoValue, HomeAddressSerializer):
    """`PATCH /api/users/onboarding/member/complete/` (contract 2.1): the person's own password and profile."""

    password = serializers.CharField(write_only=True, max_length=128, help_text="Required: your own password.")
    name = serializers.CharField(max_length=100, required=False)
    gender = GenderField(required=False)
    age = serializers.IntegerField(min_value=0, max_value=130, required=False, allow_null=True)
    email = serializers.EmailField(required=False, allow_blank=True)


class OnboardingUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "name", "gender", "age", "blood_group", "is_complete_onboarding"]


class OnboardingMedicalSerializer(serializers.ModelSerializer):
    emergency_contact_number = ContactField()

    class Meta:
        model = PatientMedicalProfile
        fields = [
            "allergies",
            "chronic_conditions",
            "height_cm",
            "weight_kg",
            "emergency_contact_name",
            "emergency_contact_number",
        ]


class PatientOnboardingResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    user = OnboardingUserSerializer()
    medical_profile = OnboardingMedicalSerializer()


class ContactCheckSerializer(serializers.Serializer):
    contact = ContactField()


class ExistsSerializer(serializers.Serializer):
    exists = serializers.BooleanField()


class PasswordChangeSerializer(serializers.Serializer):
    password = _Password()
    old_password = _Password(
        required=False, help_text="Needed unless you logged in within the last PASSWORD_CHANGE_FRESH_MINUTES."
    )


class PasswordChangeResponseSerializer(serializers.Serializer):
    message = serializers.CharField()
    access = serializers.CharField()
    refresh = serializers.CharField()


class PasswordResetStartSerializer(serializers.Serializer):
    contact = ContactField()


class PasswordResetFinishSerializer(RegistrationVerifySerializer):
    password = _Password()


class TokenRefreshSerializer(jwt_serializers.TokenRefreshSerializer):
    """SimpleJWT's, with a token of an account that no longer exists answered 401 like any other bad token, and, with
    rotation on, a rotated token presented again ending every token of its login (reuse detection)."""

    def validate(self, attrs):
        try:
            return super().validate(attrs)
        except ObjectDoesNotExist:
            raise AuthenticationFailed("No active account found for the given token.", "no_active_account") from None
        except TokenError:
            if jwt_settings.ROTATE_REFRESH_TOKENS:
                services.refresh_reuse_end(refresh=attrs["refresh"])
            raise


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenRefreshResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField(required=False)


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class AddressSerializer(serializers.ModelSerializer):
    pincode = PincodeField()

    class Meta:
        model = UserAddress
        fields = [
            "id",
            "area",
            "house_no",
            "town",
            "state",
            "pincode",
            "landmark",
            "address_type",
            "is_current",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
