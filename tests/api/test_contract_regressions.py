import httpx
import pytest

from tests.fixtures.api import auth
from tests.fixtures.builders import Key


class TestMethodNotAllowed:
    @pytest.mark.parametrize(
        ("path", "expected"),
        [
            ("/v1/api-keys", "GET, POST"),
            ("/v1/projects", "GET, POST"),
            ("/v1/territories/5b0c6f0e-8a52-4a55-9a50-2f4f1d7d3a11", "GET, PATCH"),
        ],
    )
    async def test_allow_lists_every_method_of_the_path(
        self, client: httpx.AsyncClient, path: str, expected: str
    ) -> None:
        response = await client.request("OPTIONS", path)
        assert response.status_code == 405
        assert response.headers["allow"] == expected


class TestProjectSorts:
    @pytest.mark.parametrize("sort", ["title", "-title", "created_at", "-updated_at"])
    async def test_every_documented_sort_is_served(
        self, client: httpx.AsyncClient, admin_key: Key, sort: str
    ) -> None:
        response = await client.get(
            "/v1/projects", params={"sort": sort}, headers=auth(admin_key.secret)
        )
        assert response.status_code == 200, response.text


class TestIfMatchShape:
    async def test_a_non_etag_if_match_is_a_422_with_its_pointer(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.patch(
            "/v1/operators/bpifrance",
            json={"description": "x"},
            headers={**auth(admin_key.secret), "If-Match": "v3"},
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["pointer"] == "/header/If-Match"
