"""Generated junk thrown at the project and application writes.

Whatever arrives, the answer is never a 5xx; a 4xx is a problem document, and a
refused request leaves no trace: no row, no audit entry, no event, no new version.
"""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.projects.router import ACTIONS as PROJECT_ACTIONS
from shared.applications.enums import ApplicationStatus
from shared.projects.enums import ProjectStatus
from tests.fixtures.api import auth
from tests.fixtures.bodies import application_body, project_body
from tests.fixtures.builders import Key, MakeKey, MakeTerritory
from tests.fixtures.flows import Portal, update_row
from tests.fixtures.http import assert_problem

pytestmark = pytest.mark.usefixtures("open_fund_windows")

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DEEP = "\u2603deep\u2603"
"""Placeholder replaced, after encoding, by a deeply nested array or object."""

NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "2027-02-30",
    "2026-13-01",
    "-0001-01-01",
    "552100554",
    "56178",
    "NaN",
    "<script>",
    "' OR 1=1 --",
    "%_\\",
]
HUGE_NUMBERS = [-1, -(2**63), 2**31, 2**63, 2**64, 10**15 + 1, 10**40, -(10**40), 0.5, -0.0]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(HUGE_NUMBERS),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(NASTY_TEXT),
    st.sampled_from([201, 10_001]).map(lambda n: "x" * n),
    st.just(DEEP),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.sampled_from(NASTY_TEXT), children, max_size=4)
    ),
    max_leaves=12,
)
depths = st.sampled_from([2, 31, 32, 33, 64, 200, 300, 900, 1_000, 5_000, 100_000])


def _nest(depth: int, kind: str) -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


@st.composite
def encoded(draw: st.DrawFn, bodies: st.SearchStrategy[Any]) -> bytes:
    """A body as bytes: JSON of `bodies` (NaN and lone surrogates included), with any
    placeholder turned into deep nesting; sometimes not JSON at all.
    """
    if draw(st.integers(0, 19)) == 0:
        return draw(st.binary(max_size=40))
    document = json.dumps(draw(bodies), allow_nan=True, ensure_ascii=True)
    while json.dumps(DEEP) in document:
        nested = _nest(draw(depths), draw(st.sampled_from(["array", "object"])))
        document = document.replace(json.dumps(DEEP), nested, 1)
    return document.encode()


