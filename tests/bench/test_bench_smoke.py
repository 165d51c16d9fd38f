"""The benchmark scripts keep working: each runs at a tiny size in the test database.

Figures are printed, never asserted (timings belong in bench/README.md). What is asserted is
what a user of the figures relies on: the generator writes what it says, the import takes
every value and a re-import changes nothing, the query layer gives the same numbers as a
GROUP BY over the data values (also after imports), and the dashboard page answers.
"""

import pytest

from bench import aggregate_generate, aggregate_import, analytics_query, dashboard
from doha.aggregate.models import DataValue
from doha.analytics.rollup_models import SubtreeRollup
from doha.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db


def test_benchmarks_run_at_a_tiny_size(capsys):
    generated = aggregate_generate.main(
        ["--provinces", "2", "--facilities", "24", "--elements", "26", "--months", "6"]
    )
    # 2 provinces x (3 hospitals, 1 health centre, 8 commune stations), under one ministry.
    assert OrgUnit.objects.filter(code__startswith="BENCH-").count() == 1 + 2 + 24
    assert generated["values"] == DataValue.objects.count() > 0
    assert SubtreeRollup.objects.filter(depth=2).exists()

    imported = aggregate_import.main(["--values", "300"])
    assert imported["csv_rate"] > 0 and imported["json_rate"] > 0
    # What the import benchmark added was taken out again.
    assert DataValue.objects.count() == generated["values"]

    analytics = analytics_query.main(["--runs", "2"])
    assert analytics["cells"] > 0 and analytics["different"] == 0

    page = dashboard.main(["--runs", "2"])
    assert page["median_ms"] > 0

    out = capsys.readouterr().out
    assert "same numbers" in out and "yes" in out
    assert "restored: yes" in out


def test_generator_refuses_a_database_that_already_has_benchmark_data(capsys):
    aggregate_generate.main(
        ["--provinces", "1", "--facilities", "4", "--elements", "5", "--months", "1"]
    )
    with pytest.raises(SystemExit, match="already holds benchmark units"):
        aggregate_generate.main(["--provinces", "1", "--facilities", "4", "--months", "1"])
