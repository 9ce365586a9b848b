"""The awards above 23,000 € as SCDL « Subventions » 2.1.1, validated against the official
Table Schema (a copy in `data/`, with its source) by frictionless."""

import csv
import io
import json
from pathlib import Path
from typing import Any

from frictionless import Resource, Schema
from stdnum.fr import siret as stdnum_siret

from shared.exports import scdl
from tests.exports.conftest import HOLDER_SIRET, PUBLISHER_SIRET, Programme
from tests.fixtures.http import assert_problem

SCHEMA_FILE = Path(__file__).parent / "data" / "scdl-subventions-2.1.1.schema.json"


def _schema() -> dict[str, Any]:
    descriptor: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return descriptor


def _validate(content: bytes) -> list[list[Any]]:
    """The errors frictionless finds in `content` against the schema (none: valid)."""
    resource = Resource(content, format="csv", schema=Schema.from_descriptor(_schema()))
    report = resource.validate()
    errors: list[list[Any]] = report.flatten(["rowNumber", "fieldName", "type", "note"])
    return errors


async def _export(programme: Programme, who: str = "admin", **params: Any) -> bytes:
    response = await programme.get(
        who, "subsidies/bpifrance", id_attribuant=PUBLISHER_SIRET, **params
    )
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="tidi-subventions-bpifrance-' in response.headers["content-disposition"]
    return response.content


class TestScdlExport:
    async def test_the_export_is_valid_against_the_official_schema(
        self, programme: Programme
    ) -> None:
        content = await _export(programme)
        assert _validate(content) == []
        rows = list(csv.DictReader(io.StringIO(content.decode())))
        assert len(rows) == 2
        # The schema's `french-siret-value` custom check, which Table Schema cannot state
        # (`one-of-required` fails for a site without a SIRET: see test_fields_map_…).
        for row in rows:
            assert stdnum_siret.is_valid(row["idAttribuant"])
            assert row["idBeneficiaire"] == "" or stdnum_siret.is_valid(row["idBeneficiaire"])

    async def test_the_copied_schema_is_version_2_1_1_with_the_fields_written(self) -> None:
        schema = _schema()
        assert schema["name"] == "subventions"
        assert schema["version"] == scdl.SCHEMA_VERSION == "2.1.1"
        assert tuple(field["name"] for field in schema["fields"]) == scdl.FIELDS

    async def test_only_signed_subsidies_above_23000_euros_in_force(
        self, programme: Programme
    ) -> None:
        rows = list(csv.DictReader(io.StringIO((await _export(programme)).decode())))
        # Not: 23,000 € exactly (kiln), unsigned (pending), a repayable advance (advance),
        # another operator's fund (green), no award (friche).
        assert {row["referenceDecision"] for row in rows} == programme.ids("foundry", "glass")

    async def test_fields_map_the_award_agreement_and_payments(self, programme: Programme) -> None:
        rows = list(csv.DictReader(io.StringIO((await _export(programme)).decode())))
        foundry, glass = rows  # by signature date
        assert foundry == {
            "nomAttribuant": "Bpifrance",
            "idAttribuant": PUBLISHER_SIRET,
            "dateConvention": "2026-02-20",
            "referenceDecision": str(programme.applications["foundry"].id),
            "nomBeneficiaire": "Fonderies de Bretagne",
            "idBeneficiaire": HOLDER_SIRET,
            "rnaBeneficiaire": "",
            "objet": "Fonderie de Pontivy",
            "montant": "50000.00",
            "nature": "aide en numéraire",
            "conditionsVersement": "échelonné",
            "datesPeriodeVersement": "2026-03-05/2026-06-01",
            "idRAE": "",
            "notificationUE": "non",
            "pourcentageSubvention": "1.00",
            "dispositifAide": (
                "Fonds d'accélération des investissements industriels dans les territoires"
            ),
        }
        # No SIRET for the site, de minimis, nothing paid yet: until the planned end.
        assert glass["idBeneficiaire"] == ""
        assert glass["notificationUE"] == "oui"
        assert glass["montant"] == "30000.00"
        assert glass["datesPeriodeVersement"] == "2026-04-20/2027-06-30"

    async def test_one_payment_of_the_whole_award_is_unique(self, programme: Programme) -> None:
        response = await programme.get("admin", "subsidies/ademe", id_attribuant=PUBLISHER_SIRET)
        assert _validate(response.content) == []
        (green,) = csv.DictReader(io.StringIO(response.content.decode()))
        assert green["nomAttribuant"] == "ADEME"
        assert green["conditionsVersement"] == "unique"
        assert green["datesPeriodeVersement"] == "2026-05-02"

    async def test_a_broken_row_is_caught_by_the_validator(self, programme: Programme) -> None:
        content = (await _export(programme)).decode()
        broken = content.replace("50000.00", "50 000,00").replace("2026-02-20", "20/02/2026")
        faults = {(error[1], error[2]) for error in _validate(broken.encode())}
        assert ("dateConvention", "type-error") in faults

    async def test_filters_apply(self, programme: Programme) -> None:
        content = await _export(programme, region="76")
        rows = list(csv.DictReader(io.StringIO(content.decode())))
        assert {row["referenceDecision"] for row in rows} == programme.ids("glass")

    async def test_an_invalid_siret_is_422(self, programme: Programme) -> None:
        response = await programme.get(
            "admin", "subsidies/bpifrance", expect=422, id_attribuant="13000000300001"
        )
        body = assert_problem(response, 422)
        assert "invalid-siret" in json.dumps(body)

    async def test_an_unknown_operator_is_404(self, programme: Programme) -> None:
        response = await programme.get(
            "admin", "subsidies/nobody", expect=404, id_attribuant=PUBLISHER_SIRET
        )
        assert_problem(response, 404)
