"""The outbox statements, in SQLAlchemy Core: an event with its audience and deliveries, and a
versioned row change with its audit entry (and, optionally, its event) — one statement each.

    WITH changed  AS (UPDATE <table> SET …, version = version + 1, updated_at = now()
                      WHERE id = :w_id AND version = :w_version RETURNING version, updated_at),
         entry    AS (INSERT INTO audit_entries … SELECT … FROM changed),
         audience AS (SELECT the event's operator + operators whose routing rules match),
         event    AS (INSERT INTO events … SELECT … FROM audience[, changed] RETURNING …),
         delivery AS (INSERT INTO webhook_deliveries … SELECT … FROM event JOIN endpoints …)
    SELECT [changed.version, changed.updated_at,] delivery id, endpoint, state, cap,
           whether a lane at work on the endpoint will take it

One statement is atomic whatever the transaction around it: the entry, the event and the
deliveries exist only if the row was written. Statements are built once per shape (the
parameters are bound at execution), so SQLAlchemy's compiled cache serves every call.
"""

from collections.abc import Sequence
from functools import cache
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    Table,
    Text,
    Uuid,
    and_,
    any_,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import CTE, FromClause

from shared.audit.models import AuditEntry
from shared.events.models import Event
from shared.funds.models import Fund
from shared.operators.models import Operator, OperatorKind
from shared.webhooks.models import RoutingRule, WebhookDelivery, WebhookEndpoint
from shared.webhooks.repository import NOW, pending, unleased

_EVENTS: Final[Table] = Event.__table__  # type: ignore[assignment]
_ENTRIES: Final[Table] = AuditEntry.__table__  # type: ignore[assignment]
_RULES: Final[Table] = RoutingRule.__table__  # type: ignore[assignment]
_ENDPOINTS: Final[Table] = WebhookEndpoint.__table__  # type: ignore[assignment]
_DELIVERIES: Final[Table] = WebhookDelivery.__table__  # type: ignore[assignment]
_FUNDS: Final[Table] = Fund.__table__  # type: ignore[assignment]
_OPERATORS: Final[Table] = Operator.__table__  # type: ignore[assignment]

EVENT_COLUMNS: Final = (
    "id",
    "type",
    "subject_type",
    "subject_id",
    "fund_id",
    "operator_id",
    "territory_id",
    "request_id",
)
"""Event columns bound as parameters `e_<column>` (the others are computed).

Prefixed, as every parameter of these statements: an UPDATE takes a parameter named after
one of its table's columns as a value to SET."""


def json_instant(instant: ColumnElement[Any]) -> ColumnElement[str]:
    """`instant` as pydantic writes it in JSON (`2026-01-02T03:04:05.123456Z`, no fraction
    when it is zero), so an event stamped in SQL reads like one stamped in Python."""
    utc = func.timezone("UTC", instant)
    whole_second = cast(func.date_part("microseconds", instant), BigInteger) % 1_000_000 == 0
    fraction = case((whole_second, literal("")), else_=func.to_char(utc, ".US"))
    return func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS').concat(fraction).concat("Z")


def _audience() -> CTE:
    """The operators an event concerns: its own, the Region co-deciding it (application
    events of funds with regional preselection name it in `e_deciding_region`), and those
    whose routing rules match a tag."""
    return _audience_of(
        bindparam("e_operator_id", type_=Uuid),
        bindparam("e_deciding_region", type_=String),
        bindparam("e_route_tags", type_=ARRAY(String)),
    ).cte("audience")


def _audience_of(
    operator: ColumnElement[Any],
    region: ColumnElement[Any],
    tags: ColumnElement[Any],
    *,
    correlate: FromClause | None = None,
) -> Select[Any]:
    """SELECT the audience (`ids`) of one event from its operator, deciding region and route
    tags; `correlate` names the event source these read from, row by row (a LATERAL join)."""
    tag = cast(_RULES.c.field, Text).concat(":").concat(_RULES.c.value)
    own = select(operator.label("op"))
    region_operators = select(_OPERATORS.c.id).where(
        _OPERATORS.c.kind == OperatorKind.REGION, _OPERATORS.c.region_code == region
    )
    routed = select(_RULES.c.operator_id).where(tag == any_(tags))
    if correlate is not None:
        own, region_operators, routed = (
            own.correlate(correlate),
            region_operators.correlate(correlate),
            routed.correlate(correlate),
        )
    candidates = union_all(own, region_operators, routed).subquery("candidates")
    operators = func.array_agg(candidates.c.op.distinct()).filter(candidates.c.op.is_not(None))
    empty = cast(literal("{}"), ARRAY(Uuid))
    return select(func.coalesce(operators, empty).label("ids"))


