"""Per-request (or per-job) context carried through logs and audit entries."""

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
