"""The hop panel in the browser: a failing trace with its deciding hop marked, a hop opened by click beside the
diagram with its pushed URL copied and opened in a fresh context, keyboard-only opening (Tab, Enter, Escape) and
the page at 390 px with the vertical diagram. Screenshots in test-output/screenshots/.

Run: TRACER_REQUIRE_BROWSER=1 .venv/bin/python -m pytest tests/browser/test_hop_panel_walkthrough.py -x -q
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest_live import LiveStack

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip (or fail, when required) before any test runs
    expect = None

pytestmark = pytest.mark.browser
Shot = Callable[[Any, str], Path]
WIDE = {"width": 1600, "height": 1000}
PHONE = {"width": 390, "height": 844}
CONTROLLER, SERVICE = 3, 4  # browser, DNS, load balancer, then the controller that answers 503 itself
# Service web selects nothing (its pods carry app=wbe): ingress-nginx answers 503 itself.
NO_ENDPOINTS = (Path(__file__).resolve().parents[1] / "web" / "no_endpoints.yaml").read_text()


@pytest.fixture(scope="module")
def failing_trace(stack: LiveStack, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The path of a finished trace of alice's that ends in ingress-nginx's own 503."""
    manifest = tmp_path_factory.mktemp("hop-panel") / "shop.yaml"
    manifest.write_text(NO_ENDPOINTS)
    token = stack.api_token("alice")
    snapshot = stack.upload_snapshot(token, [manifest], "no endpoints (hop panel)", root=manifest.parent)
    resp = stack.submit_trace(token, snapshot["id"], "http://shop.example.com/")
    assert resp.status == 202, resp
    done = stack.wait_state(token, resp.json()["id"])
    assert done["state"] == "done", done
    return f"/traces/{done['id']}/"


def focused(page: Any) -> str:
    return str(page.evaluate("document.activeElement && (document.activeElement.id || document.activeElement.dataset.testid || document.activeElement.tagName)"))


def test_the_deciding_hop_is_marked_and_a_clicked_hop_is_a_link_to_share(
    people: Any, shot: Shot, failing_trace: str
) -> None:
    alice = people.login("alice")
    alice.context.grant_permissions(["clipboard-read", "clipboard-write"])
    alice.set_viewport_size(WIDE)
    alice.goto(failing_trace)
    expect(alice.get_by_test_id("final-status")).to_have_text("503 Service Unavailable")

    # Only the controller carries the 503 and the mark, in the list and in the diagram.
    hops = alice.get_by_test_id("hop-list").locator("li")
    count = hops.count()
    assert count == 6, count
    expect(alice.get_by_test_id("decided-here")).to_have_count(1)
    expect(alice.get_by_test_id(f"hop-link-{CONTROLLER}").get_by_test_id("decided-here")).to_be_visible()
    expect(alice.get_by_test_id(f"hop-link-{CONTROLLER}").get_by_test_id("hop-status")).to_have_text(
        "503 Service Unavailable"
    )
    expect(alice.get_by_test_id("hop-verdict-0")).to_have_text("forwarded")
    svg = alice.get_by_test_id("flow-svg")
    decided = svg.get_by_test_id("diagram-decided")
    expect(decided).to_have_count(1)
    expect(decided.locator("text.hop-label")).to_have_text("503 Service Unavailable")
    expect(decided.locator("text.decided-mark")).to_have_text("◆ decided here")
    for i in range(count):
        if i != CONTROLLER:
            label = svg.get_by_test_id(f"diagram-hop-{i}").locator("text.hop-label").text_content() or ""
            assert "503" not in label, (i, label)
    # The badge never covers the component name: their boxes do not overlap.
    row = alice.get_by_test_id(f"hop-link-{CONTROLLER}")
    name, badge = row.locator(".hop-who").bounding_box(), row.get_by_test_id("hop-status").bounding_box()
    assert name and badge and (badge["x"] >= name["x"] + name["width"] or badge["y"] >= name["y"] + name["height"])
    shot(alice, "30-hop-panel-decided")

    # A hop opened by click: beside the diagram, in view, its heading focused, the URL pushed.
    details = alice.get_by_test_id("hop-details")
    expect(details).to_be_empty()
    alice.get_by_test_id(f"hop-link-{SERVICE}").click()
    card = details.get_by_test_id("hop-detail")
    expect(card).to_have_attribute("data-hop", str(SERVICE))
    alice.wait_for_url(re.compile(rf"\?hop=0\.{SERVICE}$"))
    expect(card).to_be_in_viewport()
    assert focused(alice) == f"hop-heading-0-{SERVICE}"
    panel, diagram = alice.locator("#hop-panel-0").bounding_box(), svg.bounding_box()
    assert panel and diagram and panel["x"] >= diagram["x"] + diagram["width"] - 1, (panel, diagram)
    expect(card.locator("a.rule-link").first).to_have_attribute("href", re.compile(r"/rules/[^#]+#"))
    expect(card.get_by_test_id("hop-details-kv")).not_to_contain_text('": ')
    shot(alice, "31-hop-panel-open")

    # The copied link is the pushed URL; opened in a fresh context it shows the same hop, already open.
    card.get_by_test_id("hop-copy-link").click()
    expect(card.get_by_test_id("hop-copy-link")).to_have_text("Copied")
    copied = str(alice.evaluate("navigator.clipboard.readText()"))
    assert copied == alice.url and copied.endswith(f"{failing_trace}?hop=0.{SERVICE}"), (copied, alice.url)
    fresh = people.login("alice")
    fresh.set_viewport_size(WIDE)
    fresh.goto(copied)
    again = fresh.get_by_test_id("hop-details").get_by_test_id("hop-detail")
    expect(again).to_have_attribute("data-hop", str(SERVICE))
    expect(again).to_be_in_viewport()
    expect(fresh.locator(f"#hop-0-{SERVICE}")).to_have_class(re.compile(r"\bselected\b"))
    shot(fresh, "32-hop-panel-deep-link")

    # A diagram arrow and a diagnosis open their hops too; the Close button empties the panel.
    svg.get_by_test_id(f"diagram-hop-{CONTROLLER}").click()
    expect(card).to_have_attribute("data-hop", str(CONTROLLER))
    alice.wait_for_url(re.compile(rf"\?hop=0\.{CONTROLLER}$"))
    first = alice.get_by_test_id("diagnosis").first
    expect(first).to_have_attribute("data-severity", "error")
    first.get_by_test_id("diagnosis-hop-link").click()
    expect(card).to_have_attribute("data-hop", first.get_attribute("data-hop") or "")
    expect(card).to_be_in_viewport()
    card.get_by_test_id("hop-close").click()
    expect(details).to_be_empty()
    assert "hop=" not in alice.url
    assert not people.page_errors, people.page_errors


