"""Application vocabulary (values are the API's; French labels in the descriptions)."""

from enum import StrEnum


class ApplicationStatus(StrEnum):
    """brouillon, déposé, en analyse, éligible, inéligible, indéterminé (pièces manquantes),
    erreur d'analyse, présélectionné, en instruction, informations demandées, accordé, refusé,
    convention signée, versé, clos, expiré, retiré, annulé (aide accordée puis annulée).
    """

    DRAFT = "draft"
    SUBMITTED = "submitted"
    SCREENING = "screening"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    UNDETERMINED = "undetermined"
    SCREENING_ERROR = "screening_error"
    PRESELECTED = "preselected"
    UNDER_REVIEW = "under_review"
    INFORMATION_REQUESTED = "information_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    AGREEMENT_SIGNED = "agreement_signed"
    FUNDED = "funded"
    CLOSED = "closed"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


CLOSED_STATUSES = frozenset(
    {
        ApplicationStatus.INELIGIBLE,
        ApplicationStatus.REJECTED,
        ApplicationStatus.CLOSED,
        ApplicationStatus.EXPIRED,
        ApplicationStatus.WITHDRAWN,
        ApplicationStatus.CANCELLED,
    }
)
"""Statuses that free the project to apply to the same fund again."""


class ExpenseCategory(StrEnum):
    """foncier, immobilier, infrastructures, équipements, immatériel, industrialisation,
    énergie/environnement, conseil, équipements de formation.
    """

    LAND = "land"
    REAL_ESTATE = "real_estate"
    INFRASTRUCTURE = "infrastructure"
    EQUIPMENT = "equipment"
    INTANGIBLE = "intangible"
    INDUSTRIALISATION = "industrialisation"
    ENERGY_ENVIRONMENT = "energy_environment"
    CONSULTING = "consulting"
    TRAINING_EQUIPMENT = "training_equipment"


class TerritoryOpinion(StrEnum):
    """Avis du territoire: favorable, neutre, défavorable."""

    FAVOURABLE = "favourable"
    NEUTRAL = "neutral"
    UNFAVOURABLE = "unfavourable"
