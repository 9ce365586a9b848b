"""Zoning import (all or nothing, idempotent) and the zonings of a site at a date."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.principal import SYSTEM
from shared.seeding.service import seed_demo_zonings
from shared.zonings.importer import ZoningImportFailed, import_zonings
from shared.zonings.kinds import ZoningKind
from shared.zonings.models import CoverageScope, ZoningCoverage, ZoningMembership
from shared.zonings.service import SiteZonings, site_zonings
from tests.fixtures.builders import MakeTerritory

MAUBEUGE, MAUBEUGE_EPCI = "59392", "200043396"
PONTIVY = "56178"
LORIENT = "56121"
VANNES = "56260"  # Morbihan, like Lorient
BREST = "29019"  # Finistère
POINTE_A_PITRE = "97120"
HEADER = "kind,commune_insee,code,valid_from,valid_to,vintage,source,scope,member\n"
AT = date(2026, 3, 2)


def answer(zonings: SiteZonings, kind: ZoningKind) -> bool | None:
    """True: the site is in the kind; False: known not to be; None: unknown."""
    return None if kind in zonings.unknown else kind in zonings.member_of


def csv_file(tmp_path: Path, *lines: str, name: str = "zonings.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


async def count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


class TestImport:
    async def test_demo_set_imports_then_is_unchanged(
        self, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        async with sessionmaker() as session:
            first = await seed_demo_zonings(session)
            await session.commit()
        async with sessionmaker() as session:
            second = await seed_demo_zonings(session)
            await session.commit()
            memberships = await count(session, ZoningMembership)
            coverages = await count(session, ZoningCoverage)

        # The summaries are the demo file's (six lists); the AFR zone a list comes first.
        assert (first.created, first.replaced, first.unchanged) == (6, 0, 0)
        assert (second.created, second.replaced, second.unchanged) == (0, 0, 6)
        assert first.memberships == second.memberships == 14
        assert memberships == 129 + 14
        assert coverages == 7

    async def test_every_bad_line_is_named_and_nothing_imported(
        self, session: AsyncSession, tmp_path: Path
    ) -> None:
        path = csv_file(
            tmp_path,
            f"QPV,{LORIENT},QN05601M,2024-01-01,,qpv-2024,décret 2023-1314,france,yes",
            f"ZRR,{LORIENT},,2024-01-01,,qpv-2024,décret,france,yes",
            "QPV,99999,,2024-01-01,,qpv-2024,décret,france,yes",
            f"QPV,{PONTIVY},,2024-13-01,,qpv-2024,décret,france,yes",
            f"QPV,{PONTIVY},,2024-01-01,2023-01-01,qpv-2024,décret,france,yes",
            f"QPV,{LORIENT},QN05601M,2024-01-01,,qpv-2024,décret,france,yes",
            f"QPV,{BREST},,2024-01-01,,qpv-2024,décret,departments,yes",
            f"FRR,{BREST},,2024-07-01,,frr-2024,arrêté,france,no",
        )

        with pytest.raises(ZoningImportFailed) as failure:
            await import_zonings(session, SYSTEM, path)

        assert [str(e) for e in failure.value.errors] == [
            "line 3: kind 'ZRR' is not one of TI, QPV, FRR, FRR_PLUS, AFR_A, AFR_C, ACV, PVD",
            "line 4: unknown commune INSEE code 99999",
            "line 5: valid_from '2024-13-01' is not a date (YYYY-MM-DD)",
            "line 6: valid_to must be after valid_from",
            f"line 7: QPV QN05601M of {LORIENT} from 2024-01-01 already on line 2",
            "line 8: scope departments differs from france on line 2 for QPV qpv-2024",
            "line 9: member=no only makes sense with scope communes",
        ]
        lines = sorted(e.line for e in failure.value.errors)
        assert lines == [3, 4, 5, 6, 7, 8, 9]
        assert await count(session, ZoningMembership) == 0
        assert await count(session, ZoningCoverage) == 0

    async def test_reimporting_a_vintage_replaces_its_list(
        self, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
    ) -> None:
        async with sessionmaker() as session:
            await import_zonings(
                session,
                SYSTEM,
                csv_file(tmp_path, f"QPV,{LORIENT},,2024-01-01,,qpv-2024,décret,france,yes"),
            )
            await session.commit()
        async with sessionmaker() as session:
            summary = await import_zonings(
                session,
                SYSTEM,
                csv_file(tmp_path, f"QPV,{VANNES},,2024-01-01,,qpv-2024,décret,france,yes"),
            )
            await session.commit()
            communes = list(await session.scalars(select(ZoningMembership.commune_insee)))

        assert (summary.created, summary.replaced, summary.unchanged) == (0, 1, 0)
        assert communes == [VANNES]

    async def test_arrondissements_are_stored_under_their_commune(
        self, session: AsyncSession, tmp_path: Path
    ) -> None:
        path = csv_file(tmp_path, "QPV,75119,QN07519A,2024-01-01,,qpv-2024,décret,france,yes")

        await import_zonings(session, SYSTEM, path)

        assert list(await session.scalars(select(ZoningMembership.commune_insee))) == ["75056"]


class TestSiteZonings:
    async def test_demo_commune_has_every_kind_known_with_vintages(
        self, session: AsyncSession, make_territory: MakeTerritory
    ) -> None:
        await make_territory("ti-maubeuge", region_code="32", epci_sirens=[MAUBEUGE_EPCI])
        await seed_demo_zonings(session)

        facts = await site_zonings(session, MAUBEUGE, AT)

        assert facts is not None
        assert facts.unknown == ()
        assert facts.member_of == ("TI", "QPV", "AFR_C", "ACV")
        assert facts.vintage == (
            "TI territoires; QPV demo-2026; FRR demo-2026; FRR_PLUS demo-2026; "
            "AFR_A afr-zone-a-2022-2027; AFR_C demo-2026; ACV demo-2026; PVD demo-2026"
        )

    async def test_a_kind_the_data_does_not_cover_stays_unknown(
        self, session: AsyncSession
    ) -> None:
        await seed_demo_zonings(session)

        facts = await site_zonings(session, PONTIVY, AT)

        assert facts is not None
        assert facts.member_of == ()  # no territory; zone a covers France
        assert facts.unknown == ("QPV", "FRR", "FRR_PLUS", "AFR_C", "ACV", "PVD")
        overseas = await site_zonings(session, POINTE_A_PITRE, AT)
        assert overseas is not None
        assert answer(overseas, ZoningKind.AFR_A) is True

    async def test_coverage_and_memberships_hold_only_over_their_period(
        self, session: AsyncSession
    ) -> None:
        await seed_demo_zonings(session)

        before = await site_zonings(session, POINTE_A_PITRE, date(2021, 12, 31))
        after = await site_zonings(session, POINTE_A_PITRE, date(2028, 1, 1))

        assert before is not None
        assert after is not None
        assert ZoningKind.AFR_A in before.unknown
        assert ZoningKind.AFR_A in after.unknown

    async def test_a_departments_scope_covers_the_other_communes_of_those_departments(
        self, session: AsyncSession, tmp_path: Path
    ) -> None:
        path = csv_file(tmp_path, f"QPV,{LORIENT},,2024-01-01,,qpv-2024,décret,departments,yes")
        await import_zonings(session, SYSTEM, path)

        lorient = await site_zonings(session, LORIENT, AT)
        vannes = await site_zonings(session, VANNES, AT)
        brest = await site_zonings(session, BREST, AT)

        assert lorient is not None
        assert vannes is not None
        assert brest is not None
        qpv = [answer(facts, ZoningKind.QPV) for facts in (lorient, vannes, brest)]
        assert qpv == [True, False, None]
        stored = await session.scalar(select(ZoningCoverage))
        assert stored is not None
        assert (stored.scope, stored.scope_codes) == (CoverageScope.DEPARTMENTS, ["56"])

    async def test_ti_rows_or_territories_make_ti_membership(
        self, session: AsyncSession, tmp_path: Path
    ) -> None:
        path = csv_file(tmp_path, f"TI,{PONTIVY},ti-5601,2023-01-01,,anct-2024,ANCT,france,yes")
        await import_zonings(session, SYSTEM, path)

        facts = await site_zonings(session, PONTIVY, AT)

        assert facts is not None
        assert facts.member_of == (ZoningKind.TI,)
        assert facts.vintage == "TI anct-2024"

    async def test_no_commune_no_zonings(self, session: AsyncSession) -> None:
        assert await site_zonings(session, None, AT) is None
        assert await site_zonings(session, "99999", AT) is None
