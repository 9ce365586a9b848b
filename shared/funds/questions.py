"""A fund's own questions: a JSON Schema (2020-12) its applications' `answers` must satisfy.

A fund's patterns run on applicants' text, so they run on RE2, whose time is linear in the
text: a `pattern` RE2 cannot compile (look-around, back-references) is refused when the
schema is set. `patternProperties` is refused: jsonschema matches its patterns with
Python's backtracking `re` (in `additionalProperties` and `unevaluatedProperties` too);
`propertyNames` with a `pattern` constrains names instead. Formats are annotations only.
"""

from collections.abc import Iterator
from typing import Any

import re2
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator

MAX_SCHEMA_BYTES = 64_000
_UNSUPPORTED = "patternProperties"

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False

_FORMATS = FormatChecker()


def _is_re2(pattern: object) -> bool:
    if isinstance(pattern, str):
        re2.compile(pattern, _RE2_OPTIONS)
    return True


_FORMATS.checks("regex", raises=re2.error)(_is_re2)


# The 2020-12 meta-schema, applied (through its dynamic references) to every subschema,
# without `patternProperties` and with `format: regex` meaning "RE2 compiles it".
_META_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:tidi:question-schema",
    "$dynamicAnchor": "meta",
    "allOf": [{"$ref": "https://json-schema.org/draft/2020-12/schema"}],
    "properties": {_UNSUPPORTED: False},
}
_SCHEMA_CHECKER = Draft202012Validator(_META_SCHEMA, format_checker=_FORMATS)


def _pattern(
    _validator: Validator, pattern: str, instance: object, _schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """The `pattern` keyword, matched by RE2."""
    if not isinstance(instance, str):
        return
    try:
        matched = re2.compile(pattern, _RE2_OPTIONS).search(instance)
    except re2.error:
        yield ValidationError(f"the fund's pattern {pattern!r} is not supported")
        return
    if matched is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


QuestionValidator = validators.extend(Draft202012Validator, {"pattern": _pattern})
"""Validates answers: Draft 2020-12 with `pattern` on RE2."""


def _location(error: ValidationError) -> str:
    return "".join(f"/{str(p).replace('~', '~0').replace('/', '~1')}" for p in error.path)


def check_question_schema(schema: dict[str, Any]) -> str | None:
    """Why `schema` is not a usable question schema, or None if it is."""
    if schema.get("type") != "object":
        return 'the question schema must describe an object ("type": "object")'
    error = best_match(_SCHEMA_CHECKER.iter_errors(schema))
    if error is None:
        return None
    where = _location(error) or "/"
    if error.validator == "format":
        return f"at {where}: {error.instance!r} is not a regular expression RE2 accepts"
    if error.validator is None:  # the meta-schema's one false schema
        where = where.rstrip("/")
        return f"at {where}/{_UNSUPPORTED}: not supported; use propertyNames with a pattern"
    return f"invalid JSON Schema at {where}: {error.message}"


def _mentions_unsupported(node: object) -> bool:
    if isinstance(node, dict):
        return _UNSUPPORTED in node or any(_mentions_unsupported(v) for v in node.values())
    return isinstance(node, list) and any(_mentions_unsupported(v) for v in node)


def answer_errors(
    schema: dict[str, Any] | None, answers: dict[str, Any], *, partial: bool
) -> list[tuple[str, str]]:
    """(JSON pointer, message) of each problem in `answers`.

    With `partial`, missing required answers are tolerated (a draft in progress).
    A schema stored before `patternProperties` was refused is not evaluated.
    """
    if not schema:
        return []
    if _mentions_unsupported(schema):
        problem = f"the fund's question schema uses {_UNSUPPORTED}: an admin must fix it"
        return [("/answers", problem)]
    problems = []
    for error in QuestionValidator(schema).iter_errors(answers):
        if partial and error.validator == "required":
            continue
        problems.append((f"/answers{_location(error)}", error.message))
    return sorted(problems)
