from .models import DoctorProfile


def doctor_profile_ensure(*, user) -> DoctorProfile:
    """The profile a clinic creates when it adds the user as a doctor (kept if they are removed and re-added)."""
    profile, _ = DoctorProfile.objects.get_or_create(user=user)
    return profile
