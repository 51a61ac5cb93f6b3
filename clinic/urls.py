from django.urls import path

from . import views

app_name = "clinic"

urlpatterns = [
    path("onboarding/step3/", views.ClinicOnboardingView.as_view(), name="onboarding"),
    path("onboarding/step2/", views.ClinicOnboardingView.as_view(), name="onboarding-alias"),
    path("public/", views.PublicClinicListView.as_view(), name="public-list"),
    path("my/memberships/", views.MyMembershipsView.as_view(), name="my-memberships"),
    path("my/memberships/<uuid:member_id>/leave/", views.MyMembershipLeaveView.as_view(), name="my-membership-leave"),
    path("", views.MyClinicListCreateView.as_view(), name="list"),
    path("<uuid:pk>/", views.ClinicDetailView.as_view(), name="detail"),
    path("<uuid:clinic_id>/members/", views.MemberListCreateView.as_view(), name="member-list"),
    path("<uuid:clinic_id>/members/<uuid:member_id>/", views.MemberDetailView.as_view(), name="member-detail"),
    path("<uuid:clinic_id>/admission-docs/", views.AdmissionDocumentListCreateView.as_view(), name="admission-docs"),
    path(
        "<uuid:clinic_id>/admission-docs/<uuid:doc_id>/",
        views.AdmissionDocumentDetailView.as_view(),
        name="admission-doc-detail",
    ),
    path(
        "<uuid:clinic_id>/members/<uuid:member_id>/resend-invite/",
        views.MemberInviteResendView.as_view(),
        name="member-resend-invite",
    ),
    path("<uuid:clinic_id>/slots/", views.TimeSlotListCreateView.as_view(), name="slot-list"),
    path("<uuid:clinic_id>/slots/<uuid:slot_id>/", views.TimeSlotDetailView.as_view(), name="slot-detail"),
]
