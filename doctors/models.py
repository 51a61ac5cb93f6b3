import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q


class Specialty(models.TextChoices):
    GENERAL_PHYSICIAN = "general_physician"
    CARDIOLOGY = "cardiology"
    DERMATOLOGY = "dermatology"
    PEDIATRICS = "pediatrics"
    GYNECOLOGY = "gynecology"
    ORTHOPEDICS = "orthopedics"
    NEUROLOGY = "neurology"
    PSYCHIATRY = "psychiatry"
    ENT = "ent", "ENT"
    OPHTHALMOLOGY = "ophthalmology"
    DENTISTRY = "dentistry"
    GASTROENTEROLOGY = "gastroenterology"
    PULMONOLOGY = "pulmonology"
    NEPHROLOGY = "nephrology"
    UROLOGY = "urology"
    ONCOLOGY = "oncology"
    ENDOCRINOLOGY = "endocrinology"
    RADIOLOGY = "radiology"
    PATHOLOGY = "pathology"
    PHYSIOTHERAPY = "physiotherapy"
    AYURVEDA = "ayurveda"
    HOMEOPATHY = "homeopathy"
    OTHER = "other"


class DoctorProfile(models.Model):
    """Created when a clinic adds the user as a doctor; the doctor fills it in through /api/doctors/me/."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="doctor_profile")
    specialty = models.CharField(max_length=30, choices=Specialty.choices, blank=True, db_index=True)
    qualification = models.CharField(max_length=200, blank=True)
    registration_number = models.CharField(max_length=50, blank=True)
    experience_years = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(80)])
    biography = models.TextField(blank=True)
    languages = models.CharField(max_length=200, blank=True)
    first_visit_fee = models.DecimalField(
        max_digits=10, decimal_places=2, default=0, db_index=True, validators=[MinValueValidator(0)]
    )
    follow_up_fee = models.DecimalField(max_digits=10, decimal_places=2, default=0, validators=[MinValueValidator(0)])
    offers_video_consultation = models.BooleanField(default=False)
    # When the doctor first saved their own profile with a specialty (contract 2.0). Until then they are not in the
    # public directory and cannot be booked: being added by an owner never publishes anyone.
    listed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Dr. profile of {self.user}"


class Weekday(models.TextChoices):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @classmethod
    def of(cls, day) -> "Weekday":
        """The Weekday of a date (Monday = 0, as date.weekday())."""
        return list(cls)[day.weekday()]


class DoctorAvailability(models.Model):
    """A weekly window in which a doctor sees patients at one clinic."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    doctor = models.ForeignKey(DoctorProfile, on_delete=models.CASCADE, related_name="availability")
    clinic = models.ForeignKey("clinic.Clinic", on_delete=models.CASCADE, related_name="doctor_availability")
    day = models.CharField(max_length=10, choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()
    slot_duration_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(5), MaxValueValidator(240)])
    max_patients = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["day", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="availability_ends_after_start")
        ]
        # Free slots and the overlap check read a doctor's active windows of one weekday.
        indexes = [models.Index(fields=["doctor", "day", "is_active"])]

    def __str__(self):
        return f"{self.doctor_id} {self.day} {self.start_time}-{self.end_time}"


class DoctorLeave(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    doctor = models.ForeignKey(DoctorProfile, on_delete=models.CASCADE, related_name="leaves")
    clinic = models.ForeignKey(
        "clinic.Clinic", null=True, blank=True, on_delete=models.CASCADE, related_name="doctor_leaves"
    )  # null = on leave at every clinic
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="leave_ends_after_start")
        ]
        indexes = [models.Index(fields=["doctor", "start_date", "end_date"])]

    def __str__(self):
        return f"{self.doctor_id} leave {self.start_date}..{self.end_date}"
