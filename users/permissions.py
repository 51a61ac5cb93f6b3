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


class MayOpenDocuments(_HasRole):
    """Opening one document: its owner and the people the one access rule lets in (documents_visible_to), among
    them a clinic's owner for what a patient submitted to the clinic for admission (contract 2.6)."""

    roles = (*PERSON_ROLES, RoleId.CLINIC_OWNER)
    message = "Only patients, clinic staff and clinic owners can open documents."


# Who may open what a patient submitted to their clinic for admission (contract 2.6 names the owner and the
# receptionists; the issue adds the clinic's doctors).
ADMISSION_STAFF_ROLES = (RoleId.CLINIC_OWNER, RoleId.RECEPTIONIST, RoleId.DOCTOR)


class MayReadAdmissions(_HasRole):
    """Admission submissions: the patient who made them, and a clinic's owner, receptionists and doctors."""

    roles = (RoleId.PATIENT, *ADMISSION_STAFF_ROLES)
    message = "Only patients and a clinic's owner, receptionists and doctors can see admission documents."
