"""Export errors."""

from shared.errors import Unprocessable


class InvalidAttribuant(Unprocessable):
    """The publisher's SIRET (`idAttribuant`) is not a valid SIRET."""

    type_slug = "invalid-siret"
    title = "Invalid SIRET"
