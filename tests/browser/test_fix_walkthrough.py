"""Report 000 in the browser: the journey page with its sequence diagram, Apply fix and re-trace with the
before/after page, and an app profile edited on the snapshot page. Screenshots in test-output/screenshots/.
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

Shot = Callable[[Any, str], Path]
UUID = r"[0-9a-f-]{36}"


def _finished(page: Any, testid: str, timeout: float = 60) -> str:
    box = page.get_by_test_id(testid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = box.get_attribute("data-state")
        if state in ("done", "failed"):
            return state
        page.wait_for_timeout(100)
    raise AssertionError(f"{testid} did not finish within {timeout} s")


def _upload_stage1(page: Any) -> None:
    files = [str(p) for p in example_files("vscode-1-prefix")]
    if not any("AppProfile" in Path(f).read_text() for f in files):
        files += [str(p) for p in example_files("profiles") if p.name == "openvscode-server.yaml"]
    page.goto("/snapshots/upload/")
    page.get_by_test_id("upload-name").fill("vscode stage 1")
    page.get_by_test_id("upload-files").set_input_files(files)
    page.get_by_test_id("upload-submit").click()
    page.wait_for_url(re.compile(rf"/snapshots/{UUID}/$"))


@pytest.mark.usefixtures("stack")
def test_000_fix_applied_from_the_journey_page_and_compared(people: Any, shot: Shot) -> None:
    alice = people.login("alice")
    _upload_stage1(alice)
    expect(alice.get_by_test_id("profile-doc")).to_have_count(1)
    alice.get_by_test_id("journey-trace").click()
    alice.wait_for_url(re.compile(rf"/traces/{UUID}/$"))
    assert _finished(alice, "trace-status") == "done"

    # The journey page: the sequence diagram above the network table, the failing step marked.
    diagram = alice.locator("svg.journey-sequence, [data-testid='journey-sequence']").first
    expect(diagram).to_be_visible()
    expect(alice.get_by_test_id("journey-step")).to_have_count(1)
    shot(alice, "20-journey-stage1")

    # The diagnosis carries its patch; applying it re-traces a copy and opens before/after.
    expect(alice.get_by_test_id("patches").first).to_contain_text("rewrite-target")
    alice.get_by_test_id("apply-fix").first.click()
    alice.wait_for_url(re.compile(rf"/traces/{UUID}/compare/$"))
    assert _finished(alice, "comparison") == "done"
    expect(alice.get_by_test_id("before-outcome")).to_contain_text("404 Not Found")
    expect(alice.get_by_test_id("after-outcome")).to_contain_text("request 2")
    expect(alice.locator("tr[data-first='true']")).to_have_count(1)
    expect(alice.get_by_test_id("original-snapshot")).to_have_text("vscode stage 1")
    shot(alice, "21-fix-before-after")
    alice.set_viewport_size({"width": 390, "height": 844})
    alice.wait_for_timeout(200)
    assert alice.evaluate("document.documentElement.scrollWidth") <= 390
    shot(alice, "22-fix-before-after-phone")
    alice.set_viewport_size({"width": 1280, "height": 900})

    # Keep applying the next fix from each new trace until the journey is green (report 000: four fixes).
    for _ in range(3):
        alice.get_by_role("link", name="open").nth(1).click()
        alice.wait_for_url(re.compile(rf"/traces/{UUID}/$"))
        _finished(alice, "trace-status")
        alice.get_by_test_id("apply-fix").first.click()
        alice.wait_for_url(re.compile(rf"/traces/{UUID}/compare/$"))
        assert _finished(alice, "comparison") == "done"
    expect(alice.get_by_test_id("after-outcome")).to_have_text("all 5 requests succeed")
    shot(alice, "23-fix-green")
    assert not people.page_errors, people.page_errors


@pytest.mark.usefixtures("stack")
def test_app_profile_edited_on_the_snapshot_page(people: Any, shot: Shot) -> None:
    alice = people.login("alice")
    _upload_stage1(alice)
    original = alice.url
    doc = alice.get_by_test_id("profile-doc").first
    doc.locator("summary").click()
    area = doc.get_by_test_id("profile-yaml")
    expect(area).to_be_visible()
    text = area.input_value()
    # A typo first: the error names the field and keeps the text.
    area.fill(text.replace("respond:", "respnd:", 1))
    doc.get_by_test_id("profile-save").click()
    expect(alice.get_by_test_id("profile-error")).to_contain_text("spec.routes[0]")
    shot(alice, "24-profile-error")
    assert alice.url == original
    # Then the real edit: the app now also answers /vscode/ itself, so stage 1 works without a rewrite.
    area = alice.get_by_test_id("profile-doc").first.get_by_test_id("profile-yaml")
    area.fill(text.replace("exact: /\n", "regex: ^/(vscode/)?$\n"))
    alice.get_by_test_id("profile-doc").first.get_by_test_id("profile-save").click()
    alice.wait_for_url(lambda url: url != original and re.search(rf"/snapshots/{UUID}/$", url) is not None)
    expect(alice.get_by_test_id("derivation")).to_contain_text("app profile")
    shot(alice, "25-profile-saved")
    assert not people.page_errors, people.page_errors


@pytest.mark.usefixtures("stack")
def test_upload_error_hides_the_progress_row(people: Any, tmp_path: Path) -> None:
    """Issue 9 bug: "Loading the manifests…" stayed under the error because .progress-row's display beat [hidden]."""
    alice = people.login("alice")
    bad = tmp_path / "broken.yaml"
    bad.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: [unclosed\n")
    alice.goto("/snapshots/upload/")
    alice.get_by_test_id("upload-files").set_input_files([str(bad)])
    alice.get_by_test_id("upload-submit").click()
    expect(alice.get_by_test_id("upload-error").first).to_be_visible()
    expect(alice.locator("#upload-progress-row")).to_be_hidden()
    assert not people.page_errors, people.page_errors
