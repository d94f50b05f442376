"""Who opens the connections to backends: the controller pod that got the request, as a Service and a
NetworkPolicy see it (namespace, labels, pod IP and node; a hostNetwork pod's IP is its node's).

Each controller installation's entry plan owns one :class:`ControllerOrigin`; ``entry_hops`` sets it on the
Engine's ServiceIndex before the data plane routes the request, so the backend hops of that request are those
of that controller. A route table compiled on its own has no origin, and the controller is then unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..k8s import template_labels
from ..snapshot import K8sObject


@dataclass(slots=True)
class ControllerOrigin:
    """What the entry knows about the controller of one installation (built once by ``plan_entry``)."""

    workload: K8sObject | None
    service: K8sObject | None
    host_network: bool
    host_entry: bool  # hostNetwork or hostPort: clients land on a node running the controller, no Service
    entry_node: str | None  # the node a host entry lands on (the first node with an address)
    proxy_mode: str
    # externalTrafficPolicy Local only: the node this request landed on, set per request by entry_hops.
    landing: str | None = None


@dataclass(slots=True)
class ControllerPod:
    name: str | None
    ip: str | None
    node: str | None


@dataclass(slots=True)
class ControllerClient:
    """The controller as the source of a backend connection."""

    name: str  # for text: "Deployment ingress-nginx/ingress-nginx-controller" or "the controller"
    namespace: str | None
    labels: dict[str, str] | None  # its pods' labels; None when the snapshot has no controller workload
    host_network: bool
    pod: ControllerPod  # the controller pod this request went through (fields None when unknown)
    nodes: list[str]  # every node a controller pod of the snapshot runs on, sorted
    why: str  # how the pod was chosen, for text
    objects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def known(self) -> bool:
        return self.labels is not None

    def source_phrase(self) -> str:
        """The connection's source in words."""
        if self.labels is None:
            return self.name
        if self.host_network:
            where = f"node {self.pod.node}" if self.pod.node else "its node"
            ip = f" ({self.pod.ip})" if self.pod.ip else ""
            return f"{self.name} (hostNetwork: the connection comes from {where}{ip})"
        pod = f"pod {self.pod.name}" if self.pod.name else "a controller pod"
        ip = f" {self.pod.ip}" if self.pod.ip else ""
        ns = f" in namespace {self.namespace}" if self.namespace else ""
        return f"{self.name} ({pod}{ip}{ns})"


def unknown_client() -> ControllerClient:
    return ControllerClient("the controller (not in the snapshot)", None, None, False, ControllerPod(None, None, None),
                            [], "the snapshot does not show the controller's pods")


def controller_labels(origin: ControllerOrigin) -> dict[str, str] | None:
    return template_labels(origin.workload) if origin.workload is not None else None


__all__ = ["ControllerClient", "ControllerOrigin", "ControllerPod", "controller_labels", "unknown_client"]
