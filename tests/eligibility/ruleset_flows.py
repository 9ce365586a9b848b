"""Ruleset documents and admin calls shared by the ruleset, rescoring and ranking tests."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.eligibility import service
from shared.eligibility.rules.rulesets import shipped_ruleset
from tests.eligibility.flows import submitted
from tests.fixtures.bodies import friche_application
from tests.fixtures.flows import Portal

SHIPPED = shipped_ruleset("fonds-friches").version
"""The fonds-friches version the seed publishes last: the current one."""
NEXT = SHIPPED + 1
"""The version number of the next fonds-friches draft."""


async def create_draft(admin: Portal, document: dict[str, Any]) -> tuple[dict[str, Any], str]:
    response = await admin.call(
        "POST", f"/v1/funds/{document['fund_code']}/rulesets", json=document, expect=201
    )
    return response.json(), response.headers["etag"]


async def publish(admin: Portal, fund_code: str, version: int, etag: str) -> dict[str, Any]:
    response = await admin.call(
        "POST",
        f"/v1/funds/{fund_code}/rulesets/{version}/publish",
        headers={"If-Match": etag},
        expect=200,
    )
    return dict(response.json())


async def score(sessionmaker: async_sessionmaker[AsyncSession], app_id: str) -> None:
    async with sessionmaker() as session:
        await service.score(session, uuid.UUID(app_id))
        await session.commit()


async def scored_friche(
    portal: Portal, sessionmaker: async_sessionmaker[AsyncSession], **answers: Any
) -> dict[str, Any]:
    """A fonds-friches application submitted (its own project), scored under `SHIPPED`."""
    application = await submitted(portal, **friche_application(**answers))
    await score(sessionmaker, application["id"])
    return application
