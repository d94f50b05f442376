"""The node side of a backend connection: which controller pod opens it, internalTrafficPolicy Local,
sessionAffinity ClientIP and the NetworkPolicies of the backend pod (dataplane#R22, R26, R35, R66-R69).

One :class:`NodePlane` belongs to a ServiceIndex and exists only once a resolution needs it: a Service with one
of these settings, or a namespace with NetworkPolicies. Resolutions of other Services never reach this module,
so snapshots without these features route exactly as before. Hops are built once per (resolution, endpoint,
via, status, controller origin) and handed out as copies, like ``backend_hops`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..k8s import as_int, selector, template_labels
from ..node_outcomes import add_fact
from ..result import Hop
from .affinity import bypassed, client_ip_timeout, facts, through_kube_proxy
from .hops import DENY_ALL_NOT_ENFORCED, build_backend_hops, chain_suffix, deny_all, split_app_assumption
from .locality import Locality, localize
from .networkpolicy import FAULT_POLICY, PolicyIndex, Target, Verdict
from .peers import ControllerClient, ControllerOrigin, ControllerPod, unknown_client
from .ports import service_port_string
from .resolution import BackendResolution, Endpoint, HopMemo, order_key

if TYPE_CHECKING:
    from .index import ServiceIndex

MEMO_MAX = 20_000
TERMINAL_PHASES = ("Succeeded", "Failed")
_SKIP_FAULT = frozenset({FAULT_POLICY})


def affected(svc_spec: dict[str, Any], namespace: str, policy_namespaces: set[str]) -> bool:
    """Whether a resolution needs the node plane (checked once per memoised resolution)."""
    return (
        namespace in policy_namespaces
        or svc_spec.get("internalTrafficPolicy") == "Local"
        or svc_spec.get("sessionAffinity") == "ClientIP"
    )


class NodePlane:
    """Per-ServiceIndex state for the node side: the NetworkPolicy index, controllers and the hops memo."""

    def __init__(self, index: ServiceIndex) -> None:
        self.index = index
        self.policies = PolicyIndex(index.snapshot)
        self._clients: dict[tuple[int, str | None], ControllerClient] = {}
        self._memo: HopMemo = {}

    # -- the controller behind this request -----------------------------------------------------------

    def client(self) -> tuple[ControllerClient, str, tuple[int, str | None]]:
        """The controller of the request being routed, kube-proxy's mode, and a key for memos."""
        origin = self.index.origin
        if origin is None:
            return unknown_client(), "iptables", (0, None)
        key = (id(origin), origin.landing)
        found = self._clients.get(key)
        if found is None:
            found = self._clients[key] = self._build_client(origin)
        return found, origin.proxy_mode, key

    def _build_client(self, origin: ControllerOrigin) -> ControllerClient:
        w, svc = origin.workload, origin.service
        if w is None and svc is None:
            return unknown_client()
        ns = (w.namespace if w is not None else svc.namespace if svc is not None else None) or "default"
        labels = template_labels(w) if w is not None else selector(svc) if svc is not None else {}
        pods = self._controller_pods(origin, ns, labels)
        pod, why = self._choose(origin, pods)
        if origin.host_network and pod.node and not pod.ip:
            pod = ControllerPod(pod.name, self.policies.node_address(pod.node), pod.node)
        name = w.display() if w is not None else f"the controller behind Service {ns}/{svc.name if svc else ''}"
        nodes = sorted({p.node for p in pods if p.node})
        refs = [w.ref()] if w is not None else ([svc.ref()] if svc is not None else [])
        return ControllerClient(name, ns, labels, origin.host_network, pod, nodes, why, refs)

    def _controller_pods(self, origin: ControllerOrigin, ns: str, labels: dict[str, str]) -> list[ControllerPod]:
        """The controller's pods from the snapshot's Pods, else from its Service's endpoints."""
        found: list[ControllerPod] = []
        pods = self.index.pods.get(ns)
        if labels and pods is not None:
            for rec in pods.select(labels):
                p = rec.obj
                if str(p.status.get("phase") or "") in TERMINAL_PHASES:
                    continue
                found.append(ControllerPod(p.name, str(p.status.get("podIP") or "") or None,
                                           str(p.spec.get("nodeName") or "") or None))
        svc = origin.service
        if not found and svc is not None:
            ports = [p for p in svc.spec.get("ports") or [] if isinstance(p, dict)]
            port = as_int(ports[0].get("port")) if ports else None
            if port is not None:
                res = self.index.resolve_shared(svc.namespace or "default", svc.name, port, assume_endpoints=False,
                                                port_match="service-port")
                ready = sorted((e for e in res.endpoints if e.ready), key=order_key)
                found = [ControllerPod(e.pod_name, e.ip or None, e.node) for e in ready]
        return found

    def _choose(self, origin: ControllerOrigin, pods: list[ControllerPod]) -> tuple[ControllerPod, str]:
        """The controller pod this request goes through, as the entry hops chose it."""
        if origin.landing:
            on = [p for p in pods if p.node == origin.landing]
            pod = on[0] if on else ControllerPod(None, None, origin.landing)
            return pod, f"the controller pod on node {origin.landing}, where the request entered"
        if origin.host_entry and origin.entry_node:
            on = [p for p in pods if p.node == origin.entry_node]
            if on or not pods:
                pod = on[0] if on else ControllerPod(None, None, origin.entry_node)
                return pod, f"the controller pod on node {origin.entry_node}, which the client reaches"
        if pods:
            why = "the controller pod the entry's kube-proxy rule picks first" if origin.service is not None \
                else "the first controller pod of the snapshot"
            return pods[0], why
        return ControllerPod(None, None, None), "the snapshot does not show the controller's pods"

    # -- hops -------------------------------------------------------------------------------------------

    def backend_hops(self, res: BackendResolution, picked: Endpoint | None, via: str, status: int | None) -> list[Hop]:
        client, mode, ckey = self.client()
        pick_id = None if picked is None else (picked.ip, picked.port, picked.pod_name, picked.source)
        key = (res.memo_key, len(res.endpoints), pick_id, via, status, ckey)
        hops = self._memo.get(key) if res.memo_key is not None else None
        if hops is None:
            hops = self._build(res, picked, via, status, client, mode)
            if res.memo_key is not None:
                if len(self._memo) >= MEMO_MAX:
                    self._memo.clear()
                self._memo[key] = hops
        return [h.copy() for h in hops]

    def _build(self, res: BackendResolution, picked: Endpoint | None, via: str, status: int | None,
               client: ControllerClient, mode: str) -> list[Hop]:
        svc = res.service
        proxied = via == "cluster-ip" and svc is not None and res.service_port is not None and res.kind not in (
            "headless", "external-name")
        locality: Locality | None = None
        if proxied and svc is not None and svc.spec.get("internalTrafficPolicy") == "Local" and picked is not None:
            locality = localize(res, picked, client, mode)
            picked = locality.picked
        hops = build_backend_hops(res, picked, via=via, status=status)
        if locality is not None and locality.picked is None:
            hops[-1] = _dropped_at_kube_proxy(res, locality, client, mode)
        if svc is None or res.service_port is None:
            return hops  # the lookup failed before any node-side setting matters
        seconds = client_ip_timeout(svc)
        for hop in hops:
            if hop.component == "service":
                _service_notes(hop, svc.spec, seconds, client, proxied)
            elif hop.component == "kube-proxy" and hop.outcome == "forward":
                if locality is not None:
                    _local_kube_proxy(hop, locality, client)
                if seconds is not None:
                    sep = str((hop.details.get("chains") or ["KUBE-SEP-…"])[-1])
                    hop.summary += through_kube_proxy(seconds, sep, client)
                    add_fact(hop, "sessionAffinity", facts(seconds, client, applied=True))
                    hop.rules = [*hop.rules, "dataplane#R68"]
        last = hops[-1]
        if picked is not None and last.component == "pod" and self.policies.by_namespace.get(res.namespace):
            self._network_policy(last, res, picked, client, status)
        elif picked is not None and last.component == "pod" and res.fault_drop:
            deny_all(last, res.fault_drop)
        # Who opened the connection; it also tells tracer.engine.node_outcomes to look at these hops.
        add_fact(last, "source", {"controller": client.name, "pod": client.pod.name, "ip": client.pod.ip,
                                  "node": client.pod.node, "why": client.why})
        return hops

    # -- NetworkPolicy ------------------------------------------------------------------------------------

    def _target(self, res: BackendResolution, picked: Endpoint) -> Target:
        ns = res.namespace
        pod = self.index.snapshot.get("Pod", ns, picked.pod_name) if picked.pod_name else None
        if pod is not None:
            return Target(ns, pod.name, pod.labels, f"Pod {pod.name}", picked.node or pod.spec.get("nodeName"),
                          picked.port, list(pod.spec.get("containers") or []))
        refs = {(o.get("kind"), o.get("name")) for o in picked.objects}
        for w in self.index.workloads.get(ns, []):
            if (w.obj.kind, w.obj.name) in refs:
                return Target(ns, picked.pod_name, w.labels, f"the pod template of {w.obj.display()}", picked.node,
                              picked.port, w.containers)
        labels = selector(res.service) if res.service is not None else {}
        return Target(ns, picked.pod_name, labels, f"the selector of Service {ns}/{res.service_name}", picked.node,
                      picked.port, None)

    def _network_policy(self, hop: Hop, res: BackendResolution, picked: Endpoint, client: ControllerClient,
                        status: int | None) -> None:
        target = self._target(res, picked)
        if res.fault_drop:
            base = self.policies.evaluate(target, client, skip=_SKIP_FAULT)
            if base.state == "denied":
                base.notes.append(f"{res.fault_drop} changes nothing here")
                _denied(hop, base, target, client, status)
                return
            verdict = self.policies.evaluate(target, client)
            if verdict.state == "denied":
                deny_all(hop, res.fault_drop)
                return
            verdict.notes.append(f"{res.fault_drop}: its deny-all policy takes nothing away, since NetworkPolicies "
                                 "only add up")
        else:
            verdict = self.policies.evaluate(target, client)
        if verdict.state == "denied":
            _denied(hop, verdict, target, client, status)
        else:
            _passes(hop, verdict)


