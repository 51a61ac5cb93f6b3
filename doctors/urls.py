from django.urls import path

from . import views

app_name = "doctors"

urlpatterns = [
    path("", views.DoctorListView.as_view(), name="list"),
    path("me/", views.DoctorMeView.as_view(), name="me"),
    path("me/leaves/", views.MyLeaveListCreateView.as_view(), name="leave-list"),
    path("me/leaves/<uuid:leave_id>/", views.MyLeaveDetailView.as_view(), name="leave-detail"),
    path("<id:pk>/", views.DoctorDetailView.as_view(), name="detail"),
    path("<id:doctor_id>/availability/", views.AvailabilityListCreateView.as_view(), name="availability-list"),
    path(
        "<id:doctor_id>/availability/<uuid:window_id>/",
        views.AvailabilityDetailView.as_view(),
        name="availability-detail",
    ),
]
