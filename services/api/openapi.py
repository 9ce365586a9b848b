"""The OpenAPI document: metadata, tags, and the shared Problem schema."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from shared.schemas import Problem, ProblemFieldError

DESCRIPTION = """
**tidi** is the operational backbone of France's *Territoires d'industrie* programme:
territories register industrial projects, project holders apply to funds, workers screen
and score applications, and partner operators are notified by signed webhooks.

* **Authentication**: every call except health and documentation needs an API key,
  sent as `Authorization: Bearer tidi_…`. Click **Authorize** and paste it.
  Each operation lists the roles allowed to call it (`x-roles`).
* **Errors** are [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem details
  (`application/problem+json`); validation problems list each invalid field as a
  JSON pointer in `errors`.
* **Collections** are paginated by cursor: pass `next_cursor` back as `cursor`.
* **Updates** need `If-Match` with the `ETag` of the version you read
  (`412` if it changed since, `428` if missing).
* **Money** is in integer euro cents.
"""

TAGS = [
    {
        "name": "geography",
        "description": "Reference geography: regions, departments, EPCIs, communes (COG).",
    },
    {
        "name": "territories",
        "description": "Territoires d'industrie, their EPCIs and their binôme.",
    },
    {
        "name": "operators",
        "description": "Partner operators that instruct funds and receive notifications.",
    },
    {"name": "funds", "description": "Funding schemes, their windows and envelopes."},
    {
        "name": "projects",
        "description": "Industrial projects of the territories and their lifecycle.",
    },
    {
        "name": "applications",
        "description": "Applications to funds: drafts, completeness, submission, lifecycle.",
    },
    {"name": "api-keys", "description": "API keys and the caller's identity."},
    {"name": "audit", "description": "The audit log of every change."},
    {"name": "system", "description": "Health, readiness and metrics."},
]


def install_openapi(app: FastAPI) -> None:
    """Replace `app.openapi` with a cached builder adding our metadata and schemas."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            summary="Territoires d'industrie: projects, applications, scoring, webhooks.",
            description=DESCRIPTION,
            routes=app.routes,
            tags=TAGS,
            contact={
                "name": "Programme Territoires d'industrie",
                "url": "https://www.anct.gouv.fr",
            },
            license_info={"name": "MIT", "identifier": "MIT"},
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (ProblemFieldError, Problem):
            model_schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, definition in model_schema.pop("$defs", {}).items():
                components.setdefault(name, definition)
            components[model.__name__] = model_schema
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
