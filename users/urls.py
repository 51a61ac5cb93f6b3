from django.urls import path

from . import views

app_name = "users"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("token/refresh/", views.TokenRefreshAPIView.as_view(), name="token-refresh"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("onboarding/patient/step1/", views.PatientStep1View.as_view(), name="patient-step1"),
    path("onboarding/patient/step2/", views.PatientStep2View.as_view(), name="patient-step2"),
    path("onboarding/patient/step3/", views.PatientStep3View.as_view(), name="patient-step3"),
    path("onboarding/clinic/step1/", views.ClinicOwnerStep1View.as_view(), name="clinic-step1"),
    path("onboarding/clinic/step2/", views.ClinicOwnerStep2View.as_view(), name="clinic-step2"),
    path("me/", views.MeView.as_view(), name="me"),
    path("me/medical-profile/", views.MedicalProfileView.as_view(), name="medical-profile"),
    path("check/", views.ContactCheckView.as_view(), name="check"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password-change"),
    path("password/reset/step1/", views.PasswordResetStartView.as_view(), name="password-reset-step1"),
    path("password/reset/step2/", views.PasswordResetFinishView.as_view(), name="password-reset-step2"),
    path("address/", views.AddressListCreateView.as_view(), name="address-list"),
    path("address/<uuid:pk>/", views.AddressDetailView.as_view(), name="address-detail"),
]
