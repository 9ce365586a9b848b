"""Write the OpenAPI document without a database: `python -m services.api.export_openapi [PATH]`.

The application is built with placeholder connection URLs; nothing connects until
start-up, so the document can be exported in CI or on a laptop with no services running.
Without PATH (or with `-`) the JSON goes to standard output.
"""

import json
import sys
from pathlib import Path
from typing import Any

from services.api.main import create_app
from shared.settings import Environment, Settings


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the API, built without connecting to anything."""
    settings = Settings(
        ENVIRONMENT=Environment.TEST,
        DATABASE_URL="postgresql+asyncpg://openapi-export/unused",  # type: ignore[arg-type]
        REDIS_URL="redis://openapi-export",  # type: ignore[arg-type]
        _env_file=None,
    )
    return create_app(settings).openapi()


def render(document: dict[str, Any]) -> str:
    """Stable JSON text of `document` (key order preserved, UTF-8, trailing newline)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the document to the path given as the only argument, or to standard output."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0] in {"-h", "--help"}):
        sys.stderr.write("usage: python -m services.api.export_openapi [PATH|-]\n")
        return 2
    text = render(openapi_document())
    if not args or args[0] == "-":
        sys.stdout.write(text)
    else:
        target = Path(args[0])
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
