"""Compiled forms of the domain helpers: NAF section, months, expenses, zonings, codes, aid."""

from collections.abc import Callable
from datetime import date
from typing import Any

from shared.eligibility.rules import functions, reads
from shared.eligibility.rules.aid import ceiling_at_least, indicative_aid_ceiling
from shared.eligibility.rules.context import ZoningFacts
from shared.eligibility.rules.expressions import (
    AidCeilingOf,
    AnyZoning,
    EnumMap,
    FieldRef,
    MonthsBetween,
    NafSection,
    Node,
    SumExpenses,
    ValidCommune,
    ValidSiret,
)
from shared.eligibility.rules.values import (
    UNKNOWN,
    Compiled,
    State,
    Unknown,
    merge_unknown,
    wrong_types,
)
from shared.zonings.kinds import ZoningKind

CompileFn = Callable[[Node], Compiled]
ZONINGS_UNKNOWN = Unknown(frozenset(("zonings",)))


def expense_key(node: SumExpenses) -> str:
    """The key under which a sum of expenses is recorded among the inputs read."""
    return f"expenses.{'+'.join(node.categories)}_cents"


def naf_section(compile_node: CompileFn, node: NafSection) -> Compiled:
    """The NAF section of a code; UNKNOWN for a code outside NAF rev. 2."""
    arg = compile_node(node.arg)

    def run(state: State) -> Any:
        code = arg(state)
        if type(code) is Unknown:
            return code
        section = functions.naf_section(str(code))
        return UNKNOWN if section is None else section

    return run


def months_between(compile_node: CompileFn, node: MonthsBetween) -> Compiled:
    """Calendar months between two dates."""
    if isinstance(node.start, FieldRef) and isinstance(node.end, FieldRef):
        start_path, end_path = node.start.path, node.end.path
        if reads.is_attribute(start_path) and reads.is_attribute(end_path):
            return reads.fields_pair(start_path, end_path, _months)
    start_of, end_of = compile_node(node.start), compile_node(node.end)

    def run(state: State) -> Any:
        start, end = start_of(state), end_of(state)
        if type(start) is Unknown or type(end) is Unknown:
            return merge_unknown(start, end)
        return _months(start, end)

    return run


def _months(start: Any, end: Any) -> float:
    if not isinstance(start, date) or not isinstance(end, date):
        raise wrong_types("months_between", start, end)
    return functions.months_between(start, end)


def sum_expenses(compile_node: CompileFn, node: SumExpenses) -> Compiled:  # noqa: ARG001
    """The total of the expense lines in some categories, recorded as `expenses.…_cents`."""
    categories, key = tuple(node.categories), expense_key(node)

    def run(state: State) -> Any:
        total = 0
        for line in state.context.application.expense_lines:
            if line.category in categories:
                total += line.amount_cents
        state.reads[key] = total
        return total

    return run


def _zoning_unknown(name: str) -> Unknown:
    return ZONINGS_UNKNOWN if name == "zonings" else Unknown(frozenset((name,)))


def _read_zonings(state: State) -> ZoningFacts | None:
    """The site's zonings, recorded as read: the kinds it is in, and the data's vintage."""
    zonings = state.context.zonings
    state.reads["zonings"] = None if zonings is None else zonings.member_of
    if zonings is not None and zonings.vintage is not None:
        state.reads["zonings.vintage"] = zonings.vintage
    return zonings


def any_zoning(compile_node: CompileFn, node: AnyZoning) -> Compiled:  # noqa: ARG001
    """Whether the site is in one of the zonings (Kleene disjunction over the kinds).

    True as soon as one kind is true; false when every kind is known and false; otherwise
    unknown, naming `zonings` (nothing known) or each kind the zoning data does not cover
    (`zonings.QPV`).
    """
    kinds = frozenset(ZoningKind(kind).value for kind in node.kinds)

    def run(state: State) -> Any:
        zonings = _read_zonings(state)
        if zonings is None:
            return ZONINGS_UNKNOWN
        if not kinds.isdisjoint(zonings.member_of):
            return True
        missing = [f"zonings.{kind}" for kind in zonings.unknown if kind in kinds]
        return Unknown(frozenset(missing)) if missing else False

    return run


