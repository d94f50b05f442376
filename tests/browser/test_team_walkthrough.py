"""Teams in headless Chromium: alice invites bob by link, bob accepts it in his own browser and opens a trace
shared with the workspace; alice makes him read-only and the write buttons disappear for him. Screenshots in
test-output/screenshots/.
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
URL = "https://shop.example.com/api/items?id=7"


def member_row(page: Any, username: str) -> Any:
    return page.locator(f'[data-testid="member-row"][data-username="{username}"]')


def test_invite_accept_share_and_read_only(stack: LiveStack, people: Any, shot: Shot) -> None:
    # A finished trace in alice's workspace (through the API, as CI would make it).
    token = stack.api_token("alice")
    snapshot = stack.upload_snapshot(token, example_files("shop"), "shop (team)")
    submitted = stack.submit_trace(token, snapshot["id"], URL)
    assert submitted.status == 202, submitted
    trace_id = submitted.json()["id"]
    assert stack.wait_state(token, trace_id)["state"] == "done"
    trace_path = f"/traces/{trace_id}/"

    alice = people.login("alice")
    alice.goto("/workspace/")
    if member_row(alice, "bob").count():  # another walk-through added him already: start from scratch
        member_row(alice, "bob").get_by_test_id("member-remove").click()
        expect(member_row(alice, "bob")).to_have_count(0)

    # -- alice shares the trace with the workspace and invites bob by an open link
    alice.goto(trace_path)
    alice.get_by_test_id("share-visibility").select_option("workspace")
    alice.get_by_test_id("share-create").click()
    workspace_link = alice.locator('[data-testid="share-link"][data-visibility="workspace"]')
    expect(workspace_link).to_have_count(1)
    share_url = workspace_link.get_by_test_id("share-url").input_value()

    alice.goto("/workspace/")
    alice.get_by_test_id("invite-email").fill("")
    alice.get_by_test_id("invite-role").select_option("member")
    alice.get_by_test_id("invite-create").click()
    expect(alice.get_by_test_id("messages")).to_contain_text("Invitation link made")
    expect(alice.get_by_test_id("invite-delivery")).to_contain_text("E-mail is not set up")
    invite = alice.locator('[data-testid="invite"][data-email=""]').first
    invite_url = invite.get_by_test_id("invite-url").input_value()
    assert re.fullmatch(rf"{re.escape(stack.base)}/invite/[A-Za-z0-9_-]+/", invite_url), invite_url
    shot(alice, "30-team-invite")
    # The workspace page does not scroll sideways on a phone.
    alice.set_viewport_size({"width": 390, "height": 844})
    alice.wait_for_timeout(200)
    assert alice.evaluate("document.documentElement.scrollWidth") <= 390
    shot(alice, "31-team-invite-phone")
    alice.set_viewport_size({"width": 1280, "height": 900})

    # -- bob, in his own browser, is not a member yet: the shared trace is a styled 404 for him
    bob = people.login("bob")
    resp = bob.goto(share_url)
    assert resp is not None and resp.status == 404
    expect(bob.get_by_test_id("not-found")).to_be_visible()

    # -- he accepts the invitation
    bob.goto(invite_url)
    expect(bob.get_by_test_id("invite-page")).to_contain_text("alice's workspace")
    expect(bob.get_by_test_id("invite-page")).to_contain_text("as member")
    shot(bob, "32-team-accept")
    bob.get_by_test_id("invite-accept").click()
    bob.wait_for_url("**/workspace/")
    expect(bob.get_by_test_id("workspace-name")).to_have_text("alice's workspace")
    expect(member_row(bob, "bob")).to_have_attribute("data-role", "member")
    # The link is used up.
    resp = bob.goto(invite_url)
    assert resp is not None and resp.status == 404

    # -- and opens the workspace-shared trace
    resp = bob.goto(share_url)
    assert resp is not None and resp.status == 200
    expect(bob.get_by_test_id("trace-title")).to_contain_text(URL)
    expect(bob.get_by_test_id("final-status")).to_have_text(re.compile(r"200"))
    shot(bob, "33-team-shared-trace")
    bob.goto(f"/snapshots/{snapshot['id']}/")
    expect(bob.get_by_test_id("scenario-submit")).to_be_visible()

    # -- alice makes him read-only
    alice.goto("/workspace/")
    row = member_row(alice, "bob")
    row.get_by_test_id("member-role").select_option("readonly")
    row.get_by_test_id("member-role-save").click()
    expect(member_row(alice, "bob")).to_have_attribute("data-role", "readonly")
    shot(alice, "34-team-read-only")

    # -- bob still sees everything, but no Trace button and no write forms
    bob.goto(f"/snapshots/{snapshot['id']}/")
    expect(bob.get_by_test_id("object-row").first).to_be_visible()
    expect(bob.get_by_test_id("scenario-submit")).to_have_count(0)
    expect(bob.get_by_test_id("readonly-note")).to_be_visible()
    shot(bob, "35-team-read-only-snapshot")
    bob.goto(trace_path)
    expect(bob.get_by_test_id("final-status")).to_have_text(re.compile(r"200"))
    expect(bob.get_by_test_id("current-workspace")).to_have_text("alice's workspace")
    for hidden in ("rerun-form", "share-form", "share-revoke", "apply-fix"):
        expect(bob.get_by_test_id(hidden)).to_have_count(0)
    shot(bob, "36-team-read-only-trace")
    resp = bob.goto("/snapshots/upload/")
    assert resp is not None and resp.status == 403
    expect(bob.get_by_test_id("forbidden")).to_contain_text("read-only access")

    # -- leave the workspace as the other walk-throughs expect it: bob not in it
    alice.goto("/workspace/")
    member_row(alice, "bob").get_by_test_id("member-remove").click()
    expect(member_row(alice, "bob")).to_have_count(0)
    resp = bob.goto(trace_path)
    assert resp is not None and resp.status == 404
    shot(bob, "37-team-removed-404")

    assert not people.page_errors, people.page_errors


def test_email_invite_sign_up_and_public_link_warning(stack: LiveStack, people: Any, shot: Shot) -> None:
    token = stack.api_token("alice")
    snapshot = stack.upload_snapshot(token, example_files("shop"), "shop (sign-up)")
    trace_id = stack.submit_trace(token, snapshot["id"], URL).json()["id"]
    assert stack.wait_state(token, trace_id)["state"] == "done"
    queued = stack.submit_trace(token, snapshot["id"], "https://shop.example.com/cart").json()["id"]

    # -- the traces list: filters, colours, and the queued row updating itself
    alice = people.login("alice")
    alice.goto("/traces/")
    alice.get_by_test_id("filter-snapshot").select_option(label="shop (sign-up)")
    expect(alice.get_by_test_id("trace-row")).to_have_count(2)
    alice.wait_for_url(re.compile(r"[?&]snapshot=[0-9a-f-]{36}"))  # the filters are in the address
    alice.get_by_test_id("filter-q").fill("items?id=7")
    expect(alice.get_by_test_id("trace-row")).to_have_count(1)
    expect(alice.get_by_test_id("trace-result")).to_contain_text("200 OK")
    alice.get_by_test_id("filter-q").fill("")
    expect(alice.get_by_test_id("trace-row")).to_have_count(2)
    # The row of the second trace turns done without a reload (the worker takes a couple of seconds).
    alice.evaluate("window.__samePage = true")
    expect(alice.locator(f'[data-testid="trace-row"]:has(a[href="/traces/{queued}/"])')).to_have_attribute(
        "data-state", "done", timeout=30_000
    )
    expect(alice.get_by_test_id("trace-rows")).to_have_attribute("data-pending", "no")
    assert alice.evaluate("window.__samePage") is True
    shot(alice, "38-traces-list-filtered")
    alice.set_viewport_size({"width": 390, "height": 844})
    alice.wait_for_timeout(200)
    assert alice.evaluate("document.documentElement.scrollWidth") <= 390
    shot(alice, "39-traces-list-phone")
    alice.set_viewport_size({"width": 1280, "height": 900})

    # -- a public link asks first
    alice.goto(f"/traces/{trace_id}/")
    alice.get_by_test_id("share-visibility").select_option("public")
    alice.get_by_test_id("share-create").click()
    expect(alice.get_by_test_id("share-confirm-page")).to_contain_text("file names")
    shot(alice, "40-public-link-warning")
    alice.get_by_test_id("share-understood").check()
    alice.get_by_test_id("share-confirm").click()
    expect(alice.locator('[data-testid="share-link"][data-visibility="public"]')).to_have_count(1)

    # -- an invitation to an address; the invitee has no account yet and makes one
    alice.goto("/workspace/")
    alice.get_by_test_id("invite-email").fill("Carol@Example.com")
    alice.get_by_test_id("invite-role").select_option("readonly")
    alice.get_by_test_id("invite-create").click()
    invite_url = alice.locator('[data-testid="invite"][data-email="Carol@Example.com"]').get_by_test_id(
        "invite-url").input_value()
    carol = people.new_page()
    carol.goto(invite_url)
    assert "/login/" in carol.url
    carol.get_by_test_id("signup-link").click()
    expect(carol.get_by_test_id("signup-page")).to_contain_text("alice's workspace")
    expect(carol.get_by_test_id("signup-email")).to_have_value("Carol@Example.com")
    carol.get_by_test_id("signup-username").fill("carol")
    carol.get_by_test_id("signup-password1").fill("carol-pw-9Vb3n")
    carol.get_by_test_id("signup-password2").fill("carol-pw-9Vb3n")
    shot(carol, "41-sign-up")
    carol.get_by_test_id("signup-submit").click()
    carol.wait_for_url("**/workspace/")
    expect(carol.get_by_test_id("workspace-name")).to_have_text("alice's workspace")
    expect(member_row(carol, "carol")).to_have_attribute("data-role", "readonly")
    carol.goto(f"/traces/{trace_id}/")
    expect(carol.get_by_test_id("final-status")).to_have_text(re.compile(r"200"))
    expect(carol.get_by_test_id("rerun-form")).to_have_count(0)
    # She leaves again; the invitation is used up.
    carol.goto("/workspace/")
    carol.get_by_test_id("workspace-leave").click()
    expect(carol.get_by_test_id("messages")).to_contain_text("You left alice's workspace")
    resp = carol.goto(invite_url)
    assert resp is not None and resp.status == 404
    expect(carol.get_by_test_id("not-found")).to_be_visible()

    assert not people.page_errors, people.page_errors