def _event(changed: CTE | None) -> CTE:
    """INSERT the event; with `changed`, only if that row was written, stamped from it."""
    audience = _audience()
    values: list[ColumnElement[Any]] = [
        bindparam(f"e_{name}", type_=_EVENTS.c[name].type) for name in EVENT_COLUMNS
    ]
    data: ColumnElement[Any] = bindparam("e_data", type_=JSONB)
    if changed is None:
        sequence: ColumnElement[Any] = bindparam("e_sequence", type_=BigInteger)
        occurred_at: ColumnElement[Any] = bindparam(
            "e_occurred_at", type_=_EVENTS.c.occurred_at.type
        )
        source = select(*values, sequence, occurred_at, data, audience.c.ids)
    else:
        sequence, occurred_at = changed.c.version, changed.c.updated_at
        stamps = func.jsonb_build_object(
            "occurred_at", json_instant(occurred_at), "sequence", sequence
        )
        data = data.op("||", return_type=JSONB)(stamps)
        both = audience.join(changed, true())  # one row each: the event only if the row changed
        source = select(*values, sequence, occurred_at, data, audience.c.ids).select_from(both)
    columns = [*EVENT_COLUMNS, "sequence", "occurred_at", "data", "audience"]
    return (
        insert(_EVENTS)
        .from_select(columns, source, include_defaults=False)
        .returning(
            _EVENTS.c.id, _EVENTS.c.position, _EVENTS.c.type, _EVENTS.c.fund_id, _EVENTS.c.audience
        )
        .cte("event")
    )


def _deliveries(event: CTE) -> CTE:
    """INSERT one delivery per endpoint of the audience whose filters accept the event.

    Endpoints whose circuit is open or which are disabled get one too: it waits for them.
    """
    endpoint = _ENDPOINTS
    fund_listed = exists().where(
        _FUNDS.c.id == event.c.fund_id, _FUNDS.c.code == any_(endpoint.c.fund_codes)
    )
    accepted = (
        select(func.gen_random_uuid(), event.c.id, endpoint.c.id, event.c.position, event.c.type)
        .select_from(event.join(endpoint, endpoint.c.operator_id == any_(event.c.audience)))
        .where(
            or_(
                func.cardinality(endpoint.c.event_types) == 0,
                event.c.type == any_(endpoint.c.event_types),
            ),
            or_(func.cardinality(endpoint.c.fund_codes) == 0, fund_listed),
        )
    )
    columns = ["id", "event_id", "endpoint_id", "position", "event_type"]
    return (
        insert(_DELIVERIES)
        .from_select(columns, accepted, include_defaults=False)
        .returning(_DELIVERIES.c.id, _DELIVERIES.c.endpoint_id)
        .cte("delivery")
    )


def _queued_behind(delivery: CTE) -> ColumnElement[bool]:
    """Whether the delivery's endpoint has a lane at work with older deliveries due behind
    it: that lane drains this one too (it claims until nothing is due), so the delivery
    needs no job of its own. The sweeper starts a lane should that one stop first.

    Without this, an endpoint that answers slowly would get one job per event, each waiting
    on the first-attempt queue for a lane it cannot have, ahead of the jobs of healthy
    endpoints.
    """
    older = aliased(WebhookDelivery)
    of_endpoint = (older.endpoint_id == delivery.c.endpoint_id, pending(older))
    leased = exists().where(*of_endpoint, older.locked_until > NOW)
    due = exists().where(*of_endpoint, older.next_attempt_at <= NOW, unleased(older))
    return and_(leased, due)


def _delivery_columns(delivery: CTE) -> Sequence[ColumnElement[Any]]:
    """What the statements return of each delivery written: id, endpoint, state, cap, and
    whether a lane already at work on the endpoint will take it."""
    return (
        delivery.c.id,
        delivery.c.endpoint_id,
        cast(_ENDPOINTS.c.state, Text),
        _ENDPOINTS.c.max_in_flight,
        _queued_behind(delivery),
    )


def _with_endpoint(delivery: CTE) -> Any:
    return delivery.join(_ENDPOINTS, _ENDPOINTS.c.id == delivery.c.endpoint_id)


@cache
def publish_statement() -> Select[Any]:
    """Write an event, its audience and its deliveries; one row per delivery written.

    Parameters: `e_` + `EVENT_COLUMNS`, `e_sequence`, `e_occurred_at`, `e_data`,
    `e_route_tags`, `e_deciding_region`.
    """
    delivery = _deliveries(_event(None))
    return select(*_delivery_columns(delivery)).select_from(_with_endpoint(delivery))


@cache
def change_statement(
    table: Table, columns: tuple[str, ...], audited: tuple[str, ...], with_event: bool
) -> Select[Any]:
    """Write a versioned row change and its audit entry (and event); RETURNING the version.

    Parameters: `w_id`, `w_version` (where), `v_<column>` (values), `a_<column>` (audit
    entry) and the event's, those of `publish_statement` but `e_sequence` and
    `e_occurred_at` (taken from the row).
    Returns no row when the row is not at `w_version`; else one row per delivery written
    (at least one, with NULL delivery columns when there are none).
    """
    changed = (
        update(table)
        .where(
            table.c.id == bindparam("w_id", type_=table.c.id.type),
            table.c.version == bindparam("w_version", type_=table.c.version.type),
        )
        .values(
            {name: bindparam(f"v_{name}", type_=table.c[name].type) for name in columns}
            | {"version": table.c.version + 1, "updated_at": func.now()}
        )
        .returning(table.c.version, table.c.updated_at)
        .cte("changed")
    )
    entry_values = [bindparam(f"a_{name}", type_=_ENTRIES.c[name].type) for name in audited]
    entry = (
        insert(_ENTRIES)
        .from_select(audited, select(*entry_values).select_from(changed), include_defaults=False)
        .cte("entry")
    )
    if not with_event:
        return select(changed.c.version, changed.c.updated_at).add_cte(entry)
    delivery = _deliveries(_event(changed))
    return (
        select(changed.c.version, changed.c.updated_at, *_delivery_columns(delivery))
        .select_from(changed.outerjoin(_with_endpoint(delivery), true()))
        .add_cte(entry)
    )


