"""The State-aid register: awards recorded at approval, aid granted elsewhere, and the de
minimis an undertaking may still receive (300 k€ over three rolling years)."""

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.principal import Principal
from shared.stateaid import repository
from shared.stateaid.models import AidGrant, AidSource
from shared.stateaid.regimes import DEMINIMIS_CAP_CENTS, DEMINIMIS_YEARS, AidRegime
from shared.stateaid.schemas import DeminimisRoom, ExternalAidCreate


def window_start(on: date) -> date:
    """The day before the rolling window ending `on` starts: grants after it count."""
    try:
        return on.replace(year=on.year - DEMINIMIS_YEARS)
    except ValueError:  # 29 February
        return on.replace(year=on.year - DEMINIMIS_YEARS, day=28)


async def deminimis_room(session: AsyncSession, siren: str, on: date) -> DeminimisRoom:
    """The de minimis `siren` may still receive on `on`, from the register alone."""
    registered = await repository.deminimis_received(
        session, siren, after=window_start(on), until=on
    )
    return DeminimisRoom(
        siren=siren,
        on=on,
        ceiling_cents=DEMINIMIS_CAP_CENTS,
        registered_cents=registered,
        room_cents=max(0, DEMINIMIS_CAP_CENTS - registered),
    )


async def deminimis_registered(
    session: AsyncSession, undertakings: Iterable[tuple[str, date]]
) -> dict[tuple[str, date], int]:
    """The register's de minimis for each (siren, day) over the rolling window ending that
    day (what `deminimis_room` counts), in one query."""
    windows = [(siren, window_start(on), on) for siren, on in sorted(set(undertakings))]
    return await repository.deminimis_received_many(session, windows)


async def record_award(
    session: AsyncSession,
    principal: Principal,
    *,
    application_id: uuid.UUID,
    siren: str,
    granted_on: date,
    regime: AidRegime,
    nominal_cents: int,
    gross_grant_equivalent_cents: int,
    granted_by: str,
) -> AidGrant:
    """Register an award approved in tidi (one per application)."""
    grant = AidGrant(
        id=uuid.uuid4(),
        siren=siren,
        granted_on=granted_on,
        regime=regime,
        nominal_cents=nominal_cents,
        gross_grant_equivalent_cents=gross_grant_equivalent_cents,
        source=AidSource.TIDI,
        granted_by=granted_by,
        application_id=application_id,
        recorded_by_key_id=principal.key_id,
    )
    session.add(grant)
    await session.flush()
    return grant


async def reduce_award(session: AsyncSession, application_id: uuid.UUID, paid_cents: int) -> None:
    """An award cancelled after `paid_cents` were paid: the register keeps what was granted
    in fact (its gross grant equivalent in proportion), or nothing when nothing was paid."""
    grant = await session.scalar(select(AidGrant).where(AidGrant.application_id == application_id))
    if grant is None:
        return
    if paid_cents <= 0:
        await session.delete(grant)
    else:
        grant.gross_grant_equivalent_cents = (
            grant.gross_grant_equivalent_cents * paid_cents // grant.nominal_cents
        )
        grant.nominal_cents = paid_cents
    await session.flush()


async def record_external(
    session: AsyncSession, principal: Principal, data: ExternalAidCreate
) -> AidGrant:
    """Register aid granted outside tidi (audited)."""
    grant = AidGrant(
        id=uuid.uuid4(),
        **data.model_dump(exclude={"gross_grant_equivalent_cents"}),
        gross_grant_equivalent_cents=(
            data.nominal_cents
            if data.gross_grant_equivalent_cents is None
            else data.gross_grant_equivalent_cents
        ),
        source=AidSource.EXTERNAL,
        recorded_by_key_id=principal.key_id,
    )
    session.add(grant)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="aid_register.recorded",
        subject_type="aid_grant",
        subject_id=grant.id,
        changes=data.model_dump(mode="json"),
    )
    return grant
