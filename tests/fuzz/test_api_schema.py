"""Property-based fuzzing of the REST API against its own OpenAPI schema (schemathesis).

Every operation of ``/api/schema/`` gets generated requests (valid and, in the coverage phase,
invalid ones); each request is sent as every role. The answer must never be a server error
and, when its status is documented, must match the documented schema. A separate test lists
every collection as a clerk of one province and asserts that nothing of the other province
appears.

CI runs a few examples per operation; for a larger run see docs/reliability.md
("API fuzzing"): ``DOHA_FUZZ_EXAMPLES=100 pytest tests/fuzz -p no:randomly``.
"""

import collections
import os

import pytest
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.fuzz.conftest import EXAMPLES, ROLES, load_schema

schema = load_schema()

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

#: Examples and requests per operation, written to $DOHA_FUZZ_STATS (a file) if it is set.
STATS = collections.Counter()


@pytest.fixture(scope="module", autouse=True)
def _statistics():
    yield
    target = os.environ.get("DOHA_FUZZ_STATS")
    if target:
        with open(target, "w", encoding="utf-8") as out:
            for key, count in sorted(STATS.items()):
                out.write(f"{key}\t{count}\n")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_operation(case, role_headers):
    STATS[f"examples {case.operation.label}"] += 1
    for role in ROLES:
        STATS["requests"] += 1
        headers = role_headers[role]
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
