"""internalTrafficPolicy: Local on a backend Service the controller reaches through its ClusterIP.

kube-proxy on the controller pod's node sends the connection only to endpoints on that node (its KUBE-SVL
chain, dataplane#R35, R16). Without one there, iptables and nftables modes drop the packet and the
controller's connect times out (dataplane#R22, R39, R43); IPVS mode keeps every endpoint instead
(dataplane#R69). Which node the controller pod runs on comes from the snapshot's Pods or EndpointSlices;
when it is not known, or controller pods run on several nodes, the other nodes become branches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .peers import ControllerClient
from .resolution import BackendResolution, Endpoint, order_key


@dataclass(slots=True)
class Locality:
    node: str | None  # the controller pod's node (None: not in the snapshot)
    ready: int  # ready endpoints of the Service
    local: list[Endpoint]  # ready endpoints on that node, in kube-proxy order
    picked: Endpoint | None  # where kube-proxy sends it (None: dropped)
    how: str  # the decision in words
    assumed: bool = False
    fallback: bool = False  # IPVS: no local endpoint, every endpoint kept (dataplane#R69)
    cases: list[dict[str, Any]] = field(default_factory=list)


def _ready(res: BackendResolution) -> list[Endpoint]:
    return sorted((e for e in res.endpoints if e.ready), key=order_key)


def localize(res: BackendResolution, picked: Endpoint | None, client: ControllerClient, proxy_mode: str) -> Locality:
    """Where kube-proxy on the controller's node sends the connection under internalTrafficPolicy Local."""
    ready = _ready(res)
    svc = f"{res.namespace}/{res.service_name}"
    node = client.pod.node
    unplaced = [e for e in ready if not e.node]
    if node is None:
        # Assume the controller pod's node has one; any node without one is a branch.
        choice = picked if picked is not None and picked in ready else (ready[0] if ready else None)
        out = Locality(None, len(ready), [], choice, "the snapshot does not say which node the controller pod runs "
                       "on: assumed one that has a ready endpoint", assumed=True)
        if proxy_mode != "ipvs":
            out.cases.append(_drop_case(None, svc))
        return out
    local = [e for e in ready if e.node == node]
    out = Locality(node, len(ready), local, None, "")
    if local:
        out.picked = picked if picked in local else local[0]
        out.how = f"{len(local)} of {len(ready)} ready endpoint(s) run on node {node}, where the controller pod runs"
    elif unplaced:
        out.picked = unplaced[0]
        out.assumed = True
        out.how = (f"the snapshot does not say where {len(unplaced)} of the ready endpoints run: assumed one is on "
                   f"node {node}, where the controller pod runs")
        if proxy_mode != "ipvs":
            out.cases.append(_drop_case(node, svc))
    elif proxy_mode == "ipvs":
        out.picked = picked if picked is not None else (ready[0] if ready else None)
        out.fallback = True
        out.how = (f"none of the {len(ready)} ready endpoint(s) runs on node {node}; in IPVS mode the virtual server "
                   "then keeps every endpoint, so the controller pod still reaches one (dataplane#R69)")
    else:
        out.how = f"none of the {len(ready)} ready endpoint(s) runs on node {node}, where the controller pod runs"
    for other in client.nodes:
        if other == node:
            continue
        has_local = any(e.node == other for e in ready)
        if has_local != bool(out.local) and not out.fallback and not out.assumed and proxy_mode != "ipvs":
            out.cases.append(_works_case(other, svc) if has_local else _drop_case(other, svc))
    return out


def _drop_case(node: str | None, svc: str) -> dict[str, Any]:
    where = f"node {node}" if node else "a node"
    return {"node": node, "outcome": "timeout", "where": "backend",
            "reason": f"through a controller pod on {where} without a ready endpoint of {svc}, kube-proxy drops the "
                      "connection (internalTrafficPolicy Local, dataplane#R22) and the controller's connect times out"}


def _works_case(node: str, svc: str) -> dict[str, Any]:
    return {"node": node, "outcome": "forward", "where": "backend",
            "reason": f"through the controller pod on node {node}, which has a ready endpoint of {svc}, the "
                      "connection goes to that endpoint"}


__all__ = ["Locality", "localize"]
