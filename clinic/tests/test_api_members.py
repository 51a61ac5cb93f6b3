from datetime import time

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.models import ClinicMember, ClinicTimeSlot, MemberStatus
from clinic.tests.factories import make_clinic, make_member, make_slot
from doctors.models import DoctorProfile
from tests.refusals import assert_refused
from users.models import RoleId
from users.tests.factories import make_user

pytestmark = pytest.mark.django_db


def add(client, clinic, contact, **extra):
    body = {"contact": contact, "member_role": "doctor", "department": "Cardiology", **extra}
    return client.post(reverse("clinic:member-list", args=[clinic.id]), body, format="json")


def test_add_doctor_by_contact(auth_client, owner, clinic):
    user = make_user(role=RoleId.PATIENT, name="Dr. Suresh")
    response = add(auth_client(owner), clinic, user.contact, joined_at="2026-02-24")

    assert response.status_code == 201
    member = ClinicMember.objects.get()
    assert response.json() == {
        "id": str(member.id),
        "user": {"id": str(user.id), "name": "Dr. Suresh", "contact": int(user.contact)},
        "member_role": "doctor",
        "status": "active",
        "department": "Cardiology",
        "joined_at": "2026-02-24",
        "left_at": None,
        "notes": "",
        "account_created": False,  # contract 2.1: true only when the number had no account
        "_info": "Dr. Suresh will get an SMS naming this clinic and their role.",
    }
    user.refresh_from_db()
    assert user.roles_id == RoleId.DOCTOR  # a patient added as doctor becomes a doctor
    assert DoctorProfile.objects.filter(user=user).exists()
    assert member.added_by == owner


@pytest.mark.parametrize(
    ("member_role", "role"), [("lab_member", RoleId.LAB_MEMBER), ("receptionist", RoleId.RECEPTIONIST)]
)
def test_add_other_staff_gives_their_role_and_no_doctor_profile(auth_client, owner, clinic, member_role, role):
    user = make_user(role=RoleId.PATIENT)
    response = add(auth_client(owner), clinic, user.contact, member_role=member_role)
    assert response.status_code == 201
    user.refresh_from_db()
    assert user.roles_id == role and not DoctorProfile.objects.filter(user=user).exists()


def test_joined_at_defaults_to_today(auth_client, owner, clinic):
    response = add(auth_client(owner), clinic, make_user().contact)
    assert response.json()["joined_at"] == timezone.localdate().isoformat()


def test_add_existing_active_member_is_409(auth_client, owner, clinic):
    user = make_user()
    add(auth_client(owner), clinic, user.contact)
    response = add(auth_client(owner), clinic, user.contact)
    assert_refused(response, 409, {"message": "This person is already an active member of this clinic."})
    assert ClinicMember.objects.count() == 1


def test_owner_cannot_add_themself(auth_client, owner, clinic):
    response = add(auth_client(owner), clinic, owner.contact)
    assert response.status_code == 400
    assert response.json() == {"message": "You own this clinic; you cannot add yourself as a member."}


def test_another_clinic_owner_cannot_be_added(auth_client, owner, other_owner, clinic):
    assert_refused(
        add(auth_client(owner), clinic, other_owner.contact),
        400,
        {"message": "This account belongs to a clinic owner or an administrator and cannot be a member."},
    )
    other_owner.refresh_from_db()
    assert other_owner.roles_id == RoleId.CLINIC_OWNER


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"member_role": "janitor"}, "member_role"),
        ({"contact": "12"}, "contact"),
        ({"joined_at": "yesterday"}, "joined_at"),
    ],
)
def test_add_member_validates(auth_client, owner, clinic, body, field):
    response = add(auth_client(owner), clinic, **{"contact": make_user().contact, **body})
    assert response.status_code == 400 and field in response.json()


