"""Three-valued evaluation: expressions are compiled once into closures, then run per context.

A value is known, or an `Unknown` carrying the context paths whose absence made it unknown.
Boolean operators follow Kleene's logic, so a missing input is reported only when it could
change the answer. Every context path read is recorded with its value (None when missing).
Literals and parameters are folded into the closures that use them.
"""

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.eligibility.rules import domain_ops, operators, reads
from shared.eligibility.rules.context import EvaluationContext
from shared.eligibility.rules.expressions import (
    Aggregate,
    AllOf,
    AnyOf,
    Arith,
    Between,
    Compare,
    Count,
    FieldRef,
    If,
    IsProvided,
    Lit,
    Member,
    Node,
    NonEmpty,
    Not,
    Param,
    ParamByRegion,
    ParamSpec,
    Prefix,
    RegionalParam,
)
from shared.eligibility.rules.values import (
    Compiled,
    State,
    Unknown,
    align,
    is_unknown,
    merge_unknown,
    wrong_types,
)

_SIZED = (str, tuple, list, dict)


def param_value(spec: ParamSpec) -> Any:
    """A parameter's value outside any region (its default when it varies by region)."""
    return spec.default if isinstance(spec, RegionalParam) else spec


def param_reads(expr: Node, params: Mapping[str, ParamSpec]) -> dict[str, Any]:
    """The plain parameters an expression uses, as `params.<name>` → value; the engine
    records them once per criterion since folded constants record nothing.
    """
    return {
        f"params.{node.name}": param_value(params[node.name])
        for node in expr.walk()
        if isinstance(node, Param)
    }


class Compiler:
    """Turns expression trees into closures, resolving parameters once."""

    def __init__(self, params: Mapping[str, ParamSpec]) -> None:
        self.params = params

    def compile(self, node: Node) -> Compiled:
        """The closure computing `node`; parameters must exist (checked with the ruleset)."""
        build = _BUILDERS.get(type(node))
        if build is not None:
            return build(self, node)
        return domain_ops.BUILDERS[type(node)](self.compile, node)

    def operand(self, node: Node) -> operators.Operand:
        """A closure, or the value itself for a literal or a plain parameter."""
        if isinstance(node, Lit):
            return None, node.value
        if isinstance(node, Param):
            return None, param_value(self.params[node.name])
        return self.compile(node), None

    def field(self, node: FieldRef) -> Compiled:
        """Read a context path; record it; UNKNOWN (with the path) when absent or None."""
        return reads.field(node.path)

    def constant(self, node: Lit | Param) -> Compiled:
        """A literal or a plain parameter where a closure is needed."""
        _, value = self.operand(node)
        return lambda state: value  # noqa: ARG005 - every compiled node takes the state

    def param_by_region(self, node: ParamByRegion) -> Compiled:
        """A parameter for the region the expression gives, recorded as `params.<name>`."""
        spec, key = self.params[node.name], f"params.{node.name}"
        if not isinstance(spec, RegionalParam):
            return self.constant(Param(name=node.name))
        region, default, by_region = self.compile(node.region), spec.default, spec.by_region

        def run(state: State) -> Any:
            code = region(state)
            if type(code) is Unknown:
                return code
            value = by_region.get(code, default)
            state.reads[key] = value
            return value

        return run

    def binary(self, node: Compare | Arith) -> Compiled:
        """A comparison or an arithmetic operation. Dates and datetimes compare by calendar
        date; a division by zero is UNKNOWN.
        """
        operands = self.operand(node.left), self.operand(node.right)
        (left, a_const), (right, b_const) = operands
        op = node.op
        apply = operators.COMPARE.get(op) or operators.ARITH[op]
        if op == "div":
            if isinstance(node.left, FieldRef) and right is None and b_const != 0:
                return reads.field_against_constant(node.left.path, apply, b_const, op)
            return operators.binary(*operands, operators.divide, op)
        path_a, path_b = _attribute_path(node.left), _attribute_path(node.right)
        if path_a is not None and path_b is not None:
            return reads.fields_pair(path_a, path_b, operators.known_binary(apply, op))
        if right is None:
            if isinstance(node.left, FieldRef):
                return reads.field_against_constant(node.left.path, apply, b_const, op)
            if left is not None:
                return operators.against_constant(left, apply, b_const, op)
        if left is None and right is not None:
            return operators.constant_against(a_const, apply, right, op)
        return operators.binary(*operands, apply, op)

    def logic(self, node: AllOf | AnyOf) -> Compiled:
        """Kleene conjunction or disjunction; every argument is evaluated (all reads recorded)."""
        args = tuple(self.compile(arg) for arg in node.args)
        decisive = isinstance(node, AnyOf)

        def run(state: State) -> Any:
            decided, unknown = False, None
            for arg in args:
                value = arg(state)
                if type(value) is Unknown:
                    unknown = value if unknown is None else merge_unknown(unknown, value)
                elif (not value) is not decisive:
                    decided = True
            if decided:
                return decisive
            return not decisive if unknown is None else unknown

        return run

    def negate(self, node: Not) -> Compiled:
        """Negation."""
        arg = self.compile(node.arg)

        def run(state: State) -> Any:
            value = arg(state)
            return value if type(value) is Unknown else not value

        return run

    def member(self, node: Member | Prefix) -> Compiled:
        """Membership in a list, or a text starting with one of a list of prefixes."""
        options = self.operand(node.options if isinstance(node, Member) else node.prefixes)
        test = "in" if isinstance(node, Member) else "startswith"
        negate = node.op.startswith("not_")
        if isinstance(node.value, FieldRef) and options[0] is None:
            fused = reads.field_in_constant(node.value.path, options[1], test, negate)
            if fused is not None:
                return fused
        value_of, (options_of, const) = self.compile(node.value), options
        if test == "in" and options_of is None and isinstance(const, tuple):
            return operators.in_constant(value_of, const, negate)
        check: Callable[[Any, Any], bool] = (
            operator.contains if test == "in" else operators.starts_with
        )

        def run(state: State) -> Any:
            value = value_of(state)
            choices = const if options_of is None else options_of(state)
            if type(value) is Unknown or type(choices) is Unknown:
                return merge_unknown(value, choices)
            if not isinstance(choices, (tuple, list)):
                raise wrong_types(test, value, choices)
            return check(choices, value) is not negate

        return run

    def between(self, node: Between) -> Compiled:
        """Range: low ≤ value ≤ high."""
        operands = tuple(self.operand(n) for n in (node.value, node.low, node.high))

        def run(state: State) -> Any:
            value, low, high = [c if f is None else f(state) for f, c in operands]
            if Unknown in (type(value), type(low), type(high)):
                return merge_unknown(value, low, high)
            value, low = align(value, low)
            value, high = align(value, high)
            try:
                return bool(low <= value <= high)
            except TypeError:
                raise wrong_types("between", value, low, high) from None

        return run

    def aggregate(self, node: Aggregate) -> Compiled:
        """The minimum, maximum or mean; unknown if any argument is."""
        args, op = tuple(self.operand(arg) for arg in node.args), node.op
        if len(args) == 2 and op != "avg":
            return operators.pair(*args, smallest=op == "min")
        reduce: Callable[[list[Any]], Any] = min if op == "min" else max
        if op == "avg":
            reduce = _average

        def run(state: State) -> Any:
            values = []
            unknown = False
            for compiled, constant in args:
                value = constant if compiled is None else compiled(state)
                if type(value) is Unknown:
                    unknown = True
                values.append(value)
            if unknown:
                return merge_unknown(*values)
            try:
                return reduce(values)
            except TypeError:
                raise wrong_types(op, *values) from None

        return run

    def branch(self, node: If) -> Compiled:
        """if/then/else; with an unknown condition, the branches' value when they agree."""
        cond_of = self.compile(node.cond)
        (then_of, then_c), (else_of, else_c) = self.operand(node.then), self.operand(node.else_)
        if then_of is None and else_of is None:
            return operators.choice(cond_of, then_c, else_c)

        def run(state: State) -> Any:
            cond = cond_of(state)
            if type(cond) is not Unknown:
                if cond:
                    return then_c if then_of is None else then_of(state)
                return else_c if else_of is None else else_of(state)
            then = then_c if then_of is None else then_of(state)
            other = else_c if else_of is None else else_of(state)
            if type(then) is not Unknown and type(other) is not Unknown and then == other:
                return then
            return merge_unknown(cond, then, other)

        return run

    def is_provided(self, node: IsProvided) -> Compiled:
        """Whether the argument is known."""
        arg = self.compile(node.arg)
        return lambda state: type(arg(state)) is not Unknown

    def non_empty(self, node: NonEmpty) -> Compiled:
        """Whether every argument is a non-empty list or text (Kleene conjunction)."""
        args = tuple(self.compile(arg) for arg in node.args)

        def run(state: State) -> Any:
            empty, unknown = False, None
            for arg in args:
                value = arg(state)
                if type(value) is Unknown:
                    unknown = value if unknown is None else merge_unknown(unknown, value)
                elif isinstance(value, _SIZED) and not value:
                    empty = True
            if empty:
                return False
            return True if unknown is None else unknown

        return run

    def count(self, node: Count) -> Compiled:
        """The length of a list."""
        arg = self.compile(node.arg)

        def run(state: State) -> Any:
            value = arg(state)
            if type(value) is Unknown:
                return value
            if not isinstance(value, _SIZED):
                raise wrong_types("count", value)
            return len(value)

        return run


