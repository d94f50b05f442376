"""tracer.engine.services: Service ports, endpoints (slices, Endpoints, Pods, inferred), diagnoses, backend hops.

Test names carry the rule ids of docs/rules/dataplane.md (R..) and docs/rules/k8s-routing.md (C-4, I-22).
"""

from __future__ import annotations

from typing import Any, Literal

from tracer.engine.services import (
    ServiceIndex,
    backend_hops,
    chain_suffix,
    pick_endpoint,
    resolve_backend,
)
from tracer.engine.snapshot import K8sObject, Snapshot, Source


def snap(*docs: dict[str, Any]) -> Snapshot:
    return Snapshot.from_objects(
        [K8sObject(body=d, source=Source("t.yaml", i, i * 10 + 1)) for i, d in enumerate(docs)]
    )


def index(*docs: dict[str, Any]) -> ServiceIndex:
    """What an Engine's context builds: one index (and memos) for one snapshot."""
    return ServiceIndex(snap(*docs))


def svc(
    name: str,
    ns: str = "shop",
    selector: dict[str, str] | Literal[False] | None = None,  # False: no selector at all
    ports: list | None = None,
    **spec: Any,
):
    body_spec: dict[str, Any] = {
        "ports": ports if ports is not None else [{"name": "http", "port": 80, "targetPort": 8080}],
        **spec,
    }
    if selector is not False:
        body_spec["selector"] = selector if selector is not None else {"app": name}
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": body_spec}


def pod(
    name: str,
    ip: str | None,
    labels: dict[str, str],
    ns: str = "shop",
    ready: bool = True,
    ports: list | None = None,
    phase: str = "Running",
    status: bool = True,
    **meta: Any,
):
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": labels, **meta},
        "spec": {"nodeName": "node-1", "containers": [{"name": "app", "ports": ports or []}]},
    }
    if status:
        body["status"] = {
            "phase": phase,
            "podIP": ip,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        }
    return body


def deploy(
    name: str, labels: dict[str, str], ns: str = "shop", replicas: int | None = 1, ports=None, kind="Deployment"
):
    spec: dict[str, Any] = {
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "ports": ports or []}]}},
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": name, "namespace": ns}, "spec": spec}


def eps_slice(name: str, service: str, endpoints: list[dict], ports: list[dict], ns: str = "shop"):
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": name, "namespace": ns, "labels": {"kubernetes.io/service-name": service}},
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": ports,
    }


def codes(res) -> list[str]:
    return [d.code for d in res.diagnoses]


# --- ports ---------------------------------------------------------------------------------------


def test_R9_target_port_defaults_to_port():
    idx = index(svc("api", ports=[{"name": "http", "port": 8080}]), pod("api-1", "10.0.0.1", {"app": "api"}))
    res = resolve_backend(idx, "shop", "api", 8080)
    assert res.ok()
    assert [(e.ip, e.port, e.source) for e in res.endpoints] == [("10.0.0.1", 8080, "pod")]


def test_k8s_I_22_service_port_by_name_and_number():
    idx = index(svc("api"), pod("api-1", "10.0.0.1", {"app": "api"}))
    by_name = resolve_backend(idx, "shop", "api", "http")
    by_number = resolve_backend(idx, "shop", "api", 80)
    assert by_name.port_number == by_number.port_number == 80
    assert by_name.endpoints[0].port == 8080


def test_k8s_I_22_service_port_mismatch_lists_ports():
    idx = index(svc("api", ports=[{"name": "http", "port": 80, "targetPort": 8080}, {"name": "grpc", "port": 9090}]))
    res = resolve_backend(idx, "shop", "api", 8080)  # the targetPort, not the Service port
    assert not res.ok()
    assert codes(res) == ["SERVICE_PORT_MISMATCH"]
    msg = res.diagnoses[0].message
    assert "80/http -> 8080" in msg and "9090/grpc" in msg


def test_ingress_nginx_port_match_accepts_target_port():
    idx = index(svc("api"), pod("api-1", "10.0.0.1", {"app": "api"}))
    res = resolve_backend(idx, "shop", "api", 8080, port_match="ingress-nginx")
    assert res.ok() and res.port_number == 80


