"""manage.py translate's engine half: ingress-nginx Ingresses -> Gateway API objects, feature by feature, the notes
for what cannot be expressed, and the verification classes on examples/migration-nginx-to-gateway."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tracer.engine import Engine, OptionError
from tracer.engine.translate import Translation, translate, translate_and_verify, verify
from tracer.engine.translate.probes import regex_sample

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "migration-nginx-to-gateway"
BASE = [d for f in ("ingress-nginx.yaml", "apps.yaml") for d in yaml.safe_load_all((EXAMPLE / f).read_text())]
P = "nginx.ingress.kubernetes.io/"


def ingress(name: str, path: str = "/", *, annotations: dict[str, str] | None = None, path_type: str = "Prefix",
            host: str | None = "app.example.com", service: str = "web", port: int = 80,
            tls: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"http": {"paths": [{"path": path, "pathType": path_type, "backend": {
        "service": {"name": service, "port": {"number": port}}}}]}}
    if host is not None:
        rule["host"] = host
    spec: dict[str, Any] = {"ingressClassName": "nginx", "rules": [rule], **(extra or {})}
    if tls is not None:
        spec["tls"] = [tls]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": "site", "annotations": annotations or {}}, "spec": spec}


def run(*docs: dict[str, Any], implementation: str | None = None) -> Translation:
    return translate([*BASE, *docs], implementation=implementation)


def of(t: Translation, kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [o for o in t.objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]


def route(t: Translation, name: str) -> dict[str, Any]:
    found = of(t, "HTTPRoute", name)
    assert len(found) == 1, [o["metadata"]["name"] for o in of(t, "HTTPRoute")]
    return found[0]


def rule0(t: Translation, name: str) -> dict[str, Any]:
    return route(t, name)["spec"]["rules"][0]


def noted(t: Translation, annotation: str, level: str = "warning") -> list[str]:
    return [n.message for n in t.notes if n.annotation == P + annotation and n.level == level]


# -- paths -------------------------------------------------------------------------------------------------------

def test_prefix_exact_and_implementation_specific_paths() -> None:
    t = run(ingress("a", "/shop"), ingress("b", "/about", path_type="Exact"),
            ingress("c", "/blog", path_type="ImplementationSpecific"))
    assert rule0(t, "a")["matches"] == [{"path": {"type": "PathPrefix", "value": "/shop"}}]
    assert rule0(t, "b")["matches"] == [{"path": {"type": "Exact", "value": "/about"}}]
    assert rule0(t, "c")["matches"] == [{"path": {"type": "PathPrefix", "value": "/blog"}}]
    assert any("ImplementationSpecific" in n.message and n.gap == "ingress-nginx-only" for n in t.notes)
    assert rule0(t, "a")["backendRefs"] == [{"name": "web", "port": 80}]


def test_use_regex_path_becomes_a_regular_expression_match() -> None:
    t = run(ingress("api", "/v[0-9]+/items", path_type="ImplementationSpecific", annotations={P + "use-regex": "true"}))
    assert rule0(t, "api")["matches"] == [{"path": {"type": "RegularExpression", "value": "/v[0-9]+/items"}}]
    assert noted(t, "use-regex", "info")


def test_trailing_slash_prefix_is_noted_as_ingress_nginx_only() -> None:
    t = run(ingress("docs", "/docs/"))
    assert rule0(t, "docs")["matches"][0]["path"] == {"type": "PathPrefix", "value": "/docs/"}
    assert [n for n in t.notes if "301" in n.message and n.gap == "ingress-nginx-only"]


# -- rewrites ------------------------------------------------------------------------------------------------------

def test_documented_prefix_strip_becomes_replace_prefix_match() -> None:
    t = run(ingress("legacy", "/shop(/|$)(.*)", path_type="ImplementationSpecific",
                    annotations={P + "rewrite-target": "/$2"}))
    rule = rule0(t, "legacy")
    assert rule["matches"] == [{"path": {"type": "PathPrefix", "value": "/shop"}}]
    assert rule["filters"] == [{"type": "URLRewrite", "urlRewrite": {
        "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}]


def test_rewrite_without_groups_replaces_the_full_path_and_sets_the_forwarded_prefix() -> None:
    t = run(ingress("api", "/api", annotations={P + "rewrite-target": "/", P + "x-forwarded-prefix": "/api"}))
    assert rule0(t, "api")["filters"] == [
        {"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "X-Forwarded-Prefix",
                                                                            "value": "/api"}]}},
        {"type": "URLRewrite", "urlRewrite": {"path": {"type": "ReplaceFullPath", "replaceFullPath": "/"}}}]


def test_capture_groups_are_a_spec_gap_note_and_no_rewrite() -> None:
    t = run(ingress("avatars", "/user/([a-z]+)/avatar", path_type="ImplementationSpecific",
                    annotations={P + "rewrite-target": "/avatars/$1.png"}))
    assert "filters" not in rule0(t, "avatars")
    [note] = [n for n in t.notes if n.annotation == P + "rewrite-target" and n.level == "warning"]
    assert note.gap == "spec" and "capture groups" in note.message


def test_upstream_vhost_becomes_a_hostname_rewrite() -> None:
    t = run(ingress("a", "/", annotations={P + "upstream-vhost": "internal.example"}))
    assert rule0(t, "a")["filters"] == [{"type": "URLRewrite", "urlRewrite": {"hostname": "internal.example"}}]


# -- redirects -----------------------------------------------------------------------------------------------------

TLS_SECRET = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
              "metadata": {"name": "app-tls", "namespace": "site"}}


def test_tls_host_gets_an_https_listener_a_grant_and_the_308_redirect_on_http() -> None:
    t = run(TLS_SECRET, ingress("web", "/", tls={"hosts": ["app.example.com"], "secretName": "app-tls"}))
    [gw] = of(t, "Gateway")
    https = gw["spec"]["listeners"][1]
    assert (https["port"], https["protocol"], https["hostname"]) == (443, "HTTPS", "app.example.com")
    assert https["tls"]["certificateRefs"] == [{"kind": "Secret", "name": "app-tls", "namespace": "site"}]
    [grant] = of(t, "ReferenceGrant")
    assert grant["metadata"]["namespace"] == "site" and grant["spec"]["to"] == [
        {"group": "", "kind": "Secret", "name": "app-tls"}]
    assert route(t, "web")["spec"]["parentRefs"][0]["sectionName"] == https["name"]
    http = route(t, "web-http")
    assert http["spec"]["parentRefs"][0]["sectionName"] == "http"
    assert http["spec"]["rules"][0]["filters"] == [
        {"type": "RequestRedirect", "requestRedirect": {"scheme": "https", "statusCode": 308}}]
    assert gw["status"]["addresses"] == [{"type": "IPAddress", "value": "198.51.100.30"}]


def test_ssl_redirect_false_serves_both_listeners_and_force_redirects_without_tls() -> None:
    t = run(TLS_SECRET, ingress("web", "/", annotations={P + "ssl-redirect": "false"},
                                tls={"hosts": ["app.example.com"], "secretName": "app-tls"}),
            ingress("forced", "/", host="plain.example.com", annotations={P + "force-ssl-redirect": "true"}))
    assert [p["sectionName"] for p in route(t, "web")["spec"]["parentRefs"]] == ["http", "https-app-example-com"]
    assert not of(t, "HTTPRoute", "web-http")
    assert rule0(t, "forced")["filters"][0]["requestRedirect"] == {"scheme": "https", "statusCode": 308}


def test_permanent_temporal_redirects_and_app_root() -> None:
    t = run(ingress("moved", "/old", annotations={P + "permanent-redirect": "https://new.example.com/home"}),
            ingress("tmp", "/", host="tmp.example.com", annotations={P + "temporal-redirect": "https://x.example.com/",
                                                                      P + "temporal-redirect-code": "307"}),
            ingress("root", "/", host="root.example.com", annotations={P + "app-root": "/app"}))
    assert rule0(t, "moved")["filters"] == [{"type": "RequestRedirect", "requestRedirect": {
        "scheme": "https", "hostname": "new.example.com",
        "path": {"type": "ReplaceFullPath", "replaceFullPath": "/home"}, "statusCode": 301}}]
    assert "backendRefs" not in rule0(t, "moved")
    assert rule0(t, "tmp")["filters"][0]["requestRedirect"]["statusCode"] == 307
    root = route(t, "root")["spec"]["rules"]
    assert root[0]["matches"] == [{"path": {"type": "Exact", "value": "/"}}]
    assert root[0]["filters"] == [{"type": "RequestRedirect", "requestRedirect": {
        "path": {"type": "ReplaceFullPath", "replaceFullPath": "/app"}, "statusCode": 302}}]
    assert root[1]["backendRefs"] == [{"name": "web", "port": 80}]


# -- canary --------------------------------------------------------------------------------------------------------

def test_canary_weight_header_and_cookie() -> None:
    t = run(ingress("web", "/"),
            ingress("web-canary", "/", service="docs", annotations={
                P + "canary": "true", P + "canary-weight": "20", P + "canary-by-header": "X-Canary",
                P + "canary-by-cookie": "beta", P + "rewrite-target": "/ignored"}))
    assert not of(t, "HTTPRoute", "web-canary")
    rules = route(t, "web")["spec"]["rules"]
    assert rules[0]["backendRefs"] == [{"name": "web", "port": 80, "weight": 80}, {"name": "docs", "port": 80,
                                                                                  "weight": 20}]
    headers = [(r["matches"][0].get("headers"), r["backendRefs"]) for r in rules[1:]]
    assert ([{"name": "X-Canary", "value": "always"}], [{"name": "docs", "port": 80}]) in headers
    assert ([{"name": "X-Canary", "value": "never"}], [{"name": "web", "port": 80}]) in headers
    cookie = [h for h, _ in headers if h and h[0]["name"] == "Cookie"]
    assert cookie and cookie[0][0]["type"] == "RegularExpression" and "beta=always" in cookie[0][0]["value"]
    assert [n for n in t.notes if n.annotation == P + "rewrite-target" and "canary" in n.message]


def test_canary_without_primary_is_noted() -> None:
    t = run(ingress("lonely", "/x", service="docs", annotations={P + "canary": "true", P + "canary-weight": "50"}))
    assert not of(t, "HTTPRoute")
    assert [n for n in t.notes if "drops this canary" in n.message]


# -- headers, backend protocol, timeouts, defaultBackend -------------------------------------------------------------

def test_custom_headers_and_proxy_set_headers() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "resp", "namespace": "site"},
          "data": {"X-Frame-Options": "DENY", "X-Req": "$request_id"}}
    proxy = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "up", "namespace": "ingress-nginx"},
             "data": {"X-Team": "shop"}}
    base = [d for d in BASE if d["kind"] != "ConfigMap"]
    controller_cm = {"apiVersion": "v1", "kind": "ConfigMap",
                     "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
                     "data": {"proxy-set-headers": "ingress-nginx/up"}}
    t = translate([*base, controller_cm, cm, proxy, ingress("a", "/", annotations={P + "custom-headers": "site/resp"})])
    filters = rule0(t, "a")["filters"]
    assert {"type": "RequestHeaderModifier", "requestHeaderModifier": {"set": [{"name": "X-Team",
                                                                                "value": "shop"}]}} in filters
    assert {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"set": [{"name": "X-Frame-Options",
                                                                                  "value": "DENY"}]}} in filters
    assert [n for n in t.notes if "X-Req" in n.message and n.level == "warning"]


def test_backend_protocol_and_timeouts() -> None:
    t = run(ingress("dash", "/", annotations={P + "backend-protocol": "HTTPS", P + "proxy-read-timeout": "3600"}),
            ingress("grpc", "/", host="grpc.example.com", annotations={P + "backend-protocol": "GRPC"}))
    [policy] = of(t, "BackendTLSPolicy")
    assert policy["spec"]["targetRefs"] == [{"group": "", "kind": "Service", "name": "web"}]
    assert rule0(t, "dash")["timeouts"] == {"backendRequest": "3600s"}
    assert noted(t, "backend-protocol") and any("h2c" in m for m in noted(t, "backend-protocol"))


def test_default_backend_becomes_a_route_without_hostnames() -> None:
    t = run(ingress("web", "/", extra={"defaultBackend": {"service": {"name": "docs", "port": {"number": 80}}}}))
    routes = of(t, "HTTPRoute")
    hostless = [r for r in routes if "hostnames" not in r["spec"]]
    assert hostless and hostless[0]["spec"]["rules"][0]["backendRefs"] == [{"name": "docs", "port": 80}]


@pytest.mark.parametrize("annotation,value", [
    ("auth-url", "http://auth.site.svc/check"), ("limit-rps", "5"), ("affinity", "cookie"),
    ("whitelist-source-range", "10.0.0.0/8"), ("enable-cors", "true"), ("proxy-body-size", "8m"),
    ("auth-tls-secret", "site/ca"),
])
def test_every_unexpressible_annotation_leaves_a_warning(annotation: str, value: str) -> None:
    t = run(ingress("a", "/", annotations={P + annotation: value}))
    assert noted(t, annotation), [n.line() for n in t.notes]
    assert route(t, "a")  # the route itself is still translated


def test_an_ingress_ingress_nginx_drops_is_not_translated_and_says_so() -> None:
    t = run(ingress("snippet", "/", annotations={P + "configuration-snippet": "return 200;"}))
    assert not of(t, "HTTPRoute")
    assert [n for n in t.notes if n.object == "Ingress site/snippet" and "ignores it" in n.message]


def test_translated_snapshot_keeps_the_workloads_and_drops_the_ingresses() -> None:
    t = run(ingress("web", "/"))
    assert t.snapshot is not None
    assert not t.snapshot.of_kind("Ingress")
    assert {s.name for s in t.snapshot.of_kind("Service")} >= {"web", "api", "ingress-nginx-controller"}
    trace = Engine(t.snapshot, controller="gateway-api").trace("GET http://app.example.com/").to_dict()
    assert trace["requests"][0]["status"] == 200


def test_implementation_names_the_class_controller_and_unknown_keys_fail() -> None:
    t = run(ingress("web", "/"), implementation="envoy-gateway")
    [gc] = of(t, "GatewayClass")
    assert gc["spec"]["controllerName"] == "gateway.envoyproxy.io/gatewayclass-controller"
    with pytest.raises(OptionError, match="envoy-gateway"):
        run(ingress("web", "/"), implementation="nope")


# -- verification ----------------------------------------------------------------------------------------------------

def test_regex_sample_matches_its_pattern() -> None:
    assert regex_sample("/v[0-9]+/items") == "/v0/items"
    assert regex_sample("/user/([a-z]+)/avatar") == "/user/a/avatar"
    assert regex_sample("[^/]+") is None


def _classes() -> dict[str, tuple[bool, str | None, str | None]]:
    v = verify(None, translate(str(EXAMPLE)), requests=["GET http://legacy.example.com/shop/cart"])
    return {r["request"]: (r["changed"], r["class"], r["reason"]) for r in v.rows}


def test_migration_example_classes() -> None:
    rows = _classes()
    same = ["GET http://app.example.com/", "GET http://api.example.com/v0/items", "GET http://api.example.com/healthz",
            "GET http://legacy.example.com/shop/cart"]
    for request in same:
        assert rows[request][:2] == (False, None), request
    expected = {
        "GET http://api.example.com/v0/items/sub": ("ingress-nginx-only", "regex paths"),
        "GET http://api.example.com/V0/ITEMS": ("ingress-nginx-only", "case-insensitively"),
        "GET http://api.example.com/healthz/sub": ("ingress-nginx-only", "host-wide use-regex"),
        "GET http://legacy.example.com/SHOP/": ("ingress-nginx-only", "rewrite-target implies regex"),
        "GET http://app.example.com/docs": ("ingress-nginx-only", "trailing-slash 301"),
        "GET http://app.example.com//admin": ("ingress-nginx-only", "URL normalisation"),
        "GET http://app.example.com/admin": ("translation-gap", "whitelist-source-range"),
        "GET http://legacy.example.com/user/a/avatar": ("spec-gap", "capture groups"),
    }
    for request, (kind, words) in expected.items():
        changed, got, reason = rows[request]
        assert changed and got == kind and reason and words in reason, (request, got, reason)
    assert not [r for r, (changed, kind, _) in rows.items() if changed and kind == "unclassified"]


def test_unsupported_feature_on_an_unchanged_request_is_a_target_implementation_gap() -> None:
    t = run(ingress("web", "/", annotations={P + "force-ssl-redirect": "true"}), implementation="traefik")
    row = verify(None, t, requests=["GET http://app.example.com/"], probes=False).rows[0]
    assert (row["changed"], row["class"]) == (False, "target-implementation-gap")
    assert "308" in row["reason"]


def test_translate_and_verify_json() -> None:
    out = translate_and_verify(str(EXAMPLE), requests=["GET http://app.example.com/admin"])
    assert out["schema"] == "tracer/translation-v1"
    assert {"objects", "notes", "requests", "summary"} <= set(out)
    first = out["requests"][2]  # after the journey's two steps: the caller's request
    assert first["request"] == "GET http://app.example.com/admin" and first["class"] == "translation-gap"
    assert out["summary"]["changed"] == sum(1 for r in out["requests"] if r["changed"])
    assert out["summary"]["by_class"]["ingress-nginx-only"] > 0
