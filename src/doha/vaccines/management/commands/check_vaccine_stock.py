"""Check that every cached stock balance equals the sum of its ledger entries.

    manage.py check_vaccine_stock

Prints each store and lot where they differ and exits with status 1; silent success
otherwise. They never differ unless something wrote to the tables behind the services'
back (a restored backup, a hand-made SQL update)."""

from django.core.management.base import BaseCommand, CommandError

from doha.vaccines import stock


class Command(BaseCommand):
    help = "Check that vaccine stock balances equal the ledger (exit 1 when not)."

    def handle(self, *args, **options):
        found = stock.mismatches()
        for store, lot, cached, ledger in found:
            self.stdout.write(
                f"{store} · {lot.vaccine} {lot.lot_number}: balance {cached}, ledger {ledger}"
            )
        if found:
            raise CommandError(f"{len(found)} balances differ from the ledger.")
        self.stdout.write(self.style.SUCCESS("Every balance equals its ledger."))