def test_keyboard_only_skip_link_open_and_escape(people: Any, shot: Shot, failing_trace: str) -> None:
    alice = people.login("alice")
    alice.set_viewport_size(WIDE)
    alice.goto(failing_trace)
    expect(alice.get_by_test_id("hop-list")).to_be_visible()
    alice.locator("body").focus()
    alice.keyboard.press("Tab")
    assert focused(alice) == "skip-to-result", "the skip link is the first stop"
    expect(alice.get_by_test_id("skip-to-result")).to_be_in_viewport()
    alice.keyboard.press("Enter")
    assert focused(alice) == "trace-result"
    # Tab on to the first hop; the diagram's arrows are not tab stops (the list is their keyboard twin).
    for _ in range(40):
        alice.keyboard.press("Tab")
        if focused(alice) == "hop-link-0":
            break
    assert focused(alice) == "hop-link-0"
    alice.keyboard.press("Tab")
    alice.keyboard.press("Tab")
    assert focused(alice) == "hop-link-2"
    alice.keyboard.press("Enter")
    card = alice.get_by_test_id("hop-details").get_by_test_id("hop-detail")
    expect(card).to_have_attribute("data-hop", "2")
    expect(alice.locator("#hop-heading-0-2")).to_be_focused()
    alice.wait_for_url(re.compile(r"\?hop=0\.2$"))
    shot(alice, "33-hop-panel-keyboard")
    alice.keyboard.press("Escape")
    expect(alice.get_by_test_id("hop-details")).to_be_empty()
    expect(alice.get_by_test_id("hop-link-2")).to_be_focused()
    assert "hop=" not in alice.url
    assert not people.page_errors, people.page_errors


def test_the_trace_page_at_390_px(people: Any, shot: Shot, failing_trace: str) -> None:
    alice = people.login("alice")
    alice.set_viewport_size(PHONE)
    alice.goto(failing_trace)
    expect(alice.get_by_test_id("final-status")).to_be_visible()
    assert alice.evaluate("document.documentElement.scrollWidth") <= 390
    # The vertical diagram, at its native size: 12 px text, never under 11 px.
    expect(alice.get_by_test_id("flow-svg")).to_be_hidden()
    vertical = alice.get_by_test_id("flow-svg-vertical")
    expect(vertical).to_be_visible()
    scale = alice.evaluate(
        "() => { const s = document.querySelector('[data-testid=flow-svg-vertical]');"
        " return s.getBoundingClientRect().width / s.viewBox.baseVal.width; }"
    )
    assert 12 * scale >= 11, scale
    expect(vertical.get_by_test_id("vdiagram-decided")).to_contain_text("503 Service Unavailable")
    page_shot = shot(alice, "34-hop-panel-phone")
    vertical.screenshot(path=str(page_shot.with_name("34-hop-panel-phone-diagram.png")))
    alice.get_by_test_id("hop-list").screenshot(path=str(page_shot.with_name("34-hop-panel-phone-hops.png")))

    # A hop opens right under itself, and the page still does not scroll sideways.
    vertical.get_by_test_id(f"vdiagram-hop-{CONTROLLER}").click()
    card = alice.locator(f"#hop-0-{CONTROLLER}").get_by_test_id("hop-detail")
    expect(card).to_be_visible()
    expect(card).to_be_in_viewport()
    alice.wait_for_timeout(200)
    assert alice.evaluate("document.documentElement.scrollWidth") <= 390
    page_shot = shot(alice, "35-hop-panel-phone-open")
    alice.locator(f"#hop-0-{CONTROLLER}").screenshot(path=str(page_shot.with_name("35-hop-panel-phone-hop.png")))
    # A deep link on the phone opens under its hop as well.
    alice.goto(f"{failing_trace}?hop=0.5")
    expect(alice.locator("#hop-0-5").get_by_test_id("hop-detail")).to_be_visible()
    assert alice.evaluate("document.documentElement.scrollWidth") <= 390
    shot(alice, "36-hop-panel-phone-deep-link")
    assert not people.page_errors, people.page_errors