def mutated(base: dict[str, Any], fields: list[str], nested: dict[str, list[str]]) -> Any:
    """Valid bodies with some fields (or sub-fields) replaced by junk, or pure junk."""
    wrong_fields = st.dictionaries(
        st.sampled_from([*fields, "unknown", "id", "status", "version"]), json_values, max_size=4
    )
    wrong_nested = st.sampled_from(sorted(nested)).flatmap(
        lambda field: st.tuples(
            st.just(field),
            st.dictionaries(
                st.sampled_from([*nested[field], "extra"]), json_values, min_size=1, max_size=3
            ),
        )
    )

    def with_fields(changes: dict[str, Any]) -> dict[str, Any]:
        return {**base, **changes}

    def with_nested(change: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        field, values = change
        inner = base.get(field)
        merged = {**inner, **values} if isinstance(inner, dict) else values
        return {**base, field: merged}

    def without(names: list[str]) -> dict[str, Any]:
        return {k: v for k, v in base.items() if k not in names}

    choices = [
        json_values,
        st.builds(with_fields, wrong_fields),
        st.builds(with_nested, wrong_nested),
        st.builds(with_fields, money_changes(fields)),
        st.builds(with_fields, date_changes()),
    ]
    choices.append(st.builds(with_fields, deep_changes(fields)))
    if base:
        dropped = st.lists(st.sampled_from(sorted(base)), min_size=1, max_size=3)
        choices.append(st.builds(without, dropped))
    return st.one_of(choices)


def deep_changes(fields: list[str]) -> Any:
    """Deep nesting where free-form JSON is accepted, or where it is not."""
    free_form = [f for f in fields if f == "answers"] or fields
    return st.dictionaries(
        st.sampled_from(free_form),
        st.sampled_from([DEEP, {"a": DEEP}, [DEEP], {"a": {"b": [DEEP]}}]),
        min_size=1,
        max_size=1,
    )


def money_changes(fields: list[str]) -> Any:
    money = [f for f in fields if f.endswith("_cents") or f.startswith("jobs_")]
    return st.dictionaries(
        st.sampled_from(money), st.sampled_from(HUGE_NUMBERS) | st.integers(), min_size=1
    )


def date_changes() -> Any:
    """planned_end before planned_start, impossible dates, or dates far away."""

    def backwards(start: date, days: int) -> dict[str, Any]:
        return {
            "planned_start": start.isoformat(),
            "planned_end": (start - timedelta(days=days)).isoformat(),
        }

    return st.one_of(
        st.builds(
            backwards, st.dates(min_value=date(1, 12, 31)), st.integers(min_value=1, max_value=365)
        ),
        st.fixed_dictionaries(
            {
                "planned_start": st.sampled_from(NASTY_TEXT) | json_values,
                "planned_end": st.sampled_from(NASTY_TEXT) | json_values,
            }
        ),
    )


PROJECT_FIELDS = list(project_body())
PROJECT_NESTED = {
    "holder": [
        "siren",
        "name",
        "kind",
        "legal_form_code",
        "naf_code",
        "headcount",
        "turnover_cents",
        "balance_sheet_cents",
        "in_difficulty",
    ],
    "site": ["siret", "commune_insee"],
    "relocation": ["flag", "from_country"],
}
APPLICATION_FIELDS = [*application_body(uuid.uuid4()), "applicant_siren", "answers", "attachments"]
APPLICATION_NESTED = {
    "engagements": ["solidarites", "transition_ecologique"],
    "attestations": ["tax_social_ok", "not_started", "not_in_difficulty", "permits_obtained"],
    "answers": ["capacity", "a", ""],
}
UPDATE_FIELDS = [f for f in APPLICATION_FIELDS if f not in {"project_id", "fund_code"}]

# Deferred, so that a failure report names the strategy instead of printing all of it.
project_bodies = st.deferred(
    lambda: encoded(mutated(project_body(), PROJECT_FIELDS, PROJECT_NESTED))
)
project_updates = st.deferred(lambda: encoded(mutated({}, PROJECT_FIELDS, PROJECT_NESTED)))
application_updates = st.deferred(lambda: encoded(mutated({}, UPDATE_FIELDS, APPLICATION_NESTED)))
transition_bodies = st.deferred(
    lambda: encoded(
        st.one_of(
            json_values,
            st.fixed_dictionaries({"reason": json_values}),
            st.dictionaries(st.sampled_from(["reason", "status", "actor"]), json_values),
        )
    )
)


@st.composite
def application_bodies(draw: st.DrawFn, project_id: str) -> bytes:
    target = draw(st.sampled_from([project_id, str(uuid.uuid4()), "not-a-uuid"]))
    fund = draw(
        st.sampled_from(["fonds-vert-ti", "ecoles-de-production", "sites-cles-en-main", "x"])
        | st.sampled_from(NASTY_TEXT)
    )
    base = application_body(target, fund_code=fund)
    bodies = st.deferred(lambda: encoded(mutated(base, APPLICATION_FIELDS, APPLICATION_NESTED)))
    return draw(bodies)


@pytest.fixture
async def raw_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that reports server errors as responses, so a 5xx fails with its body."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://tidi.test") as client:
        yield client


@pytest.fixture
async def key(make_territory: MakeTerritory, make_key: MakeKey) -> Key:
    territory = await make_territory("ti-pontivy")
    return await make_key("territory", territory_id=territory.id)


@pytest.fixture
def team(client: httpx.AsyncClient, key: Key) -> Portal:
    return Portal(client, key.secret)


@pytest.fixture
def targets() -> dict[str, str]:
    """Records the examples of one test aim at, created by its first example: function-scoped
    fixtures are shared by every example of a test.
    """
    return {}


async def _footprint(
    sessionmaker: async_sessionmaker[AsyncSession], table: str | None = None, record: Any = None
) -> tuple[Any, ...]:
    """Row counts of what a write leaves behind, and the version of one record."""
    async with sessionmaker() as session:
        counts = (
            await session.execute(
                text(
                    "SELECT (SELECT count(*) FROM projects), (SELECT count(*) FROM applications),"
                    " (SELECT count(*) FROM audit_entries), (SELECT count(*) FROM events)"
                )
            )
        ).one()
        version = None
        if table is not None:
            version = await session.scalar(
                text(f"SELECT version FROM {table} WHERE id = :id"),  # noqa: S608
                {"id": str(record)},
            )
    return (*counts, version)


async def _send(
    client: httpx.AsyncClient,
    key: Key,
    method: str,
    url: str,
    content: bytes,
    *,
    version: int | None = None,
) -> httpx.Response:
    headers = {**auth(key.secret), "Content-Type": "application/json"}
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    return await client.request(method, url, content=content, headers=headers)


def _check(response: httpx.Response, before: tuple[Any, ...], after: tuple[Any, ...]) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        assert_problem(response, response.status_code)
        assert after == before, ("a refused request left a trace", response.text)


