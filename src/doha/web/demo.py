"""The demo province: Bắc Ninh after the 2025 reform (it absorbed Bắc Giang), built from the
real administrative units, plus the facilities the seed documents name.

Bắc Giang's facilities sit under Sở Y tế Bắc Giang until 2025-06-30 and under Sở Y tế
Bắc Ninh from 2025-07-01, so the effective-dated tree shows the reform; likewise the former
Bắc Kạn's facilities move from Sở Y tế Bắc Kạn to Sở Y tế Thái Nguyên. Each old district's
health centre gets the commune health stations of the new communes/wards its old communes
became part of.

Then the demo accounts, and the line direction of seeds 001, 002 and 003
(``demo_line_direction``): catalogue, capabilities, assessment, programmes, needs survey and
technique transfers, all through the services.
"""

import datetime

from django.db import transaction

from doha.core.permissions import Role
from doha.core.text import fold
from doha.orgunits import services
from doha.orgunits.adminunits import load_admin_units
from doha.orgunits.models import (
    REFORM_DATE,
    AdminEdition,
    AdminLevel,
    AdminUnit,
    AdminUnitMapping,
    FacilityType,
    FormerLevel,
    OrgUnit,
    TechnicalLevel,
)
from doha.users.models import User
from doha.web.demo_line_direction import load_line_direction

DEMO_PROVINCES = ["bacninh", "thainguyen", "hochiminh", "lamdong", "quangninh"]
DEMO_PASSWORD = "doha@2026"
OPENED = datetime.date(2010, 1, 1)

T = FacilityType
L = TechnicalLevel
F = FormerLevel


def _province(short_name, edition=AdminEdition.CURRENT):
    return AdminUnit.objects.get(edition=edition, level=AdminLevel.PROVINCE, short_name=short_name)


def _ward(province, short_name):
    return AdminUnit.objects.filter(
        edition=AdminEdition.CURRENT,
        level=AdminLevel.COMMUNE,
        province_code=province.code,
        short_name=short_name,
    ).first()


def _unit(
    code,
    name,
    short_name,
    facility_type,
    parent,
    admin_unit,
    technical_level="",
    former_level="",
    opening_date=OPENED,
):
    existing = OrgUnit.objects.filter(code=code).first()
    if existing:
        return existing
    return services.create_org_unit(
        OrgUnit(
            code=code,
            name=name,
            short_name=short_name,
            facility_type=facility_type,
            parent=parent,
            admin_unit=admin_unit,
            technical_level=technical_level,
            former_level=former_level,
            opening_date=opening_date,
        )
    )


def _code_word(text):
    return fold(text).replace(" ", "").upper()


def _district_centres(doh, old_province_short, new_province, prefix):
    """One health centre per old district, with the stations of the communes it covers."""
    old_province = _province(old_province_short, AdminEdition.LEGACY)
    centres = {}
    for district in old_province.children.order_by("code"):
        seat = _ward(new_province, district.short_name)
        if seat is None:
            mapping = (
                AdminUnitMapping.objects.filter(old__parent=district, is_default=True)
                .select_related("new")
                .first()
            )
            seat = mapping.new if mapping else new_province
        centre = _unit(
            f"{prefix}-TTYT-{_code_word(district.short_name)}",
            f"Trung tâm Y tế {district.short_name}",
            f"TTYT {district.short_name}",
            T.HEALTH_CENTRE,
            doh,
            seat,
            L.BASIC,
            F.DISTRICT,
        )
        centres[district.pk] = centre
    # Each new commune/ward goes to the centre of the old district most of its old
    # communes came from.
    votes = {}
    for m in AdminUnitMapping.objects.filter(
        old__parent__parent=old_province, new__level=AdminLevel.COMMUNE
    ).select_related("old"):
        votes.setdefault(m.new_id, {}).setdefault(m.old.parent_id, 0)
        votes[m.new_id][m.old.parent_id] += 1
    wards = AdminUnit.objects.in_bulk(list(votes))
    for ward_id, by_district in sorted(votes.items(), key=lambda kv: wards[kv[0]].code):
        ward = wards[ward_id]
        if OrgUnit.objects.filter(code=f"TYT-{ward.code}").exists():
            continue
        centre = centres[max(by_district, key=by_district.get)]
        _unit(
            f"TYT-{ward.code}",
            f"Trạm Y tế {ward.name}",
            f"TYT {ward.short_name}",
            T.COMMUNE_STATION,
            centre,
            ward,
            L.INITIAL,
            F.COMMUNE,
            REFORM_DATE,
        )
    return centres


