"""Swagger UI and ReDoc render the whole document in a real browser on a closed network.

Headless Chromium (Debian's `/usr/bin/chromium`, driven by Playwright) loads each page
from a live server on loopback; every request to another host is aborted and recorded.
"""

import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn

from services.api.main import create_app
from shared.settings import Environment, Settings

CHROMIUM = os.environ.get("TIDI_CHROMIUM", "/usr/bin/chromium")
RENDER_SECONDS = float(os.environ.get("TIDI_DOCS_RENDER_SECONDS", "60"))
"""How long a page may take to render every operation before the test gives up: a bound on
"it renders at all", not a speed target (those live in bench/)."""
"""The render budget of each page (a slower machine may set a larger one)."""
LOOPBACK = "127.0.0.1"

if shutil.which(CHROMIUM) is None and not os.environ.get("CI"):
    pytest.skip(
        f"no Chromium at {CHROMIUM} (apt-get install chromium); in CI this test must run",
        allow_module_level=True,
    )
if not os.environ.get("CI"):
    pytest.importorskip("playwright", reason="the playwright package is not installed")

import httpx  # noqa: E402
from playwright.async_api import Browser, Page, Route, async_playwright  # noqa: E402


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The API on a free loopback port (no database: the pages need only the document)."""
    settings = Settings(
        ENVIRONMENT=Environment.TEST,
        DATABASE_URL="postgresql+asyncpg://docs/unused",  # type: ignore[arg-type]
        REDIS_URL="redis://docs",  # type: ignore[arg-type]
        _env_file=None,
    )
    sock = socket.socket()
    sock.bind((LOOPBACK, 0))
    config = uvicorn.Config(create_app(settings), lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://{LOOPBACK}:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        await launched.close()


@pytest.fixture(scope="module")
def operation_ids(base_url: str) -> set[str]:
    """The operationId of every operation and webhook of the served document."""
    document = httpx.get(f"{base_url}/openapi.json", timeout=60).json()
    items = [*document["paths"].values(), *document["webhooks"].values()]
    return {op["operationId"] for item in items for op in item.values() if "operationId" in op}


@dataclass
class Visit:
    """What a page did: requests to other hosts (aborted), uncaught script errors."""

    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def _open(browser: Browser, url: str) -> tuple[Page, Visit]:
    page = await browser.new_page()
    visit = Visit()

    async def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == LOOPBACK:
            await route.continue_()
        else:
            visit.outside.append(route.request.url)
            await route.abort()

    await page.route("**/*", only_loopback)
    page.on("pageerror", lambda error: visit.errors.append(str(error)))
    await page.goto(url)
    return page, visit


async def _rendered(page: Page, selector: str, attribute: str, prefix: str) -> set[str]:
    values: list[Any] = await page.eval_on_selector_all(
        selector, f"(nodes) => nodes.map((node) => node.getAttribute({attribute!r}))"
    )
    return {v.removeprefix(prefix) for v in values if isinstance(v, str)}


async def test_redoc_renders_every_operation_offline(
    browser: Browser, base_url: str, operation_ids: set[str]
) -> None:
    page, visit = await _open(browser, f"{base_url}/redoc")
    await page.wait_for_function(
        "(n) => document.querySelectorAll('[data-section-id^=\"operation/\"]').length >= n",
        arg=len(operation_ids),
        timeout=RENDER_SECONDS * 1000,
    )
    sections = await _rendered(page, "[data-section-id]", "data-section-id", "operation/")
    assert operation_ids <= sections
    assert visit.outside == []
    assert visit.errors == []
    await page.close()


async def test_swagger_ui_renders_every_operation_offline(
    browser: Browser, base_url: str, operation_ids: set[str]
) -> None:
    page, visit = await _open(browser, f"{base_url}/docs")
    await page.wait_for_function(
        "(n) => document.querySelectorAll('.opblock').length >= n",
        arg=len(operation_ids),
        timeout=RENDER_SECONDS * 1000,
    )
    blocks = await _rendered(page, ".opblock-summary-operation-id, .opblock", "id", "operations-")
    assert len(blocks) >= len(operation_ids)
    assert await page.locator(".errors-wrapper").count() == 0
    assert visit.outside == []
    assert visit.errors == []
    await page.close()
