"""Seeds 001, 002 and 003 recorded through the services, field by field, with no free text
standing in for something the models should hold."""

import datetime

import pytest

from doha.orgunits.models import FacilityType, TechnicalLevel
from doha.programmes import services
from doha.programmes.models import (
    Assessment,
    ContentArea,
    Framework,
    ItemStatus,
    NeedsSurvey,
    PartyRole,
    Programme,
    ProgrammeArea,
    ProgrammeItem,
    ProgrammeKind,
    ProgrammeParty,
    ResponseStatus,
    Side,
    SpecialtyCapacity,
    SurveyStatus,
    TechniqueNeed,
    TeleconsultNeed,
    TrainingKind,
    TrainingNeed,
)
from tests.factories import OrgUnitFactory

D = datetime.date
T = FacilityType


def test_seed_001_assessment_and_comprehensive_support_plan(network, catalog, users):
    """BVĐK tỉnh Bắc Ninh assesses TTYT Tiên Du (17/02/2022) and agrees a 2022-2023
    comprehensive support plan of six items."""
    assessment = services.save_assessment(
        Assessment(
            facility=network.tien_du,
            assessor=network.bvdk,
            date=D(2022, 2, 17),
            team="Đoàn 12 thành viên, trưởng đoàn: Phó Giám đốc Bệnh viện",
            staff_score=4,
            staff_comment="Còn nhiều hạn chế, khó khăn về nhân lực",
            equipment_score=4,
            equipment_comment="Còn nhiều hạn chế về trang thiết bị y tế",
            infrastructure_score=5,
            conclusion="Thống nhất hỗ trợ và chuyển giao kỹ thuật theo các chuyên ngành",
        ),
        [
            SpecialtyCapacity(specialty=catalog.nhi, score=3),
            SpecialtyCapacity(specialty=catalog.hscc, score=4),
        ],
        user=users.line,
    )
    start, end = D(2022, 1, 1), D(2023, 12, 31)
    bv, ttyt = network.bvdk, network.tien_du

    def item(number, area, title, **kw):
        return ProgrammeItem(
            number=number,
            area=area,
            title=title,
            provider=bv,
            recipient=kw.pop("recipient", ttyt),
            planned_start=kw.pop("planned_start", D(2022, 3, 1)),
            planned_end=kw.pop("planned_end", end),
            **kw,
        )

    plan = services.create_programme(
        Programme(
            title="Hỗ trợ toàn diện phát triển Trung tâm Y tế huyện Tiên Du",
            kind=ProgrammeKind.SUPPORT_PLAN,
            framework=Framework.LINE_DIRECTION,
            start_date=start,
            end_date=end,
            description="Thực hiện Thông báo số 18/TB-SYT ngày 24/02/2022 của Sở Y tế",
            min_secondment_months=3,
            max_secondment_months=6,
        ),
        parties=[
            ProgrammeParty(org_unit=bv, side=Side.PROVIDER, role=PartyRole.SIGNATORY),
            ProgrammeParty(org_unit=ttyt, side=Side.RECIPIENT, role=PartyRole.SIGNATORY),
            ProgrammeParty(
                org_unit=bv,
                side=Side.PROVIDER,
                role=PartyRole.IMPLEMENTER,
                assignment="Các khoa, phòng, bộ phận chức năng được Bệnh viện giao nhiệm vụ",
            ),
        ],
        areas=[
            ProgrammeArea(area=a)
            for a in (
                ContentArea.SECONDMENT,
                ContentArea.JOINT_CLINIC,
                ContentArea.TECHNIQUE_TRANSFER,
                ContentArea.TRAINING,
                ContentArea.MANAGEMENT,
                ContentArea.ASSIGNED_TASKS,
            )
        ],
        items=[
            item(
                1,
                ContentArea.SECONDMENT,
                "Biệt phái viên chức về TTYT tham gia quản lý và chuyên môn tại các khoa, "
                "phòng khó khăn về nhân lực, luân phiên 03-06 tháng/người",
                description="Hỗ trợ Trung tâm xây dựng kế hoạch tách, phát triển một số "
                "khoa, phòng theo lộ trình",
            ),
            item(
                2,
                ContentArea.JOINT_CLINIC,
                "Viên chức Bệnh viện khám chữa bệnh tại TTYT Tiên Du; viên chức Trung tâm "
                "đào tạo cùng thời gian tại BVĐK tỉnh",
            ),
            item(
                3,
                ContentArea.TECHNIQUE_TRANSFER,
                "Đào tạo, chuyển giao kỹ thuật theo từng kíp (tại TTYT, Trạm y tế và BVĐK tỉnh)",
            ),
            item(
                4,
                ContentArea.TRAINING,
                "Đào tạo cán bộ các Trạm y tế thực hiện mô hình điểm theo Quyết định 368/QĐ-UBND",
                recipient=network.tyt_tien_du,
            ),
            item(
                5,
                ContentArea.MANAGEMENT,
                "Đào tạo nâng cao năng lực quản lý cho lãnh đạo, quản lý và cán bộ trong "
                "quy hoạch (tại Trung tâm và tại BVĐK tỉnh)",
            ),
            item(
                6,
                ContentArea.ASSIGNED_TASKS,
                "Hỗ trợ triển khai các nhiệm vụ trọng tâm năm 2022 đã được Sở Y tế thẩm định "
                "và các nhiệm vụ được giao bổ sung",
                planned_start=start,
                planned_end=D(2022, 12, 31),
            ),
        ],
        user=users.line,
    )
    assessment.programme = plan
    services.save_assessment(assessment, user=users.line)

    assert plan.items.count() == 6
    assert sorted(plan.items.values_list("area", flat=True)) == sorted(
        plan.areas.values_list("area", flat=True)
    )
    assert (plan.min_secondment_months, plan.max_secondment_months) == (3, 6)
    assert plan.items.get(number=4).recipient == network.tyt_tien_du
    assert Assessment.objects.get().programme == plan
    # Both sides see it; another province does not.
    for role in ("line", "doh", "clerk", "viewer"):
        assert Programme.objects.restrict(getattr(users, role)).filter(pk=plan.pk).exists()
    assert not Programme.objects.restrict(users.doh_tn).exists()


