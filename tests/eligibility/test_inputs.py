"""Every input a rule can ask for can be supplied: its field exists in a request schema."""

from typing import Any

import pytest

from shared.applications.schemas import ApplicationCreate, ApplicationUpdate
from shared.eligibility.inputs import InputOrigin, source_of
from shared.eligibility.rules.checks import Checker
from shared.eligibility.rules.context import KNOWN_PATHS, path_info
from shared.eligibility.rules.model import Ruleset
from shared.eligibility.rules.rulesets import SHIPPED_RULESETS
from shared.projects.schemas import ProjectCreate, ProjectUpdate

_SCHEMAS = {
    InputOrigin.APPLICATION: (ApplicationCreate, ApplicationUpdate),
    InputOrigin.PROJECT: (ProjectCreate, ProjectUpdate),
}


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> list[dict[str, Any]]:
    """The object schemas a (sub)schema may be: through `$ref`, `anyOf`, `allOf`, `oneOf`."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _resolve(root["$defs"][name], root)
    found = [schema] if "properties" in schema else []
    for key in ("anyOf", "allOf", "oneOf"):
        for option in schema.get(key, ()):
            found.extend(_resolve(option, root))
    return found


def _accepts(model: Any, pointer: str) -> bool:
    """Whether the model's request body has a field at this JSON pointer (objects only;
    `/answers/<key>` is the fund's own question, an open object here)."""
    root = model.model_json_schema()
    nodes = [root]
    for name in pointer.strip("/").split("/"):
        if any(node.get("additionalProperties") is True for node in nodes) or any(
            node.get("type") == "object" and "properties" not in node for node in nodes
        ):
            return True  # an open object (answers): the fund's question schema governs it
        children = [
            node["properties"][name]
            for candidate in nodes
            for node in _resolve(candidate, root)
            if name in node.get("properties", {})
        ]
        if not children:
            return False
        nodes = [resolved for child in children for resolved in _resolve(child, root) or [child]]
    return True


def _read_paths(ruleset: Ruleset) -> set[str]:
    """The context paths a ruleset's criteria may read (and `zonings`, read whole)."""
    paths: set[str] = set()
    for criterion in ruleset.criteria:
        checker = Checker(ruleset.params)
        for node in (criterion.when, criterion.expr):
            if node is not None:
                checker.check(node, criterion.id, frozenset({"bool", "number"}))
        paths.update(k for k in checker.keys if k == "zonings" or path_info(k) is not None)
    return paths


def _check(path: str) -> list[str]:
    """What is wrong with where a path says it comes from (nothing: an empty list)."""
    source = source_of(path)
    if not source.applicant_side:
        return [] if not source.pointers else [f"{path}: pointers for the programme's data"]
    if not source.pointers:
        return [f"{path}: the applicant supplies it, but no field is named"]
    return [
        f"{path}: {model.__name__} has no field at {pointer}"
        for pointer in source.pointers
        for model in _SCHEMAS[source.origin]
        if not _accepts(model, pointer)
    ]


@pytest.mark.parametrize("key", sorted(SHIPPED_RULESETS), ids=lambda key: f"{key[0]}-v{key[1]}")
def test_every_input_a_shipped_ruleset_reads_is_accepted_by_the_api(key: tuple[str, int]) -> None:
    paths = _read_paths(SHIPPED_RULESETS[key])
    assert paths, "the ruleset reads nothing?"
    assert [problem for path in sorted(paths) for problem in _check(path)] == []


def test_every_path_of_the_context_has_a_home() -> None:
    """Any ruleset an admin writes may read any context path: each has its source."""
    assert [problem for path in sorted(KNOWN_PATHS) for problem in _check(path)] == []
    assert source_of("zonings.QPV").origin is InputOrigin.PROGRAMME
    assert source_of("answers.volet").pointers == ("/answers/volet",)
    assert source_of("submitted_at").origin is InputOrigin.SUBMISSION


def test_the_checker_finds_a_field_the_api_refuses() -> None:
    """The check itself bites: a pointer the schema lacks is reported."""
    assert not _accepts(ApplicationCreate, "/attestations/no_such_statement")
    assert not _accepts(ProjectCreate, "/holder/no_such_fact")
    assert _accepts(ProjectCreate, "/holder/in_difficulty")
    assert _accepts(ApplicationCreate, "/attestations/difficulty_exit_proven")