def _with_note(summary: str, note: str) -> str:
    """Add to a pod hop's summary before the app-profile suffix, which tracer.engine.profiles replaces."""
    body, suffix = split_app_assumption(summary)
    return body + note + suffix


def _np_facts(verdict: Verdict, **more: Any) -> dict[str, Any]:
    return {"verdict": verdict.state, "policies": verdict.names(), "reason": verdict.reason, **more}


def _passes(hop: Hop, verdict: Verdict) -> None:
    notes = f" ({'; '.join(verdict.notes)})" if verdict.notes else ""
    hop.summary = _with_note(hop.summary, f"; {verdict.reason}{notes}")
    hop.rules = [*hop.rules, "dataplane#R66"]
    add_fact(hop, "networkPolicy", _np_facts(verdict))
    if verdict.state == "unknown":
        hop.confidence = "assumed"
        hop.decision = (hop.decision + "; " if hop.decision else "") + "NetworkPolicy: assumed to allow the controller"


def _denied(hop: Hop, verdict: Verdict, target: Target, client: ControllerClient, status: int | None) -> None:
    """The enforced case on the pod hop (dataplane#R26): the plugin drops the connection; the other case stays
    in ``if_not_enforced`` and becomes a branch of the trace (tracer.engine.node_outcomes)."""
    node = f" on node {target.node}" if target.node else ""
    notes = f" ({'; '.join(verdict.notes)})" if verdict.notes else ""
    hop.summary = (f"{verdict.reason}{notes}. If the network plugin enforces NetworkPolicy, the plugin{node} drops "
                   f"the connection from {client.name} to this pod and it times out; {DENY_ALL_NOT_ENFORCED}: "
                   f"{hop.summary}")
    hop.outcome = "timeout"
    rules = ["dataplane#R26", "dataplane#R66"] + (["dataplane#R67"] if client.host_network else [])
    hop.rules = [*hop.rules, *rules, "dataplane#R30"]
    add_fact(hop, "networkPolicy", _np_facts(
        verdict, source=client.source_phrase(), controller_namespace=client.namespace,
        host_network=client.host_network, port=target.port, if_not_enforced={"status": status}))
    hop.status = None


