"""How the programme classifies projects: their nature and the axes they serve.

Shared vocabulary: projects carry it, applications snapshot it, operators route events by it
(webhook routing rules), rules and statistics read it. Values are the API's; French labels in
the descriptions.
"""

from enum import StrEnum


class ProjectNature(StrEnum):
    """création, extension, modernisation, relocalisation, plateforme de formation / de services,
    reconversion de friche.
    """

    CREATION = "creation"
    EXTENSION = "extension"
    MODERNISATION = "modernisation"
    RELOCATION = "relocation"
    TRAINING_PLATFORM = "training_platform"
    SERVICES_PLATFORM = "services_platform"
    BROWNFIELD_REUSE = "brownfield_reuse"


class Priority(StrEnum):
    """The programme's four axes: foncier, recrutement/compétences, innovation, décarbonation."""

    FONCIER = "foncier"
    RECRUTEMENT = "recrutement"
    INNOVATION = "innovation"
    DECARBONATION = "decarbonation"
