"""Static checks of expressions, run when a ruleset is built: paths, parameters and types."""

from collections.abc import Callable, Mapping
from typing import Any

from shared.eligibility.rules.context import ValueType, path_info
from shared.eligibility.rules.domain_ops import expense_key
from shared.eligibility.rules.expressions import (
    Aggregate,
    AidCeilingOf,
    AllOf,
    AnyOf,
    AnyZoning,
    Arith,
    Between,
    Compare,
    Count,
    EnumMap,
    FieldRef,
    If,
    IsProvided,
    Lit,
    Member,
    MonthsBetween,
    NafSection,
    Node,
    NonEmpty,
    Not,
    Param,
    ParamByRegion,
    ParamSpec,
    ParamValue,
    Prefix,
    RegionalParam,
    SumExpenses,
    ValidCommune,
    ValidSiret,
)

_ORDERED: frozenset[ValueType] = frozenset({"number", "date", "text"})
_SIZED: frozenset[ValueType] = frozenset({"list", "text"})
_EQUATABLE: frozenset[ValueType] = _ORDERED | {"bool", "list"}
_NUMBER: frozenset[ValueType] = frozenset({"number"})
_TEXT: frozenset[ValueType] = frozenset({"text"})


def value_type(value: ParamValue) -> ValueType:
    """The coarse type of a literal or parameter value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "text" if isinstance(value, str) else "list"


class Checker:
    """Infers the type of expressions, collecting errors and the input keys they may record."""

    def __init__(self, params: Mapping[str, ParamSpec]) -> None:
        self.params = params
        self.errors: list[str] = []
        self.keys: set[str] = set()
        self._where = ""

    def check(self, node: Node, where: str, expected: frozenset[ValueType]) -> ValueType:
        """Check a whole expression found at `where` that must have one of these types."""
        self._where = where
        return self._expect(node, expected, "the expression")

    def _error(self, message: str) -> None:
        self.errors.append(f"{self._where}: {message}")

    def _infer(self, node: Node) -> ValueType:
        rule: Callable[[Checker, Any], ValueType] = _RULES[type(node)]
        return rule(self, node)

    def _expect(self, node: Node, expected: frozenset[ValueType], what: str) -> ValueType:
        actual = self._infer(node)
        if actual != "any" and actual not in expected:
            wanted = " or ".join(sorted(expected))
            op = getattr(node, "op", "?")
            self._error(f"{what} must be {wanted}, not {actual} ('{op}')")
        return actual

    def _same(self, left: Node, right: Node, allowed: frozenset[ValueType], op: str) -> ValueType:
        a, b = self._infer(left), self._infer(right)
        if "any" not in (a, b) and a != b:
            self._error(f"'{op}' compares {a} with {b}")
        elif a not in allowed | {"any"} or b not in allowed | {"any"}:
            self._error(f"'{op}' cannot order values of type {a if a != 'any' else b}")
        return b if a == "any" else a

    def field(self, node: FieldRef) -> ValueType:
        """A context path must exist."""
        info = path_info(node.path)
        if info is None:
            self._error(f"unknown context path '{node.path}'")
            return "any"
        self.keys.add(node.path)
        return info.type

    def literal(self, node: Lit) -> ValueType:
        """A literal's type is its value's."""
        return value_type(node.value)

    def _param_spec(self, name: str) -> ParamSpec | None:
        spec = self.params.get(name)
        if spec is None:
            self._error(f"undefined parameter '{name}'")
        else:
            self.keys.add(f"params.{name}")
        return spec

    def param(self, node: Param) -> ValueType:
        """A parameter must exist; a regional one needs a region."""
        spec = self._param_spec(node.name)
        if isinstance(spec, RegionalParam):
            self._error(f"parameter '{node.name}' varies by region: use param_by_region")
            return value_type(spec.default)
        return "any" if spec is None else value_type(spec)

    def param_by_region(self, node: ParamByRegion) -> ValueType:
        """The region is a text code."""
        self._expect(node.region, frozenset({"text"}), "the region")
        spec = self._param_spec(node.name)
        if spec is None:
            return "any"
        return value_type(spec.default if isinstance(spec, RegionalParam) else spec)

    def compare(self, node: Compare) -> ValueType:
        """Both sides have the same type; ordering needs numbers, dates or texts."""
        if node.op in ("eq", "ne"):
            self._same(node.left, node.right, _EQUATABLE, node.op)
        else:
            self._same(node.left, node.right, _ORDERED, node.op)
        return "bool"

    def logic(self, node: AllOf | AnyOf | Not) -> ValueType:
        """Boolean operands."""
        for arg in node.children():
            self._expect(arg, frozenset({"bool"}), "an operand")
        return "bool"

    def member(self, node: Member) -> ValueType:
        """The options are a list."""
        self._infer(node.value)
        self._expect(node.options, frozenset({"list"}), "the options")
        return "bool"

    def prefix(self, node: Prefix) -> ValueType:
        """A text and a list of prefixes."""
        self._expect(node.value, frozenset({"text"}), "the value")
        self._expect(node.prefixes, frozenset({"list"}), "the prefixes")
        return "bool"

    def between(self, node: Between) -> ValueType:
        """Three values of one ordered type."""
        self._same(node.value, node.low, _ORDERED, node.op)
        self._same(node.value, node.high, _ORDERED, node.op)
        return "bool"

    def numbers(self, node: Arith | Aggregate) -> ValueType:
        """Numeric operands."""
        for arg in node.children():
            self._expect(arg, frozenset({"number"}), "an operand")
        return "number"

    def branch(self, node: If) -> ValueType:
        """A boolean condition; branches of one type."""
        self._expect(node.cond, frozenset({"bool"}), "the condition")
        then, other = self._infer(node.then), self._infer(node.else_)
        if "any" not in (then, other) and then != other:
            self._error(f"'if' branches have different types: {then} and {other}")
        return other if then == "any" else then

    def provided(self, node: IsProvided) -> ValueType:
        """Any argument."""
        self._infer(node.arg)
        return "bool"

    def non_empty(self, node: NonEmpty) -> ValueType:
        """Lists or texts."""
        for arg in node.args:
            self._expect(arg, _SIZED, "an operand")
        return "bool"

    def count(self, node: Count) -> ValueType:
        """A list or a text."""
        self._expect(node.arg, _SIZED, "the operand")
        return "number"

    def naf_section(self, node: NafSection) -> ValueType:
        """A NAF code."""
        self._expect(node.arg, frozenset({"text"}), "the code")
        return "text"

    def months_between(self, node: MonthsBetween) -> ValueType:
        """Two dates."""
        self._expect(node.start, frozenset({"date"}), "the start")
        self._expect(node.end, frozenset({"date"}), "the end")
        return "number"

    def sum_expenses(self, node: SumExpenses) -> ValueType:
        """Records the sum under its key."""
        self.keys.add(expense_key(node))
        return "number"

    def any_zoning(self, node: AnyZoning) -> ValueType:  # noqa: ARG002
        """Reads the zonings (the kinds the site is in) and their vintage."""
        self.keys.update({"zonings", "zonings.vintage"})
        return "bool"

    def check_code(self, node: ValidSiret | ValidCommune) -> ValueType:
        """A text code."""
        self._expect(node.arg, frozenset({"text"}), "the code")
        return "bool"

    def enum_map(self, node: EnumMap) -> ValueType:
        """Any value, mapped to a number."""
        self._infer(node.value)
        return "number"

    def aid_ceiling(self, node: AidCeilingOf) -> ValueType:
        """Amounts are numbers; size, nature and region are texts."""
        number, text = _NUMBER, _TEXT
        for arg, expected in (
            (node.base, number),
            (node.prior_aid, number),
            (node.size, text),
            (node.nature, text),
            (node.region, text),
            (node.deminimis_cap, number),
        ):
            self._expect(arg, expected, "an argument")
        self.keys.update(
            {"zonings", "zonings.vintage", "aid_ceiling.amount_cents", "aid_ceiling.regime"}
        )
        return "number"


_RULES: dict[type[Node], Callable[[Checker, Any], ValueType]] = {
    FieldRef: Checker.field,
    Lit: Checker.literal,
    Param: Checker.param,
    ParamByRegion: Checker.param_by_region,
    Compare: Checker.compare,
    AllOf: Checker.logic,
    AnyOf: Checker.logic,
    Not: Checker.logic,
    Member: Checker.member,
    Prefix: Checker.prefix,
    Between: Checker.between,
    Arith: Checker.numbers,
    Aggregate: Checker.numbers,
    If: Checker.branch,
    IsProvided: Checker.provided,
    NonEmpty: Checker.non_empty,
    Count: Checker.count,
    NafSection: Checker.naf_section,
    MonthsBetween: Checker.months_between,
    SumExpenses: Checker.sum_expenses,
    AnyZoning: Checker.any_zoning,
    ValidSiret: Checker.check_code,
    ValidCommune: Checker.check_code,
    EnumMap: Checker.enum_map,
    AidCeilingOf: Checker.aid_ceiling,
}
