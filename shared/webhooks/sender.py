"""Sending one delivery: its event's body, signed with the endpoint's secrets, POSTed; the
answer (or the failure) classified.

Bodies are built once per event and secrets decrypted once per endpoint key, for all the
attempts a process makes.
"""

import asyncio
import ssl
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import httpx

from shared.webhooks.repository import DeliveryRow
from shared.webhooks.schedule import ErrorClass, Outcome, classify
from shared.webhooks.secrets_box import SecretBox
from shared.webhooks.signing import CONTENT_TYPE, active_secrets, build_body, sign
from shared.webhooks.ssrf import ResolutionError, SsrfBlockedError

MAX_RESPONSE_READ: Final = 64 * 1024
"""Bytes of a response body read at most."""
MAX_RESPONSE_STORED: Final = 16 * 1024
"""Bytes of it kept in the attempt log."""
USER_AGENT: Final = "tidi-webhooks/1"
_BODIES_KEPT: Final = 512
"""Bodies of recent events kept (an event goes to each of its endpoints in turn)."""
_SECRETS_KEPT: Final = 1024


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one HTTP attempt gave."""

    started_at: datetime
    duration_ms: int
    outcome: Outcome
    retry_after: str | None = None
    excerpt: str | None = None


class Sender:
    """Signs and POSTs deliveries with the process's one HTTP client."""

    def __init__(self, client: httpx.AsyncClient, box: SecretBox, connect_timeout: float) -> None:
        """Use `client` for every request; `box` decrypts the endpoints' secrets."""
        self._client = client
        self._box = box
        self._connect_timeout = connect_timeout
        self._secrets: OrderedDict[str, str] = OrderedDict()
        self._bodies: OrderedDict[uuid.UUID, bytes] = OrderedDict()

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

    def _body(self, row: DeliveryRow) -> bytes:
        """The event's body, built once for all the endpoints it goes to."""
        body = self._bodies.get(row.event_id)
        if body is None:
            body = build_body(row.event_type, row.occurred_at, row.data or {})
            self._bodies[row.event_id] = body
            if len(self._bodies) > _BODIES_KEPT:
                self._bodies.popitem(last=False)
        return body

    def _signing_secrets(self, row: DeliveryRow, now: datetime) -> tuple[str, ...]:
        context = str(row.endpoint_id)
        current = self._decrypt(row.secret_ciphertext, context)
        previous = (
            self._decrypt(row.previous_secret_ciphertext, context)
            if row.previous_secret_ciphertext
            else None
        )
        return active_secrets(current, previous, row.previous_secret_expires_at, now=now)

    def _decrypt(self, ciphertext: str, context: str) -> str:
        key = f"{context}:{ciphertext}"
        secret = self._secrets.get(key)
        if secret is None:
            secret = self._box.decrypt(ciphertext, context=context)
            self._secrets[key] = secret
            if len(self._secrets) > _SECRETS_KEPT:
                self._secrets.popitem(last=False)
        return secret

    async def send(self, row: DeliveryRow) -> Attempt:
        """Sign and POST the delivery's event; what came back, classified."""
        now = datetime.now(UTC)
        body = self._body(row)
        headers = sign(
            self._signing_secrets(row, now), msg_id=str(row.event_id), timestamp=now, body=body
        )
        headers["content-type"] = CONTENT_TYPE
        headers["user-agent"] = USER_AGENT
        timeout = float(row.timeout_seconds)
        started = time.perf_counter()
        status: int | None = None
        retry_after: str | None = None
        excerpt: str | None = None
        error: ErrorClass | None = None
        try:
            async with asyncio.timeout(timeout):
                async with self._client.stream(
                    "POST",
                    row.url,
                    content=body,
                    headers=headers,
                    timeout=httpx.Timeout(timeout, connect=self._connect_timeout),
                ) as response:
                    status = response.status_code
                    retry_after = response.headers.get("retry-after")
                    excerpt = await _read_excerpt(response)
        except (TimeoutError, httpx.TimeoutException):
            error = ErrorClass.TIMEOUT
        except SsrfBlockedError:
            error = ErrorClass.SSRF_BLOCKED
        except ResolutionError:
            error = ErrorClass.DNS
        except httpx.ConnectError as exc:
            error = ErrorClass.TLS if _is_tls(exc) else ErrorClass.CONNECT
        except (httpx.HTTPError, ssl.SSLError, OSError):
            error = ErrorClass.PROTOCOL
        duration_ms = round((time.perf_counter() - started) * 1000)
        outcome = classify(status, None if status is not None else error)
        return Attempt(now, duration_ms, outcome, retry_after, excerpt)


async def _read_excerpt(response: httpx.Response) -> str | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_RESPONSE_READ:
            break
    if not size:
        return None
    return b"".join(chunks)[:MAX_RESPONSE_STORED].decode("utf-8", errors="replace")


def _is_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
