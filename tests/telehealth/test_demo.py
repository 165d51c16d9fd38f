from doha.orgunits.models import FacilityType
from doha.telehealth import services
from doha.telehealth.demo import load_demo_telehealth
from doha.telehealth.models import Consultation, TeleEducationSession
from tests.factories import OrgUnitFactory


def test_the_demo_loads_once(db):
    syt = OrgUnitFactory(code="BK-SYT", name="Sở Y tế tỉnh Bắc Kạn", facility_type=FacilityType.DOH)
    OrgUnitFactory(code="BVTW-TN", name="Bệnh viện Trung ương Thái Nguyên")
    OrgUnitFactory(code="BK-BVDK", name="Bệnh viện Đa khoa tỉnh Bắc Kạn", parent=syt)
    OrgUnitFactory(code="BK-TTYT-CHOMOI", name="Trung tâm Y tế Chợ Mới", parent=syt)
    OrgUnitFactory(code="BK-TTYT-NARI", name="Trung tâm Y tế Na Rì", parent=syt)
    assert load_demo_telehealth() > 0
    consultations = Consultation.objects.count()
    sessions = TeleEducationSession.objects.count()
    assert consultations >= 6 and sessions == 2
    assert load_demo_telehealth() == 0
    assert Consultation.objects.count() == consultations
    assert {c.hub.code for c in Consultation.objects.all()} == {"BVTW-TN"}
    total = services.figures(Consultation.objects.all())["total"]
    assert total["median_hours"] is not None and 0 < total["local_share"] < 100
    assert len({c.outcome for c in Consultation.objects.all()}) == 4


def test_the_demo_does_nothing_without_the_units(db):
    assert load_demo_telehealth() == 0