# -- Service and kube-proxy hops -----------------------------------------------------------------------------


def _service_notes(hop: Hop, spec: dict[str, Any], seconds: int | None, client: ControllerClient,
                   proxied: bool) -> None:
    if spec.get("internalTrafficPolicy") == "Local" and not proxied:
        hop.summary += ("; internalTrafficPolicy Local does not apply: it is a kube-proxy rule for the ClusterIP, "
                        "which this connection does not use")
        hop.rules = [*hop.rules, "dataplane#R22"]
    if seconds is not None and not proxied:
        hop.summary += bypassed(seconds)
        add_fact(hop, "sessionAffinity", facts(seconds, client, applied=False))
        hop.rules = [*hop.rules, "dataplane#R68"]


def _local_kube_proxy(hop: Hop, loc: Locality, client: ControllerClient) -> None:
    pod = f" ({client.pod.name})" if client.pod.name else ""
    hop.summary += f"; internalTrafficPolicy Local: {loc.how}{pod}"
    if loc.local and loc.picked in loc.local:
        hop.summary = hop.summary.replace(f"(1 of {loc.ready} ready endpoints,", f"(1 of {len(loc.local)} local "
                                          "endpoints,")
    hop.decision = f"{hop.decision}; the connection comes from {client.why}" if hop.decision else client.why
    add_fact(hop, "internalTrafficPolicy", _locality_facts(loc, client))
    if loc.cases:
        add_fact(hop, "cases", loc.cases)
    hop.rules = [*hop.rules, "dataplane#R22", "dataplane#R16"] + (["dataplane#R69"] if loc.fallback else [])
    if loc.assumed:
        hop.confidence = "assumed"


