"""Schemathesis over every operation of the OpenAPI document, once per role, all checks.

Each operation is tested with the admin, the territory and the operator key: Hypothesis
sends valid and invalid requests (path parameters name records of the test when the
request is meant to be valid) to the API served on loopback, and every schemathesis check
runs on each answer — no 5xx; status, headers, content type and body as documented; a
request the document forbids is refused, one it allows is accepted; a missing required
header is refused; a missing key is a 401. A failure fails the test, with a curl command
that reproduces it.

`FUZZ_EXAMPLES` (default 6) sets the generated examples per operation and role (on top of
the document's own examples); `FUZZ_SEED` (default 0) the seed; `FUZZ_COVERAGE=1` adds
schemathesis' coverage phase (boundary and missing-value cases for every parameter and
property: several minutes, for deeper local runs).
"""

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from shared.principal import Role
from tests.fuzz.conftest import DOCUMENT, World
from tests.fuzz.refusals import documented

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
SEED = int(os.environ.get("FUZZ_SEED", "0"))
COVERAGE = os.environ.get("FUZZ_COVERAGE", "") == "1"
ROLES = [Role.ADMIN, Role.TERRITORY, Role.OPERATOR]


schema = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "suppress-health-check": ["too_slow"],
            "generation": {"max-examples": EXAMPLES, "database": "none"},
            "phases": {"coverage": {"enabled": COVERAGE}},
        }
    ),
)


@schema.hook
def filter_failure(
    context: schemathesis.HookContext,
    failure: object,
    case: schemathesis.Case[Any],
    response: schemathesis.Response,
) -> bool:
    """Keep every failure but the documented business refusals (see `refusals.py`)."""
    return not documented(failure, case, response)


@pytest.mark.parametrize("role", ROLES, ids=str)
@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # `world`: one per test
def test_contract(case: schemathesis.Case[Any], role: Role, world: World) -> None:
    """A request the document allows names the test's records; every check runs on the answer."""
    if case.meta is None or case.meta.generation.mode.is_positive:
        for name in case.path_parameters or {}:
            if (value := world.value(name)) is not None:
                case.path_parameters[name] = value
    case.call_and_validate(base_url=world.url, headers=world.headers(role))
