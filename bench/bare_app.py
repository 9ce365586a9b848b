"""The bare stack tidi is compared with: FastAPI, asyncpg and arq, and nothing of tidi.

- `POST /v1/applications/{id}/submit` sends the statements tidi sends for a submit
  (`bench/tidi_statements.py`, in the same order, with the same parameters) and enqueues
  the same scoring job with arq's public `ArqRedis.enqueue_job`, so what separates it from
  tidi is tidi's own work: HTTP, auth, validation, ORM, evaluating the fund's rules,
  serialisation. It reads what the rules need (the fund's latest published ruleset, the
  application's territory, the register's de minimis for the applicant's SIREN, the
  zonings of the site's commune), with the values tidi derives from the application row, but
  evaluates nothing: the rules are tidi's work, part of the overhead measured. It sends
  these reads whatever the row holds (tidi skips one whose input is missing: a project
  without territory, an undeclared prior de minimis, a site without commune; the bench's
  drafts have them all). It checks what tidi checks in SQL (tenancy, version) but not in
  Python (fund window, completeness), and copies the project's holder into the snapshot
  without tidi's two computed size fields. The bench database has no webhook endpoint:
  the write creates no delivery, so no first attempt is enqueued (tidi would enqueue one
  per delivery).
- `GET /v1/funds` selects the funds with tidi's statement and returns them through a
  pydantic model with the fields of tidi's `FundRead` page.
- `POST /bare` inserts one JSONB row: the floor of a write request.

The environment configures it: BARE_DSN; BARE_POOL_MIN / BARE_POOL_MAX (set to tidi's
DATABASE_POOL_SIZE and DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW: the same connections);
for submits BARE_REDIS_URL, BARE_QUEUE, BARE_TERRITORY_ID (the key's tenancy) and
BARE_KEY_ID (the audit's actor).

    uvicorn bench.bare_app:app --workers N
"""

import json
import os
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
from arq import create_pool
from arq.connections import RedisSettings
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from bench.tidi_statements import (
    FUNDS_PAGE,
    FUNDS_PAGE_LIMIT,
    SUBMIT_FACTS,
    SUBMIT_READ,
    SUBMIT_RULESET,
    SUBMIT_WRITE,
)

SCORE_JOB = "eligibility.score_application"
RULE_READS = (SUBMIT_RULESET, SUBMIT_FACTS)
"""The reads of what the fund's rules need, between the submit's read and its write."""
PUBLISHED, DE_MINIMIS, DEMINIMIS_YEARS = "published", "de_minimis_2023_2831", 3
JSON_COLUMNS = ("expense_lines", "engagements", "attestations", "answers", "attachments")
PLAIN_COLUMNS = (
    "id",
    "project_id",
    "territory_id",
    "region_code",
    "applicant_siren",
    "expense_holder_siren",
    "requested_amount_cents",
    "eligible_expense_base_cents",
    "aid_form",
    "prior_deminimis_cents",
    "territory_opinion",
    "created_at",
)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """One asyncpg pool per process (and an arq pool when submits are configured)."""
    env = os.environ
    app.state.pool = await asyncpg.create_pool(
        env["BARE_DSN"], min_size=int(env["BARE_POOL_MIN"]), max_size=int(env["BARE_POOL_MAX"])
    )
    app.state.redis = None
    if "BARE_REDIS_URL" in env:
        app.state.redis = await create_pool(RedisSettings.from_dsn(env["BARE_REDIS_URL"]))
        app.state.queue = env["BARE_QUEUE"]
        app.state.territory_id = uuid.UUID(env["BARE_TERRITORY_ID"])
        app.state.key_id = uuid.UUID(env["BARE_KEY_ID"])
    yield
    await app.state.pool.close()
    if app.state.redis is not None:
        await app.state.redis.aclose()


app = FastAPI(lifespan=lifespan)


@app.post("/bare", status_code=201)
async def insert_row(request: Request) -> JSONResponse:
    """Insert the posted document as one JSONB row."""
    document = await request.json()
    async with request.app.state.pool.acquire() as connection:
        row_id = await connection.fetchval(
            "INSERT INTO bare_rows (doc) VALUES ($1::jsonb) RETURNING id", json.dumps(document)
        )
    return JSONResponse({"id": str(row_id)}, status_code=201)