def test_remove_is_soft_and_readding_reactivates(auth_client, owner, clinic):
    user = make_user()
    client = auth_client(owner)
    member_id = add(client, clinic, user.contact).json()["id"]
    url = reverse("clinic:member-detail", args=[clinic.id, member_id])
    assert client.delete(url).status_code == 204
    member = ClinicMember.objects.get(pk=member_id)
    assert member.status == MemberStatus.INACTIVE and member.left_at == timezone.localdate()
    user.refresh_from_db()
    assert user.is_active  # the account is untouched
    again = add(client, clinic, user.contact, member_role="receptionist", department="Front desk")
    assert again.status_code == 201
    assert again.json()["id"] == member_id and again.json()["status"] == "active" and again.json()["left_at"] is None
    assert ClinicMember.objects.count() == 1


@pytest.mark.parametrize("method", ["put", "patch"])
def test_update_member(auth_client, owner, clinic, method):
    member = make_member(clinic=clinic, department="Cardiology")
    url = reverse("clinic:member-detail", args=[clinic.id, member.id])
    response = getattr(auth_client(owner), method)(
        url, {"department": "Neurology", "notes": "Visiting doctor, available Tues/Thurs"}
    )
    assert response.status_code == 200
    assert response.json()["department"] == "Neurology"
    assert response.json()["notes"] == "Visiting doctor, available Tues/Thurs"
    assert response.json()["member_role"] == "doctor"


def test_changing_member_role_to_doctor_creates_profile(auth_client, owner, clinic):
    member = make_member(clinic=clinic, member_role="receptionist")
    url = reverse("clinic:member-detail", args=[clinic.id, member.id])
    assert auth_client(owner).patch(url, {"member_role": "doctor"}).status_code == 200
    member.user.refresh_from_db()
    assert member.user.roles_id == RoleId.DOCTOR and DoctorProfile.objects.filter(user=member.user).exists()


def test_member_list_filters(auth_client, owner, clinic):
    doctor = make_member(clinic=clinic)
    make_member(clinic=clinic, member_role="lab_member")
    gone = make_member(clinic=clinic, status=MemberStatus.INACTIVE)
    client = auth_client(owner)
    url = reverse("clinic:member-list", args=[clinic.id])
    assert len(client.get(url).json()) == 3
    assert {m["id"] for m in client.get(url, {"role": "doctor"}).json()} == {str(doctor.id), str(gone.id)}
    assert [m["id"] for m in client.get(url, {"role": "doctor", "status": "active"}).json()] == [str(doctor.id)]
    assert_refused(
        client.get(url, {"status": "asleep"}),
        400,
        {"status": ["Select a valid choice. asleep is not one of the available choices."]},
    )


@pytest.mark.parametrize("members", [2, 12])
def test_member_list_query_count_is_constant(auth_client, owner, clinic, django_assert_num_queries, members):
    for _ in range(members):
        make_member(clinic=clinic)
    client = auth_client(owner)
    with django_assert_num_queries(2):  # the clinic (ownership check) + members joined with users
        assert len(client.get(reverse("clinic:member-list", args=[clinic.id])).json()) == members


def test_other_owner_and_members_cannot_touch_members(auth_client, owner, other_owner, clinic):
    member = make_member(clinic=clinic)
    other_clinic = make_clinic(owner=other_owner)
    colleague = make_member(clinic=other_clinic)
    list_url = reverse("clinic:member-list", args=[clinic.id])
    detail_url = reverse("clinic:member-detail", args=[clinic.id, member.id])
    for user in (other_owner,):
        client = auth_client(user)
        assert_refused(client.get(list_url), 403, {"message": "Only this clinic's owner can manage it."})
        assert_refused(
            add(client, clinic, make_user().contact), 403, {"message": "Only this clinic's owner can manage it."}
        )
        assert_refused(client.get(detail_url), 403, {"message": "Only this clinic's owner can manage it."})
        assert_refused(
            client.patch(detail_url, {"department": "X"}), 403, {"message": "Only this clinic's owner can manage it."}
        )
        assert_refused(client.delete(detail_url), 403, {"message": "Only this clinic's owner can manage it."})
    for user in (member.user, colleague.user):  # doctors of clinic A or of clinic B
        assert_refused(auth_client(user).get(list_url), 403, {"message": "Only clinic owners can do this."})
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE and member.department == ""


