"""CSV import of zonings: every line valid, or nothing imported.

Columns: `kind,commune_insee,code,valid_from,valid_to,vintage,source,scope` and an optional
`member` (yes/no, default yes). The lines of one kind in one vintage form a list that is
complete for its `scope`: `france` (every commune), `departments` (the departments of its
communes) or `communes` (its communes only; `member=no` states that a commune is outside).
Importing a vintage again replaces what it said about its kinds (unchanged ones are kept).
"""

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.geography.models import Commune
from shared.principal import Principal
from shared.reference.files import read_rows
from shared.territories.importer import ImportFailed, LineError
from shared.zonings import facts, repository
from shared.zonings.kinds import ZoningKind
from shared.zonings.models import CoverageScope, ZoningCoverage, ZoningMembership

REQUIRED_COLUMNS = (
    "kind",
    "commune_insee",
    "code",
    "valid_from",
    "valid_to",
    "vintage",
    "source",
    "scope",
)
E = TypeVar("E", bound=StrEnum)
_VINTAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CODE_MAX_LENGTH = 32
_MEMBER = {"yes": True, "true": True, "1": True, "": True, "no": False, "false": False, "0": False}
_ARRONDISSEMENTS = (
    (re.compile(r"^751(0[1-9]|1[0-9]|20)$"), "75056"),
    (re.compile(r"^6938[1-9]$"), "69123"),
    (re.compile(r"^132(0[1-9]|1[0-6])$"), "13055"),
)


class ZoningImportFailed(ImportFailed):
    """The zonings file has invalid lines; nothing was imported."""

    type_slug = "zoning-import-failed"


@dataclass(frozen=True)
class _Row:
    line: int
    kind: ZoningKind
    commune_insee: str
    code: str
    valid_from: date
    valid_to: date | None
    vintage: str
    source: str
    scope: CoverageScope
    member: bool


@dataclass(frozen=True)
class ZoningImportSummary:
    """What the import did, per (kind, vintage) list, and the membership rows it holds."""

    created: int
    replaced: int
    unchanged: int
    memberships: int


def parent_commune(code: str) -> str:
    """The commune of a Paris, Lyon or Marseille arrondissement code; other codes as given."""
    for pattern, parent in _ARRONDISSEMENTS:
        if pattern.match(code):
            return parent
    return code


async def import_zonings(
    session: AsyncSession, principal: Principal, path: Path
) -> ZoningImportSummary:
    """Check every line (columns, kind, dates, known commune, one scope per list, no
    duplicate), then replace each (kind, vintage) list of the file; one bad line and
    nothing is written.
    """
    rows, errors = _parse(path)
    errors += await _check_communes(session, rows)
    if errors:
        raise ZoningImportFailed(sorted(errors, key=lambda e: e.line))
    communes = await _departments(session, {row.commune_insee for row in rows})
    created = replaced = unchanged = 0
    for (kind, vintage), group in _groups(rows).items():
        coverage = _coverage(kind, vintage, group, communes)
        members = [
            ZoningMembership(
                id=uuid.uuid4(),
                kind=kind,
                code=row.code,
                commune_insee=row.commune_insee,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
                vintage=vintage,
                source=row.source,
            )
            for row in group
            if row.member
        ]
        stored = await repository.vintage_signature(session, kind, vintage)
        if stored == _signature(coverage, members):
            unchanged += 1
            continue
        await repository.replace_vintage(session, kind, vintage, coverage, members)
        if stored is None:
            created += 1
        else:
            replaced += 1
        await audit_service.record(
            session,
            principal,
            action="zonings.imported" if stored is None else "zonings.reimported",
            subject_type="zoning_coverage",
            subject_id=coverage.id,
            changes={
                "kind": kind.value,
                "vintage": vintage,
                "scope": coverage.scope.value,
                "memberships": len(members),
            },
            reason=f"import of {path.name}",
        )
    if created or replaced:
        await facts.refresh(session, None)  # every submission's zonings, read again
    return ZoningImportSummary(created, replaced, unchanged, sum(1 for row in rows if row.member))


def _groups(rows: Iterable[_Row]) -> dict[tuple[ZoningKind, str], list[_Row]]:
    groups: dict[tuple[ZoningKind, str], list[_Row]] = {}
    for row in rows:
        groups.setdefault((row.kind, row.vintage), []).append(row)
    return groups


def _coverage(
    kind: ZoningKind, vintage: str, group: list[_Row], departments: dict[str, str]
) -> ZoningCoverage:
    scope = group[0].scope
    if scope is CoverageScope.DEPARTMENTS:
        codes = sorted({departments[row.commune_insee] for row in group})
    elif scope is CoverageScope.COMMUNES:
        codes = sorted({row.commune_insee for row in group})
    else:
        codes = []
    ends = [row.valid_to for row in group]
    return ZoningCoverage(
        id=uuid.uuid4(),
        kind=kind,
        vintage=vintage,
        scope=scope,
        scope_codes=codes,
        valid_from=min(row.valid_from for row in group),
        valid_to=None if None in ends else max(end for end in ends if end is not None),
        source=group[0].source,
    )


