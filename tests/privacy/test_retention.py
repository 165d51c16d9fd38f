"""Retention (DOHA_RETENTION_*): ``manage.py apply_retention`` deletes old access entries
and anonymises clients without a visit for years, keeping what the statistics count."""

import datetime
import io

from auditlog.models import LogEntry
from django.core.management import call_command
from django.utils import timezone

from doha.core import privacy
from doha.people.models import RetentionRun
from doha.vaccines.models import Client, VaccinationVisit
from tests.vaccines.test_visits_setup import make_client, screened, service


def years_back(years):
    return timezone.now() - datetime.timedelta(days=365 * years + 3)


def age(client, years):
    """Make ``client`` look untouched for ``years`` years."""
    Client.objects.filter(pk=client.pk).update(last_updated=years_back(years))


def run(*args) -> str:
    out = io.StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


def names_in_audit(client) -> str:
    return " ".join(
        f"{e.object_repr} {e.changes} {e.changes_text} {e.serialized_data}"
        for e in LogEntry.objects.filter(object_pk=str(client.pk))
    )


def test_dry_run_counts_and_changes_nothing(cdc, person):
    age(person, 11)
    privacy.log_access(person, cdc.point_clerk)
    LogEntry.objects.filter(action=LogEntry.Action.ACCESS).update(timestamp=years_back(6))
    out = run("--dry-run")
    assert "1 access-log entries would be deleted; 1 vaccination clients would be anonymised" in out
    person.refresh_from_db()
    assert person.full_name == "Nguyễn Văn An"
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == 1
    assert not RetentionRun.objects.exists()


def test_inactive_client_is_anonymised_and_the_history_scrubbed(cdc, person):
    recent = make_client(cdc.point1_unit, full_name="Phạm Thị Mới", phone="0977222333")
    dob, sex = person.date_of_birth, person.sex
    privacy.log_access(person, cdc.point_clerk)
    age(person, 11)

    out = run()
    assert "1 vaccination clients were anonymised" in out
    person.refresh_from_db()
    assert person.full_name == privacy.ANONYMOUS_NAME
    assert (person.guardian_name, person.phone, person.address) == ("", "", "")
    assert not person.active
    assert (person.date_of_birth, person.sex) == (dob, sex)  # the statistics still count them
    audit = names_in_audit(person)
    assert "Nguyễn Văn An" not in audit and "0912345678" not in audit
    assert "Trần Thị Bình" not in audit
    # The anonymisation itself is an audited change.
    assert LogEntry.objects.filter(object_pk=str(person.pk), action=LogEntry.Action.UPDATE).exists()
    recent.refresh_from_db()
    assert recent.full_name == "Phạm Thị Mới"
    run_row = RetentionRun.objects.get()
    assert run_row.clients_anonymised == 1
    assert run_row.settings_used["DOHA_RETENTION_CLIENT_INACTIVE_YEARS"] == 10
    assert LogEntry.objects.filter(
        object_pk=str(run_row.pk), action=LogEntry.Action.CREATE
    ).exists()
    # A second run finds nothing more.
    assert "0 vaccination clients were anonymised" in run()


def test_client_with_a_recent_visit_is_kept(cdc):
    svc = service(cdc)
    visit = screened(cdc, svc, minutes_ago=30)
    age(svc.child, 11)
    run()
    svc.child.refresh_from_db()
    assert svc.child.full_name == "Nguyễn Văn An"
    assert VaccinationVisit.objects.filter(pk=visit.pk).exists()


def test_visits_of_an_anonymised_client_stay_without_the_name(cdc):
    svc = service(cdc)
    visit = screened(cdc, svc, minutes_ago=30)
    VaccinationVisit.objects.filter(pk=visit.pk).update(visited_at=years_back(12))
    age(svc.child, 12)
    run()
    visit.refresh_from_db()
    assert visit.client.full_name == privacy.ANONYMOUS_NAME
    reprs = LogEntry.objects.filter(object_pk=str(visit.pk), content_type__model="vaccinationvisit")
    assert reprs.exists()
    assert all("Nguyễn Văn An" not in e.object_repr for e in reprs)


def test_old_access_entries_are_deleted_recent_ones_kept(cdc, person):
    old = privacy.log_access(person, cdc.point_clerk)
    LogEntry.objects.filter(pk=old.pk).update(timestamp=years_back(6))
    kept = privacy.log_access(person, cdc.point_clerk, via="api")
    assert "1 access-log entries were deleted" in run()
    assert list(privacy.accesses_of(person)) == [kept]
    assert RetentionRun.objects.get().access_entries_deleted == 1


def test_settings_change_the_periods_and_zero_switches_a_rule_off(settings, cdc, person):
    settings.DOHA_RETENTION_CLIENT_INACTIVE_YEARS = 0
    settings.DOHA_RETENTION_ACCESS_LOG_YEARS = 1
    age(person, 50)
    old = privacy.log_access(person, cdc.point_clerk)
    LogEntry.objects.filter(pk=old.pk).update(timestamp=years_back(2))
    out = run()
    assert "DOHA_RETENTION_CLIENT_INACTIVE_YEARS = off" in out
    person.refresh_from_db()
    assert person.full_name == "Nguyễn Văn An"
    assert not privacy.accesses_of(person).exists()
