"""A fund's own questions: a JSON Schema (2020-12) its applications' `answers` must satisfy."""

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

MAX_SCHEMA_BYTES = 64_000


def check_question_schema(schema: dict[str, Any]) -> str | None:
    """Why `schema` is not a usable question schema, or None if it is."""
    if schema.get("type") != "object":
        return 'the question schema must describe an object ("type": "object")'
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        return f"invalid JSON Schema: {error.message}"
    return None


def answer_errors(
    schema: dict[str, Any] | None, answers: dict[str, Any], *, partial: bool
) -> list[tuple[str, str]]:
    """(JSON pointer, message) of each problem in `answers`.

    With `partial`, missing required answers are tolerated (a draft in progress).
    """
    if not schema:
        return []
    problems = []
    for error in Draft202012Validator(schema).iter_errors(answers):
        if partial and error.validator == "required":
            continue
        path = "".join(f"/{str(p).replace('~', '~0').replace('/', '~1')}" for p in error.path)
        problems.append((f"/answers{path}", error.message))
    return sorted(problems)
