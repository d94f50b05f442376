"""The Gateway API v1 data plane (docs/rules/k8s-routing.md, rules G-1..G-44; docs/gateway-api.md).

Small manifests per rule; the expectations follow the API text and the conformance tests of
kubernetes-sigs/gateway-api named in each rule's Source.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from text_checks import find_literals  # tests/engine is on sys.path (no __init__.py)

from tracer.engine import Engine, LoadError, load_manifests
from tracer.engine.dataplanes.gateway_api import GatewayApi
from tracer.engine.dataplanes.gateway_api.conformance import IMPLEMENTATIONS, V1_4_FEATURES, matrix
from tracer.engine.dataplanes.gateway_api.filters import redirect_location, replace_prefix
from tracer.engine.dataplanes.gateway_api.forward import weighted_pick
from tracer.engine.dataplanes.gateway_api.hostnames import best_listener_name, intersect, matches
from tracer.engine.installations import CLASS_CONTROLLERS, find_installations
from tracer.engine.options import Options
from tracer.engine.result import RequestTrace
from tracer.engine.snapshot import K8sObject, Snapshot, Source
from tracer.engine.textreport import render_text

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = jsonschema.Draft202012Validator(json.loads((ROOT / "tracer/engine/schema/trace-v1.schema.json").read_text()))
GROUP = "gateway.networking.k8s.io/v1"

# -- manifests ----------------------------------------------------------------------------------------


def gclass(name: str = "gc", controller: str = "example.com/gateway-controller") -> dict[str, Any]:
    return {"apiVersion": GROUP, "kind": "GatewayClass", "metadata": {"name": name}, "spec": {"controllerName": controller}}


def listener(name: str = "http", port: int = 80, protocol: str = "HTTP", hostname: str | None = None,
             allowed: str = "All", **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "port": port, "protocol": protocol,
                           "allowedRoutes": {"namespaces": {"from": allowed}}}
    if hostname:
        out["hostname"] = hostname
    return {**out, **extra}


def https(name: str, hostname: str | None = None, port: int = 443, cert: str = "cert") -> dict[str, Any]:
    return listener(name, port, "HTTPS", hostname, tls={"certificateRefs": [{"name": cert}]})


def gateway(name: str = "gw", ns: str = "infra", listeners: list[dict[str, Any]] | None = None, cls: str = "gc",
            **spec: Any) -> dict[str, Any]:
    return {"apiVersion": GROUP, "kind": "Gateway", "metadata": {"name": name, "namespace": ns},
            "spec": {"gatewayClassName": cls, "listeners": listeners or [listener()], **spec}}


def route(name: str, rules: list[dict[str, Any]], ns: str = "shop", hostnames: list[str] | None = None,
          parents: list[dict[str, Any]] | None = None, created: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if created:
        meta["creationTimestamp"] = created
    spec: dict[str, Any] = {"parentRefs": parents if parents is not None else [{"name": "gw", "namespace": "infra"}],
                            "rules": rules}
    if hostnames:
        spec["hostnames"] = hostnames
    return {"apiVersion": GROUP, "kind": "HTTPRoute", "metadata": meta, "spec": spec}


def rule(*matches: dict[str, Any], to: Any = ("web",), filters: list[dict[str, Any]] | None = None,
         **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if matches:
        out["matches"] = list(matches)
    if to is not None:
        out["backendRefs"] = [b if isinstance(b, dict) else {"name": b, "port": 80} for b in to]
    if filters:
        out["filters"] = filters
    return {**out, **extra}


def prefix(value: str, **extra: Any) -> dict[str, Any]:
    return {"path": {"type": "PathPrefix", "value": value}, **extra}


def exact(value: str, **extra: Any) -> dict[str, Any]:
    return {"path": {"type": "Exact", "value": value}, **extra}


def service(name: str, ns: str = "shop", port: int = 80, **port_extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": port, "targetPort": 8080,
                                                            **port_extra}]}}


def pod(name: str, app: str, ip: str, ns: str = "shop") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
            "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 8080}]}]},
            "status": {"phase": "Running", "podIP": ip, "conditions": [{"type": "Ready", "status": "True"}]}}


def app(name: str, ns: str = "shop", ip: str = "10.0.0.1", **port_extra: Any) -> list[dict[str, Any]]:
    return [service(name, ns, **port_extra), pod(f"{name}-1", name, ip, ns)]


def apps(*names: str) -> list[dict[str, Any]]:
    return [doc for i, name in enumerate(names) for doc in app(name, ip=f"10.0.0.{i + 1}")]


def grant(ns: str, from_ns: str, to_name: str | None = None, from_kind: str = "HTTPRoute",
          to_kind: str = "Service") -> dict[str, Any]:
    to: dict[str, Any] = {"group": "", "kind": to_kind}
    if to_name:
        to["name"] = to_name
    return {"apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
            "metadata": {"name": f"from-{from_ns}", "namespace": ns},
            "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": from_kind, "namespace": from_ns}],
                     "to": [to]}}


def engine(*docs: dict[str, Any], **options: Any) -> Engine:
    return Engine([gclass(), *docs] if not any(d["kind"] == "GatewayClass" for d in docs) else list(docs), **options)


def go(e: Engine, request: Any) -> RequestTrace:
    """The request traced, checked against trace-v1 and for Python literals in its text."""
    trace = e.trace(request)
    data = trace.to_dict()
    SCHEMA.validate(data)
    assert find_literals(data) == []
    return trace.final


def controller(rt: RequestTrace) -> Any:
    return next(h for h in rt.hops if h.component == "controller")


def codes(rt: RequestTrace) -> list[str]:
    return [d.code for d in rt.diagnoses]


def picked(rt: RequestTrace) -> str | None:
    return rt.backend["service"] if rt.backend else None


# -- hostnames (G-7, G-13) ------------------------------------------------------------------------------


def test_G13_wildcards_cover_one_or_more_labels_but_not_the_apex() -> None:
    assert matches("*.example.com", "foo.example.com")
    assert matches("*.example.com", "foo.bar.example.com")
    assert not matches("*.example.com", "example.com")
    assert matches("", "anything.example")


def test_G13_intersection_keeps_names_the_listener_covers_and_narrows_wider_route_wildcards() -> None:
    assert intersect("very.specific.com", ["*.specific.com"]) == ["very.specific.com"]
    assert intersect("*.example.com", ["test.example.com", "test.example.net"]) == ["test.example.com"]
    assert intersect("*.foo.example.com", ["*.example.com"]) == ["*.foo.example.com"]
    assert intersect("*.example.com", ["*.foo.example.com"]) == ["*.foo.example.com"]
    assert intersect(None, []) == [""]
    assert intersect("a.example.com", []) == ["a.example.com"]
    assert intersect("a.example.com", ["example.com"]) == []


def test_G7_listener_specificity() -> None:
    names = [None, "*.example.com", "*.foo.example.com", "a.foo.example.com"]
    assert best_listener_name(names, "a.foo.example.com") == 3
    assert best_listener_name(names, "b.foo.example.com") == 2
    assert best_listener_name(names, "b.example.com") == 1
    assert best_listener_name(names, "other.org") == 0
    assert best_listener_name(["a.example.com"], "b.example.com") is None


# -- precedence (G-19, G-23..G-26) ----------------------------------------------------------------------


def test_G19_path_prefix_matches_whole_segments() -> None:
    e = engine(gateway(), route("r", [rule(prefix("/v2"), to=["v2"]), rule(prefix("/"), to=["web"])]), *apps("v2", "web"))
    assert picked(go(e, "GET http://a.example/v2")) == "v2"
    assert picked(go(e, "GET http://a.example/v2/")) == "v2"
    assert picked(go(e, "GET http://a.example/v2/x")) == "v2"
    assert picked(go(e, "GET http://a.example/v2example")) == "web"
    trailing = engine(gateway(), route("r", [rule(prefix("/match/"), to=["m"])]), *apps("m"))
    assert go(trailing, "GET http://a.example/match").status == 200
    exact_slash = engine(gateway(), route("r", [rule(exact("/foo/"), to=["m"])]), *apps("m"))
    assert go(exact_slash, "GET http://a.example/foo").status == 404
    assert go(exact_slash, "GET http://a.example/Foo/").status == 404


def test_G24_exact_beats_prefix_and_longest_prefix_wins() -> None:
    e = engine(gateway(), route("r", [rule(prefix("/"), to=["root"]), rule(prefix("/match/prefix"), to=["long"]),
                                      rule(prefix("/match"), to=["short"]), rule(exact("/match/prefix/one"), to=["exact"])]),
               *apps("root", "long", "short", "exact"))
    assert picked(go(e, "GET http://a.example/match/prefix/one")) == "exact"
    assert picked(go(e, "GET http://a.example/match/prefix/one/any")) == "long"
    assert picked(go(e, "GET http://a.example/match/other")) == "short"


def test_G24_method_beats_headers_and_headers_beat_query() -> None:
    version = {"headers": [{"name": "version", "value": "four"}]}
    hydra = {"queryParams": [{"name": "animal", "value": "hydra"}]}
    e = engine(gateway(), route("r", [
        rule(prefix("/path5"), to=["path"]),
        rule(prefix("/", **hydra), to=["query"]),
        rule(prefix("/", **version), to=["header"]),
        rule(prefix("/", method="PATCH"), to=["method"]),
    ]), *apps("path", "query", "header", "method"))
    assert picked(go(e, "GET http://a.example/path5?animal=hydra")) == "path"
    assert picked(go(e, {"url": "http://a.example/?animal=hydra", "headers": {"version": "four"}})) == "header"
    assert picked(go(e, {"method": "PATCH", "url": "http://a.example/", "headers": {"version": "four"}})) == "method"
    assert picked(go(e, "GET http://a.example/?animal=hydra")) == "query"


def test_G25_G26_ties_go_to_the_oldest_route_then_the_name_then_rule_order() -> None:
    older = route("zeta", [rule(prefix("/"), to=["old"])], created="2024-01-01T00:00:00Z")
    newer = route("alpha", [rule(prefix("/"), to=["new"])], created="2025-01-01T00:00:00Z")
    e = engine(gateway(), newer, older, *apps("old", "new"))
    rt = go(e, "GET http://a.example/")
    assert picked(rt) == "old" and any("older route" in n for n in controller(rt).near_misses)
    by_name = engine(gateway(), route("b", [rule(to=["b"])]), route("a", [rule(to=["a"])]), *apps("a", "b"))
    assert picked(go(by_name, "GET http://a.example/")) == "a"
    header = {"headers": [{"name": "color", "value": "blue"}]}
    in_order = engine(gateway(), route("r", [rule(prefix("/", **header), to=["first"]),
                                             rule(prefix("/", **header), to=["second"])]), *apps("first", "second"))
    assert picked(go(in_order, {"url": "http://a.example/", "headers": {"Color": "blue"}})) == "first"


def test_G23_the_more_specific_route_hostname_wins() -> None:
    e = engine(gateway(), route("wild", [rule(prefix("/"), to=["wild"])], hostnames=["*.example.com"]),
               route("exact", [rule(prefix("/api"), to=["exact"])], hostnames=["a.example.com"]),
               route("any", [rule(prefix("/"), to=["any"])]), *apps("wild", "exact", "any"))
    assert picked(go(e, "GET http://a.example.com/api")) == "exact"
    assert picked(go(e, "GET http://b.example.com/api")) == "wild"
    assert picked(go(e, "GET http://b.example.org/")) == "any"
    fallback = go(e, "GET http://a.example.com/other")
    assert picked(fallback) == "wild" and any("virtual host" in n for n in controller(fallback).near_misses)


def test_G20_G21_G22_header_names_fold_case_query_names_do_not() -> None:
    e = engine(gateway(), route("r", [
        rule(prefix("/", headers=[{"name": "X-Team", "value": "blue"}]), to=["team"]),
        rule(prefix("/", queryParams=[{"name": "animal", "value": "whale"}]), to=["whale"]),
        rule(exact("/get", method="GET"), to=["get"]),
        rule(prefix("/"), to=["web"]),
    ]), *apps("team", "whale", "get", "web"))
    assert picked(go(e, {"url": "http://a.example/", "headers": {"x-team": "blue"}})) == "team"
    assert picked(go(e, {"url": "http://a.example/", "headers": {"X-Team": "Blue"}})) == "web"
    assert picked(go(e, "GET http://a.example/?animal=whale&x=1")) == "whale"
    assert picked(go(e, "GET http://a.example/?ANIMAL=whale")) == "web"
    assert picked(go(e, "GET http://a.example/?animal=whaledolphin")) == "web"
    assert picked(go(e, "GET http://a.example/get")) == "get"
    assert picked(go(e, "HEAD http://a.example/get")) == "web"


def test_G19_regular_expression_paths_match_whole_and_rank_after_prefixes() -> None:
    regex = {"path": {"type": "RegularExpression", "value": "/img/[0-9]+"}}
    e = engine(gateway(), route("r", [rule(regex, to=["img"]), rule(prefix("/img/1"), to=["prefix"]),
                                      rule(prefix("/other"), to=["web"])]), *apps("img", "prefix", "web"))
    assert picked(go(e, "GET http://a.example/img/42")) == "img"
    assert go(e, "GET http://a.example/img/42/x").status == 404
    assert picked(go(e, "GET http://a.example/img/1")) == "prefix"
    catch_all = engine(gateway(), route("r", [rule(regex, to=["img"]), rule(prefix("/"), to=["web"])]),
                       *apps("img", "web"))
    assert picked(go(catch_all, "GET http://a.example/img/42")) == "web"


# -- attaching routes (G-3, G-11..G-15) ----------------------------------------------------------------


def _parents(e: Engine, name: str) -> list[dict[str, Any]]:
    table = e.table
    assert table is not None
    found = next(r for r in table.describe()["routes"] if r["name"] == name)
    return found["parents"]


def _accepted(e: Engine, name: str) -> tuple[str, str]:
    cond = _parents(e, name)[0]["conditions"][0]
    return cond["status"], cond["reason"]


def test_G12_allowed_routes_same_all_and_selector() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"expose": "yes"}}}
    same = engine(gateway(listeners=[listener(allowed="Same")]), route("r", [rule()]), *apps("web"))
    assert _accepted(same, "r") == ("False", "NotAllowedByListeners")
    rt = go(same, "GET http://a.example/")
    assert rt.status == 404 and "GATEWAY_ROUTE_NOT_ACCEPTED" in codes(rt)
    everyone = engine(gateway(listeners=[listener(allowed="All")]), route("r", [rule()]), *apps("web"))
    assert _accepted(everyone, "r") == ("True", "Accepted") and go(everyone, "GET http://a.example/").status == 200
    selector = {"from": "Selector", "selector": {"matchLabels": {"expose": "yes"}}}
    by_label = gateway(listeners=[{**listener(), "allowedRoutes": {"namespaces": selector}}])
    assert _accepted(engine(by_label, ns, route("r", [rule()]), *apps("web")), "r") == ("True", "Accepted")
    assert _accepted(engine(by_label, route("r", [rule()]), *apps("web")), "r") == ("False", "NotAllowedByListeners")
    kinds = gateway(listeners=[{**listener(), "allowedRoutes": {"namespaces": {"from": "All"},
                                                                  "kinds": [{"kind": "GRPCRoute"}]}}])
    assert _accepted(engine(kinds, route("r", [rule()]), *apps("web")), "r") == ("False", "NotAllowedByListeners")


def test_G11_section_name_and_port() -> None:
    gw = gateway(listeners=[listener("a", hostname="a.example"), listener("b", hostname="b.example"),
                            listener("alt", port=8080)])
    only_a = route("r", [rule()], parents=[{"name": "gw", "namespace": "infra", "sectionName": "a"}])
    e = engine(gw, only_a, *apps("web"))
    assert [lis["name"] for lis in _parents(e, "r")[0]["listeners"]] == ["a"]
    assert go(e, "GET http://a.example/").status == 200
    assert go(e, "GET http://b.example/").status == 404
    missing = route("r", [rule()], parents=[{"name": "gw", "namespace": "infra", "sectionName": "c"}])
    assert _accepted(engine(gw, missing, *apps("web")), "r") == ("False", "NoMatchingParent")
    by_port = route("r", [rule()], parents=[{"name": "gw", "namespace": "infra", "port": 8080}])
    e = engine(gw, by_port, *apps("web"))
    assert [lis["name"] for lis in _parents(e, "r")[0]["listeners"]] == ["alt"]
    assert go(e, "GET http://a.example:8080/").status == 200
    clash = route("r", [rule()], parents=[{"name": "gw", "namespace": "infra", "sectionName": "a", "port": 8080}])
    assert _accepted(engine(gw, clash, *apps("web")), "r") == ("False", "NoMatchingParent")


def test_G13_no_shared_hostname_is_not_accepted() -> None:
    gw = gateway(listeners=[listener(hostname="very.specific.com")])
    e = engine(gw, route("r", [rule()], hostnames=["non.matching.com", "*.nonmatchingwildcard.io"]), *apps("web"))
    assert _accepted(e, "r") == ("False", "NoMatchingListenerHostname")
    narrowed = engine(gw, route("r", [rule()], hostnames=["*.specific.com"]), *apps("web"))
    assert _parents(narrowed, "r")[0]["listeners"][0]["hostnames"] == ["very.specific.com"]
    assert go(narrowed, {"url": "http://very.specific.com/", "headers": {"Host": "very.specific.com:1234"}}).status == 200


def test_G15_status_conditions_for_backend_references() -> None:
    e = engine(gateway(), route("missing", [rule(to=["nope"])]),
               route("kind", [rule(to=[{"group": "example.com", "kind": "Bucket", "name": "b"}])]),
               route("cross", [rule(to=[{"name": "web", "namespace": "other", "port": 80}])]),
               route("ok", [rule()]), *apps("web"), *app("web", ns="other"))
    table = e.table
    assert table is not None
    status = {r["name"]: {c["type"]: (c["status"], c["reason"]) for c in r["parents"][0]["conditions"]}
              for r in table.describe()["routes"]}
    assert status["missing"] == {"Accepted": ("True", "Accepted"), "ResolvedRefs": ("False", "BackendNotFound")}
    assert status["kind"]["ResolvedRefs"] == ("False", "InvalidKind")
    assert status["cross"]["ResolvedRefs"] == ("False", "RefNotPermitted")
    assert status["ok"]["ResolvedRefs"] == ("True", "ResolvedRefs")
    listener_status = table.describe()["gateways"][0]["listeners"][0]
    assert listener_status["attachedRoutes"] == 4


def test_G5_routes_the_api_server_refuses_never_attach() -> None:
    redirect = {"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}
    both = route("both", [rule(prefix("/"), filters=[redirect])], hostnames=["a.example"])
    bad_path = route("badpath", [rule(exact("/a//b"))], hostnames=["b.example"])
    e = engine(gateway(), both, bad_path, *apps("web"))
    table = e.table
    assert table is not None
    rejected = {r["name"]: r["rejected"] for r in table.describe()["routes"]}
    assert "cannot be used together with backendRefs" in rejected["both"]
    assert "must not contain //" in rejected["badpath"]
    rt = go(e, "GET http://a.example/")
    assert rt.status == 404 and "GATEWAY_ROUTE_NOT_ACCEPTED" in codes(rt)


# -- listeners (G-6..G-9) --------------------------------------------------------------------------------


def test_G8_listener_isolation_no_fall_through_to_a_wider_listener() -> None:
    gw = gateway(listeners=[listener("empty", hostname="*.foo.example.com"), listener("wide", hostname="*.example.com")])
    wide_route = route("wide", [rule()], parents=[{"name": "gw", "namespace": "infra", "sectionName": "wide"}])
    e = engine(gw, wide_route, *apps("web"))
    assert go(e, "GET http://bar.example.com/").status == 200
    isolated = go(e, "GET http://bar.foo.example.com/")
    assert isolated.status == 404 and "GATEWAY_NO_ROUTE_MATCHES" in codes(isolated)


def test_G6_ports_and_protocols() -> None:
    e = engine(gateway(listeners=[listener(), https("tls")]), route("r", [rule()]), *apps("web"))
    refused = go(e, "GET http://a.example:9000/")
    assert (refused.status, refused.error, codes(refused)) == (None, "connection-refused", ["GATEWAY_NO_LISTENER"])
    plain_to_tls = go(e, "GET http://a.example:443/")
    assert (plain_to_tls.error, controller(plain_to_tls).outcome) == ("reset", "reset")
    tls_to_plain = go(e, "GET https://a.example:80/")
    assert tls_to_plain.error == "tls-error"


def _listener_conditions(e: Engine) -> dict[str, dict[str, tuple[str, str]]]:
    described = next(d for d in e.describe() if d.get("family") == "gateway-api")
    return {lis["name"]: {c["type"]: (c["status"], c["reason"]) for c in lis["conditions"]}
            for lis in described["gateways"][0]["listeners"]}


def test_G2_listener_conditions_and_conflicts() -> None:
    fine = _listener_conditions(engine(gateway(listeners=[listener(), https("tls")]), route("r", [rule()]),
                                       *apps("web")))
    assert fine["http"] == {"Accepted": ("True", "Accepted"), "ResolvedRefs": ("True", "ResolvedRefs"),
                            "Conflicted": ("False", "NoConflicts"), "Programmed": ("True", "Programmed")}
    # Two HTTP listeners on one port with the same hostname: both conflicted, neither programmed, and the
    # route attaches to neither; a TCP listener on the HTTP port is a protocol conflict for all of them.
    same_host = engine(gateway(listeners=[listener("a", hostname="x.example"), listener("b", hostname="x.example"),
                                          listener("c", hostname="y.example")]),
                       route("r", [rule()], hostnames=["x.example"]), *apps("web"))
    got = _listener_conditions(same_host)
    assert got["a"]["Conflicted"] == ("True", "HostnameConflict") == got["b"]["Conflicted"]
    assert got["a"]["Programmed"][0] == "False" and got["c"]["Programmed"] == ("True", "Programmed")
    refused = go(same_host, "GET http://x.example/")
    assert refused.status == 404
    mixed = _listener_conditions(engine(gateway(listeners=[listener(), listener("raw", protocol="TCP")]),
                                        *apps("web")))
    assert mixed["http"]["Conflicted"] == ("True", "ProtocolConflict") == mixed["raw"]["Conflicted"]
    conflicted = go(engine(gateway(listeners=[listener(), listener("raw", protocol="TCP")]), route("r", [rule()]),
                           *apps("web")), "GET http://a.example/")
    assert conflicted.error == "connection-refused"
    assert "ProtocolConflict" in controller(conflicted).summary
    odd = _listener_conditions(engine(gateway(listeners=[listener("q", protocol="example.com/QUIC")]), *apps("web")))
    assert odd["q"]["Accepted"] == ("False", "UnsupportedProtocol")


def test_G9_sni_host_and_421() -> None:
    gw = gateway(listeners=[https("wild", "*.wildcard.org"), https("third", "third.example.org"),
                            https("fourth", "fourth.example.org")])
    e = engine(gw, route("r", [rule()]), *apps("web"))
    assert go(e, {"url": "https://fifth.wildcard.org/", "sni": "third.wildcard.org"}).status == 200
    misdirected = go(e, {"url": "https://fourth.example.org/", "sni": "third.example.org"})
    assert misdirected.status == 421 and "GATEWAY_MISDIRECTED_REQUEST" in codes(misdirected)
    unknown_host = go(e, {"url": "https://other.org/", "sni": "third.example.org"})
    assert unknown_host.status == 404 and "GATEWAY_LISTENER_HOST_MISMATCH" in codes(unknown_host)
    unknown_sni = go(e, {"url": "https://third.example.org/", "sni": "nobody.org"})
    assert unknown_sni.error == "tls-error"


def test_G2_certificate_references() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cert", "namespace": "certs"},
              "type": "kubernetes.io/tls"}
    gw = gateway(listeners=[listener("tls", 443, "HTTPS", tls={"certificateRefs": [{"name": "cert", "namespace": "certs"}]})])
    e = engine(gw, secret, route("r", [rule()]), *apps("web"))
    rt = go(e, "GET https://a.example/")
    assert rt.error == "tls-error" and "GATEWAY_TLS_CERT_INVALID" in codes(rt)
    allowed = grant("certs", "infra", "cert", from_kind="Gateway", to_kind="Secret")
    assert go(engine(gw, secret, allowed, route("r", [rule()]), *apps("web")), "GET https://a.example/").status == 200
    no_refs = gateway(listeners=[listener("tls", 443, "HTTPS", tls={})])
    assert go(engine(no_refs, route("r", [rule()]), *apps("web")), "GET https://a.example/").error == "tls-error"


# -- filters (G-36..G-40) ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conf", "listener_port", "scheme", "want"),
    [
        ({}, 80, "http", "http://a.example/p"),
        ({}, 8080, "http", "http://a.example:8080/p"),
        ({"scheme": "https"}, 8080, "http", "https://a.example/p"),
        ({"scheme": "https", "port": 8443}, 80, "http", "https://a.example:8443/p"),
        ({"port": 8080}, 80, "http", "http://a.example:8080/p"),
        ({"scheme": "http"}, 443, "https", "http://a.example/p"),
        ({"port": 443}, 443, "https", "https://a.example/p"),
        ({"hostname": "b.example"}, 80, "http", "http://b.example/p"),
    ],
)
def test_G38_redirect_scheme_host_and_port(conf: dict[str, Any], listener_port: int, scheme: str, want: str) -> None:
    code, location, _ = redirect_location(conf, scheme=scheme, host="a.example", listener_port=listener_port,
                                          path="/p", query="", prefix=None)
    assert (code, location) == (302, want)


@pytest.mark.parametrize(
    ("path", "prefix", "replacement", "want"),
    [
        ("/foo/bar", "/foo", "/xyz", "/xyz/bar"),
        ("/foo/bar", "/foo", "/xyz/", "/xyz/bar"),
        ("/foo/", "/foo", "/xyz", "/xyz/"),
        ("/foo/bar", "/foo", "", "/bar"),
        ("/foo", "/foo", "/", "/"),
        ("/strip-prefix/three", "/strip-prefix", "/", "/three"),
        ("/foo", "/foo/", "/xyz", "/xyz"),
        ("/a", "/", "/v1", "/v1/a"),
    ],
)
def test_G40_replace_prefix_match(path: str, prefix: str, replacement: str, want: str) -> None:
    assert replace_prefix(path, prefix, replacement) == want


def test_G37_G38_redirect_through_the_engine() -> None:
    redirect = {"type": "RequestRedirect", "requestRedirect": {
        "statusCode": 301, "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/new"}}}
    e = engine(gateway(listeners=[listener(port=8080)]), route("r", [rule(prefix("/old"), to=None, filters=[redirect])]))
    rt = go(e, "GET http://a.example:8080/old/page?x=1")
    assert (rt.status, rt.response_headers["location"]) == (301, "http://a.example:8080/new/page?x=1")
    assert controller(rt).outcome == "redirect" and rt.hops[-1].component == "controller"


def test_G39_G40_rewrite_and_G36_header_modifiers() -> None:
    filters = [
        {"type": "RequestHeaderModifier", "requestHeaderModifier": {
            "set": [{"name": "X-Header-Set", "value": "set"}], "add": [{"name": "X-Header-Add", "value": "added"}],
            "remove": ["X-Remove"]}},
        {"type": "URLRewrite", "urlRewrite": {"hostname": "internal.example",
                                              "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}},
        {"type": "ResponseHeaderModifier", "responseHeaderModifier": {"set": [{"name": "X-Served-By", "value": "gw"}]}},
    ]
    e = engine(gateway(), route("r", [rule(prefix("/strip-prefix"), filters=filters)]), *apps("web"))
    rt = go(e, {"url": "http://a.example/strip-prefix/three?q=1", "headers": {
        "x-header-set": "old", "X-Header-Add": "some-other-value", "X-Remove": "gone"}})
    assert rt.status == 200 and rt.upstream is not None
    assert rt.upstream["path"] == "/three?q=1" and rt.upstream["host"] == "internal.example"
    headers = rt.upstream["headers"]
    assert headers["X-Header-Set"] == "set" and "x-header-set" not in headers
    assert headers["X-Header-Add"] == "some-other-value,added" and "X-Remove" not in headers
    assert rt.response_headers["x-served-by"] == "gw"


def test_G41_G43_mirrors_and_timeouts_are_shown_not_counted() -> None:
    mirror = {"type": "RequestMirror", "requestMirror": {"backendRef": {"name": "shadow", "port": 80}, "percent": 25}}
    e = engine(gateway(), route("r", [rule(filters=[mirror], timeouts={"request": "10s", "backendRequest": "2s"})]),
               *apps("web", "shadow"))
    rt = go(e, "GET http://a.example/")
    hop = controller(rt)
    assert picked(rt) == "web" and hop.details["timeouts"] == {"request": "10s", "backendRequest": "2s"}
    assert hop.details["mirrors"] == [{"backend": "shop/shadow:80", "percent": 25.0, "problem": None}]
    assert [h.component for h in rt.hops].count("pod") == 1
    too_long = route("r", [rule(timeouts={"request": "1s", "backendRequest": "2s"})])
    table = engine(gateway(), too_long, *apps("web")).table
    assert table is not None and "may not exceed" in table.describe()["routes"][0]["rejected"]


# -- backends (G-28..G-32) ---------------------------------------------------------------------------------


def test_G30_reference_grant() -> None:
    cross = route("r", [rule(to=[{"name": "web", "namespace": "other", "port": 80}])])
    denied = go(engine(gateway(), cross, *app("web", ns="other")), "GET http://a.example/")
    assert denied.status == 500 and "GATEWAY_BACKEND_REF_INVALID" in codes(denied)
    assert controller(denied).details["resolved_refs"]["reason"] == "RefNotPermitted"
    granted = engine(gateway(), cross, grant("other", "shop"), *app("web", ns="other"))
    assert go(granted, "GET http://a.example/").status == 200
    by_name = engine(gateway(), cross, grant("other", "shop", "web"), *app("web", ns="other"))
    assert go(by_name, "GET http://a.example/").status == 200
    other_name = engine(gateway(), cross, grant("other", "shop", "db"), *app("web", ns="other"))
    assert go(other_name, "GET http://a.example/").status == 500
    wrong_namespace = engine(gateway(), cross, grant("shop", "shop"), *app("web", ns="other"))
    assert go(wrong_namespace, "GET http://a.example/").status == 500
    wrong_from = engine(gateway(), cross, grant("other", "elsewhere"), *app("web", ns="other"))
    assert go(wrong_from, "GET http://a.example/").status == 500


def test_G28_G31_invalid_ref_is_500_without_fall_through() -> None:
    e = engine(gateway(), route("r", [rule(prefix("/api"), to=["missing"]), rule(prefix("/"), to=["web"])]),
               *apps("web"))
    rt = go(e, "GET http://a.example/api/x")
    assert rt.status == 500 and controller(rt).details["resolved_refs"]["reason"] == "BackendNotFound"
    assert picked(go(e, "GET http://a.example/other")) == "web"
    no_backends = engine(gateway(), route("r", [rule(prefix("/"), to=None)]))
    rt = go(no_backends, "GET http://a.example/")
    assert rt.status == 500 and codes(rt) == ["GATEWAY_RULE_WITHOUT_BACKENDS"]
    wrong_port = engine(gateway(), route("r", [rule(to=[{"name": "web", "port": 81}])]), *apps("web"))
    assert go(wrong_port, "GET http://a.example/").status == 500


def test_G31_a_valid_service_without_ready_endpoints_is_503() -> None:
    e = engine(gateway(), route("r", [rule()]), service("web"))
    rt = go(e, "GET http://a.example/")
    assert rt.status == 503 and rt.hops[-1].component in ("endpoints", "service")


def test_G32_weights_split_and_deterministic_pick() -> None:
    split_rule = rule(to=[{"name": "a", "port": 80, "weight": 3}, {"name": "b", "port": 80, "weight": 1},
                          {"name": "never", "port": 80, "weight": 0}])
    e = engine(gateway(), route("r", [split_rule]), *apps("a", "b", "never"))
    rt = go(e, "GET http://a.example/")
    assert [(s["backend"], s["percent"]) for s in rt.split] == [("shop/a:80", 75.0), ("shop/b:80", 25.0),
                                                                ("shop/never:80", 0.0)]
    seen = [picked(go(e, {"url": f"http://a.example/{i}"})) for i in range(400)]
    assert "never" not in seen and 240 < seen.count("a") < 360
    assert picked(go(e, "GET http://a.example/x")) == picked(go(e, "GET http://a.example/x"))
    seeded = [picked(engine(gateway(), route("r", [split_rule]), *apps("a", "b", "never"), seed=s).route(
        "GET http://a.example/")) for s in range(40)]
    assert {"a", "b"} == set(seeded)
    assert weighted_pick(7, "k", [0, 5, 0])[0] == 1


def test_G31_share_of_an_invalid_backend_gets_500() -> None:
    e = engine(gateway(), route("r", [rule(to=[{"name": "web", "port": 80, "weight": 1},
                                               {"name": "gone", "port": 80, "weight": 1}])]), *apps("web"))
    statuses = {go(e, f"GET http://a.example/{i}").status for i in range(40)}
    assert statuses == {200, 500}
    rt = go(e, "GET http://a.example/")
    assert rt.split[1] == {"backend": "shop/gone:80", "weight": 1, "percent": 50.0, "invalid": "BackendNotFound"}


# -- implementations (G-35, conformance.py) --------------------------------------------------------------


def test_support_matrix_holds_the_six_implementations() -> None:
    keys = {impl.key for impl in IMPLEMENTATIONS.values()}
    assert keys == {"istio", "envoy-gateway", "cilium", "nginx-gateway-fabric", "kgateway", "traefik"}
    for controller_name in IMPLEMENTATIONS:
        assert CLASS_CONTROLLERS[controller_name] == "gateway-api"
    rows = {row["feature"]: row for row in matrix()}
    assert set(rows) == V1_4_FEATURES
    assert rows["HTTPRouteRequestMirror"]["traefik"] is False and rows["HTTPRouteRequestMirror"]["istio"] is True
    assert rows["GatewayHTTPListenerIsolation"]["kgateway"] is False
    assert rows["HTTPRouteParentRefPort"]["cilium"] is False


def test_G35_unsupported_feature_is_flagged_for_the_implementation() -> None:
    mirror = {"type": "RequestMirror", "requestMirror": {"backendRef": {"name": "shadow", "port": 80}}}
    docs = [gateway(cls="traefik"), route("r", [rule(filters=[mirror])]), *apps("web", "shadow")]
    traefik = Engine([gclass("traefik", "traefik.io/gateway-controller"), *docs])
    rt = go(traefik, "GET http://a.example/")
    assert rt.status == 200 and "GATEWAY_FEATURE_UNSUPPORTED" in codes(rt)
    assert controller(rt).details["conformance"]["features"] == {"HTTPRouteRequestMirror": "unsupported"}
    istio = Engine([gclass("traefik", "istio.io/gateway-controller"), *docs])
    assert "GATEWAY_FEATURE_UNSUPPORTED" not in codes(go(istio, "GET http://a.example/"))
    unknown = Engine([gclass("traefik", "example.com/other"), *docs])
    assert "GATEWAY_FEATURE_UNSUPPORTED" not in codes(go(unknown, "GET http://a.example/"))
    isolation = [gclass("kg", "kgateway.dev/kgateway"),
                 gateway(cls="kg", listeners=[listener("a", hostname="a.example.com"), listener("any")]),
                 route("r", [rule()]), *apps("web")]
    rt = go(Engine(isolation), "GET http://a.example.com/")
    assert any("GatewayHTTPListenerIsolation" in d.message for d in rt.diagnoses)


# -- installations, entry and via ---------------------------------------------------------------------------


def test_installations_group_classes_by_controller_and_assume_missing_classes() -> None:
    docs = [gclass("istio", "istio.io/gateway-controller"), gclass("istio-internal", "istio.io/gateway-controller"),
            gateway("public", cls="istio"), gateway("orphan", cls="missing")]
    snap = load_manifests(docs)
    found = {i.name: i for i in find_installations(snap)}
    assert set(found) == {"gateway-api (GatewayClass istio, istio-internal)", "gateway-api (GatewayClass missing, assumed)"}
    assert found["gateway-api (GatewayClass missing, assumed)"].assumed
    assert "Istio 1.28" in found["gateway-api (GatewayClass istio, istio-internal)"].reason


def test_the_gateway_service_is_the_entry_and_via_picks_the_gateway() -> None:
    gw_service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "public-istio", "namespace": "infra"},
                  "spec": {"type": "LoadBalancer", "selector": {"gateway.networking.k8s.io/gateway-name": "public"},
                           "ports": [{"name": "http", "port": 80}]},
                  "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.7"}]}}}
    docs = [gclass("istio", "istio.io/gateway-controller"),
            gateway("public", cls="istio", listeners=[listener(hostname="www.example.com")]),
            gateway("internal", cls="istio", listeners=[listener(hostname="www.example.com")],
                    **{"addresses": [{"type": "IPAddress", "value": "10.9.9.9"}]}),
            gw_service,
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "public-istio", "namespace": "infra"},
             "spec": {"selector": {"matchLabels": {"gateway.networking.k8s.io/gateway-name": "public"}},
                      "template": {"metadata": {"labels": {"gateway.networking.k8s.io/gateway-name": "public"}},
                                   "spec": {"containers": [{"name": "istio-proxy", "image": "istio/proxyv2:1.28.0"}]}}}},
            route("pub", [rule(to=["web"])], parents=[{"name": "public", "namespace": "infra"}]),
            route("int", [rule(to=["admin"])], parents=[{"name": "internal", "namespace": "infra"}]),
            *apps("web", "admin")]
    e = Engine(docs)
    rt = go(e, "GET http://www.example.com/")
    # Both Gateways serve the host; the one whose Service the entry hops show answers (the other is a near miss).
    assert (controller(rt).name, picked(rt)) == ("Gateway infra/public", "web")
    assert [i.family for i in e.installations] == ["gateway-api"]  # the Istio proxy workload is the Gateway's
    dns = next(h for h in rt.hops if h.component == "dns")
    assert "198.51.100.7" in dns.summary
    via = go(e, {"url": "http://www.example.com/", "via": {"kind": "Gateway", "namespace": "infra", "name": "internal"}})
    assert (controller(via).name, picked(via)) == ("Gateway infra/internal", "admin")
    by_address = go(e, "GET http://10.9.9.9/")
    assert controller(by_address).name == "Gateway infra/internal"
    by_lb = go(e, {"url": "http://www.example.com/", "via": "198.51.100.7"})
    assert (controller(by_lb).name, picked(by_lb)) == ("Gateway infra/public", "web")


def test_a_snapshot_of_gateway_objects_alone_has_no_ingress_stand_in() -> None:
    e = engine(gateway(), route("r", [rule()]), *apps("web"))
    assert [i.family for i in e.installations] == ["gateway-api"]


def test_app_profile_answers_through_the_gateway() -> None:
    profile = {"apiVersion": "tracer.dev/v1alpha1", "kind": "AppProfile", "metadata": {"name": "web", "namespace": "shop"},
               "spec": {"selector": {"service": "web"}, "routes": [{"path": {"exact": "/"}, "respond": {"status": 302,
                                                                    "headers": {"Location": "/login"}}}]}}
    e = engine(gateway(), route("r", [rule()]), profile, *apps("web"))
    rt = go(e, "GET http://a.example/")
    assert rt.status == 302 and rt.response_headers["location"] == "/login"
    assert go(e, "GET http://a.example/other").status == 404


def test_compile_on_its_own_and_describe() -> None:
    docs = [gclass(), gateway(), route("r", [rule()]), *apps("web")]
    snap = Snapshot.from_objects([K8sObject(body=d, source=Source("t.yaml", i, 1)) for i, d in enumerate(docs)])
    table = GatewayApi().compile(snap, Options())
    described = table.describe()
    assert described["gateways"][0]["listeners"][0]["attachedRoutes"] == 1
    assert [o.kind for o in table.controller_objects()] == ["Gateway", "GatewayClass"]


def _mean_route_seconds(count: int, requests: int = 300) -> float:
    # Half the routes share one hostname-less bucket, so only the path index keeps a request from scanning them.
    routes = [route(f"r{i}", [rule(prefix(f"/p{i}"), to=["web"]), rule(exact(f"/e{i}"), to=["web"])],
                    hostnames=[f"h{i}.example.com"] if i % 2 else None) for i in range(count)]
    e = engine(gateway(), *routes, *apps("web"))
    targets = [f"GET http://h{i % count}.example.com/p{i % count}/x" for i in range(requests)]
    e.route(targets[0])
    start = time.perf_counter()
    for target in targets:
        assert e.route(target).status == 200
    return (time.perf_counter() - start) / requests


def test_routing_cost_does_not_grow_with_the_number_of_routes() -> None:
    """Indexed by hostname and path: 100 times more routes on one listener must not make a request much slower."""
    small, large = _mean_route_seconds(50), _mean_route_seconds(5000)
    assert large < 3 * small + 0.0002, (small, large)


# -- every corpus file and example with Gateway API objects routes without surprises -----------------------


# Gateway API objects as a cluster lists them (the pull tests' API server fixture) and the example folder.
WHOLE_FOLDERS = (ROOT / "tests/kube/fixtures/cluster/apis/gateway.networking.k8s.io/v1", ROOT / "examples/gateway-api-basic")


def _gateway_api_sources() -> list[Path]:
    """Each corpus file holding Gateway API objects, then the folders above (each one snapshot)."""
    out = []
    for path in sorted((ROOT / "tests" / "corpus").rglob("*")):
        if path.suffix in (".yaml", ".yml", ".json") and path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if "gateway.networking.k8s.io" in text and ("kind: HTTPRoute" in text or "kind: Gateway" in text):
                out.append(path)
    return out + list(WHOLE_FOLDERS)


def _requests_for(snapshot: Snapshot) -> list[str]:
    out = []
    for obj in snapshot.of_kind("HTTPRoute"):
        hosts = [str(h).replace("*", "any") for h in obj.spec.get("hostnames") or []] or ["made-up.example.com"]
        for raw in obj.spec.get("rules") or [{}]:
            matches = (raw.get("matches") if isinstance(raw, dict) else None) or [{}]
            path = str(((matches[0] or {}).get("path") or {}).get("value") or "/")
            path = path if path.startswith("/") and " " not in path else "/"
            out += [f"GET http://{hosts[0]}{path}", f"GET https://{hosts[0]}{path}"]
    return out or ["GET http://made-up.example.com/"]


def test_every_corpus_file_with_gateway_api_objects_compiles_and_routes() -> None:
    routed = 0
    for source in _gateway_api_sources():
        try:
            snapshot = load_manifests(source)
        except LoadError:
            continue
        e = Engine(snapshot, controller="gateway-api")
        for request in _requests_for(snapshot):
            trace = e.trace(request)
            data = trace.to_dict()
            SCHEMA.validate(data)
            assert find_literals(data) == [], (source, request)
            assert all(len(line) <= 100 for line in render_text(trace).splitlines()), (source, request)
            assert trace.final.hops[-1].component in ("controller", "service", "endpoints", "pod"), (source, request)
            routed += 1
    assert routed >= 6  # the example's and the fixture's routes at least
