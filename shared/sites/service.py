"""Sites clés en main: a territory proposes a site in one of its communes and edits it until
it is labelled; the State (admin keys) labels it with its vintage or refuses it with a
reason. Each change is audited in the caller's transaction."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.concurrency import check_version
from shared.errors import DateOutOfRange, Forbidden, Unprocessable
from shared.geography.models import Commune
from shared.principal import Principal, Role
from shared.sites import repository
from shared.sites.enums import SiteStatus
from shared.sites.errors import (
    CommuneOutsideTerritory,
    SiteNotEditable,
    SiteNotFound,
    TerritoryRequired,
)
from shared.sites.models import Site
from shared.sites.schemas import (
    Coordinates,
    Procedures,
    TurnkeySiteCreate,
    TurnkeySiteRead,
    TurnkeySiteUpdate,
)
from shared.sites.states import EDITABLE_STATUSES, PROPOSER_ACTIONS, SITE_MACHINE
from shared.states import Actor
from shared.territories import repository as territory_repository
from shared.territories.errors import UnknownReference


def to_read(site: Site, principal: Principal) -> TurnkeySiteRead:
    """The API view of a site, with the actions the principal may perform on it now."""
    coordinates = None
    if site.latitude is not None and site.longitude is not None:
        coordinates = {"latitude": site.latitude, "longitude": site.longitude}
    return TurnkeySiteRead.model_validate(
        {
            **{c.key: getattr(site, c.key) for c in Site.__table__.columns},
            "coordinates": coordinates,
            "distance_km": site.distance_km,
            "allowed_actions": allowed_actions(site, principal),
        }
    )


def allowed_actions(site: Site, principal: Principal) -> list[str]:
    """What the principal may do now: admins every action of the status, the proposing
    territory propose and withdraw, everyone else nothing."""
    actions = SITE_MACHINE.allowed_actions(site.status)
    if principal.is_admin:
        return actions
    if _is_proposer(principal, site):
        return [action for action in actions if action in PROPOSER_ACTIONS]
    return []


async def get(
    session: AsyncSession,
    principal: Principal,
    site_id: uuid.UUID,
    *,
    catalogue: bool = True,
    for_update: bool = False,
) -> Site:
    """A site the principal may see, or `SiteNotFound` (never another tenant's proposal);
    without `catalogue`, labelled sites of others are not seen either (their history)."""
    site = await repository.get_readable(
        session, principal, site_id, catalogue=catalogue, for_update=for_update
    )
    if site is None:
        raise SiteNotFound(f"no site with id {site_id}")
    return site


async def create(
    session: AsyncSession,
    principal: Principal,
    data: TurnkeySiteCreate,
    *,
    today: date | None = None,
) -> Site:
    """Record a draft site of the principal's territory (admins: of `territory_id`).

    Raises:
        CommuneOutsideTerritory: the commune is not in the territory.
        DateOutOfRange: a procedure is dated after today.
    """
    territory_id = await _territory_for(session, principal, data.territory_id)
    commune = await _commune_of(session, territory_id, data.commune_insee)
    _check_procedures(data.procedures, today)
    site = Site(
        id=uuid.uuid4(),
        territory_id=territory_id,
        status=SiteStatus.DRAFT,
        name=data.name,
        description=data.description,
        area_ha=data.area_ha,
        land_control=data.land_control,
        procedures=data.procedures.model_dump(mode="json"),
        services=data.services.model_dump(mode="json"),
        created_by_key_id=principal.key_id,
    )
    _place(site, commune, data.coordinates)
    session.add(site)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="site.created",
        subject_type="site",
        subject_id=site.id,
        changes=data.model_dump(mode="json"),
    )
    return site


async def update(
    session: AsyncSession,
    principal: Principal,
    site: Site,
    data: TurnkeySiteUpdate,
    *,
    if_match: int | None,
    today: date | None = None,
) -> Site:
    """Change a site that is not labelled (If-Match required).

    Raises:
        SiteNotEditable: the site is labelled.
    """
    _require_proposer(principal, site)
    check_version(site.version, if_match)
    if site.status not in EDITABLE_STATUSES:
        raise SiteNotEditable(
            f"a {site.status.value} site cannot be edited: the label covers what was reviewed"
        )
    changes = _changes(data, today)
    await _apply(session, site, data, changes)
    site.updated_at = func.now()
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="site.updated",
        subject_type="site",
        subject_id=site.id,
        changes=changes,
    )
    return site


async def transition(
    session: AsyncSession,
    principal: Principal,
    site: Site,
    action: str,
    *,
    if_match: int | None,
    vintage: int | None = None,
    reason: str | None = None,
    today: date | None = None,
) -> Site:
    """Perform a lifecycle action: `propose` and `withdraw` (the proposing territory or an
    admin), `label` with its vintage and `refuse` with a reason (admins, for the State).

    Raises:
        Forbidden: the principal may not perform this action on this site.
        InvalidTransition: the action is not allowed from the site's status (409).
        DateOutOfRange: a label vintage after the current year.
    """
    _require_actor(principal, site, action)
    check_version(site.version, if_match)
    actor = Actor.APPLICANT if action in PROPOSER_ACTIONS else Actor.OPERATOR
    step = SITE_MACHINE.check(site.status, action, actor)
    previous = site.status
    changes: dict[str, Any] = {"status": {"from": previous.value, "to": step.target.value}}
    if action == "label":
        _label(site, vintage, today)
        changes["label_vintage"] = vintage
    site.refusal_reason = reason if action == "refuse" else None
    site.status = step.target
    site.updated_at = func.now()
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action=f"site.{action}",
        subject_type="site",
        subject_id=site.id,
        changes=changes,
        reason=reason,
    )
    return site


def _changes(data: TurnkeySiteUpdate, today: date | None) -> dict[str, Any]:
    """The fields sent, as JSON; procedures and services whole (they are replaced)."""
    changes: dict[str, Any] = data.model_dump(mode="json", exclude_unset=True)
    if data.procedures is not None:
        _check_procedures(data.procedures, today)
        changes["procedures"] = data.procedures.model_dump(mode="json")
    if data.services is not None:
        changes["services"] = data.services.model_dump(mode="json")
    return changes


async def _apply(
    session: AsyncSession, site: Site, data: TurnkeySiteUpdate, changes: dict[str, Any]
) -> None:
    commune = None
    if data.commune_insee is not None:
        commune = await _commune_of(session, site.territory_id, data.commune_insee)
    elif "coordinates" in changes:
        commune = await session.get(Commune, site.commune_insee)
    for field in ("name", "description", "area_ha", "procedures", "services"):
        if field in changes:
            setattr(site, field, changes[field])
    if data.land_control is not None:
        site.land_control = data.land_control
    if commune is not None:
        _place(site, commune, data.coordinates)


def _label(site: Site, vintage: int | None, today: date | None) -> None:
    if vintage is None:  # pragma: no cover - the label body requires it
        raise Unprocessable("a label needs its vintage", pointer="/body/vintage")
    year = (today or datetime.now(UTC).date()).year
    if vintage > year:
        raise DateOutOfRange(
            f"vintage {vintage} is after the current year ({year})", pointer="/body/vintage"
        )
    site.label_vintage = vintage
    site.labelled_at = datetime.now(UTC)


def _is_proposer(principal: Principal, site: Site) -> bool:
    return principal.role is Role.TERRITORY and principal.territory_id == site.territory_id


def _require_proposer(principal: Principal, site: Site) -> None:
    if not (principal.is_admin or _is_proposer(principal, site)):
        raise Forbidden("only admins and the site's territory may change it")


def _require_actor(principal: Principal, site: Site, action: str) -> None:
    if action in PROPOSER_ACTIONS:
        _require_proposer(principal, site)
    elif not principal.is_admin:
        raise Forbidden(f"only admins, for the State, may {action} a site")


async def _territory_for(
    session: AsyncSession, principal: Principal, requested: uuid.UUID | None
) -> uuid.UUID:
    if principal.role is Role.TERRITORY and principal.territory_id is not None:
        if requested is not None and requested != principal.territory_id:
            raise Forbidden(
                "territory keys propose sites in their own territory only",
                pointer="/body/territory_id",
            )
        return principal.territory_id
    if requested is None:
        raise TerritoryRequired(
            "say which territory proposes the site", pointer="/body/territory_id"
        )
    if await territory_repository.get_by_id(session, requested) is None:
        raise UnknownReference(f"no territory with id {requested}", pointer="/body/territory_id")
    return requested


async def _commune_of(session: AsyncSession, territory_id: uuid.UUID, insee: str) -> Commune:
    commune = await session.get(Commune, insee)
    if commune is None:
        raise UnknownReference(f"no commune with INSEE code {insee}", pointer="/body/commune_insee")
    if not await repository.commune_in_territory(session, insee, territory_id):
        raise CommuneOutsideTerritory(
            f"{commune.name} ({insee}) is not in the proposing territory",
            pointer="/body/commune_insee",
        )
    return commune


def _place(site: Site, commune: Commune, coordinates: Coordinates | None) -> None:
    """Put the site in its commune, at `coordinates` or else the commune's centre (if known)."""
    site.commune_insee = commune.insee_code
    site.department_code = commune.department_code
    site.region_code = commune.region_code
    if coordinates is not None:
        site.latitude, site.longitude = coordinates.latitude, coordinates.longitude
    else:
        site.latitude, site.longitude = commune.latitude, commune.longitude


def _check_procedures(procedures: Procedures, today: date | None) -> None:
    limit = today or datetime.now(UTC).date()
    for name, completed_on in procedures:
        if completed_on is not None and completed_on > limit:
            raise DateOutOfRange(
                f"{name} completed on {completed_on}, which is after today",
                pointer=f"/body/procedures/{name}",
            )