class TestJunkProjectCreation:
    @FUZZ
    @given(content=project_bodies)
    async def test_post_projects_never_fails_and_refusals_write_nothing(
        self,
        content: bytes,
        raw_client: httpx.AsyncClient,
        key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        before = await _footprint(sessionmaker)
        response = await _send(raw_client, key, "POST", "/v1/projects", content)
        _check(response, before, await _footprint(sessionmaker))


class TestJunkApplicationCreation:
    @FUZZ
    @given(data=st.data())
    async def test_post_applications_never_fails_and_refusals_write_nothing(
        self,
        data: st.DataObject,
        raw_client: httpx.AsyncClient,
        team: Portal,
        targets: dict[str, str],
        key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        project = await _active_project(targets, team, sessionmaker)
        content = data.draw(application_bodies(project))
        before = await _footprint(sessionmaker)
        response = await _send(raw_client, key, "POST", "/v1/applications", content)
        _check(response, before, await _footprint(sessionmaker))
        if response.status_code == 201:
            await update_row(
                sessionmaker, "applications", response.json()["id"], status="withdrawn"
            )


class TestJunkProjectUpdates:
    @FUZZ
    @given(content=project_updates)
    async def test_patch_project_never_fails_and_refusals_change_nothing(
        self,
        content: bytes,
        raw_client: httpx.AsyncClient,
        team: Portal,
        targets: dict[str, str],
        key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        project = await _draft_project(targets, team)
        before = await _footprint(sessionmaker, "projects", project)
        response = await _send(
            raw_client, key, "PATCH", f"/v1/projects/{project}", content, version=before[-1]
        )
        _check(response, before, await _footprint(sessionmaker, "projects", project))


class TestJunkApplicationUpdates:
    @FUZZ
    @given(content=application_updates)
    async def test_patch_application_never_fails_and_refusals_change_nothing(
        self,
        content: bytes,
        raw_client: httpx.AsyncClient,
        team: Portal,
        targets: dict[str, str],
        key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        application = await _draft_application(targets, team, sessionmaker)
        before = await _footprint(sessionmaker, "applications", application)
        response = await _send(
            raw_client,
            key,
            "PATCH",
            f"/v1/applications/{application}",
            content,
            version=before[-1],
        )
        _check(response, before, await _footprint(sessionmaker, "applications", application))


class TestJunkTransitions:
    @FUZZ
    @given(
        status=st.sampled_from(list(ProjectStatus)),
        action=st.sampled_from(sorted(PROJECT_ACTIONS)),
        content=transition_bodies,
    )
    async def test_project_actions_never_fail_and_refusals_change_nothing(
        self,
        status: ProjectStatus,
        action: str,
        content: bytes,
        raw_client: httpx.AsyncClient,
        team: Portal,
        targets: dict[str, str],
        key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        project = await _draft_project(targets, team)
        await update_row(sessionmaker, "projects", project, status=status.value)
        before = await _footprint(sessionmaker, "projects", project)
        response = await _send(
            raw_client,
            key,
            "POST",
            f"/v1/projects/{project}/{action}",
            content,
            version=before[-1],
        )
        _check(response, before, await _footprint(sessionmaker, "projects", project))

    @FUZZ
    @given(
        status=st.sampled_from(list(ApplicationStatus)),
        action=st.sampled_from(["submit", "withdraw", "reopen"]),
        content=transition_bodies,
    )
    async def test_application_actions_never_fail_and_refusals_change_nothing(
        self,
        status: ApplicationStatus,
        action: str,
        content: bytes,
        raw_client: httpx.AsyncClient,
        team: Portal,
        targets: dict[str, str],
        key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        application = await _draft_application(targets, team, sessionmaker)
        await update_row(sessionmaker, "applications", application, status=status.value)
        before = await _footprint(sessionmaker, "applications", application)
        response = await _send(
            raw_client,
            key,
            "POST",
            f"/v1/applications/{application}/{action}",
            content,
            version=before[-1],
        )
        _check(response, before, await _footprint(sessionmaker, "applications", application))


async def _draft_project(targets: dict[str, str], team: Portal) -> str:
    if "draft_project" not in targets:
        created = await team.call("POST", "/v1/projects", json=project_body(), expect=201)
        targets["draft_project"] = created.json()["id"]
    return targets["draft_project"]


async def _active_project(
    targets: dict[str, str], team: Portal, sessionmaker: async_sessionmaker[AsyncSession]
) -> str:
    if "active_project" not in targets:
        created = await team.call("POST", "/v1/projects", json=project_body(), expect=201)
        targets["active_project"] = created.json()["id"]
    await update_row(sessionmaker, "projects", targets["active_project"], status="active")
    return targets["active_project"]


async def _draft_application(
    targets: dict[str, str], team: Portal, sessionmaker: async_sessionmaker[AsyncSession]
) -> str:
    if "draft_application" not in targets:
        project = await _active_project(targets, team, sessionmaker)
        created = await team.call(
            "POST", "/v1/applications", json=application_body(project), expect=201
        )
        targets["draft_application"] = created.json()["id"]
    return targets["draft_application"]
