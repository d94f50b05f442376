"""The snapshot page's detected controllers and Gateway API route status in the browser, then two data planes of
one snapshot compared: the saved requests on both, and one of them traced on another family side by side.
Screenshots in test-output/screenshots/.
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

# A route in another namespace pointing at the shop's Service without a ReferenceGrant: its ResolvedRefs
# condition is False with reason RefNotPermitted (Gateway API v1, BackendRef).
STRAY_ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: stray, namespace: infra}
spec:
  parentRefs: [{name: web, sectionName: http}]
  hostnames: [stray.example.com]
  rules:
  - backendRefs: [{name: web, namespace: shop, port: 80}]
"""


def _upload(page: Any, name: str, files: list[Path]) -> str:
    page.goto("/snapshots/upload/")
    page.get_by_test_id("upload-name").fill(name)
    page.get_by_test_id("upload-files").set_input_files([str(p) for p in files])
    page.get_by_test_id("upload-submit").click()
    page.wait_for_url(re.compile(rf"/snapshots/{UUID}/$"))
    return str(page.url)


def _finished(page: Any, timeout: float = 60) -> None:
    status = page.get_by_test_id("trace-status")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if status.get_attribute("data-state") in ("done", "failed"):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"the trace did not finish within {timeout} s")


@pytest.mark.usefixtures("stack")
def test_controllers_route_status_and_two_data_planes(people: Any, shot: Shot, tmp_path: Path) -> None:
    alice = people.login("alice")
    stray = tmp_path / "stray-route.yaml"
    stray.write_text(STRAY_ROUTE)
    _upload(alice, "gateway status", [*example_files("gateway-api-basic"), stray])

    expect(alice.get_by_test_id("detected-controllers")).to_contain_text("gateway-api")
    status = alice.get_by_test_id("route-status")
    listeners = status.get_by_test_id("gateway-status").first
    expect(listeners).to_contain_text("Gateway infra/web · Envoy Gateway")
    expect(listeners).to_contain_text("Programmed: Programmed")
    expect(listeners).to_contain_text("Conflicted: NoConflicts")
    rows = status.get_by_test_id("route-condition-row")
    shop = rows.filter(has_text="shop.example.com").first
    expect(shop).to_contain_text("Accepted")
    expect(shop).to_contain_text("ResolvedRefs")
    refused = rows.filter(has_text="stray.example.com")
    expect(refused).to_contain_text("RefNotPermitted")
    status.scroll_into_view_if_needed()
    page_shot = shot(alice, "controllers-1-route-status")
    status.screenshot(path=str(page_shot.with_name("controllers-1-route-status-section.png")))

    # An ingress-nginx snapshot: trace one request, then run the saved requests on ingress-nginx and on the
    # portable Ingress semantics.
    _upload(alice, "shop", example_files("shop"))
    expect(alice.get_by_test_id("detected-controllers")).to_contain_text("ingress-nginx")
    alice.get_by_test_id("scenario-url").fill("https://shop.example.com/cart")
    alice.get_by_test_id("scenario-submit").click()
    alice.wait_for_url(re.compile(rf"/traces/{UUID}/"))
    _finished(alice)
    trace_url = alice.url

    alice.go_back()
    alice.get_by_test_id("dataplanes-link").get_by_role("link").click()
    alice.wait_for_url(re.compile(rf"/snapshots/{UUID}/dataplanes/$"))
    expect(alice.get_by_test_id("dataplanes-a")).to_have_value("ingress-nginx")
    alice.get_by_test_id("dataplanes-b").select_option("ingress-spec")
    alice.get_by_test_id("dataplanes-submit").click()
    results = alice.get_by_test_id("dataplanes-results")
    expect(results.get_by_test_id("dataplanes-summary")).to_contain_text("Ran 1 of the 1 request", timeout=20_000)
    expect(results.get_by_test_id("dataplanes-row")).to_have_count(1)
    shot(alice, "controllers-2-dataplanes")

    # From the trace page: trace the same request on Traefik and compare side by side.
    alice.goto(trace_url)
    alice.get_by_test_id("dataplane-family").select_option("traefik")
    alice.get_by_test_id("dataplane-compare").click()
    alice.wait_for_url(re.compile(rf"/traces/{UUID}/compare/\?with="))
    expect(alice.get_by_test_id("compare-title")).to_have_text("Side by side: ingress-nginx and Traefik v2/v3")
    expect(alice.get_by_test_id("comparison")).to_have_attribute("data-state", "done", timeout=30_000)
    shot(alice, "controllers-3-compare-families")


@pytest.mark.usefixtures("stack")
def test_translate_to_gateway_api_and_read_what_changes(people: Any, shot: Shot) -> None:
    alice = people.login("alice")
    files = [p for p in example_files("migration-nginx-to-gateway") if p.parent.name != "gateway-api"]
    _upload(alice, "site", files)
    alice.get_by_test_id("translate-implementation").select_option("envoy-gateway")
    alice.get_by_test_id("translate-submit").click()
    alice.wait_for_url(re.compile(rf"/snapshots/{UUID}/translation/$"))
    expect(alice.get_by_test_id("translation-title")).to_have_text("Gateway API translation")
    rows = alice.get_by_test_id("translation-row")
    expect(rows.filter(has_text="trailing-slash 301")).to_have_count(1)
    expect(alice.get_by_test_id("translation-classes")).to_contain_text("ingress-nginx-only")
    expect(alice.get_by_test_id("translation-notes")).to_contain_text("whitelist-source-range")
    shot(alice, "controllers-4-translation")
