"""Demo of seed 000: the Quảng Ninh preventive-medicine centre's service vaccination and its
eleven service revenue sources, over the last twelve months.

Under Sở Y tế tỉnh Quảng Ninh, Trung tâm Y tế dự phòng tỉnh Quảng Ninh (QN-TTYTDP) with its
vaccine store and two vaccination points (Hạ Long, Cẩm Phả), each its own unit under the
centre; a catalogue of eight service vaccines with their schedules and prices; monthly
receipts from suppliers and issues to the points; clients (invented names), visits with
screening (some stopped), doses from the points' lots first-expiry-first-out, the
30-minute observation, payments; follow-up doses on their schedule (some due in the coming
days, for the reminders); a cold-chain excursion at Cẩm Phả whose lots were held until the
stability decision; adverse events, two of them serious (one in the last days); the other
service lines' receipts every month; fridge readings of the last two weeks.

The past months are simulated in memory with the services' rules and written in bulk, each
row with its audit entry (``History``): through the services a year takes minutes on
SQLite. The last day, the excursion's holds, the serious events and the write-offs go
through the services, as users record them. The cached stock balances equal the ledger.

Idempotent: nothing is done when the centre already has its vaccine store. Deterministic
(a fixed random seed), relative to today.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from doha.core.permissions import Role
from doha.core.uid import generate_uid
from doha.orgunits import services as orgunit_services
from doha.orgunits.models import AdminEdition, AdminLevel, AdminUnit, FacilityType, OrgUnit
from doha.people import services as people_services
from doha.people.models import HealthWorker, Profession, Sex
from doha.users.models import User
from doha.vaccines import clients, coldchain, revenue, schedule, stock, visits
from doha.vaccines.models import (
    Aefi,
    AefiOutcome,
    AefiSeverity,
    Antigen,
    Client,
    Dose,
    EntryKind,
    EntryReason,
    Fridge,
    HoldDecision,
    InjectionSite,
    Lot,
    PaymentMethod,
    Receipt,
    ReceiptItem,
    Route,
    ScheduleDose,
    ScreeningResult,
    ServicePrice,
    StockBalance,
    StockEntry,
    Store,
    StoreKind,
    Supplier,
    TemperatureReading,
    VaccinationVisit,
    Vaccine,
    VisitStatus,
)

CENTRE_CODE = "QN-TTYTDP"
DOH_CODE = "QN-SYT"
POINTS = [
    ("QN-TTYTDP-HL", "Điểm tiêm chủng dịch vụ Hạ Long", "Điểm tiêm Hạ Long", "Hạ Long"),
    ("QN-TTYTDP-CP", "Điểm tiêm chủng dịch vụ Cẩm Phả", "Điểm tiêm Cẩm Phả", "Cẩm Phả"),
]
DEMO_ACCOUNTS = [
    ("syt.quangninh", "Chuyên viên", "Sở Y tế Quảng Ninh", Role.DOH_OFFICER, DOH_CODE),
    ("ttytdp.quangninh", "Kế toán", "TTYTDP Quảng Ninh", Role.DATA_CLERK, CENTRE_CODE),
    ("diemtiem.halong", "Điều dưỡng", "Điểm tiêm Hạ Long", Role.DATA_CLERK, POINTS[0][0]),
]
SEED = 2016  # the year Bắc Giang came to learn the model

# Antigens: code, name.
ANTIGENS = [
    ("FLU", "Cúm mùa"),
    ("HEPB", "Viêm gan B"),
    ("RAB", "Dại"),
    ("HPV", "Vi rút HPV (ung thư cổ tử cung)"),
    ("VAR", "Thủy đậu"),
    ("MEA", "Sởi"),
    ("MUM", "Quai bị"),
    ("RUB", "Rubella"),
    ("JE", "Viêm não Nhật Bản"),
    ("TYP", "Thương hàn"),
]
# Vaccines: code, name, antigens, manufacturer, country, route, price, weight of demand,
# (min age, max age) of the clients it is given to in years.
VACCINES = [
    (
        "VAXIGRIP",
        "Vaxigrip Tetra",
        ["FLU"],
        "Sanofi Pasteur",
        "Pháp",
        Route.INTRAMUSCULAR,
        356_000,
        30,
        (0.6, 70),
    ),
    (
        "ENGERIX20",
        "Engerix-B 20 mcg",
        ["HEPB"],
        "GSK",
        "Bỉ",
        Route.INTRAMUSCULAR,
        190_000,
        12,
        (18, 60),
    ),
    (
        "VERORAB",
        "Verorab",
        ["RAB"],
        "Sanofi Pasteur",
        "Pháp",
        Route.INTRAMUSCULAR,
        325_000,
        14,
        (2, 70),
    ),
    (
        "GARDASIL",
        "Gardasil",
        ["HPV"],
        "MSD",
        "Hoa Kỳ",
        Route.INTRAMUSCULAR,
        1_790_000,
        10,
        (9, 25.9),
    ),
    ("VARIVAX", "Varivax", ["VAR"], "MSD", "Hoa Kỳ", Route.SUBCUTANEOUS, 1_085_000, 8, (1, 10)),
    (
        "MMR2",
        "M-M-R II",
        ["MEA", "MUM", "RUB"],
        "MSD",
        "Hoa Kỳ",
        Route.SUBCUTANEOUS,
        445_000,
        8,
        (1, 6),
    ),
    (
        "IMOJEV",
        "Imojev",
        ["JE"],
        "Sanofi Pasteur",
        "Thái Lan",
        Route.SUBCUTANEOUS,
        885_000,
        6,
        (1, 8),
    ),
    (
        "TYPHIMVI",
        "Typhim Vi",
        ["TYP"],
        "Sanofi Pasteur",
        "Pháp",
        Route.INTRAMUSCULAR,
        285_000,
        4,
        (2, 55),
    ),
]
# Schedules: vaccine code (or antigen code for "RAB") -> doses (min age, max age,
# min interval, recommended interval) in days.
SCHEDULES = {
    "VAXIGRIP": [(183, None, None, None), (183, 3285, 28, 28)],
    "ENGERIX20": [(0, None, None, None), (0, None, 28, 30), (0, None, 56, 150)],
    "RAB": [
        (0, None, None, None),
        (0, None, 3, 3),
        (0, None, 4, 4),
        (0, None, 7, 7),
        (0, None, 14, 14),
    ],
    "GARDASIL": [(3285, 9490, None, None), (3285, None, 28, 60), (3285, None, 84, 120)],
    "VARIVAX": [(365, None, None, None), (365, None, 84, 90)],
    "MMR2": [(365, None, None, None), (365, None, 28, 90)],
    "IMOJEV": [(270, None, None, None), (270, None, 365, 365)],
    "TYPHIMVI": [(730, None, None, None)],
}
SUPPLIERS = ["Công ty TNHH Phân phối Vắc xin Miền Bắc", "Công ty CP Sinh phẩm Đông Bắc"]
# Other service lines: source code -> [(code, service, price, receipts a month)].
SERVICES = {
    "clinic": [("KB-NOI", "Khám nội tổng quát", 150_000, 40), ("KB-NHI", "Khám nhi", 150_000, 25)],
    "laboratory": [
        ("XN-CTM", "Xét nghiệm công thức máu", 80_000, 30),
        ("XN-HBSAG", "Xét nghiệm HBsAg", 90_000, 20),
    ],
    "imaging": [("CD-SA", "Siêu âm ổ bụng tổng quát", 200_000, 20)],
    "environment": [("QT-MT", "Quan trắc môi trường (gói định kỳ)", 8_500_000, 1)],
    "occupational": [
        ("QT-MTLD", "Quan trắc môi trường lao động", 12_000_000, 1),
        ("BNN", "Khám phát hiện bệnh nghề nghiệp", 350_000, 30),
    ],
    "health_check": [("KSK-LX", "Khám sức khỏe lái xe", 300_000, 20)],
    "food_water": [("KN-NUOC", "Kiểm nghiệm mẫu nước sinh hoạt", 1_250_000, 3)],
    "disinfection": [("DCT", "Phun diệt côn trùng, khử khuẩn (100 m²)", 1_500_000, 2)],
    "quarantine": [("KD-TAU", "Kiểm dịch y tế tàu thuyền xuất nhập cảnh", 2_000_000, 3)],
    "training": [("TH-SCC", "Tập huấn sơ cấp cứu cho doanh nghiệp", 5_000_000, 1)],
}
PAYERS = [
    "Công ty Than Hạ Long",
    "Công ty CP Cảng Quảng Ninh",
    "Công ty TNHH Thủy sản Vân Đồn",
    "Khách sạn Biển Xanh",
    "Trường THPT Hòn Gai",
    "Khách lẻ",
]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Phan"]
MIDDLE = {
    Sex.FEMALE: ["Thị", "Thu", "Ngọc", "Minh", "Hồng"],
    Sex.MALE: ["Văn", "Đức", "Minh", "Quang"],
}
GIVEN = {
    Sex.FEMALE: ["Hà", "Lan", "Hương", "Mai", "Trang", "Thảo", "Linh", "Yến", "Nhi", "Vy"],
    Sex.MALE: ["Hùng", "Dũng", "Tuấn", "Long", "Hải", "Nam", "Sơn", "Khôi", "Minh", "Phúc"],
}
STAFF = [
    # (unit index: 0 centre, 1 Hạ Long, 2 Cẩm Phả), name, sex, profession, title, position
    (0, "Vũ Thị Thanh Hương", Sex.FEMALE, Profession.DOCTOR, "BSCKI", "Bác sĩ khám sàng lọc"),
    (0, "Nguyễn Đức Hải", Sex.MALE, Profession.DOCTOR, "BS", "Bác sĩ khám sàng lọc"),
    (1, "Trần Thị Mai", Sex.FEMALE, Profession.NURSE, "CNĐD", "Điều dưỡng tiêm chủng"),
    (1, "Phạm Thu Trang", Sex.FEMALE, Profession.NURSE, "ĐD", "Điều dưỡng tiêm chủng"),
    (2, "Lê Thị Yến", Sex.FEMALE, Profession.NURSE, "ĐD", "Điều dưỡng tiêm chủng"),
    (2, "Hoàng Văn Long", Sex.MALE, Profession.PHYSICIAN_ASSISTANT, "YS", "Y sĩ tiêm chủng"),
]
DAYS = 365
VISITS_PER_DAY = 1.0  # first doses a point gives on a working day, on average
LIVE_DAYS = 1  # the last day recorded through the services


_serials = iter(range(1, 10**9))


@dataclass
class Planned:
    moment: datetime.datetime
    point: int
    client: Client
    vaccine: Vaccine
    follow_up: bool = False
    serial: int = field(default_factory=lambda: next(_serials))


def _aware(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _unit(code, name, short_name, facility_type, parent, admin_unit) -> OrgUnit:
    existing = OrgUnit.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return orgunit_services.create_org_unit(
        OrgUnit(
            code=code,
            name=name,
            short_name=short_name,
            facility_type=facility_type,
            parent=parent,
            admin_unit=admin_unit,
            opening_date=datetime.date(2010, 1, 1),
        )
    )


def _units():
    province = AdminUnit.objects.filter(
        edition=AdminEdition.CURRENT, level=AdminLevel.PROVINCE, short_name="Quảng Ninh"
    ).first()

    def ward(name):
        if province is None:
            return None
        return (
            AdminUnit.objects.filter(
                edition=AdminEdition.CURRENT,
                level=AdminLevel.COMMUNE,
                province_code=province.code,
                short_name=name,
            ).first()
            or province
        )

    moh = _unit("BYT", "Bộ Y tế", "BYT", FacilityType.MINISTRY, None, None)
    doh = _unit(
        DOH_CODE, "Sở Y tế tỉnh Quảng Ninh", "SYT Quảng Ninh", FacilityType.DOH, moh, province
    )
    centre = _unit(
        CENTRE_CODE,
        "Trung tâm Y tế dự phòng tỉnh Quảng Ninh",
        "TTYTDP Quảng Ninh",
        FacilityType.CDC,
        doh,
        ward("Hạ Long"),
    )
    points = [
        _unit(code, name, short, FacilityType.CDC, centre, ward(place))
        for code, name, short, place in POINTS
    ]
    return doh, centre, points


def _accounts(password: str) -> dict[str, User]:
    users = {}
    for username, first, last, role, unit_code in DEMO_ACCOUNTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                role=role,
                org_unit=OrgUnit.objects.get(code=unit_code),
            )
            user.set_password(password)
            user.save()
        users[username] = user
    return users


def _catalogue() -> dict[str, Vaccine]:
    antigens = {}
    for code, name in ANTIGENS:
        antigens[code] = Antigen.objects.filter(code=code).first() or Antigen.objects.create(
            code=code, name=name
        )
    vaccines = {}
    for code, name, codes, maker, country, route, price, _w, _ages in VACCINES:
        vaccine = Vaccine.objects.filter(code=code).first()
        if vaccine is None:
            vaccine = Vaccine.objects.create(
                code=code,
                name=name,
                manufacturer=maker,
                country=country,
                route=route,
                price=price,
                dose_volume_ml="0.50",
            )
            vaccine.antigens.set([antigens[c] for c in codes])
        vaccines[code] = vaccine
    for key, doses in SCHEDULES.items():
        owner = {"antigen": antigens[key]} if key in antigens else {"vaccine": vaccines[key]}
        if ScheduleDose.objects.filter(**owner).exists():
            continue
        for number, (min_age, max_age, interval, recommended) in enumerate(doses, start=1):
            ScheduleDose.objects.create(
                dose_number=number,
                min_age_days=min_age,
                max_age_days=max_age,
                min_interval_days=interval,
                recommended_interval_days=recommended,
                **owner,
            )
    return vaccines


def _staff(units) -> tuple[list[HealthWorker], list[list[HealthWorker]]]:
    workers = []
    for number, (index, name, sex, profession, title, position) in enumerate(STAFF, start=1):
        licence = f"{number:06d}/QN-CCHN-DEMO"
        worker = HealthWorker.objects.filter(licence_number=licence).first()
        if worker is None:
            worker = people_services.create_worker(
                HealthWorker(
                    facility=units[index],
                    full_name=name,
                    sex=sex,
                    profession=profession,
                    title=title,
                    position=position,
                    licence_number=licence,
                    birth_date=datetime.date(1980 + number, number, 10 + number),
                )
            )
        workers.append(worker)
    doctors = [w for w in workers if w.facility_id == units[0].pk]
    nurses = [[w for w in workers if w.facility_id == units[i].pk] for i in (1, 2)]
    return doctors, nurses


def _name(rng: random.Random, sex: str) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"


def _client(rng, unit, day, ages, serial, sex=None) -> Client:
    low, high = ages
    age_days = int(rng.uniform(low, high) * 365.25)
    dob = day - datetime.timedelta(days=max(age_days, 190))
    sex = sex or rng.choice([Sex.FEMALE, Sex.MALE])
    child = clients.is_child(dob, day)
    phone = f"09{rng.randint(10, 99)}{serial:06d}"
    client = Client(
        full_name=_name(rng, sex),
        date_of_birth=dob,
        sex=sex,
        guardian_name=_name(rng, rng.choice([Sex.FEMALE, Sex.MALE])) if child else "",
        phone=phone if child or rng.random() < 0.7 else "",
        address=f"Tổ {rng.randint(1, 60)}, khu {rng.randint(1, 12)}",
        registered_at=unit,
    )
    return client


def _plan(rng, vaccines, points, start, end) -> list[Planned]:
    """Every visit of the year: first doses on working days, and the rest of each series on
    its schedule (a few days late now and then; some clients never come back)."""
    weights = [v[-2] for v in VACCINES]
    codes = [v[0] for v in VACCINES]
    ages = {v[0]: v[-1] for v in VACCINES}
    book = schedule.ScheduleBook()
    plan = []
    serial = 0
    day = start
    while day < end:
        if day.weekday() < 6:  # Monday to Saturday
            for point_index, unit in enumerate(points):
                count = int(VISITS_PER_DAY) + (rng.random() < VISITS_PER_DAY % 1)
                for _n in range(count):
                    serial += 1
                    code = rng.choices(codes, weights)[0]
                    vaccine = vaccines[code]
                    sex = Sex.FEMALE if code == "GARDASIL" else None
                    client = _client(rng, unit, day, ages[code], serial, sex)
                    hour = rng.choice([7, 8, 9, 10, 13, 14, 15])
                    moment = _aware(day, hour, rng.randrange(0, 50, 5))
                    plan.append(Planned(moment, point_index, client, vaccine))
                    series = book.series_for(vaccine)
                    if series:
                        plan += _follow_ups(
                            rng, series[0], client, point_index, vaccine, moment, end
                        )
        day += datetime.timedelta(days=1)
    return sorted(plan, key=lambda p: (p.moment, p.point, p.serial))


def _follow_ups(rng, series, client, point_index, vaccine, first, end) -> list[Planned]:
    given = [first.date()]
    found = []
    while True:
        forecast = schedule.evaluate(series, client.date_of_birth, given, given[-1])
        if forecast.due is None or forecast.status == schedule.Status.AGED_OUT:
            return found
        late = rng.choice([0, 0, 0, 1, 2, 9]) if (forecast.due - given[-1]).days > 20 else 0
        day = forecast.due + datetime.timedelta(days=late)
        if day.weekday() == 6:
            day += datetime.timedelta(days=1)
        if forecast.latest is not None and day > forecast.latest:
            return found
        if day >= end or rng.random() < 0.08:
            return found  # not yet due, or the client did not come back
        moment = _aware(day, first.hour, first.minute)
        found.append(Planned(moment, point_index, client, vaccine, True))
        given.append(day)


def _month_starts(start: datetime.date, end: datetime.date):
    month = start.replace(day=1)
    while month < end:
        yield month
        month = (month + datetime.timedelta(days=32)).replace(day=1)


def _lot(vaccine: Vaccine, day: datetime.date) -> Lot:
    """The lot a receipt of ``day`` brings: one per vaccine and quarter, 14 months' shelf
    life from the quarter's start (the oldest are close to expiry now)."""
    quarter = (day.month - 1) // 3
    quarter_start = datetime.date(day.year, quarter * 3 + 1, 1)
    expiry = (quarter_start + datetime.timedelta(days=14 * 30.5)).replace(day=28)
    number = f"{vaccine.code[:3]}{day:%y}{quarter + 1}{vaccine.pk % 97:02d}"
    return stock.find_or_create_lot(vaccine, number, expiry)


