"""tracer.engine.entry: browser, DNS, load balancer / node and kube-proxy hops (docs/rules/dataplane.md R3-R4, R27, R49-R51, R60)."""

from __future__ import annotations

from typing import Any

from tracer.engine.context import EngineContext
from tracer.engine.entry import EntryPlan, entry_hops, plan_entry
from tracer.engine.request import parse_request
from tracer.engine.services import chain_suffix
from tracer.engine.snapshot import K8sObject, Snapshot, Source

LABELS = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}


def snap(*docs: dict[str, Any]) -> Snapshot:
    return Snapshot.from_objects([K8sObject(body=d, source=Source("t.yaml", i, 1)) for i, d in enumerate(docs)])


def plan(s: Snapshot, controller_objects: list[K8sObject] | None = None) -> EntryPlan:
    """The controller's entry as an Engine finds it once, after compiling."""
    return plan_entry(EngineContext(s), controller_objects or [])


def controller_deploy(host_network: bool = False, host_ports: bool = False) -> dict[str, Any]:
    ports = [{"name": "http", "containerPort": 80}, {"name": "https", "containerPort": 443}]
    if host_ports:
        ports = [{**p, "hostPort": p["containerPort"]} for p in ports]
    pod_spec: dict[str, Any] = {
        "containers": [{"name": "controller", "image": "ingress-nginx/controller:v1", "ports": ports}]
    }
    if host_network:
        pod_spec["hostNetwork"] = True
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": LABELS},
            "template": {"metadata": {"labels": LABELS}, "spec": pod_spec},
        },
    }


def controller_svc(stype: str = "LoadBalancer", name: str = "ingress-nginx-controller", **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "ingress-nginx"},
        "spec": {
            "type": stype,
            "selector": LABELS,
            "clusterIP": "10.96.100.1",
            "ports": [
                {"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080},
                {"name": "https", "port": 443, "targetPort": "https", "nodePort": 30443},
            ],
            **spec,
        },
    }
    if stype == "LoadBalancer":
        body["status"] = {"loadBalancer": {"ingress": [{"ip": "34.1.2.3"}]}}
    return body


def admission_svc() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "ingress-nginx-controller-admission", "namespace": "ingress-nginx"},
        "spec": {
            "type": "ClusterIP",
            "selector": LABELS,
            "ports": [{"name": "https-webhook", "port": 443, "targetPort": "webhook"}],
        },
    }


def hops_for(s: Snapshot, url: str = "GET https://shop.example.com/cart", **req: Any):
    request = parse_request({"method": url.split()[0], "url": url.split()[1], **req})
    ctrl = [o for o in s if o.kind == "Deployment"]
    return entry_hops(plan(s, ctrl), request, "ingress-nginx")


def test_browser_hop_summary_and_headers():
    request = parse_request(
        {"url": "https://shop.example.com/cart?x=1", "headers": {"Cookie": "a=b", "Accept": "*/*", "X-Debug": "1"}}
    )
    hops = entry_hops(plan(snap()), request, "ingress-spec")
    assert hops[0].component == "browser"
    assert hops[0].summary.startswith("GET https://shop.example.com/cart?x=1 HTTP/1.1")
    assert "Cookie: a=b" in hops[0].summary and "X-Debug: 1" in hops[0].summary and "Accept" not in hops[0].summary
    assert hops[0].status is None and hops[0].details["client_ip"] == "203.0.113.10"


def test_no_controller_in_snapshot_is_assumed_reachable():
    hops = entry_hops(plan(snap()), parse_request("GET http://shop.example.com/"), "ingress-spec")
    assert [h.component for h in hops] == ["browser", "dns", "load-balancer"]
    assert hops[1].confidence == "assumed" and "cannot tell" in hops[1].summary
    assert "controller entry not in snapshot; assumed reachable" in hops[2].summary
    assert hops[2].confidence == "assumed"
    assert all(h.outcome == "forward" and h.status is None for h in hops)


