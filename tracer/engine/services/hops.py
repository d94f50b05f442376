"""The hops behind the controller for a resolved backend: Service, kube-proxy, Endpoints and Pod
(dataplane#R1, R6, R7, R9, R10, R21, R31, R35, R60), built once per (resolution, endpoint) and copied."""

from __future__ import annotations

import base64
import hashlib

from ..result import Hop
from .ports import describe_port, port_phrase, service_port_string, service_ports
from .resolution import BackendResolution, Endpoint, order_key

# How a pod hop ends when no AppProfile says what the app answers (tracer.engine.profiles replaces it).
APP_ASSUMED = "; no app profile: assumed the app answers 200"
# The same for a WebSocket handshake: an app behind an ingress-nginx location accepts the upgrade it was
# sent (ingress-nginx#8.2; RFC 6455 section 4.2.2: the server answers 101 Switching Protocols).
APP_ASSUMED_UPGRADE = "; no app profile: assumed the app accepts the WebSocket upgrade and answers 101"
APP_ASSUMED_SUFFIXES = (APP_ASSUMED, APP_ASSUMED_UPGRADE)
HOP_MEMO_MAX = 50_000  # per ServiceIndex; cleared when full
LOCAL_HOP_MEMO_MAX = 64  # per resolution: endpoints x statuses x via
DENY_ALL_NOT_ENFORCED = "if the network plugin does not enforce NetworkPolicy"


def chain_suffix(text: str) -> str:
    """First 16 chars of base32(sha256(text)): the iptables chain hash (dataplane#R60)."""
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:16]


def app_assumption(status: int | None) -> str:
    """The suffix a pod hop without an app profile ends with: the answer assumed for ``status``."""
    return APP_ASSUMED_UPGRADE if status == 101 else APP_ASSUMED


def split_app_assumption(summary: str) -> tuple[str, str]:
    """A pod hop's summary without its app-assumption suffix, and that suffix ("" when the app's answer is known)."""
    for suffix in APP_ASSUMED_SUFFIXES:
        if summary.endswith(suffix):
            return summary.removesuffix(suffix), suffix
    return summary, ""


def _confidence(res: BackendResolution) -> str:
    if res.assumed:
        return "assumed"
    return "inferred" if res.inferred else "from-snapshot"


def _service_hop(res: BackendResolution, via: str, status: int | None, terminal: bool) -> Hop:
    name = f"{res.namespace}/{res.service_name}"
    svc = res.service
    if svc is None:
        return Hop(
            "service",
            name,
            f"Service {name} does not exist",
            outcome="respond",
            status=status,
            decision=res.diagnoses[0].message if res.diagnoses else "",
            rules=["k8s-routing#C-4"],
        )
    ports = service_ports(svc)
    objs = [svc.ref()]
    if res.service_port is None and res.kind != "external-name":
        listed = ", ".join(describe_port(p) for p in ports) or "none"
        return Hop(
            "service",
            name,
            f"Service {name} has no port {res.requested_port} (ports: {listed})",
            outcome="respond",
            status=status,
            objects=objs,
            decision="no spec.ports entry matches the referenced port",
            rules=["k8s-routing#I-22", "dataplane#R1"],
        )
    if res.kind == "external-name":
        return Hop(
            "service",
            name,
            f"ExternalName Service: DNS answers with a CNAME to {res.external_name}; no VIP, no endpoints, "
            "no kube-proxy rules. Host header and SNI still carry the client's name.",
            outcome="respond" if terminal else "forward",
            status=status,
            objects=objs,
            decision=f"connect to {res.external_name}:{res.endpoints[0].port if res.endpoints else '?'}",
            rules=["dataplane#R6"],
        )
    sp = res.service_port or {}
    port_desc = f"port {res.port_number}" + (f" ({sp['name']})" if sp.get("name") else "")
    target = res.target_port
    tp_desc = f"targetPort {target}" + (" (named: resolved per pod)" if isinstance(target, str) else "")
    rules = ["k8s-routing#C-4", "dataplane#R9"] + (["dataplane#R10"] if isinstance(target, str) else [])
    cluster_ip = str(svc.spec.get("clusterIP") or "")
    if res.kind == "headless":
        summary = f"headless Service {name} {port_desc} -> {tp_desc}: no VIP, DNS returns the pod IPs"
        rules.append("dataplane#R7")
    elif via == "direct":
        summary = (
            f"Service {name} {port_desc} -> {tp_desc}: discovery only, the controller reads its endpoints "
            "and connects to a pod directly (no VIP, no kube-proxy)"
        )
        rules.append("dataplane#R31")
    else:
        vip = cluster_ip or "(ClusterIP not in the snapshot)"
        summary = f"Service {name} {vip}:{res.port_number} -> {tp_desc}"
        rules.append("dataplane#R1")
    return Hop(
        "service",
        name,
        summary,
        outcome="forward",
        status=status,
        objects=objs,
        decision=f"Service port {describe_port(sp)} matched the reference {res.requested_port!r}",
        details={"type": str(svc.spec.get("type") or "ClusterIP"), "clusterIP": cluster_ip or None},
        rules=rules,
    )