def _unnested(name: str, prefix: str, column_type: Any) -> ColumnElement[Any]:
    """`unnest(:<prefix><name>)`: one array parameter read as a column, row by row (arrays
    unnested side by side in one SELECT run in step)."""
    return func.unnest(bindparam(f"{prefix}{name}", type_=ARRAY(column_type))).label(name)


@cache
def change_many_statement(
    table: Table, columns: tuple[str, ...], audited: tuple[str, ...], with_event: bool
) -> Select[Any]:
    """`change_statement` for many rows at once: each row's change, its audit entries (any
    number per row) and its event (without route tags), in one statement.

    Parameters, arrays: `w_id`, `w_version` (where), `v_<column>` (values, as text, cast to
    the column's type), `a_row` (the row of each entry) and `a_<column>` (entries, as text),
    and the events': `e_row`, `e_<column>` of `EVENT_COLUMNS`, `e_data` (as text),
    `e_deciding_region`; `w_steps`, how many moves each row makes (its version goes up by
    as many). A row not at its `w_version` is left alone, with its entries and event.
    Returns the number of rows written, once per delivery written (NULL delivery columns
    when there are none).
    """
    rows = select(
        _unnested("id", "w_", table.c.id.type),
        _unnested("version", "w_", table.c.version.type),
        *(_unnested(name, "v_", Text) for name in columns),
    ).cte("rows")
    steps = bindparam("w_steps", type_=table.c.version.type)
    changed = (
        update(table)
        .where(table.c.id == rows.c.id, table.c.version == rows.c.version)
        .values(
            {name: cast(rows.c[name], table.c[name].type) for name in columns}
            | {"version": table.c.version + steps, "updated_at": func.now()}
        )
        .returning(table.c.id, table.c.version, table.c.updated_at)
        .cte("changed")
    )
    entries = select(
        _unnested("row", "a_", table.c.id.type), *(_unnested(name, "a_", Text) for name in audited)
    ).cte("entries")
    entry_source = select(*(cast(entries.c[name], _ENTRIES.c[name].type) for name in audited))
    entry = (
        insert(_ENTRIES)
        .from_select(
            audited,
            entry_source.select_from(entries.join(changed, changed.c.id == entries.c.row)),
            include_defaults=False,
        )
        .cte("entry")
    )
    counted = select(func.count().label("written")).select_from(changed).subquery("counted")
    if not with_event:
        return select(counted.c.written).add_cte(entry)
    delivery = _deliveries(_events_of(changed, table))
    return (
        select(counted.c.written, *_delivery_columns(delivery))
        .select_from(counted.outerjoin(_with_endpoint(delivery), true()))
        .add_cte(entry)
    )


def _events_of(changed: CTE, table: Table) -> CTE:
    """INSERT the events of the rows written (`e_row`), stamped from them, each with its
    audience (its operator and the Region co-deciding it)."""
    source = select(
        _unnested("row", "e_", table.c.id.type),
        *(_unnested(name, "e_", _EVENTS.c[name].type) for name in EVENT_COLUMNS),
        _unnested("data", "e_", Text),
        _unnested("deciding_region", "e_", String),
    ).cte("event_rows")
    no_tags = cast(literal("{}"), ARRAY(String))
    audience = _audience_of(
        source.c.operator_id, source.c.deciding_region, no_tags, correlate=source
    ).lateral("audience")
    stamps = func.jsonb_build_object(
        "occurred_at", json_instant(changed.c.updated_at), "sequence", changed.c.version
    )
    data = cast(source.c.data, JSONB).op("||", return_type=JSONB)(stamps)
    rows = select(
        *(source.c[name] for name in EVENT_COLUMNS),
        changed.c.version,
        changed.c.updated_at,
        data,
        audience.c.ids,
    ).select_from(source.join(changed, changed.c.id == source.c.row).join(audience, true()))
    columns = [*EVENT_COLUMNS, "sequence", "occurred_at", "data", "audience"]
    return (
        insert(_EVENTS)
        .from_select(columns, rows, include_defaults=False)
        .returning(
            _EVENTS.c.id, _EVENTS.c.position, _EVENTS.c.type, _EVENTS.c.fund_id, _EVENTS.c.audience
        )
        .cte("event")
    )
