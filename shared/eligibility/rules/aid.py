"""The indicative state-aid ceiling: the most favourable applicable regime (pure)."""

from collections.abc import Collection
from typing import NamedTuple

from shared.classification import ProjectNature
from shared.projects.enums import EuSize
from shared.stateaid.regimes import DEMINIMIS_CAP_CENTS, AidRegime
from shared.zonings.kinds import ZoningKind

GBER_ART17_PERCENT: dict[str, int] = {EuSize.SMALL: 20, EuSize.MEDIUM: 10}
"""GBER art. 17, French SME scheme SA.40453 / SA.59106 [24]."""

AFR_C_LARGE_PERCENT = 15
"""GBER art. 14, AFR zone c 2022–2027, large firms, new economic activity only [25][28]."""

AFR_A_LARGE_PERCENT = {"01": 50, "02": 40, "03": 70, "04": 50, "06": 70}
"""AFR zone a (overseas regions) for large firms, by region code [27]."""

AFR_SME_BONUS_POINTS: dict[str, int] = {EuSize.SMALL: 20, EuSize.MEDIUM: 10, EuSize.LARGE: 0}
"""Regional aid bonus for SMEs, in percentage points [25][27]."""

AFR_SME_BONUS_MAX_BASE_CENTS = 5_000_000_000
"""The SME bonus applies to eligible costs up to 50 M€ [25]."""


_AFR_KINDS = frozenset({ZoningKind.AFR_A, ZoningKind.AFR_C})
# Enum members read once: looking one up on its class costs more than the tests below.
_LARGE, _CREATION = EuSize.LARGE, ProjectNature.CREATION
_AFR_A, _AFR_C = ZoningKind.AFR_A, ZoningKind.AFR_C
_DE_MINIMIS, _ART17_SME = AidRegime.DE_MINIMIS, AidRegime.GBER_ART17_SME
_ART14_AFR_C, _ART14_AFR_A = AidRegime.GBER_ART14_AFR_C, AidRegime.GBER_ART14_AFR_A


class AidCandidate(NamedTuple):
    """One applicable regime, the percentage applied (None for de minimis) and the amount."""

    regime: AidRegime
    amount_cents: int
    percent: int | None = None


_new = tuple.__new__
"""Builds a record from all its fields, without the keyword handling of its constructor."""


class AidCeiling(NamedTuple):
    """The indicative ceiling: the best candidate, or the inputs it still needs.

    `amount_cents` and `regime` are None exactly when `missing` is not empty.
    """

    amount_cents: int | None
    regime: AidRegime | None
    candidates: tuple[AidCandidate, ...]
    missing: tuple[str, ...] = ()


def _missing_inputs(
    *,
    base_cents: int | None,
    prior_deminimis_cents: int | None,
    eu_size: str | None,
    nature: str | None,
    region_code: str | None,
    zonings: Collection[str] | None,
    unknown_zonings: Collection[str],
    deminimis_cap_cents: int | None,
) -> list[str]:
    """The None inputs that could change the ceiling, judged from the known ones (an
    unknown input is taken as possibly anything, so filling these in leaves nothing missing).
    """
    large_possible = eu_size is None or eu_size == _LARGE
    afr_c_unknown = zonings is not None and _AFR_C in unknown_zonings
    afr_a_unknown = zonings is not None and _AFR_A in unknown_zonings
    afr_c_possible = zonings is None or _AFR_C in zonings or afr_c_unknown
    afr_a_possible = zonings is None or _AFR_A in zonings or afr_a_unknown
    afr_c_applies = eu_size != _LARGE or nature in (None, _CREATION)
    afr_a_applies = region_code is None or region_code in AFR_A_LARGE_PERCENT
    rate_possible = (
        eu_size is None
        or eu_size in GBER_ART17_PERCENT
        or (afr_c_possible and (eu_size != _LARGE or nature in (None, "creation")))
        or (afr_a_possible and (region_code is None or region_code in AFR_A_LARGE_PERCENT))
    )
    needed = {
        "prior_deminimis_cents": prior_deminimis_cents is None,
        "deminimis_cap_cents": deminimis_cap_cents is None,
        "eu_size": eu_size is None,
        "zonings": zonings is None,
        "zonings.AFR_C": afr_c_unknown and afr_c_applies,
        "zonings.AFR_A": afr_a_unknown and afr_a_applies,
        "nature": nature is None and large_possible and afr_c_possible,
        "region_code": region_code is None and afr_a_possible,
        "base_cents": base_cents is None and rate_possible,
    }
    return [name for name, missing in needed.items() if missing]


