"""Bodies the JSON parser gives up on are 400 problems with a pointer and a clear detail,
and write nothing (the other malformed bodies: tests/api/test_errors.py)."""

import sys

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.fixtures.api import auth
from tests.fixtures.builders import Key
from tests.fixtures.http import assert_problem, count_rows

TOO_LONG = sys.get_int_max_str_digits()
UNPARSABLE = {
    "deep-nesting": (b'{"code": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
    "invalid-utf8": (b'{"code": "ti-\xff\xfe", "name": "x"}', "not valid UTF-8 (byte offset 13)"),
    "10**4300": (b'{"code": 1' + b"0" * TOO_LONG + b"}", f"more than {TOO_LONG} digits"),
}


@pytest.mark.parametrize("path", ["/v1/territories", "/v1/operators"])
@pytest.mark.parametrize(("raw", "says"), UNPARSABLE.values(), ids=UNPARSABLE.keys())
async def test_an_unparsable_body_is_400_malformed_json_with_a_pointer(
    client: httpx.AsyncClient,
    admin_key: Key,
    sessionmaker: async_sessionmaker[AsyncSession],
    path: str,
    raw: bytes,
    says: str,
) -> None:
    before = await count_rows(sessionmaker)

    response = await client.post(
        path, content=raw, headers={**auth(admin_key.secret), "Content-Type": "application/json"}
    )

    body = assert_problem(response, 400)
    assert body["type"].endswith("/malformed-json"), body
    assert says in body["detail"], body
    [error] = body["errors"]
    assert error == {"pointer": "/body", "detail": body["detail"], "type": "json_invalid"}
    assert await count_rows(sessionmaker) == before