def test_R4_load_balancer_dns_lb_and_kube_proxy_hops():
    s = snap(controller_deploy(), controller_svc(), admission_svc())
    hops = hops_for(s)
    assert [h.component for h in hops] == ["browser", "dns", "load-balancer", "kube-proxy"]
    assert hops[1].summary == "shop.example.com resolves to 34.1.2.3"
    assert hops[2].name == "ingress-nginx/ingress-nginx-controller"
    assert "NodePort 30443" in hops[2].summary and "externalTrafficPolicy Cluster" in hops[2].summary
    suffix = chain_suffix("ingress-nginx/ingress-nginx-controller:https" + "tcp")
    assert f"KUBE-EXT-{suffix}" in hops[3].summary and f"KUBE-SVC-{suffix}" in hops[3].summary
    assert "KUBE-SERVICES -d 34.1.2.3/32" in hops[3].summary
    assert "dataplane#R60" in hops[3].rules
    assert all(h.outcome == "forward" for h in hops)


def test_controller_service_found_from_workload_labels_not_the_admission_service():
    s = snap(controller_deploy(), admission_svc(), controller_svc("NodePort"))
    hops = hops_for(s, "GET http://shop.example.com/")
    assert hops[2].component == "node" and "30080" in hops[2].summary
    assert hops[2].name == "ingress-nginx/ingress-nginx-controller"


def test_R41_external_traffic_policy_local():
    s = snap(controller_deploy(), controller_svc(externalTrafficPolicy="Local", healthCheckNodePort=32000))
    hops = hops_for(s)
    assert "healthCheckNodePort 32000" in hops[2].summary and "client IP preserved" in hops[2].summary
    assert "KUBE-SVL-" in hops[3].summary


def test_R27_source_range_denies_client_times_out():
    s = snap(controller_deploy(), controller_svc(loadBalancerSourceRanges=["10.0.0.0/8"]))
    hops = hops_for(s, client_ip="203.0.113.10")
    assert hops[-1].component == "load-balancer"
    assert hops[-1].outcome == "timeout" and hops[-1].status is None
    assert "dataplane#R27" in hops[-1].rules
    allowed = hops_for(s, client_ip="10.1.2.3")
    assert allowed[-1].component == "kube-proxy" and "KUBE-FW-" in allowed[-1].summary


def test_R3_node_port_for_https_by_port_name():
    s = snap(controller_deploy(), controller_svc("NodePort"))
    hops = hops_for(s)
    assert hops[2].component == "node" and "30443" in hops[2].summary
    assert hops[1].confidence == "assumed"
    assert "KUBE-NODEPORTS" in hops[3].summary and "--dport 30443" in hops[3].summary


def test_R51_host_network_controller_has_no_kube_proxy():
    s = snap(controller_deploy(host_network=True))
    hops = hops_for(s)
    assert [h.component for h in hops] == ["browser", "dns", "node"]
    assert "hostNetwork" in hops[2].summary and "dataplane#R51" in hops[2].rules


def test_R49_host_port_controller():
    s = snap(controller_deploy(host_ports=True), controller_svc("ClusterIP"))
    hops = hops_for(s)
    assert [h.component for h in hops] == ["browser", "dns", "node"]
    assert "hostPort 443" in hops[2].summary and "CNI-HOSTPORT-DNAT" in hops[2].summary


def test_cluster_ip_only_controller_service_is_assumed():
    s = snap(controller_deploy(), controller_svc("ClusterIP"))
    hops = hops_for(s)
    assert hops[-1].component == "load-balancer" and hops[-1].confidence == "assumed"


def test_R21_controller_service_without_endpoints_is_refused():
    broken = controller_svc()
    broken["spec"]["selector"] = {"app": "nothing"}
    s = snap(broken)
    svc_obj = next(iter(s))
    request = parse_request("GET https://shop.example.com/")
    hops = entry_hops(plan(s, [svc_obj]), request, "ingress-nginx")
    assert hops[-1].component == "kube-proxy" and hops[-1].outcome == "refused"


def test_R64_proxy_mode_from_kube_proxy_configmap():
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
        "data": {"config.conf": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nmode: ipvs\n"},
    }
    s = snap(controller_deploy(), controller_svc(), cm)
    hops = hops_for(s)
    assert "IPVS virtual server TCP 34.1.2.3:443" in hops[3].summary


def test_ip_literal_host_needs_no_dns():
    hops = entry_hops(plan(snap()), parse_request("GET http://192.0.2.1/"), "ingress-spec")
    assert "no DNS lookup" in hops[1].summary
