"""Annotated value types shared by every schema: identifiers, codes, money, dates."""

import math
import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    HttpUrl,
    Strict,
    StringConstraints,
    UrlConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret


def _checked(kind: str, module: Any) -> AfterValidator:
    """Compacts the digits and checks their Luhn key, refused with its own error type."""

    def check(value: str) -> str:
        try:
            return str(module.validate(value))
        except StdnumError as exc:
            raise PydanticCustomError(
                f"invalid-{kind.lower()}",
                "invalid {kind}: {reason}",
                {"kind": kind, "reason": str(exc)},
            ) from None

    return AfterValidator(check)


Siren = Annotated[
    str,
    StringConstraints(strip_whitespace=False, pattern=r"^ *(?:[0-9] *){9}$"),
    _checked("SIREN", stdnum_siren),
    Field(
        description="SIREN: 9 digits (spaces are accepted and removed) whose Luhn key is "
        "checked (`invalid-siren`).",
        examples=["245614433"],
    ),
]
"""A company or public body SIREN, validated with python-stdnum."""

Siret = Annotated[
    str,
    StringConstraints(strip_whitespace=False, pattern=r"^ *(?:[0-9] *){14}$"),
    _checked("SIRET", stdnum_siret),
    Field(
        description="SIRET: 14 digits (spaces are accepted and removed) whose Luhn key is "
        "checked (`invalid-siret`).",
        examples=["24561443300010"],
    ),
]
"""An establishment SIRET, validated with python-stdnum."""

INSEE_COMMUNE_PATTERN = r"^(?:[0-9]{2}|2A|2B)[0-9]{3}$"
InseeCommuneCode = Annotated[
    str,
    StringConstraints(pattern=INSEE_COMMUNE_PATTERN),
    Field(description="INSEE commune code (COG), e.g. 56178 or 2A004.", examples=["56178"]),
]
RegionCode = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{2}$"),
    Field(description="INSEE region code.", examples=["53"]),
]
DepartmentCode = Annotated[
    str,
    StringConstraints(pattern=r"^(?:[0-9]{2}|2A|2B|97[1-8]|98[4-9])$"),
    Field(description="INSEE department code.", examples=["56"]),
]
Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=2, max_length=64),
    Field(
        description="A stable lower-case code (letters, digits, hyphens).",
        examples=["demo-01"],
    ),
]
_VISIBLE = r"\S"
"""A character other than a space: the schema then says that blank text is refused (it is
stripped to nothing), where `minLength` alone would admit "   "."""
NonEmptyStr = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, pattern=_VISIBLE)
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_VISIBLE)
]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]

AmountCents = Annotated[
    int,
    Field(
        ge=0,
        le=10**15,
        description="An amount in euro cents (integer, never a float).",
        examples=[85_000_000_000],
    ),
]

WebUrl = Annotated[HttpUrl, UrlConstraints(max_length=500)]
"""A web page address (http or https), as long as the column that stores it allows."""

_NAF_PATTERN = re.compile(r"^\d{2}\.\d{2}[A-Z]$")
NafCode = Annotated[
    str,
    StringConstraints(pattern=_NAF_PATTERN.pattern),
    Field(description="NAF rev. 2 code (e.g. 25.62B).", examples=["25.62B"]),
]

MAX_JSON_DEPTH = 32
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _plain_json(value: dict[str, Any]) -> dict[str, Any]:
    """Refuse what cannot be stored and served back as JSON: deep nesting, NaN, infinities,
    integers beyond 64 bits (no JSON library keeps them exact) and text that is not valid
    Unicode (lone surrogates).
    """
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise ValueError("NaN and infinities are not JSON numbers")
        elif isinstance(item, int) and not _INT64_MIN <= item <= _INT64_MAX:
            raise ValueError("integers must fit in 64 bits")
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_plain_json)]
"""A free-form JSON object (a fund's question schema, the answers to it), at most 32 levels deep."""

T = TypeVar("T")

FromText = Annotated[T, Strict(False)]
"""A UUID or an enum member in a strict request body, read from its JSON string.

Request bodies are validated as the Python values their JSON parses to, where strict
mode would take only UUID and enum instances; these are strings in JSON.
"""

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T.+")


def _iso_text(pattern: re.Pattern[str], kind: type[date], shape: str) -> BeforeValidator:
    """Only an ISO 8601 string (or a value of `kind`): never a number or a Unix time."""

    def check(value: object) -> object:
        if isinstance(value, kind) or (isinstance(value, str) and pattern.fullmatch(value)):
            return value
        raise ValueError(f"expected an ISO 8601 {shape} string")

    return BeforeValidator(check)


IsoDate = Annotated[date, Strict(False), _iso_text(_ISO_DATE, date, "date (YYYY-MM-DD)")]
"""A calendar date, written YYYY-MM-DD."""

UtcDatetime = Annotated[
    AwareDatetime,
    Strict(False),
    _iso_text(_ISO_DATETIME, datetime, "date-time (RFC 3339, with an offset)"),
    AfterValidator(lambda moment: moment.astimezone(UTC)),
    Field(description="An instant (RFC 3339 with an offset), stored and returned in UTC."),
]
"""An aware datetime normalised to UTC, so responses echo what reads return."""


def _email(value: str) -> str:
    """The address normalised, or `invalid-email` (special-use domains such as `.test` or
    `.invalid` included: no mail reaches them)."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise PydanticCustomError(
            "invalid-email", "invalid email address: {reason}", {"reason": str(exc)}
        ) from None


Email = Annotated[
    str, AfterValidator(_email), WithJsonSchema({"type": "string", "format": "email"})
]
"""An email address, checked as pydantic's `EmailStr` does, refused with its own error type."""
