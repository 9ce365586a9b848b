"""CSV import of territories: all lines valid, or nothing imported."""

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren as stdnum_siren

from shared.audit import service as audit_service
from shared.errors import Unprocessable
from shared.geography.models import Epci, Region
from shared.principal import Principal
from shared.reference.files import read_rows
from shared.territories import repository
from shared.territories.models import Territory, TerritoryEpci

REQUIRED_COLUMNS = ("code", "name", "region_code", "epci_sirens")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CODE_MAX_LENGTH = 64  # territories.code, as in the API's Slug
_NAME_MAX_LENGTH = 200  # territories.name, as in the API's ShortText


@dataclass(frozen=True)
class LineError:
    """One problem on one line of the file."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportFailed(Unprocessable):
    """A file has invalid lines (each of its problems listed); nothing was imported."""

    def __init__(self, errors: list[LineError]) -> None:
        super().__init__(
            f"{len({e.line for e in errors})} invalid line(s); nothing imported",
            lines=[{"line": e.line, "message": e.message} for e in errors],
        )
        self.errors = errors


class TerritoryImportFailed(ImportFailed):
    """The territories file has invalid lines; nothing was imported."""

    type_slug = "territory-import-failed"


@dataclass(frozen=True)
class _Row:
    line: int
    code: str
    name: str
    region_code: str
    epci_sirens: tuple[str, ...]


@dataclass(frozen=True)
class ImportSummary:
    """What the import did."""

    created: int
    updated: int
    unchanged: int


async def import_territories(
    session: AsyncSession, principal: Principal, path: Path
) -> ImportSummary:
    """Create or update the territories of a CSV (code,name,region_code,epci_sirens).

    Every line is checked first (columns, code, SIRENs with python-stdnum, known
    region and EPCIs, no duplicate code); one bad line and nothing is written.
    """
    rows, errors = _parse(path)
    errors += await _check_references(session, rows)
    if errors:
        raise TerritoryImportFailed(sorted(errors, key=lambda e: e.line))
    created = updated = unchanged = 0
    for row in rows:
        territory = await repository.get_by_code(session, row.code)
        if territory is None:
            territory = Territory(
                id=uuid.uuid4(),
                code=row.code,
                name=row.name,
                region_code=row.region_code,
                epcis=[TerritoryEpci(epci_siren=s) for s in row.epci_sirens],
                contacts=[],
            )
            session.add(territory)
            created += 1
            action = "territory.imported"
        elif (
            territory.name,
            territory.region_code,
            tuple(sorted(territory.epci_sirens)),
        ) == (row.name, row.region_code, tuple(sorted(row.epci_sirens))):
            unchanged += 1
            continue
        else:
            territory.name, territory.region_code = row.name, row.region_code
            territory.epcis = [TerritoryEpci(epci_siren=s) for s in row.epci_sirens]
            updated += 1
            action = "territory.reimported"
        await session.flush()
        await audit_service.record(
            session,
            principal,
            action=action,
            subject_type="territory",
            subject_id=territory.id,
            changes={
                "code": row.code,
                "name": row.name,
                "epci_sirens": list(row.epci_sirens),
            },
            reason=f"import of {path.name}",
        )
    return ImportSummary(created=created, updated=updated, unchanged=unchanged)


def _parse(path: Path) -> tuple[list[_Row], list[LineError]]:
    rows: list[_Row] = []
    errors: list[LineError] = []
    seen: dict[str, int] = {}
    try:
        lines = list(read_rows(path))
    except (OSError, UnicodeDecodeError) as exc:
        return [], [LineError(0, f"cannot read the file: {exc}")]
    if not lines:
        return [], [LineError(1, "the file has no data lines")]
    missing = [c for c in REQUIRED_COLUMNS if c not in lines[0][1]]
    if missing:
        return [], [LineError(1, f"missing column(s): {', '.join(missing)}")]
    for line, raw in lines:
        code = raw["code"]
        problems = _code_and_name_problems(code, raw["name"], seen)
        sirens = []
        for token in raw["epci_sirens"].split():
            try:
                sirens.append(str(stdnum_siren.validate(token)))
            except StdnumError as exc:
                problems.append(f"invalid SIREN {token!r}: {exc}")
        if not raw["epci_sirens"].split():
            problems.append("epci_sirens is empty")
        if problems:
            errors.extend(LineError(line, p) for p in problems)
            continue
        seen[code] = line
        rows.append(
            _Row(
                line,
                code,
                raw["name"],
                raw["region_code"],
                tuple(dict.fromkeys(sirens)),
            )
        )
    return rows, errors


def _code_and_name_problems(code: str, name: str, seen: dict[str, int]) -> list[str]:
    problems = []
    if not _SLUG.match(code):
        problems.append(f"code {code!r} is not a lower-case slug")
    elif len(code) > _CODE_MAX_LENGTH:
        problems.append(f"code is longer than {_CODE_MAX_LENGTH} characters")
    elif code in seen:
        problems.append(f"code {code!r} already on line {seen[code]}")
    if not name:
        problems.append("name is empty")
    elif len(name) > _NAME_MAX_LENGTH:
        problems.append(f"name is longer than {_NAME_MAX_LENGTH} characters")
    return problems


async def _check_references(session: AsyncSession, rows: list[_Row]) -> list[LineError]:
    regions = set(await session.scalars(select(Region.code)))
    wanted = {s for row in rows for s in row.epci_sirens}
    epcis = set(await session.scalars(select(Epci.siren).where(Epci.siren.in_(wanted))))
    errors = []
    for row in rows:
        if row.region_code not in regions:
            errors.append(LineError(row.line, f"unknown region code {row.region_code!r}"))
        errors.extend(
            LineError(row.line, f"unknown EPCI SIREN {s}")
            for s in row.epci_sirens
            if s not in epcis
        )
    return errors
