"""Evaluate a ruleset against a context: per-criterion results, total and outcome (pure).

Results are light immutable records (the engine builds hundreds of thousands a second);
their French explanation is rendered from the inputs read when it is asked for, and
`as_json()` gives a plain JSON document with it.
"""

import dataclasses
import operator
import uuid
import weakref
from collections.abc import Callable, Mapping
from datetime import date
from enum import Enum, StrEnum
from typing import Any, NamedTuple

from shared.eligibility.rules.aid import AidCeiling
from shared.eligibility.rules.context import EvaluationContext
from shared.eligibility.rules.evaluate import Compiler, param_reads
from shared.eligibility.rules.explain import Template, describe_missing, format_number
from shared.eligibility.rules.model import Criterion, CriterionKind, Ruleset
from shared.eligibility.rules.values import Compiled, State, Unknown, merge_unknown


class CriterionStatus(StrEnum):
    """satisfait, non satisfait, indéterminé, sans objet."""

    PASS = "pass"  # noqa: S105 - a status, not a secret
    FAIL = "fail"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"


class Verdict(StrEnum):
    """éligible, inéligible, indéterminé (informations manquantes)."""

    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    UNDETERMINED = "undetermined"


_STATUS_FR = {
    CriterionStatus.PASS: "Satisfait",
    CriterionStatus.FAIL: "Non satisfait",
    CriterionStatus.UNKNOWN: "Indéterminé",
}
_NOT_APPLICABLE_FR = "Sans objet : ce critère ne s'applique pas à ce dossier."


def to_json(value: Any) -> Any:
    """A value as plain JSON data: dates in ISO format, enums by value, records as objects,
    other tuples as lists.
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, tuple) and hasattr(value, "as_json"):
        return value.as_json()
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return to_json(value._asdict())
    if isinstance(value, (tuple, list)):
        return [to_json(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


class CriterionResult(NamedTuple):
    """How one criterion went: status, points, the inputs read, what is missing, and why.

    A score's status is `pass` when it awards points and `fail` when it awards none; an
    `unknown` score awards none either. `value` is the gate's boolean or the score's [0, 1]
    value (None when unknown or not applicable). `inputs` maps each input read (context
    paths, `params.…`, `expenses.…`, `aid_ceiling.…`) to its value, None when missing;
    `missing` lists the absent inputs that made the status unknown. Immutable; the French
    `explanation` is rendered from these fields when asked for.
    """

    id: str
    kind: CriterionKind
    label_fr: str
    status: CriterionStatus
    points: float
    max_points: int
    value: Any
    inputs: Mapping[str, Any]
    missing: tuple[str, ...]
    source: tuple[int, ...] | str
    template: Template

    @property
    def explanation(self) -> str:
        """The French explanation: the verdict or points, the template filled, what to add."""
        return explain(self, self.inputs)

    def as_json(self) -> dict[str, Any]:
        """The result as a JSON document, explanation included (the template left out)."""
        document = {name: to_json(getattr(self, name)) for name in _RESULT_FIELDS}
        document["explanation"] = self.explanation
        return document


_RESULT_FIELDS = tuple(name for name in CriterionResult._fields if name != "template")


def explain(
    result: CriterionResult,
    inputs: Mapping[str, Any],
    formatted: Mapping[str, str] | None = None,
) -> str:
    """The French explanation of `result` with these inputs (`formatted`: placeholders given
    already rendered), from its status, points, value, missing inputs and template."""
    if result.status == CriterionStatus.NOT_APPLICABLE:
        return _NOT_APPLICABLE_FR
    values = {
        **inputs,
        "value": result.value,
        "points": result.points,
        "max_points": result.max_points,
    }
    if result.kind == CriterionKind.SCORE:
        head = f"{format_number(result.points)}/{result.max_points} points"
        if result.status == CriterionStatus.UNKNOWN:
            head += " (indéterminé)"
    else:
        head = _STATUS_FR[result.status]
    text = f"{head}. {result.template.render(values, formatted)}"
    if result.missing:
        text += f" À compléter : {describe_missing(result.missing)}."
    elif result.status == CriterionStatus.UNKNOWN:
        text += " Valeur incalculable avec les données fournies."
    return text


class Outcome(NamedTuple):
    """The assessment of one application under one ruleset version.

    `verdict` is `ineligible` if a gate failed; else `undetermined` if a gate is unknown;
    else `eligible`. `missing` is the union of the missing inputs of the unknown gates;
    `total` is the sum of the criteria's points; `aid_ceiling` is the indicative state-aid
    ceiling met while evaluating (None if no rule computes it). Immutable.
    """

    fund_code: str
    ruleset_version: int
    verdict: Verdict
    total: float
    max_total: int
    criteria: tuple[CriterionResult, ...]
    missing: tuple[str, ...]
    failed_gates: tuple[str, ...]
    unknown_gates: tuple[str, ...]
    aid_ceiling: AidCeiling | None

    def result(self, criterion_id: str) -> CriterionResult:
        """The result of one criterion (KeyError if the ruleset has no such criterion)."""
        for result in self.criteria:
            if result.id == criterion_id:
                return result
        raise KeyError(criterion_id)

    def as_json(self) -> dict[str, Any]:
        """The outcome as a JSON document, with every criterion's explanation."""
        document = {
            name: to_json(getattr(self, name)) for name in self._fields if name != "criteria"
        }
        document["criteria"] = [result.as_json() for result in self.criteria]
        return document


