"""Domain helpers and the indicative state-aid ceiling."""

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.fr import siret as stdnum_siret

from shared.eligibility.rules import AidRegime, indicative_aid_ceiling
from shared.eligibility.rules.explain import format_cents, format_number, format_value
from shared.eligibility.rules.functions import (
    months_between,
    naf_section,
    valid_commune,
    valid_siret,
)
from shared.eligibility.rules.operators import bounded
from shared.eligibility.rules.values import Unknown, merge_unknown


class TestMonthsBetween:
    @pytest.mark.parametrize(
        ("start", "end", "months"),
        [
            (date(2027, 3, 1), date(2029, 3, 1), 24),
            (date(2026, 1, 31), date(2026, 2, 28), 1),
            (date(2024, 1, 31), date(2024, 2, 29), 1),
            (date(2026, 3, 2), date(2026, 3, 2), 0),
            (date(2026, 3, 2), date(2026, 3, 17), 15 / 31),
            (date(2026, 7, 1), date(2026, 3, 1), -4),
        ],
    )
    def test_calendar_months(self, start: date, end: date, months: float) -> None:
        assert months_between(start, end) == pytest.approx(months)

    def test_datetimes_count_by_their_date(self) -> None:
        submitted = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
        assert months_between(submitted, date(2027, 3, 2)) == 12

    @settings(max_examples=300, deadline=None)
    @given(
        st.dates(date(2000, 1, 1), date(2100, 1, 1)), st.dates(date(2000, 1, 1), date(2100, 1, 1))
    )
    def test_monotonic_and_antisymmetric(self, a: date, b: date) -> None:
        assert months_between(a, b) == -months_between(b, a)
        assert (months_between(a, b) >= 0) == (b >= a)
        assert abs(months_between(a, b) * 30.44 - (b - a).days) <= 31


def test_naf_sections() -> None:
    assert naf_section("01.11Z") == "A"
    assert naf_section("24.51Z") == "C"
    assert naf_section("2562B") == "C"
    assert naf_section("35.11Z") == "D"
    assert naf_section("38.21Z") == "E"
    assert naf_section("64.19Z") == "K"
    assert naf_section("04.00Z") is None


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(alphabet="0123456789", min_size=14, max_size=14),
        st.text(alphabet="0123456789", min_size=5, max_size=5).map(lambda s: "356000000" + s),
        st.text(alphabet="0123456789 .a", max_size=18),
    )
)
def test_siret_check_agrees_with_python_stdnum(value: str) -> None:
    assert valid_siret(value) == stdnum_siret.is_valid(value)


def test_communes_of_france() -> None:
    assert all(valid_commune(code) for code in ("56121", "01001", "2A004", "2B033", "97101"))
    assert not any(valid_commune(code) for code in ("20001", "99123", "98735", "5612", "ABCDE"))


def test_french_formatting() -> None:
    assert format_cents(20_000_000) == "200 000 €"
    assert format_cents(123_456) == "1 234,56 €"
    assert format_number(0.25) == "0,25"
    assert format_value("project.planned_start", date(2026, 7, 1)) == "01/07/2026"
    assert format_value("x", [True, None]) == "oui, non renseigné"
    assert format_value("x", []) == "aucun"
    assert format_value("holder.kind", "employers_group") == "groupement d'employeurs"


