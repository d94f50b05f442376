"""What a route's Service reference resolves to: the Service, its matched port, and its endpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..k8s import as_int
from ..result import Diagnosis, Hop
from ..snapshot import K8sObject

if TYPE_CHECKING:
    from .nodeplane import NodePlane

# The hops memo of one ServiceIndex (see backend_hops): (memo key, endpoints, picked, via, status) -> hops.
HopMemo = dict[tuple[Any, ...], list[Hop]]


@dataclass(slots=True)
class Endpoint:
    ip: str
    port: int | None
    ready: bool
    pod_name: str | None
    node: str | None
    source: str
    objects: list[dict[str, Any]] = field(default_factory=list)

    @property
    def address(self) -> str:
        """``IP:port`` as kube-proxy writes it (IPv6 in brackets, dataplane#R59)."""
        ip = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"{ip}:{self.port if self.port is not None else '?'}"


def order_key(e: Endpoint) -> tuple[str, str]:
    """kube-proxy's endpoint order: by ``IP:port`` as a string (dataplane#R19)."""
    return (e.address if e.ip else "", e.pod_name or "")


@dataclass(slots=True)
class BackendResolution:
    namespace: str
    service_name: str
    requested_port: int | str
    service: K8sObject | None
    service_port: dict[str, Any] | None
    port_number: int | None
    kind: str
    external_name: str | None
    endpoints: list[Endpoint]
    inferred: bool
    diagnoses: list[Diagnosis]
    assumed: bool = False
    source_objects: list[dict[str, Any]] = field(default_factory=list)  # slices/pods/workloads consulted
    notes: list[str] = field(default_factory=list)
    # Set by the ServiceIndex that memoised this resolution: its key there, and that index's hops memo.
    memo_key: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)
    hop_memo: HopMemo | None = field(default=None, repr=False, compare=False)
    # A networkpolicy-deny-all fault on the namespace (tracer.engine.faults): its label, shown on the pod hop.
    fault_drop: str | None = None
    # The index's node plane when the Service or its namespace uses traffic policies, session affinity or
    # NetworkPolicies (tracer.engine.services.nodeplane); None for every other resolution.
    node_plane: NodePlane | None = field(default=None, repr=False, compare=False)
    # ready endpoints in kube-proxy order, computed on first use (see ready_in_order); copies start afresh
    _ready_order: list[Endpoint] | None = field(default=None, init=False, repr=False, compare=False)
    # backend_hops memo for this resolution: (id(picked), len(endpoints), via, status) -> (picked, hops)
    _hops: dict[tuple[Any, ...], tuple[Endpoint | None, list[Hop]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def copy(self) -> BackendResolution:
        """A copy whose lists can be changed without touching the memoised original."""
        copied = BackendResolution(
            self.namespace,
            self.service_name,
            self.requested_port,
            self.service,
            self.service_port,
            self.port_number,
            self.kind,
            self.external_name,
            list(self.endpoints),
            self.inferred,
            list(self.diagnoses),
            self.assumed,
            list(self.source_objects),
            list(self.notes),
            self.memo_key,
            self.hop_memo,
        )
        copied.fault_drop = self.fault_drop
        copied.node_plane = self.node_plane
        return copied

    def ready_endpoints(self) -> list[Endpoint]:
        return [e for e in self.endpoints if e.ready]

    def ready_in_order(self) -> list[Endpoint]:
        """Ready endpoints in kube-proxy (IP:port) order, as :func:`pick_endpoint` sees them; computed once, so
        only for resolutions whose endpoints no longer change (the memoised ones from ``resolve_shared``)."""
        order = self._ready_order
        if order is None:
            order = self._ready_order = sorted((e for e in self.endpoints if e.ready), key=order_key)
        return order

    def ok(self) -> bool:
        if self.service is None:
            return False
        if self.kind == "external-name":
            return bool(self.external_name)
        return self.service_port is not None and any(e.ready for e in self.endpoints)

    @property
    def target_port(self) -> int | str | None:
        """The Service port's targetPort as written (defaults to ``port``, dataplane#R9)."""
        if self.service_port is None:
            return None
        tp = self.service_port.get("targetPort")
        if tp is None or tp == "":
            return self.port_number
        number = as_int(tp)
        return number if number is not None else str(tp)
