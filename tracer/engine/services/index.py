"""Everything a Service resolution needs from one snapshot, indexed once, with its memos.

One :class:`ServiceIndex` belongs to one compiled Engine (see ``EngineContext``): it holds the
EndpointSlices by Service, the Pods by namespace and label, the pod-making workloads, the memoised
resolutions and the memoised backend hops. Nothing here is shared between engines.
"""

from __future__ import annotations

from typing import Any

from ..k8s import GENERIC_POD_MAKER, POD_MAKERS, as_int, maker_template, pod_maker, selector_matches
from ..k8s import selector as service_selector
from ..snapshot import KNOWN_KINDS, K8sObject, Snapshot
from . import diagnoses, endpoints
from .networkpolicy import POLICY_GROUP
from .nodeplane import NodePlane, affected
from .peers import ControllerOrigin
from .pods import NamespacePods, PodRecord, Workload, WorkloadsByNamespace
from .ports import match_service_port, service_kind, service_ports
from .resolution import BackendResolution, Endpoint, HopMemo

PORT_MATCHES = ("service-port", "ingress-nginx")


class ServiceIndex:
    """Everything resolve_backend needs, indexed once per snapshot; resolutions and hops are memoised."""

    def __init__(self, snapshot: Snapshot, fault_drops: dict[str, str] | None = None) -> None:
        self.snapshot = snapshot
        # namespace -> label of a networkpolicy-deny-all fault on it (tracer.engine.faults); usually empty
        self.fault_drops = fault_drops or {}
        self.slices: dict[tuple[str, str], list[K8sObject]] = {}
        for s in snapshot.of_kind("EndpointSlice"):
            svc_name = s.labels.get(diagnoses.SERVICE_NAME_LABEL)
            if svc_name:
                self.slices.setdefault((s.namespace or "default", svc_name), []).append(s)
        self.pods: dict[str, NamespacePods] = {}
        for p in snapshot.of_kind("Pod"):
            self.pods.setdefault(p.namespace or "default", NamespacePods()).add(PodRecord(p))
        self.workloads: WorkloadsByNamespace = {}
        for w in _pod_makers(snapshot):
            self.workloads.setdefault(w.obj.namespace or "default", []).append(w)
        self._services_by_ns: dict[str, list[str]] | None = None
        self._services_by_name: dict[str, list[str]] | None = None
        self._cache: dict[tuple[str, str, int | str, bool, str], BackendResolution] = {}
        # Hops depend only on a memoised resolution, the picked endpoint, via and status: backend_hops builds
        # them once here and hands out copies.
        self.hop_memo: HopMemo = {}
        # Namespaces with NetworkPolicies: their resolutions go through the node plane, made on first need.
        self.policy_namespaces = {
            p.namespace or "default" for p in snapshot.of_kind("NetworkPolicy") if p.group == POLICY_GROUP
        }
        self._plane: NodePlane | None = None
        # The controller whose request is being routed: entry_hops sets it before the data plane routes, so the
        # node plane knows which controller pod opens the backend connection (None: a table routed on its own).
        self.origin: ControllerOrigin | None = None

    def _service_names(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        if self._services_by_ns is None or self._services_by_name is None:
            by_ns: dict[str, list[str]] = {}
            by_name: dict[str, list[str]] = {}
            for s in self.snapshot.of_kind("Service"):
                by_ns.setdefault(s.namespace or "default", []).append(s.name)
                by_name.setdefault(s.name, []).append(s.namespace or "default")
            self._services_by_ns, self._services_by_name = by_ns, by_name
        return self._services_by_ns, self._services_by_name

    # -- public --------------------------------------------------------------------------------

    def resolve(
        self, namespace: str, service_name: str, port: int | str, *, assume_endpoints: bool, port_match: str
    ) -> BackendResolution:
        # Callers may append to the lists; hand out copies so the memoised value stays intact.
        return self.resolve_shared(
            namespace, service_name, port, assume_endpoints=assume_endpoints, port_match=port_match
        ).copy()

    def resolve_shared(
        self, namespace: str, service_name: str, port: int | str, *, assume_endpoints: bool, port_match: str
    ) -> BackendResolution:
        """Like :meth:`resolve`, but the memoised resolution itself: callers must treat it as read-only."""
        key = (namespace, service_name, port, assume_endpoints, port_match)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._resolve(namespace, service_name, port, assume_endpoints, port_match)
            cached.memo_key = key
            if self.fault_drops:
                cached.fault_drop = self.fault_drops.get(namespace)
            svc = cached.service
            if svc is not None and affected(svc.spec, namespace, self.policy_namespaces):
                cached.node_plane = self.plane()
            cached.hop_memo = self.hop_memo
            self._cache[key] = cached
        return cached

    def plane(self) -> NodePlane:
        """The node plane (traffic policies, session affinity, NetworkPolicies), made on first use."""
        if self._plane is None:
            self._plane = NodePlane(self)
        return self._plane

    # -- resolution ----------------------------------------------------------------------------

    def _resolve(self, namespace: str, name: str, port: int | str, assume: bool, port_match: str) -> BackendResolution:
        svc = self.snapshot.get("Service", namespace, name)
        res = BackendResolution(
            namespace=namespace,
            service_name=name,
            requested_port=port,
            service=svc,
            service_port=None,
            port_number=None,
            kind="missing",
            external_name=None,
            endpoints=[],
            inferred=False,
            diagnoses=[],
        )
        if svc is None:
            res.diagnoses.append(diagnoses.missing_service(namespace, name, *self._service_names()))
            return res
        res.kind = service_kind(svc)
        ports = service_ports(svc)
        sp = match_service_port(ports, port, port_match)
        res.service_port = sp
        res.port_number = as_int(sp.get("port")) if sp else None
        if res.kind == "external-name":
            # No VIP, no endpoints, no kube-proxy rules: DNS answers with a CNAME (dataplane#R6).
            res.external_name = str(svc.spec.get("externalName") or "") or None
            target = res.target_port if sp else as_int(port)
            ext_port = target if isinstance(target, int) else res.port_number
            if res.external_name:
                res.endpoints.append(
                    Endpoint(res.external_name, ext_port, True, None, None, "external-name", [svc.ref()])
                )
            else:
                res.diagnoses.append(diagnoses.external_name_empty(res, svc))
            return res
        if sp is None:
            res.diagnoses.append(diagnoses.port_mismatch(svc, ports, port))
            return res
        self._collect_endpoints(res, svc, sp)
        if assume and not res.ready_endpoints():
            endpoints.assume(res, svc, self.workloads.get(namespace, []))
        elif not res.ready_endpoints() and not any(d.severity == "error" for d in res.diagnoses):
            # Only when no more specific error (selector, named port, slice ports) already explains it.
            res.diagnoses.append(diagnoses.no_ready_endpoints(res, svc))
        return res

    def _collect_endpoints(self, res: BackendResolution, svc: K8sObject, sp: dict[str, Any]) -> None:
        ns, name = res.namespace, res.service_name
        slices = self.slices.get((ns, name))
        if slices:
            endpoints.from_slices(res, slices, sp)
            if not res.endpoints:
                self._selector_diagnosis(res, svc, only_if_nothing=True)
            return
        legacy = self.snapshot.get("Endpoints", ns, name)
        if legacy is not None:
            endpoints.from_endpoints(res, legacy, sp)
            if not res.endpoints:
                self._selector_diagnosis(res, svc, only_if_nothing=True)
            return
        selector = service_selector(svc)
        if not selector:
            res.diagnoses.append(diagnoses.service_without_endpoints(res, svc))
            return
        pods = self.pods.get(ns)
        matched_pods = pods.select(selector) if pods else []
        if matched_pods:
            endpoints.from_pods(res, matched_pods, bool(svc.spec.get("publishNotReadyAddresses")))
            return
        workloads = [w for w in self.workloads.get(ns, []) if selector_matches(selector, w.labels)]
        if workloads:
            endpoints.from_workloads(res, workloads)
            return
        self._selector_diagnosis(res, svc, only_if_nothing=False)

    def _selector_diagnosis(self, res: BackendResolution, svc: K8sObject, *, only_if_nothing: bool) -> None:
        diagnoses.selector_matches_nothing(res, svc, self.pods, self.workloads, only_if_nothing=only_if_nothing)


def _pod_makers(snapshot: Snapshot) -> list[Workload]:
    """The snapshot's pod-making workloads (dataplane#R65): the listed kinds in table order, then other kinds
    with a pod template in snapshot order. One owned by another of them (a Deployment's or Rollout's
    ReplicaSets, a CronJob's Jobs) is left out: its owner already stands for these pods."""
    found = [
        Workload(obj, maker, maker_template(obj, maker, snapshot))
        for kind, maker in POD_MAKERS.items()
        for obj in snapshot.of_kind(kind)
        if obj.group in maker.groups
    ]
    for kind in snapshot.kinds():
        if kind in KNOWN_KINDS and kind not in POD_MAKERS:
            continue  # a modelled kind that makes no pods
        for obj in snapshot.of_kind(kind):
            if pod_maker(obj) is GENERIC_POD_MAKER:  # an unlisted kind, or a listed one of another API group
                found.append(Workload(obj, GENERIC_POD_MAKER, maker_template(obj, GENERIC_POD_MAKER, snapshot)))
    owners = {(w.obj.namespace, w.obj.kind, w.obj.name) for w in found if w.labels}
    return [w for w in found if not _owned_by(w.obj, owners)]


def _owned_by(obj: K8sObject, owners: set[tuple[str | None, str, str]]) -> bool:
    for ref in obj.metadata.get("ownerReferences") or []:
        if isinstance(ref, dict) and (obj.namespace, ref.get("kind"), ref.get("name")) in owners:
            return True
    return False


def resolve_backend(
    index: ServiceIndex,
    namespace: str,
    service_name: str,
    port: int | str,
    *,
    assume_endpoints: bool = False,
    port_match: str = "service-port",
) -> BackendResolution:
    """Resolve a route's Service reference to its port and endpoints (k8s-routing#C-4), memoised in ``index``;
    the caller gets a copy it may change."""
    if port_match not in PORT_MATCHES:
        raise ValueError(f"port_match must be 'service-port' or 'ingress-nginx', not {port_match!r}")
    return index.resolve(namespace, service_name, port, assume_endpoints=assume_endpoints, port_match=port_match)


__all__ = ["PORT_MATCHES", "ServiceIndex", "resolve_backend"]
