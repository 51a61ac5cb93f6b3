from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenRefreshView

from QuickCare.mixins import PartialPutMixin

from . import services
from .models import PatientMedicalProfile, RoleId, User
from .permissions import IsPatient
from .serializers import (
    AddressSerializer,
    ContactCheckSerializer,
    ExistsSerializer,
    LoginResponseSerializer,
    LoginSerializer,
    LogoutSerializer,
    MedicalProfileSerializer,
    MeSerializer,
    MessageSerializer,
    PasswordChangeResponseSerializer,
    PasswordChangeSerializer,
    PasswordResetFinishSerializer,
    PasswordResetStartSerializer,
    PatientOnboardingResponseSerializer,
    PatientOnboardingSerializer,
    RegistrationStartResponseSerializer,
    RegistrationStartSerializer,
    RegistrationVerifyResponseSerializer,
    RegistrationVerifySerializer,
    SignedInSerializer,
    TokenRefreshResponseSerializer,
    TokenRefreshSerializer,
    UserSummarySerializer,
)
from .throttles import CheckIPThrottle, OTPSendIPThrottle, OTPVerifyIPThrottle
from .validators import CONTACT_PATTERN, contact_as_int

MEMBER_ONBOARDING_URL = "/api/users/onboarding/member/complete/"


@extend_schema(request=LoginSerializer, responses={200: LoginResponseSerializer, 401: MessageSerializer})
class LoginView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.login_authenticate(request=request, **serializer.validated_data)
        onboarding = getattr(user, "onboarding_login", False)  # a temporary password (contract 2.1)
        body = {**services.tokens_for(user, onboarding=onboarding), "user": UserSummarySerializer(user).data}
        if onboarding:
            body.update(onboarding_required=True, onboarding_url=MEMBER_ONBOARDING_URL)
        return Response(body)

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'  # keeps a failed login a 401 (DRF turns it into 403 without a challenge)


@extend_schema(responses={200: TokenRefreshResponseSerializer, 401: MessageSerializer})
class TokenRefreshAPIView(TokenRefreshView):
    """A new access token. The refresh token stays valid until it expires, the password changes, the account is
    deactivated or it is logged out; with JWT_ROTATE_REFRESH_TOKENS the answer carries a new `refresh` too."""

    permission_classes = [AllowAny]
    authentication_classes = []
    serializer_class = TokenRefreshSerializer


