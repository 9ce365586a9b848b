"""Operator errors."""

from shared.errors import Conflict, NotFound


class OperatorNotFound(NotFound):
    """No such operator."""

    type_slug = "operator-not-found"


class OperatorCodeTaken(Conflict):
    """Another operator already has this code."""

    type_slug = "operator-code-taken"
