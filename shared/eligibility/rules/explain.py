"""French explanations: templates with `{placeholders}` filled from the inputs read."""

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from shared.eligibility.rules.context import missing_label
from shared.stateaid.regimes import REGIME_LABELS_FR, AidRegime

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.+]+)\}")

SPECIAL_KEYS = frozenset({"value", "points", "max_points"})
"""Placeholders every template may use: the criterion's value, points awarded, maximum."""

NOT_PROVIDED = "non renseigné"
NOT_READ = "—"

VALUE_LABELS_FR = {
    "company": "entreprise",
    "association": "association",
    "employers_group": "groupement d'employeurs",
    "training_body": "organisme de formation",
    "local_authority": "collectivité",
    "public_body": "établissement public",
    "creation": "création",
    "extension": "extension",
    "modernisation": "modernisation",
    "relocation": "relocalisation",
    "training_platform": "plateforme de formation",
    "services_platform": "plateforme de services",
    "brownfield_reuse": "reconversion de friche",
    "favourable": "favorable",
    "neutral": "neutre",
    "unfavourable": "défavorable",
    "small": "petite entreprise",
    "medium": "moyenne entreprise",
    "large": "grande entreprise",
    "decarbonation": "décarbonation",
    "recrutement": "recrutement",
    "foncier": "foncier",
    "innovation": "innovation",
    "engineering_study": "étude d'ingénierie",
    "investment": "investissement",
    "housing": "logements",
    "economic": "activités économiques",
    "public_facilities": "équipements publics",
    "mixed": "mixte",
    "industrial": "industriel",
    "agricultural": "agricole",
    "forest": "forestier",
}
"""French wording of the API's enumerated values met in explanations."""


def placeholders(template: str) -> tuple[str, ...]:
    """The placeholder names of a template, in order."""
    return tuple(_PLACEHOLDER.findall(template))


def format_number(value: float) -> str:
    """A number in French notation: 12 500, 0,25, 1 234,5."""
    if isinstance(value, int) or value == int(value):
        return f"{int(value):,}".replace(",", " ")
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",")


def format_cents(cents: float) -> str:
    """An amount in cents as euros: 20 000 000 → « 200 000 € »."""
    return f"{format_number(round(cents / 100, 2))} €"


def format_value(key: str, value: Any) -> str:
    """An input value for a French reader; amounts are the keys ending in `_cents`."""
    if value is None:
        return NOT_PROVIDED
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, AidRegime):
        return REGIME_LABELS_FR[value]
    if isinstance(value, str):
        return VALUE_LABELS_FR.get(value, value)
    if isinstance(value, (int, float)):
        return format_cents(value) if key.endswith("_cents") else format_number(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, (tuple, list)):
        return ", ".join(format_value("", item) for item in value) or "aucun"
    return str(value)


def describe_missing(paths: Iterable[str]) -> str:
    """The French labels of missing inputs, with their paths."""
    labels = []
    for path in paths:
        label = missing_label(path)
        labels.append(f"{label} ({path})" if label is not None else path)
    return ", ".join(labels)


class Template:
    """An explanation template split once into text and placeholders."""

    __slots__ = ("_parts", "keys", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        pieces = _PLACEHOLDER.split(text)
        self._parts = tuple(
            (pieces[index], pieces[index + 1] if index + 1 < len(pieces) else None)
            for index in range(0, len(pieces), 2)
        )
        self.keys = frozenset(key for _, key in self._parts if key is not None)
        """The names of its placeholders."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Template) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"Template({self.text!r})"

    def render(self, values: Mapping[str, Any], formatted: Mapping[str, str] | None = None) -> str:
        """The text with each placeholder replaced by its formatted value (— if not read);
        `formatted` gives placeholders already rendered."""
        out: list[str] = []
        for literal, key in self._parts:
            out.append(literal)
            if key is None:
                continue
            if formatted and key in formatted:
                out.append(formatted[key])
            else:
                out.append(format_value(key, values[key]) if key in values else NOT_READ)
        return "".join(out)
