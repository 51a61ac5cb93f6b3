from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.DocumentListCreateView.as_view(), name="list"),
    path("consent/request/", views.ConsentRequestView.as_view(), name="consent-request"),
    path("consent/mine/", views.MyConsentListView.as_view(), name="consent-mine"),
    path("consent/doctor/", views.DoctorConsentListView.as_view(), name="consent-doctor"),
    path("consent/<uuid:pk>/action/", views.ConsentActionView.as_view(), name="consent-action"),
    path("consent/<uuid:pk>/history/", views.ConsentHistoryView.as_view(), name="consent-history"),
    path("access-log/", views.AccessLogListView.as_view(), name="access-log"),
    path("patient-docs/", views.PatientDocumentsView.as_view(), name="patient-docs"),
    path("<uuid:pk>/", views.DocumentDetailView.as_view(), name="detail"),
    path("<uuid:pk>/download/", views.DocumentDownloadView.as_view(), name="download"),
    path("<uuid:pk>/emergency-access/", views.EmergencyAccessView.as_view(), name="emergency-access"),
    path("<uuid:pk>/access-log/", views.DocumentAccessLogListView.as_view(), name="document-access-log"),
]
