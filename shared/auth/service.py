"""Authentication of bearer keys and their life cycle (create, revoke)."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.auth.cache import PrincipalCache, note_revoked
from shared.auth.errors import InvalidApiKey, InvalidKeyBinding
from shared.auth.models import ApiKey
from shared.auth.schemas import ApiKeyCreate
from shared.auth.secrets import (
    display_prefix,
    generate_api_key,
    hash_api_key,
    looks_like_api_key,
)
from shared.errors import Conflict, NotFound
from shared.operators import repository as operator_repository
from shared.principal import Principal, Role
from shared.territories import repository as territory_repository
from shared.territories.errors import UnknownReference


async def authenticate(
    session: AsyncSession,
    token: str,
    *,
    touch_interval: timedelta,
    cache: PrincipalCache | None = None,
) -> Principal:
    """The principal of a valid key; raises `InvalidApiKey` otherwise.

    A key found in `cache` costs no query. Otherwise it is read (one indexed SELECT)
    and `last_used_at` refreshed at most once per `touch_interval`, so a busy key
    does not write on every request.
    """
    if not looks_like_api_key(token):
        raise InvalidApiKey("the bearer token is not a tidi API key")
    secret_hash = hash_api_key(token)
    now = datetime.now(UTC)
    generation = 0
    if cache is not None:
        if (cached := cache.get(secret_hash, now)) is not None:
            return cached
        generation = cache.generation
    return await _read_key(session, secret_hash, now, touch_interval, cache, generation)


def cached_principal(token: str, cache: PrincipalCache) -> Principal | None:
    """The principal of `token` if `cache` holds it (no query); None otherwise."""
    if not looks_like_api_key(token):
        return None
    return cache.get(hash_api_key(token), datetime.now(UTC))


async def _read_key(
    session: AsyncSession,
    secret_hash: str,
    now: datetime,
    touch_interval: timedelta,
    cache: PrincipalCache | None,
    generation: int,
) -> Principal:
    key = await session.scalar(select(ApiKey).where(ApiKey.secret_hash == secret_hash))
    if key is None:
        raise InvalidApiKey("unknown API key")
    if key.revoked_at is not None:
        raise InvalidApiKey("this API key was revoked")
    if key.expires_at is not None and key.expires_at <= now:
        raise InvalidApiKey("this API key has expired")
    if key.last_used_at is None or now - key.last_used_at >= touch_interval:
        # SKIP LOCKED: when many requests of one key cross the interval together, one
        # of them refreshes the row and the others go on instead of queueing on its lock.
        unlocked = (
            select(ApiKey.id)
            .where(ApiKey.id == key.id)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == unlocked)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
    principal = Principal(
        key_id=key.id,
        role=key.role,
        territory_id=key.territory_id,
        operator_id=key.operator_id,
        name=key.name,
        region_code=key.region_code,
    )
    if cache is not None:
        cache.put(secret_hash, principal, key.expires_at, generation=generation)
    return principal


async def create_key(
    session: AsyncSession, principal: Principal, data: ApiKeyCreate
) -> tuple[ApiKey, str]:
    """A new key and its secret (to show once); audited."""
    territory_id, operator_id = await _binding(session, data)
    region_code, region_operator_id = await _region_binding(session, data)
    operator_id = operator_id or region_operator_id
    secret = generate_api_key()
    key = ApiKey(
        id=uuid.uuid4(),
        name=data.name,
        prefix=display_prefix(secret),
        secret_hash=hash_api_key(secret),
        role=data.role,
        territory_id=territory_id,
        operator_id=operator_id,
        region_code=region_code,
        expires_at=data.expires_at,
        created_by_id=principal.key_id,
    )
    session.add(key)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="api_key.created",
        subject_type="api_key",
        subject_id=key.id,
        changes={"name": key.name, "role": key.role.value, "prefix": key.prefix},
    )
    return key, secret


async def revoke_key(session: AsyncSession, principal: Principal, key_id: uuid.UUID) -> ApiKey:
    """Revoke a key at once (cached principals evicted after commit); twice is a 409."""
    key = await get_key(session, key_id)
    if key.revoked_at is not None:
        raise Conflict("this API key is already revoked")
    key.revoked_at = datetime.now(UTC)
    await session.flush()
    note_revoked(session, key.id)
    await audit_service.record(
        session,
        principal,
        action="api_key.revoked",
        subject_type="api_key",
        subject_id=key.id,
    )
    return key


async def get_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKey:
    """One key by id, or `NotFound`."""
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"no API key with id {key_id}")
    return key


async def _binding(
    session: AsyncSession, data: ApiKeyCreate
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    needs_territory = data.role is Role.TERRITORY
    needs_operator = data.role is Role.OPERATOR
    if needs_territory != (data.territory_id is not None):
        raise InvalidKeyBinding(
            "territory_id is required for territory keys and forbidden otherwise",
            pointer="/body/territory_id",
        )
    if needs_operator != (data.operator_code is not None):
        raise InvalidKeyBinding(
            "operator_code is required for operator keys and forbidden otherwise",
            pointer="/body/operator_code",
        )
    territory_id = operator_id = None
    if data.territory_id is not None:
        territory = await territory_repository.get_by_id(session, data.territory_id)
        if territory is None:
            raise UnknownReference(
                f"no territory with id {data.territory_id}",
                pointer="/body/territory_id",
            )
        territory_id = territory.id
    if data.operator_code is not None:
        operator = await operator_repository.get_by_code(session, data.operator_code)
        if operator is None:
            raise UnknownReference(
                f"no operator with code {data.operator_code!r}",
                pointer="/body/operator_code",
            )
        operator_id = operator.id
    return territory_id, operator_id


async def _region_binding(
    session: AsyncSession, data: ApiKeyCreate
) -> tuple[str | None, uuid.UUID | None]:
    """The region a region key is bound to, and its Region's operator (whose webhook
    endpoints and events feed the key manages)."""
    if (data.role is Role.REGION) != (data.region_code is not None):
        raise InvalidKeyBinding(
            "region_code is required for region keys and forbidden otherwise",
            pointer="/body/region_code",
        )
    if data.region_code is None:
        return None, None
    operator_id = await operator_repository.region_operator_id(session, data.region_code)
    if operator_id is None:
        raise UnknownReference(
            f"no region with code {data.region_code!r} and a Regional council",
            pointer="/body/region_code",
        )
    return data.region_code, operator_id