def _average(values: list[Any]) -> Any:
    return sum(values) / len(values)


def _attribute_path(node: Node) -> str | None:
    """The path of a field read as attributes of the context, else None."""
    return node.path if isinstance(node, FieldRef) and reads.is_attribute(node.path) else None


_BUILDERS: dict[type[Node], Callable[[Compiler, Any], Compiled]] = {
    FieldRef: Compiler.field,
    Lit: Compiler.constant,
    Param: Compiler.constant,
    ParamByRegion: Compiler.param_by_region,
    Compare: Compiler.binary,
    Arith: Compiler.binary,
    AllOf: Compiler.logic,
    AnyOf: Compiler.logic,
    Not: Compiler.negate,
    Member: Compiler.member,
    Prefix: Compiler.member,
    Between: Compiler.between,
    Aggregate: Compiler.aggregate,
    If: Compiler.branch,
    IsProvided: Compiler.is_provided,
    NonEmpty: Compiler.non_empty,
    Count: Compiler.count,
}


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The result of one expression: its value (or an Unknown) and the inputs read."""

    value: Any
    reads: Mapping[str, Any]

    @property
    def missing(self) -> tuple[str, ...]:
        """The missing inputs that made the value unknown, sorted; empty when known."""
        return tuple(sorted(self.value.missing)) if is_unknown(self.value) else ()


def evaluate(
    expr: Node, context: EvaluationContext, params: Mapping[str, ParamSpec] | None = None
) -> Evaluation:
    """Evaluate one expression against a context (compiling it first; the engine compiles a
    ruleset once instead). Raises KeyError for an undefined parameter and EvaluationError
    for values of the wrong type.
    """
    params = params or {}
    state = State(context)
    state.reads = param_reads(expr, params)
    value = Compiler(params).compile(expr)(state)
    return Evaluation(value, dict(state.reads))
