"""Fonds friches (recyclage foncier), ruleset v2.

Version 1 with FS1 counting the programme's fragile territories (`FRAGILE_ZONINGS`: FRR,
FRR+, QPV, ACV, research §2), no longer AFR zones nor PVD.
"""

from shared.eligibility.rules.model import Ruleset
from shared.eligibility.rules.rulesets import fonds_friches_v1 as v1
from shared.eligibility.rules.rulesets.builders import (
    any_zoning,
    flag,
    revised,
    score,
    zoning_names,
)
from shared.zonings.kinds import FRAGILE_ZONINGS

FS1 = score(
    "FS1_fragile_territory",
    f"Territoire fragile ({zoning_names(FRAGILE_ZONINGS)})",
    20,
    flag(any_zoning(*FRAGILE_ZONINGS)),
    source=[5, 18],
    note="fragility as the programme reports it (rural areas, mid-sized towns, QPV [5][18], "
    "research §2); scoring it for this fund, and its weight, are assumptions",
    explanation="Zonages du site : {zonings}.",
)

RULESET = Ruleset.model_validate(
    {
        "fund_code": "fonds-friches",
        "version": 2,
        "label_fr": v1.RULESET.label_fr,
        "params": v1.PARAMS,
        "criteria": revised([*v1.GATES, *v1.SCORES], FS1),
        "max_score": 100,
    }
)
"""The brownfield fund's ruleset, version 2."""
