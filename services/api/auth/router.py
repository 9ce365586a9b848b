"""API keys (admin) and the caller's own identity."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from services.api.deps import AdminOnly, AnyRole, PageDep, SessionDep
from services.api.pages import page_of
from services.api.problems import problems
from services.api.routing import TidiRoute
from shared.auth import repository, service
from shared.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead, PrincipalRead
from shared.principal import Role
from shared.schemas import Page

router = APIRouter(prefix="/v1", tags=["api-keys"], route_class=TidiRoute)


@router.get("/me", summary="Who am I")
async def get_me(principal: AnyRole) -> PrincipalRead:
    """The role and tenant the presented key grants."""
    return PrincipalRead.model_validate(principal)


@router.get("/api-keys", summary="List API keys")
async def list_api_keys(
    _: AdminOnly,
    session: SessionDep,
    page: PageDep,
    role: Annotated[Role | None, Query(description="Only keys of this role.")] = None,
    revoked: Annotated[
        bool | None, Query(description="Only revoked (true) or live (false) keys.")
    ] = None,
) -> Page[ApiKeyRead]:
    """Keys, newest first (never their secrets)."""
    return await page_of(
        session,
        repository.list_statement(role=role, revoked=revoked),
        sort=repository.BY_CREATION,
        page=page,
        read=ApiKeyRead,
    )


@router.post("/api-keys", summary="Create an API key", status_code=status.HTTP_201_CREATED)
async def create_api_key(
    principal: AdminOnly, session: SessionDep, body: ApiKeyCreate
) -> ApiKeyCreated:
    """Create a key; the response holds its secret, shown this once only."""
    key, secret = await service.create_key(session, principal, body)
    return ApiKeyCreated.model_validate(
        {**ApiKeyRead.model_validate(key).model_dump(), "secret": secret}
    )


@router.get("/api-keys/{key_id}", summary="Get an API key")
async def get_api_key(_: AdminOnly, session: SessionDep, key_id: uuid.UUID) -> ApiKeyRead:
    """One key (never its secret)."""
    return ApiKeyRead.model_validate(await service.get_key(session, key_id))


@router.post("/api-keys/{key_id}/revoke", summary="Revoke an API key", responses=problems(409))
async def revoke_api_key(
    principal: AdminOnly, session: SessionDep, key_id: uuid.UUID
) -> ApiKeyRead:
    """Revoke a key: every later call with it gets 401."""
    return ApiKeyRead.model_validate(await service.revoke_key(session, principal, key_id))
