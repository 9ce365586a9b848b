"""Site errors."""

from shared.errors import Conflict, NotFound, Unprocessable


class SiteNotFound(NotFound):
    """No such site visible to this key."""

    type_slug = "site-not-found"


class SiteNotEditable(Conflict):
    """A labelled site no longer changes: the label covers what was reviewed."""

    type_slug = "site-not-editable"
    title = "Site not editable"


class CommuneOutsideTerritory(Unprocessable):
    """A territory proposes sites in its own communes only."""

    type_slug = "commune-outside-territory"
    title = "Commune outside the territory"


class TerritoryRequired(Unprocessable):
    """An admin names the territory that proposes the site (territory keys imply theirs)."""

    type_slug = "territory-required"
    title = "Territory required"
