from django.urls import path

from . import views

app_name = "appointments"

urlpatterns = [
    path("my/", views.MyAppointmentListCreateView.as_view(), name="my-list"),
    path("waitlist/", views.WaitlistListCreateView.as_view(), name="waitlist"),
    path("waitlist/<uuid:pk>/", views.WaitlistDetailView.as_view(), name="waitlist-detail"),
    path("my/<id:pk>/", views.MyAppointmentDetailView.as_view(), name="my-detail"),
    path("my/<id:pk>/queue/", views.MyQueuePositionView.as_view(), name="my-queue"),
    path("my/<id:pk>/reschedule/", views.MyRescheduleView.as_view(), name="my-reschedule"),
    path("my/<id:pk>/history/", views.MyHistoryView.as_view(), name="my-history"),
    path("doctor/", views.DoctorAppointmentListView.as_view(), name="doctor-list"),
    path("doctor/queue/", views.QueueView.as_view(), name="doctor-queue"),
    path("doctor/queue/next/", views.QueueNextView.as_view(), name="doctor-queue-next"),
    path("doctor/<id:pk>/", views.DoctorAppointmentDetailView.as_view(), name="doctor-detail"),
    path("doctor/<id:pk>/check-in/", views.DoctorCheckInView.as_view(), name="doctor-check-in"),
    path("doctor/<id:pk>/reschedule/", views.DoctorRescheduleView.as_view(), name="doctor-reschedule"),
    path("doctor/<id:pk>/history/", views.DoctorHistoryView.as_view(), name="doctor-history"),
    path("clinic/<uuid:clinic_id>/", views.ClinicAppointmentListCreateView.as_view(), name="clinic-list"),
    path("clinic/<uuid:clinic_id>/dashboard/", views.ClinicDashboardView.as_view(), name="clinic-dashboard"),
    path("clinic/<uuid:clinic_id>/<id:pk>/", views.ClinicAppointmentDetailView.as_view(), name="clinic-detail"),
    path("clinic/<uuid:clinic_id>/<id:pk>/check-in/", views.ClinicCheckInView.as_view(), name="clinic-check-in"),
    path("clinic/<uuid:clinic_id>/<id:pk>/reschedule/", views.ClinicRescheduleView.as_view(), name="clinic-reschedule"),
    path("clinic/<uuid:clinic_id>/<id:pk>/history/", views.ClinicHistoryView.as_view(), name="clinic-history"),
]
