"""The Istio ingress gateway data plane (docs/rules/istio.md): servers, virtual hosts, first-match order,
matches, rewrite/redirect, subsets, Envoy's response flags, HTTP/1.0, and the analyze-style diagnoses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tracer.engine import Engine
from tracer.engine.result import RequestTrace

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
ISTIO = "networking.istio.io/v1"


def gateway_workload(env: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    labels = {"app": "istio-ingressgateway", "istio": "ingressgateway"}
    container: dict[str, Any] = {"name": "istio-proxy", "image": "docker.io/istio/proxyv2:1.24.0"}
    if env:
        container["env"] = env
    return [
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "istio-ingressgateway", "namespace": "istio-system"},
         "spec": {"selector": {"matchLabels": labels},
                  "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "istio-ingressgateway", "namespace": "istio-system"},
         "spec": {"type": "LoadBalancer", "selector": labels,
                  "ports": [{"name": "http2", "port": 80, "targetPort": 8080},
                            {"name": "https", "port": 443, "targetPort": 8443}]}},
    ]


def gw(name: str = "web", servers: list[dict[str, Any]] | None = None, ns: str = "default",
       api: str = ISTIO) -> dict[str, Any]:
    return {"apiVersion": api, "kind": "Gateway", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"istio": "ingressgateway"},
                     "servers": servers or [{"port": {"number": 80, "name": "http", "protocol": "HTTP"},
                                             "hosts": ["*"]}]}}


def vs(name: str, http: list[dict[str, Any]], hosts: list[str] | None = None, gateways: list[str] | None = None,
       ns: str = "default", created: str = "2024-01-01T00:00:00Z") -> dict[str, Any]:
    return {"apiVersion": ISTIO, "kind": "VirtualService",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": created},
            "spec": {"hosts": hosts or ["shop.example.com"], "gateways": ["web"] if gateways is None else gateways,
                     "http": http}}


def dest(host: str, port: int | None = 80, **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"host": host}
    if port is not None:
        d["port"] = {"number": port}
    return {"destination": {**d, **extra}}


def app(name: str, pods: dict[str, dict[str, str]] | None = None, ready: bool = True,
        ports: list[int] | None = None) -> list[dict[str, Any]]:
    """A Service selecting app=<name> and its Pods (by name -> extra labels)."""
    out: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
                                  "spec": {"selector": {"app": name},
                                           "ports": [{"port": p, "targetPort": 8080, "name": f"p{p}"}
                                                     for p in ports or [80]]}}]
    for i, (pod, labels) in enumerate((pods or {f"{name}-0": {}}).items()):
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "Pod",
                                "metadata": {"name": pod, "namespace": "default", "labels": {"app": name, **labels}},
                                "spec": {"containers": [{"name": "app", "image": "nginx",
                                                         "ports": [{"containerPort": 8080}]}]}}
        if not ready:
            body["status"] = {"phase": "Running", "podIP": f"10.0.0.{i + 10}",
                              "conditions": [{"type": "Ready", "status": "False"}]}
        out.append(body)
    return out


def route(docs: list[dict[str, Any]], request: str | dict[str, Any], **options: Any) -> RequestTrace:
    return Engine(docs, **options).route(request)


def codes(rt: RequestTrace) -> list[str]:
    return [d.code for d in rt.diagnoses]


def service(rt: RequestTrace) -> str:
    assert rt.backend is not None
    return str(rt.backend["service"])


def upstream(rt: RequestTrace) -> dict[str, Any]:
    assert rt.upstream is not None
    return rt.upstream


def gw_hop(rt: RequestTrace) -> Any:
    return next(h for h in rt.hops if h.component == "controller")


def base(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [*gateway_workload(), gw(), *app("shop"), *extra]


# -- installation -----------------------------------------------------------------------------------------


def test_istio_objects_make_an_istio_installation_entered_through_the_ingress_gateway() -> None:
    e = Engine(base(vs("shop", [{"route": [dest("shop")]}])))
    assert [i.family for i in e.installations] == ["istio"]
    rt = e.route("GET http://shop.example.com/")
    assert rt.status == 200 and rt.controller == "istio"
    assert rt.route == {"kind": "VirtualService", "namespace": "default", "name": "shop", "rule": "http[0]"}
    assert rt.pod is not None and rt.pod["name"] == "shop-0"
    components = [h.component for h in rt.hops]
    assert components[:2] == ["browser", "dns"] and components[-1] == "pod"
    assert gw_hop(rt).name == "istio-system/istio-ingressgateway"


def test_without_the_gateway_workload_the_default_ingress_gateway_is_assumed() -> None:
    e = Engine([gw(), *app("shop"), vs("shop", [{"route": [dest("shop")]}])])
    assert e.installations[0].family == "istio" and e.installations[0].assumed
    assert e.route("GET http://shop.example.com/").status == 200


def test_a_gateway_api_gateway_is_not_read_as_an_istio_gateway() -> None:
    api_gw = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": {"name": "g", "namespace": "x"},
              "spec": {"gatewayClassName": "c", "listeners": [{"name": "h", "port": 80, "protocol": "HTTP"}]}}
    e = Engine(base(vs("shop", [{"route": [dest("shop")]}])))
    assert "gateway-api" not in {i.family for i in e.installations}
    both = Engine([*base(vs("shop", [{"route": [dest("shop")]}])), api_gw])
    assert {i.family for i in both.installations} == {"istio", "gateway-api"}


# -- virtual hosts and servers ----------------------------------------------------------------------------


def test_no_virtual_host_for_the_host_is_404_nr() -> None:
    rt = route(base(vs("shop", [{"route": [dest("shop")]}])), "GET http://other.example.com/")
    assert rt.status == 404 and "ISTIO_NO_ROUTE" in codes(rt)
    assert gw_hop(rt).details["response_flags"] == "NR" and "istio#S13" in gw_hop(rt).rules


def test_a_virtualservice_without_gateways_configures_only_the_mesh() -> None:
    rt = route(base(vs("shop", [{"route": [dest("shop")]}], gateways=[])), "GET http://shop.example.com/")
    assert rt.status == 404 and gw_hop(rt).details["response_flags"] == "NR"


def test_the_port_in_the_host_header_is_ignored_and_wildcards_cover_any_depth() -> None:
    docs = base(vs("shop", [{"route": [dest("shop")]}], hosts=["*.example.com"]))
    assert route(docs, "GET http://a.b.example.com:80/").status == 200
    assert route(docs, "GET http://example.com/").status == 404


def test_server_host_namespace_prefix_limits_which_virtualservices_bind() -> None:
    servers = [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["prod/*"]}]
    docs = [*gateway_workload(), gw(servers=servers), *app("shop"), vs("shop", [{"route": [dest("shop")]}])]
    rt = route(docs, "GET http://shop.example.com/")
    assert rt.status == 404 and "ISTIO_HOST_NOT_IN_GATEWAY" in codes(rt)


def test_no_server_on_the_port_refuses_the_connection() -> None:
    rt = route(base(vs("shop", [{"route": [dest("shop")]}])), "GET https://shop.example.com/")
    assert rt.status is None and rt.error == "connection-refused" and codes(rt) == ["ISTIO_NO_SERVER"]


def test_https_redirect_answers_301_to_https() -> None:
    servers = [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"],
                "tls": {"httpsRedirect": True}},
               {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["*"],
                "tls": {"mode": "SIMPLE", "credentialName": "cert"}}]
    docs = [*gateway_workload(), gw(servers=servers), *app("shop"), vs("shop", [{"route": [dest("shop")]}])]
    rt = route(docs, "GET http://shop.example.com/a?b=1")
    assert rt.status == 301 and rt.response_headers["Location"] == "https://shop.example.com/a?b=1"
    assert route(docs, "GET https://shop.example.com/a").status == 200


def test_istio_mutual_server_fails_the_handshake_of_outside_clients() -> None:
    servers = [{"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["*"],
                "tls": {"mode": "ISTIO_MUTUAL"}}]
    docs = [*gateway_workload(), gw(servers=servers), *app("shop"), vs("shop", [{"route": [dest("shop")]}])]
    rt = route(docs, "GET https://shop.example.com/")
    assert rt.error == "tls-error" and "ISTIO_MUTUAL_GATEWAY" in codes(rt)


# -- HTTP/1.0 ---------------------------------------------------------------------------------------------


def test_http10_gets_426_unless_the_gateway_enables_it() -> None:
    request = {"method": "GET", "url": "http://shop.example.com/", "http_version": "1.0"}
    rt = route(base(vs("shop", [{"route": [dest("shop")]}])), request)
    assert rt.status == 426 and "HTTP10_UPGRADE_REQUIRED" in codes(rt) and "istio#S14" in gw_hop(rt).rules
    opted = [*gateway_workload([{"name": "ISTIO_META_HTTP10", "value": "1"}]), gw(), *app("shop"),
             vs("shop", [{"route": [dest("shop")]}])]
    ok = route(opted, request)
    assert ok.status == 200 and "HTTP10_UPGRADE_REQUIRED" not in codes(ok)
    wrong_value = [*gateway_workload([{"name": "ISTIO_META_HTTP10", "value": "true"}]), *opted[2:]]
    assert route(wrong_value, request).status == 426


# -- route order and matches ------------------------------------------------------------------------------


def test_first_match_wins_in_rule_order_and_prefix_is_a_character_prefix() -> None:
    http = [{"match": [{"uri": {"prefix": "/api"}}], "route": [dest("api")]},
            {"match": [{"uri": {"prefix": "/api/v2"}}], "route": [dest("v2")]},
            {"route": [dest("shop")]}]
    docs = [*base(vs("shop", http)), *app("api"), *app("v2")]
    assert service(route(docs, "GET http://shop.example.com/api/v2/x")) == "api"
    assert service(route(docs, "GET http://shop.example.com/apix")) == "api"
    assert service(route(docs, "GET http://shop.example.com/other")) == "shop"


def test_catch_all_routes_of_an_older_virtualservice_move_after_specific_routes() -> None:
    older = vs("a-all", [{"route": [dest("shop")]}], created="2024-01-01T00:00:00Z")
    newer = vs("b-api", [{"match": [{"uri": {"prefix": "/api"}}], "route": [dest("api")]}],
               created="2024-06-01T00:00:00Z")
    docs = [*base(older, newer), *app("api")]
    assert service(route(docs, "GET http://shop.example.com/api/x")) == "api"
    assert service(route(docs, "GET http://shop.example.com/x")) == "shop"


def test_a_rule_after_a_catch_all_is_unreachable_and_reported() -> None:
    http = [{"route": [dest("shop")]}, {"match": [{"uri": {"prefix": "/api"}}], "route": [dest("api")]}]
    rt = route([*base(vs("shop", http)), *app("api")], "GET http://shop.example.com/api")
    assert service(rt) == "shop" and "ISTIO_UNREACHABLE_RULE" in codes(rt)
    ok = route([*base(vs("shop", list(reversed(http)))), *app("api")], "GET http://shop.example.com/api")
    assert service(ok) == "api" and "ISTIO_UNREACHABLE_RULE" not in codes(ok)


@pytest.mark.parametrize(("match", "request_spec", "hit"), [
    ({"uri": {"exact": "/a"}}, "GET http://shop.example.com/a?x=1", True),
    ({"uri": {"exact": "/a"}}, "GET http://shop.example.com/a/", False),
    ({"uri": {"regex": "/a/[0-9]+"}}, "GET http://shop.example.com/a/12", True),
    ({"uri": {"regex": "/a/[0-9]+"}}, "GET http://shop.example.com/a/12/b", False),
    ({"uri": {"prefix": "/A"}, "ignoreUriCase": True}, "GET http://shop.example.com/a", True),
    ({"method": {"exact": "POST"}}, "GET http://shop.example.com/", False),
    ({"method": {"exact": "POST"}}, "POST http://shop.example.com/", True),
    ({"headers": {"x-env": {"exact": "canary"}}}, {"method": "GET", "url": "http://shop.example.com/",
                                                  "headers": {"x-env": "canary"}}, True),
    ({"headers": {"x-env": {"exact": "canary"}}}, "GET http://shop.example.com/", False),
    ({"queryParams": {"v": {"exact": "2"}}}, "GET http://shop.example.com/?v=2", True),
    ({"queryParams": {"v": {"exact": "2"}}}, "GET http://shop.example.com/?v=3", False),
    ({"port": 80}, "GET http://shop.example.com/", True),
    ({"port": 8443}, "GET http://shop.example.com/", False),
])
def test_match_conditions(match: dict[str, Any], request_spec: Any, hit: bool) -> None:
    http = [{"match": [match], "route": [dest("api")]}]
    rt = route([*base(vs("shop", http)), *app("api")], request_spec)
    assert (rt.status == 200) is hit and (rt.status == 404) is not hit


# -- rewrite, redirect, headers, timeout ------------------------------------------------------------------


def test_rewrite_replaces_the_matched_prefix_and_the_authority() -> None:
    http = [{"match": [{"uri": {"prefix": "/api"}}], "rewrite": {"uri": "/", "authority": "internal"},
             "route": [dest("shop")]},
            {"match": [{"uri": {"exact": "/old"}}], "rewrite": {"uri": "/new"}, "route": [dest("shop")]}]
    docs = base(vs("shop", http))
    rt = route(docs, "GET http://shop.example.com/api/x?q=1")
    assert rt.upstream is not None and rt.upstream["path"] == "//x?q=1" and rt.upstream["host"] == "internal"
    assert rt.upstream["headers"]["x-envoy-original-path"] == "/api/x"
    assert upstream(route(docs, "GET http://shop.example.com/old"))["path"] == "/new"


def test_redirect_with_code_authority_and_uri() -> None:
    http = [{"match": [{"uri": {"exact": "/old"}}], "redirect": {"uri": "/new", "authority": "b.example.com",
                                                                 "redirectCode": 308}},
            {"match": [{"uri": {"exact": "/x"}}], "redirect": {"uri": "/y"}}]
    docs = base(vs("shop", http))
    rt = route(docs, "GET http://shop.example.com/old?k=v")
    assert rt.status == 308 and rt.response_headers["Location"] == "http://b.example.com/new?k=v"
    assert route(docs, "GET http://shop.example.com/x").status == 301


def test_header_operations_and_timeout() -> None:
    http = [{"timeout": "5s", "headers": {"request": {"set": {"x-a": "1"}, "remove": ["x-drop"]},
                                          "response": {"add": {"x-b": "2"}}},
             "route": [dest("shop")]}]
    rt = route(base(vs("shop", http)), {"method": "GET", "url": "http://shop.example.com/", "headers": {"x-drop": "y"}})
    assert rt.upstream is not None and rt.upstream["headers"]["x-a"] == "1" and "x-drop" not in rt.upstream["headers"]
    assert rt.response_headers["x-b"] == "2" and gw_hop(rt).details["timeout"] == "5s"


def test_weights_split_deterministically_with_the_seed() -> None:
    http = [{"route": [{**dest("shop"), "weight": 50}, {**dest("api"), "weight": 50}]}]
    docs = [*base(vs("shop", http)), *app("api")]
    seen = {service(route(docs, f"GET http://shop.example.com/{i}", seed=7)) for i in range(30)}
    assert seen == {"shop", "api"}
    again = [service(route(docs, "GET http://shop.example.com/3", seed=7)) for _ in range(3)]
    assert len(set(again)) == 1
    zero = [{"route": [{**dest("shop"), "weight": 100}, {**dest("api"), "weight": 0}]}]
    assert {service(route([*base(vs("shop", zero)), *app("api")], f"GET http://shop.example.com/{i}"))
            for i in range(10)} == {"shop"}


# -- destinations: NC, UH, subsets ------------------------------------------------------------------------


def test_a_missing_destination_host_is_503_nc() -> None:
    rt = route(base(vs("shop", [{"route": [dest("nope")]}])), "GET http://shop.example.com/")
    assert rt.status == 503 and gw_hop(rt).details["response_flags"] == "NC" and "ISTIO_CLUSTER_NOT_FOUND" in codes(rt)


def test_a_missing_destination_port_on_a_multi_port_service_is_503_nc() -> None:
    docs = [*gateway_workload(), gw(), *app("shop", ports=[8000, 9000]), vs("shop", [{"route": [dest("shop", None)]}])]
    rt = route(docs, "GET http://shop.example.com/")
    assert rt.status == 503 and gw_hop(rt).details["response_flags"] == "NC"


def test_a_service_without_ready_endpoints_is_503_uh() -> None:
    docs = [*gateway_workload(), gw(), *app("shop", ready=False), vs("shop", [{"route": [dest("shop")]}])]
    rt = route(docs, "GET http://shop.example.com/")
    assert rt.status == 503 and gw_hop(rt).details["response_flags"] == "UH"
    assert "ISTIO_NO_HEALTHY_UPSTREAM" in codes(rt)


def _subset_docs(subset: str) -> list[dict[str, Any]]:
    dr = {"apiVersion": "networking.istio.io/v1beta1", "kind": "DestinationRule",
          "metadata": {"name": "shop", "namespace": "default"},
          "spec": {"host": "shop.default.svc.cluster.local",
                   "subsets": [{"name": "v1", "labels": {"version": "v1"}},
                               {"name": "v3", "labels": {"version": "v3"}}]}}
    return [*gateway_workload(), gw(), *app("shop", {"shop-v1": {"version": "v1"}, "shop-v2": {"version": "v2"}}), dr,
            vs("shop", [{"route": [dest("shop", subset=subset)]}])]


def test_a_subset_selects_the_pods_with_its_labels() -> None:
    for seed in range(5):
        rt = route(_subset_docs("v1"), "GET http://shop.example.com/", seed=seed)
        assert rt.status == 200 and rt.pod is not None and rt.pod["name"] == "shop-v1"


def test_an_undefined_subset_is_503_nc_and_an_empty_one_503_uh() -> None:
    rt = route(_subset_docs("v2"), "GET http://shop.example.com/")
    assert rt.status == 503 and gw_hop(rt).details["response_flags"] == "NC"
    empty = route(_subset_docs("v3"), "GET http://shop.example.com/")
    assert empty.status == 503 and gw_hop(empty).details["response_flags"] == "UH"


def test_a_short_host_is_a_service_in_the_virtualservice_namespace() -> None:
    other = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "shop", "namespace": "shop-ns"},
             "spec": {"selector": {"app": "shop"}, "ports": [{"port": 80}]}}
    docs = [*gateway_workload(), gw(servers=[{"port": {"number": 80, "protocol": "HTTP"}, "hosts": ["*/*"]}]), other,
            vs("shop", [{"route": [dest("shop")]}], gateways=["default/web"], ns="shop-ns")]
    rt = route(docs, "GET http://shop.example.com/")
    assert rt.backend == {"namespace": "shop-ns", "service": "shop", "port": 80}


# -- analyze ----------------------------------------------------------------------------------------------


def test_a_virtualservice_bound_to_a_missing_gateway_is_reported() -> None:
    rt = route(base(vs("shop", [{"route": [dest("shop")]}], gateways=["nope"])), "GET http://shop.example.com/")
    assert rt.status == 404 and "ISTIO_GATEWAY_NOT_FOUND" in codes(rt)


def test_an_ingress_of_istio_class_stays_not_simulated() -> None:
    docs = [{"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "istio"},
             "spec": {"controller": "istio.io/ingress-controller"}},
            {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i", "namespace": "default"},
             "spec": {"ingressClassName": "istio", "rules": [{"host": "mesh.example.com", "http": {"paths": [
                 {"path": "/", "pathType": "Prefix",
                  "backend": {"service": {"name": "shop", "port": {"number": 80}}}}]}}]}}, *app("shop")]
    rt = route(docs, "GET http://mesh.example.com/")
    assert (rt.status, rt.error, rt.controller) == (None, "not-simulated", "istio")


# -- corpus -----------------------------------------------------------------------------------------------


def _corpus_files() -> list[Path]:
    """Corpus manifests with a VirtualService; Helm templates ({{ }} directives) are not YAML until rendered."""
    out = []
    for p in sorted(CORPUS.rglob("*.y*ml")):
        text = p.read_text(errors="replace")
        if "kind: VirtualService" in text and "{{" not in text:
            out.append(p)
    return out


def test_the_corpus_has_virtualservices() -> None:
    assert _corpus_files()


@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_virtualservices_compile_and_route(path: Path) -> None:
    e = Engine(path, controller="istio")
    hosts = {str(h) for v in e.snapshot.of_kind("VirtualService") for h in v.spec.get("hosts") or []}
    for host in sorted(hosts) or ["example.com"]:
        rt = e.route(f"GET http://{host.replace('*', 'www')}/")
        assert rt.controller == "istio" and (rt.status is not None or rt.error is not None)