def check_code(compile_node: CompileFn, node: ValidSiret | ValidCommune) -> Compiled:
    """A format check of a SIRET or a commune code."""
    arg = compile_node(node.arg)
    check = functions.valid_siret if isinstance(node, ValidSiret) else functions.valid_commune

    def run(state: State) -> Any:
        value = arg(state)
        return value if type(value) is Unknown else check(str(value))

    return run


def _map_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def enum_map(compile_node: CompileFn, node: EnumMap) -> Compiled:
    """A number per value; `missing` stands for an unknown value when set."""
    value_of, cases, default, missing = (
        compile_node(node.value),
        node.cases,
        node.default,
        node.missing,
    )

    def run(state: State) -> Any:
        value = value_of(state)
        if type(value) is Unknown:
            return value if missing is None else missing
        return cases.get(_map_key(value), default)

    return run


def aid_ceiling(compile_node: CompileFn, node: AidCeilingOf) -> Compiled:
    """The indicative aid ceiling; kept on the state and recorded as `aid_ceiling.…`."""
    base_of, prior_of, size_of, nature_of, region_of, cap_of = (
        compile_node(arg)
        for arg in (
            node.base,
            node.prior_aid,
            node.size,
            node.nature,
            node.region,
            node.deminimis_cap,
        )
    )

    def run(state: State) -> Any:
        base, prior, size = base_of(state), prior_of(state), size_of(state)
        nature, region, cap = nature_of(state), region_of(state), cap_of(state)
        zonings = _read_zonings(state)
        ceiling = indicative_aid_ceiling(
            base_cents=None if type(base) is Unknown else base,
            prior_deminimis_cents=None if type(prior) is Unknown else prior,
            eu_size=None if type(size) is Unknown else size,
            nature=None if type(nature) is Unknown else nature,
            region_code=None if type(region) is Unknown else region,
            zonings=None if zonings is None else zonings.member_of,
            unknown_zonings=() if zonings is None else zonings.unknown,
            deminimis_cap_cents=None if type(cap) is Unknown else cap,
        )
        state.aid_ceiling = ceiling
        state.reads["aid_ceiling.amount_cents"] = ceiling.amount_cents
        state.reads["aid_ceiling.regime"] = ceiling.regime
        if not ceiling.missing:
            return ceiling.amount_cents
        by_name = {
            "base_cents": base,
            "prior_deminimis_cents": prior,
            "eu_size": size,
            "nature": nature,
            "region_code": region,
            "deminimis_cap_cents": cap,
        }
        unknown = merge_unknown(
            *(
                by_name[name] if name in by_name else _zoning_unknown(name)
                for name in ceiling.missing
            )
        )
        # Whatever the missing inputs, the ceiling is at least the de minimis room and, for
        # a known SME, GBER art. 17: a request within that floor needs none of them
        # (`operators.bounded`).
        floor = ceiling_at_least(
            base_cents=None if type(base) is Unknown else base,
            prior_deminimis_cents=None if type(prior) is Unknown else prior,
            eu_size=None if type(size) is Unknown else size,
            deminimis_cap_cents=None if type(cap) is Unknown else cap,
        )
        return unknown if floor is None else Unknown(unknown.missing, at_least=floor)

    return run


BUILDERS: dict[type[Node], Callable[[CompileFn, Any], Compiled]] = {
    NafSection: naf_section,
    MonthsBetween: months_between,
    SumExpenses: sum_expenses,
    AnyZoning: any_zoning,
    ValidSiret: check_code,
    ValidCommune: check_code,
    EnumMap: enum_map,
    AidCeilingOf: aid_ceiling,
}
"""How to compile each domain helper node."""
