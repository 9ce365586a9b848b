"""The typed evaluation context: every fact a ruleset may read, and the paths that name them."""

import types
import typing
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.applications.enums import ExpenseCategory, TerritoryOpinion
from shared.classification import Priority, ProjectNature
from shared.projects.enums import ApplicantKind, CompanyCategory, EuSize
from shared.projects.sizing import eu_size
from shared.zonings.kinds import ZoningKind

ValueType = Literal["bool", "number", "text", "date", "list", "any"]
"""The coarse type of a value, used to check expressions when a ruleset is saved."""


class Facts(BaseModel):
    """Base of the context models: immutable, readable from API schemas by attribute."""

    model_config = ConfigDict(frozen=True, from_attributes=True, extra="ignore")


ZONINGS_LABEL = "zonages de la commune du site à la date du dépôt"
"""The label of `zonings` as a whole, named as missing when no zoning is known."""

_ZONING_KINDS: tuple[str, ...] = tuple(kind.value for kind in ZoningKind)


class ZoningFacts(Facts):
    """Whether the site commune is in each zoning at the application date.

    True: in it; False: the zoning data covers this kind there and lists no membership;
    None: not covered (unknown). A plain list of kinds is read as complete (every kind
    known, the listed ones true). `vintage` names the data each answer came from.
    """

    TI: bool | None = Field(default=None, description="site en Territoire d'industrie")
    QPV: bool | None = Field(
        default=None, description="site en quartier prioritaire de la politique de la ville"
    )
    FRR: bool | None = Field(
        default=None, description="site en zone France Ruralités Revitalisation"
    )
    FRR_PLUS: bool | None = Field(default=None, description="site en zone FRR+")
    AFR_A: bool | None = Field(
        default=None, description="site en zone d'aide à finalité régionale a"
    )
    AFR_C: bool | None = Field(
        default=None, description="site en zone d'aide à finalité régionale c"
    )
    ACV: bool | None = Field(default=None, description="site dans une ville Action cœur de ville")
    PVD: bool | None = Field(default=None, description="site dans une Petite ville de demain")
    vintage: str | None = Field(default=None, description="millésime des zonages utilisés")

    @model_validator(mode="before")
    @classmethod
    def _from_kinds(cls, data: Any) -> Any:
        if isinstance(data, (list, tuple, set, frozenset)):
            listed = {str(kind) for kind in data}
            return {kind.value: kind.value in listed for kind in ZoningKind}
        return data

    # Cached: the facts are frozen and rules ask often; a cached property is then read as a
    # plain instance attribute, and, not being a field, stays out of the schema and dumps.

    @cached_property
    def member_of(self) -> tuple[str, ...]:
        """The kinds the site is known to be in, in `ZoningKind` order."""
        return tuple(kind for kind in _ZONING_KINDS if getattr(self, kind) is True)

    @cached_property
    def unknown(self) -> tuple[str, ...]:
        """The kinds the zoning data does not cover for this site and date."""
        return tuple(kind for kind in _ZONING_KINDS if getattr(self, kind) is None)


class ExpenseFact(Facts):
    """One planned expense line."""

    category: ExpenseCategory = Field(description="catégorie de dépense")
    amount_cents: int = Field(description="montant de la dépense")
    leased: bool = Field(default=False, description="financement en crédit-bail")
    planned_date: date | None = Field(default=None, description="date prévue de la dépense")


class EngagementFacts(Facts):
    """The applicant's commitments; None (not stated) until at least one is given: the
    form has no "none" answer, so an empty list is a question not yet answered."""

    solidarites: tuple[str, ...] | None = Field(default=None, description="engagements solidarités")
    transition_ecologique: tuple[str, ...] | None = Field(
        default=None, description="engagements transition écologique"
    )


class AttestationFacts(Facts):
    """Sworn statements; None means not answered."""

    tax_social_ok: bool | None = Field(
        default=None, description="attestation de régularité fiscale et sociale"
    )
    not_started: bool | None = Field(
        default=None, description="attestation de non-commencement des travaux"
    )
    not_in_difficulty: bool | None = Field(
        default=None, description="attestation d'absence de difficulté"
    )
    permits_obtained: bool | None = Field(
        default=None, description="attestation d'obtention des autorisations"
    )
    financing_secured: bool | None = Field(
        default=None, description="attestation de plan de financement bouclé"
    )


