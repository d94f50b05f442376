"""Engine.routes(): one row per (installation, host, path) with the problems found without a request.

The shop example is checked row by row; small manifests cover each problem kind, for ingress-nginx and the
portable Ingress semantics; and each clean row's sample URL, traced, lands on that row's Ingress path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tracer.engine import Engine
from tracer.engine.routes import sample_host, sample_path

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "examples" / "shop"
NGINX = "ingress-nginx (ingress-nginx/ingress-nginx-controller)"

CLASS = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
"""
WEB = """\
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1}]}
"""


def ingress(name: str, paths: str, *, host: str = "shop.example.com", created: str = "2026-01-01T00:00:00Z",
            annotations: str = "{}", extra: str = "") -> str:
    rules = f"  rules:\n  - host: {host}\n    http:\n      paths:\n{paths}" if paths else ""
    return f"""\
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: {name}, namespace: shop, creationTimestamp: "{created}", annotations: {annotations}}}
spec:
  ingressClassName: nginx
{extra}{rules}
"""


def path(p: str, service: str = "web", port: str = "{number: 80}", kind: str = "Prefix") -> str:
    return f"      - {{path: '{p}', pathType: {kind}, backend: {{service: {{name: {service}, port: {port}}}}}}}\n"


def routes(text: str, **options: Any) -> list[dict[str, Any]]:
    return Engine(text, **options).routes()


def kinds(row: dict[str, Any]) -> list[str]:
    return [p["kind"] for p in row["problems"]]


def row_of(rows: list[dict[str, Any]], ingress: str, host: str | None, p: str) -> dict[str, Any]:
    found = [r for r in rows if r["ingress"]["name"] == ingress and r["host"] == host and r["path"] == p]
    assert len(found) == 1, [(r["ingress"]["name"], r["host"], r["path"]) for r in rows]
    return found[0]


# -- the shop example --------------------------------------------------------------------------------------


def test_shop_rows_in_controller_order() -> None:
    rows = Engine(str(SHOP)).routes()
    got = [(r["host"], r["path"], r["match"], r["backend_text"], (r["tls"] or {}).get("secret"), kinds(r)) for r in rows]
    assert got == [
        ("*.shop.example.com", "/", "Prefix", "Service shop/tenants:80", None, ["selector"]),
        # shop.example.com is in regex mode (rewrite-target on shop/api): longest first, every path a regex
        ("shop.example.com", "/api(/|$)(.*)", "regex", "Service shop/api:8080", "shop/shop-tls", []),
        ("shop.example.com", "/cart", "regex", "Service shop/web:80", "shop/shop-tls", []),
        ("shop.example.com", "/", "regex", "Service shop/web:http", "shop/shop-tls", []),
        (None, "/", "Prefix", "Service shop/landing:80", None, []),
    ]
    assert {r["installation"] for r in rows} == {NGINX}
    assert rows[1]["match_note"] == "regex mode: rewrite-target on shop/api"
    # the canary belongs to the upstream shop-web-http only (ingress-nginx#7.2)
    assert [r["canary"] for r in rows] == [
        None, None, None, "Service shop/web-canary:http (canary Ingress shop/storefront-canary)", None,
    ]
    assert [r["sample_url"] for r in rows] == [
        "http://any.shop.example.com/",
        "https://shop.example.com/api",
        "https://shop.example.com/cart",
        "https://shop.example.com/",
        "http://198.51.100.20/",  # the controller's LoadBalancer address: no server is named after it
    ]
    assert rows[0]["problems"][0]["code"] == "SELECTOR_MATCHES_NOTHING"
    assert rows[0]["ingress"] == {**rows[0]["ingress"], "kind": "Ingress", "namespace": "shop", "name": "tenants",
                                  "group": "networking.k8s.io"}


def test_each_clean_sample_url_reaches_its_route() -> None:
    engine = Engine(str(SHOP))
    for row in engine.routes():
        trace = engine.route(f"GET {row['sample_url']}")
        assert trace.route is not None
        assert (trace.route["name"], trace.route["rule"]) == (row["ingress"]["name"], row["rule"]), row["sample_url"]


# -- problems, ingress-nginx -------------------------------------------------------------------------------


def test_backend_problems() -> None:
    text = CLASS + ingress("a", path("/gone", "nope") + path("/port", port="{number: 81}") + path("/sel", "lonely")
                           + path("/ok")) + WEB + """\
---
apiVersion: v1
kind: Service
metadata: {name: lonely, namespace: shop}
spec: {selector: {app: nobody}, ports: [{port: 80}]}
"""
    rows = routes(text)
    by_path = {r["path"]: r for r in rows}
    assert kinds(by_path["/gone"]) == ["service"]
    assert by_path["/gone"]["problems"][0]["code"] == "SERVICE_MISSING"
    assert kinds(by_path["/port"]) == ["service-port"]
    assert kinds(by_path["/sel"]) == ["selector"]
    assert kinds(by_path["/ok"]) == []
    assert by_path["/sel"]["problems"][0]["rule"] == "dataplane#R13"


