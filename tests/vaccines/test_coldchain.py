"""Cold chain: readings, excursions, holds and decisions; logger files of several shapes."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import Workbook

from doha.vaccines import coldchain, stock
from doha.vaccines.models import (
    EntryKind,
    EntryReason,
    HoldDecision,
    LotHold,
    ReadingSource,
    StockEntry,
    TemperatureReading,
)
from tests.vaccines.factories import make_lot, stock_up


def at(hours_ago: float) -> datetime.datetime:
    return timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(hours=hours_ago)


def csv_file(text: str, name="logger.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def local(moment, fmt):
    return timezone.localtime(moment).strftime(fmt)


@pytest.fixture
def stocked(cdc):
    """Two lots at the centre, one at point 1."""
    a = make_lot(cdc.catalogue.vaxigrip, "FLU-A")
    b = make_lot(cdc.catalogue.bcg, "BCG-B")
    stock_up(cdc, a, 30)
    stock_up(cdc, b, 20)
    stock_up(cdc, make_lot(cdc.catalogue.verorab, "RAB-P"), 5, store=cdc.point1)
    return a, b


def test_reading_inside_the_range_holds_nothing(cdc, stocked):
    reading = coldchain.record_reading(cdc.centre_fridge, at(1), Decimal("4.5"), user=cdc.cdc_clerk)
    assert not reading.excursion
    assert reading.recorded_by == cdc.cdc_clerk
    assert not LotHold.objects.exists()


def test_excursion_holds_every_lot_of_the_store_until_decided(cdc, stocked):
    a, b = stocked
    reading = coldchain.record_reading(cdc.centre_fridge, at(2), Decimal("11.3"))
    assert reading.excursion
    holds = LotHold.objects.filter(store=cdc.centre)
    assert {h.lot.lot_number for h in holds} == {"FLU-A", "BCG-B"}
    assert all(h.excursion == reading and h.fridge == cdc.centre_fridge for h in holds)
    assert "11,3 °C" in holds[0].reason and "(allowed 2,0–8,0 °C)" in holds[0].reason
    # Point 1's lot is in another store: not held.
    assert not LotHold.objects.filter(store=cdc.point1).exists()
    # Held lots cannot leave the store nor be given.
    with pytest.raises(ValidationError) as exc:
        stock.issue(cdc.centre, cdc.point1, [stock.Line(a, 1)])
    assert "on hold" in str(exc.value)
    # A second excursion joins the open holds.
    coldchain.record_reading(cdc.centre_fridge, at(1), Decimal("-0.5"))
    assert holds.count() == 2


def test_decision_use_releases_discard_writes_off(cdc, stocked, users):
    a, b = stocked
    coldchain.record_reading(cdc.centre_fridge, at(2), Decimal("9"))
    hold_a = LotHold.objects.get(lot=a)
    hold_b = LotHold.objects.get(lot=b)
    with pytest.raises(ValidationError) as exc:
        coldchain.decide_hold(hold_a, HoldDecision.USE, user=cdc.cdc_clerk, note="")
    assert "decision_note" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        coldchain.decide_hold(hold_a, HoldDecision.USE, user=users.viewer, note="ok")
    coldchain.decide_hold(
        hold_a, HoldDecision.USE, user=cdc.cdc_clerk, note="Dữ liệu ổn định của nhà sản xuất"
    )
    hold_a.refresh_from_db()
    assert (hold_a.decision, hold_a.decided_by) == (HoldDecision.USE, cdc.cdc_clerk)
    assert hold_a.released_at is not None
    stock.issue(cdc.centre, cdc.point1, [stock.Line(a, 1)])
    coldchain.decide_hold(hold_b, HoldDecision.DISCARD, user=cdc.cdc_clerk, note="VVM giai đoạn 3")
    wastage = StockEntry.objects.get(lot=b, kind=EntryKind.WASTAGE)
    assert (wastage.quantity, wastage.reason, wastage.reference) == (
        -20,
        EntryReason.COLD_CHAIN,
        hold_b.uid,
    )
    assert stock.on_hand(cdc.centre, b) == 0
    with pytest.raises(ValidationError) as exc:
        coldchain.decide_hold(hold_b, HoldDecision.USE, note="again")
    assert "already recorded" in str(exc.value)
    assert stock.mismatches() == []


def test_manual_reading_checks(cdc, users):
    with pytest.raises(ValidationError) as exc:
        coldchain.record_reading(cdc.centre_fridge, at(-5), Decimal("5"))
    assert "recorded_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        coldchain.record_reading(cdc.centre_fridge, at(1), Decimal("85"))
    assert "temperature_c" in exc.value.message_dict
    coldchain.record_reading(cdc.centre_fridge, at(1), Decimal("5"))
    with pytest.raises(ValidationError) as exc:
        coldchain.record_reading(cdc.centre_fridge, at(1), Decimal("6"))
    assert "already recorded" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        coldchain.record_reading(cdc.tn_fridge, at(1), Decimal("5"), user=cdc.cdc_clerk)
    assert exc.value.message_dict == {"fridge": ["This fridge is outside your scope."]}


@pytest.mark.parametrize(
    "shape",
    ["iso", "vn", "date_time_columns", "semicolon_comma", "preamble", "xlsx"],
)
def test_logger_file_shapes(cdc, stocked, shape):
    moments = [at(h) for h in (3, 2.5, 2, 1.5)]
    temps = ["4.8", "5.1", "8.6", "6.0"]
    if shape == "iso":
        text = "timestamp,temperature\n" + "".join(
            f"{timezone.localtime(m).isoformat()},{t}\n"
            for m, t in zip(moments, temps, strict=True)
        )
        upload = csv_file(text)
    elif shape == "vn":
        text = "Thời gian,Nhiệt độ (°C)\n" + "".join(
            f"{local(m, '%d/%m/%Y %H:%M')},{t}\n" for m, t in zip(moments, temps, strict=True)
        )
        upload = csv_file(text)
    elif shape == "date_time_columns":
        text = "Date,Time,Temperature\n" + "".join(
            f"{local(m, '%d/%m/%Y')},{local(m, '%H:%M:%S')},{t}\n"
            for m, t in zip(moments, temps, strict=True)
        )
        upload = csv_file(text)
    elif shape == "semicolon_comma":
        text = "Timestamp;Temp (°C)\n" + "".join(
            f"{local(m, '%Y-%m-%d %H:%M')};{t.replace('.', ',')} °C\n"
            for m, t in zip(moments, temps, strict=True)
        )
        upload = csv_file(text)
    elif shape == "preamble":
        text = "Device,LogTag TRIX-8\nSerial,A12345\n\nDate/Time,Temperature\n" + "".join(
            f"{local(m, '%d/%m/%Y %H:%M')},{t}\n" for m, t in zip(moments, temps, strict=True)
        )
        upload = csv_file(text)
    else:
        wb = Workbook()
        ws = wb.active
        ws.append(["Timestamp", "Temperature"])
        for m, t in zip(moments, temps, strict=True):
            ws.append([timezone.localtime(m).replace(tzinfo=None), float(t)])
        out = io.BytesIO()
        wb.save(out)
        upload = SimpleUploadedFile("logger.xlsx", out.getvalue())
    report = coldchain.upload_readings(cdc.centre_fridge, upload, user=cdc.cdc_clerk)
    assert report.ok, [(e.row, e.field, e.message) for e in report.errors]
    assert (report.created, report.excursions) == (4, 1)
    readings = TemperatureReading.objects.filter(fridge=cdc.centre_fridge).order_by("recorded_at")
    assert [r.recorded_at for r in readings] == moments
    assert [str(r.temperature_c) for r in readings] == ["4.80", "5.10", "8.60", "6.00"]
    assert all(r.source == ReadingSource.LOGGER for r in readings)
    assert [r.excursion for r in readings] == [False, False, True, False]
    assert {h.lot.lot_number for h in report.holds} == {"FLU-A", "BCG-B"}
    assert all(h.excursion.temperature_c == Decimal("8.6") for h in report.holds)


def test_logger_file_is_all_or_nothing_with_row_column_reason(cdc, stocked):
    text = (
        "timestamp,temperature\n"
        f"{local(at(3), '%d/%m/%Y %H:%M')},5.0\n"
        "32/13/2025 10:00,5.0\n"
        f"{local(at(2), '%d/%m/%Y %H:%M')},abc\n"
        f"{local(at(1), '%d/%m/%Y %H:%M')},99\n"
        f"{local(at(-3), '%d/%m/%Y %H:%M')},4\n"
        f"{local(at(3), '%d/%m/%Y %H:%M')},7.5\n"
        f"{local(at(0.5), '%d/%m/%Y %H:%M')},15\n"
    )
    report = coldchain.upload_readings(cdc.centre_fridge, csv_file(text))
    assert not report.ok
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "timestamp"),
        (4, "temperature"),
        (5, "temperature"),
        (6, "timestamp"),
        (7, "timestamp"),
    ]
    assert "Not a date and time: 32/13/2025 10:00" in report.errors[0].message
    assert "Not a temperature: abc" == report.errors[1].message
    assert "not a fridge temperature" in report.errors[2].message
    assert "in the future" in report.errors[3].message
    assert "Row 2 has the same time with another temperature." == report.errors[4].message
    # Nothing saved, not even the excursion of the last row, nor its holds.
    assert not TemperatureReading.objects.exists()
    assert not LotHold.objects.exists()


def test_logger_file_header_and_overlaps(cdc, stocked):
    report = coldchain.upload_readings(cdc.centre_fridge, csv_file("when,value\n01/01/2025,5\n"))
    assert not report.ok and "No header with a time column" in report.errors[0].message
    first = (
        "timestamp,temperature\n"
        f"{local(at(3), '%d/%m/%Y %H:%M')},5.0\n{local(at(2), '%d/%m/%Y %H:%M')},5.5\n"
    )
    assert coldchain.upload_readings(cdc.centre_fridge, csv_file(first)).created == 2
    # The next download overlaps the last one: the same readings are left as they are.
    second = first + f"{local(at(1), '%d/%m/%Y %H:%M')},6.0\n"
    report = coldchain.upload_readings(cdc.centre_fridge, csv_file(second))
    assert (report.ok, report.created, report.unchanged) == (True, 1, 2)
    conflicting = "timestamp,temperature\n" + f"{local(at(2), '%d/%m/%Y %H:%M')},7.0\n"
    report = coldchain.upload_readings(cdc.centre_fridge, csv_file(conflicting))
    assert not report.ok
    assert (report.errors[0].row, report.errors[0].field) == (2, "temperature")
    assert "already recorded with 5,5 °C" in report.errors[0].message
    assert TemperatureReading.objects.count() == 3


def test_dry_run_saves_nothing(cdc, stocked):
    text = "timestamp,temperature\n" + f"{local(at(2), '%d/%m/%Y %H:%M')},12\n"
    report = coldchain.upload_readings(cdc.centre_fridge, csv_file(text), dry_run=True)
    assert report.ok and report.dry_run
    assert (report.created, report.excursions, len(report.holds)) == (1, 1, 2)
    assert not TemperatureReading.objects.exists()
    assert not LotHold.objects.exists()


def test_upload_needs_the_import_right_and_scope(cdc, users):
    text = "timestamp,temperature\n" + f"{local(at(2), '%d/%m/%Y %H:%M')},5\n"
    with pytest.raises(PermissionDenied):
        coldchain.upload_readings(cdc.centre_fridge, csv_file(text), user=users.viewer)
    with pytest.raises(ValidationError):
        coldchain.upload_readings(cdc.centre_fridge, csv_file(text), user=cdc.point_clerk)
    # Point 1's clerk uploads its own fridge's file.
    report = coldchain.upload_readings(cdc.point1_fridge, csv_file(text), user=cdc.point_clerk)
    assert report.ok and report.created == 1