@transaction.atomic
def load_demo(stdout=None, statistics=True):
    """The demo province; ``statistics=False`` leaves out the 36 months of figures."""
    load_admin_units(DEMO_PROVINCES)
    bn = _province("Bắc Ninh")
    tn = _province("Thái Nguyên")
    hcm = _province("Hồ Chí Minh")
    ld = _province("Lâm Đồng")
    qn = _province("Quảng Ninh")

    moh = _unit("BYT", "Bộ Y tế", "BYT", T.MINISTRY, None, None)

    # Bắc Ninh (new) and Bắc Giang (merged into it on 2025-07-01).
    syt_bn = _unit("BN-SYT", "Sở Y tế tỉnh Bắc Ninh", "SYT Bắc Ninh", T.DOH, moh, bn)
    syt_bg = _unit(
        "BG-SYT",
        "Sở Y tế tỉnh Bắc Giang",
        "SYT Bắc Giang",
        T.DOH,
        moh,
        _province("Bắc Giang", AdminEdition.LEGACY),
    )
    _unit(
        "BN-BVDK",
        "Bệnh viện Đa khoa tỉnh Bắc Ninh",
        "BVĐK tỉnh Bắc Ninh",
        T.PROVINCIAL_HOSPITAL,
        syt_bn,
        _ward(bn, "Kinh Bắc") or bn,
        L.SPECIALISED,
        F.PROVINCIAL,
    )
    _unit(
        "BN-CDC",
        "Trung tâm Kiểm soát bệnh tật tỉnh Bắc Ninh",
        "CDC Bắc Ninh",
        T.CDC,
        syt_bn,
        _ward(bn, "Kinh Bắc") or bn,
        L.BASIC,
        F.PROVINCIAL,
    )
    _unit(
        "BN-BVSN",
        "Bệnh viện Sản Nhi tỉnh Bắc Ninh",
        "BV Sản Nhi Bắc Ninh",
        T.SPECIALTY_HOSPITAL,
        syt_bn,
        _ward(bn, "Võ Cường") or bn,
        L.SPECIALISED,
        F.PROVINCIAL,
    )
    bg_bvdk = _unit(
        "BG-BVDK",
        "Bệnh viện Đa khoa tỉnh Bắc Giang",
        "BVĐK tỉnh Bắc Giang",
        T.PROVINCIAL_HOSPITAL,
        syt_bg,
        _ward(bn, "Bắc Giang") or bn,
        L.SPECIALISED,
        F.PROVINCIAL,
    )
    bg_ttytdp = _unit(
        "BG-TTYTDP",
        "Trung tâm Y tế dự phòng tỉnh Bắc Giang",
        "TTYTDP Bắc Giang",
        T.CDC,
        syt_bg,
        _ward(bn, "Bắc Giang") or bn,
        L.BASIC,
        F.PROVINCIAL,
    )
    _district_centres(syt_bn, "Bắc Ninh", bn, "BN")
    bg_centres = _district_centres(syt_bg, "Bắc Giang", bn, "BG")
    if syt_bg.active:
        for unit in [bg_bvdk, bg_ttytdp, *bg_centres.values()]:
            unit.refresh_from_db()
            if unit.parent_id == syt_bg.pk:
                services.move_org_unit(unit, syt_bn, REFORM_DATE)
        syt_bg.refresh_from_db()
        services.retire_org_unit(syt_bg, REFORM_DATE)

    # Thái Nguyên and its central hospital (seed 003).
    syt_tn = _unit("TN-SYT", "Sở Y tế tỉnh Thái Nguyên", "SYT Thái Nguyên", T.DOH, moh, tn)
    _unit(
        "BVTW-TN",
        "Bệnh viện Trung ương Thái Nguyên",
        "BVTW Thái Nguyên",
        T.CENTRAL_HOSPITAL,
        moh,
        _ward(tn, "Phan Đình Phùng") or tn,
        L.SPECIALISED,
        F.CENTRAL,
    )
    _unit(
        "TN-BVA",
        "Bệnh viện A Thái Nguyên",
        "BV A Thái Nguyên",
        T.PROVINCIAL_HOSPITAL,
        syt_tn,
        _ward(tn, "Phan Đình Phùng") or tn,
        L.SPECIALISED,
        F.PROVINCIAL,
    )
    _unit(
        "TN-CDC",
        "Trung tâm Kiểm soát bệnh tật tỉnh Thái Nguyên",
        "CDC Thái Nguyên",
        T.CDC,
        syt_tn,
        tn,
        L.BASIC,
        F.PROVINCIAL,
    )

    # Bắc Kạn (seed 003; merged into Thái Nguyên on 2025-07-01): its general hospital and one
    # health centre per old district sit under Sở Y tế Bắc Kạn until 2025-06-30 and under
    # Sở Y tế Thái Nguyên from 2025-07-01.
    syt_bk = _unit(
        "BK-SYT",
        "Sở Y tế tỉnh Bắc Kạn",
        "SYT Bắc Kạn",
        T.DOH,
        moh,
        _province("Bắc Kạn", AdminEdition.LEGACY),
    )
    bk_bvdk = _unit(
        "BK-BVDK",
        "Bệnh viện Đa khoa tỉnh Bắc Kạn",
        "BVĐK tỉnh Bắc Kạn",
        T.PROVINCIAL_HOSPITAL,
        syt_bk,
        _ward(tn, "Bắc Kạn") or tn,
        L.SPECIALISED,
        F.PROVINCIAL,
    )
    bk_centres = _district_centres(syt_bk, "Bắc Kạn", tn, "BK")
    if syt_bk.active:
        for unit in [bk_bvdk, *bk_centres.values()]:
            unit.refresh_from_db()
            if unit.parent_id == syt_bk.pk:
                services.move_org_unit(unit, syt_tn, REFORM_DATE)
        syt_bk.refresh_from_db()
        services.retire_org_unit(syt_bk, REFORM_DATE)

    # Hồ Chí Minh City and Đắk Nông (seed 002; Đắk Nông merged into Lâm Đồng in 2025).
    syt_hcm = _unit("HCM-SYT", "Sở Y tế Thành phố Hồ Chí Minh", "SYT TP.HCM", T.DOH, moh, hcm)
    _unit(
        "HCM-BVND2",
        "Bệnh viện Nhi Đồng 2",
        "BV Nhi Đồng 2",
        T.SPECIALTY_HOSPITAL,
        syt_hcm,
        _ward(hcm, "Sài Gòn") or hcm,
        L.SPECIALISED,
        F.CENTRAL,
    )
    syt_ld = _unit("LD-SYT", "Sở Y tế tỉnh Lâm Đồng", "SYT Lâm Đồng", T.DOH, moh, ld)
    syt_dn = _unit(
        "DNO-SYT",
        "Sở Y tế tỉnh Đắk Nông",
        "SYT Đắk Nông",
        T.DOH,
        moh,
        _province("Đắk Nông", AdminEdition.LEGACY),
    )
    dn_bvdk = _unit(
        "DNO-BVDK",
        "Bệnh viện Đa khoa tỉnh Đắk Nông",
        "BVĐK tỉnh Đắk Nông",
        T.PROVINCIAL_HOSPITAL,
        syt_dn,
        _ward(ld, "Bắc Gia Nghĩa") or ld,
        L.SPECIALISED,
        F.PROVINCIAL,
    )
    if syt_dn.active:
        services.move_org_unit(dn_bvdk, syt_ld, REFORM_DATE)
        syt_dn.refresh_from_db()
        services.retire_org_unit(syt_dn, REFORM_DATE)

    # Quảng Ninh (seed 000: its preventive-medicine centre's service-vaccine model).
    syt_qn = _unit("QN-SYT", "Sở Y tế tỉnh Quảng Ninh", "SYT Quảng Ninh", T.DOH, moh, qn)
    _unit(
        "QN-TTYTDP",
        "Trung tâm Y tế dự phòng tỉnh Quảng Ninh",
        "TTYTDP Quảng Ninh",
        T.CDC,
        syt_qn,
        _ward(qn, "Hạ Long") or qn,
        L.BASIC,
        F.PROVINCIAL,
    )

    users = _users()
    load_line_direction(users)
    load_people_and_activities()
    load_visits_and_awards()
    if statistics:
        load_statistics()
    accounts = DEMO_USERS + load_vaccination()
    if statistics:
        from doha.reports.demo import load_line_direction_report_demo, load_reports_demo

        load_line_direction_figures()
        load_reports_demo(stdout)  # letterheads and Bắc Ninh's six-month review
        load_line_direction_report_demo(stdout)  # the Thái Nguyên central hospital's report
    return accounts


