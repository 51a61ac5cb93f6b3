import itertools

from users.models import RoleId, User

_contacts = itertools.count(9000000001)
PASSWORD = "Correct-Horse-42"


def next_contact() -> str:
    return str(next(_contacts))


def make_user(*, role: int = RoleId.PATIENT, password: str = PASSWORD, **fields) -> User:
    fields.setdefault("contact", next_contact())
    fields.setdefault("name", f"User {fields['contact'][-4:]}")
    return User.objects.create_user(password=password, roles_id=role, **fields)