def test_R10_named_target_port_resolved_per_pod():
    idx = index(
        svc("api", ports=[{"name": "http", "port": 80, "targetPort": "web"}]),
        pod("api-a", "10.0.0.1", {"app": "api"}, ports=[{"name": "web", "containerPort": 8080}]),
        pod("api-b", "10.0.0.2", {"app": "api"}, ports=[{"name": "web", "containerPort": 9090}]),
    )
    res = resolve_backend(idx, "shop", "api", 80)
    assert sorted((e.pod_name, e.port) for e in res.endpoints) == [("api-a", 8080), ("api-b", 9090)]
    assert res.diagnoses == []


def test_R10_pod_without_named_port_is_left_out():
    idx = index(
        svc("api", ports=[{"name": "http", "port": 80, "targetPort": "web"}]),
        pod("api-a", "10.0.0.1", {"app": "api"}, ports=[{"name": "web", "containerPort": 8080}]),
        pod("api-b", "10.0.0.2", {"app": "api"}, ports=[{"name": "http", "containerPort": 8080}]),
    )
    res = resolve_backend(idx, "shop", "api", 80)
    assert [e.pod_name for e in res.endpoints] == ["api-a"]
    (diag,) = res.diagnoses
    assert diag.code == "NAMED_PORT_UNRESOLVED" and diag.severity == "warning" and "api-b" in diag.message


def test_R10_named_port_unresolved_everywhere_is_an_error():
    idx = index(
        svc("api", ports=[{"name": "http", "port": 80, "targetPort": "web"}]),
        deploy("api", {"app": "api"}, ports=[{"name": "http", "containerPort": 8080}]),
    )
    res = resolve_backend(idx, "shop", "api", 80)
    assert not res.ok()
    assert codes(res) == ["NAMED_PORT_UNRESOLVED"]
    assert res.diagnoses[0].severity == "error"


# --- Service kinds -------------------------------------------------------------------------------


def test_C4_missing_service_mentions_similar_names_and_other_namespaces():
    idx = index(svc("api-svc"), svc("cart", ns="other"))
    res = resolve_backend(idx, "shop", "api-sv", 80)
    assert res.kind == "missing" and res.service is None and not res.ok()
    assert codes(res) == ["SERVICE_MISSING"]
    assert "api-svc" in res.diagnoses[0].message
    res2 = resolve_backend(idx, "shop", "cart", 80)
    assert "other" in res2.diagnoses[0].message


def test_R6_external_name():
    idx = index(svc("ext", selector=False, type="ExternalName", externalName="api.example.net"))
    res = resolve_backend(idx, "shop", "ext", 80)
    assert res.kind == "external-name" and res.external_name == "api.example.net"
    assert res.ok()
    assert res.endpoints[0].source == "external-name" and res.endpoints[0].port == 8080
    hops = backend_hops(res, res.endpoints[0], via="cluster-ip", status=200)
    assert [h.component for h in hops] == ["service"]  # no kube-proxy for ExternalName
    assert "CNAME" in hops[0].summary


def test_R7_headless_service_has_no_kube_proxy_hop():
    idx = index(svc("db", clusterIP="None"), pod("db-0", "10.0.0.9", {"app": "db"}))
    res = resolve_backend(idx, "shop", "db", 80)
    assert res.kind == "headless" and res.ok()
    hops = backend_hops(res, pick_endpoint(res.endpoints, None, "k"), via="cluster-ip", status=200)
    assert [h.component for h in hops] == ["service", "endpoints", "pod"]
    assert "dataplane#R7" in hops[0].rules


def test_service_kinds():
    idx = index(svc("a", type="NodePort"), svc("b", type="LoadBalancer"), svc("c"))
    assert [resolve_backend(idx, "shop", n, 80).kind for n in "abc"] == ["node-port", "load-balancer", "cluster-ip"]


# --- endpoint sources ----------------------------------------------------------------------------


