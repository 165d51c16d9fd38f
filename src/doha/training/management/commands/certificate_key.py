"""Create the instance's certificate signing key (once) and print its public key."""

from pathlib import Path

from django.core.management.base import BaseCommand

from doha.training import signing


class Command(BaseCommand):
    help = (
        "Create the Ed25519 key that signs certificate codes (var/certificate_key.pem, or "
        "DOHA_CERTIFICATE_KEY_FILE) if there is none, and print its public key (PEM) for "
        "offline verification. An existing key is never replaced."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--public-out", help="Also write the public key (PEM) to this file.", default=""
        )

    def handle(self, *args, public_out="", **options):
        try:
            key = signing.private_key()
        except signing.CertificateKeyMissing:
            path = signing.key_path()
            key = signing.generate_key_file(path)
            self.stderr.write(f"Created the certificate signing key {path} (keep it private).")
        pem = signing.public_pem(key)
        if public_out:
            Path(public_out).write_text(pem)
        self.stdout.write(pem, ending="")
