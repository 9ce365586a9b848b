"""The documents criteria cite: the numbered Sources list of the domain research.

A criterion's `"source": [9, 11]` names entries of this catalogue. Each entry keeps the list's
number, the document's title (the list's; where it gives none, the page's as its address
spells it, or the list's description), its issuer, its date when the list gives one (ISO 8601
to the precision given; for an entry of several documents, the first one's) and its addresses
as the list publishes them (a templated one left out), plus the github.com address of a
repository it names without one.
The entries ship as package data (`data/sources.json`). Standard library only: the pure
rules engine validates citations against it.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class Source:
    """One numbered document of the research's Sources list."""

    number: int
    title: str
    issuer: str
    date: str | None
    urls: tuple[str, ...]


def _load() -> tuple[Source, ...]:
    """The catalogue shipped as package data (`data/sources.json`)."""
    text = files("shared.eligibility").joinpath("data/sources.json").read_text(encoding="utf-8")
    return tuple(
        Source(
            number=int(row["number"]),
            title=str(row["title"]),
            issuer=str(row["issuer"]),
            date=row["date"],
            urls=tuple(row["urls"]),
        )
        for row in json.loads(text)
    )


_SOURCES = _load()

SOURCES: Mapping[int, Source] = MappingProxyType({source.number: source for source in _SOURCES})
"""Every numbered source, by number."""


def cited(numbers: Iterable[int]) -> list[Source]:
    """The catalogued sources among `numbers`, once each, by number."""
    return [SOURCES[number] for number in sorted(set(numbers)) if number in SOURCES]


def cited_by(definition: Mapping[str, Any]) -> list[Source]:
    """The catalogued sources the criteria of a ruleset document cite, by number.

    Read from the stored JSON, so a document that no longer validates still shows them.
    """
    criteria = definition.get("criteria")
    return cited(
        number
        for criterion in (criteria if isinstance(criteria, list) else [])
        if isinstance(criterion, dict) and isinstance(criterion.get("source"), list)
        for number in criterion["source"]
        if isinstance(number, int) and not isinstance(number, bool)
    )
