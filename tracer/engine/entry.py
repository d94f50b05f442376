"""The hops in front of the ingress controller: browser, DNS, load balancer or node, kube-proxy.

Which entry applies is read from the controller's Service (LoadBalancer, NodePort) or its pods
(hostNetwork, hostPort). The controller Service is looked up once per Engine (:func:`plan_entry`).
Rule ids cite docs/rules/dataplane.md (``dataplane#Rnn``).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from .context import EngineContext
from .faults.hops import entry_with_faults, fault_diagnosis
from .k8s import WORKLOAD_KINDS, as_int, pod_template, selector, selector_matches, template_labels
from .node_outcomes import add_fact, etp_local_diagnosis
from .request import Request
from .result import Diagnosis, Hop
from .services import ServiceIndex, chain_suffix, pick_endpoint, port_phrase, resolve_backend, service_port_string
from .services.peers import ControllerOrigin
from .services.resolution import order_key
from .snapshot import K8sObject, Snapshot
from .traffic_policy import (
    LocalEntry,
    drop_rules,
    drop_summary,
    entry_target,
    lb_note,
    local_entry,
    local_note,
    node_hop,
    pick_local,
)

NOTABLE_HEADERS = (
    "host",
    "cookie",
    "authorization",
    "upgrade",
    "connection",
    "content-type",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "origin",
    "referer",
)
SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
# What a Service without an explicit nodePort gets (the default --service-node-port-range), said in words.
NODE_PORT_ALLOCATED = "a nodePort from 30000-32767 assigned by the API server"


@dataclass(slots=True)
class EntryPlan:
    """What a snapshot says about the controller's entry, computed once per Engine (:func:`plan_entry`)."""

    context: EngineContext
    service: K8sObject | None = None
    workload: K8sObject | None = None
    host_network: bool = False
    host_ports: dict[int, int] = field(default_factory=dict)  # hostPort -> containerPort
    proxy_mode: str = "iptables"
    proxy_mode_source: str = "default (dataplane#R64)"
    node_addresses: list[str] = field(default_factory=list)
    entry_node: str | None = None  # the Node of node_addresses[0]: where a NodePort/hostPort client lands
    # Memo of the hops after DNS, which depend only on (port, scheme, client_ip, family), and with
    # externalTrafficPolicy Local also on the address the request names: copied per request.
    tails: dict[tuple[Any, ...], list[Hop]] = field(default_factory=dict)
    # The controller as the source of backend connections (tracer.engine.services.peers), set on the Engine's
    # ServiceIndex for each request; with externalTrafficPolicy Local, the node each tail lands on.
    origin: ControllerOrigin | None = None
    services: ServiceIndex | None = None  # the context's, held here so each request skips the property
    etp_local: bool = False
    landings: dict[tuple[Any, ...], str | None] = field(default_factory=dict)
    # The request-independent part of the DNS hop, built on first use.
    dns: _DnsTemplate | None = None


@dataclass(slots=True)
class _DnsTemplate:
    """A DNS hop for a name (not an IP) minus the name: the summary is ``head + host + tail``."""

    head: str
    tail: str
    hop: Hop  # copied per request, which fills in its name and summary


_MAX_TAILS = 256


def _service_score(svc: K8sObject) -> tuple[int, int, str]:
    """Prefer the Service that carries web traffic: type LB > NodePort > ClusterIP, ports 80/443
    or named http/https, and not the admission-webhook or metrics Service."""
    stype = str(svc.spec.get("type") or "ClusterIP")
    type_rank = {"LoadBalancer": 0, "NodePort": 1}.get(stype, 2)
    web = any(
        isinstance(p, dict) and (as_int(p.get("port")) in (80, 443) or str(p.get("name") or "") in ("http", "https"))
        for p in svc.spec.get("ports") or []
    )
    aux = any(word in svc.name for word in ("admission", "webhook", "metrics"))
    return (type_rank + (0 if web else 3) + (5 if aux else 0), len(svc.name), svc.name)


