"""The sites contract: a site clé en main as a territory proposes it, the bodies of the
labelling decisions, and the catalogue's view of a site."""

import uuid
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from shared.schemas import InputSchema, Omittable, Schema
from shared.sites.enums import LandControl, SiteStatus
from shared.types import FromText, InseeCommuneCode, IsoDate, LongText, ShortText


def _to_hundredths(value: float) -> float:
    """Rounded half up to the hundredth, as the database stores it (12.345 → 12.35)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


AreaHectares = Annotated[
    float,
    Field(
        ge=0.01,
        le=100_000,
        description="Area in hectares (kept to the hundredth).",
        examples=[42.5],
    ),
    AfterValidator(_to_hundredths),
]
Latitude = Annotated[float, Field(ge=-90, le=90, description="WGS 84 latitude, degrees.")]
Longitude = Annotated[float, Field(ge=-180, le=180, description="WGS 84 longitude, degrees.")]
Capacity = Annotated[float, Field(ge=0, le=1_000_000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

FIRST_VINTAGE = 2018
"""The programme's first year: no label is older."""


class Procedures(InputSchema):
    """The procedures completed on the site, each with its completion date (null: not done)."""

    urban_planning: IsoDate | None = Field(
        default=None,
        description="Urban planning made compatible (PLU/PLUi zoning for industry).",
        examples=["2021-03-15"],
    )
    environmental_authorisation: IsoDate | None = Field(
        default=None,
        description="Environmental authorisation obtained or its studies completed.",
        examples=["2021-09-01"],
    )
    archaeology_diagnosis: IsoDate | None = Field(
        default=None,
        description="Preventive archaeology diagnosis completed.",
        examples=["2020-11-20"],
    )
    biodiversity_inventory: IsoDate | None = Field(
        default=None,
        description="Four-season biodiversity inventory (faune-flore) completed.",
        examples=["2020-10-30"],
    )


class Services(InputSchema):
    """What serves the site: transport links, power and water capacity."""

    rail: bool = Field(default=False, description="A rail siding serves the site.")
    road: bool = Field(
        default=False, description="Direct access to a main road or motorway interchange."
    )
    power_mva: Capacity | None = Field(
        default=None, description="Electrical capacity available, in MVA.", examples=[12.0]
    )
    water_m3_per_day: Capacity | None = Field(
        default=None,
        description="Industrial water available, in cubic metres per day.",
        examples=[1500.0],
    )


class Coordinates(InputSchema):
    """A point (WGS 84)."""

    latitude: Latitude = Field(examples=[48.0707])
    longitude: Longitude = Field(examples=[-2.9625])


class TurnkeySiteCreate(InputSchema):
    """A site a territory proposes (created as a draft), in one of its own communes."""

    territory_id: FromText[uuid.UUID] | None = Field(
        default=None,
        description="The proposing territory: implied for territory keys, required for admins.",
    )
    name: ShortText = Field(examples=["Parc d'activités de Kerjean"])
    description: LongText = Field(default="", examples=["Terrain viabilisé, desserte fer."])
    commune_insee: InseeCommuneCode = Field(
        description="The site's commune: one of the proposing territory's communes."
    )
    area_ha: AreaHectares
    land_control: FromText[LandControl] = Field(
        description="Who controls the land: public, private or mixed.", examples=["public"]
    )
    procedures: Procedures = Field(default_factory=Procedures)
    services: Services = Field(default_factory=Services)
    coordinates: Coordinates | None = Field(
        default=None,
        description="The site's location; absent or null: its commune's centre, when known.",
    )


class TurnkeySiteUpdate(InputSchema):
    """Changes to a site not yet labelled; procedures and services are replaced whole.

    Absent fields are left as they are; `coordinates: null` (or a new commune without
    coordinates) puts the site at its commune's centre, when known.
    """

    name: Omittable[ShortText] = None
    description: Omittable[LongText] = None
    commune_insee: Omittable[InseeCommuneCode] = None
    area_ha: Omittable[AreaHectares] = None
    land_control: Omittable[FromText[LandControl]] = None
    procedures: Omittable[Procedures] = None
    services: Omittable[Services] = None
    coordinates: Coordinates | None = None


class LabelRequest(InputSchema):
    """The State's label: its vintage (year of the call for proposals)."""

    vintage: int = Field(
        ge=FIRST_VINTAGE,
        le=2100,
        description="Label vintage (year); not after the current year.",
        examples=[2024],
    )


class RefusalRequest(InputSchema):
    """Why the State refuses the label (the territory may change the site and propose again)."""

    reason: Reason = Field(
        examples=["Maîtrise foncière insuffisante : promesse de vente à finaliser."]
    )


class ProceduresRead(Schema):
    """Procedures completed on the site, with their dates (null: not done)."""

    urban_planning: date | None = Field(examples=["2021-03-15"])
    environmental_authorisation: date | None = Field(examples=["2021-09-01"])
    archaeology_diagnosis: date | None = Field(examples=["2020-11-20"])
    biodiversity_inventory: date | None = Field(examples=["2020-10-30"])


class ServicesRead(Schema):
    """What serves the site."""

    rail: bool
    road: bool
    power_mva: float | None = Field(examples=[12.0])
    water_m3_per_day: float | None = Field(examples=[1500.0])


class CoordinatesRead(Schema):
    """A point (WGS 84)."""

    latitude: float = Field(examples=[48.0707])
    longitude: float = Field(examples=[-2.9625])


class TurnkeySiteRead(Schema):
    """A site clé en main: labelled ones form the public catalogue."""

    id: uuid.UUID
    territory_id: uuid.UUID
    status: SiteStatus
    name: str = Field(examples=["Parc d'activités de Kerjean"])
    description: str
    commune_insee: str = Field(examples=["56178"])
    department_code: str = Field(examples=["56"])
    region_code: str = Field(examples=["53"])
    area_ha: float = Field(examples=[42.5])
    land_control: LandControl
    procedures: ProceduresRead
    services: ServicesRead
    coordinates: CoordinatesRead | None = Field(
        description="The site's location (null: neither given nor known for its commune)."
    )
    distance_km: float | None = Field(
        default=None,
        description="Distance from the searched point, in km (distance searches only).",
        examples=[12.4],
    )
    label_vintage: int | None = Field(examples=[2024])
    labelled_at: datetime | None
    refusal_reason: str | None
    allowed_actions: list[str] = Field(
        description="Actions the calling key may perform now (POST /v1/sites/{id}/{action}).",
        examples=[["propose"]],
    )
    version: int = Field(description="Current version; also sent as the ETag.")
    created_at: datetime
    updated_at: datetime
