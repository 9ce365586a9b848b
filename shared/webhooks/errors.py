"""The webhooks domain's errors (each carries its HTTP status)."""

from shared.errors import Conflict, NotFound, Unprocessable


class EndpointNotFound(NotFound):
    """No such endpoint visible to this principal."""

    type_slug = "webhook-endpoint-not-found"


class DeliveryNotFound(NotFound):
    """No such delivery on this endpoint."""

    type_slug = "webhook-delivery-not-found"


class RoutingRuleNotFound(NotFound):
    """No such routing rule."""

    type_slug = "routing-rule-not-found"


class RoutingRuleExists(Conflict):
    """The same rule exists."""

    type_slug = "routing-rule-exists"


class UnknownOperator(Unprocessable):
    """The operator code names no operator."""

    type_slug = "unknown-operator"


class UnknownFund(Unprocessable):
    """A fund code names no fund."""

    type_slug = "unknown-fund"
