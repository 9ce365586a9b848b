"""Fund errors."""

from shared.errors import Conflict, NotFound, Unprocessable


class FundNotFound(NotFound):
    """No such fund."""

    type_slug = "fund-not-found"


class FundCodeTaken(Conflict):
    """Another fund already has this code."""

    type_slug = "fund-code-taken"


class IncoherentFund(Unprocessable):
    """The fund's figures or window contradict each other."""

    type_slug = "incoherent-fund"
