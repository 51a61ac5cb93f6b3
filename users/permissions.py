from rest_framework.permissions import BasePermission

from .models import RoleId


class _HasRole(BasePermission):
    roles: tuple[int, ...] = ()

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.roles_id in self.roles)


class IsPatient(_HasRole):
    roles = (RoleId.PATIENT,)
    message = "Only patients can do this."


class IsDoctor(_HasRole):
    roles = (RoleId.DOCTOR,)
    message = "Only doctors can do this."


class IsClinicOwner(_HasRole):
    roles = (RoleId.CLINIC_OWNER,)
    message = "Only clinic owners can do this."


# People (as against organisation accounts): whoever registered as a patient keeps their own appointments,
# documents, consents and log whatever role a clinic membership gives them (contract 2.0).
PERSON_ROLES = (RoleId.PATIENT, RoleId.DOCTOR, RoleId.LAB_MEMBER, RoleId.RECEPTIONIST)


class HasOwnRecords(_HasRole):
    roles = PERSON_ROLES
    message = "Only patients (and clinic staff, for their own records) can do this."
