"""Criterion results as an assessment stores them, and the documents read back from them.

A stored result keeps, per criterion and in the ruleset's order, only what its ruleset
version cannot give again: `[status, points, value, inputs, missing]`, the inputs as JSON
without the parameters the criterion always reads (the version holds them). When an input
of its explanation is not plain JSON (a date, an enumeration with a French label of its
own), a sixth item holds that placeholder already rendered, since JSON cannot tell it apart
from a string. `documents` gives back, explanation included, exactly what
`CriterionResult.as_json` gives for the live result.

Documents stored whole by earlier versions of tidi are read as they are.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from shared.eligibility.rules.engine import (
    CompiledRuleset,
    CriterionResult,
    CriterionStatic,
    CriterionStatus,
    Outcome,
    explain,
    to_json,
)
from shared.eligibility.rules.explain import format_value

_PLAIN = frozenset({str, int, float, bool, type(None)})


def stored_results(compiled: CompiledRuleset, outcome: Outcome) -> list[list[Any]]:
    """The outcome's criterion results in their stored form (JSON-ready)."""
    seen: dict[tuple[str, int], tuple[Any, str | None]] = {}
    return [
        _stored(result, static, seen)
        for result, static in zip(outcome.criteria, compiled.statics, strict=True)
    ]


def _stored(
    result: CriterionResult,
    static: CriterionStatic,
    seen: dict[tuple[str, int], tuple[Any, str | None]],
) -> list[Any]:
    """One result's stored form; `seen` keeps the JSON and rendering of the inputs met in
    the outcome's earlier results (the same context values are read by several criteria)."""
    params = static.params_read
    inputs: dict[str, Any] = {}
    formatted: dict[str, str] | None = None
    for key, value in result.inputs.items():
        if key in params and params[key] is value:
            continue
        if type(value) in _PLAIN:
            inputs[key] = value
            continue
        known = seen.get((key, id(value)))
        if known is None:
            plain = to_json(value)
            rendering = format_value(key, value)
            known = seen[key, id(value)] = (
                plain,
                None if format_value(key, plain) == rendering else rendering,
            )
        inputs[key] = known[0]
        if known[1] is not None and key in static.template.keys:
            formatted = formatted or {}
            formatted[key] = known[1]
    stored = [result.status.value, result.points, result.value, inputs, list(result.missing)]
    if formatted:
        stored.append(formatted)
    return stored


def documents(compiled: CompiledRuleset, stored: Sequence[Any]) -> list[dict[str, Any]]:
    """The full JSON documents of stored results (`CriterionResult.as_json`'s)."""
    if not stored or isinstance(stored[0], Mapping):
        return [dict(document) for document in stored]
    if len(stored) != len(compiled.statics):
        raise ValueError(
            f"{len(stored)} stored results for {len(compiled.statics)} criteria of "
            f"{compiled.fund_code} version {compiled.version}"
        )
    return [_document(item, static) for item, static in zip(stored, compiled.statics, strict=True)]


def _document(item: Sequence[Any], static: CriterionStatic) -> dict[str, Any]:
    status, points, value, inputs, missing = item[:5]
    formatted: Mapping[str, str] | None = item[5] if len(item) > 5 else None
    result = CriterionResult(
        static.id,
        static.kind,
        static.label_fr,
        CriterionStatus(status),
        points,
        static.max_points,
        value,
        inputs,
        tuple(missing),
        static.source,
        static.template,
    )
    read = {**static.params_read, **inputs}
    as_json = {**{key: to_json(item) for key, item in static.params_read.items()}, **inputs}
    return {
        "id": static.id,
        "kind": static.kind.value,
        "label_fr": static.label_fr,
        "status": status,
        "points": points,
        "max_points": static.max_points,
        "value": value,
        "inputs": dict(sorted(as_json.items(), key=_jsonb_order)),
        "missing": list(missing),
        "source": to_json(static.source),
        "explanation": explain(result, read, formatted),
    }


def _jsonb_order(item: tuple[str, Any]) -> tuple[int, bytes]:
    """PostgreSQL's order of a JSONB object's keys (shorter first, then bytewise), in which
    whole stored documents have always been read."""
    key = item[0].encode()
    return len(key), key