def test_R12_endpointslice_port_joined_by_name_and_R16_ready_unset_is_ready():
    idx = index(
        svc("api", ports=[{"name": "http", "port": 80, "targetPort": "web"}, {"name": "admin", "port": 81}]),
        eps_slice(
            "api-abc",
            "api",
            [
                {"addresses": ["10.0.0.1"], "targetRef": {"kind": "Pod", "name": "api-1"}, "nodeName": "n1"},
                {"addresses": ["10.0.0.2"], "conditions": {"ready": False}},
            ],
            [{"name": "admin", "port": 9000}, {"name": "http", "port": 8443}],
        ),
        # Pods that disagree with the slice: the slice wins (it carries the resolved numbers).
        pod("api-1", "10.9.9.9", {"app": "api"}),
    )
    res = resolve_backend(idx, "shop", "api", "http")
    assert [(e.ip, e.port, e.ready, e.source) for e in res.endpoints] == [
        ("10.0.0.1", 8443, True, "endpointslice"),
        ("10.0.0.2", 8443, False, "endpointslice"),
    ]
    assert res.endpoints[0].pod_name == "api-1" and res.endpoints[0].node == "n1"
    assert [e.ip for e in res.ready_endpoints()] == ["10.0.0.1"]


def test_R12_slice_without_the_port_name():
    idx = index(
        svc("api"),
        eps_slice("api-abc", "api", [{"addresses": ["10.0.0.1"]}], [{"name": "web", "port": 8080}]),
    )
    res = resolve_backend(idx, "shop", "api", 80)
    assert not res.ok() and "ENDPOINTSLICE_PORT_UNMATCHED" in codes(res)


def test_R14_selectorless_service_uses_legacy_endpoints():
    endpoints = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "legacy", "namespace": "shop"},
        "subsets": [
            {
                "addresses": [{"ip": "192.0.2.10"}],
                "notReadyAddresses": [{"ip": "192.0.2.11"}],
                "ports": [{"name": "http", "port": 8080}],
            }
        ],
    }
    idx = index(svc("legacy", selector=False), endpoints)
    res = resolve_backend(idx, "shop", "legacy", 80)
    assert [(e.ip, e.ready, e.source) for e in res.endpoints] == [
        ("192.0.2.10", True, "endpoints"),
        ("192.0.2.11", False, "endpoints"),
    ]


def test_R14_selectorless_service_without_endpoint_objects():
    idx = index(svc("manual", selector=False), deploy("manual", {"app": "manual"}))
    res = resolve_backend(idx, "shop", "manual", 80)
    assert not res.ok() and codes(res) == ["SERVICE_WITHOUT_ENDPOINTS"]


def test_R15_pod_readiness_and_terminating():
    idx = index(
        svc("api"),
        pod("ok", "10.0.0.1", {"app": "api"}),
        pod("unready", "10.0.0.2", {"app": "api"}, ready=False),
        pod("going", "10.0.0.3", {"app": "api"}, deletionTimestamp="2024-01-01T00:00:00Z"),
    )
    res = resolve_backend(idx, "shop", "api", 80)
    assert {e.pod_name: e.ready for e in res.endpoints} == {"ok": True, "unready": False, "going": False}


def test_R15_publish_not_ready_addresses():
    idx = index(svc("api", publishNotReadyAddresses=True), pod("unready", "10.0.0.2", {"app": "api"}, ready=False))
    assert resolve_backend(idx, "shop", "api", 80).ok()


def test_R13_terminal_and_ipless_pods_are_not_endpoints():
    idx = index(
        svc("api"),
        pod("done", "10.0.0.1", {"app": "api"}, phase="Succeeded"),
        pod("pending", None, {"app": "api"}, phase="Pending", ready=False),
    )
    res = resolve_backend(idx, "shop", "api", 80)
    assert res.endpoints == [] and codes(res) == ["NO_READY_ENDPOINTS"]
    assert "Succeeded/Failed" in res.diagnoses[0].message and "without an IP" in res.diagnoses[0].message


