"""Traefik 1.7 behaviour, one rule of docs/rules/traefik.md (traefik#T35..#T49) per test, on small manifests."""

from __future__ import annotations

from typing import Any

import pytest
from traefik_fixtures import Doc, app, codes, controller_hop, ingress, profile, run  # tests/engine is on sys.path

from tracer.engine import Engine

TOML = """\
InsecureSkipVerify = false
defaultEntryPoints = ["http","https"]
[entryPoints]
  [entryPoints.http]
  address = ":80"
  [entryPoints.https]
  address = ":443"
    [entryPoints.https.tls]
[kubernetes]
"""


def traefik17(toml: str = TOML, *args: str) -> list[Doc]:
    """Traefik 1.7 as the stable/traefik chart runs it: traefik.toml from a ConfigMap, hostPorts 80 and 443."""
    labels = {"app": "traefik"}
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "traefik", "namespace": "kube-system"},
         "data": {"traefik.toml": toml}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "traefik", "namespace": "kube-system"},
         "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {
             "containers": [{"name": "traefik", "image": "traefik:1.7.34", "args": ["--configfile=/config/traefik.toml",
                                                                                   *args],
                             "ports": [{"containerPort": 80, "hostPort": 80}, {"containerPort": 443, "hostPort": 443}],
                             "volumeMounts": [{"name": "config", "mountPath": "/config"}]}],
             "volumes": [{"name": "config", "configMap": {"name": "traefik"}}]}}}},
    ]


def v1_ingress(name: str, path: str, service: str = "app", port: int | str = 80, *, host: str | None = "example.com",
               annotations: dict[str, str] | None = None, **kw: Any) -> Doc:
    return ingress(name, [(path, "", service, port)], host=host, annotations=annotations,
                   api="extensions/v1beta1", **kw)


def rt_of(docs: list[Doc], request: str | Doc) -> Any:
    rt = run(docs, request)
    assert rt.controller == "traefik-v1"
    return rt


def test_T46_settings_from_traefik_toml() -> None:
    engine = Engine(traefik17() + app("app") + [v1_ingress("a", "/")])
    assert engine.family == "traefik-v1"
    info = engine.table.describe()  # type: ignore[union-attr]
    assert info["entry_points"] == {"http": {"port": 80, "tls": False}, "https": {"port": 443, "tls": True}}
    assert "ConfigMap kube-system/traefik" in info["settings"]


def test_T35_class_annotation_only() -> None:
    docs = traefik17() + app("app")
    served = v1_ingress("t", "/", annotations={"kubernetes.io/ingress.class": "traefik"})
    other = v1_ingress("n", "/", host="nginx.example.com", annotations={"kubernetes.io/ingress.class": "nginx"})
    # spec.ingressClassName is never read: an Ingress for another controller through the field is served.
    by_field = ingress("f", [("/", "Prefix", "app", 80)], host="field.example.com", class_name="nginx")
    engine = Engine([*docs, served, other, by_field], controller="traefik-v1")
    assert engine.route("GET http://example.com/").status == 200
    ignored = engine.route("GET http://nginx.example.com/")
    assert ignored.status == 404 and "TRAEFIK_INGRESS_IGNORED" in codes(ignored)
    assert engine.route("GET http://field.example.com/").status == 200


def test_T35_label_selector_and_missing_tls_secret() -> None:
    toml = TOML.replace("[kubernetes]", '[kubernetes]\nlabelselector = "app=traefik"')
    labelled = v1_ingress("l", "/", host="l.example.com")
    labelled["metadata"]["labels"] = {"app": "traefik"}
    docs = traefik17(toml) + app("app") + [labelled, v1_ingress("u", "/")]
    assert rt_of(docs, "GET http://l.example.com/").status == 200
    assert rt_of(docs, "GET http://example.com/").status == 404
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "present", "namespace": "default"},
              "type": "kubernetes.io/tls"}
    tls = v1_ingress("tls", "/", tls=[{"secretName": "absent", "hosts": ["example.com"]}])
    rt = rt_of(traefik17() + app("app") + [secret, tls], "GET http://example.com/")
    assert rt.status == 404 and "TLS Secret default/absent" in rt.diagnoses[0].message


