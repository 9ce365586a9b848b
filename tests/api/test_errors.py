"""Bad input never yields a 500 and never writes: every refusal is a problem+json document."""

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.main import create_app
from shared.principal import Role
from shared.settings import Settings
from shared.territories.models import Territory
from tests.fixtures.api import auth
from tests.fixtures.builders import ALBI_EPCI, PONTIVY_EPCI, Key, MakeKey, MakeTerritory
from tests.fixtures.http import assert_problem, count_rows, error_pointers

NOT_AN_EPCI = "732829320"  # a valid SIREN (Luhn) of a company, absent from the EPCI list
BAD_LUHN_SIREN = "245614434"
UNKNOWN_ID = "5b0c6f0e-8a52-4a55-9a50-2f4f1d7d3a11"

VALID_TERRITORY = {
    "code": "ti-valid",
    "name": "Valid",
    "region_code": "53",
    "epci_sirens": [PONTIVY_EPCI],
}
VALID_BODIES: dict[str, dict[str, Any]] = {
    "/v1/territories": VALID_TERRITORY,
    "/v1/operators": {"code": "op-valid", "name": "Valid", "kind": "state"},
    "/v1/funds": {"code": "fund-valid", "name": "Valid", "operator_code": "bpifrance"},
    "/v1/api-keys": {"name": "Valid", "role": "observer"},
}
CREATE_PATHS = list(VALID_BODIES)
COLLECTIONS = [
    "/v1/regions",
    "/v1/departments",
    "/v1/epcis",
    "/v1/communes",
    "/v1/territories",
    "/v1/operators",
    "/v1/funds",
    "/v1/api-keys",
    "/v1/audit",
]


