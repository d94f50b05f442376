"""Fixtures for the browser tests: a live stack (Redis, SQLite file, web, one slow-ish worker) and headless
Chromium through Playwright. Screenshots go to test-output/screenshots/.

Without Playwright or Chromium the tests skip with the reason, for a developer running a subset; the test
command sets TRACER_REQUIRE_BROWSER=1, and then they fail instead, so a missing browser never passes silently.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest_live import SCREENSHOTS, LiveStack, start_stack

try:
    from playwright import sync_api as playwright_sync
except ImportError:
    playwright_sync = None

REQUIRE_BROWSER = os.environ.get("TRACER_REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("TRACER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USERS = {
    "alice": "alice-pw-3Kd9q",  # the new user, owner of her workspace
    "bob": "bob-pw-8Lm2w",  # the teammate she adds to it
    "eve": "eve-pw-5Zx7c",  # an outsider with an account
}
# The worker waits this long before storing a result, so the page shows the trace queued/running first.
TASK_DELAY = "2"


def browser_unavailable(reason: str) -> NoReturn:
    """Fail when the browser suite is required (TRACER_REQUIRE_BROWSER=1), else skip, saying why."""
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason}; TRACER_REQUIRE_BROWSER=1 makes the browser tests mandatory", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[LiveStack]:
    """The stack exists for the browser: asking for the browser first reports a missing one at once."""
    live = start_stack(tmp_path_factory.mktemp("live-browser"), USERS)
    try:
        live.start_worker({"TRACER_TASK_DELAY_SECONDS": TASK_DELAY})
        yield live
    finally:
        live.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Checked before the stack starts, so a missing browser is reported at once."""
    if playwright_sync is None:
        browser_unavailable("Playwright is not installed (pip install -r requirements-dev.txt)")
    if not Path(CHROMIUM).exists():
        browser_unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set TRACER_CHROMIUM)")
    with playwright_sync.sync_playwright() as pw:
        # Playwright gives every launch a fresh temporary profile (user data dir).
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class Contexts:
    """Browser contexts (one per person) for a test; JS errors are collected for the assertions."""

    def __init__(self, browser: Any, base: str) -> None:
        self.browser = browser
        self.base = base
        self.contexts: list[Any] = []
        self.page_errors: list[str] = []

    def new_page(self) -> Any:
        ctx = self.browser.new_context(base_url=self.base, viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(60_000)
        self.contexts.append(ctx)
        page = ctx.new_page()
        page.on("pageerror", lambda exc: self.page_errors.append(f"{page.url}: {exc}"))
        return page

    def login(self, username: str) -> Any:
        page = self.new_page()
        login(page, username)
        return page

    def close(self) -> None:
        for ctx in self.contexts:
            with contextlib.suppress(Exception):
                ctx.close()


def login(page: Any, username: str) -> None:
    page.goto("/login/")
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(USERS[username])
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.fixture
def people(request: pytest.FixtureRequest, browser: Any, stack: LiveStack) -> Iterator[Contexts]:
    contexts = Contexts(browser, stack.base)
    yield contexts
    failed = any(getattr(getattr(request.node, f"rep_{w}", None), "failed", False) for w in ("setup", "call"))
    if failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for n, ctx in enumerate(contexts.contexts):
            for m, page in enumerate(ctx.pages):
                with contextlib.suppress(Exception):
                    path = SCREENSHOTS / f"FAILED-{request.node.name}-{n}-{m}.png"
                    page.screenshot(path=str(path), full_page=True)
                    print(f"failure screenshot: {path} ({page.url})")
        print(f"page errors: {contexts.page_errors}")
        print(f"\n===== subprocess logs ({stack.dir}) =====\n{stack.logs()}")
    contexts.close()


@pytest.fixture(scope="session")
def shot() -> Callable[[Any, str], Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
