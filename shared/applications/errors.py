"""Application errors."""

from shared.errors import Conflict, NotFound, Unprocessable


class ApplicationNotFound(NotFound):
    """No such application visible to this key."""

    type_slug = "application-not-found"


class ApplicationNotEditable(Conflict):
    """Only drafts can be changed."""

    type_slug = "application-not-editable"


class ProjectNotActive(Conflict):
    """Only an active project carries applications."""

    type_slug = "project-not-active"


class FundNotAccepting(Conflict):
    """The fund does not take applications (closed, draft, or a label catalogue)."""

    type_slug = "fund-not-accepting"


class DuplicateApplication(Conflict):
    """The project already has an open application to this fund."""

    type_slug = "duplicate-application"


class OutsideWindow(Unprocessable):
    """Submission outside the fund's window."""

    type_slug = "outside-window"
    title = "Outside the submission window"


class IncompleteApplication(Unprocessable):
    """Something required is missing; `errors` lists it."""

    type_slug = "incomplete-application"
    title = "Incomplete application"


class ContradictoryDeclarations(Unprocessable):
    """Two declarations that cannot both be true (a holder declared in difficulty on the
    project, and attested not in difficulty on the application)."""

    type_slug = "contradictory-declarations"
    title = "Contradictory declarations"


class AmountNotAllowed(Unprocessable):
    """Requested amount above the fund's cap or the eligible expense base."""

    type_slug = "amount-not-allowed"