def _kube_proxy_hop(res: BackendResolution, picked: Endpoint | None, status: int | None) -> Hop:
    svc = res.service
    assert svc is not None
    sp = res.service_port or {}
    proto = str(sp.get("protocol") or "TCP").lower()
    svc_str = service_port_string(res.namespace, res.service_name, sp.get("name"))
    suffix = chain_suffix(svc_str + proto)
    cluster_ip = str(svc.spec.get("clusterIP") or "<clusterIP>")
    head = f"nat KUBE-SERVICES -d {cluster_ip}/32 -p {proto} --dport {res.port_number}"
    if picked is None:
        return Hop(
            "kube-proxy",
            svc_str,
            f"iptables: filter KUBE-SERVICES -d {cluster_ip}/32 --dport {res.port_number} -j REJECT "
            f'("{svc_str} has no endpoints"; {len(res.endpoints)} endpoint(s), none ready): connection refused',
            outcome="refused",
            status=status,
            objects=[svc.ref()],
            decision="no KUBE-SVC chain is generated for a Service without endpoints",
            rules=["dataplane#R21", "dataplane#R39", "dataplane#R64"],
            confidence="inferred",
        )
    chain = "KUBE-SVL-" if svc.spec.get("internalTrafficPolicy") == "Local" else "KUBE-SVC-"
    sep = "KUBE-SEP-" + chain_suffix(svc_str + proto + picked.address)
    n = len(res.ready_endpoints())
    return Hop(
        "kube-proxy",
        svc_str,
        f"iptables: {head} -> {chain}{suffix} -> {sep} DNAT to {picked.address} (1 of {n} ready endpoints, "
        "chosen at random per connection)",
        outcome="forward",
        status=status,
        objects=[svc.ref()],
        decision=f"statistic-mode random over {n} endpoint(s) in IP:port order",
        details={"mode": "iptables", "chains": ["KUBE-SERVICES", chain + suffix, sep]},
        rules=["dataplane#R35", "dataplane#R36", "dataplane#R60", "dataplane#R64"],
        confidence="inferred" if res.inferred or res.assumed or not picked.ip else "from-snapshot",
    )


def _endpoints_hop(res: BackendResolution, picked: Endpoint | None, status: int | None) -> Hop:
    name = f"{res.namespace}/{res.service_name}"
    total = len(res.endpoints)
    ready = len(res.ready_endpoints())
    sources = sorted({e.source for e in res.endpoints})
    if res.assumed:
        origin = "assumed (assume_endpoints is on): one synthetic ready endpoint"
    elif res.inferred:
        workloads = sorted(
            {
                o.get("kind", "") + " " + str(o.get("namespace")) + "/" + str(o.get("name"))
                for e in res.endpoints
                for o in e.objects
            }
        )
        origin = "inferred from " + (", ".join(workloads[:3]) or "workloads") + " (no EndpointSlices or Pods)"
    elif sources:
        origin = "from " + ", ".join(sources)
    else:
        origin = "none found"
    summary = f"{ready} of {total} endpoint(s) ready, {origin}"
    if picked is not None:
        summary += f"; picked {picked.address if picked.ip else port_phrase(picked.port)}"
        if picked.pod_name:
            summary += f" (pod {picked.pod_name})"
    objs = list(res.source_objects[:10]) if res.source_objects else ([res.service.ref()] if res.service else [])
    rules = ["dataplane#R13", "dataplane#R15", "dataplane#R16", "dataplane#R19"]
    if picked is None:
        rules.append("dataplane#R21")
    return Hop(
        "endpoints",
        name,
        summary,
        outcome="forward" if picked is not None else "respond",
        status=status,
        objects=objs,
        decision="; ".join(d.message for d in res.diagnoses if d.severity != "info") if picked is None else "",
        details={
            "endpoints": [
                {"ip": e.ip, "port": e.port, "ready": e.ready, "pod": e.pod_name, "node": e.node, "source": e.source}
                for e in sorted(res.endpoints, key=order_key)[:20]
            ],
            "notes": res.notes,
        },
        rules=rules,
        confidence=_confidence(res),
    )


