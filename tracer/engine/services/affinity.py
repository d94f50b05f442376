"""sessionAffinity: ClientIP on a backend Service, as kube-proxy applies it and as a controller in front of it
changes it (dataplane#R68, R35, R36, R31).

kube-proxy keys the affinity on the source address it sees. Behind an ingress controller that source is the
controller pod (or its node, for a hostNetwork controller), never the browser; and a controller that connects
to pod IPs itself (ingress-nginx without service-upstream) bypasses kube-proxy, so the setting does nothing.
"""

from __future__ import annotations

from typing import Any

from ..k8s import as_int
from ..snapshot import K8sObject
from .peers import ControllerClient

# spec.sessionAffinityConfig.clientIP.timeoutSeconds when unset: 3 hours (the Service API reference).
DEFAULT_TIMEOUT = 10800


def client_ip_timeout(svc: K8sObject | None) -> int | None:
    """The affinity timeout in seconds when the Service has ``sessionAffinity: ClientIP``, else None."""
    if svc is None or svc.spec.get("sessionAffinity") != "ClientIP":
        return None
    config = svc.spec.get("sessionAffinityConfig")
    client = config.get("clientIP") if isinstance(config, dict) else None
    seconds = as_int(client.get("timeoutSeconds")) if isinstance(client, dict) else None
    return seconds if seconds else DEFAULT_TIMEOUT


def seen_source(client: ControllerClient) -> str:
    """The address kube-proxy keys the affinity on, in words."""
    if client.host_network:
        node = f"node {client.pod.node}'s address" if client.pod.node else "its node's address"
        return f"{node}{' ' + client.pod.ip if client.pod.ip else ''} (a hostNetwork controller)"
    if client.pod.ip:
        return f"the controller pod's IP {client.pod.ip}" + (f" ({client.pod.name})" if client.pod.name else "")
    return "the controller pod's IP"


def through_kube_proxy(seconds: int, sep_chain: str, client: ControllerClient) -> str:
    """The kube-proxy hop's addition with service-upstream: the recent-match rule and whose address it keys on."""
    return (f"; sessionAffinity ClientIP: -m recent --name {sep_chain} --rcheck --seconds {seconds} --reap sends "
            f"the same source address to this endpoint for {seconds} s after its last connection. The source "
            f"kube-proxy sees is {seen_source(client)}, not the browser's, so every browser whose requests go "
            "through that controller pod sticks to the same endpoint")


def bypassed(seconds: int) -> str:
    """The Service hop's addition when the controller connects to pods directly."""
    return (f"; sessionAffinity ClientIP ({seconds} s) is not applied: it lives in kube-proxy's rules, and the "
            "controller connects to the pod itself")


def facts(seconds: int, client: ControllerClient, *, applied: bool) -> dict[str, Any]:
    return {"type": "ClientIP", "timeoutSeconds": seconds, "applied": applied,
            "sourceSeen": (client.pod.ip if applied else None), "controller": client.name}


__all__ = ["DEFAULT_TIMEOUT", "bypassed", "client_ip_timeout", "facts", "seen_source", "through_kube_proxy"]
