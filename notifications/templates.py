"""The words of every message kind, in English with Hindi translations (locale/hi), and their DLT template ids.

Each template is a title and a body with %(name)s placeholders filled from the caller's context; `render` fills them
in the recipient's language. Registered DLT templates must match these texts; their ids come from the settings
`SMS_DLT_TEMPLATE_<KIND>` (empty: none sent)."""

from dataclasses import dataclass

from decouple import config
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import Kind


@dataclass(frozen=True)
class Template:
    title: str
    body: str


TEMPLATES = {
    Kind.BOOKING_CONFIRMED: Template(
        _("Appointment booked"),
        _("Your appointment with %(doctor)s at %(clinic)s is on %(date)s at %(time)s. Your token is %(token)s."),
    ),
    Kind.BOOKING_CANCELLED: Template(
        _("Appointment cancelled"),
        _("Your appointment with %(doctor)s on %(date)s at %(time)s is cancelled. %(reason)s"),
    ),
    Kind.BOOKING_RESCHEDULED: Template(
        _("Appointment moved"),
        _("Your appointment with %(doctor)s at %(clinic)s is now on %(date)s at %(time)s. Your token is %(token)s."),
    ),
    Kind.REMINDER: Template(
        _("Appointment reminder"),
        _("Reminder: your appointment with %(doctor)s at %(clinic)s is on %(date)s at %(time)s."),
    ),
    Kind.CONSENT_REQUESTED: Template(
        _("A doctor asks to see a document"),
        _('%(doctor)s asks to see your document "%(document)s" (%(purpose)s). Answer in QuickCare.'),
    ),
    Kind.CONSENT_ANSWERED: Template(
        _("Your document request was answered"),
        _('%(patient)s answered your request to see "%(document)s": %(answer)s.'),
    ),
    Kind.STAFF_INVITATION: Template(
        _("You were added to a clinic"),
        _(
            "%(clinic)s added you on QuickCare as %(role)s. Sign in with the temporary password sent to you by SMS "
            "(it is never kept here)."
        ),
    ),
    Kind.MEMBER_ADDED: Template(
        _("You were added to a clinic"),
        _(
            "%(clinic)s added you on QuickCare as %(role)s. Not you, or not wanted? Open QuickCare > Memberships "
            "and choose Leave."
        ),
    ),
    Kind.WALK_IN_BOOKED: Template(
        _("Appointment booked"),
        _(
            "%(clinic)s booked your appointment with %(doctor)s on %(date)s at %(time)s. To see it in QuickCare, "
            "register in the app with this number."
        ),
    ),
    Kind.DOCUMENT_UPLOADED: Template(
        _("A new document in your records"),
        _('%(uploader)s of %(clinic)s added "%(document)s" to your records.'),
    ),
    Kind.DOCUMENT_OPENED: Template(
        _("Your documents were opened"),
        _("%(opener)s opened your documents today. Your access log in QuickCare shows what and when."),
    ),
    Kind.SLOT_FREED: Template(
        _("A time is free"),
        _("A time with %(doctor)s on %(date)s at %(time)s is free now. Book it in QuickCare."),
    ),
    Kind.EMERGENCY_ACCESS: Template(
        _("Emergency access to your document"),
        _(
            '%(doctor)s opened your document "%(document)s" without your consent, for an emergency: %(reason)s. '
            "Access ends at %(until)s. Your access log in QuickCare shows every view."
        ),
    ),
    Kind.EMERGENCY_ACCESS_CLINIC: Template(
        _("Emergency access by your doctor"),
        _('%(doctor)s of %(clinic)s used emergency access to a patient\'s document "%(document)s": %(reason)s.'),
    ),
}

# Words that go into the templates and are translated too.
ANSWERS = {"granted": _("granted"), "rejected": _("rejected"), "revoked": _("revoked")}
ROLES = {"doctor": _("doctor"), "lab_member": _("lab member"), "receptionist": _("receptionist")}

DLT_TEMPLATE_IDS = {kind: config(f"SMS_DLT_TEMPLATE_{kind.upper()}", default="") for kind in Kind.values}


def render(kind: str, language: str, context: dict) -> tuple[str, str]:
    """The title and body of `kind` in `language`, placeholders filled (their values translated where they are
    words of ours: an answer, a role)."""
    template = TEMPLATES[kind]
    with translation.override(language):
        values = {key: str(value) for key, value in context.items()}
        return str(template.title), (str(template.body) % values).strip()
