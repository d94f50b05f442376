"""The portable Ingress v1 data plane (docs/rules/k8s-routing.md, rules I-1..I-27)."""

from __future__ import annotations

from typing import Any

import pytest

from tracer.engine.dataplanes.ingress_spec import IngressSpec
from tracer.engine.dataplanes.ingress_spec import route as spec_route
from tracer.engine.dataplanes.ingress_spec.index import HostBucket, HostIndex, PathEntry
from tracer.engine.options import Options
from tracer.engine.request import parse_request
from tracer.engine.snapshot import K8sObject, Snapshot, Source


def snap(*docs: dict[str, Any]) -> Snapshot:
    return Snapshot.from_objects([K8sObject(body=d, source=Source("t.yaml", i, 1)) for i, d in enumerate(docs)])


def backend(service: str, port: int | str = 80) -> dict[str, Any]:
    key = "number" if isinstance(port, int) else "name"
    return {"service": {"name": service, "port": {key: port}}}


def path(p: str, service: str = "web", path_type: str = "Prefix", port: int | str = 80) -> dict[str, Any]:
    return {"path": p, "pathType": path_type, "backend": backend(service, port)}


def ingress(name: str, rules: list[dict[str, Any]], ns: str = "shop", **spec: Any) -> dict[str, Any]:
    meta = spec.pop("metadata", {})
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": ns, **meta},
        "spec": {"rules": rules, **spec},
    }


def rule(host: str | None, *paths: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"http": {"paths": list(paths)}}
    if host:
        out["host"] = host
    return out


def service(name: str, ns: str = "shop", port: int = 80, target: int | str = 8080) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": port, "targetPort": target}]},
    }


def pod(name: str, app: str, ip: str, ns: str = "shop", ready: bool = True) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
        "spec": {"containers": [{"name": "c"}]},
        "status": {
            "phase": "Running",
            "podIP": ip,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


def ingress_class(name: str, controller: str = "example.com/ingress", default: bool = False, created: str = "") -> dict:
    meta: dict[str, Any] = {"name": name}
    if default:
        meta["annotations"] = {"ingressclass.kubernetes.io/is-default-class": "true"}
    if created:
        meta["creationTimestamp"] = created
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": meta,
        "spec": {"controller": controller},
    }


SERVICES = [service(n) for n in ("web", "api", "apis", "exact", "other", "fallback")] + [
    pod(f"{n}-1", n, f"10.0.0.{i + 1}") for i, n in enumerate(("web", "api", "apis", "exact", "other", "fallback"))
]


def route(docs: list[dict[str, Any]], request: str | dict[str, Any], **options: Any):
    table = IngressSpec().compile(snap(*docs, *SERVICES), Options.from_kwargs(**options))
    return table.route(parse_request(request))


def svc_of(trace) -> str | None:
    return trace.backend["service"] if trace.backend else None


# --- 2.3 hosts -----------------------------------------------------------------------------------


def test_k8s_I_10_precise_host_and_U_5_port_stripped():
    docs = [ingress("i", [rule("shop.example.com", path("/"))])]
    assert route(docs, "GET http://shop.example.com/").status == 200
    assert route(docs, {"url": "http://1.2.3.4/", "headers": {"Host": "Shop.Example.com:8080"}}).status == 200
    miss = route(docs, "GET http://other.example.com/")
    assert miss.status == 404 and miss.route is None


def test_k8s_I_11_wildcard_covers_exactly_one_label():
    docs = [ingress("i", [rule("*.foo.com", path("/"))])]
    assert route(docs, "GET http://bar.foo.com/").status == 200
    deep = route(docs, "GET http://baz.bar.foo.com/")
    assert deep.status == 404
    assert any("covers exactly one label" in n for n in deep.hops[0].near_misses)
    apex = route(docs, "GET http://foo.com/")
    assert apex.status == 404
    assert any("does not match the apex foo.com" in n for n in apex.hops[0].near_misses)


