"""Documented business refusals of requests the OpenAPI document allows.

Schemathesis' "positive data acceptance" check expects a request valid against the document
to be accepted (or refused 401, 403, 404 or 409). A few rules depend on stored data, the
clock, DNS, tokens the API issued or the meaning of a whole ruleset, which no JSON Schema
can state: the API refuses such a request with a problem document of a known type. Each is
listed here with its reason; any other refusal of a valid request, and every other check,
still fails the test.
"""

import json
import re
from dataclasses import dataclass
from typing import Any

from schemathesis import Case, Response
from schemathesis.openapi.checks import RejectedPositiveData

PROBLEMS = "https://tidi.anct.gouv.fr/problems/"
ETAG = re.compile(r'^(W/)?"?[0-9]{1,18}"?$')


@dataclass(frozen=True)
class Refusal:
    """A refusal the document cannot express: its status, its kind (the problem type, or
    the type of each error of a validation problem) and why it is right.
    """

    status: int
    kind: str
    reason: str
    etag_sent: bool = False
    """Only when the request carried a well-formed ETag (so `If-Match: *` is not excused)."""


REFUSALS = (
    Refusal(
        412,
        "precondition-failed",
        "If-Match names a version the record does not have: the generated ETag is stale "
        "(optimistic concurrency, documented on every update and lifecycle action)",
        etag_sent=True,
    ),
    Refusal(
        400,
        "invalid-cursor",
        "a cursor is an opaque token the API issued in `next_cursor`; any other string is refused",
    ),
    Refusal(
        422,
        "unknown-reference",
        "the body names a record (region, EPCI, operator, fund, project, territory) that "
        "does not exist: referential integrity depends on stored data",
    ),
    Refusal(
        422,
        "unknown-operator",
        "the body names an operator that does not exist (referential integrity, as "
        "`unknown-reference`), or an admin creating an endpoint leaves out its owner, "
        "`operator_code`, which only an operator key implies: the caller decides",
    ),
    Refusal(
        422,
        "territory-required",
        "an admin proposing a site clé en main names the proposing territory, which only a "
        "territory key implies: the caller decides",
    ),
    Refusal(
        422,
        "parameters_conflict",
        "query parameters that constrain each other (latitude with longitude, a radius with "
        "a point, min_area_ha at most max_area_ha, no sort around a point): OpenAPI "
        "parameters are described one by one",
    ),
    Refusal(
        422,
        "commune-outside-territory",
        "a site clé en main lies in one of its territory's communes: the stored membership "
        "of the territory's EPCIs decides",
    ),
    Refusal(
        422,
        "idempotency-key-reused",
        "an Idempotency-Key replays the first request made with it: the same key with another "
        "body is refused, and the generator reuses keys across bodies (stored data decides)",
    ),
    Refusal(
        422,
        "webhook-url-refused",
        "webhook URLs must reach a public host (no special-use names, no private or "
        "loopback addresses outside WEBHOOK_ALLOW_HOSTS): the host's resolution decides",
    ),
    Refusal(
        422,
        "recovery-range-empty",
        "a recovery's range ends at `until`, or now when it is left out: a `since` in the "
        "future is an empty range, which depends on the clock",
    ),
    Refusal(
        422,
        "amount-exceeds-base",
        "an amount bounded by another field of the same body (the amount requested by the "
        "eligible expense base, an aid's gross grant equivalent by its nominal amount): a "
        "comparison between two fields, which JSON Schema cannot state",
    ),
    Refusal(
        422,
        "amount-not-allowed",
        "an amount requested above the fund's `max_award_cents`: the fund's stored "
        "configuration decides",
    ),
    Refusal(
        422,
        "invalid-email",
        "an email address on a special-use domain (`.test`, `.invalid`, `.localhost`…) "
        "reaches nobody: JSON Schema's `email` format admits it, the mail system does not",
    ),
    Refusal(
        422,
        "contradictory-declarations",
        "an attestation that contradicts the project's declarations (not in difficulty, for "
        "a holder the project declares in difficulty): the stored project decides",
    ),
    Refusal(
        422,
        "date-out-of-range",
        "an API key's expiry and an information request's due date must be in the future, "
        "a signature or a payment not after today: the clock decides",
    ),
    Refusal(
        422,
        "recovery-too-large",
        "a delivery recovery covers at most the 30 days before now: depends on the clock",
    ),
    Refusal(
        422,
        "invalid-siren",
        "a SIREN's last digit is a Luhn check digit: the document states the 9 digits, "
        "JSON Schema cannot compute the checksum",
    ),
    Refusal(
        422,
        "invalid-siret",
        "a SIRET's last digit is a Luhn check digit over the 14 digits (La Poste's "
        "establishments excepted): JSON Schema cannot compute the checksum",
    ),
    Refusal(
        422,
        "invalid-question-schema",
        "a fund's question schema must itself be valid against the JSON Schema 2020-12 "
        "meta-schema (with RE2 patterns, no `patternProperties`): the document states only "
        "that it is an object schema, as generators cannot follow the meta-schema",
    ),
    Refusal(
        422,
        "ruleset_invalid",
        "a ruleset's expressions are typed and checked against the fund's context when the "
        "draft is built (known paths, operand types), beyond what JSON Schema states",
    ),
    Refusal(
        422,
        "ruleset_points_total",
        "a ruleset's score points must add up to its `max_score`: a sum over the document",
    ),
    Refusal(
        422,
        "ruleset-fund-mismatch",
        "a ruleset document's `fund_code` must be the fund of the path, an equality "
        "between path and body that JSON Schema cannot state",
    ),
)


def _kinds(response: Response) -> set[str]:
    """The type of each error of a problem document, or its own type when it lists none."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return set()
    if not isinstance(body, dict):
        return set()
    errors = body.get("errors") or []
    kinds = [error.get("type") for error in errors] if errors else [body.get("type")]
    return {str(kind).removeprefix(PROBLEMS) for kind in kinds}


def documented(failure: object, case: Case[Any], response: Response) -> bool:
    """Whether `failure` is a listed business refusal of a request the document allows."""
    if not isinstance(failure, RejectedPositiveData):
        return False
    if_match = str(response.request.headers.get("If-Match", ""))
    allowed = {
        refusal.kind
        for refusal in REFUSALS
        if refusal.status == response.status_code
        and (not refusal.etag_sent or ETAG.match(if_match) is not None)
    }
    kinds = _kinds(response)
    return bool(kinds) and kinds <= allowed