def _proxy_mode(snapshot: Snapshot) -> tuple[str, str]:
    """kube-proxy mode from the kubeadm kube-system/kube-proxy ConfigMap when present (dataplane#R64)."""
    cm = snapshot.get("ConfigMap", "kube-system", "kube-proxy")
    if cm is not None:
        for text in (cm.body.get("data") or {}).values():
            for line in str(text).splitlines():
                key, _, value = line.strip().partition(":")
                if key == "mode":
                    mode = value.strip().strip("\"'")
                    if mode in ("iptables", "nftables", "ipvs"):
                        return mode, "kube-system/kube-proxy ConfigMap"
                    if mode == "":
                        return "iptables", "kube-system/kube-proxy ConfigMap (mode empty: iptables)"
    return "iptables", "default (dataplane#R64)"


def plan_entry(context: EngineContext, controller_objects: list[K8sObject]) -> EntryPlan:
    """Find the controller's Service and workload (from the data plane's controller objects, else by selector)
    and how clients reach it; the Engine does this once, after compiling."""
    snapshot = context.snapshot
    plan = EntryPlan(context)
    plan.proxy_mode, plan.proxy_mode_source = _proxy_mode(snapshot)
    workloads = [o for o in controller_objects if o.kind in WORKLOAD_KINDS]
    services = [o for o in controller_objects if o.kind == "Service"]
    plan.workload = workloads[0] if workloads else None
    if not services and plan.workload is not None:
        # The controller Service is the one whose selector matches the controller's pod labels.
        labels = template_labels(plan.workload)
        services = [
            s
            for s in snapshot.of_kind("Service", plan.workload.namespace)
            if (sel := selector(s)) and selector_matches(sel, labels)
        ]
    if plan.workload is None and services:
        best = min(services, key=_service_score)
        sel = selector(best)
        for kind in WORKLOAD_KINDS:
            for w in snapshot.of_kind(kind, best.namespace):
                if sel and selector_matches(sel, template_labels(w)):
                    plan.workload = w
                    break
            if plan.workload is not None:
                break
    if services:
        plan.service = min(services, key=_service_score)
    if plan.workload is not None:
        pod_spec = pod_template(plan.workload).get("spec") or {}
        plan.host_network = bool(pod_spec.get("hostNetwork"))
        for c in pod_spec.get("containers") or []:
            for p in (c.get("ports") or []) if isinstance(c, dict) else []:
                if isinstance(p, dict) and as_int(p.get("hostPort")):
                    plan.host_ports[as_int(p.get("hostPort")) or 0] = as_int(p.get("containerPort")) or 0
    for node in snapshot.of_kind("Node")[:3]:
        for addr in node.status.get("addresses") or []:
            if isinstance(addr, dict) and addr.get("type") in ("ExternalIP", "InternalIP") and addr.get("address"):
                plan.node_addresses.append(str(addr["address"]))
                plan.entry_node = plan.entry_node or node.name
                break
    svc = plan.service
    plan.etp_local = (
        svc is not None
        and str(svc.spec.get("type") or "") in ("LoadBalancer", "NodePort")
        and str(svc.spec.get("externalTrafficPolicy") or "") == "Local"
    )
    plan.origin = ControllerOrigin(
        plan.workload, svc, plan.host_network, plan.host_network or bool(plan.host_ports), plan.entry_node,
        plan.proxy_mode,
    )
    plan.services = context.services
    return plan


def _http_version(request: Request) -> str:
    return "HTTP/" + request.http_version


def _browser_hop(request: Request) -> Hop:
    shown = []
    for name, value in request.headers:
        lname = name.lower()
        if lname in NOTABLE_HEADERS or lname.startswith("x-"):
            shown.append(f"{name}: {'…' if lname == 'authorization' else value}")
    scheme = request.url.partition("://")[0].lower() or request.scheme  # keep ws/wss as the client wrote it
    url = f"{scheme}://{request.host}{'' if request.default_port else ':' + str(request.port)}"
    summary = f"{request.method} {url}{request.request_uri} {_http_version(request)}"
    if shown:
        summary += " with " + "; ".join(shown[:6])
    details: dict[str, Any] = {"client_ip": request.client_ip, "host_header": request.host_header}
    if request.tls_server_name:
        details["sni"] = request.tls_server_name
    if request.body_bytes is not None:
        details["body_bytes"] = request.body_bytes
    return Hop(
        "browser",
        request.client_ip,
        summary,
        details=details,
        changes={},
        rules=["k8s-routing#C-1"],
        confidence="from-snapshot",
    )