def test_T38_path_prefix_is_a_string_prefix_and_strip() -> None:
    docs = traefik17() + app("app") + [v1_ingress("a", "/k8s", annotations={
        "traefik.ingress.kubernetes.io/rule-type": "PathPrefixStrip"})]
    for path, upstream in (("/k8s", "/"), ("/k8s/", "/"), ("/k8s/x", "/x"), ("/k8sx", "/x")):
        rt = rt_of(docs, f"GET http://example.com{path}")
        assert (rt.status, rt.upstream["path"]) == (200, upstream), path
    assert rt_of(docs, "GET http://example.com/k8s/x").upstream["headers"]["X-Forwarded-Prefix"] == "/k8s"


@pytest.mark.parametrize(("rule_type", "path", "status", "upstream"), [
    ("Path", "/k8s", 200, "/k8s"), ("Path", "/k8s/", 404, None), ("PathStrip", "/k8s", 200, "/"),
    ("PathStrip", "/k8s/x", 404, None), ("PathPrefix", "/k8s/x", 200, "/k8s/x"), ("Prefix", "/k8s", 404, None),
])
def test_T38_rule_types(rule_type: str, path: str, status: int, upstream: str | None) -> None:
    docs = traefik17() + app("app") + [v1_ingress("a", "/k8s", annotations={
        "traefik.ingress.kubernetes.io/rule-type": rule_type})]
    rt = rt_of(docs, f"GET http://example.com{path}")
    assert (rt.status, rt.upstream and rt.upstream["path"]) == (status, upstream)


def test_T36_annotation_lookup_order() -> None:
    docs = traefik17() + app("app") + [v1_ingress("a", "/k8s", annotations={
        "ingress.kubernetes.io/rule-type": "PathPrefixStrip",
        "traefik.ingress.kubernetes.io/rule-type": "PathPrefix",
    })]
    assert rt_of(docs, "GET http://example.com/k8s/x").upstream["path"] == "/x"
    legacy = traefik17() + app("app") + [v1_ingress("a", "/k8s", annotations={"traefik.frontend.rule.type": "PathStrip"})]
    assert rt_of(legacy, "GET http://example.com/k8s").upstream["path"] == "/"


def test_T39_rewrite_target_and_request_modifier() -> None:
    docs = traefik17() + app("app") + [v1_ingress("a", "/api", annotations={
        "traefik.ingress.kubernetes.io/rewrite-target": "/v2/"})]
    rt = rt_of(docs, "GET http://example.com/api/users?x=1")
    assert rt.upstream["path"] == "/v2/users?x=1" and rt.upstream["headers"]["X-Replaced-Path"] == "/api/users"
    add = traefik17() + app("app") + [v1_ingress("a", "/api", annotations={
        "traefik.ingress.kubernetes.io/request-modifier": "AddPrefix: /backend"})]
    assert rt_of(add, "GET http://example.com/api/x").upstream["path"] == "/backend/api/x"


def test_T40_priority_sum_of_route_lengths_and_ties() -> None:
    docs = traefik17() + app("app") + app("other") + [
        v1_ingress("short", "/a", "other", host=None),
        v1_ingress("long", "/", "app"),  # Host:example.com (16) + PathPrefix:/ (12) = 28 > PathPrefix:/a (13)
    ]
    rt = rt_of(docs, "GET http://example.com/a")
    assert rt.backend["service"] == "app"
    assert controller_hop(rt).details["frontend"]["priority"] == 28
    docs[-2]["metadata"]["annotations"] = {"traefik.ingress.kubernetes.io/priority": "50"}
    assert rt_of(docs, "GET http://example.com/a").backend["service"] == "other"
    # PathPrefix:/ab and PathStrip:/abc are both 14 long and both match /abc: the order is not defined.
    tie = traefik17() + app("app") + app("other") + [
        v1_ingress("x", "/ab", "app", host=None),
        v1_ingress("y", "/abc", "other", host=None, annotations={"ingress.kubernetes.io/rule-type": "PathStrip"})]
    rt = rt_of(tie, "GET http://example.com/abc")
    assert rt.status == 200 and "TRAEFIK_PRIORITY_TIE" in codes(rt)
    assert "TRAEFIK_PRIORITY_TIE" not in codes(rt_of(tie, "GET http://example.com/abx"))


def test_T41_global_default_backend() -> None:
    default = {"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "d", "namespace": "default"},
               "spec": {"backend": {"serviceName": "fallback", "servicePort": 80}}}
    docs = traefik17() + app("app") + app("fallback") + [default, v1_ingress("a", "/app", host=None)]
    # PathPrefix:/ (12) loses to PathPrefix:/app (15), and answers everything else.
    assert rt_of(docs, "GET http://x.example/app").backend["service"] == "app"
    assert rt_of(docs, "GET http://x.example/other").backend["service"] == "fallback"


