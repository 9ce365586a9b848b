"""Annotated value types shared by every schema: identifiers, codes, money."""

import math
import re
from datetime import UTC
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret


def _compact_siren(value: str) -> str:
    try:
        return str(stdnum_siren.validate(value))
    except StdnumError as exc:
        raise ValueError(f"invalid SIREN: {exc}") from None


def _compact_siret(value: str) -> str:
    try:
        return str(stdnum_siret.validate(value))
    except StdnumError as exc:
        raise ValueError(f"invalid SIRET: {exc}") from None


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


Siren = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(_compact_siren),
    Field(
        description="SIREN (9 digits, Luhn checked); spaces are accepted and removed.",
        examples=["245614433"],
        json_schema_extra={"pattern": r"^[0-9 ]{9,11}$"},
    ),
]
"""A company or public body SIREN, validated with python-stdnum."""

Siret = Annotated[
    str,
    BeforeValidator(_strip),
    AfterValidator(_compact_siret),
    Field(
        description="SIRET (14 digits, Luhn checked); spaces are accepted and removed.",
        examples=["73282932000074"],
        json_schema_extra={"pattern": r"^[0-9 ]{14,17}$"},
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
NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
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

_NAF_PATTERN = re.compile(r"^\d{2}\.\d{2}[A-Z]$")
NafCode = Annotated[
    str,
    StringConstraints(pattern=_NAF_PATTERN.pattern),
    Field(description="NAF rev. 2 code (e.g. 25.62B).", examples=["25.62B"]),
]

MAX_JSON_DEPTH = 32


def _plain_json(value: dict[str, Any]) -> dict[str, Any]:
    """Refuse what cannot be stored and served back as JSON: deep nesting, NaN, infinities,
    and text that is not valid Unicode (lone surrogates).
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
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_plain_json)]
"""A free-form JSON object (a fund's question schema, the answers to it), at most 32 levels deep."""

UtcDatetime = Annotated[
    AwareDatetime,
    AfterValidator(lambda moment: moment.astimezone(UTC)),
    Field(description="An instant (RFC 3339 with an offset), stored and returned in UTC."),
]
"""An aware datetime normalised to UTC, so responses echo what reads return."""
