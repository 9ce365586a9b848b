"""A ruleset version is served with the documents its criteria cite; a draft citing a
document out of the catalogue is refused."""

from typing import Any

from shared.eligibility.rules.rulesets import shipped_ruleset
from shared.eligibility.sources import SOURCES
from tests.eligibility.ruleset_flows import create_draft
from tests.fixtures.bodies import friches_document
from tests.fixtures.builders import Key
from tests.fixtures.flows import nothing_written
from tests.fixtures.http import assert_problem, error_pointers


def cited(fund_code: str, version: int) -> list[int]:
    ruleset = shipped_ruleset(fund_code, version)
    return sorted({n for c in ruleset.criteria if isinstance(c.source, tuple) for n in c.source})


async def test_a_version_is_read_with_the_sources_it_cites(portal: Any, admin_key: Key) -> None:
    admin = portal(admin_key.secret)

    body = (await admin.call("GET", "/v1/funds/fonds-acceleration/rulesets/2", expect=200)).json()

    assert [s["number"] for s in body["sources"]] == cited("fonds-acceleration", 2)
    [page] = [s for s in body["sources"] if s["number"] == 9]
    assert page == {
        "number": 9,
        "title": SOURCES[9].title,
        "issuer": "Aides-territoires",
        "date": None,
        "urls": list(SOURCES[9].urls),
    }
    [first] = [s for s in body["sources"] if s["number"] == 1]
    assert first["date"] == "2021-03-25"


async def test_a_draft_is_served_with_its_sources_and_assumptions_cite_none(
    portal: Any, admin_key: Key
) -> None:
    document = friches_document()
    for criterion in document["criteria"]:
        criterion["source"] = "assumption"
    document["criteria"][0]["source"] = [33, 32]

    draft, _ = await create_draft(portal(admin_key.secret), document)

    assert [s["number"] for s in draft["sources"]] == [32, 33]
    assert all(s["urls"] for s in draft["sources"])


async def test_a_draft_citing_an_unknown_source_is_422_at_its_pointer(
    portal: Any, admin_key: Key, sessionmaker: Any
) -> None:
    document = friches_document()
    document["criteria"][3]["source"] = [32, 999]

    async with nothing_written(sessionmaker):
        response = await portal(admin_key.secret).call(
            "POST", "/v1/funds/fonds-friches/rulesets", json=document, expect=422
        )

    problem = assert_problem(response, 422)
    assert error_pointers(problem) == {"/body/criteria/3/source": "unknown_source"}
    assert "999" in problem["errors"][0]["detail"]