def ceiling_at_least(
    *,
    base_cents: int | None,
    prior_deminimis_cents: int | None,
    eu_size: str | None,
    deminimis_cap_cents: int | None,
) -> int | None:
    """A floor of the ceiling from what is known, whatever the missing inputs: the de
    minimis room, and GBER art. 17 for a known SME (neither depends on the zonings, the
    nature or the region); None when neither is known. The ceiling is the most favourable
    regime, so it is never below an applicable one.
    """
    floors = []
    if prior_deminimis_cents is not None and deminimis_cap_cents is not None:
        floors.append(max(0, deminimis_cap_cents - prior_deminimis_cents))
    if base_cents is not None and eu_size in GBER_ART17_PERCENT:
        floors.append(base_cents * GBER_ART17_PERCENT[eu_size] // 100)
    return max(floors) if floors else None


def regime_rates(
    size: str, nature: str | None, region_code: str | None, zonings: Collection[str]
) -> list[tuple[AidRegime, int, int]]:
    """The applicable percentage regimes: (regime, base percentage, SME bonus points)."""
    bonus = AFR_SME_BONUS_POINTS.get(size, 0)
    rates = []
    if size in GBER_ART17_PERCENT:
        rates.append((_ART17_SME, GBER_ART17_PERCENT[size], 0))
    if _AFR_C in zonings:
        if size != _LARGE:
            rates.append((_ART14_AFR_C, AFR_C_LARGE_PERCENT, bonus))
        elif nature == _CREATION:
            rates.append((_ART14_AFR_C, AFR_C_LARGE_PERCENT, 0))
    if _AFR_A in zonings and region_code in AFR_A_LARGE_PERCENT:
        rates.append((_ART14_AFR_A, AFR_A_LARGE_PERCENT[region_code], bonus))
    return rates


def indicative_aid_ceiling(
    *,
    base_cents: int | None,
    prior_deminimis_cents: int | None,
    eu_size: str | None,
    nature: str | None,
    region_code: str | None,
    zonings: Collection[str] | None,
    unknown_zonings: Collection[str] = (),
    deminimis_cap_cents: int | None = DEMINIMIS_CAP_CENTS,
) -> AidCeiling:
    """The most favourable of: de minimis (cap minus prior aid over three years), GBER art. 17
    (20 % small, 10 % medium), GBER art. 14 AFR zone c (15 % large for a creation only, +10/+20
    points medium/small) and zone a (by region, same bonuses), applied to the expense base.

    The SME bonus is dropped above 50 M€ of eligible costs. When an input that could change
    the result is None, no amount is given and `missing` names every such input (by argument
    name); inputs that cannot matter are not required (a large firm outside AFR zones needs
    no expense base). `zonings` lists the kinds the site is in; `unknown_zonings` those the
    zoning data does not cover there (an uncovered AFR kind is missing as `zonings.AFR_C` or
    `zonings.AFR_A` when it could apply).
    """
    missing: list[str] = []
    if (
        base_cents is None
        or prior_deminimis_cents is None
        or eu_size is None
        or nature is None
        or region_code is None
        or zonings is None
        or deminimis_cap_cents is None
        or not _AFR_KINDS.isdisjoint(unknown_zonings)
    ):
        missing = _missing_inputs(
            base_cents=base_cents,
            prior_deminimis_cents=prior_deminimis_cents,
            eu_size=eu_size,
            nature=nature,
            region_code=region_code,
            zonings=zonings,
            unknown_zonings=unknown_zonings,
            deminimis_cap_cents=deminimis_cap_cents,
        )
    if (
        missing
        or prior_deminimis_cents is None
        or deminimis_cap_cents is None
        or eu_size is None
        or zonings is None
    ):
        return AidCeiling(None, None, (), tuple(missing))
    deminimis = max(0, deminimis_cap_cents - prior_deminimis_cents)
    candidates = [_new(AidCandidate, (_DE_MINIMIS, deminimis, None))]
    for regime, percent, bonus in regime_rates(eu_size, nature, region_code, zonings):
        applied = percent + bonus if (base_cents or 0) <= AFR_SME_BONUS_MAX_BASE_CENTS else percent
        candidates.append(_new(AidCandidate, (regime, (base_cents or 0) * applied // 100, applied)))
    best = candidates[0]
    for candidate in candidates[1:]:
        if candidate.amount_cents > best.amount_cents:
            best = candidate
    ceiling: AidCeiling = _new(AidCeiling, (best.amount_cents, best.regime, tuple(candidates), ()))
    return ceiling
