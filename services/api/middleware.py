"""The pure ASGI middleware: request id, access log and metrics; body size and type guards."""

import logging
import re
import time
import uuid
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.problems import problem_response
from shared.context import request_id_var

access_log = logging.getLogger("tidi.access")
error_log = logging.getLogger("tidi.api")

HTTP_REQUESTS = Counter(
    "tidi_http_requests_total", "HTTP requests handled", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "tidi_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestMiddleware:
    """Gives each request an id (echoed as `X-Request-ID`), logs it and measures it, and
    refuses bodies over the size limit (413) and non-JSON bodies (415) before routing.

    One middleware, not two: each layer costs every request a call and a closure.
    """

    _WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Tag, time and log one request."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self._guarded(scope, receive, send_with_id)
        except Exception:
            # Answer unhandled errors here, while the request id is still known, so the
            # log line and the 500 problem carry it (outer middleware would not).
            if response_started:
                raise
            error_log.exception("unhandled error")
            response = problem_response(
                500,
                "an unexpected error occurred; it was logged with this request id",
                instance=scope["path"],
            )
            await response(scope, _empty_receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], route).observe(elapsed)
            access_log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(token)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check size and media type of a body before the app reads it."""
        if scope["method"] not in self._WITH_BODY:
            await self.app(scope, receive, send)
            return
        length_header = _header(scope, b"content-length")
        chunked = "chunked" in (_header(scope, b"transfer-encoding") or "").lower()
        try:
            length = int(length_header) if length_header is not None else None
        except ValueError:
            await self._reject(scope, send, 400, "Content-Length is not a number")
            return
        if length is not None and length > self.max_body_bytes:
            await self._too_large(scope, send)
            return
        has_body = chunked or (length or 0) > 0
        if has_body and not _is_json(_header(scope, b"content-type")):
            await self._reject(
                scope,
                send,
                415,
                "send the body as JSON with `Content-Type: application/json`",
            )
            return
        await self.app(scope, self._limited(receive), send)

    def _limited(self, receive: Receive) -> Receive:
        received = 0
        limit = self.max_body_bytes

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI re-raises HTTPException from body parsing; the
                    # problem handler renders it.
                    raise HTTPException(413, f"the request body exceeds {limit} bytes")
            return message

        return limited_receive

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await self._reject(
            scope, send, 413, f"the request body exceeds {self.max_body_bytes} bytes"
        )

    @staticmethod
    async def _reject(scope: Scope, send: Send, status: int, detail: str) -> None:
        response = problem_response(status, detail, instance=scope["path"])
        await response(scope, _empty_receive, send)


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            decoded: str = value.decode("latin-1")
            return decoded
    return None


async def _empty_receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}