def test_T43_redirect_entry_point_keeps_port_443_and_the_path() -> None:
    docs = traefik17() + app("app") + [v1_ingress("a", "/k8s", annotations={
        "traefik.ingress.kubernetes.io/rule-type": "PathPrefixStrip",
        "traefik.ingress.kubernetes.io/redirect-entry-point": "https"})]
    rt = rt_of(docs, "GET http://example.com/k8s/x?y=1")
    assert (rt.status, rt.response_headers["location"]) == (302, "https://example.com:443/k8s/x?y=1")
    assert rt_of(docs, {"method": "POST", "url": "http://example.com/k8s/x"}).status == 307
    docs[-1]["metadata"]["annotations"]["traefik.ingress.kubernetes.io/redirect-permanent"] = "true"
    assert rt_of(docs, "GET http://example.com/k8s/x").status == 301
    # On the target entry point itself there is no redirect.
    assert rt_of(docs, "GET https://example.com/k8s/x").status == 200


def test_T43_entry_point_redirect_in_traefik_toml() -> None:
    toml = TOML.replace('  address = ":80"\n', '  address = ":80"\n    [entryPoints.http.redirect]\n    entryPoint = "https"\n')
    rt = rt_of(traefik17(toml) + app("app") + [v1_ingress("a", "/")], "GET http://example.com/x")
    assert (rt.status, rt.response_headers["location"]) == (302, "https://example.com:443/x")


def test_T49_ssl_redirect_loses_the_stripped_prefix() -> None:
    docs = traefik17() + app("app") + [v1_ingress("a", "/k8s", annotations={
        "traefik.ingress.kubernetes.io/rule-type": "PathPrefixStrip", "ingress.kubernetes.io/ssl-redirect": "true"})]
    rt = rt_of(docs, "GET http://example.com/k8s/")
    assert (rt.status, rt.response_headers["location"]) == (301, "https://example.com/")
    assert "TRAEFIK_V1_SSL_REDIRECT_LOSES_PATH" in codes(rt)


def test_T44_backends_missing_service_404_and_no_endpoints_503() -> None:
    assert rt_of([*traefik17(), v1_ingress("a", "/")], "GET http://example.com/").status == 404
    down = rt_of(traefik17() + app("app", pods=False) + [v1_ingress("a", "/")], "GET http://example.com/")
    assert down.status == 503 and "no ready endpoint" in controller_hop(down).summary
    bad_port = rt_of(traefik17() + app("app") + [v1_ingress("a", "/", port=81)], "GET http://example.com/")
    assert bad_port.status == 503


def test_T44_T48_protocol_and_insecure_skip_verify() -> None:
    dash = [*app("dash", port=443, port_name="https", target=8443), profile("dash", tls=True, ports=[8443])]
    ing = v1_ingress("a", "/", "dash", 443)
    rt = rt_of(traefik17() + dash + [ing], "GET http://example.com/")
    assert rt.status == 500 and "TRAEFIK_BACKEND_CERT_UNTRUSTED" in codes(rt)
    skip = traefik17(TOML.replace("InsecureSkipVerify = false", "InsecureSkipVerify = true"))
    assert rt_of(skip + dash + [ing], "GET http://example.com/").status == 200
    # The flag works too, and overrides the file.
    assert rt_of(traefik17(TOML, "--insecureskipverify=true") + dash + [ing], "GET http://example.com/").status == 200
    # protocol: http on an HTTPS-only app: the app answers 400.
    ing["metadata"]["annotations"] = {"ingress.kubernetes.io/protocol": "http"}
    assert rt_of(traefik17() + dash + [ing], "GET http://example.com/").status == 400


def test_T45_custom_headers() -> None:
    docs = traefik17() + app("app") + [v1_ingress("a", "/", annotations={
        "ingress.kubernetes.io/custom-request-headers": "x-script-name:/app||X-Env:prod",
        "ingress.kubernetes.io/custom-response-headers": "X-Frame-Options:DENY"})]
    rt = rt_of(docs, "GET http://example.com/")
    assert rt.upstream["headers"]["X-Script-Name"] == "/app" and rt.upstream["headers"]["X-Env"] == "prod"
    assert rt.response_headers["x-frame-options"] == "DENY"


def test_T42_frontend_entry_points() -> None:
    docs = traefik17() + app("app") + [v1_ingress("a", "/", annotations={
        "traefik.ingress.kubernetes.io/frontend-entry-points": "https"})]
    assert rt_of(docs, "GET http://example.com/").status == 404
    assert rt_of(docs, "GET https://example.com/").status == 200