def load_visits_and_awards():
    """Issue 11's records (seeds 000 and 002): the study tour to Quảng Ninh, the Thái Nguyên
    central hospital's visit to the former Bắc Kạn with its follow-up actions, two
    supervisions of Tiên Du with the same checklist, and the Đắk Nông DOH's two awards."""
    from doha.awards.demo import load_demo_awards
    from doha.checklists.demo import load_demo_checklists
    from doha.visits.demo import load_demo_visits

    load_demo_visits()
    load_demo_checklists()
    load_demo_awards()


def load_line_direction_figures():
    """Issue 11's monthly figures: per-technique cases of the transferred techniques (one
    transfer fell silent) and referrals out by specialty, which rank the technique gaps."""
    from doha.gaps.demo import load_demo_gaps
    from doha.transfers.demo_sustainment import load_demo_sustainment

    load_demo_sustainment()
    load_demo_gaps()


def load_people_and_activities():
    """Issue 4's part of the demo: staff, rotations to Tiên Du, training with CME credit,
    remote consultations with the former Bắc Kạn and seed 003's glove donation."""
    from doha.donations.demo import load_demo_donations
    from doha.people.demo import load_demo_people
    from doha.rotations.demo import load_demo_rotations
    from doha.telehealth.demo import load_demo_telehealth
    from doha.training.demo import load_demo_training

    load_demo_people()
    load_demo_rotations()
    load_demo_training()
    load_demo_telehealth()
    load_demo_donations()


