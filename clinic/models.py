import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from QuickCare.chain import ChainedLog


class ClinicType(models.TextChoices):
    CLINIC = "clinic"
    HOSPITAL = "hospital"
    DIAGNOSTIC_CENTER = "diagnostic_center"
    POLYCLINIC = "polyclinic"


class Clinic(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_clinics")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    clinic_type = models.CharField(max_length=20, choices=ClinicType.choices, default=ClinicType.CLINIC)
    phone = models.CharField(max_length=20, blank=True)  # free-form: clinics list landlines like 0141-2222222
    email = models.EmailField(blank=True)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=100, blank=True)
    pincode = models.CharField(max_length=6, blank=True)
    registration_number = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    # The person a patient complains to about their data (DPDP Act; contract 5.6), shown on the public detail.
    grievance_officer_name = models.CharField(max_length=100, blank=True)
    grievance_contact = models.CharField(max_length=200, blank=True, help_text="A phone number or an email address.")
    is_active = models.BooleanField(default=True)  # False = soft-deleted
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            # The public list filters active clinics by city and type.
            models.Index(fields=["is_active", "city"]),
            models.Index(fields=["is_active", "clinic_type"]),
        ]

    def __str__(self):
        return self.name


class MemberRole(models.TextChoices):
    DOCTOR = "doctor"
    LAB_MEMBER = "lab_member"
    RECEPTIONIST = "receptionist"


class MemberStatus(models.TextChoices):
    ACTIVE = "active"
    INACTIVE = "inactive"


class ClinicMember(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinic_memberships")
    member_role = models.CharField(max_length=20, choices=MemberRole.choices)
    status = models.CharField(max_length=10, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    department = models.CharField(max_length=100, blank=True)
    joined_at = models.DateField(default=timezone.localdate)
    left_at = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["joined_at", "created_at"]
        constraints = [
            # One membership row per clinic and user; removing and re-adding reuses it.
            models.UniqueConstraint(fields=["clinic", "user"], name="one_membership_per_clinic_user"),
        ]
        indexes = [
            # member_count and the member list filter a clinic's rows by status and role.
            models.Index(fields=["clinic", "status", "member_role"]),
            # "Is this doctor active somewhere?" (doctor list, availability, bookings).
            models.Index(fields=["user", "status"]),
        ]

    def __str__(self):
        return f"{self.user} @ {self.clinic} ({self.member_role})"


class ClinicTimeSlot(models.Model):
    """The clinic's weekly opening hours for appointments (0 = Monday)."""

    DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="time_slots")
    day_of_week = models.PositiveSmallIntegerField(
        choices=list(enumerate(DAY_NAMES)), validators=[MaxValueValidator(6)]
    )
    start_time = models.TimeField()
    end_time = models.TimeField()
    slot_duration_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(5), MaxValueValidator(240)])
    max_appointments = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["day_of_week", "start_time"]
        constraints = [models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="slot_ends_after_start")]
        indexes = [models.Index(fields=["clinic", "day_of_week", "is_active"])]

    def __str__(self):
        return f"{self.clinic} {self.day_name} {self.start_time}-{self.end_time}"

    @property
    def day_name(self) -> str:
        return self.DAY_NAMES[self.day_of_week]


class PatientLookup(ChainedLog):
    """Append-only and tamper-evident (QuickCare.chain): a staff member found a patient by number (contract 2.2),
    kept where the patient can read it."""

    CHAIN_FIELDS = (
        "id",
        "patient_id",
        "looked_up_by_id",
        "looked_up_at",
        "ip_address",
        "chain_owner_id",
        "chain_seq",
        "prev_hash",
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lookups_of_me")
    looked_up_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    looked_up_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)  # hashed: set before save
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-looked_up_at"]
        constraints = [
            models.UniqueConstraint(fields=["chain_owner", "chain_seq"], name="patientlookup_chain_position")
        ]

    def __str__(self):
        return f"{self.looked_up_by_id} looked up {self.patient_id} at {self.looked_up_at:%Y-%m-%d %H:%M}"

    def chain_owner_of(self):
        return self.patient_id


class AdmissionDocumentType(models.Model):
    """One item of the clinic's admission checklist: a document it asks patients to bring (contract 2.6)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="admission_documents")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_mandatory = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)  # DELETE takes an item off the checklist; submissions keep it
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_mandatory", "name"]

    def __str__(self):
        return f"{self.clinic}: {self.name}"
