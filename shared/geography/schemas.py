"""Reference geography contract (read-only)."""

from pydantic import Field

from shared.schemas import Schema


class RegionRead(Schema):
    """A region (INSEE code)."""

    code: str = Field(examples=["53"])
    name: str = Field(examples=["Bretagne"])
    zone: str = Field(description="metro, drom or com.", examples=["metro"])
    chief_town_insee: str | None = Field(examples=["35238"])


class DepartmentRead(Schema):
    """A department (INSEE code)."""

    code: str = Field(examples=["56"])
    name: str = Field(examples=["Morbihan"])
    region_code: str = Field(examples=["53"])
    zone: str = Field(examples=["metro"])
    chief_town_insee: str | None = Field(examples=["56260"])


class EpciRead(Schema):
    """An intercommunality (EPCI à fiscalité propre)."""

    siren: str = Field(examples=["245614433"])
    name: str = Field(examples=["CC Pontivy Communauté"])
    kind: str = Field(description="CC, CA, CU, METRO or MET69.", examples=["CC"])
    population: int | None = Field(examples=[47_000])
    department_code: str | None = Field(examples=["56"])
    region_code: str | None = Field(examples=["53"])
    member_count: int | None = Field(examples=[25])


class CommuneRead(Schema):
    """A commune (INSEE code) and its EPCI."""

    insee_code: str = Field(examples=["56178"])
    name: str = Field(examples=["Pontivy"])
    department_code: str = Field(examples=["56"])
    region_code: str = Field(examples=["53"])
    epci_siren: str | None = Field(examples=["245614433"])
    population: int | None = Field(examples=[15_000])
    postal_codes: list[str] = Field(examples=[["56300"]])
