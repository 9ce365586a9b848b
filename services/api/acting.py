"""Actions on one application (submit, withdraw, decide…): who acts, in which session, on
which version, resolved before the endpoint runs and reading nothing, so that a bad body
is a 422 before any read. One dependency per role and session kind."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol

from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.deps import Authorize, IfMatchHeader
from services.api.etag import with_etag
from services.api.sessions import SessionKind, open_session
from shared.applications import service as applications
from shared.applications.models import Application
from shared.applications.schemas import ApplicationRead
from shared.concurrency import parse_if_match
from shared.decisions.service import Decisions
from shared.principal import Principal, Role


class Step(Protocol):
    """An action of the applications' services: it checks the caller's rights and the
    version, then moves the application."""

    def __call__(
        self,
        session: AsyncSession,
        principal: Principal,
        application: Application,
        *,
        if_match: int | None,
    ) -> Awaitable[Application]:
        """The application, moved."""


class Acting:
    """A caller about to act on an application: who, in which session, on which version."""

    def __init__(
        self,
        principal: Principal,
        session: AsyncSession,
        application_id: uuid.UUID,
        if_match: int | None,
    ) -> None:
        self.principal, self.session = principal, session
        self.application_id, self.if_match = application_id, if_match

    async def move(
        self, response: Response, step: Step, *, with_project: bool = False
    ) -> ApplicationRead:
        """Load the application as the caller sees it, take `step`, answer the application's
        new view with its ETag."""
        session, principal = self.session, self.principal
        application = await applications.get(
            session, principal, self.application_id, with_project=with_project
        )
        moved = await step(session, principal, application, if_match=self.if_match)
        with_etag(response, moved.version)
        return applications.to_read(moved, principal)

    async def act(
        self, response: Response, action: Callable[[Decisions], Awaitable[Application]]
    ) -> ApplicationRead:
        """`move` through one of the review and decision steps."""
        return await self.move(
            response, lambda *on, if_match: action(Decisions(*on, if_match=if_match))
        )


def _acting(*roles: Role, autocommit: bool = True) -> Callable[..., Awaitable[Acting]]:
    """The dependency of a caller of one of `roles` acting in a session of its own: an
    autocommit one when the action writes one statement, else a transaction."""
    kind = SessionKind.AUTOCOMMIT if autocommit else SessionKind.TRANSACTION

    async def acting(
        request: Request,
        application_id: uuid.UUID,
        principal: Principal = Depends(Authorize(*roles)),
        if_match: IfMatchHeader = None,
    ) -> Acting:
        session = open_session(request, kind)
        return Acting(principal, session, application_id, parse_if_match(if_match))

    return acting


RegionActs = Annotated[Acting, Depends(_acting(Role.ADMIN, Role.REGION))]
OperatorActs = Annotated[Acting, Depends(_acting(Role.ADMIN, Role.OPERATOR))]
OperatorCommits = Annotated[Acting, Depends(_acting(Role.ADMIN, Role.OPERATOR, autocommit=False))]
"""The operator, in a transaction: the action writes more than one statement."""
TerritoryActs = Annotated[Acting, Depends(_acting(Role.ADMIN, Role.TERRITORY))]
