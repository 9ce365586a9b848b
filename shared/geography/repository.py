"""Queries over reference geography."""

from sqlalchemy import Select, select

from shared.db.filters import contains_pattern
from shared.db.pagination import SortKey
from shared.geography.models import Commune, Department, Epci, Region

REGIONS_BY_CODE = SortKey("code", ((Region.code, False),))
DEPARTMENTS_BY_CODE = SortKey("code", ((Department.code, False),))
EPCIS_BY_NAME = SortKey("name", ((Epci.name, False), (Epci.siren, False)))
COMMUNES_BY_CODE = SortKey("code", ((Commune.insee_code, False),))


def regions() -> Select[Region]:
    """All regions."""
    return select(Region)


def departments(*, region: str | None) -> Select[Department]:
    """Departments, optionally of one region."""
    statement = select(Department)
    if region is not None:
        statement = statement.where(Department.region_code == region)
    return statement


def epcis(*, region: str | None, department: str | None, q: str | None) -> Select[Epci]:
    """EPCIs filtered by region, department and name fragment."""
    statement = select(Epci)
    if region is not None:
        statement = statement.where(Epci.region_code == region)
    if department is not None:
        statement = statement.where(Epci.department_code == department)
    if q:
        statement = statement.where(Epci.name.ilike(contains_pattern(q), escape="\\"))
    return statement


def communes(
    *, department: str | None, epci: str | None, postal_code: str | None, q: str | None
) -> Select[Commune]:
    """Communes filtered by department, EPCI, postal code and name fragment."""
    statement = select(Commune)
    if department is not None:
        statement = statement.where(Commune.department_code == department)
    if epci is not None:
        statement = statement.where(Commune.epci_siren == epci)
    if postal_code is not None:
        statement = statement.where(Commune.postal_codes.contains([postal_code]))
    if q:
        statement = statement.where(Commune.name.ilike(contains_pattern(q), escape="\\"))
    return statement
