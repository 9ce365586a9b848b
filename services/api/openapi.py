"""The OpenAPI document: the shared Problem schema, headers, post-processing (its front
matter, description, tags and servers, is in `openapi_front`)."""

import copy
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from services.api.deps import API_KEY_SCHEME, API_KEY_SCHEME_NAME, LIMIT_DESCRIPTION
from services.api.openapi_examples import EXAMPLE_ID, add_body_examples, restore_body_examples
from services.api.openapi_front import DESCRIPTION, SERVERS, TAGS
from shared.schemas import Problem, ProblemFieldError

HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": (
            "The version of the resource as a strong entity tag; "
            "send it back in `If-Match` to change the resource."
        ),
        "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
        "example": '"3"',
    },
    "Location": {
        "description": "Path of the created resource.",
        "schema": {"type": "string", "format": "uri-reference"},
        "example": f"/v1/projects/{EXAMPLE_ID}",
    },
    "Idempotent-Replayed": {
        "description": (
            "`true` when this is the stored response to an earlier request with the same "
            "`Idempotency-Key` (nothing was created again); absent otherwise."
        ),
        "schema": {"type": "string", "enum": ["true"]},
        "example": "true",
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
        "example": "1",
    },
    "WWW-Authenticate": {
        "description": "How to authenticate: a bearer API key.",
        "schema": {"type": "string"},
        "example": 'Bearer realm="tidi"',
    },
}
"""Response headers, published under `components.headers` and referenced by operations."""

PARAMETERS: dict[tuple[str, str], tuple[str | None, Any]] = {
    ("path", "region_code"): ("INSEE region code.", "53"),
    ("path", "department_code"): ("INSEE department code.", "56"),
    ("path", "siren"): ("SIREN of the EPCI (9 digits).", "245614433"),
    ("path", "insee_code"): ("INSEE commune code (COG).", "56178"),
    ("path", "territory_id"): ("Id of the territory.", EXAMPLE_ID),
    ("path", "project_id"): ("Id of the project.", EXAMPLE_ID),
    ("path", "application_id"): ("Id of the application.", EXAMPLE_ID),
    ("path", "key_id"): ("Id of the API key.", EXAMPLE_ID),
    ("path", "fund_code"): ("Fund code.", "fonds-acceleration"),
    ("path", "operator_code"): ("Operator code.", "bpifrance"),
    ("query", "territory_id"): ("Only records of this Territoire d'industrie.", EXAMPLE_ID),
    ("query", "project_id"): ("Only records of this project.", EXAMPLE_ID),
    ("query", "status"): ("Only records in this status.", None),
    ("query", "postal_code"): ("Postal code (5 digits).", "56300"),
    ("query", "subject_type"): (
        "Kind of record changed: territory, operator, fund, project, application, api_key.",
        None,
    ),
    ("query", "subject_id"): ("Id (or code) of the record changed.", EXAMPLE_ID),
    ("query", "action"): ("What was done, as `<subject>.<verb>`.", None),
    ("header", "If-Match"): (None, '"3"'),
    ("header", "Idempotency-Key"): (None, "0b8f6c52-1f7e-4d43-9d0f-5a3c2e7b9a10"),
}
"""Descriptions and examples of parameters, used where the route declares none."""


def header_ref(name: str) -> dict[str, str]:
    """A reference to one of the documented response `HEADERS`."""
    if name not in HEADERS:
        raise KeyError(f"undocumented response header {name!r}")
    return {"$ref": f"#/components/headers/{name}"}


