from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authentication import SessionAuthentication

from appointments.views import FreeSlotsView
from clinic.views import PatientLookupView
from doctors.views import MemberOnboardingCompleteView
from documents.views import (
    AdmissionChecklistView,
    AdmissionSubmissionListCreateView,
    AdmissionSubmissionWithdrawView,
    MyAccessLogView,
    MyCareClinicListView,
    MyClinicAdmissionChecklistView,
    MyEraseView,
    MyExportView,
    PrescriptionListCreateView,
)
from notifications.views import MyNotificationListView, MyNotificationReadView
from QuickCare import converters  # noqa: F401 - registers <id:...> before the apps' urls load
from QuickCare.exceptions import not_found
from QuickCare.views import DocsAccess, HealthView

# The schema and Swagger UI: anyone when API_DOCS_PUBLIC, else staff signed in to the admin (session). A stale
# bearer token never makes them a 401.
DOCS_ACCESS = {"authentication_classes": [SessionAuthentication], "permission_classes": [DocsAccess]}

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/health/", HealthView.as_view(), name="health"),
    path("api/schema/", SpectacularAPIView.as_view(**DOCS_ACCESS), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema", **DOCS_ACCESS), name="docs"),
    # Finding a patient is a clinic's staff's read (clinic.services.patient_lookup), under the users' path.
    path("api/users/patient/lookup/", PatientLookupView.as_view(), name="patient-lookup"),
    # Member onboarding fills a doctor's profile too, so the doctors app serves it (doctors.services).
    path(
        "api/users/onboarding/member/complete/",
        MemberOnboardingCompleteView.as_view(),
        name="member-onboarding-complete",
    ),
    path("api/users/me/notifications/", MyNotificationListView.as_view(), name="my-notifications"),
    # Everything that touched the patient (contract 5.2): the documents app reads every log, so it serves it.
    path("api/users/me/access-log/", MyAccessLogView.as_view(), name="my-access-log"),
    path("api/users/me/export/", MyExportView.as_view(), name="my-export"),
    path("api/users/me/erase/", MyEraseView.as_view(), name="my-erase"),
    path("api/users/me/notifications/<uuid:pk>/read/", MyNotificationReadView.as_view(), name="my-notification-read"),
    path("api/users/", include("users.urls")),
    # Admission documents are documents handed to a clinic (documents.services.admission_submit), so the documents
    # app serves them under the clinics' and the patient's appointments' paths (contract 2.6).
    path(
        "api/clinics/<uuid:clinic_id>/admission-docs/patient/",
        AdmissionChecklistView.as_view(),
        name="admission-checklist",
    ),
    path(
        "api/clinics/<uuid:clinic_id>/admission-documents/",
        AdmissionSubmissionListCreateView.as_view(),
        name="admission-submissions",
    ),
    path(
        "api/clinics/<uuid:clinic_id>/admission-documents/<uuid:submission_id>/",
        AdmissionSubmissionWithdrawView.as_view(),
        name="admission-submission-detail",
    ),
    path("api/appointments/my/clinics/", MyCareClinicListView.as_view(), name="my-care-clinics"),
    path(
        "api/appointments/my/clinics/<uuid:clinic_id>/admission-docs/",
        MyClinicAdmissionChecklistView.as_view(),
        name="my-clinic-admission-docs",
    ),
    path("api/clinics/", include("clinic.urls")),
    # Free slots read appointments, so the appointments app serves them under the doctors' path.
    path("api/doctors/<id:doctor_id>/availability/slots/", FreeSlotsView.as_view(), name="free-slots"),
    path("api/doctors/", include("doctors.urls")),
    path("api/appointments/", include("appointments.urls")),
    path("api/documents/", include("documents.urls")),
    path("api/prescriptions/", PrescriptionListCreateView.as_view(), name="prescriptions"),
    # Last: every other path under /api/ is a JSON 404, in debug mode too (Django's debug 404 page is HTML). Only
    # paths with the trailing slash, so that APPEND_SLASH still redirects /api/users/login to /api/users/login/.
    # Exempt from CSRF: a DELETE to an unknown path must be this 404, not Django's HTML CSRF page.
    re_path(r"^api/.*/$", csrf_exempt(not_found)),
]

handler400 = "QuickCare.exceptions.bad_request"
handler403 = "QuickCare.exceptions.permission_denied"
handler404 = "QuickCare.exceptions.not_found"
handler500 = "QuickCare.exceptions.server_error"
