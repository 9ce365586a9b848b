"""The State-aid ceiling of an award, for the regime the operator names: refused above it
with the cap, the regime and the figures used.

De minimis: 300 k€ over three rolling years, minus the de minimis in the register (awards
in tidi, aid recorded by operators) and what the applicant declared (an undeclared amount is
unknown: the ceiling cannot be computed). GBER art. 17 and art. 14: the regime's intensity
for the undertaking's EU size, the site's AFR zone on the decision date and the project's
nature, applied to the eligible expense base (`shared.eligibility.rules.aid`).
"""

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.applications.models import Application
from shared.eligibility.rules.aid import AFR_SME_BONUS_MAX_BASE_CENTS, regime_rates
from shared.projects.sizing import eu_size
from shared.stateaid import service as register
from shared.stateaid.errors import (
    RegimeNotApplicable,
    StateAidCeilingExceeded,
    StateAidInputsMissing,
)
from shared.stateaid.regimes import REGIME_LABELS_FR, AidRegime
from shared.zonings import service as zonings
from shared.zonings.kinds import ZoningKind

_AFR_KIND = {
    AidRegime.GBER_ART14_AFR_C: ZoningKind.AFR_C,
    AidRegime.GBER_ART14_AFR_A: ZoningKind.AFR_A,
}


async def check(
    session: AsyncSession,
    application: Application,
    regime: AidRegime,
    gross_grant_equivalent_cents: int,
    on: date,
) -> dict[str, Any]:
    """The figures of the regime's ceiling for this award; raises when the award's gross
    grant equivalent is above it, or when the ceiling cannot be known."""
    if regime is AidRegime.DE_MINIMIS:
        figures = await _deminimis(session, application, on)
    else:
        figures = await _intensity(session, application, regime, on)
    figures = {"regime": regime.value, **figures}
    if gross_grant_equivalent_cents > figures["cap_cents"]:
        raise StateAidCeilingExceeded(
            f"{gross_grant_equivalent_cents} cents of gross grant equivalent exceed the "
            f"{REGIME_LABELS_FR[regime]} ceiling of {figures['cap_cents']} cents for this "
            "applicant",
            pointer="/body/amount_cents",
            cap_cents=figures["cap_cents"],
            gross_grant_equivalent_cents=gross_grant_equivalent_cents,
            figures=figures,
        )
    return figures


async def _deminimis(session: AsyncSession, application: Application, on: date) -> dict[str, Any]:
    declared = application.prior_deminimis_cents
    # Approvals of one undertaking are judged one at a time: two at once cannot both fit
    # the room that only one of them leaves (the lock ends with the transaction).
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtext(application.applicant_siren)))
    )
    if declared is None:
        raise StateAidInputsMissing(
            "the applicant has not declared its de minimis aid of the last three years "
            "(prior_deminimis_cents): the de minimis ceiling is unknown",
            pointer="/body/regime",
            missing=["prior_deminimis_cents"],
        )
    room = await register.deminimis_room(session, application.applicant_siren, on)
    return {
        "cap_cents": max(0, room.room_cents - declared),
        "ceiling_cents": room.ceiling_cents,
        "registered_cents": room.registered_cents,
        "declared_prior_cents": declared,
        "window": [register.window_start(on).isoformat(), on.isoformat()],
        "siren": application.applicant_siren,
    }


async def _intensity(
    session: AsyncSession, application: Application, regime: AidRegime, on: date
) -> dict[str, Any]:
    snapshot = application.project_snapshot or {}
    holder, site = snapshot.get("holder") or {}, snapshot.get("site") or {}
    size = eu_size(
        holder.get("headcount"), holder.get("turnover_cents"), holder.get("balance_sheet_cents")
    )
    base = application.eligible_expense_base_cents
    site_zonings = await zonings.site_zonings(session, site.get("commune_insee"), on)
    zone = _AFR_KIND.get(regime)
    missing = [
        name
        for name, unknown in (
            ("holder.eu_size", size is None),
            ("eligible_expense_base_cents", base is None),
            ("zonings", site_zonings is None),
            (
                f"zonings.{zone.value if zone else ''}",
                zone is not None and site_zonings is not None and zone in site_zonings.unknown,
            ),
        )
        if unknown
    ]
    if missing or size is None or base is None or site_zonings is None:
        raise StateAidInputsMissing(
            f"the {REGIME_LABELS_FR[regime]} ceiling needs: {', '.join(missing)}",
            pointer="/body/regime",
            missing=missing,
        )
    nature = snapshot.get("nature")
    figures: dict[str, Any] = {
        "eu_size": size.value,
        "nature": nature,
        "region_code": application.region_code,
        "zonings": [kind.value for kind in site_zonings.member_of],
        "zoning_vintage": site_zonings.vintage,
        "base_cents": base,
    }
    rates = {
        rate[0]: rate[1:]
        for rate in regime_rates(size, nature, application.region_code, site_zonings.member_of)
    }
    if regime not in rates:
        raise RegimeNotApplicable(
            f"{REGIME_LABELS_FR[regime]} does not apply: a {size.value} undertaking, "
            f"site in {', '.join(figures['zonings']) or 'no AFR zone'}, nature {nature}",
            pointer="/body/regime",
            figures=figures,
        )
    percent, bonus = rates[regime]
    applied = percent + bonus if base <= AFR_SME_BONUS_MAX_BASE_CENTS else percent
    return {**figures, "percent": applied, "cap_cents": base * applied // 100}