def test_seed_002_cooperation_programme_544(network, users):
    """544/CT-SYT, 06/05/2016: SYT TP.HCM and SYT Đắk Nông, 2016-2020, four content areas;
    Nhi Đồng 2 assigned to support the paediatrics department of BVĐK tỉnh Đắk Nông."""
    syt_hcm = OrgUnitFactory(
        code="HCM-SYT",
        name="Sở Y tế Thành phố Hồ Chí Minh",
        facility_type=T.DOH,
        parent=network.moh,
    )
    nhi_dong_2 = OrgUnitFactory(
        code="HCM-NHIDONG2",
        name="Bệnh viện Nhi Đồng 2",
        facility_type=T.SPECIALTY_HOSPITAL,
        technical_level=TechnicalLevel.SPECIALISED,
        parent=syt_hcm,
    )
    syt_dn = OrgUnitFactory(
        code="DN-SYT", name="Sở Y tế tỉnh Đắk Nông", facility_type=T.DOH, parent=network.moh
    )
    bvdk_dn = OrgUnitFactory(
        code="DN-BVDK",
        name="Bệnh viện Đa khoa tỉnh Đắk Nông",
        facility_type=T.PROVINCIAL_HOSPITAL,
        technical_level=TechnicalLevel.BASIC,
        parent=syt_dn,
    )
    programme = services.create_programme(
        Programme(
            number="544/CT-SYT",
            title="Chương trình hợp tác phát triển y tế giai đoạn 2016-2020 giữa Sở Y tế "
            "TP. Hồ Chí Minh và Sở Y tế tỉnh Đắk Nông",
            kind=ProgrammeKind.COOPERATION,
            framework=Framework.COOPERATION,
            signed_on=D(2016, 5, 6),
            start_date=D(2016, 5, 6),
            end_date=D(2020, 12, 31),
        ),
        parties=[
            ProgrammeParty(org_unit=syt_hcm, side=Side.PROVIDER, role=PartyRole.SIGNATORY),
            ProgrammeParty(org_unit=syt_dn, side=Side.RECIPIENT, role=PartyRole.SIGNATORY),
            ProgrammeParty(
                org_unit=nhi_dong_2,
                side=Side.PROVIDER,
                role=PartyRole.IMPLEMENTER,
                area=ContentArea.TECHNIQUE_TRANSFER,
                assignment="Hỗ trợ chuyên môn, chuyển giao kỹ thuật cho Khoa Nhi",
            ),
            ProgrammeParty(
                org_unit=bvdk_dn,
                side=Side.RECIPIENT,
                role=PartyRole.IMPLEMENTER,
                area=ContentArea.TECHNIQUE_TRANSFER,
                assignment="Khoa Nhi",
            ),
        ],
        areas=[
            ProgrammeArea(area=ContentArea.TRAINING, description="Đào tạo nguồn nhân lực"),
            ProgrammeArea(area=ContentArea.TECHNIQUE_TRANSFER),
            ProgrammeArea(area=ContentArea.EQUIPMENT),
            ProgrammeArea(area=ContentArea.SOCIALISATION),
        ],
        items=[
            ProgrammeItem(
                number=1,
                area=ContentArea.TECHNIQUE_TRANSFER,
                title="Hỗ trợ chuyên môn, chuyển giao 6 kỹ thuật Nhi cho Khoa Nhi BVĐK tỉnh",
                provider=nhi_dong_2,
                recipient=bvdk_dn,
                planned_start=D(2016, 9, 1),
                planned_end=D(2017, 9, 30),
                status=ItemStatus.DONE,
                done_on=D(2017, 9, 30),
                result="Sơ kết một năm: 6 kỹ thuật đã đào tạo",
            )
        ],
        user=users.admin,
    )
    assert programme.areas.count() == 4
    implementers = programme.parties.filter(role=PartyRole.IMPLEMENTER)
    assert {(p.org_unit, p.side) for p in implementers} == {
        (nhi_dong_2, Side.PROVIDER),
        (bvdk_dn, Side.RECIPIENT),
    }
    assert programme.parties.get(org_unit=bvdk_dn).assignment == "Khoa Nhi"
    # A DOH officer of Đắk Nông records it as well: one party in scope is enough.
    from tests.factories import UserFactory

    officer = UserFactory(username="syt.dn", role="doh_officer", org_unit=syt_dn)
    assert Programme.objects.restrict(officer).get() == programme


