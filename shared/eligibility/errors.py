"""Eligibility errors."""

from shared.errors import Conflict, NotFound


class RulesetNotFound(NotFound):
    """The fund has no published ruleset."""

    type_slug = "ruleset-not-found"


class RulesetPublished(Conflict):
    """A published ruleset version is immutable."""

    type_slug = "ruleset-published"
