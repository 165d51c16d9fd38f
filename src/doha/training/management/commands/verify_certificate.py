"""Check a certificate's full code offline, with the issuing instance's public key only."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from doha.training import signing


class Command(BaseCommand):
    help = (
        "Check a certificate's full code (the one in its QR code) against the public key of "
        "the instance that issued it, without the database. With --holder and --course, "
        "also check that the code was issued to that person for that course."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="The full code (spaces and dashes do not matter).")
        parser.add_argument("--public-key", required=True, help="PEM file of the public key.")
        parser.add_argument("--holder", default="", help="The holder's full name.")
        parser.add_argument("--course", default="", help="The course UID.")

    def handle(self, *args, code, public_key, holder="", course="", **options):
        path = Path(public_key)
        if not path.is_file():
            raise CommandError(f"--public-key: no such file {path}")
        try:
            key = signing.load_public_key(path.read_bytes())
        except ImproperlyConfigured as exc:
            raise CommandError(f"--public-key: {exc}") from exc
        if not signing.is_full(code):
            raise CommandError(
                "NOT VALID: this is not a full code (a short code is checked only online; "
                "the full code is in the QR code and printed at the foot of the certificate)."
            )
        try:
            payload = signing.check_code(code, public_key=key)
        except signing.BadCode as exc:
            raise CommandError(
                f"NOT VALID: the code is altered or signed by another key ({exc})."
            ) from exc
        if holder or course:
            if not (holder and course):
                raise CommandError("Give both --holder and --course to check the holder.")
            if signing.holder_digest(holder, course) != payload.holder_digest:
                raise CommandError(
                    "NOT VALID for this holder: the signature is genuine, but it was not "
                    "issued to this person for this course."
                )
        hours = f"{payload.hours:.1f}".replace(".", ",")
        self.stdout.write(
            f"VALID signature: serial {payload.serial}, issued on "
            f"{payload.issued_on:%d/%m/%Y}, {hours} credit hours"
            + (", holder and course match" if holder else "")
            + ". Revocation is known only online."
        )
