from django.core.management.base import BaseCommand

from doha.catalog.models import FacilityCapability
from doha.orgunits.models import OrgUnit
from doha.programmes.models import NeedsSurvey, Programme
from doha.transfers.models import TechniqueTransfer
from doha.web.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo province (Bắc Ninh, Thái Nguyên and the former Bắc Kạn, the seed "
        "facilities), demo users and the line direction of seeds 001-003. Safe to run again."
    )

    def handle(self, *args, **options):
        users = load_demo()
        self.stdout.write(f"Cơ sở y tế / facilities: {OrgUnit.objects.count()}")
        self.stdout.write(
            f"Năng lực kỹ thuật / capabilities: {FacilityCapability.objects.count()}; "
            f"chương trình / programmes: {Programme.objects.count()}; "
            f"khảo sát / surveys: {NeedsSurvey.objects.count()}; "
            f"chuyển giao / transfers: {TechniqueTransfer.objects.count()}"
        )
        self.stdout.write(f"Tài khoản demo / demo accounts (mật khẩu / password: {DEMO_PASSWORD}):")
        for username, _first, _last, role, unit in users:
            self.stdout.write(f"  {username:<20} {role.label:<32} {unit or ''}")