def test_member_of_another_clinic_is_404_under_my_clinic(auth_client, owner, other_owner, clinic):
    foreign = make_member(clinic=make_clinic(owner=other_owner))
    url = reverse("clinic:member-detail", args=[clinic.id, foreign.id])
    assert_refused(auth_client(owner).get(url), 404, {"message": "Not found."})


def test_members_of_unknown_clinic_is_404(auth_client, owner):
    url = reverse("clinic:member-list", args=["6f9619ff-8b86-d011-b42d-00cf4fc964ff"])
    assert_refused(auth_client(owner).get(url), 404, {"message": "Clinic not found."})


def test_members_need_a_token(api_client, clinic):
    assert_refused(
        api_client.get(reverse("clinic:member-list", args=[clinic.id])),
        401,
        {"message": "Authentication credentials were not provided."},
    )


def test_my_memberships(auth_client, clinic):
    member = make_member(clinic=clinic, department="Cardiology")
    response = auth_client(member.user).get(reverse("clinic:my-memberships"))
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": str(member.id),
            "clinic": str(clinic.id),
            "clinic_name": "Apollo Clinic",
            "member_role": "doctor",
            "status": "active",
            "department": "Cardiology",
            "joined_at": member.joined_at.isoformat(),
        }
    ]


@pytest.mark.parametrize("role", [RoleId.CLINIC_OWNER, RoleId.ADMIN])
def test_my_memberships_is_403_for_organisation_accounts(auth_client, role):
    refused = auth_client(make_user(role=role)).get(reverse("clinic:my-memberships"))
    assert refused.status_code == 403
    assert refused.json() == {"message": "Only patients (and clinic staff, for their own records) can do this."}


def test_my_memberships_is_an_empty_list_for_a_patient_never_added(auth_client, patient):
    response = auth_client(patient).get(reverse("clinic:my-memberships"))
    assert response.status_code == 200 and response.json() == []


@pytest.mark.parametrize("clinics", [1, 8])
def test_my_memberships_query_count(auth_client, django_assert_num_queries, clinics):
    doctor = make_user(role=RoleId.DOCTOR)
    for _ in range(clinics):
        make_member(clinic=make_clinic(), user=doctor)
    client = auth_client(doctor)
    with django_assert_num_queries(1):
        assert len(client.get(reverse("clinic:my-memberships")).json()) == clinics


# --- time slots -------------------------------------------------------------------------------------------------


SLOT = {
    "day_of_week": 5,
    "start_time": "10:00",
    "end_time": "14:00",
    "slot_duration_minutes": 20,
    "max_appointments": 12,
}


def test_add_slot(auth_client, owner, clinic):
    response = auth_client(owner).post(reverse("clinic:slot-list", args=[clinic.id]), SLOT)
    assert response.status_code == 201
    body = response.json()
    assert {k: v for k, v in body.items() if k != "id"} == {
        "day_of_week": 5,
        "day_name": "Saturday",
        "start_time": "10:00:00",
        "end_time": "14:00:00",
        "slot_duration_minutes": 20,
        "max_appointments": 12,
        "is_active": True,
    }


def test_slots_are_public_and_only_active(api_client, clinic):
    active = make_slot(clinic=clinic)
    make_slot(clinic=clinic, day_of_week=1, is_active=False)
    response = api_client.get(reverse("clinic:slot-list", args=[clinic.id]))
    assert response.status_code == 200 and [s["id"] for s in response.json()] == [str(active.id)]


