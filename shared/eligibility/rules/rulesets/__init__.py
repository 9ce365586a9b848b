"""The rulesets shipped with tidi, by fund code and version."""

from types import MappingProxyType

from shared.eligibility.rules.model import Ruleset
from shared.eligibility.rules.rulesets import (
    ecoles_de_production_v1,
    ecoles_de_production_v2,
    fonds_acceleration_v1,
    fonds_acceleration_v2,
    fonds_friches_v1,
    fonds_friches_v2,
    fonds_vert_ti_v1,
    fonds_vert_ti_v2,
)

SHIPPED_RULESETS = MappingProxyType(
    {
        (ruleset.fund_code, ruleset.version): ruleset
        for ruleset in (
            fonds_acceleration_v1.RULESET,
            fonds_friches_v1.RULESET,
            ecoles_de_production_v1.RULESET,
            fonds_vert_ti_v1.RULESET,
            fonds_acceleration_v2.RULESET,
            fonds_friches_v2.RULESET,
            ecoles_de_production_v2.RULESET,
            fonds_vert_ti_v2.RULESET,
        )
    }
)
"""Every shipped ruleset, keyed by (fund code, version)."""


def shipped_ruleset(fund_code: str, version: int | None = None) -> Ruleset:
    """A shipped ruleset: the given version, or the latest one (KeyError if there is none)."""
    if version is not None:
        return SHIPPED_RULESETS[(fund_code, version)]
    versions = [v for code, v in SHIPPED_RULESETS if code == fund_code]
    if not versions:
        raise KeyError(fund_code)
    return SHIPPED_RULESETS[(fund_code, max(versions))]
