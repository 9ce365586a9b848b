"""Outcome errors."""

from shared.errors import Conflict, NotFound


class OutcomesNotOpen(Conflict):
    """Outcomes are reported once the funding agreement is signed."""

    type_slug = "outcomes-not-open"
    title = "No signed agreement"


class OutcomeNotFound(NotFound):
    """No such report on this application."""

    type_slug = "outcome-not-found"
