"""The OpenAPI contract front-end teams generate their clients from (no database needed)."""

import copy
import hashlib
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter, ValidationError

from services.api.main import create_app
from shared.settings import Environment, Settings
from tests.fixtures.http import api_routes

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools" / "openapi"
NODE_TOOLS = ("redocly", "openapi-typescript", "openapi-ts", "tsc")
CAMEL_CASE = re.compile(r"^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*$")
COMPONENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
PUBLIC = ["anonymous"]

Operation = tuple[str, str, dict[str, Any]]


@pytest.fixture(scope="module")
def app() -> FastAPI:
    settings = Settings(
        ENVIRONMENT=Environment.TEST,
        DATABASE_URL="postgresql+asyncpg://contract/unused",  # type: ignore[arg-type]
        REDIS_URL="redis://contract",  # type: ignore[arg-type]
        _env_file=None,
    )
    return create_app(settings)


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def operations(document: dict[str, Any]) -> list[Operation]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        prefix = "#/components/schemas/"
        assert schema["$ref"].startswith(prefix), schema["$ref"]
        schema = document["components"]["schemas"][schema["$ref"].removeprefix(prefix)]
    return schema


def untyped(document: dict[str, Any], schema: dict[str, Any], *, top: bool = True) -> str | None:
    """Why a body schema is untyped (None if it is typed)."""
    target = resolve(document, schema)
    if not target:
        return "empty schema"
    if "const" in target or "enum" in target:
        return None
    for key in ("anyOf", "oneOf", "allOf"):
        if key in target:
            reasons = [untyped(document, branch, top=top) for branch in target[key]]
            return next((r for r in reasons if r), None)
    if "type" not in target:
        return "no type"
    if target["type"] == "array":
        return untyped(document, target.get("items", {}), top=False)
    if target["type"] == "object" and top and not target.get("properties"):
        return "free-form object"
    return None


