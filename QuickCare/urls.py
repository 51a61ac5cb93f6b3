from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from appointments.views import FreeSlotsView
from QuickCare.views import HealthView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/health/", HealthView.as_view(), name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/users/", include("users.urls")),
    path("api/clinics/", include("clinic.urls")),
    # Free slots read appointments, so the appointments app serves them under the doctors' path.
    path("api/doctors/<int:doctor_id>/availability/slots/", FreeSlotsView.as_view(), name="free-slots"),
    path("api/doctors/", include("doctors.urls")),
    path("api/appointments/", include("appointments.urls")),
    path("api/documents/", include("documents.urls")),
]

handler400 = "QuickCare.exceptions.bad_request"
handler403 = "QuickCare.exceptions.permission_denied"
handler404 = "QuickCare.exceptions.not_found"
handler500 = "QuickCare.exceptions.server_error"