def test_k8s_I_12_hostless_rule_catches_every_host():
    docs = [ingress("i", [rule(None, path("/"))])]
    assert route(docs, "GET http://anything.example/").status == 200
    assert route(docs, "GET http://192.0.2.7/").status == 200


def test_k8s_I_13_precise_beats_wildcard_beats_hostless_without_fallthrough():
    docs = [
        ingress("a", [rule("shop.example.com", path("/api", "api"))]),
        ingress("b", [rule("*.example.com", path("/", "other"))]),
        ingress("c", [rule(None, path("/", "fallback"))]),
    ]
    assert svc_of(route(docs, "GET http://shop.example.com/api/x")) == "api"
    assert svc_of(route(docs, "GET http://www.example.com/")) == "other"
    assert svc_of(route(docs, "GET http://elsewhere.test/")) == "fallback"
    # The precise host exists but no path matches: no fall-through (U-1), so 404.
    t = route(docs, "GET http://shop.example.com/")
    assert t.status == 404
    assert any("more specific" in n and "U-1" in n for n in t.hops[0].near_misses)


# --- 2.4 paths -----------------------------------------------------------------------------------


def test_k8s_2_4_prefix_element_wise():
    docs = [ingress("i", [rule("h.test", path("/foo", "api"))])]
    assert route(docs, "GET http://h.test/foo").status == 200
    assert route(docs, "GET http://h.test/foo/").status == 200
    assert route(docs, "GET http://h.test/foo/bar").status == 200
    t = route(docs, "GET http://h.test/foobar")
    assert t.status == 404
    assert any("whole path elements" in n for n in t.hops[0].near_misses)
    assert route(docs, "GET http://h.test/FOO").status == 404  # case-sensitive (C-3)


def test_k8s_I_15_prefix_trailing_slash_is_ignored():
    docs = [ingress("i", [rule("h.test", path("/foo/", "api"))])]
    assert route(docs, "GET http://h.test/foo").status == 200
    assert route(docs, "GET http://h.test/foo/x").status == 200


def test_k8s_I_14_exact_is_the_whole_string():
    docs = [ingress("i", [rule("h.test", path("/foo", "exact", "Exact"))])]
    assert route(docs, "GET http://h.test/foo").status == 200
    t = route(docs, "GET http://h.test/foo/")
    assert t.status == 404
    assert any("trailing slash" in n for n in t.hops[0].near_misses)
    assert route(docs, "GET http://h.test/foo?q=1").status == 200  # the query is not part of the path (C-1)


def test_k8s_I_17_longest_path_wins_regardless_of_order():
    docs = [ingress("i", [rule("h.test", path("/", "web"), path("/api/v1", "apis"), path("/api", "api"))])]
    t = route(docs, "GET http://h.test/api/v1/items")
    assert svc_of(t) == "apis" and t.route["rule"] == "rules[0].http.paths[1]"
    assert any("longer" in n for n in t.hops[0].near_misses)
    assert svc_of(route(docs, "GET http://h.test/api/v2")) == "api"
    assert svc_of(route(docs, "GET http://h.test/")) == "web"


def test_k8s_I_17_exact_beats_prefix_at_equal_length():
    docs = [ingress("i", [rule("h.test", path("/foo", "api"), path("/foo", "exact", "Exact"))])]
    t = route(docs, "GET http://h.test/foo")
    assert svc_of(t) == "exact"
    assert any("Exact beats Prefix" in n for n in t.hops[0].near_misses)
    assert svc_of(route(docs, "GET http://h.test/foo/bar")) == "api"


def test_k8s_I_17_length_as_written():
    docs = [ingress("i", [rule("h.test", path("/foo", "api"), path("/foo/", "apis"))])]
    assert svc_of(route(docs, "GET http://h.test/foo")) == "apis"
    assert svc_of(route(docs, "GET http://h.test/foo/")) == "apis"