def _is_ip(host: str) -> bool:
    if ":" not in host and not host[-1:].isdigit():
        return False  # cheap pre-check: DNS names end in a letter (no numeric TLDs); per-request path
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def lb_addresses(svc: K8sObject) -> list[str]:
    out = []
    for ing in (svc.status.get("loadBalancer") or {}).get("ingress") or []:
        if isinstance(ing, dict) and (ing.get("ip") or ing.get("hostname")):
            out.append(str(ing.get("ip") or ing.get("hostname")))
    return out


def _dns_hop(request: Request, plan: EntryPlan) -> Hop:
    host = request.host
    if _is_ip(host):
        return Hop("dns", host, f"no DNS lookup: {host} is an IP address", rules=["dataplane#R20"])
    tpl = plan.dns
    if tpl is None:
        tpl = plan.dns = _dns_template(plan)
    hop = tpl.hop.copy()
    hop.name = host
    hop.summary = f"{tpl.head}{host}{tpl.tail}"
    return hop


def _dns_template(plan: EntryPlan) -> _DnsTemplate:
    svc = plan.service
    if svc is not None and str(svc.spec.get("type")) == "LoadBalancer":
        addrs = lb_addresses(svc)
        if addrs:
            return _DnsTemplate(
                "",
                f" resolves to {addrs[0]}",
                Hop(
                    "dns",
                    "",
                    "",
                    objects=[svc.ref()],
                    decision=f"the address in status.loadBalancer.ingress of Service {svc.namespace}/{svc.name}; "
                    "the public DNS record itself is not in the snapshot",
                    details={"addresses": addrs},
                    rules=["dataplane#R4"],
                    confidence="inferred",
                ),
            )
    target = "the controller's entry"
    if svc is not None:
        target = f"the entry of Service {svc.namespace}/{svc.name}"
        if str(svc.spec.get("type")) == "LoadBalancer":
            target += " (LoadBalancer without an address in its status)"
    elif plan.host_network or plan.host_ports:
        target = "a node running the controller"
    if plan.node_addresses and (svc is None or str(svc.spec.get("type")) != "LoadBalancer"):
        target += f", e.g. node address {plan.node_addresses[0]}"
    return _DnsTemplate(
        "the snapshot cannot tell where ",
        f" resolves; assumed to resolve to {target}",
        Hop(
            "dns",
            "",
            "",
            objects=[svc.ref()] if svc is not None else [],
            rules=["dataplane#R20"],
            confidence="assumed",
        ),
    )


def _entry_port(svc: K8sObject, request: Request) -> dict[str, Any] | None:
    """The Service port the client reaches: by number, else named http/https by scheme."""
    ports = [p for p in svc.spec.get("ports") or [] if isinstance(p, dict)]
    for p in ports:
        if as_int(p.get("port")) == request.port:
            return p
    wanted = "https" if request.scheme == "https" else "http"
    for p in ports:
        if str(p.get("name") or "") == wanted:
            return p
    return None


