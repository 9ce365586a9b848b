"""The rule language: a small typed expression tree, stored as JSON and never run through eval.

Every node is a frozen Pydantic model tagged by `op`; `Expression` is their discriminated union.
A bare JSON scalar or list where an expression is expected is read as a literal, so
`{"op": "gte", "left": {"op": "field", "path": "project.jobs_created"}, "right": 10}` is valid.
"""

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal, NoReturn

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
)
from typing_extensions import TypeAliasType

from shared.applications.enums import ExpenseCategory
from shared.zonings.kinds import ZoningKind

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Scalar = bool | int | FiniteFloat | str
"""A literal or parameter value that is not a list."""

ParamValue = Scalar | tuple[Scalar, ...]
"""What a literal or a parameter holds: a scalar or a list of scalars."""

ParamName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
FieldPath = Annotated[
    str, StringConstraints(pattern=r"^[a-z_][a-z0-9_]*(?:\.[A-Za-z0-9_]+)*$", max_length=200)
]
RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")]


class FrozenDict(dict[Any, Any]):
    """A dict that refuses changes (still picklable, copyable and equal to a plain dict)."""

    def _refuse(self, *_args: object, **_kwargs: object) -> NoReturn:
        raise TypeError("a ruleset is immutable")

    __setitem__ = __delitem__ = _refuse
    clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=repr)))

    def __reduce__(self) -> tuple[type["FrozenDict"], tuple[dict[Any, Any]]]:
        return (FrozenDict, (dict(self),))

    def __copy__(self) -> "FrozenDict":
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> "FrozenDict":
        return self


def freeze(mapping: Mapping[Any, Any]) -> Mapping[Any, Any]:
    """A read-only copy of a mapping."""
    return FrozenDict(mapping)


ScoreTable = Annotated[
    Mapping[str, FiniteFloat], AfterValidator(freeze), PlainSerializer(dict, return_type=dict)
]
"""A read-only mapping from a value (as text) to a number."""


class Node(BaseModel):
    """Base of every expression node: immutable, strict about unknown keys."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        serialize_by_alias=True,
        validate_by_name=True,
        validate_by_alias=True,
    )

    def children(self) -> Iterator["Node"]:
        """The direct sub-expressions, in field order."""
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, Node):
                yield value
            elif isinstance(value, tuple):
                yield from (item for item in value if isinstance(item, Node))

    def walk(self) -> Iterator["Node"]:
        """This node and all its descendants, depth first."""
        yield self
        for child in self.children():
            yield from child.walk()


class RegionalParam(BaseModel):
    """A parameter with per-region values (INSEE region codes) and a default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: ParamValue
    by_region: Annotated[
        Mapping[RegionCode, ParamValue],
        AfterValidator(freeze),
        PlainSerializer(dict, return_type=dict),
    ]


ParamSpec = ParamValue | RegionalParam
"""A ruleset parameter: a plain value, or a value per region."""


class FieldRef(Node):
    """The value at a dotted path of the evaluation context; UNKNOWN when absent or None."""

    op: Literal["field"] = "field"
    path: FieldPath


class Lit(Node):
    """A constant."""

    op: Literal["lit"] = "lit"
    value: ParamValue


class Param(Node):
    """A ruleset parameter (its default when it varies by region)."""

    op: Literal["param"] = "param"
    name: ParamName


class ParamByRegion(Node):
    """A ruleset parameter resolved for a region (the default for other regions)."""

    op: Literal["param_by_region"] = "param_by_region"
    name: ParamName
    region: "Expression"


class Compare(Node):
    """left = ≠ < ≤ > ≥ right."""

    op: Literal["eq", "ne", "lt", "lte", "gt", "gte"]
    left: "Expression"
    right: "Expression"


class AllOf(Node):
    """Kleene conjunction: false if any is false, else unknown if any is unknown."""

    op: Literal["all"] = "all"
    args: tuple["Expression", ...] = Field(min_length=1)


class AnyOf(Node):
    """Kleene disjunction: true if any is true, else unknown if any is unknown."""

    op: Literal["any"] = "any"
    args: tuple["Expression", ...] = Field(min_length=1)


class Not(Node):
    """Negation (unknown stays unknown)."""

    op: Literal["not"] = "not"
    arg: "Expression"


class Member(Node):
    """Whether a value is (in) or is not (not_in) one of the options (a list)."""

    op: Literal["in", "not_in"]
    value: "Expression"
    options: "Expression"


