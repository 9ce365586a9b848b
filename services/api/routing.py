"""The route class of every tidi router: documents who may call and which problems it returns."""

import inspect
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from services.api.deps import API_KEY_SCHEME_NAME, Authorize, public
from services.api.openapi import header_ref
from services.api.problems import problems
from services.api.sessions import end_sessions, own_sessions

_FASTAPI_DEFAULT_DESCRIPTION = "Successful Response"
UNEXPECTED_ERROR = "Unexpected error; it was logged under the problem's `request_id`."


def operation_id(route: APIRoute) -> str:
    """Stable camelCase operationId from the endpoint's name (`list_funds` → `listFunds`)."""
    head, *rest = route.name.split("_")
    return head + "".join(part.capitalize() for part in rest)


class TidiRoute(APIRoute):
    """An APIRoute that refuses to exist without declaring who may call it.

    The allowed roles come from the route's `Authorize` dependency (or the
    `public` marker); they are published as `x-roles` and in the description,
    and the matching problem responses are added to the OpenAPI document.
    Other operations require the `ApiKey` scheme; public ones declare an empty `security`
    requirement. A query parameter the operation does not declare is refused (422, one
    error per name) rather than ignored: a misspelt filter must not return unfiltered rows.

    The headers of the success response are documented from the endpoint's
    signature: an endpoint that takes the `Response` sets its `ETag`
    (`services.api.etag.with_etag`), plus `Location` when it creates (201); an
    endpoint that takes `Idempotency-Key` answers through `create_once`, which sends
    `Location` and `ETag`, and `Idempotent-Replayed: true` on a replay.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        roles = self._declared_roles()
        if roles is None:
            raise TypeError(f"{self.name}: declare who may call it (Authorize alias or Public)")
        self.allowed_roles = roles
        extra = dict(self.openapi_extra or {})
        extra["x-roles"] = sorted(roles) if roles else ["anonymous"]
        extra["security"] = [{API_KEY_SCHEME_NAME: []}] if roles else []
        self.openapi_extra = extra
        purpose = self.description.strip()
        who = ", ".join(f"`{r}`" for r in sorted(roles)) if roles else "anyone (no key)"
        self.description = f"{self.description}\n\n**Allowed roles:** {who}".strip()
        path_params = [p for d in _walk(self.dependant) for p in d.path_params]
        other_params = [
            p for d in _walk(self.dependant) for p in (*d.query_params, *d.header_params)
        ]
        self.query_names = frozenset(p.alias for d in _walk(self.dependant) for p in d.query_params)
        aliases = {p.alias for p in other_params}
        statuses = {422}  # any undeclared query parameter
        if roles:
            statuses |= {401, 403}
        if path_params:
            statuses.add(404)
        if self.body_field is not None:
            statuses |= {400, 413, 415}
        if aliases & {"cursor", "after"}:
            statuses.add(400)  # a cursor this API did not issue
        if "If-Match" in aliases:
            statuses |= {412, 428}
        statuses.add(500)
        if 503 not in self.responses:  # unless the route says what its 503 is (readiness)
            statuses.add(503)
        documented = problems(*sorted(statuses))
        documented[500]["description"] = UNEXPECTED_ERROR
        if 503 in documented:
            documented[503]["headers"] = {"Retry-After": header_ref("Retry-After")}
        if 401 in documented:
            documented[401]["headers"] = {"WWW-Authenticate": header_ref("WWW-Authenticate")}
        success = self.status_code or 200
        headers = self._success_headers(success, other_params)
        if headers:
            documented[success] = {"headers": headers}
        merged = _merge(documented, dict(self.responses))
        self.responses = dict(sorted(merged.items(), key=lambda item: str(item[0])))
        if self.response_description == _FASTAPI_DEFAULT_DESCRIPTION:
            self.response_description = self._describe_success(success, purpose)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The endpoint's handler, behind a check that every query parameter is declared,
        ending the sessions its dependencies opened (`services.api.sessions`)."""
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            unknown = sorted(set(request.query_params) - self.query_names)
            if unknown:
                raise RequestValidationError(
                    [
                        {
                            "loc": ("query", name),
                            "msg": "Unknown query parameter",
                            "type": "extra_forbidden",
                            "input": request.query_params[name],
                        }
                        for name in unknown
                    ]
                )
            own_sessions(request)
            try:
                response = await handler(request)
            except BaseException:
                await end_sessions(request, failed=True)
                raise
            await end_sessions(request, failed=False)
            return response

        return checked

    def _success_headers(self, status: int, params: list[Any]) -> dict[str, Any]:
        aliases = {p.alias for p in params}
        headers: dict[str, Any] = {}
        if "Idempotency-Key" in aliases:
            headers = {name: header_ref(name) for name in ("Location", "ETag")}
            headers["Idempotent-Replayed"] = header_ref("Idempotent-Replayed")
        elif any(d.response_param_name for d in _walk(self.dependant)):
            if status == 201:
                headers["Location"] = header_ref("Location")
            headers["ETag"] = header_ref("ETag")
        return headers

    def _describe_success(self, status: int, purpose: str) -> str:
        model = self.response_model
        doc = inspect.getdoc(model) if isinstance(model, type) else None
        first = (doc or purpose or "The result.").split("\n\n", 1)[0].replace("\n", " ")
        return f"Created. {first}" if status == 201 else first

    def _declared_roles(self) -> frozenset[str] | None:
        for dependant in _walk(self.dependant):
            if isinstance(dependant.call, Authorize):
                return frozenset(r.value for r in dependant.call.roles)
            if dependant.call is public:
                return frozenset()
        return None


def _merge(base: dict[Any, Any], update: dict[Any, Any]) -> dict[Any, Any]:
    """`base` updated with `update`, nested dictionaries merged rather than replaced."""
    merged = dict(base)
    for key, value in update.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged[key] = _merge(current, value)
        else:
            merged[key] = value
    return merged


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)
