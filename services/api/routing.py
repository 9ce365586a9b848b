"""The route class of every tidi router: documents who may call and which problems it returns."""

from collections.abc import Callable, Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from services.api.deps import Authorize, public
from services.api.problems import problems


def operation_id(route: APIRoute) -> str:
    """Stable camelCase operationId from the endpoint's name (`list_funds` → `listFunds`)."""
    head, *rest = route.name.split("_")
    return head + "".join(part.capitalize() for part in rest)


class TidiRoute(APIRoute):
    """An APIRoute that refuses to exist without declaring who may call it.

    The allowed roles come from the route's `Authorize` dependency (or the
    `public` marker); they are published as `x-roles` and in the description,
    and the matching problem responses are added to the OpenAPI document.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        roles = self._declared_roles()
        if roles is None:
            raise TypeError(f"{self.name}: declare who may call it (Authorize alias or Public)")
        self.allowed_roles = roles
        extra = dict(self.openapi_extra or {})
        extra["x-roles"] = sorted(roles) if roles else ["anonymous"]
        self.openapi_extra = extra
        who = ", ".join(f"`{r}`" for r in sorted(roles)) if roles else "anyone (no key)"
        self.description = f"{self.description}\n\n**Allowed roles:** {who}".strip()
        path_params = [p for d in _walk(self.dependant) for p in d.path_params]
        other_params = [
            p for d in _walk(self.dependant) for p in (*d.query_params, *d.header_params)
        ]
        statuses = set()
        if roles:
            statuses |= {401, 403}
        if path_params:
            statuses.add(404)
        if self.body_field is not None:
            statuses |= {400, 413, 415, 422}
        if path_params or other_params:
            statuses.add(422)
        if any(p.alias in {"cursor", "If-Match"} for p in other_params):
            statuses.add(400)
        self.responses = problems(*sorted(statuses)) | dict(self.responses)

    def _declared_roles(self) -> frozenset[str] | None:
        for dependant in _walk(self.dependant):
            if isinstance(dependant.call, Authorize):
                return frozenset(r.value for r in dependant.call.roles)
            if dependant.call is public:
                return frozenset()
        return None


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)