def _signature(coverage: ZoningCoverage, members: list[ZoningMembership]) -> repository.Signature:
    head = (
        coverage.scope,
        tuple(coverage.scope_codes),
        coverage.valid_from,
        coverage.valid_to,
        coverage.source,
    )
    body = sorted((m.commune_insee, m.code, m.valid_from, m.valid_to, m.source) for m in members)
    return head, body


def _parse(path: Path) -> tuple[list[_Row], list[LineError]]:
    try:
        lines = list(read_rows(path))
    except (OSError, UnicodeDecodeError) as exc:
        return [], [LineError(0, f"cannot read the file: {exc}")]
    if not lines:
        return [], [LineError(1, "the file has no data lines")]
    missing = [c for c in REQUIRED_COLUMNS if c not in lines[0][1]]
    if missing:
        return [], [LineError(1, f"missing column(s): {', '.join(missing)}")]
    rows: list[_Row] = []
    errors: list[LineError] = []
    seen: dict[tuple[object, ...], int] = {}
    scopes: dict[tuple[ZoningKind, str], tuple[CoverageScope, int]] = {}
    for line, raw in lines:
        row, problems = _row(line, raw)
        if row is not None:
            problems += _consistency(row, seen, scopes)
        if problems:
            errors.extend(LineError(line, p) for p in problems)
        elif row is not None:
            rows.append(row)
    return rows, errors


def _row(line: int, raw: dict[str, str]) -> tuple[_Row | None, list[str]]:
    problems: list[str] = []
    kind = _enum(ZoningKind, raw["kind"].upper(), "kind", problems)
    scope = _enum(CoverageScope, raw["scope"].lower(), "scope", problems)
    valid_from = _date(raw["valid_from"], "valid_from", problems, required=True)
    valid_to = _date(raw["valid_to"], "valid_to", problems, required=False)
    if valid_from and valid_to and valid_to <= valid_from:
        problems.append("valid_to must be after valid_from")
    if not _VINTAGE.match(raw["vintage"]):
        problems.append(f"vintage {raw['vintage']!r} is not a label of 1–64 letters, digits, ._-")
    if not raw["source"]:
        problems.append("source is empty")
    if len(raw["code"]) > _CODE_MAX_LENGTH:
        problems.append(f"code is longer than {_CODE_MAX_LENGTH} characters")
    member = _MEMBER.get(raw.get("member", "").lower())
    if member is None:
        problems.append(f"member {raw['member']!r} is not yes or no")
    elif not member and scope is not None and scope is not CoverageScope.COMMUNES:
        problems.append("member=no only makes sense with scope communes")
    if not raw["commune_insee"]:
        problems.append("commune_insee is empty")
    if problems or kind is None or scope is None or valid_from is None or member is None:
        return None, problems
    return (
        _Row(
            line,
            kind,
            parent_commune(raw["commune_insee"]),
            raw["code"],
            valid_from,
            valid_to,
            raw["vintage"],
            raw["source"],
            scope,
            member,
        ),
        [],
    )


def _consistency(
    row: _Row,
    seen: dict[tuple[object, ...], int],
    scopes: dict[tuple[ZoningKind, str], tuple[CoverageScope, int]],
) -> list[str]:
    problems = []
    key = (row.kind, row.vintage, row.commune_insee, row.code, row.valid_from)
    if key in seen:
        problems.append(
            f"{row.kind.value} {row.code or ''} of {row.commune_insee} from {row.valid_from} "
            f"already on line {seen[key]}".replace("  ", " ")
        )
    else:
        seen[key] = row.line
    scope, first = scopes.setdefault((row.kind, row.vintage), (row.scope, row.line))
    if scope is not row.scope:
        problems.append(
            f"scope {row.scope.value} differs from {scope.value} on line {first} "
            f"for {row.kind.value} {row.vintage}"
        )
    return problems


def _enum(enum: type[E], value: str, name: str, problems: list[str]) -> E | None:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        problems.append(f"{name} {value!r} is not one of {allowed}")
        return None


def _date(value: str, name: str, problems: list[str], *, required: bool) -> date | None:
    if not value:
        if required:
            problems.append(f"{name} is empty")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"{name} {value!r} is not a date (YYYY-MM-DD)")
        return None


async def _check_communes(session: AsyncSession, rows: list[_Row]) -> list[LineError]:
    known = set(await _departments(session, {row.commune_insee for row in rows}))
    return [
        LineError(row.line, f"unknown commune INSEE code {row.commune_insee}")
        for row in rows
        if row.commune_insee not in known
    ]


async def _departments(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    result = await session.execute(
        select(Commune.insee_code, Commune.department_code).where(Commune.insee_code.in_(codes))
    )
    return dict(result.all())