def _answers(client, day, rng, follow_up):
    checklist = visits.checklist_for(client.date_of_birth, day)
    answers = {q.code: False for q in checklist.questions}
    temperature = Decimal(str(round(rng.uniform(36.2, 37.3), 1)))
    roll = rng.random()
    if not follow_up:
        if roll < 0.035:
            temperature = Decimal(str(round(rng.uniform(38.1, 39.0), 1)))  # fever: postponed
        elif roll < 0.045:
            answers["acute_illness"] = True
        elif roll < 0.05 and "anaphylaxis" in answers:
            answers["anaphylaxis"] = True
    return checklist, answers, temperature


# --------------------------------------------------------------------------------------------
# The year's history, simulated in memory and written in bulk (with its audit entries)
# --------------------------------------------------------------------------------------------


class History:
    """The ledger, visits and receipts of the past months, built in memory with the same
    rules as the services (FEFO from the points' stock, the schedule's dose numbers, one
    receipt per visit at the unit's price), then written in one go: a year of a centre's
    activity through the services would take minutes on SQLite. Each row gets its audit
    entry ("created", via demo)."""

    def __init__(self, rng, centre, points, doctors, nurses, suppliers, prices, sources):
        self.rng = rng
        self.centre, self.points = centre, points
        self.doctors, self.nurses = doctors, nurses
        self.suppliers = suppliers
        self.prices = prices  # vaccine pk -> ServicePrice
        self.sources = sources
        self.book = schedule.ScheduleBook()
        self.balance: dict[tuple[int, int], int] = defaultdict(int)
        self.lots: dict[int, list[Lot]] = defaultdict(list)
        self.given: dict[tuple[int, str], list[datetime.date]] = defaultdict(list)
        self.numbers: dict[tuple[int, str, int], int] = defaultdict(int)
        self.clients: list[Client] = []
        self.visits: list[VaccinationVisit] = []
        self.doses: list[Dose] = []
        self.entries: list[StockEntry] = []
        self.receipts: list[Receipt] = []
        self.items: list[ReceiptItem] = []
        self.aefis: list[Aefi] = []
        self.seen_clients: set[int] = set()
        self.counts = defaultdict(int)

    # Stock ---------------------------------------------------------------------------------
    def _entry(self, store, lot, kind, quantity, moment, movement, **extra):
        self.balance[(store.pk, lot.pk)] += quantity
        self.entries.append(
            StockEntry(
                store=store,
                lot=lot,
                kind=kind,
                quantity=quantity,
                occurred_at=moment,
                movement=movement,
                **extra,
            )
        )

    def receive(self, vaccine, lot, quantity, moment, reference):
        if lot not in self.lots[vaccine.pk]:
            self.lots[vaccine.pk].append(lot)
            self.lots[vaccine.pk].sort(key=lambda x: (x.expiry_date, x.lot_number))
        supplier = self.suppliers[vaccine.pk % len(self.suppliers)]
        self._entry(
            self.centre,
            lot,
            EntryKind.RECEIPT,
            quantity,
            moment,
            generate_uid(),
            supplier=supplier,
            reference=reference,
        )
        self.counts["stock_receipts"] += 1

    def fefo(self, store, vaccine, day):
        for lot in self.lots[vaccine.pk]:
            if lot.expiry_date >= day and self.balance[(store.pk, lot.pk)] > 0:
                yield lot

    def issue(self, point, vaccine, quantity, moment):
        movement = generate_uid()
        for lot in list(self.fefo(self.centre, vaccine, moment.date())):
            take = min(quantity, self.balance[(self.centre.pk, lot.pk)])
            if take <= 0:
                continue
            common = {"reference": f"PX {moment:%m%y}", "note": ""}
            self._entry(
                self.centre,
                lot,
                EntryKind.ISSUE,
                -take,
                moment,
                movement,
                counterpart=point,
                **common,
            )
            self._entry(
                point,
                lot,
                EntryKind.RECEIPT,
                take,
                moment,
                movement,
                counterpart=self.centre,
                **common,
            )
            quantity -= take
            if not quantity:
                break
        self.counts["stock_issues"] += 1

    def lots_at(self, store) -> list[Lot]:
        return [
            lot
            for lots in self.lots.values()
            for lot in lots
            if self.balance[(store.pk, lot.pk)] > 0
        ]

    # Visits --------------------------------------------------------------------------------
    def number(self, unit, prefix, day) -> str:
        key = (unit.pk, prefix, day.year)
        self.numbers[key] += 1
        return f"{prefix}{day.year}-{self.numbers[key]:06d}"

    def visit(self, item: Planned) -> Dose | None:
        rng = self.rng
        client = item.client
        if id(client) not in self.seen_clients:
            self.seen_clients.add(id(client))
            self.clients.append(client)
        day = item.moment.date()
        series = self.book.series_for(item.vaccine)
        key = (id(client), series[0].key if series else item.vaccine.code)
        if series:
            forecast = schedule.evaluate(series[0], client.date_of_birth, self.given[key], day)
            if forecast.status not in (schedule.Status.DUE, schedule.Status.OVERDUE):
                self.counts["not_due"] += 1
                return None
            number, schedule_dose = forecast.dose_number, forecast.next_dose
        else:
            number, schedule_dose = len(self.given[key]) + 1, None
        store = self.points[item.point]
        checklist, answers, temperature = _answers(client, day, rng, item.follow_up)
        assessment = visits.assess(checklist, answers, temperature)
        visit = VaccinationVisit(
            client=client,
            store=store,
            visited_at=item.moment,
            checklist=checklist.code,
            screening_answers=assessment.answers,
            temperature_c=temperature,
            screening_result=assessment.result,
            screened_by=rng.choice(self.doctors),
            status=VisitStatus.STOPPED,
        )
        self.visits.append(visit)
        if assessment.result != ScreeningResult.ELIGIBLE:
            self.counts["stopped"] += 1
            return None
        lot = next(self.fefo(store, item.vaccine, day), None)
        if lot is None:
            visit.screening_note = "Hết vắc xin tại điểm tiêm: hẹn lại."
            visit.status = VisitStatus.STOPPED
            self.counts["no_stock"] += 1
            return None
        given_at = item.moment + datetime.timedelta(minutes=rng.randint(8, 15))
        infant = clients.age_in_months(client.date_of_birth, day) < 12
        dose = Dose(
            visit=visit,
            vaccine=item.vaccine,
            lot=lot,
            dose_number=number,
            schedule_dose=schedule_dose,
            site=InjectionSite.LEFT_THIGH if infant else InjectionSite.LEFT_DELTOID,
            route=item.vaccine.route,
            given_at=given_at,
        )
        self.doses.append(dose)
        self.given[key].append(day)
        visit.status = VisitStatus.COMPLETED
        visit.vaccinator = rng.choice(self.nurses[item.point])
        visit.observation_started_at = given_at
        visit.observation_ended_at = given_at + datetime.timedelta(minutes=rng.randint(30, 40))
        self._entry(
            store,
            lot,
            EntryKind.ADMINISTERED,
            -1,
            given_at,
            generate_uid(),
            dose=dose,
            reference=visit.uid,
        )
        price = self.prices[item.vaccine.pk]
        receipt = Receipt(
            org_unit=store.org_unit,
            store=store,
            number=self.number(store.org_unit, "VX", day),
            date=day,
            source=self.sources[revenue.VACCINATION],
            client=client,
            visit=visit,
            payer_name=client.guardian_name or client.full_name,
            amount=price.price,
            payment_method=rng.choice(
                [PaymentMethod.CASH] * 3 + [PaymentMethod.TRANSFER, PaymentMethod.EWALLET]
            ),
        )
        self.receipts.append(receipt)
        self.items.append(
            ReceiptItem(
                receipt=receipt,
                price=price,
                dose=dose,
                description=f"{item.vaccine.name}, mũi {number}, lô {lot.lot_number}",
                quantity=1,
                unit_price=price.price,
                amount=price.price,
            )
        )
        if rng.random() < 0.03:
            self.aefis.append(
                Aefi(
                    dose=dose,
                    onset_at=given_at + datetime.timedelta(hours=rng.randint(2, 20)),
                    severity=AefiSeverity.COMMON,
                    symptoms=rng.choice(
                        ["Sốt 38,2 °C, quấy khóc", "Sưng đỏ, đau tại chỗ tiêm", "Mệt, đau đầu nhẹ"]
                    ),
                    treatment="Hạ sốt, chườm mát, theo dõi tại nhà",
                    outcome=AefiOutcome.RECOVERED,
                )
            )
        self.counts["doses"] += 1
        return dose

    def other_revenue(self, unit, service_prices, first, last):
        """The receipts of the other service lines between two days (a small service is
        billed in weekly batches: up to four receipts a month a line)."""
        days = (last - first).days
        if days <= 0:
            return
        found = []
        for code, prices in service_prices.items():
            for price, (_c, _n, _p, per_month) in zip(prices, SERVICES[code], strict=True):
                batches = min(per_month, 4)
                for _b in range(batches):
                    quantity = max(1, round(per_month / batches * self.rng.uniform(0.7, 1.3)))
                    day = first + datetime.timedelta(days=self.rng.randrange(days))
                    found.append((day, code, price, quantity))
        for day, code, price, quantity in sorted(found, key=lambda f: (f[0], f[1])):
            receipt = Receipt(
                org_unit=unit,
                number=self.number(unit, "DV", day),
                date=day,
                source=self.sources[code],
                payer_name=self.rng.choice(PAYERS),
                amount=price.price * quantity,
                payment_method=self.rng.choice([PaymentMethod.CASH, PaymentMethod.TRANSFER]),
            )
            self.receipts.append(receipt)
            self.items.append(
                ReceiptItem(
                    receipt=receipt,
                    price=price,
                    description=price.name,
                    quantity=quantity,
                    unit_price=price.price,
                    amount=price.price * quantity,
                )
            )
            self.counts["receipts_other"] += 1

    # Writing -------------------------------------------------------------------------------
    def write(self):
        for client in self.clients:
            client.normalize_text_fields()
            client.search_text = client.compute_search_text()
        groups = [
            self.clients,
            self.visits,
            self.doses,
            self.entries,
            self.receipts,
            self.items,
            self.aefis,
        ]
        for objects in groups:
            if objects:
                type(objects[0]).objects.bulk_create(objects, batch_size=500)
        StockBalance.objects.bulk_create(
            [
                StockBalance(store_id=store, lot_id=lot, quantity=quantity)
                for (store, lot), quantity in self.balance.items()
            ],
            batch_size=500,
        )
        log_created([o for objects in groups for o in objects])