def test_no_ready_endpoints() -> None:
    text = CLASS + ingress("a", path("/")) + """\
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web, image: web:1}]}
status: {phase: Running, podIP: 10.0.0.5, conditions: [{type: Ready, status: "False"}]}
"""
    (row,) = routes(text)
    assert kinds(row) == ["endpoints"]
    assert row["problems"][0]["code"] == "NO_READY_ENDPOINTS"
    (assumed,) = routes(text, assume_endpoints=True)
    assert kinds(assumed) == []


def test_duplicate_host_and_path_keeps_the_oldest() -> None:
    text = CLASS + ingress("newer", path("/api"), created="2026-02-01T00:00:00Z") + ingress(
        "older", path("/api"), created="2026-01-01T00:00:00Z"
    ) + WEB
    rows = routes(text)
    assert [(r["ingress"]["name"], kinds(r)) for r in rows] == [("older", []), ("newer", ["shadowed"])]
    shadow = rows[1]["problems"][0]
    assert shadow["rule"] == "ingress-nginx#3.2"
    assert "already defined by Ingress shop/older" in shadow["message"]


def test_prefix_with_and_without_slash_render_the_same_location() -> None:
    rows = routes(CLASS + ingress("a", path("/foo") + path("/foo/")) + WEB)
    shadowed = [r for r in rows if r["problems"]]
    assert [(r["path"], r["problems"][0]["code"]) for r in shadowed] == [("/foo", "DUPLICATE_LOCATION")]
    assert shadowed[0]["problems"][0]["rule"] == "ingress-nginx#3.10"


def test_regex_mode_same_pattern_later_never_wins() -> None:
    regex = '{nginx.ingress.kubernetes.io/use-regex: "true"}'
    text = CLASS + ingress("a", path("/Foo", kind="ImplementationSpecific"), annotations=regex) + ingress(
        "b", path("/foo", kind="Exact"), created="2026-01-02T00:00:00Z"
    ) + WEB
    rows = routes(text)
    assert [(r["path"], r["match"], kinds(r)) for r in rows] == [("/foo", "regex", []), ("/Foo", "regex", ["shadowed"])]
    assert rows[1]["problems"][0]["rule"] == "ingress-nginx#3.5"


def test_regex_that_does_not_compile() -> None:
    regex = '{nginx.ingress.kubernetes.io/use-regex: "true"}'
    (row,) = routes(CLASS + ingress("a", path("/bad(", kind="ImplementationSpecific"), annotations=regex) + WEB)
    assert kinds(row) == ["regex"]
    assert row["problems"][0]["code"] == "REGEX_INVALID"
    assert row["sample_url"] == "http://shop.example.com/bad"


def test_default_backends_first_wins() -> None:
    default = "  defaultBackend: {service: {name: web, port: {number: 80}}}\n"
    text = CLASS + ingress("one", "", extra=default) + ingress("two", "", extra=default, created="2026-01-02T00:00:00Z")
    rows = routes(text + WEB)
    assert [(r["ingress"]["name"], r["host"], r["default_backend"], kinds(r)) for r in rows] == [
        ("one", None, True, []),
        ("two", None, True, ["shadowed"]),
    ]
    assert "Ingress shop/one already serves" in rows[1]["problems"][0]["message"]


def test_resource_backend() -> None:
    resource = "      - {path: /b, pathType: Prefix, backend: {resource: {apiGroup: s.example, kind: Bucket, name: b}}}\n"
    rows = routes(CLASS + ingress("a", resource + path("/")) + WEB)
    row = row_of(rows, "a", "shop.example.com", "/b")
    assert row["backend"] is None and row["backend_text"] == "resource s.example/Bucket b"
    assert kinds(row) == ["resource-backend"] and row["problems"][0]["rule"] == "ingress-nginx#6.4"


def test_dropped_by_the_controller() -> None:
    snippet = '{nginx.ingress.kubernetes.io/configuration-snippet: "more_set_headers x: y;"}'
    rows = routes(CLASS + ingress("risky", path("/"), annotations=snippet) + WEB)
    (row,) = rows
    assert row["installation"] == "ingress-nginx (class nginx)"
    assert kinds(row) == ["dropped"] and row["problems"][0]["code"] == "SNIPPETS_DISABLED"


