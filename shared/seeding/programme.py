"""The programme's operators and funds, with the figures of the design documents."""

from datetime import UTC, date, datetime

from shared.budgets.models import Financer
from shared.funds.models import AidForm, FundKind, FundStatus
from shared.operators.models import OperatorKind
from shared.seeding import questions

NATIONAL_OPERATORS = [
    {
        "code": "bpifrance",
        "name": "Bpifrance",
        "kind": OperatorKind.NATIONAL_OPERATOR,
        "website": "https://www.bpifrance.fr",
        "description": "Instructs the fonds d'accélération des investissements industriels.",
    },
    {
        "code": "banque-des-territoires",
        "name": "Banque des Territoires",
        "kind": OperatorKind.NATIONAL_OPERATOR,
        "website": "https://www.banquedesterritoires.fr",
        "description": "Écoles de production, land and sites (Caisse des Dépôts).",
    },
    {
        "code": "business-france",
        "name": "Business France",
        "kind": OperatorKind.NATIONAL_OPERATOR,
        "website": "https://www.businessfrance.fr",
        "description": "Export and foreign investment.",
    },
    {
        "code": "france-travail",
        "name": "France Travail",
        "kind": OperatorKind.NATIONAL_OPERATOR,
        "website": "https://www.francetravail.fr",
        "description": "Recruitment and skills (formerly Pôle emploi).",
    },
    {
        "code": "ademe",
        "name": "ADEME",
        "kind": OperatorKind.NATIONAL_OPERATOR,
        "website": "https://www.ademe.fr",
        "description": "Decarbonisation; instructs Fonds vert axe 3 and polluted brownfields.",
    },
    {
        "code": "etat",
        "name": "État (DGE et préfectures de région)",
        "kind": OperatorKind.STATE,
        "website": "https://www.entreprises.gouv.fr",
        "description": "State services: fonds friches, sites clés en main labels.",
    },
]
"""National operators; one operator per Region is added from the reference regions."""

REGIONAL_ZONES = frozenset({"metro", "drom"})


def region_operator(code: str, name: str) -> dict[str, object]:
    """The operator record of a Region (co-financing and co-decision)."""
    return {
        "code": f"region-{code}",
        "name": f"Région {name}",
        "kind": OperatorKind.REGION,
        "region_code": code,
        "website": None,
        "description": "Regional council: co-finances and co-decides.",
    }


def _at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


_MEUR = 100_000_000  # one million euros, in cents

FUNDS = [
    {
        "code": "fonds-acceleration",
        "name": "Fonds d'accélération des investissements industriels dans les territoires",
        "operator": "bpifrance",
        "kind": FundKind.AID_SCHEME,
        "status": FundStatus.OPEN,
        "envelope_cents": 850 * _MEUR,
        "regional_share_cents": 143 * _MEUR,
        "max_award_cents": None,
        "opens_at": _at(2026, 1, 1),
        "closes_at": _at(2027, 12, 31),
        "aid_forms": [AidForm.SUBSIDY],
        "regional_preselection": True,
        "question_schema": None,
        "description": (
            "Subsidies to industrial investment projects able to start within 6 to 12 months; "
            "rolling selection by the préfet de région and the Région, instruction by Bpifrance. "
            "Envelope 850 M€ of which 143 M€ from the Regions (seed figures)."
        ),
    },
    {
        "code": "fonds-friches",
        "name": "Fonds friches — recyclage foncier",
        "operator": "etat",
        "kind": FundKind.CALL_FOR_PROJECTS,
        "status": FundStatus.OPEN,
        "envelope_cents": 750 * _MEUR,
        "regional_share_cents": 0,
        "max_award_cents": None,
        "opens_at": _at(2026, 9, 1),
        "closes_at": _at(2027, 3, 31),
        "aid_forms": [AidForm.SUBSIDY],
        "regional_preselection": True,
        "question_schema": questions.FONDS_FRICHES,
        "description": (
            "Subsidy filling the economic deficit of brownfield reuse (300 M€ → 650 M€ → 750 M€; "
            "about 1,100–1,200 applications per edition)."
        ),
    },
    {
        "code": "ecoles-de-production",
        "name": "AMI Écoles de production",
        "operator": "banque-des-territoires",
        "kind": FundKind.CALL_FOR_PROJECTS,
        "status": FundStatus.OPEN,
        "envelope_cents": 0,
        "regional_share_cents": 0,
        "max_award_cents": 800_000 * 100,
        "opens_at": _at(2026, 10, 1),
        "closes_at": _at(2027, 1, 31),
        "aid_forms": [AidForm.ENGINEERING, AidForm.SUBSIDY],
        "regional_preselection": False,
        "question_schema": questions.ECOLES_DE_PRODUCTION,
        "description": (
            "Engineering study up to 50 k€; equipment up to 50 % of costs, capped at 800 k€."
        ),
    },
    {
        "code": "fonds-vert-ti",
        "name": "Fonds vert axe 3 — Territoires d'industrie en transition écologique",
        "operator": "ademe",
        "kind": FundKind.CALL_FOR_PROJECTS,
        "status": FundStatus.OPEN,
        "envelope_cents": 100 * _MEUR,
        "regional_share_cents": 0,
        "max_award_cents": None,
        "opens_at": _at(2026, 6, 1),
        "closes_at": _at(2027, 6, 30),
        "aid_forms": [AidForm.SUBSIDY],
        "regional_preselection": False,
        "question_schema": questions.FONDS_VERT_TI,
        "description": (
            "Structuring, environmentally ambitious industrial investment on a site inside a "
            "Territoire d'industrie (100 M€ in 2024; no regional pre-selection)."
        ),
    },
    {
        "code": "sites-cles-en-main",
        "name": "Sites industriels clés en main",
        "operator": "etat",
        "kind": FundKind.LABEL_CATALOGUE,
        "status": FundStatus.OPEN,
        "envelope_cents": 0,
        "regional_share_cents": 0,
        "max_award_cents": None,
        "opens_at": None,
        "closes_at": None,
        "aid_forms": [AidForm.LABEL],
        "regional_preselection": False,
        "question_schema": None,
        "description": (
            "A catalogue of labelled industrial sites ready for installation (127 labels in "
            "2020–21, 55 in 2024), not an aid application."
        ),
    },
]
"""The funds named in the domain document. Windows are demonstration values."""


ENVELOPES = [
    {
        "fund": "fonds-acceleration",
        "financer": Financer.STATE,
        "label": "État (850 M€ dont 143 M€ des Régions : part de l'État)",
        "amount_cents": (850 - 143) * _MEUR,
        "period_start": date(2026, 1, 1),
        "period_end": date(2027, 12, 31),
    },
    {
        "fund": "fonds-acceleration",
        "financer": Financer.REGION,
        "label": "Régions (143 M€)",
        "amount_cents": 143 * _MEUR,
        "period_start": date(2026, 1, 1),
        "period_end": date(2027, 12, 31),
    },
    {
        "fund": "fonds-friches",
        "financer": Financer.STATE,
        "label": "État",
        "amount_cents": 750 * _MEUR,
        "period_start": date(2026, 9, 1),
        "period_end": date(2027, 12, 31),
    },
    {
        "fund": "fonds-vert-ti",
        "financer": Financer.STATE,
        "label": "Fonds vert axe 3 (2024)",
        "amount_cents": 100 * _MEUR,
        "period_start": date(2026, 6, 1),
        "period_end": date(2027, 12, 31),
    },
]
"""Each fund's envelopes at seeding (demonstration periods; the amounts of `FUNDS`)."""
