from django.core.management.base import BaseCommand, CommandError

from doha.core.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database (one consistent snapshot: SQLite online backup or pg_dump) and "
        "the uploaded files into a new directory, with a manifest of row counts and checksums."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="New or empty directory to write the backup to.")
        parser.add_argument(
            "--no-media", action="store_true", help="Leave out the uploaded files (MEDIA_ROOT)."
        )
        parser.add_argument("--database", default="default", help="Database alias.")

    def handle(self, *args, directory, no_media, database, **options):
        try:
            manifest = backup(directory, alias=database, media=not no_media)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        tables = manifest["tables"]
        rows = sum(t["rows"] for t in tables.values())
        files = len(manifest["media"] or {})
        self.stdout.write(
            f"Backup written to {directory}: {manifest['engine']} database, {len(tables)} "
            f"tables, {rows} rows, {files} uploaded files, {manifest['seconds']} s."
        )
