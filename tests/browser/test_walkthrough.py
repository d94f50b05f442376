"""End to end in headless Chromium against a live stack (web + Celery worker + Redis, SQLite file).

The issue's walk: a new user logs in, uploads the examples/shop manifests, traces a request, watches it queue
and finish, reads the diagram (a status on every hop), opens a hop's details, and shares the link with a
teammate (who can open it) and an outsider (who cannot, until a public link exists). Plus a hostile manifest
whose strings try to run script on the trace and snapshot pages, and a browser journey on a small made-up app
whose summary table must stay readable on a phone.

Run: .venv/bin/python -m pytest tests/browser -q
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest_live import UUID_RE, LiveStack, example_files

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips or fails with the reason before any test uses it
    expect = None

pytestmark = pytest.mark.browser

URL = "https://shop.example.com/api/items?id=3"
JOURNEY_APP = Path(__file__).parent.parent / "web" / "journey_app.yaml"
Shot = Callable[[Any, str], Path]


def path_of(page: Any) -> str:
    return re.sub(r"^https?://[^/]+", "", page.url)


def watch_until_finished(page: Any, timeout: float = 60) -> list[str]:
    """The states the polling partial shows, in order, until done/failed."""
    status = page.get_by_test_id("trace-status")
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = status.get_attribute("data-state")
        if state and (not seen or seen[-1] != state):
            seen.append(state)
        if state in ("done", "failed"):
            return seen
        page.wait_for_timeout(100)
    raise AssertionError(f"the trace did not finish within {timeout} s; states seen: {seen}")


def assert_every_arrow_labelled(page: Any, hop_count: int) -> None:
    svg = page.get_by_test_id("flow-svg").first
    expect(svg).to_be_visible()
    arrows = svg.locator("g.arrow")
    n = arrows.count()
    assert n >= hop_count, f"{n} arrows for {hop_count} hops"
    for k in range(n):
        arrow = arrows.nth(k)
        outcome = arrow.get_attribute("data-outcome")
        label = arrow.locator("text.hop-label").text_content() or ""
        assert outcome, f"arrow {k} has no outcome"
        assert label.strip(), f"arrow {k} has no status label"
    # Every hop of the list is an arrow that opens its details.
    for i in range(hop_count):
        assert svg.locator(f'[data-testid="diagram-hop-{i}"] g.arrow text.hop-label').count() == 1, f"hop {i}"


def test_new_user_uploads_traces_reads_and_shares(stack: LiveStack, people: Any, shot: Shot) -> None:
    alice = people.new_page()

    # -- logs in
    alice.goto("/")
    assert "/login/" in alice.url, "an anonymous visitor is sent to the login page"
    shot(alice, "01-login")
    alice.get_by_test_id("login-username").fill("alice")
    alice.get_by_test_id("login-password").fill("alice-pw-3Kd9q")
    alice.get_by_test_id("login-submit").click()
    alice.wait_for_url(f"{stack.base}/")

    # -- uploads examples/shop through the file input
    alice.get_by_test_id("nav-upload").click()
    alice.wait_for_url("**/snapshots/upload/")
    files = example_files("shop")
    alice.get_by_test_id("upload-name").fill("shop (browser)")
    alice.get_by_test_id("upload-files").set_input_files([str(p) for p in files])
    expect(alice.get_by_test_id("upload-filelist").locator("li")).to_have_count(len(files))
    shot(alice, "02-upload")
    alice.get_by_test_id("upload-submit").click()
    alice.wait_for_url(re.compile(r"/snapshots/[0-9a-f-]{36}/$"))
    expect(alice.get_by_test_id("snapshot-name")).to_have_text("shop (browser)")
    # (No check of the "Snapshot stored" flash: upload.js's XHR follows the redirect and consumes it.)
    expect(alice.get_by_test_id("object-row").first).to_be_visible()
    shot(alice, "03-snapshot")

    # -- submits a request and watches it queue, run and finish (the status partial polls)
    alice.get_by_test_id("scenario-url").fill(URL)
    alice.get_by_test_id("scenario-submit").click()
    alice.wait_for_url(re.compile(r"/traces/[0-9a-f-]{36}/$"))
    trace_path = path_of(alice)
    trace_id = UUID_RE.search(trace_path).group(0)  # type: ignore[union-attr]
    status = alice.get_by_test_id("trace-status")
    first_state = status.get_attribute("data-state")
    assert first_state in ("queued", "running"), first_state
    # The status partial says it; no flash message repeats it (it would stay above the finished result).
    expect(status).to_contain_text(re.compile(r"Queued|Running"))
    expect(alice.get_by_test_id("messages")).to_have_count(0)
    shot(alice, "04-trace-queued")
    alice.evaluate("window.__samePage = true")
    states = watch_until_finished(alice)
    assert states[-1] == "done", states
    assert states[0] in ("queued", "running") and len(states) >= 2, states
    assert alice.evaluate("window.__samePage") is True, "the result was swapped in by htmx, not a reload"
    assert path_of(alice) == trace_path
    expect(alice.get_by_test_id("final-status")).to_have_text(re.compile(r"200"))
    shot(alice, "05-trace-done")

    # -- the diagram has a status on every hop
    hop_count = alice.get_by_test_id("hop-list").locator("li").count()
    assert hop_count >= 5, hop_count
    assert_every_arrow_labelled(alice, hop_count)

    # -- opens a hop's details: an htmx partial with the decision and the objects (file:line)
    details = alice.get_by_test_id("hop-details").first
    expect(details).to_be_empty()
    controller_hop = next(
        i
        for i in range(hop_count)
        if "controller" in (alice.get_by_test_id(f"hop-link-{i}").locator(".comp").text_content() or "")
    )
    alice.get_by_test_id(f"hop-link-{controller_hop}").click()
    card = details.get_by_test_id("hop-detail")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("data-hop", str(controller_hop))
    expect(card.get_by_test_id("hop-decision")).not_to_be_empty()
    expect(card.get_by_test_id("hop-object").first).to_be_visible()
    expect(card.get_by_test_id("hop-object-source").first).to_have_text(re.compile(r"\.yaml:\d+$"))
    # No navigation: htmx swapped the details in and pushed the hop's deep link (?hop=R.I) onto the same page.
    assert alice.evaluate("window.__samePage") is True and path_of(alice).split("?")[0] == trace_path, "no navigation"
    shot(alice, "06-hop-details")
    # A diagram arrow opens its hop's details too.
    other = (controller_hop + 1) % hop_count
    alice.get_by_test_id(f"diagram-hop-{other}").click()
    expect(alice.get_by_test_id("hop-details").first.get_by_test_id("hop-detail")).to_have_attribute(
        "data-hop", str(other)
    )
    alice.wait_for_timeout(500)
    assert alice.evaluate("window.__samePage") is True, f"the diagram arrow navigated to {alice.url}"

    # -- creates a workspace-only share link
    alice.goto(trace_path)
    alice.get_by_test_id("share-visibility").select_option("workspace")
    alice.get_by_test_id("share-create").click()
    workspace_link = alice.locator('[data-testid="share-link"][data-visibility="workspace"]')
    expect(workspace_link).to_have_count(1)
    share_url = workspace_link.get_by_test_id("share-url").input_value()
    assert re.fullmatch(rf"{re.escape(stack.base)}/t/[A-Za-z0-9_-]+", share_url), share_url

    # -- adds the teammate on the workspace page
    alice.get_by_test_id("nav-workspace").click()
    alice.get_by_test_id("member-username").fill("bob")
    alice.get_by_test_id("member-add").click()
    expect(alice.get_by_test_id("member-row").filter(has_text="bob")).to_have_count(1)
    shot(alice, "07-workspace")

    # -- the teammate opens the link (and a hop's details in it)
    bob = people.login("bob")
    resp = bob.goto(share_url)
    assert resp is not None and resp.status == 200
    expect(bob.get_by_test_id("trace-title")).to_contain_text(URL)
    expect(bob.get_by_test_id("final-status")).to_have_text(re.compile(r"200"))
    assert_every_arrow_labelled(bob, hop_count)
    bob.get_by_test_id(f"hop-link-{controller_hop}").click()
    expect(bob.get_by_test_id("hop-detail")).to_be_visible()
    shot(bob, "08-teammate-view")
    # ...and the trace page itself, being a member now.
    resp = bob.goto(trace_path)
    assert resp is not None and resp.status == 200

    # -- an outsider cannot: 404 for the link and for the trace page
    eve = people.login("eve")
    resp = eve.goto(share_url)
    assert resp is not None and resp.status == 404, resp and resp.status
    assert "alice" not in eve.content() and URL not in eve.content()
    shot(eve, "09-outsider-404")
    resp = eve.goto(trace_path)
    assert resp is not None and resp.status == 404
    # An anonymous visitor is asked to log in.
    anon = people.new_page()
    anon.goto(share_url)
    assert "/login/" in anon.url
    assert URL not in anon.content()

    # -- unless the link is public
    alice.goto(trace_path)
    alice.get_by_test_id("share-visibility").select_option("public")
    alice.get_by_test_id("share-create").click()
    # A public link asks first: it shows the manifests' details to anyone with it.
    expect(alice.get_by_test_id("share-confirm-page")).to_contain_text("Anyone with the link")
    alice.get_by_test_id("share-understood").check()
    alice.get_by_test_id("share-confirm").click()
    public_link = alice.locator('[data-testid="share-link"][data-visibility="public"]')
    expect(public_link).to_have_count(1)
    public_url = public_link.get_by_test_id("share-url").input_value()
    assert public_url != share_url
    resp = anon.goto(public_url)
    assert resp is not None and resp.status == 200
    expect(anon.get_by_test_id("trace-title")).to_contain_text(URL)
    assert_every_arrow_labelled(anon, hop_count)
    anon.get_by_test_id(f"diagram-hop-{controller_hop}").click()
    expect(anon.get_by_test_id("hop-detail")).to_have_attribute("data-hop", str(controller_hop))
    shot(anon, "10-public-view")
    resp = eve.goto(public_url)
    assert resp is not None and resp.status == 200
    resp = eve.goto(share_url)
    assert resp is not None and resp.status == 404, "the workspace link stays private"

    # -- revoking the public link closes it again
    alice.goto(trace_path)
    alice.locator('[data-testid="share-link"][data-visibility="public"]').get_by_test_id("share-revoke").click()
    expect(alice.locator('[data-testid="share-link"][data-visibility="public"]')).to_have_count(0)
    resp = anon.goto(public_url)
    assert resp is not None and resp.status == 404

    assert not people.page_errors, people.page_errors
    assert trace_id


XSS = '<img src=x onerror="window.__xss=1">'
HOSTILE = f"""\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {{name: nginx}}
spec: {{controller: k8s.io/ingress-nginx}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: evil-snippet
  namespace: web
  annotations:
    nginx.ingress.kubernetes.io/configuration-snippet: '{XSS}'
spec:
  ingressClassName: nginx
  rules:
  - host: '{XSS}.example.com'
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: evil
  namespace: web
  annotations:
    note: '{XSS}'
spec:
  ingressClassName: nginx
  rules:
  - host: xss.example.com
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: evil-prefix
  namespace: web
  annotations:
    nginx.ingress.kubernetes.io/x-forwarded-prefix: '/{XSS}'
spec:
  ingressClassName: nginx
  rules:
  - host: xss.example.com
    http:
      paths:
      - {{path: /p, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: web, annotations: {{note: '{XSS}'}}}}
spec: {{selector: {{app: web}}, ports: [{{port: 80, targetPort: 8080}}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: web}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: web, image: web:1, ports: [{{containerPort: 8080}}]}}]}}
"""


def assert_no_script_ran(page: Any) -> None:
    assert page.evaluate("typeof window.__xss") == "undefined", f"injected script ran on {page.url}"
    assert page.locator('img[src="x"]').count() == 0, f"an injected <img> is in the DOM of {page.url}"


def test_hostile_manifest_strings_stay_text(stack: LiveStack, people: Any, shot: Shot, tmp_path: Path) -> None:
    manifest = tmp_path / 'evil<img src=x onerror="window.__xss=1">.yaml'
    manifest.write_text(HOSTILE)
    alice = people.login("alice")
    alice.goto("/snapshots/upload/")
    alice.get_by_test_id("upload-name").fill(f"hostile {XSS}")
    alice.get_by_test_id("upload-files").set_input_files([str(manifest)])
    alice.get_by_test_id("upload-submit").click()
    alice.wait_for_url(re.compile(r"/snapshots/[0-9a-f-]{36}/$"))
    snapshot_path = path_of(alice)
    expect(alice.get_by_test_id("snapshot-name")).to_have_text(f"hostile {XSS}")  # shown as text
    assert_no_script_ran(alice)
    shot(alice, "11-hostile-snapshot")

    alice.get_by_test_id("scenario-url").fill("http://xss.example.com/")
    alice.get_by_test_id("scenario-headers").fill(f"X-Evil: {XSS}")
    alice.get_by_test_id("scenario-submit").click()
    alice.wait_for_url(re.compile(r"/traces/[0-9a-f-]{36}/$"))
    trace_path = path_of(alice)
    states = watch_until_finished(alice)
    assert_no_script_ran(alice)
    assert states[-1] == "done", states
    # The strings do reach the page, as text: the request's header, the ignored Ingress's annotation.
    expect(alice.get_by_test_id("hop-link-0")).to_contain_text(XSS)
    expect(alice.get_by_test_id("diagnoses")).to_contain_text(XSS)
    hops = alice.get_by_test_id("hop-list").locator("li").count()
    sources: list[str] = []
    for i in range(hops):  # every hop's details partial
        alice.get_by_test_id(f"hop-link-{i}").click()
        card = alice.get_by_test_id("hop-detail")
        expect(card).to_have_attribute("data-hop", str(i))
        sources += card.get_by_test_id("hop-object-source").all_text_contents()
        assert_no_script_ran(alice)
    assert any("evil<img src=x onerror=" in s for s in sources), sources  # (the browser sends " as %22)
    shot(alice, "12-hostile-trace")
    # A full load of the trace page, with a hop selected server-side, and the snapshot's pages.
    for path in (
        trace_path,
        f"{trace_path}?hop=0.4",
        snapshot_path,
        f"{snapshot_path}?q=evil",
        "/snapshots/",
        "/traces/",
    ):
        alice.goto(path)
        alice.wait_for_load_state("load")
        assert_no_script_ran(alice)
    alice.goto(snapshot_path)
    alice.get_by_test_id("object-link").filter(has_text="evil").first.click()
    alice.wait_for_load_state("load")
    expect(alice.locator("main")).to_contain_text(XSS)  # the object's YAML
    assert_no_script_ran(alice)
    # And a public share link of it.
    alice.goto(trace_path)
    alice.get_by_test_id("share-visibility").select_option("public")
    alice.get_by_test_id("share-understood-inline").check()  # the public-link warning, ticked in the form
    alice.get_by_test_id("share-create").click()
    public_url = alice.locator('[data-testid="share-link"][data-visibility="public"]').get_by_test_id("share-url")
    anon = people.new_page()
    anon.goto(public_url.input_value())
    anon.wait_for_load_state("load")
    assert_no_script_ran(anon)
    assert not people.page_errors, people.page_errors


def test_journey_table_on_desktop_and_phone(stack: LiveStack, people: Any, shot: Shot) -> None:
    alice = people.login("alice")
    alice.goto("/snapshots/upload/")
    alice.get_by_test_id("upload-name").fill("notes (journey)")
    alice.get_by_test_id("upload-files").set_input_files([str(JOURNEY_APP)])
    alice.get_by_test_id("upload-submit").click()
    alice.wait_for_url(re.compile(r"/snapshots/[0-9a-f-]{36}/$"))
    expect(alice.get_by_test_id("journey-doc")).to_have_count(1)  # the Journey document of the upload

    # The journey switches show only in journey mode.
    expect(alice.get_by_test_id("journey-options")).to_be_hidden()
    alice.get_by_test_id("scenario-mode-journey").click()
    expect(alice.get_by_test_id("journey-options")).to_be_visible()
    alice.get_by_test_id("scenario-url").fill("http://notes.example.com/login")
    alice.get_by_test_id("scenario-idle-seconds").fill("90")
    alice.get_by_test_id("scenario-submit").click()
    alice.wait_for_url(re.compile(r"/traces/[0-9a-f-]{36}/$"))
    assert watch_until_finished(alice)[-1] == "done"

    steps = alice.get_by_test_id("journey-step")
    expect(steps).to_have_count(5)
    expect(alice.get_by_test_id("journey-cause")).to_have_text(
        ["start", "redirect from #1", "asset of #2", "asset of #2", "WebSocket of #2"]
    )
    failing = alice.locator("tr.first-failure")
    expect(failing).to_have_attribute("data-step", "4")
    expect(failing.get_by_test_id("journey-status")).to_contain_text("404 Not Found")
    expect(steps.nth(4).get_by_test_id("journey-websocket")).to_have_text("closed after 60 s (1006)")
    table = alice.get_by_test_id("journey-summary")
    page_shot = shot(alice, "13-journey")  # the whole page, then the table alone beside it
    table.screenshot(path=str(page_shot.with_name("13-journey-table.png")))

    # At 390 px the table scrolls inside its own box; the page itself does not scroll sideways.
    alice.set_viewport_size({"width": 390, "height": 844})
    alice.wait_for_timeout(200)
    assert alice.evaluate("document.documentElement.scrollWidth") <= 390
    box = alice.locator(".table-scroll").first
    assert box.evaluate("el => el.scrollWidth > el.clientWidth"), "the table fits or overflows the page"
    page_shot = shot(alice, "14-journey-phone")
    table.screenshot(path=str(page_shot.with_name("14-journey-table-phone.png")))

    # The first failure's link lands on its request's section.
    alice.get_by_test_id("journey-first-failure").click()
    expect(alice.locator("#request-3")).to_be_in_viewport()
    assert not people.page_errors, people.page_errors
