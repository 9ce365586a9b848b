"""Domain errors that carry their HTTP status; the API renders them as problem+json."""

from typing import Any, ClassVar

PROBLEM_BASE = "https://tidi.anct.gouv.fr/problems/"


class TidiError(Exception):
    """Base of every expected error: status, problem type and title are class-level."""

    status: ClassVar[int] = 400
    type_slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions

    @classmethod
    def type_uri(cls) -> str:
        """The RFC 9457 `type` of this problem."""
        return PROBLEM_BASE + cls.type_slug


class BadRequest(TidiError):
    """The request cannot be understood (malformed cursor, bad header)."""


class Unauthorized(TidiError):
    """No valid credentials."""

    status = 401
    type_slug = "unauthorized"
    title = "Authentication required"


class Forbidden(TidiError):
    """Valid credentials, but this principal may not do this."""

    status = 403
    type_slug = "forbidden"
    title = "Forbidden"


class NotFound(TidiError):
    """The resource does not exist or is not visible to this principal."""

    status = 404
    type_slug = "not-found"
    title = "Not found"


class Conflict(TidiError):
    """The request conflicts with the current state of the resource."""

    status = 409
    type_slug = "conflict"
    title = "Conflict"


class PreconditionFailed(TidiError):
    """`If-Match` does not match the current version."""

    status = 412
    type_slug = "precondition-failed"
    title = "Precondition failed"


class Unprocessable(TidiError):
    """The request is well-formed but breaks a business rule."""

    status = 422
    type_slug = "unprocessable"
    title = "Unprocessable content"


class DateOutOfRange(Unprocessable):
    """A date the clock rules out: an expiry or a due date not in the future, a signature
    or a payment dated after today."""

    type_slug = "date-out-of-range"
    title = "Date out of range"


class PreconditionRequired(TidiError):
    """An update was sent without `If-Match`."""

    status = 428
    type_slug = "precondition-required"
    title = "Precondition required"