def test_seed_003_central_hospital_surveys_a_province(network, catalog, users):
    """24/07/2024: Bệnh viện Trung ương Thái Nguyên surveys the needs of the former Bắc Kạn
    under Project 1816: short and long-term training, new and high techniques, remote
    consultation."""
    bv_tw = OrgUnitFactory(
        code="BVTW-TN",
        name="Bệnh viện Trung ương Thái Nguyên",
        facility_type=T.CENTRAL_HOSPITAL,
        technical_level=TechnicalLevel.SPECIALISED,
        parent=network.moh,
    )
    syt_bk = OrgUnitFactory(
        code="BK-SYT", name="Sở Y tế tỉnh Bắc Kạn", facility_type=T.DOH, parent=network.moh
    )
    bvdk_bk = OrgUnitFactory(
        code="BK-BVDK",
        name="Bệnh viện Đa khoa tỉnh Bắc Kạn",
        facility_type=T.PROVINCIAL_HOSPITAL,
        parent=syt_bk,
    )
    centres = [
        OrgUnitFactory(
            code=f"BK-TTYT-{i}",
            name=f"Trung tâm Y tế {name}",
            parent=syt_bk,
            facility_type=T.HEALTH_CENTRE,
        )
        for i, name in enumerate(["thành phố Bắc Kạn", "huyện Ba Bể", "huyện Chợ Đồn"])
    ]
    OrgUnitFactory(code="BK-TYT-1", name="Trạm Y tế xã Nam Mẫu", parent=centres[1])
    the_day = D(2024, 7, 24)
    survey = services.open_survey(
        NeedsSurvey(
            title="Khảo sát nhu cầu đào tạo, chuyển giao kỹ thuật theo Đề án 1816 tại tỉnh Bắc Kạn",
            organiser=bv_tw,
            framework=Framework.PROJECT_1816,
            opens_on=the_day,
            deadline=D(2024, 8, 31),
        ),
        under=syt_bk,
        facility_types=[T.PROVINCIAL_HOSPITAL, T.HEALTH_CENTRE],
        today=the_day,
    )
    assert set(survey.facilities.all()) == {bvdk_bk, *centres}

    response = services.save_response(
        survey,
        bvdk_bk,
        contact="Phòng Kế hoạch tổng hợp",
        technique_needs=[
            TechniqueNeed(technique=catalog.ventilation, people_to_train=4, priority=1),
            TechniqueNeed(technique=catalog.exchange, people_to_train=3),
        ],
        training_needs=[
            TrainingNeed(kind=TrainingKind.SHORT_TERM, topic="Hồi sức tích cực", people=6),
            TrainingNeed(
                kind=TrainingKind.LONG_TERM,
                topic="Bác sĩ chuyên khoa I Nhi",
                people=2,
                specialty=catalog.nhi,
            ),
            TrainingNeed(kind=TrainingKind.HANDS_ON, topic="Cầm tay chỉ việc: kíp mổ", people=5),
        ],
        teleconsult_needs=[TeleconsultNeed(specialty=catalog.hscc, sessions_per_month=4)],
        today=the_day,
    )
    services.submit_response(response, today=the_day)
    services.save_response(
        survey,
        centres[1],
        training_needs=[TrainingNeed(kind=TrainingKind.CME, topic="Cấp cứu ban đầu", people=10)],
        teleconsult_needs=[TeleconsultNeed(specialty=catalog.nhi)],
        today=D(2024, 8, 10),
    )
    # After the deadline the survey refuses, with the date in the message.
    with pytest.raises(Exception, match="31/08/2024"):
        services.save_response(survey, centres[2], today=D(2024, 9, 1))
    survey.status = SurveyStatus.CLOSED
    services.update_survey(survey, today=D(2024, 9, 1))

    answered = {r.facility: r.status for r in survey.responses.all()}
    assert answered == {bvdk_bk: ResponseStatus.SUBMITTED, centres[1]: ResponseStatus.DRAFT}
    assert TrainingNeed.objects.filter(response__survey=survey).count() == 4