def bodies(operation: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(where, media type, media object) of the request body and the 2xx/4xx responses."""
    found = [
        ("request", media_type, media)
        for media_type, media in operation.get("requestBody", {}).get("content", {}).items()
    ]
    for status, response in operation["responses"].items():
        if status[0] in "24":
            found += [(status, t, media) for t, media in response.get("content", {}).items()]
    return found


class TestDocument:
    def test_is_openapi_3_1_with_servers_contact_and_license(
        self, document: dict[str, Any]
    ) -> None:
        assert re.fullmatch(r"3\.1\.\d+", document["openapi"])
        info = document["info"]
        assert info["title"] == "tidi"
        assert info["version"]
        assert info["description"].strip()
        assert info["contact"]["url"]
        assert info["license"]["identifier"] == "MIT"
        assert document["servers"]
        assert all(server["url"] and server.get("description") for server in document["servers"])

    def test_tags_are_declared_and_described(self, document: dict[str, Any]) -> None:
        names = [tag["name"] for tag in document["tags"]]
        assert len(names) == len(set(names))
        assert all(tag.get("description", "").strip() for tag in document["tags"])

    def test_component_names_are_plain_identifiers(self, document: dict[str, Any]) -> None:
        schemas = document["components"]["schemas"]
        assert [name for name in schemas if not COMPONENT_NAME.match(name)] == []
        for kind, components in document["components"].items():
            assert [name for name in components if "[" in name or "]" in name] == [], kind

    def test_pages_are_named_after_their_items(self, document: dict[str, Any]) -> None:
        schemas = document["components"]["schemas"]
        assert {"TerritoryPage", "ProjectPage", "ApplicationPage", "AuditEntryPage"} <= set(schemas)
        assert [name for name in schemas if name.startswith("Page")] == []


class TestOperations:
    def test_operation_ids_are_unique_camel_case(self, document: dict[str, Any]) -> None:
        ids = [operation.get("operationId") for _, _, operation in operations(document)]
        assert all(ids)
        assert [i for i in ids if not CAMEL_CASE.match(i)] == []
        assert [i for i, n in Counter(ids).items() if n > 1] == []

    def test_every_operation_has_tags_summary_and_description(
        self, document: dict[str, Any]
    ) -> None:
        declared = {tag["name"] for tag in document["tags"]}
        for method, path, operation in operations(document):
            assert operation.get("tags"), (method, path)
            assert set(operation["tags"]) <= declared, (method, path)
            assert operation.get("summary", "").strip(), (method, path)
            purpose = operation.get("description", "").split("**Allowed roles:**")[0]
            assert purpose.strip(), (method, path)

    def test_every_parameter_is_described(self, document: dict[str, Any]) -> None:
        bare = [
            (method, path, parameter["name"])
            for method, path, operation in operations(document)
            for parameter in operation.get("parameters", [])
            if not parameter.get("description", "").strip()
        ]
        assert bare == []

    def test_security_is_declared_per_operation(self, document: dict[str, Any]) -> None:
        schemes = set(document["components"]["securitySchemes"])
        for method, path, operation in operations(document):
            if operation["x-roles"] == PUBLIC:
                assert operation.get("security") == [], (method, path)
                continue
            assert operation.get("security"), (method, path)
            for requirement in operation["security"]:
                assert set(requirement) <= schemes, (method, path)
            assert {"ApiKey": []} in operation["security"], (method, path)


class TestResponses:
    def test_every_client_error_is_a_problem(self, document: dict[str, Any]) -> None:
        bad = [
            (method, path, status)
            for method, path, operation in operations(document)
            for status, response in operation["responses"].items()
            if status.startswith("4") and response.get("content") != PROBLEM
        ]
        assert bad == []

    def test_every_operation_that_needs_a_key_documents_its_problems(
        self, document: dict[str, Any]
    ) -> None:
        for method, path, operation in operations(document):
            statuses = set(operation["responses"])
            assert "500" in statuses, (method, path)
            if operation["x-roles"] != PUBLIC:
                assert {"401", "403"} <= statuses, (method, path)

    def test_no_body_is_untyped(self, document: dict[str, Any]) -> None:
        found = []
        for method, path, operation in operations(document):
            for where, media_type, media in bodies(operation):
                reason = untyped(document, media.get("schema", {}))
                if reason:
                    found.append((method, path, where, media_type, reason))
        assert found == []

    def test_json_bodies_have_examples(self, document: dict[str, Any]) -> None:
        missing = [
            (method, path, where)
            for method, path, operation in operations(document)
            for where, media_type, media in bodies(operation)
            if media_type == "application/json" and "example" not in media
        ]
        assert missing == []

    def test_response_headers_are_documented(self, document: dict[str, Any]) -> None:
        for method, path, operation in operations(document):
            names = {p["name"] for p in operation.get("parameters", [])}
            success = next(r for s, r in operation["responses"].items() if s.startswith("2"))
            headers = set(success.get("headers", {}))
            if "If-Match" in names and "204" not in operation["responses"]:
                assert "ETag" in headers, (method, path)
            if "Idempotency-Key" in names:
                assert {"Location", "ETag", "Idempotent-Replayed"} <= headers, (method, path)
            if "201" in operation["responses"] and operation["operationId"] != "createApiKey":
                assert {"Location", "ETag"} <= headers, (method, path)
            if "401" in operation["responses"]:
                assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
        for name in ("ETag", "Location", "Idempotent-Replayed", "WWW-Authenticate"):
            assert document["components"]["headers"][name]["description"]


class TestLinks:
    def test_a_created_application_links_to_the_operations_on_it(
        self, document: dict[str, Any]
    ) -> None:
        created = document["paths"]["/v1/applications"]["post"]["responses"]["201"]
        submit = created["links"]["submitApplication"]
        assert submit == {
            "operationId": "submitApplication",
            "parameters": {"application_id": "$response.body#/id"},
        }
        rulesets = document["paths"]["/v1/funds/{fund_code}/rulesets"]["post"]
        assert rulesets["responses"]["201"]["links"]["publishRuleset"]["parameters"] == {
            "fund_code": "$request.path.fund_code",
            "version": "$response.body#/version",
        }

    def test_every_link_supplies_every_path_parameter_of_its_operation(
        self, document: dict[str, Any]
    ) -> None:
        by_id = {op["operationId"]: path for _, path, op in operations(document)}
        links = [
            link
            for _, _, operation in operations(document)
            for response in operation["responses"].values()
            for link in response.get("links", {}).values()
        ]
        assert len(links) > 50
        for link in links:
            needed = set(re.findall(r"{([^}]+)}", by_id[link["operationId"]]))
            assert needed == set(link["parameters"]), link


def example_faults(app: FastAPI, document: dict[str, Any]) -> tuple[int, list[str]]:
    """(examples checked, why each invalid one is) of every operation's request body and
    success response, validated by the models the routes validate with."""
    checked, faults = 0, []
    for method, path, route in api_routes(app):
        if not route.include_in_schema:
            continue  # the documentation pages
        operation = document["paths"][path][method.lower()]
        pairs: list[tuple[str, Any, dict[str, Any]]] = []
        if route.body_field is not None:
            media = operation["requestBody"]["content"]["application/json"]
            pairs.append(("request", route.body_field.field_info.annotation, media))
        if route.response_model is not None:
            success = operation["responses"][str(route.status_code or 200)]
            pairs.append(("response", route.response_model, success["content"]["application/json"]))
        for where, model, media in pairs:
            checked += 1
            try:
                TypeAdapter(model).validate_python(media["example"])
            except ValidationError as error:
                faults.append(f"{method} {path} {where}: {error}")
    return checked, faults


class TestExamplesAreValidInputAndOutput:
    def test_every_request_and_response_example_passes_validation(
        self, app: FastAPI, document: dict[str, Any]
    ) -> None:
        checked, faults = example_faults(app, document)
        assert faults == []
        # Every operation has a response model, and every body-taking one a request model.
        assert checked >= len(operations(document))

    def test_an_invalid_example_is_caught(self, app: FastAPI, document: dict[str, Any]) -> None:
        broken = copy.deepcopy(document)
        project = broken["paths"]["/v1/projects"]["post"]
        project["requestBody"]["content"]["application/json"]["example"]["title"] = 42
        funds = broken["paths"]["/v1/funds"]["get"]["responses"]["200"]["content"]
        funds["application/json"]["example"]["items"] = "not a list"
        _, faults = example_faults(app, broken)
        assert [fault.split(":")[0] for fault in faults] == [
            "GET /v1/funds response",
            "POST /v1/projects request",
        ]


def _node_tools_ready() -> bool:
    stamp = TOOLS / "node_modules" / ".tidi-installed"
    if not stamp.is_file():
        return False
    digest = hashlib.sha256((TOOLS / "package.json").read_bytes()).hexdigest()
    binaries = TOOLS / "node_modules" / ".bin"
    return stamp.read_text().strip() == digest and all(
        (binaries / tool).exists() for tool in NODE_TOOLS
    )


@pytest.mark.skipif(shutil.which("npx") is None, reason="Node.js (npx) is not installed")
@pytest.mark.skipif(
    not _node_tools_ready(), reason="tools/openapi is not installed: run scripts/openapi-check"
)
def test_linter_and_typescript_generators_accept_the_document() -> None:
    result = subprocess.run(  # noqa: S603
        [str(ROOT / "scripts" / "openapi-check")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "OpenAPI contract OK" in result.stdout
