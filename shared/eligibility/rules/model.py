"""The ruleset model: criteria (gates and scores) over parameters, validated when built."""

from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PositiveInt,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared.eligibility.rules.checks import Checker
from shared.eligibility.rules.context import ValueType
from shared.eligibility.rules.explain import SPECIAL_KEYS, placeholders
from shared.eligibility.rules.expressions import Expression, ParamName, ParamSpec, freeze
from shared.eligibility.sources import SOURCES
from shared.schemas import documented_as

CriterionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{1,63}$")]
FundCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class CriterionKind(StrEnum):
    """A gate passes or fails (a failure makes the application ineligible); a score adds points."""

    GATE = "gate"
    SCORE = "score"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


SourceNumber = Annotated[
    PositiveInt,
    Field(
        description="The number of a document in the catalogue of sources.",
        json_schema_extra={"maximum": max(SOURCES)},
    ),
]


class _CriterionFields(_Frozen):
    id: CriterionId
    label_fr: Text
    source: Annotated[tuple[SourceNumber, ...], Field(min_length=1)] | Text = Field(
        description=(
            "The documents the criterion rests on, by their numbers in the catalogue of "
            'sources (a ruleset version lists those it cites), or "assumption".'
        )
    )
    source_note: str = ""
    when: Expression | None = None
    expr: Expression
    explanation: Text

    @field_validator("source")
    @classmethod
    def _catalogued(cls, source: tuple[int, ...] | str) -> tuple[int, ...] | str:
        if isinstance(source, tuple):
            unknown = [str(number) for number in source if number not in SOURCES]
            if unknown:
                raise PydanticCustomError(
                    "unknown_source",
                    "source {numbers} is not in the catalogue of sources (1 to {last})",
                    {"numbers": ", ".join(unknown), "last": max(SOURCES)},
                )
        return source


class GateCriterion(_CriterionFields):
    """A gate: `expr` is boolean, and a failure makes the application ineligible."""

    kind: Literal[CriterionKind.GATE]
    points: Literal[0] = Field(default=0, description="A gate awards no points.")


class ScoreCriterion(_CriterionFields):
    """A score: `expr` in [0, 1] times `points`."""

    kind: Literal[CriterionKind.SCORE]
    points: int = Field(ge=1, le=1000)


class Criterion(_CriterionFields):
    """One rule: a gate (boolean `expr`) or a score (`expr` in [0, 1] times `points`).

    `source` lists the numbers of the research sources, or says "assumption" (or gives a
    short free-text reference); `when`, if set, limits the rule to the applications where it
    is true. `explanation` is a French template whose `{placeholders}` name inputs the rule
    reads (context paths, `params.<name>`, `expenses.<categories>_cents`, `aid_ceiling.…`)
    or `value`, `points`, `max_points`. Documented as its two shapes, gate and score.
    """

    kind: CriterionKind
    points: int = Field(default=0, ge=0, le=1000)

    __get_pydantic_json_schema__ = documented_as(
        Annotated[GateCriterion | ScoreCriterion, Field(discriminator="kind")]
    )

    @model_validator(mode="after")
    def _points_match_kind(self) -> Self:
        if self.kind == CriterionKind.GATE and self.points:
            raise ValueError(f"{self.id}: a gate awards no points")
        if self.kind == CriterionKind.SCORE and not self.points:
            raise ValueError(f"{self.id}: a score needs points")
        return self


def _names_as_property_names(schema: dict[str, Any]) -> None:
    """JSON Schema of `params`: its key rule as `propertyNames` (`patternProperties` would
    let any other name through)."""
    (pattern, value), *_ = schema.pop("patternProperties").items()
    schema["propertyNames"] = {"pattern": pattern}
    schema["additionalProperties"] = value


Params = Annotated[
    Mapping[ParamName, ParamSpec],
    AfterValidator(freeze),
    PlainSerializer(dict, return_type=dict),
    Field(json_schema_extra=_names_as_property_names),
]

_BOOL: frozenset[ValueType] = frozenset({"bool"})
_SCORE: frozenset[ValueType] = frozenset({"number", "bool"})


class Ruleset(_Frozen):
    """A fund's versioned, immutable set of criteria and parameters.

    Built only if: criterion ids are unique; every parameter and context path referenced
    exists; gates and `when` clauses are boolean and scores numeric; every explanation
    placeholder is an input its criterion can read; and the scores' points add up to
    `max_score` when it is set. Amounts are in euro cents.
    """

    fund_code: FundCode
    version: PositiveInt
    label_fr: str = ""
    params: Params = Field(default_factory=dict)
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    max_score: int | None = 100

    @property
    def points_total(self) -> int:
        """The sum of the scores' points (the best possible total)."""
        return sum(criterion.points for criterion in self.criteria)

    @property
    def gates(self) -> tuple[Criterion, ...]:
        """The gates, in order."""
        return tuple(c for c in self.criteria if c.kind == CriterionKind.GATE)

    @property
    def scores(self) -> tuple[Criterion, ...]:
        """The scores, in order."""
        return tuple(c for c in self.criteria if c.kind == CriterionKind.SCORE)

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with this id (KeyError if none)."""
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        errors: list[str] = []
        seen: set[str] = set()
        for criterion in self.criteria:
            if criterion.id in seen:
                errors.append(f"{criterion.id}: duplicate criterion id")
            seen.add(criterion.id)
            errors.extend(_check_criterion(criterion, self.params))
        if self.max_score is not None and self.points_total != self.max_score:
            errors.append(f"the scores' points add up to {self.points_total}, not {self.max_score}")
        if errors:
            raise ValueError("invalid ruleset:\n" + "\n".join(errors))
        return self


def _check_criterion(criterion: Criterion, params: Mapping[str, ParamSpec]) -> list[str]:
    checker = Checker(params)
    if criterion.when is not None:
        checker.check(criterion.when, f"{criterion.id}.when", _BOOL)
    expected = _BOOL if criterion.kind == CriterionKind.GATE else _SCORE
    checker.check(criterion.expr, f"{criterion.id}.expr", expected)
    readable = checker.keys | SPECIAL_KEYS
    checker.errors.extend(
        f"{criterion.id}.explanation: '{{{name}}}' is not an input this criterion reads"
        for name in placeholders(criterion.explanation)
        if name not in readable
    )
    return checker.errors