def load_vaccination() -> list:
    """Issue 7's part (seed 000): Quảng Ninh's preventive-medicine centre with two
    vaccination points, a year of stock, visits, a cold-chain excursion, AEFIs and revenue."""
    from doha.aggregate.services_figures import compute_recorded
    from doha.vaccines.demo import DEMO_ACCOUNTS, load_vaccines_demo

    load_vaccines_demo(DEMO_PASSWORD)
    compute_recorded()  # its doses, revenue and AEFIs as data values (needs the metadata)
    return list(DEMO_ACCOUNTS)


def load_statistics():
    """Issue 5's part: the default data set and 36 months of monthly figures in which the
    supported facilities show seed 002's effect and Bắc Ninh's six months are seed 004's size."""
    from doha.aggregate.demo import load_statistics_demo

    load_statistics_demo()


DEMO_USERS = [
    ("admin", "Quản trị", "hệ thống", Role.SYSTEM_ADMIN, None),
    ("syt.bacninh", "Chuyên viên", "Sở Y tế Bắc Ninh", Role.DOH_OFFICER, "BN-SYT"),
    ("cdt.bvdkbacninh", "Phòng Chỉ đạo tuyến", "BVĐK Bắc Ninh", Role.LINE_OFFICER, "BN-BVDK"),
    ("ttyt.tiendu", "Thống kê", "TTYT Tiên Du", Role.DATA_CLERK, "BN-TTYT-TIENDU"),
    ("xem.bacninh", "Lãnh đạo", "Sở Y tế Bắc Ninh", Role.VIEWER, "BN-SYT"),
    ("syt.thainguyen", "Chuyên viên", "Sở Y tế Thái Nguyên", Role.DOH_OFFICER, "TN-SYT"),
    # Seed 003: the central hospital's line-direction office and a former Bắc Kạn centre.
    (
        "cdt.bvtwthainguyen",
        "Phòng Chỉ đạo tuyến",
        "BV Trung ương Thái Nguyên",
        Role.LINE_OFFICER,
        "BVTW-TN",
    ),
    ("ttyt.chomoi", "Thống kê", "TTYT Chợ Mới", Role.DATA_CLERK, "BK-TTYT-CHOMOI"),
]


def _users() -> dict[str, User]:
    """The demo accounts (existing ones are left as they are)."""
    users = {}
    for username, first, last, role, unit_code in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                role=role,
                org_unit=OrgUnit.objects.get(code=unit_code) if unit_code else None,
                is_staff=role == Role.SYSTEM_ADMIN,
                is_superuser=role == Role.SYSTEM_ADMIN,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        users[username] = user
    return users
