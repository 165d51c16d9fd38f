"""Helpers (no tests here) shared by the clients, visits, AEFI, reminders and revenue tests:
on top of ``build_cdc`` (tests/vaccines/factories.py), the people of the vaccination point
and its stock.

``service(cdc)`` gives: a screening doctor at the CDC and a vaccinator at point 1, the
vaccines' prices, and at point 1 two lots of Vaxigrip (the one expiring first is the FEFO
choice), an expired lot, and a Verorab lot; a client (a child with a guardian) and an
adult registered at point 1.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from django.utils import timezone

from doha.people.models import Profession, Sex
from doha.vaccines import clients, revenue, stock, visits
from doha.vaccines.models import Client, InjectionSite, ServicePrice
from tests.people.factories import HealthWorkerFactory
from tests.vaccines.factories import make_lot

D = datetime.date


def base_moment():
    """Now, or 23:59 yesterday in the first two hours of the day: a visit screened an hour
    before and its dose must fall on one day."""
    now = timezone.localtime()
    if now.hour >= 2:
        return now
    return now.replace(hour=0, minute=0, second=0, microsecond=0) - datetime.timedelta(minutes=1)


def ago(minutes):
    return base_moment() - datetime.timedelta(minutes=minutes)


def no_answers(client, on=None):
    """Every question of the client's checklist answered "no"."""
    on = on or timezone.localdate()
    checklist = visits.checklist_for(client.date_of_birth, on)
    return {q.code: False for q in checklist.questions}


def years_ago(years, days=0, today=None):
    today = today or timezone.localdate()
    try:
        day = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        day = today.replace(year=today.year - years, day=28)
    return day - datetime.timedelta(days=days)


def make_client(unit, **kwargs) -> Client:
    values = {
        "full_name": "Nguyễn Văn An",
        "date_of_birth": years_ago(5),
        "sex": Sex.MALE,
        "guardian_name": "Trần Thị Bình",
        "phone": "0912345678",
        "registered_at": unit,
    }
    values.update(kwargs)
    return clients.save_client(Client(**values))


def service(cdc):
    """The people, prices, stock and clients of point 1 (see the module's docstring)."""
    cat = cdc.catalogue
    today = timezone.localdate()
    long_ago = timezone.now() - datetime.timedelta(days=200)
    doctor = HealthWorkerFactory(
        facility=cdc.cdc_unit, full_name="Lê Minh Khám", profession=Profession.DOCTOR
    )
    nurse = HealthWorkerFactory(facility=cdc.point1_unit, full_name="Phạm Thu Tiêm")
    outsider = HealthWorkerFactory(facility=cdc.tn_unit, full_name="Hoàng Văn Ngoài")
    ServicePrice.objects.create(
        org_unit=cdc.cdc_unit,
        source=revenue.ensure_sources()[revenue.VACCINATION],
        code="VX-VAXIGRIP",
        name="Vaxigrip Tetra 0,5 ml",
        vaccine=cat.vaxigrip,
        price=350_000,
        valid_from=today - datetime.timedelta(days=365),
    )
    soon = make_lot(cat.vaxigrip, "VG-SOON", days=40)
    later = make_lot(cat.vaxigrip, "VG-LATER", days=300)
    verorab = make_lot(cat.verorab, "VR-1", days=200)
    expired = make_lot(cat.vaxigrip, "VG-OLD", days=-10)
    yesterday = timezone.now() - datetime.timedelta(days=1)
    for lot, doses in ((soon, 5), (later, 50), (verorab, 20)):
        stock.receive(
            cdc.centre,
            [stock.Line(lot, doses)],
            supplier=cdc.supplier,
            reference="HD1",
            occurred_at=yesterday,
        )
        stock.issue(cdc.centre, cdc.point1, [stock.Line(lot, doses)], occurred_at=yesterday)
    stock.receive(
        cdc.centre,
        [stock.Line(expired, 10)],
        supplier=cdc.supplier,
        reference="HD0",
        occurred_at=long_ago,
    )
    stock.issue(cdc.centre, cdc.point1, [stock.Line(expired, 10)], occurred_at=long_ago)
    child = make_client(cdc.point1_unit)
    adult = make_client(
        cdc.point1_unit,
        full_name="Đỗ Thị Hoa",
        date_of_birth=years_ago(34),
        sex=Sex.FEMALE,
        guardian_name="",
        phone="",
    )
    return SimpleNamespace(
        doctor=doctor,
        nurse=nurse,
        outsider=outsider,
        soon=soon,
        later=later,
        verorab=verorab,
        expired=expired,
        child=child,
        adult=adult,
    )


def screened(cdc, svc, client=None, *, user=None, minutes_ago=60, **answers):
    """An eligible visit (unless ``answers`` say otherwise) at point 1 some minutes ago."""
    client = client or svc.child
    filled = no_answers(client)
    filled.update(answers)
    return visits.screen(
        client,
        cdc.point1,
        answers=filled,
        temperature_c="36.8",
        screened_by=svc.doctor,
        visited_at=ago(minutes_ago),
        user=user,
    )


def vaccinate(cdc, svc, visit, *, lot=None, vaccine=None, minutes_ago=50, user=None):
    lot = lot or svc.soon
    return visits.give_dose(
        visit,
        vaccine=vaccine or lot.vaccine,
        lot=lot,
        site=InjectionSite.LEFT_DELTOID,
        vaccinator=svc.nurse,
        given_at=ago(minutes_ago),
        user=user,
    )
