"""Site vocabulary (values are the API's; French labels in the descriptions)."""

from enum import StrEnum


class SiteStatus(StrEnum):
    """brouillon, proposé, labellisé, refusé."""

    DRAFT = "draft"
    PROPOSED = "proposed"
    LABELLED = "labelled"
    REFUSED = "refused"


class LandControl(StrEnum):
    """maîtrise foncière publique, privée ou mixte."""

    PUBLIC = "public"
    PRIVATE = "private"
    MIXED = "mixed"