_PASS, _FAIL, _UNKNOWN, _NOT_APPLICABLE = (
    CriterionStatus.PASS,
    CriterionStatus.FAIL,
    CriterionStatus.UNKNOWN,
    CriterionStatus.NOT_APPLICABLE,
)


_GATE = CriterionKind.GATE
_ELIGIBLE, _INELIGIBLE, _UNDETERMINED = Verdict.ELIGIBLE, Verdict.INELIGIBLE, Verdict.UNDETERMINED
_PASSED: tuple[CriterionStatus, bool, tuple[str, ...]] = (_PASS, True, ())
_FAILED: tuple[CriterionStatus, bool, tuple[str, ...]] = (_FAIL, False, ())
_new_result = tuple.__new__
_points = operator.attrgetter("points")
_RuleFn = Callable[[State], CriterionResult]


def _missing(*values: Any) -> tuple[str, ...]:
    return tuple(sorted(merge_unknown(*values).missing))


class CriterionStatic(NamedTuple):
    """What a criterion's results share, and what its closure runs: the parameters it reads
    (recorded once as `params.<name>`, first among its inputs), its `when` and its expression.
    """

    id: str
    kind: CriterionKind
    label_fr: str
    source: tuple[int, ...] | str
    max_points: int
    template: Template
    params_read: dict[str, Any]
    when: Compiled | None
    expr: Compiled


def _static(criterion: Criterion, compiler: Compiler) -> CriterionStatic:
    """What one criterion's results share, its `when` and expression compiled."""
    params_read = param_reads(criterion.expr, compiler.params)
    when: Compiled | None = None
    if criterion.when is not None:
        when = compiler.compile(criterion.when)
        params_read.update(param_reads(criterion.when, compiler.params))
    return CriterionStatic(
        criterion.id,
        criterion.kind,
        criterion.label_fr,
        criterion.source,
        criterion.points,
        Template(criterion.explanation),
        params_read,
        when,
        compiler.compile(criterion.expr),
    )


def _rule(static: CriterionStatic) -> _RuleFn:
    """One criterion as a closure from the evaluation state to its result."""
    if static.when is not None:
        return _conditional(static)
    return _gate(static) if static.kind is _GATE else _score(static)


def _gate(static: CriterionStatic) -> _RuleFn:
    """A gate: passes, fails, or is unknown with the missing inputs."""
    cid, kind, label, source, max_points, template, params_read, _, expr = static

    def run(state: State) -> CriterionResult:
        reads = state.reads = params_read.copy() if params_read else {}
        outcome = expr(state)
        if type(outcome) is Unknown:
            status, value, missing = _UNKNOWN, None, _missing(outcome)
        else:
            status, value, missing = _PASSED if outcome else _FAILED
        result: CriterionResult = _new_result(
            CriterionResult,
            (cid, kind, label, status, 0.0, max_points, value, reads, missing, source, template),
        )
        return result

    return run