def _locality_facts(loc: Locality, client: ControllerClient) -> dict[str, Any]:
    picked = loc.picked
    return {"policy": "Local", "node": loc.node, "controller_pod": client.pod.name, "why": client.why,
            "local_endpoints": [e.address if e.ip else e.pod_name for e in loc.local],
            "ready_endpoints": loc.ready,
            "picked": None if picked is None else {"name": picked.pod_name, "ip": picked.ip or None,
                                                   "port": picked.port}}


def _dropped_at_kube_proxy(res: BackendResolution, loc: Locality, client: ControllerClient, mode: str) -> Hop:
    """internalTrafficPolicy Local without a local endpoint on the controller's node: kube-proxy drops the packet
    to the ClusterIP (dataplane#R22, R39, R43), so the controller's connect times out."""
    svc = res.service
    assert svc is not None
    sp = res.service_port or {}
    proto = str(sp.get("protocol") or "TCP").lower()
    svc_str = service_port_string(res.namespace, res.service_name, sp.get("name"))
    cluster_ip = str(svc.spec.get("clusterIP") or "<clusterIP>")
    if mode == "nftables":
        rule = (f"nftables: no-endpoint-services {cluster_ip} . {proto} . {res.port_number} : drop "
                f"(service-{chain_suffix(svc_str + proto)[:8]} has no local endpoints)")
        rules = ["dataplane#R22", "dataplane#R43", "dataplane#R64"]
    else:
        rule = (f'iptables: filter KUBE-SERVICES -d {cluster_ip}/32 -p {proto} --dport {res.port_number} -j DROP '
                f'("{svc_str} has no local endpoints")')
        rules = ["dataplane#R22", "dataplane#R39", "dataplane#R64"]
    pod = f"the controller pod {client.pod.name}" if client.pod.name else "the controller pod"
    hop = Hop(
        "kube-proxy",
        svc_str,
        f"{rule}: internalTrafficPolicy Local, and {pod} runs on node {loc.node}, where none of the {loc.ready} "
        "ready endpoint(s) is; the packet is dropped and the controller's connect times out",
        outcome="timeout",
        status=None,
        objects=[svc.ref()],
        decision=f"the connection comes from {client.why}; {loc.how}",
        details={"mode": mode, "no_local_endpoint": loc.node},
        rules=[*rules, "dataplane#R16", "dataplane#R30"],
        confidence="inferred",
    )
    add_fact(hop, "internalTrafficPolicy", _locality_facts(loc, client))
    if loc.cases:
        add_fact(hop, "cases", loc.cases)
    return hop


__all__ = ["NodePlane", "affected"]