def test_k8s_I_16_implementation_specific_treated_as_prefix_with_warning():
    docs = [ingress("i", [rule("h.test", path("/app", "api", "ImplementationSpecific"))])]
    t = route(docs, "GET http://h.test/app/x")
    assert t.status == 200
    assert "ImplementationSpecific" in t.hops[0].details["warning"]
    assert "k8s-routing#I-16" in t.hops[0].rules


def test_U_2_rules_for_one_host_merge_across_ingresses():
    docs = [
        ingress("a", [rule("h.test", path("/api", "api"))], metadata={"creationTimestamp": "2024-01-01T00:00:00Z"}),
        ingress("b", [rule("h.test", path("/", "web"))]),
        ingress("c", [rule("h.test", path("/api", "apis"))], metadata={"creationTimestamp": "2024-02-01T00:00:00Z"}),
    ]
    assert svc_of(route(docs, "GET http://h.test/")) == "web"
    t = route(docs, "GET http://h.test/api")
    assert svc_of(t) == "api" and t.route["name"] == "a"
    assert any("U-2" in n for n in t.hops[0].near_misses)


# --- 2.5 / 2.6 default backend, no match, backends ------------------------------------------------


def test_k8s_I_18_default_backend_when_nothing_matches():
    docs = [ingress("i", [rule("h.test", path("/api", "api"))], defaultBackend=backend("fallback"))]
    t = route(docs, "GET http://h.test/other")
    assert t.status == 200 and svc_of(t) == "fallback" and t.route["rule"] == "defaultBackend"
    only_default = [ingress("d", [], defaultBackend=backend("fallback"))]
    assert svc_of(route(only_default, "GET http://x.test/")) == "fallback"


def test_k8s_I_19_404_when_nothing_matches_and_no_default_backend():
    docs = [ingress("i", [rule("h.test", path("/apis", "apis"))])]
    t = route(docs, "GET http://h.test/api")
    assert t.status == 404 and t.route is None and t.backend is None
    hop = t.hops[-1]
    assert hop.component == "controller" and hop.outcome == "respond" and hop.status == 404
    assert hop.near_misses[0].startswith("Host matched, path /api did not match Prefix /apis")
    assert [d.code for d in t.diagnoses] == ["NO_INGRESS_RULE_MATCHES"]


def test_k8s_I_23_resource_backend_has_no_service():
    res_backend = {"resource": {"apiGroup": "k8s.example.com", "kind": "StorageBucket", "name": "static"}}
    docs = [ingress("i", [rule("h.test", {"path": "/", "pathType": "Prefix", "backend": res_backend})])]
    t = route(docs, "GET http://h.test/a")
    assert t.status == 404 and t.backend is None and t.pod is None
    assert [d.code for d in t.diagnoses] == ["RESOURCE_BACKEND"]
    assert "StorageBucket static" in t.hops[0].summary


def test_k8s_I_22_service_port_by_name_and_trace_fields():
    docs = [ingress("i", [rule("h.test", path("/", "web"), path("/cart", "api", port="http"))])]
    t = route(docs, {"url": "https://h.test/cart/items?id=3", "headers": {"X-Test": "1"}})
    assert t.status == 200
    assert t.route == {"kind": "Ingress", "namespace": "shop", "name": "i", "rule": "rules[0].http.paths[1]"}
    assert t.backend == {"namespace": "shop", "service": "api", "port": 80}
    assert t.pod == {"namespace": "shop", "name": "api-1", "ip": "10.0.0.2", "port": 8080}
    assert t.upstream["path"] == "/cart/items?id=3" and t.upstream["host"] == "h.test"
    assert t.upstream["headers"]["X-Test"] == "1"
    assert [h.component for h in t.hops] == ["controller", "service", "endpoints", "pod"]
    assert all(h.status == 200 for h in t.hops)
    assert "via" in t.hops[1].details  # the portable spec does not say direct vs VIP


