"""Version 2 of the shipped rulesets: the criteria read closer to their sources, at their
boundaries, each citing documents of the catalogue of sources."""

from typing import Any

import pytest
from pydantic import ValidationError

from shared.eligibility.documents import ruleset_faults
from shared.eligibility.rules import CriterionStatus, Ruleset, evaluate_ruleset
from shared.eligibility.rules.rulesets import SHIPPED_RULESETS, shipped_ruleset
from shared.eligibility.sources import SOURCES
from shared.zonings.kinds import FRAGILE_EXTENSION_ZONINGS, FRAGILE_ZONINGS, ZoningKind
from tests.eligibility.contexts import ACCELERATION, ECOLE, FONDS_VERT, FRICHES, context

ACCELERATION_V1 = shipped_ruleset("fonds-acceleration", 1)
ACCELERATION_V2 = shipped_ruleset("fonds-acceleration", 2)
FRAGILE_SCORES = [
    ("fonds-acceleration", ACCELERATION, "S02_fragile_territory"),
    ("fonds-friches", FRICHES, "FS1_fragile_territory"),
    ("ecoles-de-production", ECOLE, "ES2_fragile_territory"),
    ("fonds-vert-ti", FONDS_VERT, "VS5_fragile_territory"),
]
FIXED = [
    ("fonds-acceleration", "G03_excluded_legal_forms"),
    ("fonds-acceleration", "G04_excluded_sectors"),
    *[(fund, criterion) for fund, _, criterion in FRAGILE_SCORES],
]


def status(ruleset: Ruleset, criterion_id: str, changes: dict[str, Any]) -> CriterionStatus:
    outcome = evaluate_ruleset(ruleset, context(ACCELERATION, changes))
    return outcome.result(criterion_id).status


def test_version_2_is_each_fund_s_current_ruleset() -> None:
    for fund, _, _ in FRAGILE_SCORES:
        assert shipped_ruleset(fund).version == 2
        assert shipped_ruleset(fund, 1).version == 1


class TestLegalForms:
    @pytest.mark.parametrize(
        ("code", "excluded"),
        [
            ("6540", True),  # société civile immobilière
            ("6541", True),  # SCI de construction-vente
            ("6544", True),  # SCI d'accession progressive à la propriété
            ("1000", True),  # entrepreneur individuel: « affaire en nom personnel »
            ("6599", False),  # other société civile
            ("5710", False),  # SAS
            ("6530", False),
        ],
    )
    def test_every_sci_and_the_sole_proprietorship_are_excluded(
        self, code: str, excluded: bool
    ) -> None:
        expected = CriterionStatus.FAIL if excluded else CriterionStatus.PASS
        changes = {"holder.legal_form_code": code}
        assert status(ACCELERATION_V2, "G03_excluded_legal_forms", changes) == expected

    def test_version_1_keeps_its_published_reading(self) -> None:
        changes = {"holder.legal_form_code": "6544"}
        assert status(ACCELERATION_V1, "G03_excluded_legal_forms", changes) == (
            CriterionStatus.PASS
        )

    def test_the_explanation_names_the_excluded_prefixes(self) -> None:
        outcome = evaluate_ruleset(
            ACCELERATION_V2, context(ACCELERATION, {"holder.legal_form_code": "6542"})
        )
        assert outcome.result("G03_excluded_legal_forms").explanation == (
            "Non satisfait. Catégorie juridique 6542 ; catégories exclues (par préfixe) : "
            "654, 1000."
        )


class TestSectors:
    @pytest.mark.parametrize(
        ("naf", "excluded"),
        [
            ("64.19Z", True),  # credit institutions
            ("64.20Z", True),  # holding companies
            ("03.11Z", True),  # marine fishing
            ("03.22Z", True),  # freshwater aquaculture
            ("01.11Z", True),  # growing of cereals
            ("01.50Z", True),  # mixed farming
            ("01.70Z", True),  # hunting
            ("65.11Z", False),  # life insurance: not named by the source
            ("66.12Z", False),  # security and commodity brokerage: not named
            ("01.61Z", False),  # support activities to crop production: not primary
            ("10.11Z", False),  # meat processing: industry
            ("02.10Z", False),  # forestry: not named
        ],
    )
    def test_the_activities_the_source_names_are_excluded(self, naf: str, excluded: bool) -> None:
        expected = CriterionStatus.FAIL if excluded else CriterionStatus.PASS
        assert status(ACCELERATION_V2, "G04_excluded_sectors", {"site.naf_code": naf}) == expected

    @pytest.mark.parametrize("naf", ["65.11Z", "66.12Z", "01.61Z"])
    def test_version_1_keeps_its_published_reading(self, naf: str) -> None:
        changes = {"site.naf_code": naf}
        assert status(ACCELERATION_V1, "G04_excluded_sectors", changes) == CriterionStatus.FAIL

    def test_the_prefixes_are_written_as_the_codes_the_api_accepts(self) -> None:
        prefixes = ACCELERATION_V2.params["excluded_naf_prefixes"]
        assert isinstance(prefixes, tuple)
        for prefix in prefixes:
            assert isinstance(prefix, str)
            assert len(prefix) in {2, 4}
            assert prefix[:2].isdigit()
            assert len(prefix) == 2 or prefix[2] == "."

    def test_the_reading_of_the_source_is_written_down(self) -> None:
        note = ACCELERATION_V2.criterion("G04_excluded_sectors").source_note
        for named in ("64", "03", "01.6", "65", "66"):
            assert named in note


