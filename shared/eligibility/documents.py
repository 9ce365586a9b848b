"""A ruleset document as a request body: the engine's model, errors located by JSON pointer.

The engine's `Ruleset` reports whole-document faults (unknown context path, type error,
unreadable explanation placeholder, duplicate id, points total) as one error at the root.
`RulesetDocument` validates with the same model and re-locates each fault: every error
points into the document that was sent (`/criteria/3/expr`), never at a tag of the
expression union or at the root.
"""

import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import ValidationError, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import InitErrorDetails, PydanticCustomError

from shared.eligibility.rules import Ruleset

_CRITERION_FAULT = re.compile(r"^(?P<id>[A-Za-z][A-Za-z0-9_]*)(?:\.(?P<part>\w+))?: (?P<msg>.+)$")
_KEEP_MISSING = frozenset({"missing"})


def ruleset_faults(document: Any) -> list[tuple[tuple[str | int, ...], str, str]]:
    """Every fault of a ruleset document as (location, message, type); empty when valid."""
    try:
        Ruleset.model_validate(document)
    except ValidationError as exc:
        return _located(document, exc)
    return []


def _located(document: Any, exc: ValidationError) -> list[tuple[tuple[str | int, ...], str, str]]:
    faults: list[tuple[tuple[str | int, ...], str, str]] = []
    seen: set[tuple[tuple[str | int, ...], str]] = set()
    for error in exc.errors(include_input=False, include_url=False):
        loc = tuple(error["loc"])
        if error["type"] == "value_error" and loc == ():
            found = _document_faults(document, str(error["msg"]))
        else:
            found = [(_walk(document, loc, error["type"]), str(error["msg"]), error["type"])]
        for fault in found:
            key = (fault[0], fault[1])
            if key not in seen:
                seen.add(key)
                faults.append(fault)
    return faults


def _walk(document: Any, loc: Sequence[Any], kind: str) -> tuple[str | int, ...]:
    """The part of `loc` that names keys of `document` (union tags are skipped)."""
    node = document
    path: list[str | int] = []
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if _has(node, part):
            node = node[part]
        elif last and kind in _KEEP_MISSING and isinstance(part, str):
            path.append(part)
            break
        else:
            continue
        path.append(part)
    return tuple(path)


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _document_faults(document: Any, message: str) -> list[tuple[tuple[str | int, ...], str, str]]:
    """Split the engine's whole-document error into one located fault per line."""
    lines = [line for line in message.splitlines()[1:] if line.strip()] or [message]
    criteria = document.get("criteria") if isinstance(document, dict) else None
    index = {c.get("id"): i for i, c in enumerate(criteria or []) if isinstance(c, dict)}
    faults: list[tuple[tuple[str | int, ...], str, str]] = []
    for line in lines:
        match = _CRITERION_FAULT.match(line)
        if match and match["id"] in index:
            # A duplicate id is reported at its last occurrence (the index keeps the last).
            where = ("criteria", index[match["id"]], match["part"] or "id")
            faults.append((where, line, "ruleset_invalid"))
        elif "points add up" in line:
            faults.append((("max_score",), line, "ruleset_points_total"))
        else:
            faults.append(((), line, "ruleset_invalid"))
    return faults


def _validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Ruleset:
    try:
        ruleset: Ruleset = handler(value)
    except ValidationError as exc:
        details = [
            InitErrorDetails(
                type=PydanticCustomError(kind, "{message}", {"message": message}),
                loc=loc,
                input=None,
            )
            for loc, message, kind in _located(value, exc)
        ]
        raise ValidationError.from_exception_data("Ruleset", details) from None
    return ruleset


RulesetDocument = Annotated[Ruleset, WrapValidator(_validate)]
"""A ruleset JSON document, validated by the engine, each fault at its own location."""