def test_R21_no_ready_endpoints_gives_503():
    docs = [
        ingress("i", [rule("h.test", path("/", "down"))]),
        service("down"),
        pod("down-1", "down", "10.0.1.1", ready=False),
    ]
    t = route(docs, "GET http://h.test/")
    assert t.status == 503 and t.pod is None and t.upstream is None
    assert [d.code for d in t.diagnoses] == ["NO_READY_ENDPOINTS"]
    assert t.hops[-1].component == "endpoints" and t.hops[-1].outcome == "respond"
    assert t.backend == {"namespace": "shop", "service": "down", "port": 80}


def test_service_missing_and_port_mismatch_give_503():
    t = route([ingress("i", [rule("h.test", path("/", "nope"))])], "GET http://h.test/")
    assert t.status == 503 and [d.code for d in t.diagnoses] == ["SERVICE_MISSING"]
    t = route([ingress("i", [rule("h.test", path("/", "web", port=8080))])], "GET http://h.test/")
    assert t.status == 503 and [d.code for d in t.diagnoses] == ["SERVICE_PORT_MISMATCH"]
    assert t.backend == {"namespace": "shop", "service": "web", "port": None}


def test_assume_endpoints_option():
    docs = [ingress("i", [rule("h.test", path("/", "ghost"))]), service("ghost")]
    assert route(docs, "GET http://h.test/").status == 503
    t = route(docs, "GET http://h.test/", assume_endpoints=True)
    assert t.status == 200 and t.hops[-1].confidence == "assumed"


# --- 2.1 classes ---------------------------------------------------------------------------------


def test_k8s_I_1_class_selection_with_controller_class():
    docs = [
        ingress_class("mine", "example.com/mine"),
        ingress_class("theirs", "example.com/theirs"),
        ingress("a", [rule("a.test", path("/"))], ingressClassName="mine"),
        ingress("b", [rule("b.test", path("/"))], ingressClassName="theirs"),
        ingress("c", [rule("c.test", path("/"))], ingressClassName="ghost"),
    ]
    assert route(docs, "GET http://a.test/", controller_class="example.com/mine").status == 200
    t = route(docs, "GET http://b.test/", controller_class="example.com/mine")
    assert t.status == 404 and "INGRESS_NOT_SERVED" in [d.code for d in t.diagnoses]
    assert any("belongs to controller" in n for n in t.hops[0].near_misses)
    t = route(docs, "GET http://c.test/", controller_class="example.com/mine")
    assert t.status == 404 and any("does not exist" in n for n in t.hops[0].near_misses)
    # Without controller_class the portable model serves every class in the snapshot.
    assert route(docs, "GET http://b.test/").status == 200


def test_k8s_I_1_legacy_annotation():
    docs = [
        ingress_class("nginx", "k8s.io/ingress-nginx"),
        ingress("a", [rule("a.test", path("/"))], metadata={"annotations": {"kubernetes.io/ingress.class": "nginx"}}),
    ]
    assert route(docs, "GET http://a.test/", controller_class="k8s.io/ingress-nginx").status == 200


def test_k8s_I_2_class_field_and_annotation_together_is_invalid():
    docs = [
        ingress_class("nginx"),
        ingress(
            "a",
            [rule("a.test", path("/"))],
            ingressClassName="nginx",
            metadata={"annotations": {"kubernetes.io/ingress.class": "nginx"}},
        ),
    ]
    t = route(docs, "GET http://a.test/")
    assert t.status == 404 and any("I-2" in d.message for d in t.diagnoses)


def test_k8s_I_3_default_class_newest_wins():
    docs = [
        ingress_class("old", "example.com/old", default=True, created="2023-01-01T00:00:00Z"),
        ingress_class("new", "example.com/new", default=True, created="2024-01-01T00:00:00Z"),
        ingress("a", [rule("a.test", path("/"))]),
    ]
    assert route(docs, "GET http://a.test/", controller_class="example.com/new").status == 200
    assert route(docs, "GET http://a.test/", controller_class="example.com/old").status == 404
    t = route(docs, "GET http://a.test/", controller_class="example.com/new")
    assert "default IngressClass" in t.hops[0].decision