class TestFragileTerritories:
    def test_the_programme_definition_leaves_afr_and_pvd_out(self) -> None:
        assert set(FRAGILE_ZONINGS) == {
            ZoningKind.FRR,
            ZoningKind.FRR_PLUS,
            ZoningKind.QPV,
            ZoningKind.ACV,
        }
        assert set(FRAGILE_EXTENSION_ZONINGS) == {ZoningKind.PVD}

    @pytest.mark.parametrize(("fund", "base", "criterion_id"), FRAGILE_SCORES)
    @pytest.mark.parametrize(
        ("kinds", "full"),
        [
            (["TI", "AFR_C"], False),
            (["TI", "AFR_A"], False),
            (["TI", "PVD"], False),
            (["TI"], False),
            (["TI", "ACV"], True),
            (["TI", "QPV"], True),
            (["TI", "FRR"], True),
            (["TI", "FRR_PLUS"], True),
        ],
    )
    def test_only_the_programme_s_fragile_zonings_score(
        self, fund: str, base: dict[str, Any], criterion_id: str, kinds: list[str], full: bool
    ) -> None:
        outcome = evaluate_ruleset(shipped_ruleset(fund), context(base, {"zonings": kinds}))
        result = outcome.result(criterion_id)
        assert result.points == (result.max_points if full else 0)

    @pytest.mark.parametrize(("fund", "criterion_id"), FIXED[2:])
    def test_the_label_names_the_zonings_that_count(self, fund: str, criterion_id: str) -> None:
        label = shipped_ruleset(fund).criterion(criterion_id).label_fr
        assert "(FRR, FRR+, QPV, ACV)" in label
        assert "AFR" not in label
        assert "PVD" not in label

    @pytest.mark.parametrize(("fund", "base", "criterion_id"), FRAGILE_SCORES)
    def test_version_1_still_counts_an_afr_zone(
        self, fund: str, base: dict[str, Any], criterion_id: str
    ) -> None:
        outcome = evaluate_ruleset(
            shipped_ruleset(fund, 1), context(base, {"zonings": ["TI", "AFR_C"]})
        )
        result = outcome.result(criterion_id)
        assert result.points == result.max_points


class TestSources:
    @pytest.mark.parametrize(("fund", "criterion_id"), FIXED)
    def test_each_fixed_criterion_cites_a_source_with_an_address(
        self, fund: str, criterion_id: str
    ) -> None:
        source = shipped_ruleset(fund).criterion(criterion_id).source
        assert isinstance(source, tuple)
        assert source
        for number in source:
            assert SOURCES[number].urls
            assert all(url.startswith(("https://", "http://")) for url in SOURCES[number].urls)

    def test_the_legal_forms_and_sectors_cite_the_fund_s_own_page(self) -> None:
        for criterion_id in ("G03_excluded_legal_forms", "G04_excluded_sectors"):
            assert ACCELERATION_V2.criterion(criterion_id).source == (9,)
        assert SOURCES[9].issuer == "Aides-territoires"
        assert SOURCES[9].urls[0].startswith("https://aides-territoires.beta.gouv.fr/aides/7fb0-")

    @pytest.mark.parametrize("key", sorted(SHIPPED_RULESETS))
    def test_every_number_cited_by_a_shipped_ruleset_resolves(self, key: tuple[str, int]) -> None:
        for criterion in SHIPPED_RULESETS[key].criteria:
            if isinstance(criterion.source, str):
                assert criterion.source == "assumption", criterion.id
                continue
            for number in criterion.source:
                resolved = SOURCES[number]
                assert resolved.number == number
                assert resolved.title
                assert resolved.issuer
                assert resolved.urls, number

    def test_the_catalogue_holds_the_54_numbered_sources(self) -> None:
        assert sorted(SOURCES) == list(range(1, 55))
        for source in SOURCES.values():
            assert source.date is None or len(source.date) in {4, 7, 10}
        assert SOURCES[1].date == "2021-03-25"
        assert SOURCES[54].date is None

    def test_a_criterion_citing_a_number_out_of_the_catalogue_is_refused(self) -> None:
        document = ACCELERATION_V2.model_dump(mode="json")
        document["criteria"][2]["source"] = [9, 999]
        with pytest.raises(ValidationError, match="source 999 is not in the catalogue"):
            Ruleset.model_validate(document)
        [(where, message, _)] = ruleset_faults(document)
        assert where == ("criteria", 2, "source")
        assert "999" in message

    def test_assumption_is_still_a_source(self) -> None:
        document = ACCELERATION_V2.model_dump(mode="json")
        document["criteria"][2]["source"] = "assumption"
        assert Ruleset.model_validate(document).criteria[2].source == "assumption"