def test_inferred_from_deployment_replicas():
    idx = index(svc("api"), deploy("api", {"app": "api", "tier": "web"}, replicas=3))
    res = resolve_backend(idx, "shop", "api", 80)
    assert res.ok() and res.inferred
    assert len(res.endpoints) == 3 and {e.source for e in res.endpoints} == {"inferred"}
    assert all(e.ip == "" and e.port == 8080 for e in res.endpoints)
    hops = backend_hops(res, pick_endpoint(res.endpoints, None, "k"), via="direct", status=200)
    endpoints_hop = next(h for h in hops if h.component == "endpoints")
    assert "inferred" in endpoints_hop.summary and endpoints_hop.confidence == "inferred"
    assert hops[-1].component == "pod" and hops[-1].confidence == "inferred"


def test_inferred_replicas_default_and_named_port_from_template():
    idx = index(
        svc("api", ports=[{"name": "http", "port": 80, "targetPort": "web"}]),
        deploy("api", {"app": "api"}, replicas=None, ports=[{"name": "web", "containerPort": 3000}]),
    )
    res = resolve_backend(idx, "shop", "api", 80)
    assert [e.port for e in res.endpoints] == [3000]


def test_inferred_statefulset_and_daemonset():
    idx = index(
        svc("db"),
        deploy("db", {"app": "db"}, replicas=2, kind="StatefulSet"),
        svc("agent"),
        deploy("agent", {"app": "agent"}, replicas=None, kind="DaemonSet"),
    )
    assert [e.pod_name for e in resolve_backend(idx, "shop", "db", 80).endpoints] == ["db-0", "db-1"]
    assert len(resolve_backend(idx, "shop", "agent", 80).endpoints) == 1


def test_R21_deployment_scaled_to_zero_has_no_ready_endpoints():
    idx = index(svc("api"), deploy("api", {"app": "api"}, replicas=0))
    res = resolve_backend(idx, "shop", "api", 80)
    assert not res.ok() and codes(res) == ["NO_READY_ENDPOINTS"]
    assert "scaled to 0" in res.diagnoses[0].message


def test_pods_win_over_workload_inference():
    idx = index(svc("api"), deploy("api", {"app": "api"}, replicas=5), pod("api-x", "10.0.0.5", {"app": "api"}))
    res = resolve_backend(idx, "shop", "api", 80)
    assert not res.inferred and [e.pod_name for e in res.endpoints] == ["api-x"]


def test_R13_selector_matches_nothing_names_near_misses():
    idx = index(
        svc("api"),
        deploy("api", {"app": "api-v2"}),
        deploy("web", {"tier": "web"}),
        deploy("x", {"app": "api"}, ns="staging"),
    )
    res = resolve_backend(idx, "shop", "api", 80)
    assert codes(res) == ["SELECTOR_MATCHES_NOTHING"]
    msg = res.diagnoses[0].message
    assert "app=api" in msg
    assert "Deployment shop/api has labels app=api-v2" in msg
    assert "Deployment staging/x matches but is in namespace staging" in msg
    assert "tier=web" not in msg  # shares no key with the selector
    assert res.diagnoses[0].fix


def test_R13_empty_slice_and_selector_matching_nothing():
    idx = index(svc("api"), eps_slice("api-1", "api", [], []), pod("other", "10.0.0.1", {"app": "apx"}))
    res = resolve_backend(idx, "shop", "api", 80)
    assert codes(res) == ["SELECTOR_MATCHES_NOTHING"]
    assert "Pod shop/other has labels app=apx" in res.diagnoses[0].message


def test_R21_no_ready_endpoints_diagnosis():
    idx = index(svc("api"), pod("api-1", "10.0.0.1", {"app": "api"}, ready=False))
    res = resolve_backend(idx, "shop", "api", 80)
    assert not res.ok()
    (diag,) = res.diagnoses
    assert diag.code == "NO_READY_ENDPOINTS" and diag.rule == "dataplane#R21" and "none ready" in diag.message


def test_manifest_pod_without_status_is_inferred():
    idx = index(svc("api"), pod("api-1", None, {"app": "api"}, status=False))
    res = resolve_backend(idx, "shop", "api", 80)
    assert res.ok() and res.inferred and res.endpoints[0].pod_name == "api-1"


