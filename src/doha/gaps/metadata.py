"""The statistics the gap ranking reads: referrals out by specialty.

The default monthly data set disaggregates referrals out by sex only. ``data/
referrals_by_specialty.json`` (DHIS2 metadata, loaded by aggregate's own loader) adds the
data element ``REFERRALS_OUT_SPECIALTY`` with the category ``CAT_SPECIALTY``, whose options are
the specialties of the technique catalogue (the ministry's chapters: option code ``SPEC_`` +
the specialty's code), and the monthly data set ``DS_REFERRALS_SPECIALTY`` that carries it.
"""

from pathlib import Path

from doha.aggregate.metadata import load_metadata, read_metadata_file

GAP_METADATA_FILE = Path(__file__).resolve().parent / "data" / "referrals_by_specialty.json"
DATA_SET = "DS_REFERRALS_SPECIALTY"


def load_gap_metadata(*, user=None) -> dict[str, dict[str, int]]:
    """Load (or bring up to date) the referrals-by-specialty metadata. Idempotent; all or
    nothing (``MetadataError`` lists every problem)."""
    return load_metadata(read_metadata_file(GAP_METADATA_FILE), user=user)
