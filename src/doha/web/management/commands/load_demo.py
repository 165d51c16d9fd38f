from django.core.management.base import BaseCommand

from doha.orgunits.models import OrgUnit
from doha.web.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the demo province (Bắc Ninh, Thái Nguyên, the seed facilities) and demo users."

    def handle(self, *args, **options):
        users = load_demo()
        self.stdout.write(f"Cơ sở y tế / facilities: {OrgUnit.objects.count()}")
        self.stdout.write(f"Tài khoản demo / demo accounts (mật khẩu / password: {DEMO_PASSWORD}):")
        for username, _first, _last, role, unit in users:
            self.stdout.write(f"  {username:<18} {role.label:<32} {unit or ''}")