def install_openapi(app: FastAPI, *, tags_in_order: Sequence[str]) -> None:
    """Replace `app.openapi` with a cached builder adding our metadata and schemas.

    The document lists its paths by the tag of their operations, in `tags_in_order`
    (each path in the order its router declares it), whatever the order the routers were
    included in for matching.
    """
    position = {tag: index for index, tag in reversed(list(enumerate(tags_in_order)))}

    def tag_position(item: tuple[str, dict[str, Any]]) -> int:
        first_operation = next(iter(item[1].values()))
        return position.get(first_operation.get("tags", [""])[0], len(position))

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary="Territoires d'industrie: projects, applications, scoring, webhooks.",
            description=DESCRIPTION,
            routes=app.routes,
            webhooks=app.webhooks.routes,
            tags=TAGS,
            contact={
                "name": "Programme Territoires d'industrie",
                "url": "https://www.anct.gouv.fr",
            },
            license_info={"name": "MIT", "identifier": "MIT"},
            servers=SERVERS,
        )
        schema["paths"] = dict(sorted(schema["paths"].items(), key=tag_position))
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ProblemFieldError, Problem):
            model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in model_schema.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components[model.__name__] = model_schema
        _name_components_by_title(schema)
        schema["components"]["schemas"] = dict(sorted(schema["components"]["schemas"].items()))
        schema["components"]["headers"] = copy.deepcopy(HEADERS)
        schema["components"]["securitySchemes"] = {API_KEY_SCHEME_NAME: dict(API_KEY_SCHEME)}
        restore_body_examples(schema, app)
        _complete_parameters(schema)
        settings = app.state.settings
        _state_page_sizes(schema, settings.PAGE_SIZE_DEFAULT, settings.PAGE_SIZE_MAX)
        add_body_examples(schema["components"]["schemas"], _operations(schema))
        _require_discriminators(schema)
        _link_created_resources(schema)
        _describe_webhooks(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]


def _require_discriminators(schema: dict[str, Any]) -> None:
    """List each discriminator property in `required` of every schema it maps to.

    Pydantic leaves a tag with a default out of `required`, but a tagged union cannot be
    read without its tag: the API refuses a value without it, and so does the document.
    """
    components = schema["components"]["schemas"]

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            discriminator = node.get("discriminator")
            if isinstance(discriminator, dict) and "mapping" in discriminator:
                prop = discriminator["propertyName"]
                for ref in set(discriminator["mapping"].values()):
                    target = components.get(ref.rsplit("/", 1)[-1])
                    if target is not None and prop in target.get("properties", {}):
                        required = target.setdefault("required", [])
                        if prop not in required:
                            required.insert(0, prop)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema)


def _link_created_resources(schema: dict[str, Any]) -> None:
    """Link each creation (`POST <collection>` → 201) to the operations on what it created.

    `POST /v1/applications` answers the new application; every operation under
    `/v1/applications/{application_id}` gets an OpenAPI link taking `application_id` from
    the answer's `id` (or `fund_code` from `code`...), so clients, documentation and
    API fuzzers can follow a created resource to the operations that use it.
    """
    paths = schema["paths"]
    components = schema["components"]["schemas"]
    for collection, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        if not created:
            continue
        body = created.get("content", {}).get("application/json", {}).get("schema", {})
        fields = components.get(body.get("$ref", "").rsplit("/", 1)[-1], {}).get("properties", {})
        inherited = {name: f"$request.path.{name}" for name in _path_parameters(collection)}
        links: dict[str, Any] = {}
        for path, operations in paths.items():
            head, _, rest = path.partition(collection + "/{")
            if head or not rest:
                continue
            parameter = rest.split("}", 1)[0]
            field = _identifying_field(parameter, fields)
            supplied = inherited | ({parameter: f"$response.body#/{field}"} if field else {})
            if set(_path_parameters(path)) - set(supplied):
                continue  # the answer does not say all the operation needs
            for method in _METHODS:
                if (operation := operations.get(method)) and "operationId" in operation:
                    links[operation["operationId"]] = {
                        "operationId": operation["operationId"],
                        "parameters": dict(sorted(supplied.items())),
                    }
        if links:
            created["links"] = dict(sorted(links.items()))


def _path_parameters(path: str) -> list[str]:
    return re.findall(r"{([^}]+)}", path)