def test_slots_of_unknown_clinic_is_404(api_client):
    assert_refused(
        api_client.get(reverse("clinic:slot-list", args=["6f9619ff-8b86-d011-b42d-00cf4fc964ff"])),
        404,
        {"message": "Not found."},
    )


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("13:00", "15:00", 201),  # adjacent after 09:00-13:00
        ("07:00", "09:00", 201),  # adjacent before
        ("12:59", "15:00", 409),  # overlaps the end
        ("08:00", "09:01", 409),  # overlaps the start
        ("10:00", "11:00", 409),  # inside
        ("08:00", "14:00", 409),  # around
    ],
)
def test_slot_overlap_rule(auth_client, owner, clinic, start, end, expected):
    make_slot(clinic=clinic, day_of_week=0, start=time(9), end=time(13))
    body = {**SLOT, "day_of_week": 0, "start_time": start, "end_time": end}
    response = auth_client(owner).post(reverse("clinic:slot-list", args=[clinic.id]), body)
    assert response.status_code == expected
    if expected == 409:
        assert response.json() == {"message": "This time overlaps the Monday slot 09:00-13:00."}


def test_overlap_ignores_other_days_and_inactive_slots(auth_client, owner, clinic):
    make_slot(clinic=clinic, day_of_week=0, is_active=False)
    make_slot(clinic=clinic, day_of_week=1)
    body = {**SLOT, "day_of_week": 0, "start_time": "09:00", "end_time": "13:00"}
    assert auth_client(owner).post(reverse("clinic:slot-list", args=[clinic.id]), body).status_code == 201


def test_update_slot_partially_and_overlap_on_update(auth_client, owner, clinic):
    morning = make_slot(clinic=clinic, start=time(9), end=time(13))
    make_slot(clinic=clinic, start=time(17), end=time(20))
    client = auth_client(owner)
    url = reverse("clinic:slot-detail", args=[clinic.id, morning.id])
    ok = client.put(url, {"end_time": "14:00"})
    assert ok.status_code == 200 and ok.json()["end_time"] == "14:00:00" and ok.json()["start_time"] == "09:00:00"
    assert_refused(
        client.put(url, {"end_time": "18:00"}), 409, {"message": "This time overlaps the Monday slot 17:00-20:00."}
    )
    bad = client.put(url, {"end_time": "08:00"})
    assert bad.status_code == 400 and "end_time" in bad.json()


def test_delete_slot_deactivates(auth_client, owner, clinic):
    slot = make_slot(clinic=clinic)
    assert auth_client(owner).delete(reverse("clinic:slot-detail", args=[clinic.id, slot.id])).status_code == 204
    assert ClinicTimeSlot.objects.get(pk=slot.id).is_active is False


def test_other_owner_cannot_touch_slots(auth_client, other_owner, patient, clinic):
    slot = make_slot(clinic=clinic)
    for user, expected in ((other_owner, 403), (patient, 403)):
        client = auth_client(user)
        assert client.post(reverse("clinic:slot-list", args=[clinic.id]), SLOT).status_code == expected
        assert (
            client.put(reverse("clinic:slot-detail", args=[clinic.id, slot.id]), {"max_appointments": 1}).status_code
            == expected
        )
        assert client.delete(reverse("clinic:slot-detail", args=[clinic.id, slot.id])).status_code == expected
    slot.refresh_from_db()
    assert slot.is_active and slot.max_appointments == 20


def test_slot_post_needs_a_token(api_client, clinic):
    assert_refused(
        api_client.post(reverse("clinic:slot-list", args=[clinic.id]), SLOT),
        401,
        {"message": "Authentication credentials were not provided."},
    )


def test_deactivated_slot_can_be_reactivated_unless_it_now_overlaps(auth_client, owner, clinic):
    old = make_slot(clinic=clinic, is_active=False)
    client = auth_client(owner)
    url = reverse("clinic:slot-detail", args=[clinic.id, old.id])
    assert client.put(url, {"is_active": True}).json()["is_active"] is True
    client.delete(url)
    make_slot(clinic=clinic, start=time(10), end=time(11))
    assert_refused(
        client.put(url, {"is_active": True}), 409, {"message": "This time overlaps the Monday slot 10:00-11:00."}
    )


def test_adding_a_number_with_no_account_needs_the_persons_name(auth_client, owner, clinic):
    refused = add(auth_client(owner), clinic, 9898989898)
    assert refused.status_code == 400
    assert refused.json() == {"name": ["No QuickCare account uses this number: give the person's name to create one."]}
    assert not clinic.members.exists()
