"""The ReDoc page: served with its assets by the service, readable on a closed network."""

import json
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

REDOC_OPTIONS: dict[str, Any] = {"jsonSampleExpandLevel": 2, "maxDisplayedEnumValues": 8}
"""ReDoc's options (https://redocly.com/docs/redoc/config)."""

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'"
)
"""Nothing outside the service: ReDoc's own footer logo, on a CDN, is never requested."""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="shortcut icon" href="{favicon}">
<style>body {{ margin: 0; padding: 0; }}</style>
</head>
<body>
<noscript>ReDoc needs JavaScript: the OpenAPI document is at {spec}.</noscript>
<div id="redoc"></div>
<script src="{script}"></script>
<script>
// ReDoc expands every variant of a union with a discriminator, and every union nested in
// them, without stopping at the union itself: a union whose variants contain it again (the
// rule expressions) would grow without end. Shown as a plain oneOf, it stops at the cycle.
fetch({spec_json}).then((response) => response.json()).then((spec) => {{
  const schemas = (spec.components && spec.components.schemas) || {{}};
  for (const [name, schema] of Object.entries(schemas)) {{
    const self = JSON.stringify("#/components/schemas/" + name);
    const variants = (schema.oneOf || []).map((v) => schemas[(v.$ref || "").split("/").pop()]);
    if (schema.discriminator && variants.some((v) => JSON.stringify(v || {{}}).includes(self))) {{
      delete schema.discriminator;
    }}
  }}
  Redoc.init(spec, {options}, document.getElementById("redoc"));
}});
</script>
</body>
</html>
"""


def install_redoc(app: FastAPI, *, path: str, static_url: str) -> None:
    """Serve ReDoc at `path`, its script from `static_url` (the service's own assets)."""
    spec = app.openapi_url or "/openapi.json"
    page = _PAGE.format(
        title=f"{app.title} - ReDoc",
        favicon=f"{static_url}/favicon.png",
        script=f"{static_url}/redoc.standalone.js",
        spec=spec,
        spec_json=json.dumps(spec),
        options=json.dumps(REDOC_OPTIONS),
    )

    @app.get(path, include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})