def _cursor(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.fixture
async def rows(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Row counts before the test's bad requests."""
    return await count_rows(sessionmaker)


@pytest.fixture
async def territory(make_territory: MakeTerritory) -> Territory:
    return await make_territory("ti-pontivy", name="Pontivy")


async def _unchanged(
    sessionmaker: async_sessionmaker[AsyncSession], before: dict[str, int]
) -> None:
    assert await count_rows(sessionmaker) == before


class TestMalformedJson:
    @pytest.mark.parametrize("path", CREATE_PATHS)
    @pytest.mark.parametrize(
        "raw",
        [b'{"code": ', b"not json", b"{'code': 'x'}", b'{"code": "x",}', b"\xff\xfe{}"],
        ids=["truncated", "bare-words", "single-quotes", "trailing-comma", "not-utf8"],
    )
    async def test_malformed_json_is_400_and_writes_nothing(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: dict[str, int],
        path: str,
        raw: bytes,
    ) -> None:
        response = await client.post(
            path,
            content=raw,
            headers={**auth(admin_key.secret), "Content-Type": "application/json"},
        )
        assert_problem(response, 400)
        await _unchanged(sessionmaker, rows)

    async def test_malformed_json_names_the_problem(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.post(
            "/v1/territories",
            content=b'{"code": ',
            headers={**auth(admin_key.secret), "Content-Type": "application/json"},
        )
        body = assert_problem(response, 400)
        assert body["type"].endswith("/malformed-json")

    async def test_malformed_json_on_an_update_is_400(
        self, client: httpx.AsyncClient, admin_key: Key, territory: Territory
    ) -> None:
        response = await client.patch(
            f"/v1/territories/{territory.id}",
            content=b"{",
            headers={
                **auth(admin_key.secret),
                "Content-Type": "application/json",
                "If-Match": '"1"',
            },
        )
        assert_problem(response, 400)

    @pytest.mark.parametrize(
        "raw",
        [b"[" * 100_000, b'{"code": ' + b"9" * 5_000 + b"}"],
        ids=["deeply-nested", "integer-beyond-parser-limit"],
    )
    async def test_pathological_json_is_400(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: dict[str, int],
        raw: bytes,
    ) -> None:
        response = await client.post(
            "/v1/territories",
            content=raw,
            headers={**auth(admin_key.secret), "Content-Type": "application/json"},
        )
        assert_problem(response, 400)
        await _unchanged(sessionmaker, rows)


class TestValidation:
    async def test_wrong_types_are_422_with_a_pointer_per_field(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: dict[str, int],
    ) -> None:
        response = await client.post(
            "/v1/territories",
            json={"code": 5, "name": ["x"], "region_code": 53, "epci_sirens": [245614433]},
            headers=auth(admin_key.secret),
        )
        pointers = error_pointers(assert_problem(response, 422))
        assert {"/body/code", "/body/name", "/body/region_code", "/body/epci_sirens/0"} <= set(
            pointers
        )
        await _unchanged(sessionmaker, rows)

    async def test_missing_fields_are_422_with_pointers(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.post("/v1/operators", json={}, headers=auth(admin_key.secret))
        pointers = error_pointers(assert_problem(response, 422))
        assert pointers == {
            "/body/code": "missing",
            "/body/name": "missing",
            "/body/kind": "missing",
        }

    @pytest.mark.parametrize("path", CREATE_PATHS)
    async def test_unknown_fields_are_422_extra_forbidden(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: dict[str, int],
        path: str,
    ) -> None:
        response = await client.post(
            path,
            json={**VALID_BODIES[path], "is_admin": True},
            headers=auth(admin_key.secret),
        )
        pointers = error_pointers(assert_problem(response, 422))
        assert pointers == {"/body/is_admin": "extra_forbidden"}
        await _unchanged(sessionmaker, rows)

    async def test_unknown_nested_field_points_inside_the_list(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        contact = {"role": "industrialist", "full_name": "A", "salary": 1}
        response = await client.post(
            "/v1/territories",
            json={**VALID_TERRITORY, "contacts": [contact]},
            headers=auth(admin_key.secret),
        )
        pointers = error_pointers(assert_problem(response, 422))
        assert pointers == {"/body/contacts/0/salary": "extra_forbidden"}

    @pytest.mark.parametrize("body", [[], "text", 42, None], ids=["list", "string", "int", "null"])
    async def test_a_body_that_is_not_an_object_is_422(
        self, client: httpx.AsyncClient, admin_key: Key, body: object
    ) -> None:
        response = await client.post(
            "/v1/territories",
            content=json.dumps(body).encode(),
            headers={**auth(admin_key.secret), "Content-Type": "application/json"},
        )
        assert_problem(response, 422)

    async def test_invalid_siren_is_422_pointing_at_it(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: dict[str, int],
    ) -> None:
        response = await client.post(
            "/v1/territories",
            json={**VALID_TERRITORY, "epci_sirens": [PONTIVY_EPCI, BAD_LUHN_SIREN]},
            headers=auth(admin_key.secret),
        )
        body = assert_problem(response, 422)
        assert "/body/epci_sirens/1" in error_pointers(body)
        await _unchanged(sessionmaker, rows)

    async def test_siren_with_spaces_is_accepted_and_compacted(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.post(
            "/v1/territories",
            json={**VALID_TERRITORY, "epci_sirens": ["245 614 433"]},
            headers=auth(admin_key.secret),
        )
        assert response.status_code == 201, response.text
        assert response.json()["epci_sirens"] == [PONTIVY_EPCI]

    async def test_duplicate_epci_is_422(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        response = await client.post(
            "/v1/territories",
            json={**VALID_TERRITORY, "epci_sirens": [PONTIVY_EPCI, PONTIVY_EPCI]},
            headers=auth(admin_key.secret),
        )
        assert "/body/epci_sirens" in error_pointers(assert_problem(response, 422))

    async def test_unknown_epci_with_a_valid_siren_is_422_pointing_at_it(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: dict[str, int],
    ) -> None:
        response = await client.post(
            "/v1/territories",
            json={**VALID_TERRITORY, "epci_sirens": [ALBI_EPCI, NOT_AN_EPCI]},
            headers=auth(admin_key.secret),
        )
        assert "/body/epci_sirens/1" in error_pointers(assert_problem(response, 422))
        await _unchanged(sessionmaker, rows)

    @pytest.mark.parametrize(
        ("params", "pointer"),
        [
            ({"limit": 0}, "/query/limit"),
            ({"limit": "many"}, "/query/limit"),
            ({"limit": 5000}, "/query/limit"),
            ({"region": "Bretagne"}, "/query/region"),
            ({"q": ""}, "/query/q"),
            ({"q": "x" * 101}, "/query/q"),
        ],
        ids=["limit-zero", "limit-text", "limit-huge", "region-name", "q-empty", "q-long"],
    )
    async def test_bad_query_parameters_are_422_with_a_pointer(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        params: dict[str, Any],
        pointer: str,
    ) -> None:
        response = await client.get(
            "/v1/territories", params=params, headers=auth(admin_key.secret)
        )
        assert pointer in error_pointers(assert_problem(response, 422))

    async def test_non_uuid_id_in_path_is_422_with_a_pointer(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.get("/v1/territories/not-a-uuid", headers=auth(admin_key.secret))
        assert "/path/territory_id" in error_pointers(assert_problem(response, 422))

    async def test_naive_datetime_filter_is_422(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.get(
            "/v1/audit", params={"since": "2026-01-01T00:00:00"}, headers=auth(admin_key.secret)
        )
        assert "/query/since" in error_pointers(assert_problem(response, 422))

    @pytest.mark.parametrize(
        ("path", "field"),
        [
            ("/v1/territories", "name"),
            ("/v1/territories", "region_code"),
            ("/v1/territories", "description"),
            ("/v1/operators/ademe", "name"),
            ("/v1/operators/ademe", "kind"),
            ("/v1/operators/ademe", "description"),
            ("/v1/funds/fonds-friches", "name"),
            ("/v1/funds/fonds-friches", "status"),
            ("/v1/funds/fonds-friches", "envelope_cents"),
            ("/v1/funds/fonds-friches", "regional_share_cents"),
            ("/v1/funds/fonds-friches", "aid_forms"),
            ("/v1/funds/fonds-friches", "regional_preselection"),
        ],
    )
    async def test_null_for_a_required_field_on_update_is_422(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        territory: Territory,
        sessionmaker: async_sessionmaker[AsyncSession],
        path: str,
        field: str,
    ) -> None:
        url = f"{path}/{territory.id}" if path == "/v1/territories" else path
        etag = (await client.get(url, headers=auth(admin_key.secret))).headers["etag"]
        before = await count_rows(sessionmaker)
        response = await client.patch(
            url, json={field: None}, headers={**auth(admin_key.secret), "If-Match": etag}
        )
        assert f"/body/{field}" in error_pointers(assert_problem(response, 422))
        await _unchanged(sessionmaker, before)
        after = await client.get(url, headers=auth(admin_key.secret))
        assert after.headers["etag"] == etag


class TestNulCharacters:
    @pytest.mark.parametrize("path", CREATE_PATHS)
    async def test_nul_in_a_text_field_is_422_and_writes_nothing(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: dict[str, int],
        path: str,
    ) -> None:
        response = await client.post(
            path,
            json={**VALID_BODIES[path], "name": "Nul\x00here"},
            headers=auth(admin_key.secret),
        )
        assert_problem(response, 422)
        await _unchanged(sessionmaker, rows)

    @pytest.mark.parametrize(
        "url",
        [
            "/v1/territories?q=a%00b",
            "/v1/epcis?q=%00",
            "/v1/operators/bad%00code",
            "/v1/funds/bad%00code",
            "/v1/audit?subject_id=%00",
            "/v1/regions/%00",
        ],
    )
    async def test_nul_in_a_query_or_path_is_refused_without_a_500(
        self, client: httpx.AsyncClient, admin_key: Key, url: str
    ) -> None:
        response = await client.get(url, headers=auth(admin_key.secret))
        assert 400 <= response.status_code < 500
        assert_problem(response, response.status_code)


class TestBodyLimits:
    async def test_body_over_the_limit_is_413(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        test_settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: dict[str, int],
    ) -> None:
        padding = "x" * test_settings.MAX_BODY_BYTES
        response = await client.post(
            "/v1/territories",
            json={**VALID_TERRITORY, "description": padding},
            headers=auth(admin_key.secret),
        )
        assert_problem(response, 413)
        await _unchanged(sessionmaker, rows)

    async def test_chunked_body_over_the_limit_is_413(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        test_settings: Settings,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: dict[str, int],
    ) -> None:
        chunk = b" " * 65_536
        chunks = test_settings.MAX_BODY_BYTES // len(chunk) + 2

        async def stream() -> AsyncIterator[bytes]:
            yield b'{"code": "ti-big", "description": "'
            for _ in range(chunks):
                yield chunk
            yield b'"}'

        request = client.build_request(
            "POST",
            "/v1/territories",
            content=stream(),
            headers={**auth(admin_key.secret), "Content-Type": "application/json"},
        )
        assert "content-length" not in request.headers
        assert request.headers["transfer-encoding"] == "chunked"
        response = await client.send(request)
        assert_problem(response, 413)
        await _unchanged(sessionmaker, rows)

    async def test_chunked_body_under_the_limit_is_accepted(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        async def stream() -> AsyncIterator[bytes]:
            yield json.dumps(VALID_TERRITORY).encode()

        response = await client.post(
            "/v1/territories",
            content=stream(),
            headers={**auth(admin_key.secret), "Content-Type": "application/json"},
        )
        assert response.status_code == 201, response.text

    async def test_body_just_under_the_limit_gets_past_the_guard(
        self, client: httpx.AsyncClient, admin_key: Key, test_settings: Settings
    ) -> None:
        body = json.dumps({**VALID_TERRITORY, "description": ""}).encode()
        padded = body[:-1] + b" " * (test_settings.MAX_BODY_BYTES - len(body)) + b"}"
        assert len(padded) == test_settings.MAX_BODY_BYTES
        response = await client.post(
            "/v1/territories",
            content=padded,
            headers={**auth(admin_key.secret), "Content-Type": "application/json"},
        )
        assert response.status_code == 201, response.text

    async def test_non_numeric_content_length_is_400(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.post(
            "/v1/territories",
            content=b"{}",
            headers={
                **auth(admin_key.secret),
                "Content-Type": "application/json",
                "Content-Length": "lots",
            },
        )
        assert_problem(response, 400)


class TestContentType:
    @pytest.mark.parametrize("path", CREATE_PATHS)
    async def test_text_plain_is_415(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: dict[str, int],
        path: str,
    ) -> None:
        response = await client.post(
            path,
            content=json.dumps(VALID_BODIES[path]).encode(),
            headers={**auth(admin_key.secret), "Content-Type": "text/plain"},
        )
        assert_problem(response, 415)
        await _unchanged(sessionmaker, rows)

    async def test_form_is_415(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: dict[str, int],
    ) -> None:
        response = await client.post(
            "/v1/operators",
            data={"code": "op-form", "name": "Form", "kind": "state"},
            headers=auth(admin_key.secret),
        )
        assert response.request.headers["content-type"].startswith(
            "application/x-www-form-urlencoded"
        )
        assert_problem(response, 415)
        await _unchanged(sessionmaker, rows)

    async def test_multipart_is_415(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        response = await client.post(
            "/v1/operators",
            files={"file": ("body.json", b"{}", "application/json")},
            headers=auth(admin_key.secret),
        )
        assert_problem(response, 415)

    async def test_body_without_content_type_is_415(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.post("/v1/operators", content=b"{}", headers=auth(admin_key.secret))
        assert "content-type" not in response.request.headers
        assert_problem(response, 415)

    async def test_json_with_charset_and_problem_json_suffix_are_accepted(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        for index, media in enumerate(["application/json; charset=utf-8", "application/vnd+json"]):
            response = await client.post(
                "/v1/operators",
                content=json.dumps(
                    {"code": f"op-media-{index}", "name": "Media", "kind": "state"}
                ).encode(),
                headers={**auth(admin_key.secret), "Content-Type": media},
            )
            assert response.status_code == 201, (media, response.text)


class TestNotFound:
    @pytest.mark.parametrize(
        "url",
        [
            f"/v1/territories/{UNKNOWN_ID}",
            "/v1/operators/no-such-operator",
            "/v1/funds/no-such-fund",
            f"/v1/api-keys/{UNKNOWN_ID}",
            "/v1/regions/99",
            "/v1/departments/999",
            "/v1/epcis/000000000",
            "/v1/communes/00000",
        ],
    )
    async def test_unknown_id_is_404(
        self, client: httpx.AsyncClient, admin_key: Key, url: str
    ) -> None:
        body = assert_problem(await client.get(url, headers=auth(admin_key.secret)), 404)
        assert body["type"].endswith("not-found")

    @pytest.mark.parametrize(
        "url",
        [
            f"/v1/territories/{UNKNOWN_ID}",
            "/v1/operators/no-such-operator",
            "/v1/funds/no-such-fund",
        ],
    )
    async def test_updating_an_unknown_id_is_404_and_writes_nothing(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: dict[str, int],
        url: str,
    ) -> None:
        response = await client.patch(
            url,
            json={"description": "x"},
            headers={**auth(admin_key.secret), "If-Match": '"1"'},
        )
        assert_problem(response, 404)
        await _unchanged(sessionmaker, rows)

    async def test_fund_with_an_unknown_operator_is_422_pointing_at_it(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: dict[str, int],
    ) -> None:
        response = await client.post(
            "/v1/funds",
            json={**VALID_BODIES["/v1/funds"], "operator_code": "nobody"},
            headers=auth(admin_key.secret),
        )
        assert "/body/operator_code" in error_pointers(assert_problem(response, 422))
        await _unchanged(sessionmaker, rows)

    @pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
    async def test_unknown_route_is_404_problem(
        self, client: httpx.AsyncClient, admin_key: Key, method: str
    ) -> None:
        response = await client.request(method, "/v1/nothing-here", headers=auth(admin_key.secret))
        assert_problem(response, 404)

    async def test_unknown_route_without_a_key_is_404_too(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get("/nothing-here"), 404)


class TestMethodNotAllowed:
    @pytest.mark.parametrize(
        ("method", "url"),
        [
            ("DELETE", "/v1/territories"),
            ("PUT", "/v1/operators/bpifrance"),
            ("DELETE", "/v1/funds/fonds-acceleration"),
            ("POST", "/v1/regions"),
            ("PATCH", "/v1/api-keys"),
            ("POST", "/healthz"),
        ],
    )
    async def test_wrong_method_is_405_problem(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: dict[str, int],
        method: str,
        url: str,
    ) -> None:
        response = await client.request(method, url, headers=auth(admin_key.secret))
        body = assert_problem(response, 405)
        assert method in body["detail"]
        assert "allow" in response.headers
        await _unchanged(sessionmaker, rows)


class TestCursor:
    @pytest.mark.parametrize("path", COLLECTIONS)
    @pytest.mark.parametrize(
        "cursor",
        [
            "not a cursor!",
            "e30",
            _cursor({"s": "elsewhere", "k": ["a"]}),
            _cursor({"s": "code", "k": []}),
            _cursor(["code", "a"]),
            _cursor({"s": "name", "k": ["x", {"id": 1}]}),
            _cursor({"s": "created", "k": [None, None]}),
            _cursor({"s": "newest", "k": ["yesterday", UNKNOWN_ID]}),
        ],
        ids=[
            "garbage",
            "empty-object",
            "other-sort",
            "no-key",
            "list",
            "object-for-uuid",
            "nulls",
            "bad-timestamp",
        ],
    )
    async def test_bad_cursor_is_400(
        self, client: httpx.AsyncClient, admin_key: Key, path: str, cursor: str
    ) -> None:
        response = await client.get(path, params={"cursor": cursor}, headers=auth(admin_key.secret))
        body = assert_problem(response, 400)
        assert body["type"].endswith("/invalid-cursor")

    async def test_cursor_of_another_collection_is_400(
        self, client: httpx.AsyncClient, admin_key: Key, make_key: MakeKey
    ) -> None:
        for _ in range(3):
            await make_key(Role.OBSERVER)
        page = await client.get("/v1/api-keys", params={"limit": 1}, headers=auth(admin_key.secret))
        cursor = page.json()["next_cursor"]
        assert cursor
        response = await client.get(
            "/v1/territories", params={"cursor": cursor}, headers=auth(admin_key.secret)
        )
        assert_problem(response, 400)

    async def test_number_in_place_of_an_id_in_the_cursor_is_400(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.get(
            "/v1/territories",
            params={"cursor": _cursor({"s": "name", "k": ["x", 7]})},
            headers=auth(admin_key.secret),
        )
        assert_problem(response, 400)

    async def test_overlong_cursor_is_422(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        response = await client.get(
            "/v1/regions", params={"cursor": "a" * 2001}, headers=auth(admin_key.secret)
        )
        assert "/query/cursor" in error_pointers(assert_problem(response, 422))


class TestPreconditions:
    @pytest.mark.parametrize("header", ["**", "abc", '"v2"', 'W/"x"'])
    async def test_if_match_that_is_not_an_etag_is_422(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        territory: Territory,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: dict[str, int],
        header: str,
    ) -> None:
        response = await client.patch(
            f"/v1/territories/{territory.id}",
            json={"description": "x"},
            headers={**auth(admin_key.secret), "If-Match": header},
        )
        assert_problem(response, 422)
        assert response.json()["errors"][0]["pointer"] == "/header/If-Match"
        await _unchanged(sessionmaker, rows)


class TestUnexpectedErrors:
    async def test_unhandled_error_is_a_500_problem_carrying_the_request_id(
        self, test_settings: Settings, caplog: pytest.LogCaptureFixture
    ) -> None:
        app = create_app(test_settings)
        failing = APIRouter()

        @failing.get("/failing")
        async def fail() -> None:
            raise RuntimeError("internal state 42")

        app.include_router(failing)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://tidi.test") as client:
            response = await client.get("/failing", headers={"X-Request-ID": "trace-500"})
        body = assert_problem(response, 500)
        assert body["request_id"] == "trace-500"
        assert "internal state 42" not in response.text
        [record] = [r for r in caplog.records if r.message == "unhandled error"]
        assert record.exc_info is not None


# --- generated junk ------------------------------------------------------------------------

FIELD_NAMES = sorted(
    {
        "code",
        "name",
        "region_code",
        "description",
        "epci_sirens",
        "contacts",
        "kind",
        "website",
        "operator_code",
        "status",
        "envelope_cents",
        "regional_share_cents",
        "max_award_cents",
        "opens_at",
        "closes_at",
        "aid_forms",
        "regional_preselection",
        "source_url",
        "role",
        "territory_id",
        "expires_at",
    }
)
PLAUSIBLE = st.sampled_from(
    [
        "53",
        "99",
        PONTIVY_EPCI,
        NOT_AN_EPCI,
        [PONTIVY_EPCI],
        [NOT_AN_EPCI, PONTIVY_EPCI],
        "bpifrance",
        "state",
        "region",
        "open",
        "draft",
        "territory",
        "operator",
        "admin",
        "subsidy",
        ["subsidy", "loan"],
        "ti-junk",
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00",
        "https://example.org",
        UNKNOWN_ID,
        "\x00",
        "a\x00b",
    ]
)
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**15, max_value=10**60)
    | st.integers(min_value=-(10**60), max_value=-1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | PLAUSIBLE
)
JUNK = st.recursive(
    LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=15,
)
BODIES = st.dictionaries(
    st.sampled_from(FIELD_NAMES) | st.text(max_size=12), JUNK, max_size=8
) | st.builds(
    lambda path_body, extra: {**path_body, **extra},
    st.sampled_from(list(VALID_BODIES.values())),
    st.dictionaries(st.sampled_from(FIELD_NAMES), JUNK, max_size=3),
)
TOP_LEVEL = BODIES | JUNK


class TestGeneratedJunk:
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(path=st.sampled_from(CREATE_PATHS), body=TOP_LEVEL)
    async def test_junk_bodies_never_cause_a_server_error(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        path: str,
        body: object,
    ) -> None:
        response = await client.post(
            path,
            content=json.dumps(body).encode(),
            headers={**auth(admin_key.secret), "Content-Type": "application/json"},
        )
        assert response.status_code in {201, 400, 409, 413, 415, 422}, (
            path,
            body,
            response.text,
        )
        if response.status_code != 201:
            assert_problem(response, response.status_code)


class TestBusyDatabase:
    async def test_no_free_connection_in_time_is_a_503_problem_then_service_resumes(
        self, test_settings: Settings, admin_key: Key
    ) -> None:
        settings = test_settings.model_copy(
            update={
                "DATABASE_POOL_SIZE": 1,
                "DATABASE_MAX_OVERFLOW": 0,
                "DATABASE_POOL_TIMEOUT_SECONDS": 0.2,
                "API_KEY_CACHE_SECONDS": 0,
            }
        )
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://tidi.test") as client,
        ):
            async with app.state.engine.connect():  # the pool's only connection, held
                busy = await client.get("/v1/funds", headers=auth(admin_key.secret))
            body = assert_problem(busy, 503)
            assert busy.headers["retry-after"] == "1"
            assert body["title"] == "Service busy"
            served = await client.get("/v1/funds", headers=auth(admin_key.secret))
        assert served.status_code == 200