@app.post("/v1/applications/{application_id}/submit")
async def submit(application_id: uuid.UUID, request: Request) -> Response:
    """Submit a draft with tidi's statements, then enqueue its scoring job."""
    state = request.app.state
    async with state.pool.acquire() as connection:
        row = await connection.fetchrow(SUBMIT_READ, state.territory_id, application_id)
        if row is None:
            return JSONResponse({"detail": "no such application"}, status_code=404)
        if request.headers.get("if-match") != f'"{row["version"]}"':
            return JSONResponse({"detail": "If-Match is not the version"}, status_code=412)
        if row["status"] != "draft":
            return JSONResponse({"detail": "not a draft"}, status_code=409)
        now = datetime.now(UTC)
        for statement, read in zip(RULE_READS, rule_parameters(row, now.date()), strict=True):
            await connection.fetch(statement, *read)
        parameters = submit_parameters(
            row, key_id=state.key_id, request_id=uuid.uuid4().hex, now=now
        )
        written = await connection.fetchrow(SUBMIT_WRITE, *parameters)
    if written is None:
        return JSONResponse({"detail": "changed since it was read"}, status_code=412)
    await state.redis.enqueue_job(
        SCORE_JOB,
        application_id=str(application_id),
        _job_id=f"score:{application_id}:{parameters[SUBMISSION_NO]}",
        _queue_name=state.queue,
    )
    return Response(submitted_document(row, parameters, written), media_type="application/json")


SNAPSHOT, SUBMISSION_NO = 10, 11
"""Where the snapshot and the submission number are in `submit_parameters` (0-based)."""


def submit_statements(
    row: Mapping[str, Any],
    *,
    territory_id: uuid.UUID,
    key_id: uuid.UUID,
    request_id: str,
    now: datetime,
) -> list[tuple[str, tuple[Any, ...]]]:
    """Each statement of a submit of the application `row` (as SUBMIT_READ returns it) with
    its parameters, in the order the endpoint sends them."""
    return [
        (SUBMIT_READ, (territory_id, row["id"])),
        *zip(RULE_READS, rule_parameters(row, now.date()), strict=True),
        (SUBMIT_WRITE, submit_parameters(row, key_id=key_id, request_id=request_id, now=now)),
    ]


def rule_parameters(row: Mapping[str, Any], today: date) -> list[tuple[Any, ...]]:
    """The parameters of RULE_READS for the application `row`, read on `today` (UTC)."""
    site = json.loads(row["site"]) if row["site"] is not None else {}
    return [
        (row["fund_id"], PUBLISHED, 1),
        (
            0,
            row["applicant_siren"],
            DE_MINIMIS,
            _window_start(today),
            today,
            today,
            site.get("commune_insee"),
            row["territory_id"],
        ),
    ]


def _window_start(on: date) -> date:
    """The day before the de minimis rolling window ending `on` starts (29 February: 28)."""
    if (on.month, on.day) == (2, 29):
        on -= timedelta(days=1)
    return on.replace(year=on.year - DEMINIMIS_YEARS)


def submit_parameters(
    row: Mapping[str, Any], *, key_id: uuid.UUID, request_id: str, now: datetime | None = None
) -> tuple[Any, ...]:
    """The parameters of SUBMIT_WRITE for the application `row` (as SUBMIT_READ returns it)."""
    application_id = row["id"]
    changes = {"status": {"from": row["status"], "to": "submitted"}}
    audit = (uuid.uuid4(), key_id, "territory", "application.submit", "application")
    event = (uuid.uuid4(), "application.submitted", "application", application_id)
    stamp = ("occurred_at", "UTC", 'YYYY-MM-DD"T"HH24:MI:SS', "microseconds", 1_000_000, 0)
    return (
        *audit,
        str(application_id),
        json.dumps(changes),
        None,
        request_id,
        "submitted",
        json.dumps(_snapshot(row)),
        row["submission_no"] + 1,
        now or datetime.now(UTC),
        1,
        application_id,
        row["version"],
        *event,
        row["fund_id"],
        row["operator_id"],
        row["territory_id"],
        request_id,
        json.dumps(_event_data(row)),
        *stamp,
        "",
        ".US",
        "Z",
        "sequence",
        "{}",
        "region",  # the co-deciding Region joins the audience of preselected funds' events
        row["region_code"] if row["regional_preselection"] else None,
        ":",
        [],
        0,
        0,
    )


