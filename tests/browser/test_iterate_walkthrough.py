"""Iterating in the browser: a plain-HTTP request that the shop redirects to HTTPS, the redirect followed from
the trace page, the followed request edited (a canary header) and traced again, compared with its original,
and re-run on a second snapshot (a Service selector typo) side by side; the snapshot diff then names the
request whose outcome changes. Screenshots in test-output/screenshots/iterate-*.png.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest_live import example_files

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail, when required) before any test runs
    expect = None

pytestmark = pytest.mark.browser

Shot = Callable[[Any, str], Path]
UUID = r"[0-9a-f-]{36}"
TRACE_PAGE = re.compile(rf"/traces/({UUID})/$")


def _finished(page: Any, testid: str, timeout: float = 60) -> str:
    box = page.get_by_test_id(testid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = box.get_attribute("data-state")
        if state in ("done", "failed"):
            return state
        page.wait_for_timeout(100)
    raise AssertionError(f"{testid} did not finish within {timeout} s")


def _upload(page: Any, name: str, files: list[Path]) -> str:
    page.goto("/snapshots/upload/")
    page.get_by_test_id("upload-name").fill(name)
    page.get_by_test_id("upload-files").set_input_files([str(p) for p in files])
    page.get_by_test_id("upload-submit").click()
    page.wait_for_url(re.compile(rf"/snapshots/{UUID}/$"))
    return re.search(UUID, page.url).group(0)  # type: ignore[union-attr]


def _new_trace_page(page: Any, before: str = "") -> str:
    """Wait for a trace page (other than that of trace ``before``) and for its result."""
    page.wait_for_url(lambda url: TRACE_PAGE.search(url) is not None and not (before and before in url))
    assert _finished(page, "trace-status") == "done"
    return TRACE_PAGE.search(page.url).group(1)  # type: ignore[union-attr]


def _no_sideways_scroll(page: Any, shot: Shot, name: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(200)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, name)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.usefixtures("stack")
def test_follow_edit_and_rerun_side_by_side(people: Any, shot: Shot, tmp_path: Path) -> None:
    alice = people.login("alice")
    shop = _upload(alice, "shop v1", example_files("shop"))

    # -- a plain-HTTP request: the shop redirects it to HTTPS (308), and the page offers the next request
    alice.get_by_test_id("scenario-url").fill("http://shop.example.com/products")
    alice.get_by_test_id("scenario-submit").click()
    first = _new_trace_page(alice)
    expect(alice.get_by_test_id("final-status").first).to_contain_text("308")
    expect(alice.get_by_test_id("follow-next")).to_have_text("GET https://shop.example.com/products")
    shot(alice, "iterate-1-redirect")

    # -- follow it: a new trace of the next request on the same snapshot, linked back
    alice.get_by_test_id("follow-redirect").click()
    followed = _new_trace_page(alice, first)
    expect(alice.get_by_test_id("trace-title")).to_have_text("GET https://shop.example.com/products")
    expect(alice.get_by_test_id("final-status").first).to_contain_text("200")
    expect(alice.get_by_test_id("trace-origin")).to_contain_text("Redirected from")
    expect(alice.get_by_test_id("follow-redirect")).to_have_count(0)
    shot(alice, "iterate-2-followed")

    # -- edit and trace again: the form holds the request; add the canary header
    alice.get_by_test_id("edit-retrace").click()
    alice.wait_for_url(re.compile(rf"/traces/{followed}/edit/$"))
    expect(alice.get_by_test_id("scenario-url")).to_have_value("https://shop.example.com/products")
    expect(alice.get_by_test_id("scenario-method")).to_have_value("GET")
    alice.get_by_test_id("scenario-headers").fill("X-Canary: always")
    shot(alice, "iterate-3-edit")
    _no_sideways_scroll(alice, shot, "iterate-3-edit-phone")
    alice.get_by_test_id("edit-submit").click()
    edited = _new_trace_page(alice, followed)
    expect(alice.get_by_test_id("trace-origin")).to_contain_text("Edited from")

    # -- compared with the original: both 200; what the two ask differently (the header) and the first differing
    # hop (the canary Service) are shown
    alice.get_by_test_id("compare-original").click()
    alice.wait_for_url(re.compile(rf"/traces/{edited}/compare/$"))
    assert _finished(alice, "comparison") == "done"
    expect(alice.get_by_test_id("compare-title")).to_have_text("Side by side")
    expect(alice.get_by_test_id("before-outcome")).to_have_text("200 OK")
    expect(alice.get_by_test_id("after-outcome")).to_have_text("200 OK")
    expect(alice.locator("tr[data-first='true']")).to_have_count(1)
    expect(alice.get_by_test_id("compare-asked")).to_contain_text("X-Canary: always")
    expect(alice.get_by_test_id("compare-hops")).to_contain_text("web-canary")
    shot(alice, "iterate-4-edit-compared")

    # -- a second snapshot with a selector typo; re-run the followed request on it: side by side
    broken = tmp_path / "shop-v2"
    broken.mkdir()
    for f in example_files("shop"):
        text = f.read_text().replace("selector: {app: web, track: stable}", "selector: {app: web, track: stabel}")
        (broken / f.name).write_text(text)
    v2 = _upload(alice, "shop v2", sorted(broken.iterdir()))
    alice.goto(f"/traces/{followed}/")
    alice.get_by_test_id("rerun-snapshot").select_option(v2)
    alice.get_by_test_id("rerun-submit").click()
    alice.wait_for_url(re.compile(rf"/traces/{UUID}/compare/$"))
    assert _finished(alice, "comparison") == "done"
    expect(alice.get_by_test_id("compare-title")).to_have_text("Side by side: shop v1 → shop v2")
    expect(alice.get_by_test_id("before-outcome")).to_have_text("200 OK")
    expect(alice.get_by_test_id("after-outcome")).to_have_text("503 Service Unavailable")
    expect(alice.locator("tr[data-first='true']")).to_have_count(1)
    shot(alice, "iterate-5-rerun-side-by-side")
    _no_sideways_scroll(alice, shot, "iterate-6-rerun-phone")
    # The re-run's page links back to the comparison.
    alice.get_by_role("link", name="open").nth(1).click()
    alice.wait_for_url(TRACE_PAGE)
    _finished(alice, "trace-status")
    expect(alice.get_by_test_id("trace-origin")).to_contain_text("Re-run of")
    expect(alice.get_by_test_id("compare-original")).to_have_text("Compare with the original")

    # -- the snapshot diff runs the saved requests on both and names the one whose outcome changes
    alice.goto(f"/snapshots/{shop}/diff/?other={v2}")
    # Both HTTPS requests now fail: ingress-nginx answers 503 from the main backend, canary header or not.
    changes = alice.get_by_test_id("outcome-change")
    expect(changes).to_have_count(2)
    expect(changes.first).to_contain_text("GET https://shop.example.com/products")
    expect(changes.first.get_by_test_id("outcome-after")).to_have_text("503 Service Unavailable")
    expect(changes.nth(1).get_by_test_id("outcome-asked")).to_have_text("Headers: X-Canary: always")
    expect(changes.nth(1).get_by_test_id("outcome-trace-compare")).to_have_text("Trace on shop v2 and compare")
    expect(alice.get_by_test_id("diff-outcomes-summary")).to_contain_text("Ran 3 of the 3 requests")
    shot(alice, "iterate-7-diff-outcomes")
    changes.first.get_by_test_id("outcome-compare").click()
    alice.wait_for_url(re.compile(rf"/traces/{UUID}/compare/\?with={UUID}$"))
    expect(alice.get_by_test_id("after-outcome")).to_have_text("503 Service Unavailable")
    _no_sideways_scroll(alice, shot, "iterate-8-diff-compare-phone")
    assert not people.page_errors, people.page_errors
