"""DHIS2-style identifiers: 11 characters, a letter first, then letters or digits."""

import re
import secrets
import string

_LETTERS = string.ascii_letters
_ALPHANUMERIC = string.ascii_letters + string.digits
UID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")


def generate_uid() -> str:
    return secrets.choice(_LETTERS) + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(10))


def is_valid_uid(value: str) -> bool:
    return bool(value) and bool(UID_RE.match(value))
