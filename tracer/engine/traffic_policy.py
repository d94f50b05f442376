"""externalTrafficPolicy: Local on the controller's Service: which node a client lands on, and whether a ready
controller pod runs there (dataplane#R23, R24, R37, R41, R16, R69).

A load balancer health-checks ``healthCheckNodePort`` and sends only to nodes with a ready local endpoint
(R41), so its clients always land well. A client addressing a node itself (``via`` or the URL's host is a node
address) lands on that node, and kube-proxy drops it there when no controller pod runs on it (R23, R37). When
the snapshot cannot tell which node a NodePort client reaches, the trace takes a node that runs a controller
pod and keeps every other node as a case (a branch of the trace, tracer.engine.node_outcomes), instead of
guessing one outcome.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from .request import Request
from .result import Hop
from .services import Endpoint
from .services.resolution import order_key
from .snapshot import K8sObject, Snapshot

MAX_NAMED = 6  # nodes named in a summary


@dataclass(slots=True)
class NodeSite:
    name: str
    addresses: list[str]  # empty for a node only the endpoints name
    local: list[Endpoint]  # ready controller endpoints there, in kube-proxy order


@dataclass(slots=True)
class LocalEntry:
    sites: list[NodeSite]
    placed: bool  # some ready controller endpoint names its node
    landing: NodeSite | None  # the node this request lands on (None: one with a controller pod, not known which)
    how: str
    by_node_ip: bool = False  # the request addresses a node: its NodePort, even on a LoadBalancer Service
    in_cluster: bool = False  # the client is that node itself (dataplane#R24)
    cases: list[dict[str, Any]] = field(default_factory=list)

    @property
    def drops(self) -> bool:
        """kube-proxy drops this request: it lands on a node without a ready controller pod."""
        return self.landing is not None and not self.landing.local and not self.in_cluster and self.placed


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def entry_target(request: Request) -> str | None:
    """The address the client connects to when the request names one: ``via`` as an IP, else the URL's host."""
    via = request.via
    if isinstance(via, str) and _is_ip(via.strip("[]")):
        return via.strip("[]")
    host = request.host.strip("[]")
    return host if _is_ip(host) else None


def _sites(snapshot: Snapshot, ready: list[Endpoint]) -> list[NodeSite]:
    sites: dict[str, NodeSite] = {}
    for node in snapshot.of_kind("Node"):
        addrs = [str(a["address"]) for a in node.status.get("addresses") or []
                 if isinstance(a, dict) and a.get("type") in ("InternalIP", "ExternalIP") and a.get("address")]
        sites[node.name] = NodeSite(node.name, addrs, [])
    for e in ready:
        if e.node:
            sites.setdefault(e.node, NodeSite(e.node, [], [])).local.append(e)
    return list(sites.values())


def _names(sites: list[NodeSite]) -> str:
    shown = ", ".join(s.name for s in sites[:MAX_NAMED])
    return shown + (f" and {len(sites) - MAX_NAMED} more" if len(sites) > MAX_NAMED else "")


def local_entry(snapshot: Snapshot, endpoints: list[Endpoint], request: Request, *, via_lb: bool) -> LocalEntry:
    """Where a request to an externalTrafficPolicy Local Service lands, and the cases the snapshot leaves open."""
    ready = sorted((e for e in endpoints if e.ready), key=order_key)
    sites = _sites(snapshot, ready)
    placed = any(e.node for e in ready)
    target = entry_target(request)
    by_ip = {a: s for s in sites for a in s.addresses}
    if target is not None and target in by_ip:
        site = by_ip[target]
        out = LocalEntry(sites, placed, site, f"the request goes to {target}, an address of node {site.name}",
                         by_node_ip=True)
        out.in_cluster = request.client_ip in site.addresses
        if not placed:
            out.cases.append(_drop_case(None))
        return out
    with_local = [s for s in sites if s.local]
    if via_lb:
        if with_local:
            how = (f"the load balancer sends only to nodes that pass its health check (dataplane#R41), here node "
                   f"{with_local[0].name}")
        else:
            how = ("the load balancer sends only to nodes that pass its health check (dataplane#R41); the snapshot "
                   "does not say which nodes run the controller pods")
        return LocalEntry(sites, placed, with_local[0] if with_local else None, how)
    without = [s for s in sites if not s.local and s.addresses]
    landing = with_local[0] if with_local else None
    if landing is not None:
        how = (f"the snapshot cannot tell which node the client reaches: taken here is node {landing.name}, which "
               "runs a ready controller pod")
    else:
        how = ("the snapshot cannot tell which node the client reaches, nor which nodes run the controller pods: "
               "assumed one that runs a ready controller pod")
    out = LocalEntry(sites, placed, landing, how)
    for s in without:
        out.cases.append(_drop_case(s))
    if not placed or not without:
        out.cases.append(_drop_case(None))
    return out


