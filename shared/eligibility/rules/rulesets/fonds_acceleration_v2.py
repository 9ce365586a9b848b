"""Fonds d'accélération des investissements industriels dans les territoires, ruleset v2.

Version 1 with three criteria read closer to their sources (research §1.1, §2):
- G03 excludes every SCI (INSEE categories 654x) and the « affaires en nom personnel »
  (entrepreneur individuel, 1000), where v1 excluded 6540 only;
- G04 excludes the activities [9] names (credit and financial institutions, fishing and
  aquaculture, primary agricultural production), no longer insurance (65) nor the
  auxiliary activities (66), nor the support activities to agriculture (01.6);
- S02 counts the programme's fragile territories (`FRAGILE_ZONINGS`: FRR, FRR+, QPV, ACV),
  no longer AFR zones nor PVD.
"""

from shared.eligibility.rules.model import Ruleset
from shared.eligibility.rules.rulesets import fonds_acceleration_v1 as v1
from shared.eligibility.rules.rulesets.builders import (
    any_zoning,
    field,
    flag,
    gate,
    not_startswith_any,
    param,
    revised,
    score,
    zoning_names,
)
from shared.zonings.kinds import FRAGILE_ZONINGS

PARAMS = {
    **{name: spec for name, spec in v1.PARAMS.items() if name != "excluded_legal_form_codes"},
    "excluded_legal_form_prefixes": ["654", "1000"],
    "excluded_naf_prefixes": ["01.1", "01.2", "01.3", "01.4", "01.5", "01.7", "03", "64"],
}

G03 = gate(
    "G03_excluded_legal_forms",
    "Forme juridique non exclue (SCI, affaire en nom personnel)",
    not_startswith_any(field("holder.legal_form_code"), param("excluded_legal_form_prefixes")),
    source=[9],
    note="[9] excludes « SCI » and « affaires en nom personnel »: every société civile "
    "immobilière, INSEE legal categories 6540 to 6544 (prefix 654), and the entrepreneur "
    "individuel, category 1000",
    explanation="Catégorie juridique {holder.legal_form_code} ; catégories exclues (par "
    "préfixe) : {params.excluded_legal_form_prefixes}.",
)

G04 = gate(
    "G04_excluded_sectors",
    "Secteur non exclu (établissements de crédit et financiers, pêche et aquaculture, "
    "production agricole primaire)",
    not_startswith_any(field("site.naf_code"), param("excluded_naf_prefixes")),
    source=[9],
    note="[9] excludes « établissements de crédit et établissements financiers, pêche et "
    "aquaculture, production agricole primaire »: NAF division 64 (financial services except "
    "insurance and pension funding), division 03 (fishing and aquaculture), and the groups "
    "of primary production in division 01 (01.1 to 01.5 crops and animals, 01.7 hunting); "
    "01.6 (support activities to agriculture), 65 (insurance) and 66 (activities auxiliary "
    "to financial services) are not named and stay eligible",
    explanation="Code NAF de l'établissement {site.naf_code} ; codes exclus (par préfixe) : "
    "{params.excluded_naf_prefixes}.",
)

S02 = score(
    "S02_fragile_territory",
    f"Territoire fragile ({zoning_names(FRAGILE_ZONINGS)})",
    10,
    flag(any_zoning(*FRAGILE_ZONINGS)),
    source=[5, 18],
    note="« territoires fragiles ou prioritaires (territoires ruraux, villes moyennes ou "
    "QPV) » [5], located in ZRR, ACV towns and QPV [18]: research §2; the weight is an "
    "assumption",
    explanation="Zonages du site : {zonings}.",
)

RULESET = Ruleset.model_validate(
    {
        "fund_code": "fonds-acceleration",
        "version": 2,
        "label_fr": v1.RULESET.label_fr,
        "params": PARAMS,
        "criteria": revised([*v1.GATES, *v1.SCORES], G03, G04, S02),
        "max_score": 100,
    }
)
"""The acceleration fund's ruleset, version 2."""
