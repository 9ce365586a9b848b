"""AMI « Écoles de production », ruleset v2.

Version 1 with ES2 counting the programme's fragile territories (`FRAGILE_ZONINGS`: FRR,
FRR+, QPV, ACV, research §2), no longer AFR zones nor PVD.
"""

from shared.eligibility.rules.model import Ruleset
from shared.eligibility.rules.rulesets import ecoles_de_production_v1 as v1
from shared.eligibility.rules.rulesets.builders import (
    any_zoning,
    flag,
    revised,
    score,
    zoning_names,
)
from shared.zonings.kinds import FRAGILE_ZONINGS

ES2 = score(
    "ES2_fragile_territory",
    f"Territoire fragile ({zoning_names(FRAGILE_ZONINGS)})",
    15,
    flag(any_zoning(*FRAGILE_ZONINGS)),
    source=[5, 18],
    note="fragility as the programme reports it (rural areas, mid-sized towns, QPV [5][18], "
    "research §2); scoring it for this call, and its weight, are assumptions",
    explanation="Zonages du site : {zonings}.",
)

RULESET = Ruleset.model_validate(
    {
        "fund_code": "ecoles-de-production",
        "version": 2,
        "label_fr": v1.RULESET.label_fr,
        "params": v1.PARAMS,
        "criteria": revised([*v1.GATES, *v1.SCORES], ES2),
        "max_score": 100,
    }
)
"""The écoles de production call's ruleset, version 2."""
