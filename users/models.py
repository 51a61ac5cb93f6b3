import uuid
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from .validators import normalize_contact


class RoleId(models.IntegerChoices):
    """Mirrors the Role rows seeded by migration 0002 (ids are the spec's)."""

    SUPERADMIN = 1, "Superadmin"
    ADMIN = 2, "Admin"
    PATIENT = 3, "Patient"
    DOCTOR = 4, "Doctor"
    RECEPTIONIST = 5, "Receptionist"
    LAB_MEMBER = 6, "Lab Member"
    CLINIC_OWNER = 7, "Clinic Owner"


STAFF_ROLES = (RoleId.DOCTOR, RoleId.RECEPTIONIST, RoleId.LAB_MEMBER)


def role_key(role_id: int) -> str:
    """A role as the API names it in values: "patient", "doctor", "lab_member", "clinic_owner", ..."""
    return RoleId(role_id).label.lower().replace(" ", "_")


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    HINDI = "hi", "हिन्दी"


class Channel(models.TextChoices):
    SMS = "sms"
    WHATSAPP = "whatsapp"


class Role(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True)
    name = models.CharField(max_length=50, unique=True)

    def __str__(self):
        return self.name

    @property
    def api_name(self) -> str:
        """The spec's flag-style name: "Clinic Owner" -> "is_clinic_owner"."""
        return "is_" + self.name.lower().replace(" ", "_")


class Gender(models.TextChoices):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


class BloodGroup(models.TextChoices):
    A_POS = "A+"
    A_NEG = "A-"
    B_POS = "B+"
    B_NEG = "B-"
    AB_POS = "AB+"
    AB_NEG = "AB-"
    O_POS = "O+"
    O_NEG = "O-"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, contact, password, **fields):
        if not contact:
            raise ValueError("A contact number is required.")
        # Staff roles only ever come from a clinic membership: such an account stands on a patient's role.
        role = fields.get("roles_id", RoleId.PATIENT)
        fields.setdefault("registered_role_id", RoleId.PATIENT if role in STAFF_ROLES else role)
        user = self.model(contact=normalize_contact(contact), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, contact, password=None, **fields):
        fields.setdefault("roles_id", RoleId.PATIENT)
        return self._create(contact, password, **fields)

    def create_superuser(self, contact, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True, roles_id=RoleId.SUPERADMIN, is_complete_onboarding=True)
        fields.setdefault("name", "Super Admin")
        return self._create(contact, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # 10-digit Indian mobile number, the username. Stored as text, sent and returned as a JSON integer.
    contact = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    age = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(130)])
    gender = models.CharField(max_length=20, choices=Gender.choices, blank=True)
    blood_group = models.CharField(max_length=3, choices=BloodGroup.choices, blank=True)
    # How the clinic's messages reach them (contract section 4; notifications.services.notify).
    preferred_language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    preferred_channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.SMS)
    roles = models.ForeignKey(Role, on_delete=models.PROTECT, default=RoleId.PATIENT, related_name="users")
    # The role the person registered (or was created) with: what `roles` returns to when their last clinic
    # membership ends. `roles` itself is derived: the highest active membership's role, else this one.
    registered_role = models.ForeignKey(Role, on_delete=models.PROTECT, default=RoleId.PATIENT, related_name="+")
    is_partial_onboarding = models.BooleanField(default=False)
    is_complete_onboarding = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    USERNAME_FIELD = "contact"
    REQUIRED_FIELDS = ["name"]

    objects = UserManager()

    def __str__(self):
        return f"{self.name} ({self.contact})"

    def has_role(self, *roles: int) -> bool:
        return self.roles_id in roles


class PatientMedicalProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="medical_profile")
    allergies = models.TextField(blank=True)
    chronic_conditions = models.TextField(blank=True)
    current_medications = models.TextField(blank=True)
    past_surgeries = models.TextField(blank=True)
    family_history = models.TextField(blank=True)
    height_cm = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(300)]
    )
    weight_kg = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(500)],
    )
    emergency_contact_name = models.CharField(max_length=100, blank=True)
    emergency_contact_number = models.CharField(max_length=10, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Medical profile of {self.user}"


# What a patient edits of their medical profile (step 3 and /api/users/me/medical-profile/).
MEDICAL_FIELDS = (
    "allergies",
    "chronic_conditions",
    "current_medications",
    "past_surgeries",
    "family_history",
    "height_cm",
    "weight_kg",
    "emergency_contact_name",
    "emergency_contact_number",
)


class AddressType(models.TextChoices):
    HOME = "home"
    WORK = "work"


class UserAddress(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="addresses")
    area = models.CharField(max_length=200)
    house_no = models.CharField(max_length=50, blank=True)
    town = models.CharField(max_length=100)
    state = models.CharField(max_length=100, blank=True)
    pincode = models.CharField(max_length=6, blank=True)
    landmark = models.CharField(max_length=200, blank=True)
    address_type = models.CharField(max_length=10, choices=AddressType.choices, default=AddressType.HOME)
    is_current = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_current", "-created_at"]
        constraints = [
            # At most one current address per user; the service clears the old one in the same transaction.
            models.UniqueConstraint(fields=["user"], condition=Q(is_current=True), name="one_current_address_per_user"),
        ]

    def __str__(self):
        return f"{self.area}, {self.town}"


class OTPChallenge(models.Model):
    """A one-time code sent by SMS to prove a number: random secret, expiry, attempt count, resend time.

    Whether a code is accepted is decided by `users.services.otp_check` alone, for every flow that uses one.
    """

    contact = models.CharField(max_length=10, unique=True)  # one open challenge per number and flow
    # Random per challenge (pyotp.random_base32()); never derived from the contact, never shown or logged.
    otp_secret = models.CharField(max_length=64)
    otp_counter = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        abstract = True


class PendingRegistration(OTPChallenge):
    """Step 1 of onboarding: the account to create once the phone number is proven (step 2)."""

    name = models.CharField(max_length=100)
    password = models.CharField(max_length=128)  # already hashed with the password hasher
    role = models.ForeignKey(Role, on_delete=models.PROTECT)

    def __str__(self):
        return f"Pending registration for {self.contact}"


class PasswordReset(OTPChallenge):
    """A forgotten-password request waiting for its OTP (contract row 1.18).

    A request for a number without an account is stored too, with no user and no SMS sent: cooldowns, attempt
    counts and answers are then the same for every number, so the flow does not tell which numbers are registered.
    """

    user = models.OneToOneField(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    def __str__(self):
        return f"Password reset for {self.user_id}"


class TemporaryPassword(models.Model):
    """A clinic's invitation to someone who had no account (contract 2.1): a random password stored only as its hash,
    valid until `expires_at`, usable once. The row lives until the person sets their own password
    (users.services.member_account_complete); a resend replaces it."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="temporary_password")
    password = models.CharField(max_length=128)  # a Django password hash, like User.password
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"temporary password of {self.user_id}"
