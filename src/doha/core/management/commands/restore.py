from django.core.management.base import BaseCommand, CommandError

from doha.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into this instance (an empty database "
        "and MEDIA_ROOT), checking the files and then every table against the manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Directory written by `manage.py backup`.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the content of a database that is not empty (destroys its data).",
        )
        parser.add_argument("--database", default="default", help="Database alias.")

    def handle(self, *args, directory, force, database, **options):
        try:
            manifest = restore(directory, alias=database, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        tables = manifest["tables"]
        rows = sum(t["rows"] for t in tables.values())
        files = len(manifest["media"] or {})
        self.stdout.write(
            f"Restored the backup of {manifest['created']}: {len(tables)} tables, {rows} rows "
            f"and {files} uploaded files match the manifest."
        )