def _identifying_field(parameter: str, fields: dict[str, Any]) -> str | None:
    """The field of a created resource that a path parameter names (`fund_code` → `code`)."""
    for candidate in (parameter, parameter.rsplit("_", 1)[-1]):
        if candidate in fields:
            return candidate
    return None


def _describe_webhooks(schema: dict[str, Any]) -> None:
    """Webhooks are requests tidi sends: the receiver needs no API key (it checks the
    signature) and tidi reads no problem document back, only the status."""
    for item in schema.get("webhooks", {}).values():
        for operation in item.values():
            operation["security"] = []
            operation["x-roles"] = ["anonymous"]
            for status in [s for s in operation.get("responses", {}) if s.startswith("4")]:
                del operation["responses"][status]
            for response in operation.get("responses", {}).values():
                response.pop("content", None)  # any 2xx acknowledges; the body is ignored
    components = schema["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError"):
        others = {k: v for k, v in components.items() if k != name}
        text = json.dumps([schema.get("paths"), schema.get("webhooks"), others])
        if f"#/components/schemas/{name}" not in text:
            components.pop(name, None)


def _operations(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method in _METHODS:
                yield operation


_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _name_components_by_title(schema: dict[str, Any]) -> None:
    """Publish generic models under their own name (`Page_TerritoryRead_` → `TerritoryPage`).

    Pydantic names the JSON schema of `Page[TerritoryRead]` after the generic and its
    argument; its title is the model's name (`Page.model_parametrized_name`).
    """
    components = schema["components"]["schemas"]
    renames = {
        name: definition["title"]
        for name, definition in components.items()
        if _GENERIC_NAME.match(name)
        and isinstance(definition.get("title"), str)
        and _COMPONENT_NAME.match(definition["title"])
        and definition["title"] not in components
    }
    if not renames:
        return
    schema["components"]["schemas"] = {renames.get(k, k): v for k, v in components.items()}
    prefix = "#/components/schemas/"
    _rewrite_refs(schema, {prefix + old: prefix + new for old, new in renames.items()})


_GENERIC_NAME = re.compile(r"^\w+_\w+_$")
_COMPONENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


def _rewrite_refs(node: Any, refs: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in refs:
            node["$ref"] = refs[ref]
        for value in node.values():
            _rewrite_refs(value, refs)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value, refs)


def _complete_parameters(schema: dict[str, Any]) -> None:
    """Describe parameters the routes left bare; spell out how query arrays are sent."""
    for operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            description, example = PARAMETERS.get(
                (parameter["in"], parameter["name"]), (None, None)
            )
            if description and not parameter.get("description"):
                parameter["description"] = description
            if example is not None and "example" not in parameter:
                parameter["example"] = example
            if parameter["in"] == "query" and _is_array(parameter["schema"]):
                parameter.setdefault("style", "form")
                parameter.setdefault("explode", True)
            if (parameter["in"], parameter["name"]) == ("header", "If-Match"):
                # Optional in the signature so that a missing header is a 428, as RFC 6585
                # says, rather than a validation error; every caller must send it.
                parameter["required"] = True
                parameter["schema"] = _without_null(parameter["schema"])


def _state_page_sizes(schema: dict[str, Any], default: int, maximum: int) -> None:
    """Give every `limit` parameter the configured default and maximum, in its schema and
    its text (the route refuses anything above that maximum)."""
    text = LIMIT_DESCRIPTION.format(default=default, maximum=maximum)
    for operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if (parameter["in"], parameter["name"]) == ("query", "limit"):
                parameter["description"] = text
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": maximum,
                    "default": default,
                    "title": "Limit",
                    "description": text,
                }


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        return {**branches[0], **rest}
    return schema


def _is_array(schema: dict[str, Any]) -> bool:
    branches = schema.get("anyOf", [schema])
    return any(branch.get("type") == "array" for branch in branches)
