"""Every error as RFC 9457 `application/problem+json`, and its OpenAPI description."""

import logging
import re
import sys
from http import HTTPStatus
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from shared.context import request_id_var
from shared.errors import PROBLEM_BASE, TidiError

logger = logging.getLogger("tidi.api")

PROBLEM_MEDIA_TYPE = "application/problem+json"
_PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}

_DESCRIPTIONS = {
    400: "Malformed request (invalid JSON, malformed cursor or header).",
    401: "Missing, unknown, revoked or expired API key.",
    403: "The key's role or tenant may not do this.",
    404: "No such resource, or not visible to this key.",
    405: "Method not allowed on this path.",
    409: "Conflicts with the current state (duplicate, illegal transition).",
    412: "`If-Match` does not match the current version (ETag).",
    413: "Request body larger than the configured limit.",
    415: "Request body is not JSON (`Content-Type: application/json`).",
    422: "Invalid input; `errors` lists each field by JSON pointer.",
    428: "`If-Match` is required for this update.",
    429: "Too many requests.",
    503: "The service is busy or a dependency is down; retry after `Retry-After` seconds.",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for these error statuses, with the Problem schema."""
    return {
        status: {
            "description": _DESCRIPTIONS.get(status, HTTPStatus(status).phrase),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


def problem_response(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    type_uri: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {
        "type": type_uri or PROBLEM_BASE + _slug(status),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": request_id_var.get(),
    }
    body.update({k: v for k, v in extensions.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _slug(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")


def json_pointer(location: tuple[int | str, ...]) -> str:
    """RFC 6901 pointer of a validation error location (`("body", "a", 0)` → `/body/a/0`)."""
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in location]
    return "/" + "/".join(parts)


async def _tidi_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(TidiError, exc)
    extensions = dict(exc.extensions)
    pointer = extensions.pop("pointer", None)
    errors = (
        [{"pointer": pointer, "detail": exc.detail, "type": exc.type_slug}] if pointer else None
    )
    headers = {"WWW-Authenticate": 'Bearer realm="tidi"'} if exc.status == 401 else None
    return problem_response(
        exc.status,
        exc.detail,
        instance=request.url.path,
        type_uri=exc.type_uri(),
        title=exc.title,
        headers=headers,
        errors=errors,
        **extensions,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(RequestValidationError, exc)
    errors = [
        {
            "pointer": json_pointer(tuple(error.get("loc", ()))),
            "detail": error.get("msg", "invalid"),
            "type": error.get("type", "value_error"),
        }
        for error in exc.errors()
    ]
    if any(e["type"] == "json_invalid" for e in errors):
        return _malformed_json(request, "the request body is not valid JSON", errors)
    return problem_response(
        422,
        f"{len(errors)} invalid input(s); see errors",
        instance=request.url.path,
        type_uri=PROBLEM_BASE + "validation-failed",
        title="Validation failed",
        errors=errors,
    )


def _malformed_json(request: Request, detail: str, errors: list[dict[str, Any]]) -> JSONResponse:
    return problem_response(
        400,
        detail,
        instance=request.url.path,
        type_uri=PROBLEM_BASE + "malformed-json",
        title="Malformed JSON",
        errors=errors,
    )


def _unparsable_body(exc: StarletteHTTPException) -> str | None:
    """What made the JSON parser give up on a body, when FastAPI answered it with a bare 400
    (the error it raised from is the cause: too deep, not UTF-8, a number too long)."""
    cause = exc.__cause__
    if exc.status_code != 400 or cause is None:
        return None
    if isinstance(cause, RecursionError):
        return "the request body is nested too deeply to be parsed"
    if isinstance(cause, UnicodeDecodeError):
        return f"the request body is not valid UTF-8 (byte offset {cause.start})"
    if isinstance(cause, ValueError):
        limit = sys.get_int_max_str_digits()
        return f"the request body holds a number of more than {limit} digits"
    return None


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(StarletteHTTPException, exc)
    unparsable = _unparsable_body(exc)
    if unparsable is not None:
        error = {"pointer": "/body", "detail": unparsable, "type": "json_invalid"}
        return _malformed_json(request, unparsable, [error])
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no route matches {request.url.path}"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
        headers["Allow"] = ", ".join(allowed_methods(request))
    return problem_response(exc.status_code, detail, instance=request.url.path, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method the OpenAPI document declares on the request's path (for `Allow`)."""
    app = request.app
    table: list[tuple[re.Pattern[str], set[str]]] | None = getattr(app.state, "allow_table", None)
    if table is None:
        table = [
            (compile_path(path)[0], {method.upper() for method in operations})
            for path, operations in app.openapi().get("paths", {}).items()
        ]
        app.state.allow_table = table
    methods = set().union(*(m for regex, m in table if regex.match(request.url.path)))
    return sorted(methods)


async def _stale_data(request: Request, _exc: Exception) -> JSONResponse:
    return problem_response(
        412,
        "the resource was changed by another request; read it again and retry",
        instance=request.url.path,
        type_uri=PROBLEM_BASE + "precondition-failed",
        title="Precondition failed",
    )


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    logger.info("integrity error", extra={"error": str(exc.__cause__ or exc)[:300]})
    return problem_response(
        409,
        "the change conflicts with an existing record",
        instance=request.url.path,
        type_uri=PROBLEM_BASE + "conflict",
        title="Conflict",
    )


# PostgreSQL refuses some text outright (NUL characters, `\u0000` in JSON): SQLSTATE
# 22021 character_not_in_repertoire and 22P05 untranslatable_character.
_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if getattr(cast(DBAPIError, exc).orig, "sqlstate", None) in _UNSTORABLE_TEXT:
        return problem_response(
            422,
            "the request holds text that cannot be stored (NUL characters are not allowed)",
            instance=request.url.path,
            type_uri=PROBLEM_BASE + "unstorable-text",
            title="Unprocessable content",
        )
    raise exc


async def _pool_exhausted(request: Request, _exc: Exception) -> JSONResponse:
    logger.warning("no database connection free in time")
    return problem_response(
        503,
        "the service is busy; retry in a moment",
        instance=request.url.path,
        type_uri=PROBLEM_BASE + "busy",
        title="Service busy",
        headers={"Retry-After": "1"},
    )


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The database refused or lost the connection (too many connections, shutting down,
    unreachable: an `OperationalError` from the engine, or a network `OSError`)."""
    logger.warning("database unavailable", extra={"error": str(exc)[:300]})
    return problem_response(
        503,
        "the database cannot serve this request now; retry in a moment",
        instance=request.url.path,
        type_uri=PROBLEM_BASE + "unavailable",
        title="Service unavailable",
        headers={"Retry-After": "1"},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return problem_response(
        500,
        "an unexpected error occurred; it was logged with this request id",
        instance=request.url.path,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Render every error the app can raise as problem+json."""
    app.add_exception_handler(TidiError, _tidi_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StaleDataError, _stale_data)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeout, _pool_exhausted)
    app.add_exception_handler(OperationalError, _unavailable)
    app.add_exception_handler(OSError, _unavailable)
    app.add_exception_handler(Exception, _unexpected)
