from django.urls import path

from . import views

app_name = "appointments"

urlpatterns = [
    path("my/", views.MyAppointmentListCreateView.as_view(), name="my-list"),
    path("my/<id:pk>/", views.MyAppointmentDetailView.as_view(), name="my-detail"),
    path("doctor/", views.DoctorAppointmentListView.as_view(), name="doctor-list"),
    path("doctor/<id:pk>/", views.DoctorAppointmentDetailView.as_view(), name="doctor-detail"),
    path("clinic/<uuid:clinic_id>/", views.ClinicAppointmentListCreateView.as_view(), name="clinic-list"),
    path("clinic/<uuid:clinic_id>/dashboard/", views.ClinicDashboardView.as_view(), name="clinic-dashboard"),
    path("clinic/<uuid:clinic_id>/<id:pk>/", views.ClinicAppointmentDetailView.as_view(), name="clinic-detail"),
]