class TestAidCeiling:
    def ceiling(self, **changes: Any) -> Any:
        inputs: dict[str, Any] = {
            "base_cents": 100_000_000,
            "prior_deminimis_cents": 0,
            "eu_size": "medium",
            "nature": "extension",
            "region_code": "53",
            "zonings": (),
            **changes,
        }
        return indicative_aid_ceiling(**inputs)

    def test_de_minimis_is_the_cap_minus_prior_aid(self) -> None:
        result = self.ceiling(eu_size="large", prior_deminimis_cents=10_000_000)
        assert (result.regime, result.amount_cents) == (AidRegime.DE_MINIMIS, 20_000_000)
        assert self.ceiling(eu_size="large", prior_deminimis_cents=40_000_000).amount_cents == 0

    @pytest.mark.parametrize(("size", "percent"), [("small", 20), ("medium", 10)])
    def test_sme_investment_aid(self, size: str, percent: int) -> None:
        result = self.ceiling(eu_size=size, base_cents=1_000_000_000)
        assert result.regime == AidRegime.GBER_ART17_SME
        assert result.amount_cents == 1_000_000_000 * percent // 100

    @pytest.mark.parametrize(
        ("size", "nature", "percent"),
        [("small", "extension", 35), ("medium", "extension", 25), ("large", "creation", 15)],
    )
    def test_regional_aid_in_zone_c(self, size: str, nature: str, percent: int) -> None:
        result = self.ceiling(
            eu_size=size, nature=nature, zonings=("AFR_C",), base_cents=1_000_000_000
        )
        assert result.regime == AidRegime.GBER_ART14_AFR_C
        assert result.amount_cents == 1_000_000_000 * percent // 100

    def test_large_firms_in_zone_c_only_for_a_new_activity(self) -> None:
        result = self.ceiling(eu_size="large", zonings=("AFR_C",), base_cents=1_000_000_000)
        assert result.regime == AidRegime.DE_MINIMIS

    def test_zone_a_rates_by_region(self) -> None:
        guyane = self.ceiling(eu_size="small", zonings=("AFR_A",), region_code="03")
        assert (guyane.regime, guyane.amount_cents) == (AidRegime.GBER_ART14_AFR_A, 90_000_000)
        martinique = self.ceiling(eu_size="large", zonings=("AFR_A",), region_code="02")
        assert martinique.amount_cents == 40_000_000

    def test_no_sme_bonus_above_50_million_euros(self) -> None:
        result = self.ceiling(eu_size="small", zonings=("AFR_C",), base_cents=6_000_000_000)
        assert result.amount_cents == 6_000_000_000 * 20 // 100

    def test_missing_inputs_are_named_only_when_they_matter(self) -> None:
        assert self.ceiling(eu_size=None).missing == ("eu_size",)
        assert self.ceiling(eu_size="large", base_cents=None).missing == ()
        assert self.ceiling(eu_size="large", zonings=("AFR_C",), nature=None).missing == ("nature",)
        assert self.ceiling(zonings=None, region_code=None).missing == ("zonings", "region_code")

    @settings(max_examples=300, deadline=None)
    @given(
        st.fixed_dictionaries(
            {
                "base_cents": st.none() | st.integers(0, 10**10),
                "prior_deminimis_cents": st.none() | st.integers(0, 4 * 10**7),
                "eu_size": st.none() | st.sampled_from(["small", "medium", "large"]),
                "nature": st.none() | st.sampled_from(["creation", "extension"]),
                "region_code": st.none() | st.sampled_from(["01", "03", "53", "11"]),
                "zonings": st.none() | st.lists(st.sampled_from(["AFR_A", "AFR_C", "TI"])),
            }
        ),
        st.data(),
    )
    def test_filling_the_missing_inputs_always_gives_an_amount(
        self, inputs: dict[str, Any], data: st.DataObject
    ) -> None:
        first = indicative_aid_ceiling(**inputs)
        assert (first.amount_cents is None) == bool(first.missing)
        assert all(inputs[name] is None for name in first.missing)
        filled = {
            "base_cents": st.integers(0, 10**10),
            "prior_deminimis_cents": st.integers(0, 4 * 10**7),
            "eu_size": st.sampled_from(["small", "medium", "large"]),
            "nature": st.sampled_from(["creation", "extension"]),
            "region_code": st.sampled_from(["01", "03", "53"]),
            "zonings": st.lists(st.sampled_from(["AFR_A", "AFR_C", "TI"])),
        }
        for name in first.missing:
            inputs[name] = data.draw(filled[name])
        second = indicative_aid_ceiling(**inputs)
        assert second.missing == ()
        assert second.amount_cents == max(c.amount_cents for c in second.candidates)


class TestLowerBounds:
    """An unknown value known to be at least some number decides only the comparisons that
    bound settles; every other operation forgets it."""

    def test_a_bound_decides_what_it_settles_and_nothing_else(self) -> None:
        ceiling = Unknown(frozenset({"zonings.AFR_C"}), at_least=100)
        assert bounded("lte", 100, ceiling) is True
        assert bounded("lt", 100, ceiling) is None
        assert bounded("lte", 101, ceiling) is None
        assert bounded("gte", ceiling, 99) is True
        assert bounded("gt", ceiling, 100) is None
        assert bounded("lte", ceiling, 100) is None  # a lower bound says nothing of "≤ 100"
        assert bounded("eq", 100, ceiling) is None

    def test_any_other_operation_forgets_the_bound(self) -> None:
        ceiling = Unknown(frozenset({"zonings.AFR_C"}), at_least=100)
        merged = merge_unknown(ceiling)
        assert (merged.missing, merged.at_least) == (ceiling.missing, None)
        both = merge_unknown(ceiling, Unknown(frozenset({"holder.eu_size"})))
        assert both.at_least is None