def test_assume_endpoints_adds_one_synthetic_endpoint():
    idx = index(svc("api"), deploy("nothing", {"app": "zzz"}))
    res = resolve_backend(idx, "shop", "api", 80, assume_endpoints=True)
    assert res.ok() and res.assumed
    assert [(e.source, e.port, e.ready) for e in res.endpoints] == [("assumed", 8080, True)]
    assert all(d.severity == "info" for d in res.diagnoses)
    hops = backend_hops(res, res.endpoints[0], via="direct", status=200)
    assert {h.confidence for h in hops if h.component in ("endpoints", "pod")} == {"assumed"}
    # Missing Services and wrong ports are still errors.
    assert not resolve_backend(idx, "shop", "nope", 80, assume_endpoints=True).ok()
    assert not resolve_backend(idx, "shop", "api", 81, assume_endpoints=True).ok()


# --- picking and hops ----------------------------------------------------------------------------


def test_R19_pick_first_in_ip_port_order_and_seeded_determinism():
    idx = index(
        svc("api"),
        pod("b", "10.0.0.10", {"app": "api"}),
        pod("a", "10.0.0.9", {"app": "api"}),
        pod("c", "10.0.0.2", {"app": "api"}),
    )
    res = resolve_backend(idx, "shop", "api", 80)
    # "10.0.0.10:8080" < "10.0.0.2:8080" < "10.0.0.9:8080" as strings.
    first = pick_endpoint(res.endpoints, None, "x")
    assert first is not None and first.pod_name == "b"
    picks = {e.pod_name for i in range(50) if (e := pick_endpoint(res.endpoints, 7, f"k{i}")) is not None}
    assert picks == {"a", "b", "c"}
    assert pick_endpoint(res.endpoints, 7, "k1") == pick_endpoint(res.endpoints, 7, "k1")
    assert pick_endpoint([], None, "x") is None


def test_R60_chain_names_match_upstream_examples():
    assert "KUBE-SVC-" + chain_suffix("ns1/svc1:p80" + "tcp") == "KUBE-SVC-XPGD46QRK7WJZT7O"
    assert "KUBE-SEP-" + chain_suffix("ns1/svc1:p80tcp10.180.0.1:80") == "KUBE-SEP-SXIVWICOYRO3J4NJ"


def test_R35_cluster_ip_hops_include_kube_proxy_chain():
    idx = index(
        {
            **svc("svc1", ns="ns1", ports=[{"name": "p80", "port": 80}]),
            "spec": {"clusterIP": "10.96.0.20", "selector": {"app": "a"}, "ports": [{"name": "p80", "port": 80}]},
        },
        pod("a-1", "10.180.0.1", {"app": "a"}, ns="ns1"),
    )
    res = resolve_backend(idx, "ns1", "svc1", 80)
    hops = backend_hops(res, pick_endpoint(res.endpoints, None, "k"), via="cluster-ip", status=200)
    assert [h.component for h in hops] == ["service", "kube-proxy", "endpoints", "pod"]
    assert "KUBE-SVC-XPGD46QRK7WJZT7O" in hops[1].summary and "KUBE-SEP-SXIVWICOYRO3J4NJ" in hops[1].summary
    assert hops[-1].outcome == "respond" and all(h.status == 200 for h in hops)


def test_R31_direct_hops_have_no_kube_proxy():
    idx = index(svc("api"), pod("api-1", "10.0.0.1", {"app": "api"}))
    res = resolve_backend(idx, "shop", "api", 80)
    hops = backend_hops(res, pick_endpoint(res.endpoints, None, "k"), via="direct", status=200)
    assert [h.component for h in hops] == ["service", "endpoints", "pod"]
    assert "discovery only" in hops[0].summary and "dataplane#R31" in hops[0].rules
    assert hops[2].name == "shop/api-1" and "10.0.0.1:8080" in hops[2].summary