def test_k8s_I_4_classless_ingress_without_default_class_is_not_served():
    docs = [ingress_class("nginx"), ingress("a", [rule("a.test", path("/"))])]
    assert route(docs, "GET http://a.test/").status == 404
    # No IngressClass at all in the snapshot: class-less Ingresses are accepted.
    assert route([ingress("a", [rule("a.test", path("/"))])], "GET http://a.test/").status == 200


@pytest.mark.parametrize("bad", ["foo", "/a//b", "/a/./b", "/a/../b", "/a%2Fb", "/a/..", "/a/."])
def test_k8s_I_6_invalid_paths_make_the_ingress_invalid(bad: str):
    docs = [ingress("a", [rule("a.test", path(bad))])]
    t = route(docs, "GET http://a.test/" + bad.lstrip("/"))
    assert t.status == 404 and "INGRESS_NOT_SERVED" in [d.code for d in t.diagnoses]


def test_k8s_I_7_invalid_hosts():
    for host in ("1.2.3.4", "*", "a.*.com"):
        docs = [ingress("a", [rule(host, path("/"))])]
        table = IngressSpec().compile(snap(*docs, *SERVICES), Options())
        assert table.describe()["ignored_ingresses"], host


def test_k8s_I_5_and_I_8_validation():
    both = {"service": {"name": "web", "port": {"number": 80}}, "resource": {"kind": "X", "name": "y"}}
    docs = [ingress("a", [rule("a.test", {"path": "/", "pathType": "Prefix", "backend": both})])]
    t = route(docs, "GET http://a.test/")
    assert t.status == 404
    (diag,) = [d for d in t.diagnoses if d.code == "INGRESS_NOT_SERVED"]
    assert diag.rule == "k8s-routing#I-8" and diag.severity == "error"
    empty = [ingress("b", [])]
    table = IngressSpec().compile(snap(*empty), Options())
    assert "I-5" in table.describe()["ignored_ingresses"][0]["reason"]


def test_k8s_I_21_rule_without_http_block():
    docs = [ingress("a", [{"host": "a.test"}], defaultBackend=backend("fallback"))]
    t = route(docs, "GET http://a.test/x")
    assert svc_of(t) == "fallback"
    assert any("I-21" in n for n in t.hops[0].near_misses)


def test_legacy_v1beta1_ingress_backend_shape():
    legacy = {
        "apiVersion": "networking.k8s.io/v1beta1",
        "kind": "Ingress",
        "metadata": {"name": "old", "namespace": "shop"},
        "spec": {
            "rules": [
                {
                    "host": "a.test",
                    "http": {"paths": [{"path": "/x", "backend": {"serviceName": "api", "servicePort": 80}}]},
                }
            ]
        },
    }
    t = route([legacy], "GET http://a.test/x/y")
    assert t.status == 200 and svc_of(t) == "api"


# --- 2.7 TLS -------------------------------------------------------------------------------------


def test_k8s_I_25_tls_terminated_with_named_secret():
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"name": "cert", "namespace": "shop"},
    }
    docs = [secret, ingress("a", [rule("a.test", path("/"))], tls=[{"hosts": ["a.test"], "secretName": "cert"}])]
    t = route(docs, "GET https://a.test/")
    assert t.status == 200 and t.diagnoses == []
    tls = t.hops[0].details["tls"]
    assert tls["secret"] == "cert" and tls["certificate"]["tls"] == "tls[0]"


def test_k8s_I_26_sni_picks_certificate_host_picks_route():
    docs = [
        ingress("a", [rule("a.test", path("/", "api"))], tls=[{"hosts": ["*.sni.test"], "secretName": "wild"}]),
    ]
    t = route(docs, {"url": "https://a.test/", "sni": "x.sni.test"})
    assert svc_of(t) == "api"
    assert t.hops[0].details["tls"]["secret"] == "wild" and "SNI and Host differ" in t.hops[0].details["tls"]["note"]
    assert "TLS_SECRET_MISSING" in [d.code for d in t.diagnoses]  # the Secret is not in the snapshot


