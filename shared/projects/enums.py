"""Project vocabulary (values are the API's; French labels in the descriptions)."""

from enum import StrEnum


class ProjectStatus(StrEnum):
    """brouillon, soumis, actif, terminé, rejeté, retiré, abandonné."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACTIVE = "active"
    COMPLETED = "completed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    ABANDONED = "abandoned"


class ApplicantKind(StrEnum):
    """entreprise, association, groupement d'employeurs, organisme de formation, collectivité,
    établissement public.
    """

    COMPANY = "company"
    ASSOCIATION = "association"
    EMPLOYERS_GROUP = "employers_group"
    TRAINING_BODY = "training_body"
    LOCAL_AUTHORITY = "local_authority"
    PUBLIC_BODY = "public_body"


class CompanyCategory(StrEnum):
    """Catégorie d'entreprise (décret 2008-1354): PME, ETI, grande entreprise."""

    PME = "pme"
    ETI = "eti"
    GE = "ge"


class EuSize(StrEnum):
    """EU size for state-aid intensities: petite, moyenne, grande entreprise."""

    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