def _snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    """The project's scoring inputs, from the project columns of the read."""
    return {
        "project_id": str(row["id_1"]),
        "version": row["version_1"],
        "territory_id": _text(row["territory_id_1"]),
        "title": row["title"],
        "nature": row["nature"],
        "priorities": list(row["priorities"]),
        "holder": json.loads(row["holder"]),
        "site": json.loads(row["site"]),
        "investment_total_cents": row["investment_total_cents"],
        "planned_start": _text(row["planned_start"]),
        "planned_end": _text(row["planned_end"]),
        "jobs_created": row["jobs_created"],
        "jobs_maintained": row["jobs_maintained"],
        "relocation": json.loads(row["relocation"]),
        "is_collective": row["is_collective"],
    }


def _event_data(row: Mapping[str, Any]) -> dict[str, Any]:
    """The `application.submitted` payload (its instant and sequence are stamped in SQL)."""
    return {
        "id": str(row["id"]),
        "url": f"/v1/applications/{row['id']}",
        "status": "submitted",
        "previous_status": row["status"],
        "occurred_at": _text(row["updated_at"]),
        "sequence": row["version"] + 1,
        "project_id": str(row["project_id"]),
        "fund_code": row["code"],
        "territory_id": _text(row["territory_id"]),
        "region_code": row["region_code"],
        "requested_amount_cents": row["requested_amount_cents"],
        "eligible_expense_base_cents": row["eligible_expense_base_cents"],
    }


def submitted_document(
    row: Mapping[str, Any], parameters: tuple[Any, ...], written: Mapping[str, Any]
) -> str:
    """The submitted application as JSON, with the fields of tidi's `ApplicationRead`."""
    document = {name: _text(row[name]) for name in PLAIN_COLUMNS}
    document |= {name: json.loads(row[name]) for name in JSON_COLUMNS}
    document |= {
        "fund_code": row["code"],
        "status": "submitted",
        "project_snapshot": json.loads(parameters[SNAPSHOT]),
        "submission_no": parameters[SUBMISSION_NO],
        "submitted_at": _text(parameters[SUBMISSION_NO + 1]),
        "allowed_actions": ["withdraw"],
        "version": written["version"],
        "updated_at": _text(written["updated_at"]),
    }
    return json.dumps(document)


def _text(value: Any) -> Any:
    """Identifiers and instants as JSON text (ISO 8601, UTC as `Z`); anything else as is."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, uuid.UUID | date):
        return str(value)
    return value


class FundItem(BaseModel):
    """A fund, with the fields of tidi's `FundRead`."""

    id: uuid.UUID
    code: str
    name: str
    description: str
    kind: str
    operator_code: str
    status: str
    envelope_cents: int
    regional_share_cents: int
    max_award_cents: int | None
    opens_at: datetime | None
    closes_at: datetime | None
    aid_forms: list[str]
    regional_preselection: bool
    source_url: str | None
    question_schema: dict[str, Any] | None
    version: int
    created_at: datetime
    updated_at: datetime


class FundPage(BaseModel):
    """A page of funds, with the fields of tidi's `FundPage`."""

    items: list[FundItem]
    next_cursor: str | None


@app.get("/v1/funds")
async def list_funds(request: Request) -> FundPage:
    """The first page of funds by code (the bench has fewer than a page)."""
    async with request.app.state.pool.acquire() as connection:
        rows = await connection.fetch(FUNDS_PAGE, FUNDS_PAGE_LIMIT)
    items = [
        FundItem.model_validate(
            {
                **row,
                "operator_code": row["code_1"],
                "question_schema": json.loads(row["question_schema"] or "null"),
            }
        )
        for row in rows
    ]
    return FundPage(items=items, next_cursor=None)
