"""The snapshot page's route table in the browser: filter it (htmx, the address bar follows), read it on a
phone, then "Trace this" fills the scenario form and the submitted trace finishes. Screenshots in
test-output/screenshots/.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest_live import example_files

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail, when required) before any test runs
    expect = None

pytestmark = pytest.mark.browser

Shot = Callable[[Any, str], Path]
UUID = r"[0-9a-f-]{36}"
# The right edge of the widest element of the page, the object list's table aside.
WIDEST_OUTSIDE_OBJECTS = """() => Math.max(...[...document.querySelectorAll('body *')]
    .filter(e => !e.closest('[data-testid="objects"]'))
    .map(e => e.getBoundingClientRect().right))"""


def _finished(page: Any, timeout: float = 60) -> str:
    status = page.get_by_test_id("trace-status")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = status.get_attribute("data-state")
        if state in ("done", "failed"):
            return str(state)
        page.wait_for_timeout(100)
    raise AssertionError(f"the trace did not finish within {timeout} s")


@pytest.mark.usefixtures("stack")
def test_filter_routes_then_trace_one(people: Any, shot: Shot) -> None:
    alice = people.login("alice")
    alice.goto("/snapshots/upload/")
    alice.get_by_test_id("upload-name").fill("shop routes")
    alice.get_by_test_id("upload-files").set_input_files([str(p) for p in example_files("shop")])
    alice.get_by_test_id("upload-submit").click()
    alice.wait_for_url(re.compile(rf"/snapshots/{UUID}/$"))
    snapshot_path = urlsplit(alice.url).path

    routes = alice.get_by_test_id("snapshot-routes")
    rows = routes.get_by_test_id("route-row")
    expect(rows).to_have_count(5)
    expect(alice.get_by_test_id("routes-total")).to_have_text("5")

    # htmx filters in place and keeps the address bar in step (a reload shows the same rows).
    alice.evaluate("window.__samePage = true")
    alice.get_by_test_id("routes-problems").check()
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_test_id("route-problem")).to_contain_text("selector matches nothing")
    expect(rows.first.get_by_test_id("route-host")).to_have_text("*.shop.example.com")
    assert parse_qs(urlsplit(alice.url).query) == {"rproblems": ["1"]}
    alice.get_by_test_id("routes-problems").uncheck()
    expect(rows).to_have_count(5)
    alice.get_by_test_id("routes-q").press_sequentially("cart", delay=30)
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_test_id("route-path")).to_have_text("/cart")
    assert parse_qs(urlsplit(alice.url).query) == {"rq": ["cart"]}
    assert urlsplit(alice.url).path == snapshot_path  # the page's own address, not the partial's
    assert alice.evaluate("window.__samePage") is True, "filtered by htmx, not a reload"
    shot(alice, "routes-1-filtered")

    # The whole list on a phone: each row is a block of labelled lines and nothing of it is wider than the
    # screen. (The object list further down is measured apart: its file:line column is not this table's.)
    alice.get_by_test_id("routes-q").fill("")
    alice.get_by_test_id("routes-q").press("Enter")
    expect(rows).to_have_count(5)
    alice.set_viewport_size({"width": 390, "height": 844})
    alice.wait_for_timeout(200)
    assert alice.evaluate(WIDEST_OUTSIDE_OBJECTS) <= 390
    assert routes.evaluate("e => e.scrollWidth <= e.clientWidth")
    page_shot = shot(alice, "routes-2-phone")  # the whole page, then the routes section alone beside it
    routes.screenshot(path=str(page_shot.with_name("routes-2-phone-section.png")))
    alice.set_viewport_size({"width": 1280, "height": 900})

    # A reload of the pushed address shows the same filtered rows, without JavaScript's help.
    alice.goto(f"{snapshot_path}?rq=cart#routes")
    expect(rows).to_have_count(1)
    expect(alice.get_by_test_id("routes-q")).to_have_value("cart")

    # "Trace this" fills the scenario form; the submitted trace finishes.
    rows.first.get_by_test_id("route-trace").click()
    alice.wait_for_url(re.compile(rf"/snapshots/{UUID}/\?url="))
    expect(alice.get_by_test_id("scenario-url")).to_have_value("https://shop.example.com/cart")
    expect(alice.get_by_test_id("scenario-method")).to_have_value("GET")
    assert alice.locator("#scenario-url-suggestions option").count() == 2  # shop and the wildcard's example host
    alice.get_by_test_id("scenario-submit").click()
    alice.wait_for_url(re.compile(rf"/traces/{UUID}/$"))
    assert _finished(alice) == "done"
    expect(alice.get_by_test_id("final-status")).to_have_text(re.compile(r"200"))
    shot(alice, "routes-3-traced")
    assert not people.page_errors, people.page_errors