def test_class_served_by_no_controller() -> None:
    other = ingress("stray", path("/"), host="stray.example.com").replace("ingressClassName: nginx", "ingressClassName: haproxy")
    rows = routes(CLASS + ingress("a", path("/")) + other + WEB)
    stray = row_of(rows, "stray", "stray.example.com", "/")
    assert stray["installation"] is None and stray["controller"] is None
    assert kinds(stray) == ["class"]
    assert "no controller installation in the snapshot serves it" in stray["problems"][0]["message"]
    assert rows[-1] is stray  # after every installation's rows


def test_a_class_another_installation_serves_is_no_problem() -> None:
    # A controller tracer does not simulate: its paths as written, its backends checked.
    other_class = """\
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: other}
spec: {controller: example.com/ingress-controller}
"""
    other = ingress("t", path("/", kind="ImplementationSpecific") + path("/gone", "nope"), host="t.example.com").replace(
        "ingressClassName: nginx", "ingressClassName: other"
    )
    rows = routes(CLASS + other_class + ingress("a", path("/")) + other + WEB)
    t = row_of(rows, "t", "t.example.com", "/")
    assert t["installation"] == "unknown (class other)" and t["simulated"] is False
    assert t["match"] == "ImplementationSpecific" and kinds(t) == []
    assert kinds(row_of(rows, "t", "t.example.com", "/gone")) == ["service"]
    assert not any("class" in kinds(r) for r in rows)


# -- the portable semantics --------------------------------------------------------------------------------


def test_portable_longest_path_takes_every_request() -> None:
    rows = routes(CLASS + ingress("a", path("/foo")) + ingress("b", path("/foo/"), created="2026-01-02T00:00:00Z") + WEB,
                  controller="ingress-spec")
    assert [(r["ingress"]["name"], r["path"], kinds(r)) for r in rows] == [("b", "/foo/", []), ("a", "/foo", ["shadowed"])]
    assert rows[1]["problems"][0]["rule"] == "k8s-routing#I-17"
    assert rows[1]["installation"] == "ingress-spec"


def test_portable_identical_paths_and_default_backends() -> None:
    default = "  defaultBackend: {service: {name: web, port: {number: 80}}}\n"
    text = CLASS + ingress("a", path("/x", kind="ImplementationSpecific"), extra=default) + ingress(
        "b", path("/x"), created="2026-01-02T00:00:00Z", extra=default
    ) + WEB
    rows = routes(text, controller="ingress-spec")
    got = [(r["ingress"]["name"], r["host"], r["path"], r["match"], kinds(r)) for r in rows]
    assert got == [
        ("a", "shop.example.com", "/x", "ImplementationSpecific as Prefix", []),
        ("b", "shop.example.com", "/x", "Prefix", ["shadowed"]),
        ("a", None, "/", "no rule matches", []),
        ("b", None, "/", "no rule matches", ["shadowed"]),
    ]
    assert rows[3]["problems"][0]["rule"] == "k8s-routing#I-20"


def test_portable_invalid_ingress_is_dropped() -> None:
    bad = ingress("bad", path("/a//b"))
    (row,) = routes(CLASS + bad + WEB, controller="ingress-spec")
    assert kinds(row) == ["dropped"] and row["installation"] == "ingress-spec"
    assert row["problems"][0]["rule"] == "k8s-routing#I-6"


def test_portable_backend_problems_use_service_port_semantics() -> None:
    # ingress-nginx also matches a port by targetPort (ingress-nginx#6.2); the portable model does not (C-4)
    rows = routes(CLASS + ingress("a", path("/", port="{number: 8080}")) + WEB, controller="ingress-spec")
    assert kinds(rows[0]) == ["service-port"]
    assert kinds(routes(CLASS + ingress("a", path("/", port="{number: 8080}")) + WEB)[0]) == []


# -- sample URLs -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "regex", "sample"),
    [
        ("/api", False, "/api"),
        ("/api(/|$)(.*)", True, "/api"),
        ("/v[0-9]+/items", True, "/v"),
        (r"/static/app\.js", True, "/static/app.js"),
        ("/colou?r", True, "/colo"),
        ("(/|$)", True, "/"),
    ],
)
def test_sample_path(pattern: str, regex: bool, sample: str) -> None:
    assert sample_path(pattern, regex) == sample


def test_sample_host() -> None:
    assert sample_host("shop.example.com", "203.0.113.1", set()) == "shop.example.com"
    assert sample_host(None, "203.0.113.1", set()) == "203.0.113.1"
    assert sample_host("*.example.com", "x", set()) == "any.example.com"
    assert sample_host("*.example.com", "x", {"any.example.com"}) == "any-1.example.com"
