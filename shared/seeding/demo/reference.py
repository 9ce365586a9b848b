"""What the generator reads from the database once: the reference geography, the funds and
their envelopes, the communes already in a fragile zoning. Plain, sorted values, so that a
seed gives the same rows over the same reference."""

import uuid
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class Commune:
    """A commune of the reference geography."""

    insee: str
    department: str
    region: str
    epci: str | None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class Epci:
    """An intercommunalité (SIREN) and its region."""

    siren: str
    name: str
    region: str


@dataclass(frozen=True, slots=True)
class FundRef:
    """A fund applications are generated for."""

    code: str
    id: uuid.UUID
    name: str
    operator_id: uuid.UUID
    regional_preselection: bool
    opens_on: date | None
    closes_on: date | None


@dataclass(slots=True)
class EnvelopeRef:
    """An envelope awards may draw on (room: amount minus what it holds already)."""

    id: uuid.UUID
    fund_code: str
    financer: str
    region: str | None
    room_cents: int


@dataclass(frozen=True, slots=True)
class Reference:
    """Everything the pure generation reads."""

    epcis: list[Epci]
    communes: list[Commune]
    funds: dict[str, FundRef]
    envelopes: list[EnvelopeRef] = field(default_factory=list)
    fragile_elsewhere: frozenset[str] = frozenset()
    """Communes some non-demo list puts in a fragile zoning: the demo never sites a
    project there (its fragility would then not be the demo's)."""