class ApplicationFacts(Facts):
    """The application's own inputs (amounts in euro cents)."""

    applicant_siren: str | None = Field(default=None, description="SIREN du demandeur")
    expense_holder_siren: str | None = Field(
        default=None, description="SIREN de l'entreprise qui porte les dépenses"
    )
    requested_amount_cents: int | None = Field(default=None, description="montant d'aide demandé")
    eligible_expense_base_cents: int | None = Field(
        default=None, description="assiette de dépenses éligibles"
    )
    expense_lines: tuple[ExpenseFact, ...] = Field(default=(), description="dépenses prévues")
    aid_form: str | None = Field(default=None, description="forme de l'aide")
    prior_deminimis_cents: int | None = Field(
        default=None, description="aides de minimis reçues sur trois ans"
    )
    engagements: EngagementFacts = Field(default_factory=EngagementFacts)
    attestations: AttestationFacts = Field(default_factory=AttestationFacts)
    territory_opinion: TerritoryOpinion | None = Field(
        default=None, description="avis du territoire"
    )


class RelocationFacts(Facts):
    """Whether the project brings an activity back to France."""

    flag: bool | None = Field(default=False, description="projet de relocalisation")
    from_country: str | None = Field(default=None, description="pays d'origine de l'activité")


class ProjectFacts(Facts):
    """The project snapshot frozen at submission."""

    title: str | None = Field(default=None, description="intitulé du projet")
    nature: ProjectNature | None = Field(default=None, description="nature du projet")
    priorities: tuple[Priority, ...] = Field(default=(), description="axes prioritaires")
    investment_total_cents: int | None = Field(
        default=None, description="montant total de l'investissement"
    )
    planned_start: date | None = Field(default=None, description="date de début prévue")
    planned_end: date | None = Field(default=None, description="date de fin prévue")
    jobs_created: int | None = Field(default=None, description="emplois créés")
    jobs_maintained: int | None = Field(default=None, description="emplois maintenus")
    relocation: RelocationFacts = Field(default_factory=RelocationFacts)
    is_collective: bool | None = Field(default=False, description="projet collectif")


