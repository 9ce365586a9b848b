"""Fonds vert axe 3 « Territoires d'industrie en transition écologique », ruleset v2.

Version 1 with VS5 counting the programme's fragile territories (`FRAGILE_ZONINGS`: FRR,
FRR+, QPV, ACV, research §2), no longer AFR zones nor PVD; volet 3 still scores.
"""

from shared.eligibility.rules.model import Ruleset
from shared.eligibility.rules.rulesets import fonds_vert_ti_v1 as v1
from shared.eligibility.rules.rulesets.builders import (
    any_of,
    any_zoning,
    eq,
    flag,
    revised,
    score,
    zoning_names,
)
from shared.zonings.kinds import FRAGILE_ZONINGS

VS5 = score(
    "VS5_fragile_territory",
    f"Territoire fragile ({zoning_names(FRAGILE_ZONINGS)}) ou en rebond industriel",
    10,
    flag(any_of(any_zoning(*FRAGILE_ZONINGS), eq(v1.VOLET, 3))),
    source=[5, 18, 39],
    note="volet 3 « rebond industriel » [39]; fragility as the programme reports it (rural "
    "areas, mid-sized towns, QPV [5][18], research §2)",
    explanation="Zonages du site : {zonings} ; volet {answers.volet}.",
)

RULESET = Ruleset.model_validate(
    {
        "fund_code": "fonds-vert-ti",
        "version": 2,
        "label_fr": v1.RULESET.label_fr,
        "params": v1.PARAMS,
        "criteria": revised([*v1.GATES, *v1.SCORES], VS5),
        "max_score": 100,
    }
)
"""The Fonds vert axe 3 ruleset, version 2."""