def _source_allowed(client_ip: str, ranges: list[str]) -> bool:
    try:
        addr = ipaddress.ip_address(client_ip)
    except ValueError:
        return False
    for cidr in ranges:
        try:
            if addr in ipaddress.ip_network(str(cidr).strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def _lb_hop(svc: K8sObject, port: dict[str, Any] | None, request: Request) -> Hop:
    name = f"{svc.namespace}/{svc.name}"
    addrs = lb_addresses(svc)
    addr = addrs[0] if addrs else "(address pending: status.loadBalancer.ingress is empty)"
    etp = str(svc.spec.get("externalTrafficPolicy") or "Cluster")
    rules = ["dataplane#R4", "dataplane#R23", "dataplane#R40"]
    node_port = as_int(port.get("nodePort")) if port else None
    alloc = svc.spec.get("allocateLoadBalancerNodePorts")
    if port is None:
        return Hop(
            "load-balancer",
            name,
            f"LoadBalancer {addr} has no port {request.port}: nothing listens there",
            outcome="timeout",
            objects=[svc.ref()],
            decision="no spec.ports entry for the request's port (by number, or named http/https)",
            rules=["dataplane#R4", "dataplane#R2"],
        )
    to = f"NodePort {node_port} on a node" if node_port and alloc is not False else "the controller pods"
    summary = f"LoadBalancer {addr}:{port.get('port')} -> {to}; externalTrafficPolicy {etp}: "
    if etp == "Local":
        hc = svc.spec.get("healthCheckNodePort")
        summary += (
            "only nodes with a ready controller pod pass the LB health check"
            + (f" on healthCheckNodePort {hc}" if hc else "")
            + ", client IP preserved"
        )
        rules.append("dataplane#R41")
    else:
        summary += "any node, client IP replaced by a node IP (SNAT)"
    ranges = [str(r) for r in svc.spec.get("loadBalancerSourceRanges") or []]
    if ranges and not _source_allowed(request.client_ip, ranges):
        return Hop(
            "load-balancer",
            name,
            f"client {request.client_ip} is not in loadBalancerSourceRanges ({', '.join(ranges)}): the packet is "
            "dropped (cloud firewall / KUBE-PROXY-FIREWALL) and the client times out",
            outcome="timeout",
            status=None,
            objects=[svc.ref()],
            decision="source address outside every allowed range",
            details={"loadBalancerSourceRanges": ranges, "client_ip": request.client_ip},
            rules=["dataplane#R27", "dataplane#R38"],
        )
    if ranges:
        summary += f"; client {request.client_ip} is inside loadBalancerSourceRanges"
        rules.append("dataplane#R38")
    return Hop(
        "load-balancer",
        name,
        summary,
        objects=[svc.ref()],
        details={
            "addresses": addrs,
            "port": as_int(port.get("port")),
            "nodePort": node_port,
            "externalTrafficPolicy": etp,
        },
        rules=rules,
        confidence="from-snapshot" if addrs else "inferred",
    )


def _nodeport_hop(svc: K8sObject, port: dict[str, Any] | None, request: Request, plan: EntryPlan) -> Hop:
    name = f"{svc.namespace}/{svc.name}"
    if port is None or not as_int(port.get("nodePort")):
        what = "has no port for" if port is None else "has no nodePort in the snapshot for"
        return Hop(
            "node",
            name,
            f"NodePort Service {name} {what} request port {request.port}; assumed reachable on its node port",
            objects=[svc.ref()],
            rules=["dataplane#R3"],
            confidence="assumed",
        )
    node = plan.node_addresses[0] if plan.node_addresses else "a node address"
    etp = str(svc.spec.get("externalTrafficPolicy") or "Cluster")
    return Hop(
        "node",
        name,
        f"{node}:{port['nodePort']} (NodePort of Service {name} port {port.get('port')}); externalTrafficPolicy {etp}",
        objects=[svc.ref()],
        details={"nodePort": as_int(port.get("nodePort")), "externalTrafficPolicy": etp},
        rules=["dataplane#R3", "dataplane#R37"],
        confidence="from-snapshot" if plan.node_addresses else "inferred",
    )


def _kube_proxy_hop(
    svc: K8sObject, port: dict[str, Any], plan: EntryPlan, *, via_lb: bool, local: LocalEntry | None = None
) -> Hop:
    ns = svc.namespace or "default"
    proto = str(port.get("protocol") or "TCP").lower()
    svc_str = service_port_string(ns, svc.name, port.get("name"))
    suffix = chain_suffix(svc_str + proto)
    # Which controller pod kube-proxy DNATs to comes from the controller Service's own endpoints.
    res = resolve_backend(plan.context.services, ns, svc.name, as_int(port.get("port")) or 0)
    picked = pick_endpoint(res.endpoints, None, svc_str)
    etp_local = str(svc.spec.get("externalTrafficPolicy") or "Cluster") == "Local"
    node_port = as_int(port.get("nodePort"))
    # A manifest usually leaves nodePort out: the API server allocates one when it creates the Service.
    node_port_text = str(node_port) if node_port else f"<{NODE_PORT_ALLOCATED}>"
    addrs = lb_addresses(svc)
    objs = [svc.ref()]
    if plan.proxy_mode == "nftables":
        body = f"{ns}/{svc.name}/{proto}/{port.get('name') or ''}"
        walk = f"nftables table kube-proxy: services -> service-ips/service-nodeports -> external-{chain_suffix(body)[:8]}-{body}"
        rules = ["dataplane#R42", "dataplane#R43", "dataplane#R61"]
    elif plan.proxy_mode == "ipvs":
        target = addrs[0] if via_lb and addrs else "<node IP>"
        vport = port.get("port") if via_lb and addrs else node_port_text
        walk = f"IPVS virtual server TCP {target}:{vport} rr"
        rules = ["dataplane#R46", "dataplane#R47", "dataplane#R63"]
    else:
        if via_lb and addrs:
            first = f"KUBE-SERVICES -d {addrs[0]}/32 -p {proto} --dport {port.get('port')}"
        else:
            first = f"KUBE-SERVICES -> KUBE-NODEPORTS -p {proto} --dport {node_port_text}"
        fw = f" -> KUBE-FW-{suffix}" if via_lb and svc.spec.get("loadBalancerSourceRanges") else ""
        svc_chain = ("KUBE-SVL-" if etp_local else "KUBE-SVC-") + suffix
        walk = f"iptables nat {first}{fw} -> KUBE-EXT-{suffix} -> {svc_chain}"
        rules = ["dataplane#R34", "dataplane#R37", "dataplane#R38", "dataplane#R60"]
    rules.append("dataplane#R64")
    if picked is None:
        return Hop(
            "kube-proxy",
            svc_str,
            f"{walk}: Service {ns}/{svc.name} has no ready endpoints, REJECT -> connection refused",
            outcome="refused",
            objects=objs,
            decision="; ".join(d.message for d in res.diagnoses[:2]),
            details={"mode": plan.proxy_mode, "mode_source": plan.proxy_mode_source},
            rules=[*rules, "dataplane#R21", "dataplane#R39"],
            confidence="inferred",
        )
    if local is not None:
        local_pick = pick_local(local, sorted((e for e in res.endpoints if e.ready), key=order_key))
        if local_pick is None:
            return _local_drop_hop(local, plan, svc_str, proto, node_port_text, objs, rules)
        picked = local_pick
        if local.in_cluster:
            walk = walk.replace("KUBE-SVL-", "KUBE-SVC-")
    if plan.proxy_mode == "iptables":
        sep = "KUBE-SEP-" + chain_suffix(svc_str + proto + picked.address) if picked.ip else "KUBE-SEP-…"
        walk += f" -> {sep}"
    dest = picked.address if picked.ip else "a controller pod " + port_phrase(picked.port)
    note = "client IP kept (eTP Local)" if etp_local else "source NATed to the node IP (eTP Cluster)"
    if local is not None:
        note = local_note(local)
        rules += ["dataplane#R16"] + (["dataplane#R24"] if local.in_cluster else [])
    return Hop(
        "kube-proxy",
        svc_str,
        f"{walk} DNAT to {dest}; {note}",
        objects=objs,
        decision=f"{len(res.ready_endpoints())} ready controller endpoint(s)"
        + (" (inferred from the controller workload)" if res.inferred else ""),
        details={"mode": plan.proxy_mode, "mode_source": plan.proxy_mode_source, "pod": picked.pod_name},
        rules=[*rules, "dataplane#R40"],
        confidence="inferred",
    )


def _local_drop_hop(
    local: LocalEntry, plan: EntryPlan, svc_str: str, proto: str, node_port: str, objs: list[dict[str, Any]],
    rules: list[str],
) -> Hop:
    """externalTrafficPolicy Local, and the client's node runs no ready controller pod (dataplane#R23)."""
    site = local.landing
    return Hop(
        "kube-proxy",
        svc_str,
        drop_summary(local, plan.proxy_mode, svc_str, proto, node_port),
        outcome="timeout",
        objects=objs,
        decision=local.how,
        details={"mode": plan.proxy_mode, "mode_source": plan.proxy_mode_source, "externalTrafficPolicy": "Local",
                 "no_local_endpoint": site.name if site is not None else None},
        rules=[*dict.fromkeys([*drop_rules(plan.proxy_mode), *rules])],
        confidence="inferred",
    )


def _host_entry_hop(request: Request, plan: EntryPlan) -> Hop | None:
    w = plan.workload
    if w is None:
        return None
    if plan.host_network:
        return Hop(
            "node",
            w.display(),
            f"controller pods of {w.display()} use hostNetwork: the node's port {request.port} is the "
            "controller's own socket (no Service, no kube-proxy)",
            objects=[w.ref()],
            rules=["dataplane#R51"],
            confidence="from-snapshot" if plan.node_addresses else "inferred",
        )
    container_port = plan.host_ports.get(request.port)
    if container_port is not None:
        return Hop(
            "node",
            w.display(),
            f"hostPort {request.port} of {w.display()}: CNI portmap DNAT (CNI-HOSTPORT-DNAT -> CNI-DN-…) to the "
            f"controller pod's containerPort {container_port}; no kube-proxy",
            objects=[w.ref()],
            details={"hostPort": request.port, "containerPort": container_port},
            rules=["dataplane#R49", "dataplane#R50", "dataplane#R62"],
        )
    return None


def entry_hops(plan: EntryPlan, request: Request, family: str) -> list[Hop]:
    """Browser, DNS, load balancer / node, and kube-proxy hops in front of the controller.

    Forwarding hops keep ``status=None`` (the API fills in the final status). A hop whose outcome is
    an L4 failure (``timeout``, ``refused``) is the last one returned: the request ends there.
    """
    key: tuple[Any, ...] = (request.port, request.scheme, request.client_ip, family)
    if plan.etp_local:
        key = (*key, entry_target(request))
    tail = plan.tails.get(key)
    if tail is None:
        tail = entry_with_faults(plan, _tail_hops(request, plan, family, key))
        if len(plan.tails) >= _MAX_TAILS:
            plan.tails.clear()
            plan.landings.clear()
        plan.tails[key] = tail
    # The backend hops of this request are those of this controller (tracer.engine.services.nodeplane).
    origin, services = plan.origin, plan.services
    if origin is not None and services is not None:
        if plan.etp_local:
            origin.landing = plan.landings.get(key)
        services.origin = origin
    return [_browser_hop(request), _dns_hop(request, plan), *[h.copy() for h in tail]]


def _tail_hops(request: Request, plan: EntryPlan, family: str, key: tuple[Any, ...]) -> list[Hop]:
    """The hops after DNS: they read only the request's port, scheme and client IP (and, with
    externalTrafficPolicy Local, the address it names)."""
    hops: list[Hop] = []
    svc = plan.service
    stype = str(svc.spec.get("type") or "ClusterIP") if svc is not None else ""
    if svc is not None and stype in ("LoadBalancer", "NodePort"):
        port = _entry_port(svc, request)
        local = _local_entry(plan, svc, port, request, stype) if plan.etp_local and port is not None else None
        if local is not None:
            plan.landings[key] = local.landing.name if local.landing is not None else None
        by_node = local is not None and local.by_node_ip
        if stype == "LoadBalancer" and not by_node:
            hops.append(_lb_hop(svc, port, request))
            if local is not None and hops[-1].outcome == "forward":
                hops[-1].summary += lb_note(local)
        elif local is not None and port is not None:
            fallback = plan.node_addresses[0] if plan.node_addresses else "a node address"
            number = as_int(port.get("nodePort"))
            hops.append(node_hop(svc, port, local, fallback, str(number) if number else f"<{NODE_PORT_ALLOCATED}>"))
        else:
            hops.append(_nodeport_hop(svc, port, request, plan))
        if hops[-1].outcome != "forward" or port is None:
            return hops
        if stype == "LoadBalancer" and svc.spec.get("allocateLoadBalancerNodePorts") is False:
            return hops  # the LB reaches pods directly; no NodePort, no kube-proxy on the way in (dataplane#R4)
        hops.append(_kube_proxy_hop(svc, port, plan, via_lb=stype == "LoadBalancer" and not by_node, local=local))
        if local is not None and local.cases and hops[-1].outcome == "forward":
            add_fact(hops[-1], "cases", local.cases)  # the nodes the snapshot cannot rule out (node_outcomes)
        return hops
    host_hop = _host_entry_hop(request, plan)
    if host_hop is not None:
        hops.append(host_hop)
        return hops
    if svc is not None:
        hops.append(
            Hop(
                "load-balancer",
                f"{svc.namespace}/{svc.name}",
                f"controller Service {svc.namespace}/{svc.name} is {stype or 'ClusterIP'}, not reachable from "
                "outside the cluster by itself; assumed something in front (external LB, port-forward) reaches it",
                objects=[svc.ref()],
                rules=["dataplane#R1"],
                confidence="assumed",
            )
        )
        return hops
    what = f" ({plan.workload.display()} has no Service, hostPort or hostNetwork)" if plan.workload else ""
    hops.append(
        Hop(
            "load-balancer",
            family,
            f"controller entry not in snapshot{what}; assumed reachable",
            objects=[plan.workload.ref()] if plan.workload else [],
            confidence="assumed",
        )
    )
    return hops


def _local_entry(
    plan: EntryPlan, svc: K8sObject, port: dict[str, Any], request: Request, stype: str
) -> LocalEntry:
    res = resolve_backend(plan.context.services, svc.namespace or "default", svc.name, as_int(port.get("port")) or 0)
    return local_entry(plan.context.snapshot, res.endpoints, request, via_lb=stype == "LoadBalancer")


__all__ = ["EntryPlan", "entry_failure_diagnosis", "entry_hops", "plan_entry"]


def entry_failure_diagnosis(hop: Hop) -> Diagnosis:
    """Why a request died before the controller, and the fix, from the failing entry hop."""
    faulted = fault_diagnosis(hop)
    if faulted is not None:
        return faulted
    if hop.outcome == "timeout" and "no_local_endpoint" in hop.details:
        return etp_local_diagnosis(hop)
    target = hop.objects[0] if hop.objects else {}
    svc = f"Service {target.get('namespace')}/{target.get('name')}" if target else "the controller's Service"
    if "dataplane#R27" in hop.rules:
        ranges = ", ".join(hop.details.get("loadBalancerSourceRanges") or [])
        return Diagnosis(
            "LB_SOURCE_RANGE_DROPPED",
            "error",
            f"The client address {hop.details.get('client_ip')} is outside spec.loadBalancerSourceRanges "
            f"({ranges}) of {svc}: the packet is dropped and the client times out, no HTTP status at all.",
            f"Add the client's CIDR to spec.loadBalancerSourceRanges of {svc}, or test from an allowed address.",
            "dataplane#R27",
            hop.objects,
        )
    if hop.outcome == "refused":
        return Diagnosis(
            "CONTROLLER_NO_ENDPOINTS",
            "error",
            f"{svc} in front of the controller has no ready endpoints, so kube-proxy rejects the connection "
            "(connection refused) before any HTTP happens.",
            f"Check that the controller pods are Running and Ready and that {svc}'s selector matches their labels.",
            "dataplane#R21",
            hop.objects,
        )
    return Diagnosis(
        "ENTRY_PORT_CLOSED",
        "error",
        f"{hop.summary}. The request never reaches the controller.",
        f"Expose port {hop.details.get('port', 'the requested port')} on {svc} (spec.ports), or use the port it "
        "serves.",
        hop.rules[0] if hop.rules else "",
        hop.objects,
    )