class HolderFacts(Facts):
    """The company or body carrying the project, with registry facts."""

    siren: str | None = Field(default=None, description="SIREN du porteur")
    name: str | None = Field(default=None, description="raison sociale du porteur")
    kind: ApplicantKind | None = Field(default=None, description="type de porteur")
    legal_form_code: str | None = Field(default=None, description="catégorie juridique")
    naf_code: str | None = Field(default=None, description="code NAF de l'unité légale")
    headcount: int | None = Field(default=None, description="effectif")
    turnover_cents: int | None = Field(default=None, description="chiffre d'affaires")
    balance_sheet_cents: int | None = Field(default=None, description="total de bilan")
    in_difficulty: bool | None = Field(default=None, description="entreprise en difficulté")
    difficulty_exit_accepted: bool | None = Field(
        default=None,
        description="preuve de sortie de difficulté apportée (appréciée à l'instruction)",
    )
    admin_status: str | None = Field(
        default=None,
        description="état administratif de l'unité légale (A active, C cessée), déclaré et attesté",
    )
    eu_size: EuSize | None = Field(default=None, description="taille d'entreprise (UE)")
    category: CompanyCategory | None = Field(default=None, description="catégorie d'entreprise")

    @model_validator(mode="before")
    @classmethod
    def _size_from_figures(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("eu_size") is None:
            size = eu_size(
                data.get("headcount"), data.get("turnover_cents"), data.get("balance_sheet_cents")
            )
            if size is not None:
                return {**data, "eu_size": size}
        return data


class SiteFacts(Facts):
    """The project site: establishment and commune."""

    siret: str | None = Field(default=None, description="SIRET de l'établissement")
    commune_insee: str | None = Field(default=None, description="code commune INSEE du site")
    region_code: str | None = Field(default=None, description="région du site")
    naf_code: str | None = Field(default=None, description="code NAF (APE) de l'établissement")
    admin_status: str | None = Field(
        default=None,
        description="état administratif de l'établissement (A actif, F fermé), déclaré et attesté",
    )


class TerritoryFacts(Facts):
    """The Territoire d'industrie the project belongs to."""

    id: uuid.UUID | None = Field(default=None, description="identifiant du territoire")
    code: str | None = Field(default=None, description="code du territoire")
    name: str | None = Field(default=None, description="nom du territoire")


class FundFacts(Facts):
    """The fund applied to."""

    code: str | None = Field(default=None, description="code du fonds")
    window_closes_at: datetime | None = Field(default=None, description="clôture de l'appel")


class EvaluationContext(Facts):
    """Everything a ruleset reads; built once per assessment by the eligibility service.

    Field names follow the API schemas, so `EvaluationContext.model_validate({"application":
    application_read, "project": snapshot, "holder": snapshot.holder, "site": snapshot.site,
    "answers": ..., "zonings": {...}, "submitted_at": ...}, from_attributes=True)` works;
    facts the API does not carry (the establishment's NAF code, an accepted exit from
    difficulty) and the site's zonings at the application date are added by the builder.
    `zonings` None means no zoning is known; otherwise each kind is known or not on its own.
    Amounts are in euro cents; None means unknown.
    """

    application: ApplicationFacts = Field(default_factory=ApplicationFacts)
    project: ProjectFacts = Field(default_factory=ProjectFacts)
    holder: HolderFacts = Field(default_factory=HolderFacts)
    site: SiteFacts = Field(default_factory=SiteFacts)
    territory: TerritoryFacts | None = None
    fund: FundFacts = Field(default_factory=FundFacts)
    answers: dict[str, Any] = Field(
        default_factory=dict, description="réponses aux questions du fonds"
    )
    zonings: ZoningFacts | None = Field(default=None, description=ZONINGS_LABEL)
    submitted_at: datetime | None = Field(default=None, description="date de dépôt")


@dataclass(frozen=True, slots=True)
class PathInfo:
    """What a readable context path holds: its coarse type and a French label."""

    type: ValueType
    label: str


ANSWERS_PREFIX = "answers."


def _value_type(annotation: Any) -> ValueType:
    args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _value_type(args[0])
    if origin in (tuple, list):
        return "list"
    if annotation is bool:
        return "bool"
    if annotation in (int, float):
        return "number"
    if annotation in (date, datetime):
        return "date"
    if annotation is uuid.UUID or (isinstance(annotation, type) and issubclass(annotation, str)):
        return "text"
    return "any"


def _model_of(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _walk(model: type[BaseModel], prefix: str, into: dict[str, PathInfo]) -> None:
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        nested = _model_of(field.annotation)
        if nested is not None and _value_type(field.annotation) != "list":
            _walk(nested, f"{path}.", into)
        else:
            into[path] = PathInfo(_value_type(field.annotation), field.description or path)


def _known_paths() -> dict[str, PathInfo]:
    paths: dict[str, PathInfo] = {}
    _walk(EvaluationContext, "", paths)
    return paths


KNOWN_PATHS: typing.Final = types.MappingProxyType(_known_paths())
"""Every leaf path of the context; `answers.<key>…` paths are also readable (type any)."""


def missing_label(path: str) -> str | None:
    """The French label of a missing input: a readable path, or `zonings` as a whole."""
    if path == "zonings":
        return ZONINGS_LABEL
    info = path_info(path)
    return None if info is None else info.label


def path_info(path: str) -> PathInfo | None:
    """The type and label of a readable path, or None when the context has no such path."""
    if path.startswith(ANSWERS_PREFIX) and len(path) > len(ANSWERS_PREFIX):
        return PathInfo("any", f"réponse « {path.removeprefix(ANSWERS_PREFIX)} »")
    return KNOWN_PATHS.get(path)
