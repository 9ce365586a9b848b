"""Creation endpoints that honour `Idempotency-Key`: a retried POST replays, never duplicates."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from shared.idempotency import service as idempotency
from shared.idempotency.service import StoredResponse
from shared.principal import Principal

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "Any unique string (a UUID is ideal). Retrying the same request with the same key "
            "within 24 h returns the first response instead of creating twice; reusing it for "
            "a different request is a 422."
        ),
    ),
]

Creation = Callable[[], Awaitable[tuple[BaseModel, dict[str, str]]]]


async def create_once(
    session: AsyncSession,
    principal: Principal,
    request: Request,
    key: str | None,
    body: BaseModel,
    create: Creation,
) -> JSONResponse:
    """Run `create` (in the request's transaction) unless `key` already created something."""
    if key is None or principal.key_id is None:
        resource, headers = await create()
        return JSONResponse(resource.model_dump(mode="json"), status_code=201, headers=headers)
    fingerprint = idempotency.fingerprint(
        request.method, request.url.path, body.model_dump(mode="json")
    )
    earlier = await idempotency.claim(session, principal.key_id, key, fingerprint)
    if earlier is not None:
        return JSONResponse(
            earlier.body,
            status_code=earlier.status_code,
            headers=earlier.headers | {"Idempotent-Replayed": "true"},
        )
    resource, headers = await create()
    payload = resource.model_dump(mode="json")
    await idempotency.remember(
        session, principal.key_id, key, StoredResponse(201, payload, headers)
    )
    return JSONResponse(payload, status_code=201, headers=headers)