class Prefix(Node):
    """Whether a text starts (or does not start) with one of the prefixes (a list)."""

    op: Literal["startswith_any", "not_startswith_any"]
    value: "Expression"
    prefixes: "Expression"


class Between(Node):
    """low ≤ value ≤ high."""

    op: Literal["between"] = "between"
    value: "Expression"
    low: "Expression"
    high: "Expression"


class Arith(Node):
    """left + − × ÷ right; a division by zero is unknown."""

    op: Literal["add", "sub", "mul", "div"]
    left: "Expression"
    right: "Expression"


class Aggregate(Node):
    """The minimum, maximum or mean of numbers; unknown if any is unknown."""

    op: Literal["min", "max", "avg"]
    args: tuple["Expression", ...] = Field(min_length=1)


class If(Node):
    """then if cond else `else`; an unknown cond gives the branches' value if they agree."""

    op: Literal["if"] = "if"
    cond: "Expression"
    then: "Expression"
    else_: "Expression" = Field(alias="else")


class IsProvided(Node):
    """Whether the value is known (never unknown itself)."""

    op: Literal["is_provided"] = "is_provided"
    arg: "Expression"


class NonEmpty(Node):
    """Whether every argument is a non-empty list or text (Kleene conjunction)."""

    op: Literal["non_empty"] = "non_empty"
    args: tuple["Expression", ...] = Field(min_length=1)


class Count(Node):
    """The length of a list."""

    op: Literal["count"] = "count"
    arg: "Expression"


class NafSection(Node):
    """The NAF section letter (A–U) of a NAF code."""

    op: Literal["naf_section"] = "naf_section"
    arg: "Expression"


class MonthsBetween(Node):
    """Calendar months from start to end (fractional; negative if end is earlier)."""

    op: Literal["months_between"] = "months_between"
    start: "Expression"
    end: "Expression"


class SumExpenses(Node):
    """The total of the application's expense lines in these categories (cents)."""

    op: Literal["sum_expenses"] = "sum_expenses"
    categories: tuple[ExpenseCategory, ...] = Field(min_length=1)


class AnyZoning(Node):
    """Whether the site commune is in one of these zonings at the application date."""

    op: Literal["any_zoning"] = "any_zoning"
    kinds: tuple[ZoningKind, ...] = Field(min_length=1)


class ValidSiret(Node):
    """Whether a SIRET is well formed."""

    op: Literal["valid_siret"] = "valid_siret"
    arg: "Expression"


class ValidCommune(Node):
    """Whether a commune INSEE code designates a commune of France."""

    op: Literal["valid_commune"] = "valid_commune"
    arg: "Expression"


class EnumMap(Node):
    """A number for a value: `cases[value]`, else `default`; `missing` (when set) replaces
    an unknown value instead of propagating it.
    """

    op: Literal["enum_map"] = "enum_map"
    value: "Expression"
    cases: ScoreTable
    default: FiniteFloat = 0.0
    missing: FiniteFloat | None = None


class AidCeilingOf(Node):
    """The indicative state-aid ceiling in cents (see `aid.indicative_aid_ceiling`)."""

    op: Literal["aid_ceiling"] = "aid_ceiling"
    base: "Expression"
    prior_aid: "Expression"
    size: "Expression"
    nature: "Expression"
    region: "Expression"
    deminimis_cap: "Expression"


def _literal_shorthand(value: Any) -> Any:
    if isinstance(value, (dict, Node)):
        return value
    if isinstance(value, list):
        return {"op": "lit", "value": tuple(value)}
    return {"op": "lit", "value": value}


Expression = TypeAliasType(
    "Expression",
    Annotated[
        Annotated[
            FieldRef
            | Lit
            | Param
            | ParamByRegion
            | Compare
            | AllOf
            | AnyOf
            | Not
            | Member
            | Prefix
            | Between
            | Arith
            | Aggregate
            | If
            | IsProvided
            | NonEmpty
            | Count
            | NafSection
            | MonthsBetween
            | SumExpenses
            | AnyZoning
            | ValidSiret
            | ValidCommune
            | EnumMap
            | AidCeilingOf,
            Field(discriminator="op"),
        ],
        BeforeValidator(_literal_shorthand),
    ],
)
"""Any expression node; validated by its `op`. Named, so that the OpenAPI document holds the
union once as `Expression` and every node refers to it (tools walking the schema see the
recursion at once instead of unfolding 25 alternatives at every level)."""

for _node in Node.__subclasses__():
    _node.model_rebuild()
