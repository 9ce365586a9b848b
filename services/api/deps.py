"""Request dependencies: the session (commit, then enqueue), who may call, paging, If-Match."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.sessions import SessionKind, open_session
from shared.auth import service as auth_service
from shared.auth.errors import MissingApiKey, RoleNotAllowed
from shared.concurrency import parse_if_match
from shared.principal import Principal, Role

_READS = frozenset({"GET", "HEAD"})


async def get_session(request: Request) -> AsyncSession:
    """One session per request, committed right after the endpoint, then jobs enqueued and
    revoked keys announced (`services.api.sessions`).

    Services never commit; an exception anywhere rolls everything back and the
    deferred jobs and revocation notices are dropped with it. A read (GET, HEAD) gets an
    autocommit session: no BEGIN and COMMIT round trips around its queries, and any
    attempt to write through the ORM is refused.
    """
    kind = SessionKind.AUTOCOMMIT if request.method in _READS else SessionKind.TRANSACTION
    return open_session(request, kind)


SessionDep = Annotated[AsyncSession, Depends(get_session)]

API_KEY_SCHEME_NAME = "ApiKey"
API_KEY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "A tidi API key: `Authorization: Bearer tidi_…` (admins create them).",
}
"""The OpenAPI security scheme `ApiKey` that every non-public operation requires."""


class Authorize:
    """Admits only keys of the given roles: 401 without a valid key, 403 for other roles."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(
        self,
        request: Request,
    ) -> Principal:
        """The principal of the request's bearer key, if its role is allowed.

        A key not in the cache is read in a short session of its own, whose connection is
        back in the pool before the endpoint takes one: a request never holds two.
        """
        secret = bearer_credentials(request.headers.get("authorization"))
        if secret is None:
            raise MissingApiKey("send the header `Authorization: Bearer <your tidi key>`")
        state = request.app.state
        principal = auth_service.cached_principal(secret, state.principals)
        if principal is None:
            async with state.sessionmaker() as session:
                principal = await auth_service.authenticate(
                    session,
                    secret,
                    touch_interval=timedelta(seconds=state.settings.API_KEY_TOUCH_INTERVAL_SECONDS),
                    cache=state.principals,
                )
                await session.commit()
        request.state.principal = principal
        if principal.role not in self.roles:
            allowed = ", ".join(sorted(r.value for r in self.roles))
            raise RoleNotAllowed(
                f"role {principal.role.value!r} may not do this (allowed: {allowed})"
            )
        return principal


def bearer_credentials(authorization: str | None) -> str | None:
    """The credentials of an `Authorization: Bearer <credentials>` header, else None."""
    scheme, _, credentials = (authorization or "").partition(" ")
    credentials = credentials.strip()
    return credentials if scheme.lower() == "bearer" and credentials else None


async def public() -> None:
    """Marker: this operation needs no key (health, metrics, documentation)."""


# --- who may call: every route names one of these in its signature -----------------
AnyRole = Annotated[Principal, Depends(Authorize(*Role))]
AdminOnly = Annotated[Principal, Depends(Authorize(Role.ADMIN))]
AdminOrTerritory = Annotated[Principal, Depends(Authorize(Role.ADMIN, Role.TERRITORY))]
AdminOrOperator = Annotated[Principal, Depends(Authorize(Role.ADMIN, Role.OPERATOR))]
"""Who instructs applications (operators: those of their funds)."""
AdminOrPartner = Annotated[Principal, Depends(Authorize(Role.ADMIN, Role.OPERATOR, Role.REGION))]
"""Who manages webhook endpoints and routing rules (operators: their own; region keys:
their Region's)."""
RecordReader = Annotated[
    Principal, Depends(Authorize(Role.ADMIN, Role.TERRITORY, Role.OPERATOR, Role.REGION))
]
"""Who may read projects and applications (each within its tenant; observers see none)."""
BudgetReader = Annotated[
    Principal, Depends(Authorize(Role.ADMIN, Role.OPERATOR, Role.REGION, Role.OBSERVER))
]
"""Who may read a fund's budget (operators: their own funds)."""
Public = Depends(public)


# --- collections and concurrency ------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PageParams:
    """A collection page: its size and where it starts."""

    limit: int
    cursor: str | None


LIMIT_DESCRIPTION = "Page size (default {default}, at most {maximum}: a larger one is refused)."
"""Description of every `limit` query parameter; the OpenAPI document fills in the settings."""


LimitQuery = Annotated[int | None, Query(ge=1, description=LIMIT_DESCRIPTION)]


async def page_limit(request: Request, limit: LimitQuery = None) -> int:
    """The `limit` query parameter: `PAGE_SIZE_DEFAULT` if absent, refused (422) above
    `PAGE_SIZE_MAX` rather than silently capped."""
    settings = request.app.state.settings
    if limit is None:
        return int(settings.PAGE_SIZE_DEFAULT)
    if limit > settings.PAGE_SIZE_MAX:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "limit"),
                    "msg": f"Input should be less than or equal to {settings.PAGE_SIZE_MAX}",
                    "type": "less_than_equal",
                    "input": limit,
                }
            ]
        )
    return limit


LimitDep = Annotated[int, Depends(page_limit)]


async def page_params(
    request: Request,
    limit: LimitQuery = None,
    cursor: Annotated[
        str | None,
        Query(max_length=2000, description="`next_cursor` of the previous page."),
    ] = None,
) -> PageParams:
    """`limit` (as `page_limit` checks it) and `cursor` query parameters of every
    collection, in one dependency: each costs every request its resolution."""
    return PageParams(await page_limit(request, limit), cursor)


PageDep = Annotated[PageParams, Depends(page_params)]


IF_MATCH = r'^(\*|(W/)?"?[0-9]{1,18}"?)$'


IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=IF_MATCH,
        description=(
            'The ETag of the version you read (`"3"`), or `*` for whatever version is '
            "current (RFC 9110). Required: without it the update is refused with 428, "
            "with a stale ETag with 412."
        ),
    ),
]
"""The `If-Match` header, as sent (`shared.concurrency.parse_if_match` reads its version)."""


async def if_match(header: IfMatchHeader = None) -> int | None:
    """The version named by `If-Match`, if any (async: no thread hop for a string parse)."""
    return parse_if_match(header)


IfMatchDep = Annotated[int | None, Depends(if_match)]
