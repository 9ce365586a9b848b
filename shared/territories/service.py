"""Territory behaviour: create, update, and what each principal may see of one."""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.concurrency import check_version
from shared.errors import Forbidden
from shared.geography.models import Epci, Region
from shared.principal import Principal, Role
from shared.territories import repository
from shared.territories.errors import (
    TerritoryCodeTaken,
    TerritoryNotFound,
    UnknownReference,
)
from shared.territories.models import Territory, TerritoryContact, TerritoryEpci
from shared.territories.schemas import (
    ContactRead,
    ContactWrite,
    TerritoryCreate,
    TerritoryRead,
    TerritoryUpdate,
)

TERRITORY_EDITABLE_FIELDS = frozenset({"description", "contacts"})
"""What a territory key may change on its own territory; the rest is for admins."""


def to_read(territory: Territory, principal: Principal) -> TerritoryRead:
    """The territory as `principal` may see it: contacts only for admins and itself."""
    sees_contacts = principal.is_admin or principal.territory_id == territory.id
    return TerritoryRead(
        id=territory.id,
        code=territory.code,
        name=territory.name,
        region_code=territory.region_code,
        description=territory.description,
        epci_sirens=territory.epci_sirens,
        contacts=(
            [ContactRead.model_validate(c) for c in territory.contacts] if sees_contacts else None
        ),
        version=territory.version,
        created_at=territory.created_at,
        updated_at=territory.updated_at,
    )


async def get(session: AsyncSession, territory_id: uuid.UUID) -> Territory:
    """One territory, or `TerritoryNotFound`."""
    territory = await repository.get_by_id(session, territory_id)
    if territory is None:
        raise TerritoryNotFound(f"no territory with id {territory_id}")
    return territory


async def create(session: AsyncSession, principal: Principal, data: TerritoryCreate) -> Territory:
    """Register a territory with its EPCIs and contacts; audited."""
    if await repository.get_by_code(session, data.code) is not None:
        raise TerritoryCodeTaken(
            f"a territory with code {data.code!r} exists", pointer="/body/code"
        )
    await check_references(session, region_code=data.region_code, epci_sirens=data.epci_sirens)
    territory = Territory(
        id=uuid.uuid4(),
        code=data.code,
        name=data.name,
        region_code=data.region_code,
        description=data.description,
        epcis=[TerritoryEpci(epci_siren=s) for s in data.epci_sirens],
        contacts=_contacts(data.contacts),
    )
    session.add(territory)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="territory.created",
        subject_type="territory",
        subject_id=territory.id,
        changes=data.model_dump(mode="json", exclude={"contacts"}),
    )
    return await _reload(session, territory.id)


async def update(
    session: AsyncSession,
    principal: Principal,
    territory: Territory,
    data: TerritoryUpdate,
    *,
    if_match: int | None,
) -> Territory:
    """Apply the changes sent; territory keys only on themselves and their editable fields."""
    changes = data.model_dump(exclude_unset=True)
    _authorise_update(principal, territory, changes)
    check_version(territory.version, if_match)
    await check_references(
        session,
        region_code=changes.get("region_code"),
        epci_sirens=changes.get("epci_sirens") or (),
    )
    for field in ("name", "region_code", "description"):
        if field in changes:
            setattr(territory, field, changes[field])
    if data.epci_sirens is not None:
        territory.epcis = [TerritoryEpci(epci_siren=s) for s in data.epci_sirens]
    if data.contacts is not None:
        territory.contacts = _contacts(data.contacts)
    # Always UPDATE the row, even when only its EPCIs or contacts changed, so the
    # version (the ETag) moves with every change.
    territory.updated_at = func.now()
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="territory.updated",
        subject_type="territory",
        subject_id=territory.id,
        changes=data.model_dump(mode="json", exclude_unset=True, exclude={"contacts"})
        | ({"contacts": "replaced"} if data.contacts is not None else {}),
    )
    return await _reload(session, territory.id)


async def check_references(
    session: AsyncSession, *, region_code: str | None, epci_sirens: Iterable[str]
) -> None:
    """Refuse a region or EPCI absent from the reference data (422 naming it)."""
    if region_code is not None and await session.get(Region, region_code) is None:
        raise UnknownReference(f"no region with code {region_code!r}", pointer="/body/region_code")
    wanted = list(epci_sirens)
    if wanted:
        found = set(await session.scalars(select(Epci.siren).where(Epci.siren.in_(wanted))))
        for index, siren in enumerate(wanted):
            if siren not in found:
                raise UnknownReference(
                    f"no EPCI with SIREN {siren}", pointer=f"/body/epci_sirens/{index}"
                )


def _authorise_update(principal: Principal, territory: Territory, changes: dict[str, Any]) -> None:
    if principal.is_admin:
        return
    if principal.role is not Role.TERRITORY or principal.territory_id != territory.id:
        raise Forbidden("only admins and the territory itself may change a territory")
    refused = sorted(set(changes) - TERRITORY_EDITABLE_FIELDS)
    if refused:
        raise Forbidden(f"territory keys may not change {', '.join(refused)}")


def _contacts(contacts: list[ContactWrite]) -> list[TerritoryContact]:
    return [TerritoryContact(id=uuid.uuid4(), **c.model_dump()) for c in contacts]


async def _reload(session: AsyncSession, territory_id: uuid.UUID) -> Territory:
    session.expire_all()
    return await get(session, territory_id)
