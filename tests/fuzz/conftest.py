"""The API served on a loopback port, and the records the contract fuzzer's requests name.

The fuzzer speaks HTTP to a real uvicorn server (its own event loop, in a thread) over the
test database. Each path parameter's value is a record created through the API by the
creation operation whose OpenAPI `links` name that parameter (`createApplication` links
`application_id` to `$response.body#/id`), created on first use in each test; reference
data (regions, communes, the acceleration fund) comes from the seed.
"""

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn

from services.api.main import create_app
from shared.eligibility.rules.rulesets import shipped_ruleset
from shared.principal import Role
from shared.settings import Environment, Settings
from tests.fixtures.api import auth
from tests.fixtures.bodies import PONTIVY_COMMUNE, application_body, project_body
from tests.fixtures.builders import PONTIVY_EPCI, MakeKey, MakeTerritory

FUND = "fonds-acceleration"
OPERATOR = "bpifrance"  # runs FUND: its key sees FUND's applications and its own endpoints
REFERENCE = {
    "region_code": "53",
    "department_code": "56",
    "siren": PONTIVY_EPCI,
    "insee_code": PONTIVY_COMMUNE,
    "fund_code": FUND,
}
"""Path parameters naming seeded reference data rather than a record of the test's."""


def _document() -> dict[str, Any]:
    """The OpenAPI document, built without a database (the live API serves the same)."""
    settings = Settings(
        ENVIRONMENT=Environment.TEST,
        DATABASE_URL="postgresql+asyncpg://contract/unused",  # type: ignore[arg-type]
        REDIS_URL="redis://contract",  # type: ignore[arg-type]
        _env_file=None,
    )
    return create_app(settings).openapi()


DOCUMENT = _document()


@pytest.fixture(scope="session")
def live_api(engine: Any, test_settings: Settings) -> Iterator[str]:
    """The API served by uvicorn on a free loopback port (in a thread); yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(test_settings),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
        )
    )
    thread = threading.Thread(target=server.run, name="fuzz-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "the API did not start"
        assert time.monotonic() < deadline, "the API did not start within 60 s"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class World:
    """A key per role, and a record for each path parameter, created on first use.

    Records are created by an admin through the API, in the key's territory and under the
    key's operator, so each role may reach them; the suite truncates them after the test.
    """

    def __init__(
        self, url: str, document: dict[str, Any], secrets: dict[Role, str], territory_id: str
    ) -> None:
        self.url = url
        self.document = document
        self.secrets = secrets
        self.values: dict[str, str] = {**REFERENCE, "territory_id": territory_id}
        self._creators: dict[str, Callable[[httpx.Client], object]] = {
            "project_id": self._project,
            "application_id": self._application,
            "operator_code": lambda c: self._create(c, "/v1/operators", _OPERATOR),
            "key_id": lambda c: self._create(c, "/v1/api-keys", _KEY),
            "rule_id": lambda c: self._create(c, "/v1/webhook-routing-rules", _RULE),
            "endpoint_id": lambda c: self._create(c, "/v1/webhook-endpoints", _ENDPOINT),
            "delivery_id": self._delivery,
            "recovery_id": self._recovery,
            "version": lambda c: self._create(
                c, "/v1/funds/{fund_code}/rulesets", shipped_ruleset(FUND).model_dump(mode="json")
            ),
        }

    def headers(self, role: Role) -> dict[str, str]:
        """The Authorization header of `role`'s key."""
        return auth(self.secrets[role])

    def value(self, name: str) -> str | None:
        """The value of path parameter `name`, creating its record if needed; None if unknown."""
        if name not in self.values and name in self._creators:
            with httpx.Client(base_url=self.url, headers=self.headers(Role.ADMIN)) as client:
                self._creators[name](client)
        return self.values.get(name)

    def _create(self, client: httpx.Client, collection: str, body: object) -> dict[str, Any]:
        """POST `body` to `collection`, and record the path parameters its links give."""
        known = {name: self.value(name) for name in _placeholders(collection)}
        response = client.post(collection.format(**known), json=body)
        assert response.status_code == 201, (collection, response.status_code, response.text)
        answer: dict[str, Any] = response.json()
        links = self.document["paths"][collection]["post"]["responses"]["201"].get("links", {})
        for link in links.values():
            for name, expression in link["parameters"].items():
                if expression.startswith("$response.body#/"):
                    self.values[name] = str(answer[expression.removeprefix("$response.body#/")])
        return answer

    def _project(self, client: httpx.Client) -> None:
        """An active project (applications need one) of the territory."""
        body = project_body(uuid.UUID(self.values["territory_id"]))
        project = self._create(client, "/v1/projects", body)
        for action in ("submit", "accept"):
            response = client.post(
                f"/v1/projects/{project['id']}/{action}",
                headers={"If-Match": f'"{project["version"]}"'},
            )
            assert response.status_code == 200, (action, response.text)
            project = response.json()

    def _application(self, client: httpx.Client) -> None:
        self._create(client, "/v1/applications", application_body(self.value("project_id")))

    def _delivery(self, client: httpx.Client) -> None:
        response = client.post(f"/v1/webhook-endpoints/{self.value('endpoint_id')}/ping")
        assert response.status_code == 202, response.text
        self.values["delivery_id"] = response.json()["delivery_id"]

    def _recovery(self, client: httpx.Client) -> None:
        since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
        response = client.post(
            f"/v1/webhook-endpoints/{self.value('endpoint_id')}/recoveries", json={"since": since}
        )
        assert response.status_code == 202, response.text
        self.values["recovery_id"] = response.json()["id"]


def _placeholders(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


_OPERATOR = {"code": "op-fuzz", "name": "Opérateur du fuzzer", "kind": "state"}
_KEY = {"name": "a key the fuzzer may revoke", "role": "observer"}
_RULE = {"operator_code": OPERATOR, "field": "priority", "value": "recrutement"}
_ENDPOINT = {"url": "http://127.0.0.1:9/hook", "operator_code": OPERATOR}


@pytest.fixture
async def world(
    live_api: str,
    make_key: MakeKey,
    make_territory: MakeTerritory,
    open_fund_windows: None,
) -> World:
    """Keys of the three roles (the territory one bound to a new territory, the operator one
    to the fund's operator); records are created when a request first names them.
    """
    territory = await make_territory()
    secrets = {
        Role.ADMIN: (await make_key(Role.ADMIN, name="fuzz admin")).secret,
        Role.TERRITORY: (
            await make_key(Role.TERRITORY, territory_id=territory.id, name="fuzz territory")
        ).secret,
        Role.OPERATOR: (
            await make_key(Role.OPERATOR, operator_code=OPERATOR, name="fuzz operator")
        ).secret,
    }
    return World(live_api, DOCUMENT, secrets, str(territory.id))
