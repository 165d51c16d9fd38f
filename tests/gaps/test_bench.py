"""bench/gap_matrix.py keeps working: it runs at a tiny size in the test database."""

import pytest

from bench import gap_matrix
from doha.catalog.models import FacilityCapability
from doha.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db


def test_gap_matrix_benchmark_runs_at_a_tiny_size(capsys):
    figures = gap_matrix.main(
        ["--facilities", "60", "--provinces", "2", "--techniques", "40", "--specialties", "4"]
        + ["--runs", "2"]
    )
    assert OrgUnit.objects.filter(code__startswith="GAPB-").count() == 1 + 2 + 60
    assert FacilityCapability.objects.exists()
    assert len(figures) == 2 and all(len(samples) == 2 for samples in figures.values())
    out = capsys.readouterr().out
    assert "5 facilities agree" in out
