"""Authentication and key-management errors."""

from shared.errors import Forbidden, Unauthorized, Unprocessable


class InvalidApiKey(Unauthorized):
    """The bearer key is unknown, malformed, revoked or expired."""

    type_slug = "invalid-api-key"
    title = "Invalid API key"


class MissingApiKey(Unauthorized):
    """No bearer key was sent."""

    type_slug = "missing-api-key"
    title = "API key required"


class RoleNotAllowed(Forbidden):
    """The key's role may not call this operation."""

    type_slug = "role-not-allowed"
    title = "Role not allowed"


class InvalidKeyBinding(Unprocessable):
    """A territory key needs a territory, an operator key an operator, others neither."""

    type_slug = "invalid-key-binding"
    title = "Invalid key binding"