def _score(static: CriterionStatic) -> _RuleFn:
    """A score: its value clamped to [0, 1] times its points; unknown awards none."""
    cid, kind, label, source, max_points, template, params_read, _, expr = static
    full_points = round(1.0 * max_points, 2)

    def run(state: State) -> CriterionResult:
        reads = state.reads = params_read.copy() if params_read else {}
        outcome = expr(state)
        missing: tuple[str, ...] = ()
        if type(outcome) is Unknown:
            status, points, value, missing = _UNKNOWN, 0.0, None, _missing(outcome)
        elif outcome >= 1:
            status, points, value = _PASS, full_points, 1.0
        elif outcome > 0:
            value = float(outcome)
            status, points = _PASS, round(value * max_points, 2)
        else:
            status, points, value = _FAIL, 0.0, 0.0
        result: CriterionResult = _new_result(
            CriterionResult,
            (cid, kind, label, status, points, max_points, value, reads, missing, source, template),
        )
        return result

    return run


def _conditional(static: CriterionStatic) -> _RuleFn:
    """A criterion with a `when`: not applicable where it is false. A gate whose `when` is
    unknown passes if its expression is true (it would pass either way) and is unknown
    otherwise; a score whose `when` is unknown is unknown.
    """
    cid, kind, label, source, max_points, template, params_read, when, expr = static

    def run(state: State) -> CriterionResult:
        reads = state.reads = params_read.copy() if params_read else {}
        value: Any = None
        missing: tuple[str, ...] = ()
        applies: Any = when(state) if when is not None else True
        if applies is not True and type(applies) is not Unknown and not applies:
            status = _NOT_APPLICABLE
        else:
            outcome = expr(state)
            if type(outcome) is Unknown:
                status, missing = _UNKNOWN, _missing(applies, outcome)
            elif kind is _GATE and outcome:
                status, value = _PASS, True
            elif type(applies) is Unknown:
                status, missing = _UNKNOWN, _missing(applies)
            elif kind is _GATE:
                status, value = _FAIL, False
            else:
                value = 1.0 if outcome >= 1 else float(outcome) if outcome > 0 else 0.0
                status = _PASS if value else _FAIL
        points = round(value * max_points, 2) if value and max_points else 0.0
        result: CriterionResult = _new_result(
            CriterionResult,
            (cid, kind, label, status, points, max_points, value, reads, missing, source, template),
        )
        return result

    return run


class CompiledRuleset:
    """A ruleset compiled once into closures; `evaluate` is pure and thread-safe."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.fund_code, self.version = ruleset.fund_code, ruleset.version
        compiler = Compiler(ruleset.params)
        self.statics = tuple(_static(criterion, compiler) for criterion in ruleset.criteria)
        """Each criterion's static part, in the ruleset's order (what a stored result omits)."""
        self._rules = tuple(_rule(static) for static in self.statics)
        self._max_total = ruleset.points_total
        self._gates = tuple(
            index
            for index, criterion in enumerate(ruleset.criteria)
            if criterion.kind == CriterionKind.GATE
        )

    def evaluate(self, context: EvaluationContext) -> Outcome:
        """Evaluate every criterion (gates too, even after a failure) and decide the verdict."""
        state = State(context)
        results = tuple([rule(state) for rule in self._rules])
        failed: list[str] = []
        unknown: list[str] = []
        missing: set[str] = set()
        for index in self._gates:
            result = results[index]
            if result.status is _FAIL:
                failed.append(result.id)
            elif result.status is _UNKNOWN:
                unknown.append(result.id)
                missing.update(result.missing)
        verdict = _INELIGIBLE if failed else _UNDETERMINED if unknown else _ELIGIBLE
        outcome: Outcome = _new_result(
            Outcome,
            (
                self.fund_code,
                self.version,
                verdict,
                round(sum(map(_points, results)), 2),
                self._max_total,
                results,
                tuple(sorted(missing)),
                tuple(failed),
                tuple(unknown),
                state.aid_ceiling,
            ),
        )
        return outcome


_COMPILED: dict[int, CompiledRuleset] = {}


def compile_ruleset(ruleset: Ruleset) -> CompiledRuleset:
    """The compiled form of a ruleset, built once and dropped when the ruleset is (the
    compiled form holds no reference to it).
    """
    compiled = _COMPILED.get(id(ruleset))
    if compiled is None:
        compiled = CompiledRuleset(ruleset)
        _COMPILED[id(ruleset)] = compiled
        weakref.finalize(ruleset, _COMPILED.pop, id(ruleset), None)
    return compiled


def evaluate_ruleset(ruleset: Ruleset, context: EvaluationContext) -> Outcome:
    """Assess an application context under a ruleset: see `Outcome` for the verdict rules."""
    return compile_ruleset(ruleset).evaluate(context)
