"""Errors of ruleset administration, rescoring and ranking."""

from shared.errors import Conflict, NotFound, Unprocessable


class RulesetVersionNotFound(NotFound):
    """The fund has no ruleset version with this number."""

    type_slug = "ruleset-version-not-found"


class RulesetNotDraft(Conflict):
    """Only a draft version can be dry-run or published."""

    type_slug = "ruleset-not-draft"


class RulesetNotPublished(Conflict):
    """Rescoring progress exists only for a published version."""

    type_slug = "ruleset-not-published"


class RulesetSuperseded(Conflict):
    """A higher version is already published: publishing this one would change nothing."""

    type_slug = "ruleset-superseded"


class RulesetFundMismatch(Unprocessable):
    """The document's `fund_code` names another fund than the URL."""

    type_slug = "ruleset-fund-mismatch"


class RulesetInvalid(Unprocessable):
    """A stored draft no longer passes the engine's validation."""

    type_slug = "ruleset-invalid"


class NotInScreeningError(Conflict):
    """Only an application whose screening failed is rescored on request."""

    type_slug = "not-in-screening-error"


class DryRunNotFound(NotFound):
    """No such dry-run of this draft, or its result expired."""

    type_slug = "dry-run-not-found"