def log_created(objects) -> None:
    """The audit entries of rows written in bulk (the signals do not see a bulk insert):
    one "created" entry a row, with the values of the columns the audit log keeps."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    now = timezone.now()
    columns: dict[type, tuple] = {}
    entries = []
    for obj in objects:
        model = type(obj)
        if model not in columns:
            skip = {"created", "last_updated", *getattr(model, "audit_exclude", [])}
            fields = [f for f in model._meta.concrete_fields if f.name not in skip]
            columns[model] = (ContentType.objects.get_for_model(model), fields)
        content_type, fields = columns[model]
        changes = {}
        for f in fields:
            value = getattr(obj, f.attname)
            if value is not None and value != "":
                changes[f.name] = ["None", str(value)]
        entries.append(
            LogEntry(
                content_type=content_type,
                object_pk=str(obj.pk),
                object_id=obj.pk,
                object_repr=str(obj)[:200],
                action=LogEntry.Action.CREATE,
                changes=changes,
                timestamp=now,
                additional_data={"via": "demo"},
            )
        )
    LogEntry.objects.bulk_create(entries, batch_size=1000)


# --------------------------------------------------------------------------------------------
# The loader
# --------------------------------------------------------------------------------------------


@transaction.atomic
def load_vaccines_demo(password: str = "doha@2026", today: datetime.date | None = None) -> dict:
    """Build the demo (see the module's docstring); returns what was created."""
    if Store.objects.filter(org_unit__code=CENTRE_CODE, kind=StoreKind.CENTRE).exists():
        return {"created": False}
    rng = random.Random(SEED)
    today = today or timezone.localdate()
    start = today - datetime.timedelta(days=DAYS)
    # The last days go through the services, as a user would record them.
    live_from = today - datetime.timedelta(days=LIVE_DAYS)
    _doh, centre_unit, point_units = _units()
    _accounts(password)
    vaccines = _catalogue()
    doctors, nurses = _staff([centre_unit, *point_units])
    sources = revenue.ensure_sources()

    centre = Store.objects.create(
        org_unit=centre_unit,
        name="Kho vắc xin TTYTDP Quảng Ninh",
        kind=StoreKind.CENTRE,
        address="Phường Hồng Hải, Hạ Long",
    )
    points = [
        Store.objects.create(
            org_unit=unit, name=short, kind=StoreKind.POINT, supplied_by=centre, address=place
        )
        for unit, (_c, _n, short, place) in zip(point_units, POINTS, strict=True)
    ]
    fridges = [
        Fridge.objects.create(store=store, name=name, model_name=model, logger_serial=serial)
        for store, name, model, serial in (
            (centre, "Tủ lạnh bảo quản vắc xin số 1", "Vestfrost MK 304", "LOG-QN-001"),
            (points[0], "Tủ lạnh điểm tiêm Hạ Long", "Haier HBC-260", "LOG-QN-011"),
            (points[1], "Tủ lạnh điểm tiêm Cẩm Phả", "Haier HBC-260", "LOG-QN-021"),
        )
    ]
    suppliers = [Supplier.objects.create(org_unit=centre_unit, name=n) for n in SUPPLIERS]
    price_from = start - datetime.timedelta(days=30)
    vaccine_prices = {
        vaccine.pk: ServicePrice.objects.create(
            org_unit=centre_unit,
            source=sources[revenue.VACCINATION],
            code=f"VX-{vaccine.code}",
            name=vaccine.name,
            vaccine=vaccine,
            price=vaccine.price,
            valid_from=price_from,
        )
        for vaccine in vaccines.values()
    }
    service_prices = {
        code: [
            ServicePrice.objects.create(
                org_unit=centre_unit,
                source=sources[code],
                code=service_code,
                name=name,
                price=price,
                valid_from=price_from,
            )
            for service_code, name, price, _n in lines
        ]
        for code, lines in SERVICES.items()
    }

    plan = _plan(rng, vaccines, point_units, start, today)
    needs = defaultdict(int)
    for item in plan:
        needs[(item.moment.year, item.moment.month, item.point, item.vaccine.pk)] += 1
    history = History(rng, centre, points, doctors, nurses, suppliers, vaccine_prices, sources)
    excursion_day = start + datetime.timedelta(days=200)
    excursion_lots = []
    live = [item for item in plan if item.moment.date() >= live_from]
    past = iter(item for item in plan if item.moment.date() < live_from)
    pending = next(past, None)
    serious_day = start + datetime.timedelta(days=150)
    serious_dose = None
    for month in _month_starts(start, today):
        first_day = max(month, start)
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        # The month's vaccine: received at the centre, issued to the points at 6:00.
        moment = _aware(first_day, 6, 0)
        for vaccine in vaccines.values():
            per_point = [needs[(month.year, month.month, p, vaccine.pk)] for p in range(2)]
            if not sum(per_point):
                continue
            history.receive(
                vaccine,
                _lot(vaccine, first_day),
                sum(per_point) + 6,
                moment,
                f"HĐ {first_day:%m%y}-{vaccine.code}",
            )
            for index, quantity in enumerate(per_point):
                if quantity:
                    history.issue(
                        points[index],
                        vaccine,
                        quantity + 2,
                        moment + datetime.timedelta(minutes=30),
                    )
        while pending is not None and pending.moment.date() < following:
            if pending.moment.date() > excursion_day and not excursion_lots:
                excursion_lots = history.lots_at(points[1])
            dose = history.visit(pending)
            if dose is not None and serious_dose is None and dose.given_at.date() >= serious_day:
                serious_dose = dose
            pending = next(past, None)
        history.other_revenue(centre_unit, service_prices, first_day, min(following, today))
    history.write()
    counts = dict(history.counts)

    # The cold-chain excursion at Cẩm Phả (its lots of that day held, then released).
    _excursion(fridges[2], excursion_day, excursion_lots)
    counts["held_lots"] = len(excursion_lots)
    # A serious event months ago, followed up to recovery.
    aefi = visits.record_aefi(
        serious_dose,
        onset_at=serious_dose.given_at + datetime.timedelta(minutes=12),
        severity=AefiSeverity.SERIOUS,
        symptoms="Khó thở, nổi mề đay toàn thân, mạch nhanh, huyết áp tụt (phản vệ độ II)",
        treatment="Adrenalin 1/1000 tiêm bắp theo phác đồ, thở oxy, chuyển Bệnh viện Bãi Cháy",
        outcome=AefiOutcome.HOSPITALISED,
    )
    visits.update_aefi(
        aefi,
        severity=AefiSeverity.SERIOUS,
        outcome=AefiOutcome.RECOVERED,
        treatment=aefi.treatment + "; ra viện sau 3 ngày",
    )
    # The last days, through the services; the first of their doses has a serious event.
    for index, item in enumerate(live):
        outcome = _live_visit(item, points, doctors, nurses, rng, serious=index == 0)
        counts[outcome] = counts.get(outcome, 0) + 1
    # A broken vial and an opened-vial loss, written off with their reason.
    for store, reason, note in (
        (points[0], EntryReason.BROKEN, "Lọ vắc xin bị vỡ khi lấy ra khỏi tủ"),
        (points[1], EntryReason.OPENED_VIAL, "Hủy phần còn lại của lọ đã mở"),
    ):
        balance = store.balances.filter(quantity__gt=1).select_related("lot").first()
        if balance is not None:
            stock.adjust(store, balance.lot, -1, reason, note=note)
    _recent_readings(fridges, today)
    return {"created": True, **counts}


def _live_visit(item: Planned, points, doctors, nurses, rng, serious=False) -> str:
    """A visit through the services: screening, dose, observation (and payment)."""
    point = points[item.point]
    day = item.moment.date()
    if item.client.pk is None:
        clients.save_client(item.client)
    try:
        schedule.check_dose(item.client, item.vaccine, day)
    except ValidationError:
        return "not_due"  # came back too early: sent home without a visit
    checklist, answers, temperature = _answers(item.client, day, rng, True)
    visit = visits.screen(
        item.client,
        point,
        answers=answers,
        temperature_c=temperature,
        screened_by=rng.choice(doctors),
        visited_at=item.moment,
    )
    suggestions, _missing = stock.suggest_lots(point, item.vaccine, 1, day)
    if not suggestions:
        return "no_stock"
    given_at = item.moment + datetime.timedelta(minutes=10)
    dose = visits.give_dose(
        visit,
        vaccine=item.vaccine,
        lot=suggestions[0].lot,
        site=InjectionSite.LEFT_DELTOID,
        vaccinator=rng.choice(nurses[item.point]),
        given_at=given_at,
    )
    visits.close_observation(visit, ended_at=given_at + datetime.timedelta(minutes=32))
    if serious:
        visits.record_aefi(
            dose,
            onset_at=given_at + datetime.timedelta(hours=6),
            severity=AefiSeverity.SERIOUS,
            symptoms="Sốt cao 39,5 °C, co giật toàn thân 2 phút",
            treatment="Hạ sốt, cắt cơn giật, nhập viện theo dõi",
            outcome=AefiOutcome.HOSPITALISED,
        )
    return "completed_live"


def _excursion(fridge, day, lots):
    """A power cut at Cẩm Phả: 9,6 °C at 14:00; the lots there that day go on hold, the
    centre confirms their stability with the manufacturer's data and releases them."""
    readings = {}
    for hour, temperature in ((8, "4.8"), (14, "9.6"), (17, "5.2")):
        reading = TemperatureReading(
            fridge=fridge,
            recorded_at=_aware(day, hour),
            temperature_c=Decimal(temperature),
            excursion=coldchain.is_excursion(fridge, Decimal(temperature)),
            note="Mất điện 2 giờ, máy phát khởi động chậm" if temperature == "9.6" else "",
        )
        reading.save()
        readings[hour] = reading
    excursion = readings[14]
    for lot in lots:
        hold, _new = coldchain.put_on_hold(
            fridge.store,
            lot,
            reason=coldchain._excursion_reason(excursion),
            started_at=excursion.recorded_at,
            fridge=fridge,
            excursion=excursion,
        )
        coldchain.decide_hold(
            hold,
            HoldDecision.USE,
            note="Nhiệt độ vượt 8 °C dưới 3 giờ; dữ liệu ổn định nhiệt của nhà sản xuất cho "
            "phép tiếp tục sử dụng (VVM giai đoạn 1).",
        )


def _recent_readings(fridges, today):
    """Twice-daily readings of the last two weeks, all within 2-8 °C."""
    rng = random.Random(SEED + 1)
    readings = [
        TemperatureReading(
            fridge=fridge,
            recorded_at=_aware(today - datetime.timedelta(days=back), hour),
            temperature_c=Decimal(f"{rng.uniform(3.2, 6.4):.1f}"),
        )
        for back in range(14, 0, -1)
        for fridge in fridges
        for hour in (8, 15)
    ]
    TemperatureReading.objects.bulk_create(readings)
    log_created(readings)
