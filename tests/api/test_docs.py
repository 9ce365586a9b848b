"""Documentation served offline, and an OpenAPI document clients can rely on."""

import re
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

SERVICE_HOST = "tidi.test"
ATTRIBUTE_URL = re.compile(r"""\b(?:src|href|spec-url)\s*=\s*["']([^"']+)["']""")
SCRIPT_URL = re.compile(r"""\b(?:url\s*:|fetch\()\s*["']([^"']+)["']""")
ABSOLUTE_URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+(?::\d+)?[^\s"'<>)]*""")
CONTENT_TYPES = {
    ".js": ("application/javascript", "text/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
    ".json": ("application/json",),
}
CAMEL_CASE = re.compile(r"^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*$")
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _referenced_urls(html: str) -> set[str]:
    return set(ATTRIBUTE_URL.findall(html)) | set(SCRIPT_URL.findall(html))


def _external_urls(html: str) -> list[str]:
    found = []
    for url in [*ABSOLUTE_URL.findall(html), *_referenced_urls(html)]:
        host = urlsplit(url if "//" in url else "").hostname
        if host is not None and host != SERVICE_HOST:
            found.append(url)
    return found


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


@pytest.fixture
async def openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


class TestSwaggerUi:
    @pytest.fixture
    async def page(self, client: httpx.AsyncClient) -> str:
        response = await client.get("/docs")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        return response.text

    async def test_page_references_no_external_host(self, page: str) -> None:
        assert _external_urls(page) == []
        assert "cdn.jsdelivr.net" not in page
        assert "unpkg.com" not in page

    async def test_every_referenced_asset_is_served_by_the_service(
        self, client: httpx.AsyncClient, page: str
    ) -> None:
        urls = _referenced_urls(page)
        assert {u.rsplit(".", 1)[-1] for u in urls} >= {"js", "css", "png", "json"}
        for url in urls:
            await _assert_served(client, url)

    async def test_swagger_ui_persists_authorization_and_disables_the_validator(
        self, page: str
    ) -> None:
        assert re.search(r'"persistAuthorization"\s*:\s*true', page)
        assert re.search(r'"validatorUrl"\s*:\s*null', page)
        assert "validator.swagger.io" not in page

    async def test_docs_need_no_key(self, client: httpx.AsyncClient) -> None:
        bad_key = {"Authorization": "Bearer tidi_not-a-real-key-at-all-000000"}
        assert (await client.get("/docs", headers=bad_key)).status_code == 200


class TestRedoc:
    @pytest.fixture
    async def page(self, client: httpx.AsyncClient) -> str:
        response = await client.get("/redoc")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        return response.text

    async def test_page_references_no_external_host(self, page: str) -> None:
        assert _external_urls(page) == []
        assert "fonts.googleapis.com" not in page

    async def test_every_referenced_asset_is_served_by_the_service(
        self, client: httpx.AsyncClient, page: str
    ) -> None:
        urls = _referenced_urls(page)
        assert {u.rsplit(".", 1)[-1] for u in urls} >= {"js", "json"}
        for url in urls:
            await _assert_served(client, url)


async def _assert_served(client: httpx.AsyncClient, url: str) -> None:
    assert url.startswith("/"), f"{url} is not served by the service itself"
    response = await client.get(url)
    assert response.status_code == 200, url
    assert response.content, f"{url} is empty"
    suffix = "." + url.rsplit(".", 1)[-1]
    expected = CONTENT_TYPES[suffix]
    assert response.headers["content-type"].startswith(expected), (
        url,
        response.headers["content-type"],
    )


class TestOpenApiDocument:
    async def test_document_is_openapi_3_1(self, openapi: dict[str, Any]) -> None:
        assert re.fullmatch(r"3\.1\.\d+", openapi["openapi"])
        assert openapi["info"]["title"] == "tidi"
        assert openapi["info"]["version"]

    async def test_every_operation_has_a_unique_camel_case_operation_id(
        self, openapi: dict[str, Any]
    ) -> None:
        ids = [operation.get("operationId") for _, _, operation in _operations(openapi)]
        assert all(ids), "an operation lacks an operationId"
        assert [i for i in ids if not CAMEL_CASE.match(i)] == []
        assert [i for i, n in Counter(ids).items() if n > 1] == []

    async def test_every_operation_has_declared_tags_and_a_summary(
        self, openapi: dict[str, Any]
    ) -> None:
        declared = {tag["name"] for tag in openapi["tags"]}
        for method, path, operation in _operations(openapi):
            assert operation.get("tags"), (method, path)
            assert set(operation["tags"]) <= declared, (method, path, operation["tags"])
            assert operation.get("summary", "").strip(), (method, path)

    async def test_every_operation_has_a_success_response_with_a_schema(
        self, openapi: dict[str, Any]
    ) -> None:
        for method, path, operation in _operations(openapi):
            successes = {
                status: response
                for status, response in operation["responses"].items()
                if status.startswith("2")
            }
            assert successes, (method, path)
            if set(successes) == {"204"}:
                continue  # No Content: nothing to describe
            assert any(
                "schema" in media
                for response in successes.values()
                for media in response.get("content", {}).values()
            ), (method, path)

    async def test_every_client_error_is_a_problem_document(self, openapi: dict[str, Any]) -> None:
        bad = []
        for method, path, operation in _operations(openapi):
            for status, response in operation["responses"].items():
                if not status.startswith("4"):
                    continue
                if response.get("content") != {"application/problem+json": {"schema": PROBLEM_REF}}:
                    bad.append((method, path, status, response.get("content")))
        assert bad == []

    async def test_problem_schema_has_the_rfc_9457_members(self, openapi: dict[str, Any]) -> None:
        problem = openapi["components"]["schemas"]["Problem"]
        assert {"type", "title", "status", "detail", "instance", "request_id", "errors"} <= set(
            problem["properties"]
        )
        assert {"type", "title", "status", "detail"} <= set(problem["required"])

    async def test_validation_problems_replace_fastapi_defaults(
        self, openapi: dict[str, Any]
    ) -> None:
        for method, path, operation in _operations(openapi):
            if "422" in operation["responses"]:
                assert "HTTPValidationError" not in str(operation["responses"]["422"]), (
                    method,
                    path,
                )

    async def test_every_reference_resolves(self, openapi: dict[str, Any]) -> None:
        schemas = openapi["components"]["schemas"]
        refs = re.findall(r"'\$ref': '#/components/schemas/([^']+)'", str(openapi))
        assert refs
        assert sorted({r for r in refs if r not in schemas}) == []


class TestOpenApiSecurity:
    async def test_api_key_bearer_scheme_is_declared(self, openapi: dict[str, Any]) -> None:
        scheme = openapi["components"]["securitySchemes"]["ApiKey"]
        assert scheme["type"] == "http"
        assert scheme["scheme"] == "bearer"

    async def test_every_non_public_operation_requires_the_api_key(
        self, openapi: dict[str, Any]
    ) -> None:
        for method, path, operation in _operations(openapi):
            if operation["x-roles"] == ["anonymous"]:
                assert not operation.get("security"), (method, path)
                continue
            assert {"ApiKey": []} in operation.get("security", []), (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)

    async def test_public_operations_are_only_the_probes(self, openapi: dict[str, Any]) -> None:
        public = {
            path
            for _, path, operation in _operations(openapi)
            if operation["x-roles"] == ["anonymous"]
        }
        assert public == {"/healthz", "/readyz", "/metrics"}