def _pod_hop(res: BackendResolution, picked: Endpoint, status: int | None) -> Hop:
    pod_name = picked.pod_name or "(pod)"
    if picked.ip:
        where = f"{picked.ip}:{picked.port}" if picked.port is not None else f"{picked.ip}, {port_phrase(None)}"
    else:
        where = port_phrase(picked.port)
    if picked.source == "assumed":
        summary = f"an assumed pod of Service {res.namespace}/{res.service_name} on {where}"
    elif picked.source == "inferred":
        summary = f"pod {pod_name} ({where}, inferred: the snapshot has no pod status)"
    else:
        summary = f"pod {pod_name} {where}" + (f" on node {picked.node}" if picked.node else "")
    target = res.target_port
    if isinstance(target, str):
        resolved = picked.port if picked.port is not None else "not declared by any container in the snapshot"
        summary += f"; container port {target!r} = {resolved}"
    summary += app_assumption(status)
    hop = Hop(
        "pod",
        f"{res.namespace}/{pod_name}",
        summary,
        outcome="respond",
        status=status,
        objects=list(picked.objects),
        decision="whether the container listens on this port is not in the snapshot",
        rules=["dataplane#R10", "dataplane#R11", "dataplane#R25"],
        confidence="assumed"
        if picked.source == "assumed"
        else ("inferred" if picked.source == "inferred" else "from-snapshot"),
    )
    if res.fault_drop and res.node_plane is None:  # the node plane weighs the fault against the snapshot's policies
        deny_all(hop, res.fault_drop)
    return hop


def deny_all(hop: Hop, label: str) -> None:
    """A pod behind a networkpolicy-deny-all fault (dataplane#R26): dropped if the plugin enforces it, as built
    otherwise; tracer.engine.faults.finish_trace turns the trace's status into the enforced case."""
    hop.summary = (f"{label}: if the network plugin enforces NetworkPolicy, the controller's connection to this pod "
                   f"is dropped and times out; {DENY_ALL_NOT_ENFORCED}: {hop.summary}")
    hop.outcome = "timeout"
    hop.rules = [*hop.rules, "dataplane#R26", "dataplane#R30"]
    hop.details = {**hop.details, "fault": label, "fault_kind": "networkpolicy-deny-all",
                   "if_not_enforced": {"status": hop.status}}
    hop.status = None


def backend_hops(res: BackendResolution, picked: Endpoint | None, *, via: str, status: int | None) -> list[Hop]:
    """Service hop, (kube-proxy hop), Endpoints hop and Pod hop for a resolved backend.

    ``via="direct"``: the controller connects to the pod itself (the Service hop is discovery only,
    dataplane#R31). ``via="cluster-ip"``: through the VIP, so a kube-proxy hop is included (none for
    headless or ExternalName Services, dataplane#R6/R7). Every hop carries ``status``; the last hop is
    where the request ends (a pod that responds, or the lookup that failed).

    A resolution memoised by a ServiceIndex gets its hops from that index's memo, as copies. One whose Service or
    namespace uses traffic policies, session affinity or NetworkPolicies gets them from the index's node plane
    (tracer.engine.services.nodeplane), which knows the controller behind the request.
    """
    plane = res.node_plane
    if plane is not None:
        return plane.backend_hops(res, picked, via, status)
    memo = res.hop_memo
    if memo is None:
        return build_backend_hops(res, picked, via=via, status=status)
    # Fast path: a memo on the resolution object itself, keyed by the picked endpoint's identity.
    local = res._hops
    if local is None:
        local = res._hops = {}
    local_key = (id(picked), len(res.endpoints), via, status)
    entry = local.get(local_key)
    if entry is not None and entry[0] is picked:
        return [h.copy() for h in entry[1]]
    pick_id = None if picked is None else (picked.ip, picked.port, picked.pod_name, picked.source)
    key = (res.memo_key, len(res.endpoints), pick_id, via, status)
    hops = memo.get(key)
    if hops is None:
        hops = build_backend_hops(res, picked, via=via, status=status)
        if len(memo) >= HOP_MEMO_MAX:
            memo.clear()
        memo[key] = hops
    if len(local) < LOCAL_HOP_MEMO_MAX:
        local[local_key] = (picked, hops)
    return [h.copy() for h in hops]


def build_backend_hops(res: BackendResolution, picked: Endpoint | None, *, via: str, status: int | None) -> list[Hop]:
    """The hops themselves, not memoised (:func:`backend_hops` memoises them)."""
    if via not in ("direct", "cluster-ip"):
        raise ValueError(f"via must be 'direct' or 'cluster-ip', not {via!r}")
    if res.service is None or (res.service_port is None and res.kind != "external-name"):
        return [_service_hop(res, via, status, terminal=True)]
    if res.kind == "external-name":
        return [_service_hop(res, via, status, terminal=True)]
    hops = [_service_hop(res, via, status, terminal=False)]
    if via == "cluster-ip" and res.kind != "headless":
        hops.append(_kube_proxy_hop(res, picked, status))
        if picked is None:
            return hops  # the REJECT in kube-proxy is where the request ends (dataplane#R21)
    hops.append(_endpoints_hop(res, picked, status))
    if picked is not None:
        hops.append(_pod_hop(res, picked, status))
    return hops