@extend_schema(request=LogoutSerializer, responses={204: None, 401: MessageSerializer})
class LogoutView(APIView):
    """Ends the refresh token sent (contract row 1.1). The token itself is the proof: no access token needed."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.logout(refresh=serializer.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'


class _RegistrationStartView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [OTPSendIPThrottle]
    role: int
    next_step: str

    @extend_schema(request=RegistrationStartSerializer, responses={200: RegistrationStartResponseSerializer})
    def post(self, request):
        serializer = RegistrationStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.registration_start(
            contact=data["contact"], name=data["name"], password=data["password"], role=self.role
        )
        return Response(
            {
                "message": "OTP sent to your contact number. Please verify to complete registration.",
                "contact": contact_as_int(data["contact"]),
                "next_step": self.next_step,
            }
        )


class PatientStep1View(_RegistrationStartView):
    role = RoleId.PATIENT
    next_step = "/api/users/onboarding/patient/step2/"


class ClinicOwnerStep1View(_RegistrationStartView):
    role = RoleId.CLINIC_OWNER
    next_step = "/api/users/onboarding/clinic/step2/"


class _RegistrationVerifyView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [OTPVerifyIPThrottle]
    role: int
    message: str
    next_step: str

    @extend_schema(request=RegistrationVerifySerializer, responses={201: RegistrationVerifyResponseSerializer})
    def post(self, request):
        serializer = RegistrationVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.registration_verify(**serializer.validated_data, role=self.role)
        body = {
            "message": self.message,
            **services.tokens_for(user),
            "user": UserSummarySerializer(user).data,
            "next_step": self.next_step,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class PatientStep2View(_RegistrationVerifyView):
    role = RoleId.PATIENT
    message = "OTP verified. Account created! Please complete your profile."
    next_step = "/api/users/onboarding/patient/step3/"


class ClinicOwnerStep2View(_RegistrationVerifyView):
    role = RoleId.CLINIC_OWNER
    message = "OTP verified. Account created! Please complete clinic registration."
    next_step = "/api/clinics/onboarding/step3/"


class PatientStep3View(APIView):
    """PUT as the spec says; PATCH too (existing clients send it). Gender and age are required on both."""

    permission_classes = [IsPatient]

    @extend_schema(request=PatientOnboardingSerializer, responses={200: PatientOnboardingResponseSerializer})
    def put(self, request):
        serializer = PatientOnboardingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, profile = services.patient_onboarding_complete(user=request.user, data=serializer.validated_data)
        return Response(
            PatientOnboardingResponseSerializer(
                {
                    "message": "Registration complete! Welcome to QuickCare.",
                    "user": user,
                    "medical_profile": profile,
                }
            ).data
        )

    @extend_schema(request=PatientOnboardingSerializer, responses={200: PatientOnboardingResponseSerializer})
    def patch(self, request):
        return self.put(request)


class MeView(PartialPutMixin, generics.RetrieveUpdateAPIView):
    serializer_class = MeSerializer
    onboarding_methods = ("GET",)  # open to an onboarding login (users.authentication)

    def get_object(self):
        return User.objects.select_related("roles").get(pk=self.request.user.pk)


class MedicalProfileView(PartialPutMixin, generics.RetrieveUpdateAPIView):
    serializer_class = MedicalProfileSerializer

    def get_object(self):
        """No write on GET: an account without a profile yet reads an empty one; the first update creates it."""
        if self.request.method == "GET":
            return PatientMedicalProfile.objects.filter(user=self.request.user).first() or PatientMedicalProfile(
                user=self.request.user
            )
        profile, _ = PatientMedicalProfile.objects.get_or_create(user=self.request.user)
        return profile


@extend_schema(
    parameters=[OpenApiParameter("contact", {"type": "string", "pattern": CONTACT_PATTERN}, required=True)],
    responses={200: ExistsSerializer},
)
class ContactCheckView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [CheckIPThrottle]

    def get(self, request):
        serializer = ContactCheckSerializer(data=request.query_params)
        serializer.is_valid(raise_exception=True)
        return Response({"exists": User.objects.filter(contact=serializer.validated_data["contact"]).exists()})


@extend_schema(request=PasswordChangeSerializer, responses={200: PasswordChangeResponseSerializer})
class PasswordChangeView(APIView):
    def put(self, request):
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        services.password_change_allowed(
            user=request.user, auth_claims=request.auth, old_password=data.get("old_password")
        )
        services.password_validate(password=data["password"], user=request.user, field="password")
        services.password_change(user=request.user, password=data["password"])
        return Response({"message": "Password changed successfully.", **services.tokens_for(request.user)})


@extend_schema(request=PasswordResetStartSerializer, responses={200: MessageSerializer})
class PasswordResetStartView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [OTPSendIPThrottle]

    def post(self, request):
        serializer = PasswordResetStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_start(contact=serializer.validated_data["contact"])
        return Response(
            {"message": "If an account uses this number, an OTP is on its way. Enter it with your new password."}
        )


@extend_schema(request=PasswordResetFinishSerializer, responses={200: SignedInSerializer})
class PasswordResetFinishView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [OTPVerifyIPThrottle]

    def post(self, request):
        serializer = PasswordResetFinishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.password_reset_finish(**serializer.validated_data)
        body = {
            "message": "Your password has been changed. You are logged in.",
            **services.tokens_for(user),
            "user": UserSummarySerializer(user).data,
        }
        return Response(body)


class _MyAddresses:
    serializer_class = AddressSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return self.request.user.addresses.all()

    def perform_create(self, serializer):
        serializer.instance = services.address_save(
            address=serializer.Meta.model(user=self.request.user, **serializer.validated_data)
        )

    def perform_update(self, serializer):
        for field, value in serializer.validated_data.items():
            setattr(serializer.instance, field, value)
        services.address_save(address=serializer.instance)


class AddressListCreateView(_MyAddresses, generics.ListCreateAPIView):
    pass


class AddressDetailView(_MyAddresses, PartialPutMixin, generics.RetrieveUpdateDestroyAPIView):
    pass
