"""RFC 9110 section 15.4 redirects as browsers follow them (Fetch Standard, HTTP-redirect fetch)."""

from __future__ import annotations

import pytest

from tracer.engine.journey.redirects import MAX_REDIRECTS, RedirectStep, Stop, next_request, redirected_method

URL = "https://h.example/login?next=/app"


@pytest.mark.parametrize(
    ("method", "status", "expected"),
    [
        ("POST", 301, "GET"),
        ("POST", 302, "GET"),
        ("PUT", 302, "PUT"),
        ("GET", 302, "GET"),
        ("POST", 303, "GET"),
        ("PUT", 303, "GET"),
        ("DELETE", 303, "GET"),
        ("HEAD", 303, "HEAD"),
        ("POST", 307, "POST"),
        ("PUT", 308, "PUT"),
    ],
)
def test_rfc9110_15_4_method_rewriting(method: str, status: int, expected: str) -> None:
    assert redirected_method(method, status) == expected


def test_rfc9110_15_4_3_302_after_post_becomes_get_without_body() -> None:
    step = next_request("POST", URL, 302, "/app/", [("POST", URL)])
    assert step == RedirectStep("GET", "https://h.example/app/", keeps_body=False, drop_authorization=False)


def test_rfc9110_15_4_8_307_keeps_method_and_body() -> None:
    step = next_request("POST", URL, 307, "https://h.example/v2/login", [("POST", URL)])
    assert isinstance(step, RedirectStep) and step.method == "POST" and step.keeps_body


def test_rfc9110_10_2_2_relative_location_resolves_against_request_url() -> None:
    step = next_request("GET", "https://h.example/app", 301, "app/", [("GET", "https://h.example/app")])
    assert isinstance(step, RedirectStep) and step.url == "https://h.example/app/"
    step = next_request("GET", "https://h.example/a/b", 302, "../c?d", [("GET", "https://h.example/a/b")])
    assert isinstance(step, RedirectStep) and step.url == "https://h.example/c?d"


def test_fetch_location_url_inherits_fragment() -> None:
    step = next_request("GET", "http://h.example/a#sec", 301, "https://h.example/a", [("GET", "http://h.example/a")])
    assert isinstance(step, RedirectStep) and step.url == "https://h.example/a#sec"


def test_fetch_cross_origin_redirect_drops_authorization() -> None:
    step = next_request("GET", URL, 302, "https://sso.example/auth", [("GET", URL)])
    assert isinstance(step, RedirectStep) and step.drop_authorization


def test_rfc9110_15_4_redirect_loop_is_named() -> None:
    seen = [("GET", "http://h.example/"), ("GET", "https://h.example/")]
    stop = next_request("GET", "https://h.example/", 301, "http://h.example/", seen)
    assert isinstance(stop, Stop) and stop.reason == "loop"


def test_rfc9110_15_4_same_url_other_method_is_not_a_loop() -> None:
    step = next_request("POST", URL, 303, URL, [("POST", URL)])
    assert isinstance(step, RedirectStep) and step.method == "GET"


def test_journey_contract_at_most_ten_redirects() -> None:
    seen = [("GET", f"https://h.example/{i}") for i in range(MAX_REDIRECTS + 1)]
    last = seen[-1][1]
    assert next_request("GET", last, 302, "/next", seen[:-1]) == RedirectStep(
        "GET", "https://h.example/next", keeps_body=True, drop_authorization=False
    )
    stop = next_request("GET", last, 302, "/next", seen)
    assert isinstance(stop, Stop) and stop.reason == "too-many"


@pytest.mark.parametrize(
    ("status", "location", "reason"),
    [
        (200, "/x", "not-redirect"),
        (304, "/x", "not-redirect"),
        (300, "/x", "not-redirect"),
        (302, None, "no-location"),
        (302, "  ", "no-location"),
        (302, "http://[bad", "bad-location"),
        (302, "ftp://h.example/f", "bad-location"),
        (302, "javascript:alert(1)", "bad-location"),
    ],
)
def test_fetch_http_redirect_fetch_stops(status: int, location: str | None, reason: str) -> None:
    stop = next_request("GET", URL, status, location, [("GET", URL)])
    assert isinstance(stop, Stop) and stop.reason == reason and stop.detail
