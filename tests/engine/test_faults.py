"""What-if faults (docs/faults.md): each kind on a small cluster, and the validation of faults."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tracer.engine import Engine, LoadError, OptionError, RequestTrace
from tracer.engine.faults.apply import apply_faults
from tracer.engine.loader import load_manifests
from tracer.engine.snapshot import Snapshot

NS = "ingress-nginx"
CONTROLLER_LABELS = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}


def controller(*, service_type: str = "NodePort", host_port: bool = False) -> list[dict[str, Any]]:
    port: dict[str, Any] = {"name": "http", "containerPort": 80}
    if host_port:
        port["hostPort"] = 80
    docs: list[dict[str, Any]] = [
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"},
         "spec": {"controller": "k8s.io/ingress-nginx"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "ingress-nginx-controller", "namespace": NS},
         "spec": {"replicas": 1, "selector": {"matchLabels": CONTROLLER_LABELS},
                  "template": {"metadata": {"labels": CONTROLLER_LABELS}, "spec": {"containers": [
                      {"name": "controller", "image": "registry.k8s.io/ingress-nginx/controller:v1.11.2",
                       "args": ["/nginx-ingress-controller"], "ports": [port]}]}}}},
    ]
    if not host_port:
        docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ingress-nginx-controller", "namespace": NS},
                     "spec": {"type": service_type, "selector": CONTROLLER_LABELS,
                              "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080}]}})
    return docs


def node(name: str, ip: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


def pod(name: str, ip: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop", "labels": {"app": "web"}},
            "spec": {"nodeName": "node-a", "containers": [{"name": "web", "image": "web", "ports": [{"containerPort": 8080}]}]},
            "status": {"phase": "Running", "podIP": ip, "conditions": [{"type": "Ready", "status": "True"}]}}


APP: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
     "spec": {"selector": {"app": "web"}, "clusterIP": "10.96.0.20", "ports": [{"port": 80, "targetPort": 8080}]}},
    pod("web-1", "10.244.0.11"),
    {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
     "metadata": {"name": "web-abcde", "namespace": "shop", "labels": {"kubernetes.io/service-name": "web"}},
     "addressType": "IPv4", "ports": [{"port": 8080}],
     "endpoints": [{"addresses": ["10.244.0.11"], "conditions": {"ready": True}, "nodeName": "node-a",
                    "targetRef": {"kind": "Pod", "name": "web-1", "namespace": "shop"}}]},
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web", "namespace": "shop"},
     "spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example.com", "http": {"paths": [
         {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
]
URL = "GET http://shop.example.com/"


def cluster(**kw: Any) -> list[dict[str, Any]]:
    return [*controller(**kw), node("node-a", "192.168.1.10"), node("node-b", "192.168.1.11"), *copy.deepcopy(APP)]


def run(docs: list[dict[str, Any]], faults: list[dict[str, Any]]) -> tuple[RequestTrace, list[str], Engine]:
    engine = Engine(load_manifests(docs), faults=faults)
    return engine.route(URL), engine.fault_notes, engine


def codes(result: RequestTrace) -> set[str]:
    return {d.code for d in result.diagnoses}


def test_no_faults_returns_the_snapshot_itself() -> None:
    snapshot = load_manifests(cluster())
    assert apply_faults(snapshot, []) == (snapshot, [])
    result, _, _ = run(cluster(), [])
    assert result.status == 200 and result.error is None


def test_original_snapshot_is_untouched() -> None:
    snapshot = load_manifests(cluster())
    before = [copy.deepcopy(o.body) for o in snapshot.objects]
    derived, _ = apply_faults(snapshot, [{"kind": "pod-not-ready", "pod": "shop/web-1"}])
    assert [o.body for o in snapshot.objects] == before
    assert isinstance(derived, Snapshot) and derived is not snapshot
    assert derived.content_hash != snapshot.content_hash


def test_pod_not_ready_leaves_no_ready_endpoint() -> None:
    result, notes, _ = run(cluster(), [{"kind": "pod-not-ready", "pod": "shop/web-1"}])
    assert result.status == 503
    endpoints = next(h for h in result.hops if h.component == "endpoints")
    assert endpoints.details["endpoints"][0]["ready"] is False
    assert any("pod-not-ready shop/web-1" in n and "Ready condition is False" in n for n in notes)


def test_pod_not_ready_without_pods_says_why_it_cannot_apply() -> None:
    docs = [d for d in cluster() if d["kind"] not in ("Pod", "EndpointSlice")]
    docs.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
                 "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
                     "metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "web"}]}}}})
    result, notes, _ = run(docs, [{"kind": "pod-not-ready", "pod": "shop/web-1"}])
    assert result.status == 200
    assert any("cannot apply" in n and "inferred from workloads" in n for n in notes)


def test_endpoint_removed_gives_503() -> None:
    result, notes, _ = run(cluster(), [{"kind": "endpoint-removed", "service": "shop/web"}])
    assert result.status == 503
    assert any("Service shop/web has no endpoints" in n for n in notes)


def test_endpoint_removed_on_endpoints_from_pods() -> None:
    docs = [d for d in cluster() if d["kind"] != "EndpointSlice"]
    result, _, _ = run(docs, [{"kind": "endpoint-removed", "service": "shop/web"}])
    assert result.status == 503


def test_controller_down_refuses_at_the_entry() -> None:
    result, notes, _ = run(cluster(), [{"kind": "controller-down"}])
    assert result.status is None and result.error == "connection-refused"
    assert result.hops[-1].component == "kube-proxy"
    assert "CONTROLLER_NO_ENDPOINTS" in codes(result)
    assert any("controller-down" in n for n in notes)


def test_controller_down_on_host_port() -> None:
    result, _, _ = run(cluster(host_port=True), [{"kind": "controller-down"}])
    assert result.error == "connection-refused"
    assert codes(result) == {"CONTROLLER_DOWN"}


def test_networkpolicy_deny_all_drops_at_the_pod() -> None:
    result, notes, engine = run(cluster(), [{"kind": "networkpolicy-deny-all", "namespace": "shop"}])
    assert engine.snapshot.get("NetworkPolicy", "shop", "tracer-fault-deny-all") is not None
    pod_hop = result.hops[-1]
    assert pod_hop.component == "pod" and pod_hop.outcome == "timeout"
    assert "if the network plugin enforces NetworkPolicy" in pod_hop.summary
    assert "does not enforce" in pod_hop.summary
    assert result.status == 504
    assert "NETWORKPOLICY_DENY_ALL" in codes(result)
    assert result.branches[-1]["kind"] == "fault" and result.branches[-1]["status"] == 200
    assert any("networkpolicy-deny-all" in n for n in notes)


def test_node_rules_flushed_refuses_the_node_port_until_the_sync() -> None:
    result, _, _ = run(cluster(), [{"kind": "node-rules-flushed", "node": "node-a"}])
    assert result.error == "connection-refused"
    last = result.hops[-1]
    assert last.component == "kube-proxy" and "within 30 s" in last.summary
    assert codes(result) == {"NODE_RULES_FLUSHED"}
    later, _, _ = run(cluster(), [{"kind": "node-rules-flushed", "node": "node-a", "afterSeconds": 30}])
    assert later.status == 200
    kube_proxy = next(h for h in later.hops if h.component == "kube-proxy")
    assert "rewrote every rule" in kube_proxy.decision


def test_node_rules_flushed_breaks_host_port_for_good() -> None:
    result, _, _ = run(cluster(host_port=True), [{"kind": "node-rules-flushed", "node": "node-a", "afterSeconds": 600}])
    assert result.error == "connection-refused"
    assert "until the controller pod is recreated" in result.hops[-1].summary
    assert codes(result) == {"HOSTPORT_RULES_FLUSHED"}


def test_node_rules_flushed_on_another_node_does_not_touch_the_entry() -> None:
    result, notes, _ = run(cluster(), [{"kind": "node-rules-flushed", "node": "node-b"}])
    assert result.status == 200
    assert any("lands on node node-a" in n for n in notes)


def test_fault_documents_in_the_snapshot() -> None:
    doc = {"apiVersion": "tracer.dev/v1alpha1", "kind": "Fault", "metadata": {"name": "drain"},
           "spec": {"kind": "endpoint-removed", "service": "shop/web"}}
    result, notes, _ = run([*cluster(), doc], [])
    assert result.status == 503 and notes


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"kind": "pod-gone", "pod": "shop/web-1"}, "faults[0].kind: unknown fault kind"),
        ({"kind": "pod-not-ready"}, "faults[0].pod: a pod-not-ready fault needs pod"),
        ({"kind": "pod-not-ready", "pod": "web-1"}, "faults[0].pod: pod must be NAMESPACE/NAME"),
        ({"kind": "controller-down", "node": "a"}, "faults[0].node: unknown field node"),
        ({"kind": "node-rules-flushed", "node": "a", "afterSeconds": -1}, "faults[0].afterSeconds"),
        ({"kind": "endpoint-removed", "service": "shop/nope"}, "faults[0].service: Service shop/nope is not"),
        ("controller-down", "faults[0]: a fault is a mapping"),
    ],
)
def test_option_validation(fault: Any, message: str) -> None:
    with pytest.raises(OptionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        apply_faults(load_manifests(cluster()), [fault])


def test_document_validation_names_file_document_and_field() -> None:
    doc = {"apiVersion": "tracer.dev/v1alpha1", "kind": "Fault", "metadata": {"name": "bad"},
           "spec": {"kind": "networkpolicy-deny-all", "namespace": "Not_A_Namespace"}}
    with pytest.raises(LoadError) as err:
        apply_faults(load_manifests([*cluster(), doc], name="faults.yaml"), [])
    assert err.value.field == "spec.namespace" and err.value.file == "faults.yaml"
    assert err.value.document is not None
    wrong = {**doc, "apiVersion": "v1", "spec": {"kind": "controller-down"}}
    with pytest.raises(LoadError) as err:
        apply_faults(load_manifests([*cluster(), wrong]), [])
    assert err.value.field == "apiVersion"
