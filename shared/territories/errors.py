"""Territory errors."""

from shared.errors import Conflict, NotFound, Unprocessable


class TerritoryNotFound(NotFound):
    """No such territory."""

    type_slug = "territory-not-found"


class TerritoryCodeTaken(Conflict):
    """Another territory already has this code."""

    type_slug = "territory-code-taken"


class UnknownReference(Unprocessable):
    """A region or EPCI that does not exist in the reference data."""

    type_slug = "unknown-reference"
    title = "Unknown reference"
