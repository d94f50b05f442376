"""The Content-Security-Policy in a real browser: the main pages (log-in, home, upload with its XHR, snapshot,
trace page with the hop panel, the public share page) load without one CSP violation, and htmx still works (the
status poll, hop panels opened by click). A violation is caught twice: Chromium's console message and the
``securitypolicyviolation`` event, which an init script (Playwright's, outside the page's policy) reports.

Run: TRACER_REQUIRE_BROWSER=1 .venv/bin/python -m pytest tests/browser/test_csp_walkthrough.py -x -q
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest_live import LiveStack, example_files

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail, when required) before any test runs
    expect = None

pytestmark = pytest.mark.browser
Shot = Callable[[Any, str], Path]
URL = "https://shop.example.com/api/items?id=3"
PREFIX = "CSP-VIOLATION"
REPORT_VIOLATIONS = f"""
document.addEventListener("securitypolicyviolation", (e) => {{
  console.error("{PREFIX} " + e.effectiveDirective + " blocked " + (e.blockedURI || "inline") + " at " +
                e.sourceFile + ":" + e.lineNumber);
}});
"""


class Watch:
    """CSP reports of one page: its console messages about the policy and the violation events."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.reports: list[str] = []
        page.context.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, msg: Any) -> None:
        text = msg.text
        if text.startswith(PREFIX) or "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.reports.append(f"{self.page.url}: {text}")

    def take(self) -> list[str]:
        self.page.wait_for_timeout(200)  # console events arrive asynchronously
        found, self.reports = self.reports, []
        return found


def test_main_pages_load_without_csp_violations_and_htmx_works(
    stack: LiveStack, people: Any, shot: Shot
) -> None:
    anon = people.new_page()
    anon_watch = Watch(anon)
    resp = anon.goto("/login/")
    assert resp is not None and "default-src 'self'" in resp.headers["content-security-policy"]

    # The watch does see a violation: an inline script added to the page is refused and reported.
    anon.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
                  " document.body.appendChild(s); }")
    assert anon.evaluate("() => window.__ran") is None, "an inline script ran: no policy in force"
    caught = anon_watch.take()
    assert any(PREFIX in r and "script-src" in r for r in caught), caught

    alice = people.new_page()
    watch = Watch(alice)
    alice.goto("/login/")
    alice.get_by_test_id("login-username").fill("alice")
    alice.get_by_test_id("login-password").fill("alice-pw-3Kd9q")
    alice.get_by_test_id("login-submit").click()
    alice.wait_for_url(f"{stack.base}/")
    assert watch.take() == []

    # Upload through the page's script (an XHR with a progress bar), then the snapshot page.
    alice.get_by_test_id("nav-upload").click()
    alice.wait_for_url("**/snapshots/upload/")
    files = example_files("shop")
    alice.get_by_test_id("upload-name").fill("shop (CSP)")
    alice.get_by_test_id("upload-files").set_input_files([str(p) for p in files])
    expect(alice.get_by_test_id("upload-filelist").locator("li")).to_have_count(len(files))
    alice.get_by_test_id("upload-submit").click()
    alice.wait_for_url(re.compile(r"/snapshots/[0-9a-f-]{36}/$"))
    expect(alice.get_by_test_id("object-row").first).to_be_visible()
    assert watch.take() == []

    # A trace: its status partial polls with htmx until the result is swapped in.
    alice.get_by_test_id("scenario-url").fill(URL)
    alice.get_by_test_id("scenario-submit").click()
    alice.wait_for_url(re.compile(r"/traces/[0-9a-f-]{36}/$"))
    expect(alice.get_by_test_id("final-status")).to_have_text(re.compile(r"200"), timeout=60_000)
    trace_path = alice.url

    # The hop panel: an htmx partial opened by a click on a hop and on a diagram arrow.
    alice.get_by_test_id("hop-link-1").click()
    card = alice.get_by_test_id("hop-details").first.get_by_test_id("hop-detail")
    expect(card).to_have_attribute("data-hop", "1")
    alice.get_by_test_id("diagram-hop-2").click()
    expect(card).to_have_attribute("data-hop", "2")
    shot(alice, "40-csp-hop-panel")
    assert watch.take() == []

    # A public share link, opened by someone who is not logged in, with its own hop panel.
    alice.goto(trace_path)
    alice.get_by_test_id("share-visibility").select_option("public")
    alice.get_by_test_id("share-create").click()
    alice.get_by_test_id("share-understood").check()
    alice.get_by_test_id("share-confirm").click()
    public_url = alice.locator('[data-testid="share-link"][data-visibility="public"]').get_by_test_id(
        "share-url"
    ).input_value()
    assert watch.take() == []
    anon.goto(public_url)
    anon.get_by_test_id("diagram-hop-1").click()
    expect(anon.get_by_test_id("hop-detail")).to_have_attribute("data-hop", "1")
    shot(anon, "41-csp-share-page")
    assert anon_watch.take() == []

    # Home and the lists, last: nothing on them is refused either.
    for path in ("/", "/snapshots/", "/traces/", "/workspace/", "/tokens/", "/rules/"):
        alice.goto(path)
    assert watch.take() == []
    assert people.page_errors == []