def test_k8s_I_27_tls_host_not_covered():
    t = route([ingress("a", [rule("a.test", path("/"))])], "GET https://a.test/")
    assert t.status == 200 and [d.code for d in t.diagnoses] == ["TLS_HOST_NOT_COVERED"]


# --- scale ---------------------------------------------------------------------------------------


def test_routing_work_does_not_grow_with_the_number_of_ingresses(monkeypatch: pytest.MonkeyPatch):
    """The host index hands each request one bucket and the per-host path dictionaries its candidates, so a
    request looks at the same entries among 10,000 Ingresses as among 100. (Timings: bench/bench_engine.py
    --controller ingress-spec.)"""
    work = {"buckets": 0, "candidates": 0, "near_misses": 0}
    lookup, candidates, mismatch = HostIndex.lookup, HostBucket.candidates, spec_route._path_mismatch_reason

    def counted_lookup(self: HostIndex, host: str) -> list[HostBucket]:
        found = lookup(self, host)
        work["buckets"] += len(found)
        return found

    def counted_candidates(self: HostBucket, path: str) -> list[PathEntry]:
        found = candidates(self, path)
        work["candidates"] += len(found)
        return found

    def counted_mismatch(entry: PathEntry, path: str) -> str:
        work["near_misses"] += 1
        return mismatch(entry, path)

    monkeypatch.setattr(HostIndex, "lookup", counted_lookup)
    monkeypatch.setattr(HostBucket, "candidates", counted_candidates)
    monkeypatch.setattr(spec_route, "_path_mismatch_reason", counted_mismatch)
    requests = [parse_request(f"GET http://h{k}.example.com{p}") for k in range(100) for p in ("/api/x", "/other")]

    def work_for(n: int) -> dict[str, int]:
        docs = [ingress(f"i{k}", [rule(f"h{k}.example.com", path("/api", "api"), path("/", "web"))]) for k in range(n)]
        table = IngressSpec().compile(snap(*docs, *SERVICES), Options())
        work.update(dict.fromkeys(work, 0))
        for r in requests:
            t = table.route(r)
            assert (t.status, svc_of(t)) == (200, "api" if r.path == "/api/x" else "web")
        return dict(work)

    # Per request: one bucket; /api/x matches both paths, /other matches / and misses /api (one near miss).
    assert work_for(100) == work_for(10_000) == {"buckets": 200, "candidates": 300, "near_misses": 100}


# --- end to end through the API ------------------------------------------------------------------


def test_engine_end_to_end_with_entry_hops():
    from tracer.engine.api import Engine

    docs = [
        ingress("shop", [rule("shop.example.com", path("/", "web"), path("/cart", "api"))]),
        *SERVICES,
    ]
    engine = Engine(snap(*docs), controller="ingress-spec")
    t = engine.route("GET https://shop.example.com/cart")
    assert t.status == 200 and t.controller == "ingress-spec"
    assert [h.component for h in t.hops] == [
        "browser",
        "dns",
        "load-balancer",
        "controller",
        "service",
        "endpoints",
        "pod",
    ]
    assert t.hops[0].summary.startswith("GET https://shop.example.com/cart HTTP/1.1")
    assert t.hops[2].confidence == "assumed" and t.hops[2].status == 200
    assert t.pod["name"] == "api-1"
    missing = engine.route("GET https://nowhere.example.com/")
    assert missing.status == 404 and missing.hops[-1].status == 404


def test_U_6_plain_http_to_a_tls_host_is_noted():
    docs = [ingress("a", [rule("a.test", path("/"))], tls=[{"hosts": ["a.test"], "secretName": "c"}])]
    t = route(docs, "GET http://a.test/")
    assert t.status == 200 and [d.code for d in t.diagnoses] == ["PLAIN_HTTP_TO_TLS_HOST"]
