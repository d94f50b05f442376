"""The node side of a request (docs/rules/dataplane.md): externalTrafficPolicy Local on the controller's Service
(R23, R24, R37, R41), internalTrafficPolicy Local on a backend Service (R22, R69), sessionAffinity ClientIP
(R35, R68) and the snapshot's NetworkPolicies on the backend pod (R26, R66, R67), on small clusters written here.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracer.engine import Engine, RequestTrace, load_manifests
from tracer.engine.catalog import DIAGNOSES
from tracer.engine.faults.apply import DENY_ALL_POLICY
from tracer.engine.services.labelselector import describe, matches, matches_partly_known
from tracer.engine.services.networkpolicy import FAULT_POLICY

CTRL_NS = "ingress-nginx"
CTRL = {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"}
Doc = dict[str, Any]


def node(name: str, ip: str) -> Doc:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


def namespace(name: str, **labels: str) -> Doc:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def pod(name: str, ns: str, labels: dict[str, str], ip: str, node_name: str, *, port: int = 8080,
        host_network: bool = False) -> Doc:
    spec: Doc = {"nodeName": node_name,
                 "containers": [{"name": "c", "image": "x", "ports": [{"name": "http", "containerPort": port}]}]}
    if host_network:
        spec["hostNetwork"] = True
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels},
            "spec": spec,
            "status": {"phase": "Running", "podIP": ip, "conditions": [{"type": "Ready", "status": "True"}]}}


def endpoint_slice(svc: str, ns: str, port: int, port_name: str | None, eps: list[tuple[str, str, str]]) -> Doc:
    """eps: (pod name, ip, node)."""
    p: Doc = {"port": port, "protocol": "TCP"}
    if port_name:
        p["name"] = port_name
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": f"{svc}-abcde", "namespace": ns, "labels": {"kubernetes.io/service-name": svc}},
            "addressType": "IPv4", "ports": [p],
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}, "nodeName": n,
                           "targetRef": {"kind": "Pod", "name": name, "namespace": ns}} for name, ip, n in eps]}


def controller(*, svc_type: str = "NodePort", etp: str = "Cluster", host_network: bool = False,
               pods: tuple[tuple[str, str, str], ...] = (("ctrl-a", "10.244.1.10", "node-a"),),
               lb_ip: str | None = None, health_check: int | None = None) -> list[Doc]:
    """An ingress-nginx Deployment, its Pods (name, ip, node) and its Service's EndpointSlice."""
    container = {"name": "controller", "image": "registry.k8s.io/ingress-nginx/controller:v1.15.1",
                 "args": ["/nginx-ingress-controller", "--ingress-class=nginx"],
                 "ports": [{"name": "http", "containerPort": 80}, {"name": "https", "containerPort": 443}]}
    template_spec: Doc = {"containers": [container]}
    if host_network:
        template_spec["hostNetwork"] = True
    docs: list[Doc] = [
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"},
         "spec": {"controller": "k8s.io/ingress-nginx"}},
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "ingress-nginx-controller", "namespace": CTRL_NS},
         "spec": {"replicas": len(pods), "selector": {"matchLabels": CTRL},
                  "template": {"metadata": {"labels": CTRL}, "spec": template_spec}}},
    ]
    for name, ip, n in pods:
        p = pod(name, CTRL_NS, CTRL, ip, n, port=80, host_network=host_network)
        p["spec"]["containers"] = [container]
        docs.append(p)
    if host_network:
        return docs
    spec: Doc = {"type": svc_type, "selector": CTRL, "clusterIP": "10.96.0.10", "externalTrafficPolicy": etp,
                 "ports": [{"name": "http", "port": 80, "targetPort": "http", "nodePort": 30080}]}
    if health_check:
        spec["healthCheckNodePort"] = health_check
    svc: Doc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ingress-nginx-controller",
                                                                    "namespace": CTRL_NS}, "spec": spec}
    if lb_ip:
        svc["status"] = {"loadBalancer": {"ingress": [{"ip": lb_ip}]}}
    docs += [svc, endpoint_slice("ingress-nginx-controller", CTRL_NS, 80, "http", list(pods))]
    return docs