def _drop_case(site: NodeSite | None) -> dict[str, Any]:
    if site is None:
        what = "a node without a ready controller pod (if the cluster has one)"
    else:
        addr = f" ({site.addresses[0]})" if site.addresses else ""
        what = f"node {site.name}{addr}, where no ready controller pod runs,"
    return {"node": site.name if site else None, "outcome": "timeout", "where": "entry",
            "reason": f"externalTrafficPolicy Local: a client that reaches {what} is dropped there by kube-proxy "
                      "and times out (dataplane#R23)"}


# -- what the hops say ----------------------------------------------------------------------------------------


def lb_note(local: LocalEntry) -> str:
    """The load-balancer hop's addition: which nodes pass the health check (dataplane#R41)."""
    passing = [s for s in local.sites if s.local]
    failing = [s for s in local.sites if not s.local and s.addresses]
    if not passing:
        return "; which nodes pass it the snapshot cannot tell (the controller's endpoints name no node)"
    note = f"; nodes that pass it: {_names(passing)}"
    if failing:
        note += f"; {_names(failing)} run{'s' if len(failing) == 1 else ''} no ready controller pod and fail it"
    return note


def node_hop(svc: K8sObject, port: dict[str, Any], local: LocalEntry, fallback_address: str, node_port: str) -> Hop:
    """The node hop of a NodePort entry (or a LoadBalancer Service's NodePort addressed directly) under Local."""
    name = f"{svc.namespace}/{svc.name}"
    site = local.landing
    addr = site.addresses[0] if site is not None and site.addresses else fallback_address
    where = f" on node {site.name}" if site is not None else ""
    kind = "LoadBalancer" if str(svc.spec.get("type")) == "LoadBalancer" else "NodePort"
    summary = (f"{addr}:{node_port}{where} (NodePort of {kind} Service {name} port {port.get('port')}); "
               f"externalTrafficPolicy Local: only controller pods on this node, client IP kept; {local.how}")
    if local.by_node_ip and kind == "LoadBalancer":
        summary += "; the client addresses the node, not the load balancer, so no health check keeps it away"
    hop = Hop(
        "node",
        name,
        summary,
        objects=[svc.ref()],
        details={"nodePort": port.get("nodePort"), "externalTrafficPolicy": "Local",
                 "node": site.name if site is not None else None},
        rules=["dataplane#R3", "dataplane#R37", "dataplane#R23"],
        confidence="from-snapshot" if site is not None and local.by_node_ip else "assumed",
    )
    return hop


def pick_local(local: LocalEntry, ready: list[Endpoint]) -> Endpoint | None:
    """The controller endpoint kube-proxy's KUBE-SVL (or, for a client on the node itself, KUBE-SVC) chain picks;
    None when it drops the packet."""
    site = local.landing
    if site is not None and site.local:
        return site.local[0]
    if local.drops:
        return None
    return ready[0] if ready else None


def local_note(local: LocalEntry) -> str:
    site = local.landing
    if local.in_cluster:
        return (f"the client is node {site.name if site else ''} itself, so kube-proxy sends it through the "
                "cluster-wide chain (dataplane#R24); client IP kept")
    if site is not None and site.local:
        return f"node {site.name} has {len(site.local)} ready controller pod(s); client IP kept (eTP Local)"
    if site is not None:
        return (f"the snapshot does not say where the controller pods run: assumed node {site.name} has a ready one; "
                "client IP kept (eTP Local)")
    return "assumed a node with a ready controller pod; client IP kept (eTP Local)"


def drop_summary(local: LocalEntry, mode: str, svc_str: str, proto: str, node_port: str) -> str:
    """How kube-proxy drops a client on a node without a ready controller pod (dataplane#R23, R37, R39, R43, R69)."""
    site = local.landing
    assert site is not None
    if mode == "nftables":
        rule = f"nftables no-endpoint-nodeports {proto} . {node_port} : drop"
    elif mode == "ipvs":
        addr = site.addresses[0] if site.addresses else "<node IP>"
        rule = (f"IPVS virtual server TCP {addr}:{node_port} has no local endpoint, so it keeps every endpoint "
                "(dataplane#R69): the packet reaches a controller pod on another node without source NAT, and the "
                "reply, sent from that pod's address, never matches the client's connection")
    else:
        rule = (f'iptables filter KUBE-EXTERNAL-SERVICES -p {proto} --dport {node_port} -j DROP ("{svc_str} has no '
                'local endpoints")')
    return (f"{rule}: node {site.name} runs no ready controller pod and externalTrafficPolicy is Local, so the "
            "client times out")


def drop_rules(mode: str) -> list[str]:
    extra = {"nftables": ["dataplane#R43"], "ipvs": ["dataplane#R69"]}.get(mode, ["dataplane#R39"])
    return ["dataplane#R23", "dataplane#R37", *extra, "dataplane#R16"]


__all__ = ["LocalEntry", "NodeSite", "drop_rules", "drop_summary", "entry_target", "lb_note", "local_entry",
           "local_note", "node_hop", "pick_local"]
