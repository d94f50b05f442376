"""What a trace shows of the client request must be what the engine routes on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tracer.engine import RequestError, trace
from tracer.engine.request import combined_headers, parse_request

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "tracer/engine/schema/trace-v1.schema.json").read_text())
CANARY_BY_COOKIE = """
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-canary, namespace: shop}
spec: {selector: {app: web-canary}, ports: [{port: 80}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: main, namespace: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: canary
  namespace: shop
  annotations:
    nginx.ingress.kubernetes.io/canary: "true"
    nginx.ingress.kubernetes.io/canary-by-cookie: canary
spec:
  ingressClassName: nginx
  rules:
  - host: shop.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web-canary, port: {number: 80}}}}]}
"""


def first_cookie(header: str, name: str) -> str | None:
    """The value of ``name`` a reader of the shown Cookie header takes: the first, as nginx does."""
    for part in header.split(";"):
        key, eq, value = part.strip().partition("=")
        if eq and key == name:
            return value
    return None


@pytest.mark.parametrize(
    ("headers", "routed"),
    [
        (["Cookie: canary=never; canary=always"], "never"),
        (["Cookie: canary=always; canary=never"], "always"),
        (["Cookie: canary=never", "Cookie: canary=always"], "never"),  # two fields: the first one wins too
        (["Cookie: canary=always", "Cookie: other=1; canary=never"], "always"),
    ],
)
def test_repeated_cookie_is_shown_as_routed(headers: list[str], routed: str) -> None:
    request = {"url": "http://shop.test/", "headers": headers}
    data = trace(CANARY_BY_COOKIE, request, controller="ingress-nginx", assume_endpoints=True).to_dict()
    jsonschema.validate(data, SCHEMA)
    result = data["requests"][0]
    shown = result["request"]["headers"]["Cookie"]
    assert first_cookie(shown, "canary") == routed
    assert parse_request(request).cookies()["canary"] == routed
    canary = next(h for h in result["hops"] if h["component"] == "controller")["details"]["canary"]
    assert canary["reason"] == f"cookie canary={routed}"
    assert canary["chosen"] is (routed == "always")
    assert result["backend"]["service"] == ("web-canary" if routed == "always" else "web")


@pytest.mark.parametrize(
    ("pairs", "combined"),
    [
        ([], {}),
        ([("Accept", "a"), ("X-Test", "1")], {"Accept": "a", "X-Test": "1"}),
        ([("X-Forwarded-For", "1.2.3.4"), ("x-forwarded-for", "5.6.7.8")], {"X-Forwarded-For": "1.2.3.4, 5.6.7.8"}),
        ([("Cookie", "a=1"), ("Accept", "x"), ("COOKIE", "b=2; a=3")], {"Cookie": "a=1; b=2; a=3", "Accept": "x"}),
        # Set-Cookie values hold commas of their own: never joined, so the first one stands.
        ([("Set-Cookie", "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT"), ("Set-Cookie", "b=2")],
         {"Set-Cookie": "a=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT"}),
    ],
)
def test_combined_headers(pairs: list[tuple[str, str]], combined: dict[str, str]) -> None:
    assert combined_headers(pairs) == combined
    assert list(combined_headers(pairs)) == list(combined)  # first spelling, first position


def test_request_dict_keeps_every_value_of_a_repeated_header() -> None:
    spec: dict[str, Any] = {"url": "http://a.test/", "headers": ["Accept: text/html", "Accept: */*", "X-A: 1"]}
    assert parse_request(spec).to_dict()["headers"] == {"Accept": "text/html, */*", "X-A": "1"}


def test_ingress_spec_upstream_keeps_every_value_of_a_repeated_header() -> None:
    data = trace(
        CANARY_BY_COOKIE,
        {"url": "http://shop.test/", "headers": ["Cookie: a=1", "Cookie: b=2", "X-A: 1", "x-a: 2"]},
        controller="ingress-spec",
        assume_endpoints=True,
    ).to_dict()
    jsonschema.validate(data, SCHEMA)
    upstream = data["requests"][0]["upstream"]["headers"]
    assert upstream == {"Host": "shop.test", "Cookie": "a=1; b=2", "X-A": "1, 2"}


def test_request_line_with_version_and_without_method() -> None:
    assert parse_request("GET https://shop.example.com/cart HTTP/1.0").http_version == "1.0"
    line = parse_request("https://shop.example.com/ HTTP/2")
    assert (line.method, line.http_version) == ("GET", "2")


def test_request_line_with_a_space_in_the_url_is_refused_by_name() -> None:
    with pytest.raises(RequestError, match="contains a space; write it as %20"):
        parse_request("GET https://shop.example.com/a b")
    with pytest.raises(RequestError, match="unknown HTTP method 'FETCH'"):
        parse_request("FETCH https://shop.example.com/")