def app(*, itp: str | None = None, affinity: Doc | None = None, service_upstream: bool = False,
        pods: tuple[tuple[str, str, str], ...] = (("web-1", "10.244.2.21", "node-b"),)) -> list[Doc]:
    """Service shop/web (port 80 -> 8080), its Pods and EndpointSlice, and an Ingress for shop.example.com."""
    spec: Doc = {"selector": {"app": "web"}, "clusterIP": "10.96.0.20",
                 "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}
    if itp:
        spec["internalTrafficPolicy"] = itp
    if affinity is not None:
        spec.update(affinity)
    annotations = {"nginx.ingress.kubernetes.io/service-upstream": "true"} if service_upstream else {}
    return [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}, "spec": spec},
        *[pod(name, "shop", {"app": "web", "tier": "front"}, ip, n) for name, ip, n in pods],
        endpoint_slice("web", "shop", 8080, "http", list(pods)),
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
         "metadata": {"name": "web", "namespace": "shop", "annotations": annotations},
         "spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example.com", "http": {"paths": [
             {"path": "/", "pathType": "Prefix",
              "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
    ]


def policy(name: str, *, pod_selector: Doc | None = None, ingress: list[Doc] | None = None,
           types: list[str] | None = None, ns: str = "shop") -> Doc:
    spec: Doc = {"podSelector": pod_selector if pod_selector is not None else {}}
    if ingress is not None:
        spec["ingress"] = ingress
    if types is not None:
        spec["policyTypes"] = types
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": spec}


NODES = [node("node-a", "10.0.0.1"), node("node-b", "10.0.0.2"), node("node-c", "10.0.0.3")]


def route(docs: list[Doc], request: Any = "GET http://shop.example.com/", **options: Any) -> RequestTrace:
    return Engine(load_manifests(copy.deepcopy(docs)), **options).route(request)


def hop(rt: RequestTrace, component: str, index: int = -1):
    return [h for h in rt.hops if h.component == component][index]


def codes(rt: RequestTrace) -> dict[str, str]:
    return {d.code: d.severity for d in rt.diagnoses}


def with_mode(docs: list[Doc], mode: str) -> list[Doc]:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
          "data": {"config.conf": f"apiVersion: kubeproxy.config.k8s.io/v1alpha1\nmode: {mode}\n"}}
    return [*docs, cm]


def via(address: str, **more: Any) -> Doc:
    return {"url": "http://shop.example.com/", "via": address, **more}


# -- label selectors ----------------------------------------------------------------------------------------------


def test_label_selectors_with_expressions() -> None:
    labels = {"app": "web", "tier": "front"}
    assert matches({"matchLabels": {"app": "web"}}, labels)
    assert matches({}, labels) and matches(None, labels)
    assert matches({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "back"]}]}, labels)
    assert not matches({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}, labels)
    assert matches({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, labels)
    assert matches({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, labels)
    assert not matches({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, labels)
    assert not matches({"matchExpressions": [{"key": "app", "operator": "Equals", "values": ["web"]}]}, labels)
    # a namespace whose Namespace object is not in the snapshot: only its name label is known
    assert matches_partly_known({"matchLabels": {"name": "x"}}, {}, {"kubernetes.io/metadata.name"}) is None
    assert matches_partly_known({"matchLabels": {"kubernetes.io/metadata.name": "x"}}, {"kubernetes.io/metadata.name": "x"},
                                {"kubernetes.io/metadata.name"}) is True
    assert describe({}, "every pod") == "every pod"
    assert describe({"matchLabels": {"a": "b"}, "matchExpressions": [{"key": "c", "operator": "In", "values": ["d", "e"]},
                                                                      {"key": "f", "operator": "DoesNotExist"}]},
                    "x") == "a=b, c in (d, e), !f"


def test_the_fault_policy_name_is_the_faults_own() -> None:
    assert FAULT_POLICY == DENY_ALL_POLICY


# -- externalTrafficPolicy Local (dataplane#R23, R24, R37, R41) --------------------------------------------------------


def test_R23_nodeport_local_unknown_node_takes_a_node_with_a_controller_pod_and_branches_the_others() -> None:
    rt = route([*NODES, *controller(etp="Local"), *app()])
    assert rt.status == 200
    entry = hop(rt, "node")
    assert "10.0.0.1:30080 on node node-a" in entry.summary and "cannot tell which node" in entry.summary
    kp = hop(rt, "kube-proxy", 0)
    assert "KUBE-SVL-" in kp.summary and "DNAT to 10.244.1.10:80" in kp.summary and "client IP kept" in kp.summary
    assert [(b["kind"], b["node"], b["status"], b["error"]) for b in rt.branches] == [
        ("node", "node-b", None, "timeout"), ("node", "node-c", None, "timeout")]
    assert codes(rt) == {"ETP_LOCAL_NO_LOCAL_ENDPOINT": "warning"}


def test_R23_client_on_a_node_without_a_controller_pod_is_dropped() -> None:
    rt = route([*NODES, *controller(etp="Local"), *app()], via("10.0.0.2"))
    assert rt.status is None and rt.error == "timeout"
    last = rt.hops[-1]
    assert last.component == "kube-proxy" and last.outcome == "timeout"
    assert 'KUBE-EXTERNAL-SERVICES -p tcp --dport 30080 -j DROP' in last.summary and "node node-b" in last.summary
    assert {"dataplane#R23", "dataplane#R37", "dataplane#R39"} <= set(last.rules)
    assert "10.0.0.2:30080 on node node-b" in hop(rt, "node").summary
    assert codes(rt) == {"ETP_LOCAL_NO_LOCAL_ENDPOINT": "error"}
    assert "node node-b" in rt.diagnoses[0].message and rt.branches == []


def test_R23_client_on_a_node_with_a_controller_pod_keeps_its_address() -> None:
    rt = route([*NODES, *controller(etp="Local"), *app()], via("10.0.0.1"))
    assert rt.status == 200 and rt.branches == [] and rt.diagnoses == []
    assert "node node-a has 1 ready controller pod(s); client IP kept" in hop(rt, "kube-proxy", 0).summary


def test_R23_the_url_host_names_the_node() -> None:
    rt = route([*NODES, *controller(etp="Local"), *app()], "GET http://10.0.0.3/")
    assert rt.error == "timeout" and "node node-c" in rt.hops[-1].summary


def test_R24_a_client_on_the_node_itself_goes_through_the_cluster_wide_chain() -> None:
    rt = route([*NODES, *controller(etp="Local"), *app()], via("10.0.0.2", client_ip="10.0.0.2"))
    kp = hop(rt, "kube-proxy", 0)
    assert rt.status == 200 and "KUBE-SVC-" in kp.summary and "KUBE-SVL-" not in kp.summary
    assert "dataplane#R24" in kp.rules


def test_R41_load_balancer_health_check_names_the_nodes_that_pass() -> None:
    docs = [*NODES, *controller(svc_type="LoadBalancer", etp="Local", lb_ip="34.1.2.3", health_check=32001), *app()]
    rt = route(docs)
    lb = hop(rt, "load-balancer")
    assert "healthCheckNodePort 32001" in lb.summary and "client IP preserved" in lb.summary
    assert "nodes that pass it: node-a; node-b, node-c run no ready controller pod and fail it" in lb.summary
    assert rt.status == 200 and rt.branches == [] and rt.diagnoses == []
    # addressing a node directly skips the load balancer and its health check
    direct = route(docs, via("10.0.0.3"))
    assert direct.error == "timeout" and hop(direct, "node").summary.startswith("10.0.0.3:30080 on node node-c")
    assert "not the load balancer" in hop(direct, "node").summary


@pytest.mark.parametrize(("mode", "text", "rule"), [
    ("nftables", "nftables no-endpoint-nodeports tcp . 30080 : drop", "dataplane#R43"),
    ("ipvs", "IPVS virtual server TCP 10.0.0.2:30080 has no local endpoint", "dataplane#R69"),
])
def test_R23_drop_in_nftables_and_ipvs_modes(mode: str, text: str, rule: str) -> None:
    rt = route(with_mode([*NODES, *controller(etp="Local"), *app()], mode), via("10.0.0.2"))
    assert rt.error == "timeout" and text in rt.hops[-1].summary and rule in rt.hops[-1].rules


def test_R23_without_node_names_the_trace_assumes_a_good_node_and_keeps_a_generic_branch() -> None:
    docs = [d for d in controller(etp="Local") if d["kind"] not in ("Pod", "EndpointSlice")] + app()
    rt = route(docs)
    assert rt.status == 200
    assert "assumed a node with a ready controller pod" in hop(rt, "kube-proxy", 0).summary
    assert [(b["node"], b["error"]) for b in rt.branches] == [(None, "timeout")]
    assert "a node without a ready controller pod" in rt.branches[0]["reason"]


def test_external_traffic_policy_cluster_is_untouched() -> None:
    rt = route([*NODES, *controller(), *app()], via("10.0.0.2"))
    assert rt.status == 200 and rt.branches == [] and rt.diagnoses == []
    assert "source NATed to the node IP (eTP Cluster)" in hop(rt, "kube-proxy", 0).summary
    assert all("dataplane" not in h.details for h in rt.hops)


# -- internalTrafficPolicy Local (dataplane#R22, R69) --------------------------------------------------------------


def test_R22_service_upstream_without_a_local_endpoint_is_dropped_and_answers_504() -> None:
    rt = route([*NODES, *controller(), *app(itp="Local", service_upstream=True)])
    assert rt.status == 504 and rt.error is None and rt.pod is None
    last = rt.hops[-1]
    assert last.component == "kube-proxy" and last.outcome == "timeout" and last.status is None
    assert '-j DROP ("shop/web:http has no local endpoints")' in last.summary
    assert "controller pod ctrl-a runs on node node-a" in last.summary
    assert last.details["dataplane"]["internalTrafficPolicy"]["node"] == "node-a"
    assert codes(rt) == {"ITP_LOCAL_NO_LOCAL_ENDPOINT": "error"}
    assert hop(rt, "controller").status == 504


def test_R22_kube_proxy_picks_the_endpoint_on_the_controllers_node() -> None:
    web = (("web-1", "10.244.2.21", "node-b"), ("web-0", "10.244.3.21", "node-a"))
    rt = route([*NODES, *controller(), *app(itp="Local", service_upstream=True, pods=web)])
    kp = hop(rt, "kube-proxy")
    assert rt.status == 200 and "KUBE-SVL-" in kp.summary and "DNAT to 10.244.3.21:8080" in kp.summary
    assert "1 of 2 ready endpoint(s) run on node node-a" in kp.summary
    assert hop(rt, "pod").name == "shop/web-0" and rt.pod is not None and rt.pod["name"] == "web-0"


def test_R22_another_controller_node_without_an_endpoint_is_a_branch() -> None:
    ctrl = (("ctrl-a", "10.244.1.10", "node-a"), ("ctrl-c", "10.244.9.10", "node-c"))
    web = (("web-1", "10.244.2.21", "node-b"), ("web-0", "10.244.3.21", "node-a"))
    rt = route([*NODES, *controller(pods=ctrl), *app(itp="Local", service_upstream=True, pods=web)])
    assert rt.status == 200
    assert [(b["node"], b["status"]) for b in rt.branches] == [("node-c", 504)]
    assert codes(rt) == {"ITP_LOCAL_NO_LOCAL_ENDPOINT": "warning"}


def test_R22_the_controllers_node_follows_the_entry() -> None:
    """externalTrafficPolicy Local: the request enters on node-c, so the controller pod there opens the connection."""
    ctrl = (("ctrl-a", "10.244.1.10", "node-a"), ("ctrl-c", "10.244.9.10", "node-c"))
    web = (("web-0", "10.244.3.21", "node-a"),)
    docs = [*NODES, *controller(etp="Local", pods=ctrl), *app(itp="Local", service_upstream=True, pods=web)]
    assert route(docs, via("10.0.0.1")).status == 200
    through_c = route(docs, via("10.0.0.3"))
    assert through_c.status == 504 and "controller pod ctrl-c runs on node node-c" in through_c.hops[-1].summary


def test_R69_ipvs_keeps_every_endpoint() -> None:
    rt = route(with_mode([*NODES, *controller(), *app(itp="Local", service_upstream=True)], "ipvs"))
    assert rt.status == 200 and "dataplane#R69" in hop(rt, "kube-proxy").rules and rt.branches == []


def test_R22_unknown_controller_node_is_assumed_with_a_branch() -> None:
    docs = [d for d in controller() if d["kind"] not in ("Pod", "EndpointSlice")] + app(itp="Local",
                                                                                          service_upstream=True)
    rt = route(docs)
    assert rt.status == 200 and hop(rt, "kube-proxy").confidence == "assumed"
    assert [(b["node"], b["status"]) for b in rt.branches] == [(None, 504)]


def test_R31_internal_traffic_policy_does_not_apply_to_direct_connections() -> None:
    rt = route([*NODES, *controller(), *app(itp="Local")])
    assert rt.status == 200 and "internalTrafficPolicy Local does not apply" in hop(rt, "service").summary
    assert rt.diagnoses == [] and rt.branches == []


# -- sessionAffinity ClientIP (dataplane#R35, R68) -------------------------------------------------------------------


def test_R68_affinity_is_bypassed_when_the_controller_connects_to_pods() -> None:
    rt = route([*NODES, *controller(), *app(affinity={"sessionAffinity": "ClientIP"})])
    svc = hop(rt, "service")
    assert "sessionAffinity ClientIP (10800 s) is not applied" in svc.summary
    assert svc.details["dataplane"]["sessionAffinity"]["applied"] is False and "dataplane#R68" in svc.rules
    assert codes(rt) == {"SESSION_AFFINITY_BEHIND_INGRESS": "warning"}
    assert "connects to the pods itself" in rt.diagnoses[0].message
    assert "nginx.ingress.kubernetes.io/affinity: cookie" in rt.diagnoses[0].fix


def test_R68_with_service_upstream_affinity_keys_on_the_controller_pod() -> None:
    affinity = {"sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 600}}}
    rt = route([*NODES, *controller(), *app(affinity=affinity, service_upstream=True)])
    kp = hop(rt, "kube-proxy")
    assert "-m recent --name KUBE-SEP-" in kp.summary and "--seconds 600 --reap" in kp.summary
    assert "the controller pod's IP 10.244.1.10 (ctrl-a), not the browser's" in kp.summary
    assert kp.details["dataplane"]["sessionAffinity"] == {"type": "ClientIP", "timeoutSeconds": 600, "applied": True,
                                             "sourceSeen": "10.244.1.10",
                                             "controller": "Deployment ingress-nginx/ingress-nginx-controller"}
    assert codes(rt) == {"SESSION_AFFINITY_BEHIND_INGRESS": "warning"}
    assert "10.244.1.10" in rt.diagnoses[0].message and rt.status == 200


def test_R68_a_host_network_controller_is_seen_as_its_node() -> None:
    ctrl = controller(host_network=True, pods=(("ctrl-a", "10.0.0.1", "node-a"),))
    rt = route([*NODES, *ctrl, *app(affinity={"sessionAffinity": "ClientIP"}, service_upstream=True)])
    assert "node node-a's address 10.0.0.1 (a hostNetwork controller)" in hop(rt, "kube-proxy").summary


# -- NetworkPolicy on the backend pod (dataplane#R26, R66, R67) ------------------------------------------------------

DENY = policy("default-deny", types=["Ingress"])
FROM_CONTROLLER_NS = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": CTRL_NS}}}


def allow(name: str, peers: list[Doc], ports: list[Doc] | None = None, **kw: Any) -> Doc:
    rule: Doc = {"from": peers}
    if ports is not None:
        rule["ports"] = ports
    return policy(name, pod_selector={"matchLabels": {"app": "web"}}, ingress=[rule], **kw)


def test_R66_an_allowing_policy_is_named_on_the_pod_hop() -> None:
    rt = route([*NODES, *controller(), *app(), DENY, allow("allow-ingress", [FROM_CONTROLLER_NS], [{"port": 8080}])])
    pod_hop = hop(rt, "pod")
    assert rt.status == 200 and pod_hop.outcome == "respond"
    assert ("NetworkPolicy shop/allow-ingress ingress[0] allows it: from[0] namespaceSelector "
            "kubernetes.io/metadata.name=ingress-nginx matches Deployment ingress-nginx/ingress-nginx-controller, "
            "port 8080/TCP") in pod_hop.summary
    assert pod_hop.summary.endswith("no app profile: assumed the app answers 200")
    assert pod_hop.details["dataplane"]["networkPolicy"]["verdict"] == "allowed" and "dataplane#R66" in pod_hop.rules
    assert rt.diagnoses == [] and rt.branches == []


def test_R26_a_denied_connection_is_dropped_if_enforced_with_the_other_case_as_a_branch() -> None:
    monitoring = allow("allow-monitoring", [{"namespaceSelector": {"matchLabels": {"team": "monitoring"}}}])
    rt = route([*NODES, namespace(CTRL_NS), *controller(), *app(), DENY, monitoring])
    pod_hop = rt.hops[-1]
    assert rt.status == 504 and rt.error is None
    assert pod_hop.component == "pod" and pod_hop.outcome == "timeout" and pod_hop.status is None
    assert "NetworkPolicy shop/default-deny, shop/allow-monitoring select pod web-1" in pod_hop.summary
    assert "namespaceSelector team=monitoring does not match namespace ingress-nginx" in pod_hop.summary
    assert "the plugin on node node-b drops the connection" in pod_hop.summary
    assert pod_hop.details["dataplane"]["networkPolicy"]["if_not_enforced"] == {"status": 200}
    assert rt.branches == [{"kind": "networkpolicy", "policies": ["shop/default-deny", "shop/allow-monitoring"],
                            "status": 200, "error": None,
                            "reason": "if the network plugin does not enforce NetworkPolicy, the connection goes "
                                      "through and the pod answers"}]
    diag = rt.diagnoses[0]
    assert diag.code == "NETWORKPOLICY_BLOCKS_CONTROLLER" and diag.severity == "error"
    assert "kubernetes.io/metadata.name: ingress-nginx" in diag.fix and "on port 8080" in diag.fix
    assert hop(rt, "controller").status == 504


@pytest.mark.parametrize(("peer", "verdict"), [
    ({"podSelector": {"matchLabels": CTRL}}, "denied"),  # the policy's own namespace only
    ({"namespaceSelector": {}, "podSelector": {"matchLabels": CTRL}}, "allowed"),
    ({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": CTRL_NS}},
      "podSelector": {"matchLabels": {"app": "other"}}}, "denied"),
    ({"namespaceSelector": {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In",
                                                  "values": [CTRL_NS, "kube-system"]}]}}, "allowed"),
    ({"namespaceSelector": {"matchLabels": {"team": "edge"}}}, "allowed"),  # the Namespace object carries it
    ({"ipBlock": {"cidr": "192.168.0.0/16"}}, "denied"),
])
def test_R66_peers(peer: Doc, verdict: str) -> None:
    rt = route([*NODES, namespace(CTRL_NS, team="edge"), *controller(), *app(), DENY, allow("p", [peer])])
    assert hop(rt, "pod").details["dataplane"]["networkPolicy"]["verdict"] == verdict


@pytest.mark.parametrize(("ports", "verdict"), [
    ([{"port": 9090}], "denied"),
    ([{"port": "http"}], "allowed"),  # the backend pod's container port named http is 8080
    ([{"port": 8000, "endPort": 8100}], "allowed"),
    ([{"protocol": "UDP", "port": 8080}], "denied"),
    ([{"protocol": "TCP"}], "allowed"),
])
def test_R66_ports(ports: list[Doc], verdict: str) -> None:
    rt = route([*NODES, *controller(), *app(), allow("p", [FROM_CONTROLLER_NS], ports)])
    assert hop(rt, "pod").details["dataplane"]["networkPolicy"]["verdict"] == verdict


def test_R66_egress_only_policies_do_not_isolate() -> None:
    rt = route([*NODES, *controller(), *app(), policy("egress", types=["Egress"])])
    pod_hop = hop(rt, "pod")
    assert rt.status == 200 and pod_hop.details["dataplane"]["networkPolicy"]["verdict"] == "not-isolated"
    assert "no NetworkPolicy of namespace shop selects pod web-1 for ingress" in pod_hop.summary


def test_R66_namespace_labels_missing_from_the_snapshot_are_assumed_to_match() -> None:
    by_label = allow("p", [{"namespaceSelector": {"matchLabels": {"name": "ingress-nginx"}}}])
    rt = route([*NODES, *controller(), *app(), DENY, by_label])
    pod_hop = hop(rt, "pod")
    assert rt.status == 200 and pod_hop.confidence == "assumed"
    assert pod_hop.details["dataplane"]["networkPolicy"]["verdict"] == "unknown"
    assert "whose labels are not in the snapshot" in pod_hop.summary


def test_R66_policies_of_other_api_groups_are_not_networking_k8s_io() -> None:
    calico = {**DENY, "apiVersion": "projectcalico.org/v3"}
    rt = route([*NODES, *controller(), *app(), calico])
    assert rt.status == 200 and "dataplane" not in hop(rt, "pod").details


def test_R67_a_host_network_controller_is_node_traffic() -> None:
    ctrl = controller(host_network=True, pods=(("ctrl-a", "10.0.0.1", "node-a"),))
    denied = route([*NODES, *ctrl, *app(), DENY, allow("p", [FROM_CONTROLLER_NS])])
    assert denied.status == 504 and "does not match a hostNetwork controller" in denied.hops[-1].summary
    assert "dataplane#R67" in denied.hops[-1].rules and "ipBlock" in denied.diagnoses[0].fix
    allowed = route([*NODES, *ctrl, *app(), DENY, allow("p", [{"ipBlock": {"cidr": "10.0.0.0/24"}}])])
    assert allowed.status == 200 and "contains the node address 10.0.0.1" in hop(allowed, "pod").summary
    same_node = route([*NODES, *ctrl, *app(pods=(("web-1", "10.244.2.21", "node-a"),)), DENY])
    assert same_node.status == 200 and "own node node-a" in hop(same_node, "pod").summary


def test_R67_a_pod_address_in_an_ip_block_is_undecided() -> None:
    rt = route([*NODES, *controller(), *app(), DENY, allow("p", [{"ipBlock": {"cidr": "10.244.0.0/16"}}])])
    assert rt.status == 200 and hop(rt, "pod").details["dataplane"]["networkPolicy"]["verdict"] == "unknown"


def test_deny_all_fault_takes_nothing_away_from_an_allowing_policy() -> None:
    fault = [{"kind": "networkpolicy-deny-all", "namespace": "shop"}]
    rt = route([*NODES, *controller(), *app(), allow("p", [FROM_CONTROLLER_NS])], faults=fault)
    assert rt.status == 200 and "its deny-all policy takes nothing away" in hop(rt, "pod").summary
    alone = route([*NODES, *controller(), *app()], faults=fault)
    assert alone.status == 504 and codes(alone) == {"NETWORKPOLICY_DENY_ALL": "error"}
    assert alone.branches[-1]["kind"] == "fault"
    already = route([*NODES, namespace(CTRL_NS), *controller(), *app(), DENY], faults=fault)
    assert already.status == 504 and codes(already) == {"NETWORKPOLICY_BLOCKS_CONTROLLER": "error"}
    assert "changes nothing here" in already.hops[-1].summary


def test_snapshots_without_these_settings_never_reach_the_node_plane() -> None:
    engine = Engine(load_manifests([*NODES, *controller(), *app()]))
    rt = engine.route("GET http://shop.example.com/")
    assert rt.status == 200 and rt.branches == []
    index = engine.context.services
    assert index._plane is None and all(r.node_plane is None for r in index._cache.values())
    assert all("dataplane" not in h.details for h in rt.hops)


def test_every_new_code_is_registered() -> None:
    for code in ("ETP_LOCAL_NO_LOCAL_ENDPOINT", "ITP_LOCAL_NO_LOCAL_ENDPOINT", "NETWORKPOLICY_BLOCKS_CONTROLLER",
                 "SESSION_AFFINITY_BEHIND_INGRESS"):
        assert code in DIAGNOSES


# -- examples/networkpolicy-blocks-ingress ------------------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "networkpolicy-blocks-ingress"


def test_the_example_blocks_the_controller_and_its_commented_fix_repairs_it() -> None:
    engine = Engine(str(EXAMPLE))
    rt = engine.journeys().requests[0]
    assert rt.status == 504 and codes(rt) == {"NETWORKPOLICY_BLOCKS_CONTROLLER": "error"}
    assert rt.branches[0]["kind"] == "networkpolicy" and rt.branches[0]["status"] == 200
    pod_hop = rt.hops[-1]
    assert "shop/default-deny-ingress has no ingress rule" in pod_hop.summary
    assert "podSelector app=frontend in namespace shop does not match" in pod_hop.summary
    assert "ports 9102/TCP do not include 8080/TCP" in pod_hop.summary
    # the allow rule kept commented out at the end of networkpolicies.yaml
    text = (EXAMPLE / "networkpolicies.yaml").read_text()
    fix = "\n".join(line[2:] for line in text.split("# ---\n", 1)[1].splitlines())
    docs = [*load_manifests(str(EXAMPLE)).objects]
    fixed = Engine(load_manifests([*(o.body for o in docs), *yaml.safe_load_all(fix)])).route(
        "GET http://shop.example.com/")
    assert fixed.status == 200 and fixed.diagnoses == []
    assert "NetworkPolicy shop/web-allow-ingress-nginx ingress[0] allows it" in hop(fixed, "pod").summary