def test_R21_cluster_ip_without_endpoints_is_refused():
    idx = index(svc("api"), pod("api-1", "10.0.0.1", {"app": "api"}, ready=False))
    res = resolve_backend(idx, "shop", "api", 80)
    hops = backend_hops(res, None, via="cluster-ip", status=None)
    assert hops[-1].component == "kube-proxy" and hops[-1].outcome == "refused" and "REJECT" in hops[-1].summary
    direct = backend_hops(res, None, via="direct", status=503)
    assert direct[-1].component == "endpoints" and direct[-1].outcome == "respond" and direct[-1].status == 503


def test_missing_service_hops():
    res = resolve_backend(index(), "shop", "api", 80)
    (hop,) = backend_hops(res, None, via="direct", status=503)
    assert hop.component == "service" and hop.outcome == "respond" and "does not exist" in hop.summary


def test_resolutions_are_memoised_but_not_shared():
    idx = index(svc("api"), pod("api-1", "10.0.0.1", {"app": "api"}))
    a = resolve_backend(idx, "shop", "api", 80)
    a.diagnoses.append("junk")  # type: ignore[arg-type]
    a.endpoints.clear()
    b = resolve_backend(idx, "shop", "api", 80)
    assert b.diagnoses == [] and len(b.endpoints) == 1


def test_hops_are_memoised_in_the_index_and_handed_out_as_copies():
    idx = index(svc("api"), pod("api-1", "10.0.0.1", {"app": "api"}))
    shared = idx.resolve_shared("shop", "api", 80, assume_endpoints=False, port_match="service-port")
    assert idx.resolve_shared("shop", "api", 80, assume_endpoints=False, port_match="service-port") is shared
    first = backend_hops(shared, pick_endpoint(shared.endpoints, None, "k"), via="direct", status=200)
    assert len(idx.hop_memo) == 1
    first[0].summary = "changed by a caller"
    first[1].objects.append({"kind": "Pod", "name": "added by a caller"})
    # A copy from resolve_backend finds the same memo entry: equal hops, fresh objects, no new entry.
    copy = resolve_backend(idx, "shop", "api", 80)
    again = backend_hops(copy, pick_endpoint(copy.endpoints, None, "k"), via="direct", status=200)
    assert len(idx.hop_memo) == 1
    assert again[0].summary.startswith("Service shop/api") and [o["name"] for o in again[1].objects] == ["api-1"]
    assert all(a is not b for a, b in zip(first, again, strict=True))
    backend_hops(copy, None, via="direct", status=503)
    assert len(idx.hop_memo) == 2


def test_each_index_has_its_own_memos_even_on_one_snapshot():
    s = snap(svc("api"), pod("api-1", "10.0.0.1", {"app": "api"}))
    a, b = ServiceIndex(s), ServiceIndex(s)
    res = a.resolve_shared("shop", "api", 80, assume_endpoints=False, port_match="service-port")
    backend_hops(res, res.endpoints[0], via="direct", status=200)
    assert len(a.hop_memo) == 1 and b.hop_memo == {}
    assert b.resolve_shared("shop", "api", 80, assume_endpoints=False, port_match="service-port") is not res


def test_index_selects_pods_by_label_among_many_services():
    # Behaviour only; the cost at 10,000 Services and 50,000 Pods is measured by bench/bench_engine.py.
    docs: list[dict[str, Any]] = []
    for i in range(2_000):
        ns = f"ns{i % 50}"
        docs.append(svc(f"s{i}", ns=ns, selector={"app": f"a{i}"}))
        for j in range(5):
            docs.append(pod(f"p{i}-{j}", f"10.{i // 250}.{i % 250}.{j}", {"app": f"a{i}", "pod": str(j)}, ns=ns))
    idx = index(*docs)
    assert sum(len(p.pods) for p in idx.pods.values()) == 10_000
    for k in range(0, 2_000, 7):
        i = (k * 7919) % 2_000
        res = resolve_backend(idx, f"ns{i % 50}", f"s{i}", 80)
        assert [e.pod_name for e in res.endpoints] == [f"p{i}-{j}" for j in range(5)]
        picked = pick_endpoint(res.endpoints, None, "k")
        assert res.ok() and picked is not None and picked.pod_name == f"p{i}-0"  # first in IP:port order
