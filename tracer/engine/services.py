"""Service port resolution, endpoints and the backend hops every data plane shares.

Endpoints come, in order of trust, from EndpointSlices, legacy Endpoints, Pods, and finally from
workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet) when the snapshot holds only manifests;
the last are marked inferred. Rule ids cite docs/dataplane.md (``dataplane#Rnn``) and
docs/k8s-routing-spec.md (``k8s-routing#C-4``...).

Everything a request needs is indexed once per snapshot (:class:`ServiceIndex`) and resolutions
are memoised, because the benchmark routes thousands of requests per second against 10k Services
and 50k Pods.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import itertools
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from .result import Diagnosis, Hop
from .snapshot import K8sObject, Snapshot

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})
MAX_INFERRED_REPLICAS = 10  # enough to show load balancing without flooding the trace
MAX_NEAR_MISSES = 3


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
    memo_key: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)  # set by ServiceIndex
    # ready endpoints in kube-proxy order, computed on first use (see ready_in_order); copies start afresh
    _ready_order: list[Endpoint] | None = field(default=None, init=False, repr=False, compare=False)
    # backend_hops memo for this resolution: (id(picked), len(endpoints), via, status) -> (picked, hops)
    _hops: dict[tuple[Any, ...], tuple[Endpoint | None, list[Hop]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def copy(self) -> BackendResolution:
        """A copy whose lists can be changed without touching the memoised original."""
        return BackendResolution(
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
        )

    def ready_endpoints(self) -> list[Endpoint]:
        return [e for e in self.endpoints if e.ready]

    def ready_in_order(self) -> list[Endpoint]:
        """Ready endpoints in kube-proxy (IP:port) order, as :func:`pick_endpoint` sees them; computed once, so
        only for resolutions whose endpoints no longer change (the memoised ones from ``resolve_shared``)."""
        order = self._ready_order
        if order is None:
            order = self._ready_order = sorted((e for e in self.endpoints if e.ready), key=_order_key)
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
        return _as_int(tp) if _as_int(tp) is not None else str(tp)


# --- small helpers -------------------------------------------------------------------------------


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _fmt_labels(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "(no labels)"


def _selector(svc: K8sObject) -> dict[str, str]:
    sel = svc.spec.get("selector")
    if not isinstance(sel, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in sel.items()}


def _service_kind(svc: K8sObject) -> str:
    stype = str(svc.spec.get("type") or "ClusterIP")
    if stype == "ExternalName":
        return "external-name"
    if str(svc.spec.get("clusterIP") or "") == "None":
        return "headless"
    return {"NodePort": "node-port", "LoadBalancer": "load-balancer"}.get(stype, "cluster-ip")


def _ports(svc: K8sObject) -> list[dict[str, Any]]:
    return [p for p in svc.spec.get("ports") or [] if isinstance(p, dict)]


def describe_port(p: dict[str, Any]) -> str:
    """``80/http -> 8080`` style, for messages."""
    name = f"/{p['name']}" if p.get("name") else ""
    tp = p.get("targetPort")
    return f"{p.get('port')}{name}" + (f" -> {tp}" if tp not in (None, "", p.get("port")) else "")


def match_service_port(ports: list[dict[str, Any]], port: int | str, port_match: str) -> dict[str, Any] | None:
    """The spec.ports entry a route's port reference selects.

    ``service-port``: number == port, or name == name (k8s-routing#I-22, C-4). A digit string that
    names no port is tried as a number. ``ingress-nginx``: the first entry where port == N, or
    str(targetPort) == N, or name == N (ingress-nginx#6.2).
    """
    text = str(port)
    number = _as_int(port)
    if port_match == "ingress-nginx":
        for p in ports:
            if (number is not None and _as_int(p.get("port")) == number) or str(p.get("targetPort", "")) == text:
                return p
            if p.get("name") is not None and str(p.get("name")) == text:
                return p
        return None
    if isinstance(port, str):
        for p in ports:
            if str(p.get("name") or "") == port:
                return p
    if number is not None:
        for p in ports:
            if _as_int(p.get("port")) == number:
                return p
    return None


def _container_port(containers: list[Any], name: str) -> int | None:
    """Named port lookup across all containers of a pod (dataplane#R10)."""
    for c in containers:
        if not isinstance(c, dict):
            continue
        for p in c.get("ports") or []:
            if isinstance(p, dict) and str(p.get("name") or "") == name:
                return _as_int(p.get("containerPort"))
    return None


def _template(obj: K8sObject) -> dict[str, Any]:
    tpl = obj.spec.get("template")
    return tpl if isinstance(tpl, dict) else {}


def _template_labels(obj: K8sObject) -> dict[str, str]:
    labels = (_template(obj).get("metadata") or {}).get("labels") or {}
    return {str(k): "" if v is None else str(v) for k, v in labels.items()}


def _template_containers(obj: K8sObject) -> list[Any]:
    return list((_template(obj).get("spec") or {}).get("containers") or [])


def _replicas(obj: K8sObject) -> int:
    if obj.kind == "DaemonSet":
        return 1  # one per node; the node count is not in the snapshot, one stands for "some"
    raw = obj.spec.get("replicas")
    if raw is None:
        return 1  # API default
    value = _as_int(raw)
    return value if value is not None else 1


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def chain_suffix(text: str) -> str:
    """First 16 chars of base32(sha256(text)): the iptables chain hash (dataplane#R60)."""
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode()[:16]


def service_port_string(namespace: str, name: str, port_name: str | None) -> str:
    """``ns/svc:port`` or ``ns/svc`` for an unnamed port (dataplane#R59)."""
    return f"{namespace}/{name}:{port_name}" if port_name else f"{namespace}/{name}"


# --- the per-snapshot index ----------------------------------------------------------------------


class _PodRecord:
    __slots__ = ("labels", "obj")

    def __init__(self, obj: K8sObject) -> None:
        self.obj = obj
        self.labels = obj.labels


class _NamespacePods:
    """Pods of one namespace with an inverted label index, so a selector never scans every pod."""

    __slots__ = ("by_label", "pods")

    def __init__(self) -> None:
        self.pods: list[_PodRecord] = []
        self.by_label: dict[tuple[str, str], list[int]] = {}

    def add(self, rec: _PodRecord) -> None:
        idx = len(self.pods)
        self.pods.append(rec)
        for pair in rec.labels.items():
            self.by_label.setdefault(pair, []).append(idx)

    def select(self, selector: dict[str, str]) -> list[_PodRecord]:
        lists = []
        for pair in selector.items():
            hit = self.by_label.get(pair)
            if not hit:
                return []
            lists.append(hit)
        lists.sort(key=len)
        matched = set(lists[0])
        for other in lists[1:]:
            matched.intersection_update(other)
            if not matched:
                return []
        return [self.pods[i] for i in sorted(matched)]


_SERIALS = itertools.count(1)


class ServiceIndex:
    """Everything resolve_backend needs, indexed once per snapshot; resolutions are memoised."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.slices: dict[tuple[str, str], list[K8sObject]] = {}
        for s in snapshot.of_kind("EndpointSlice"):
            svc_name = s.labels.get(SERVICE_NAME_LABEL)
            if svc_name:
                self.slices.setdefault((s.namespace or "default", svc_name), []).append(s)
        self.pods: dict[str, _NamespacePods] = {}
        for p in snapshot.of_kind("Pod"):
            self.pods.setdefault(p.namespace or "default", _NamespacePods()).add(_PodRecord(p))
        deployments = {(d.namespace, d.name) for d in snapshot.of_kind("Deployment")}
        self.workloads: dict[str, list[tuple[K8sObject, dict[str, str]]]] = {}
        for kind in WORKLOAD_KINDS:
            for w in snapshot.of_kind(kind):
                if kind == "ReplicaSet" and self._owned_by_deployment(w, deployments):
                    continue  # its Deployment already stands for these pods
                self.workloads.setdefault(w.namespace or "default", []).append((w, _template_labels(w)))
        self._services_by_ns: dict[str, list[str]] | None = None
        self._services_by_name: dict[str, list[str]] | None = None
        self._cache: dict[tuple[str, str, int | str, bool, str], BackendResolution] = {}
        self.serial = next(_SERIALS)  # never reused, unlike id(), so memo keys cannot collide across snapshots

    @staticmethod
    def _owned_by_deployment(rs: K8sObject, deployments: set[tuple[str | None, str]]) -> bool:
        for ref in rs.metadata.get("ownerReferences") or []:
            if (
                isinstance(ref, dict)
                and ref.get("kind") == "Deployment"
                and (rs.namespace, ref.get("name")) in deployments
            ):
                return True
        return False

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
        key = (namespace, service_name, port, assume_endpoints, port_match)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._resolve(namespace, service_name, port, assume_endpoints, port_match)
            cached.memo_key = (self.serial, *key)
            self._cache[key] = cached
        # Callers may append to the lists; hand out copies so the memoised value stays intact.
        return cached.copy()

    def resolve_shared(
        self, namespace: str, service_name: str, port: int | str, *, assume_endpoints: bool, port_match: str
    ) -> BackendResolution:
        """Like :meth:`resolve`, but the memoised resolution itself: callers must treat it as read-only."""
        key = (namespace, service_name, port, assume_endpoints, port_match)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._resolve(namespace, service_name, port, assume_endpoints, port_match)
            cached.memo_key = (self.serial, *key)
            self._cache[key] = cached
        return cached

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
            res.diagnoses.append(self._missing(namespace, name))
            return res
        res.kind = _service_kind(svc)
        ports = _ports(svc)
        sp = match_service_port(ports, port, port_match)
        res.service_port = sp
        res.port_number = _as_int(sp.get("port")) if sp else None
        if res.kind == "external-name":
            # No VIP, no endpoints, no kube-proxy rules: DNS answers with a CNAME (dataplane#R6).
            res.external_name = str(svc.spec.get("externalName") or "") or None
            target = res.target_port if sp else _as_int(port)
            ext_port = target if isinstance(target, int) else res.port_number
            if res.external_name:
                res.endpoints.append(
                    Endpoint(res.external_name, ext_port, True, None, None, "external-name", [svc.ref()])
                )
            else:
                res.diagnoses.append(
                    Diagnosis(
                        "EXTERNAL_NAME_EMPTY",
                        "error",
                        f"Service {namespace}/{name} is type ExternalName but has no spec.externalName.",
                        "Set spec.externalName to the DNS name traffic should go to.",
                        "dataplane#R6",
                        [svc.ref()],
                    )
                )
            return res
        if sp is None:
            res.diagnoses.append(self._port_mismatch(svc, ports, port))
            return res
        self._collect_endpoints(res, svc, sp)
        if assume and not res.ready_endpoints():
            self._assume(res, svc)
        elif not res.ready_endpoints() and not any(d.severity == "error" for d in res.diagnoses):
            # Only when no more specific error (selector, named port, slice ports) already explains it.
            total = len(res.endpoints)
            detail = f"{total} endpoint(s), none ready" if total else "no endpoints"
            res.diagnoses.append(
                Diagnosis(
                    "NO_READY_ENDPOINTS",
                    "error",
                    f"Service {namespace}/{name} port {res.port_number} has {detail}"
                    + (f" ({'; '.join(res.notes)})" if res.notes else "")
                    + ". kube-proxy rejects connections to it and ingress controllers answer 503.",
                    "Check that the selected pods are Running and pass their readiness probes "
                    "(kubectl get endpointslices -l kubernetes.io/service-name=" + name + ").",
                    "dataplane#R21",
                    [svc.ref(), *res.source_objects[:5]],
                )
            )
        return res

    def _collect_endpoints(self, res: BackendResolution, svc: K8sObject, sp: dict[str, Any]) -> None:
        ns, name = res.namespace, res.service_name
        publish_not_ready = bool(svc.spec.get("publishNotReadyAddresses"))
        slices = self.slices.get((ns, name))
        if slices:
            self._from_slices(res, slices, sp)
            if not res.endpoints:
                self._selector_diagnosis(res, svc, only_if_nothing=True)
            return
        legacy = self.snapshot.get("Endpoints", ns, name)
        if legacy is not None:
            self._from_endpoints(res, legacy, sp)
            if not res.endpoints:
                self._selector_diagnosis(res, svc, only_if_nothing=True)
            return
        selector = _selector(svc)
        if not selector:
            # Without a selector only hand-written EndpointSlices/Endpoints give endpoints (dataplane#R14).
            res.diagnoses.append(
                Diagnosis(
                    "SERVICE_WITHOUT_ENDPOINTS",
                    "error",
                    f"Service {ns}/{name} has no selector and the snapshot has no EndpointSlice "
                    f"(label {SERVICE_NAME_LABEL}={name}) or Endpoints object for it.",
                    "Add a selector matching the pods' labels, or create an EndpointSlice labelled "
                    f"{SERVICE_NAME_LABEL}={name} (include it in the snapshot if it exists).",
                    "dataplane#R14",
                    [svc.ref()],
                )
            )
            return
        pods = self.pods.get(ns)
        matched_pods = pods.select(selector) if pods else []
        if matched_pods:
            self._from_pods(res, matched_pods, sp, publish_not_ready)
            return
        workloads = [w for w, labels in self.workloads.get(ns, []) if _matches(selector, labels)]
        if workloads:
            self._from_workloads(res, workloads, sp)
            return
        self._selector_diagnosis(res, svc, only_if_nothing=False)

    # -- endpoint sources ----------------------------------------------------------------------

    def _from_slices(self, res: BackendResolution, slices: list[K8sObject], sp: dict[str, Any]) -> None:
        # kube-proxy joins Service port and slice port by name; unnamed is "" (dataplane#R12).
        want = str(sp.get("name") or "")
        seen: set[tuple[str, int]] = set()
        unmatched: list[K8sObject] = []
        for s in sorted(slices, key=lambda o: o.name):
            res.source_objects.append(s.ref())
            body = s.body
            slice_port = None
            for p in body.get("ports") or []:
                if isinstance(p, dict) and str(p.get("name") or "") == want:
                    slice_port = _as_int(p.get("port"))
                    break
            eps = [e for e in body.get("endpoints") or [] if isinstance(e, dict)]
            if slice_port is None:
                if eps:
                    unmatched.append(s)
                continue
            for e in eps:
                addresses = e.get("addresses") or []
                if not addresses:
                    continue
                ip = str(addresses[0])  # kube-proxy uses the first address
                if (ip, slice_port) in seen:
                    continue
                seen.add((ip, slice_port))
                cond = e.get("conditions") or {}
                ready = cond.get("ready") is not False  # unset means ready (dataplane#R16)
                ref = e.get("targetRef") or {}
                pod_name = str(ref.get("name")) if ref.get("kind") == "Pod" and ref.get("name") else None
                res.endpoints.append(
                    Endpoint(ip, slice_port, ready, pod_name, e.get("nodeName"), "endpointslice", [s.ref()])
                )
        if unmatched and not res.endpoints:
            names = sorted({str(p.get("name") or "") for s in unmatched for p in s.body.get("ports") or []})
            res.diagnoses.append(
                Diagnosis(
                    "ENDPOINTSLICE_PORT_UNMATCHED",
                    "error",
                    f"EndpointSlice(s) of Service {res.namespace}/{res.service_name} have no port named "
                    f"{want!r} (they have {', '.join(repr(n) for n in names) or 'no ports'}); kube-proxy "
                    "joins Service and slice ports by name.",
                    "Give the EndpointSlice port the same name as the Service port.",
                    "dataplane#R12",
                    [s.ref() for s in unmatched[:5]],
                )
            )

    def _from_endpoints(self, res: BackendResolution, obj: K8sObject, sp: dict[str, Any]) -> None:
        want = str(sp.get("name") or "")
        res.source_objects.append(obj.ref())
        for subset in obj.body.get("subsets") or []:
            if not isinstance(subset, dict):
                continue
            port = None
            for p in subset.get("ports") or []:
                if isinstance(p, dict) and str(p.get("name") or "") == want:
                    port = _as_int(p.get("port"))
                    break
            if port is None:
                continue
            for field_name, ready in (("addresses", True), ("notReadyAddresses", False)):
                for a in subset.get(field_name) or []:
                    if not isinstance(a, dict) or not a.get("ip"):
                        continue
                    ref = a.get("targetRef") or {}
                    pod_name = str(ref.get("name")) if ref.get("kind") == "Pod" and ref.get("name") else None
                    res.endpoints.append(
                        Endpoint(str(a["ip"]), port, ready, pod_name, a.get("nodeName"), "endpoints", [obj.ref()])
                    )

    def _from_pods(
        self, res: BackendResolution, pods: list[_PodRecord], sp: dict[str, Any], publish_not_ready: bool
    ) -> None:
        target = res.target_port
        unresolved: list[K8sObject] = []
        skipped_terminal = skipped_no_ip = 0
        for rec in pods:
            pod = rec.obj
            res.source_objects.append(pod.ref())
            status = pod.status
            if str(status.get("phase") or "") in TERMINAL_PHASES:
                skipped_terminal += 1  # terminal pods are never endpoints (dataplane#R13)
                continue
            if isinstance(target, int):
                port: int | None = target
            else:
                port = _container_port(list(pod.spec.get("containers") or []), str(target))
                if port is None:
                    unresolved.append(pod)  # left out of this port's endpoints (dataplane#R10)
                    continue
            node = pod.spec.get("nodeName")
            if not status:
                # A manifest, not a dump: no IP or readiness yet; assume it will run and become ready.
                res.endpoints.append(Endpoint("", port, True, pod.name, node, "inferred", [pod.ref()]))
                res.inferred = True
                continue
            ip = str(status.get("podIP") or "")
            if not ip:
                skipped_no_ip += 1
                continue
            serving = any(
                isinstance(c, dict) and c.get("type") == "Ready" and str(c.get("status")) == "True"
                for c in status.get("conditions") or []
            )
            terminating = bool(pod.metadata.get("deletionTimestamp"))
            ready = publish_not_ready or (serving and not terminating)  # dataplane#R15
            res.endpoints.append(Endpoint(ip, port, ready, pod.name, node, "pod", [pod.ref()]))
        if skipped_terminal:
            res.notes.append(f"{skipped_terminal} pod(s) in phase Succeeded/Failed")
        if skipped_no_ip:
            res.notes.append(f"{skipped_no_ip} pod(s) without an IP yet")
        if unresolved:
            res.diagnoses.append(self._named_port(res, str(target), unresolved, len(pods)))

    def _from_workloads(self, res: BackendResolution, workloads: list[K8sObject], sp: dict[str, Any]) -> None:
        target = res.target_port
        res.inferred = True
        unresolved: list[K8sObject] = []
        scaled_to_zero: list[str] = []
        for w in workloads:
            res.source_objects.append(w.ref())
            if isinstance(target, int):
                port: int | None = target
            else:
                port = _container_port(_template_containers(w), str(target))
                if port is None:
                    unresolved.append(w)
                    continue
            count = _replicas(w)
            if count <= 0:
                scaled_to_zero.append(w.display())
                continue
            for i in range(min(count, MAX_INFERRED_REPLICAS)):
                pod_name = f"{w.name}-{i}" if w.kind == "StatefulSet" else f"{w.name}-<replica {i + 1}>"
                res.endpoints.append(Endpoint("", port, True, pod_name, None, "inferred", [w.ref()]))
        if scaled_to_zero:
            res.notes.append(f"{', '.join(scaled_to_zero)} scaled to 0 replicas")
        if unresolved:
            res.diagnoses.append(self._named_port(res, str(target), unresolved, len(workloads)))

    def _assume(self, res: BackendResolution, svc: K8sObject) -> None:
        """assume_endpoints: one ready synthetic endpoint, replacing the 'no endpoints' findings."""
        target = res.target_port
        port = target if isinstance(target, int) else None
        if port is None:
            port = next((e.port for e in res.endpoints if e.port is not None), None)
        if port is None and isinstance(target, str):
            for w, labels in self.workloads.get(res.namespace, []):
                if _selector(svc) and _matches(_selector(svc), labels):
                    port = _container_port(_template_containers(w), target)
                    if port is not None:
                        break
        res.endpoints = [Endpoint("", port, True, None, None, "assumed", [svc.ref()])]
        res.assumed = True
        res.inferred = False
        res.diagnoses = [
            Diagnosis(d.code, "info", d.message + " (ignored: assume_endpoints is on)", d.fix, d.rule, d.objects)
            for d in res.diagnoses
        ]

    # -- diagnoses -----------------------------------------------------------------------------

    def _missing(self, namespace: str, name: str) -> Diagnosis:
        by_ns, by_name = self._service_names()
        hints = []
        close = difflib.get_close_matches(name, by_ns.get(namespace, []), n=3, cutoff=0.6)
        if close:
            hints.append(f"similar Services in {namespace}: {', '.join(close)}")
        others = sorted(n for n in by_name.get(name, []) if n != namespace)
        if others:
            hints.append(
                f"a Service named {name} exists in namespace(s) {', '.join(others[:5])}; backends must be in "
                "the route's namespace"
            )
        msg = f"Service {namespace}/{name} does not exist in the snapshot"
        msg += f" ({'; '.join(hints)})." if hints else "."
        fix = (
            f"Point the backend at {close[0]}, or create Service {namespace}/{name}."
            if close
            else f"Create Service {namespace}/{name}, or include it in the snapshot."
        )
        return Diagnosis("SERVICE_MISSING", "error", msg, fix, "k8s-routing#C-4")

    def _port_mismatch(self, svc: K8sObject, ports: list[dict[str, Any]], port: int | str) -> Diagnosis:
        listed = ", ".join(describe_port(p) for p in ports) or "none"
        what = f"port {port}" if isinstance(port, int) else f"port named {port!r}"
        if ports:
            first = ports[0]
            example = f"name {first['name']!r}" if first.get("name") else f"number {first.get('port')}"
            fix = f"Reference one of the Service's ports (e.g. {example}), or add the port to the Service."
        else:
            fix = "Add a ports entry to the Service."
        return Diagnosis(
            "SERVICE_PORT_MISMATCH",
            "error",
            f"Service {svc.namespace}/{svc.name} has no {what}; its ports are: {listed}. "
            "Routes reference the Service port (spec.ports[].port or name), not the targetPort.",
            fix,
            "k8s-routing#I-22",
            [svc.ref()],
        )

    def _named_port(self, res: BackendResolution, target: str, missing: list[K8sObject], total: int) -> Diagnosis:
        severity = "error" if not res.endpoints else "warning"
        names = ", ".join(o.display() for o in missing[:5])
        return Diagnosis(
            "NAMED_PORT_UNRESOLVED",
            severity,
            f"Service {res.namespace}/{res.service_name} targetPort {target!r} names a container port that "
            f"{len(missing)} of {total} selected pod(s)/workload(s) do not declare ({names}); those pods are "
            "left out of the endpoints.",
            f"Add a container port named {target!r} to the pod template, or set targetPort to the number.",
            "dataplane#R10",
            [o.ref() for o in missing[:5]],
        )

    def _selector_diagnosis(self, res: BackendResolution, svc: K8sObject, *, only_if_nothing: bool) -> None:
        selector = _selector(svc)
        if not selector:
            return
        ns = res.namespace
        pods = self.pods.get(ns)
        if only_if_nothing and (
            (pods and pods.select(selector))
            or any(_matches(selector, labels) for _, labels in self.workloads.get(ns, []))
        ):
            return
        near = self._near_misses(ns, selector)
        sel = _fmt_labels(selector)
        msg = f"Service {ns}/{res.service_name} selector {sel} matches no Pod or workload in namespace {ns}"
        msg += (
            f"; nearest: {'; '.join(near)}." if near else " (the namespace has no Pods or workloads in the snapshot)."
        )
        res.diagnoses.append(
            Diagnosis(
                "SELECTOR_MATCHES_NOTHING",
                "error",
                msg,
                "Make spec.selector equal to labels the pod template actually carries "
                "(compare with kubectl get pods --show-labels).",
                "dataplane#R13",
                [svc.ref()],
            )
        )

    def _near_misses(self, ns: str, selector: dict[str, str]) -> list[str]:
        scored: list[tuple[int, int, str]] = []
        seen_labels: set[tuple[tuple[str, str], ...]] = set()
        candidates: list[tuple[K8sObject, dict[str, str]]] = list(self.workloads.get(ns, []))
        pods = self.pods.get(ns)
        if pods:
            candidates += [(p.obj, p.labels) for p in pods.pods[:2000]]
        for obj, labels in candidates:
            frozen = tuple(sorted(labels.items()))
            if frozen in seen_labels:
                continue
            seen_labels.add(frozen)
            same_value = sum(1 for k, v in selector.items() if labels.get(k) == v)
            same_key = sum(1 for k in selector if k in labels)
            if same_key == 0:
                continue
            scored.append((-same_value, -same_key, f"{obj.display()} has labels {_fmt_labels(labels)}"))
        # Also say when the labels exist, but in another namespace.
        for other_ns, items in self.workloads.items():
            if other_ns == ns:
                continue
            for obj, labels in items:
                if _matches(selector, labels):
                    scored.append((-len(selector) - 1, 0, f"{obj.display()} matches but is in namespace {other_ns}"))
                    break
        scored.sort()
        return [text for _, _, text in scored[:MAX_NEAR_MISSES]]


# --- per-snapshot cache --------------------------------------------------------------------------

# Snapshot is an unhashable slots dataclass without __weakref__, so a WeakKeyDictionary cannot hold
# it; a small LRU keyed on id() (and checked by identity) keeps the last few snapshots' indexes.
_INDEXES: OrderedDict[int, tuple[Snapshot, ServiceIndex]] = OrderedDict()
_MAX_INDEXES = 8


def service_index(snapshot: Snapshot) -> ServiceIndex:
    entry = _INDEXES.get(id(snapshot))
    if entry is not None and entry[0] is snapshot:
        _INDEXES.move_to_end(id(snapshot))
        return entry[1]
    index = ServiceIndex(snapshot)
    _INDEXES[id(snapshot)] = (snapshot, index)
    while len(_INDEXES) > _MAX_INDEXES:
        _INDEXES.popitem(last=False)
    return index


def resolve_backend(
    snapshot: Snapshot,
    namespace: str,
    service_name: str,
    port: int | str,
    *,
    assume_endpoints: bool = False,
    port_match: str = "service-port",
) -> BackendResolution:
    """Resolve a route's Service reference to its port and endpoints (k8s-routing#C-4)."""
    if port_match not in ("service-port", "ingress-nginx"):
        raise ValueError(f"port_match must be 'service-port' or 'ingress-nginx', not {port_match!r}")
    return service_index(snapshot).resolve(
        namespace, service_name, port, assume_endpoints=assume_endpoints, port_match=port_match
    )


def _order_key(e: Endpoint) -> tuple[str, str]:
    return (e.address if e.ip else "", e.pod_name or "")


def pick_endpoint(endpoints: list[Endpoint], seed: int | None, key: str) -> Endpoint | None:
    """Pick one ready endpoint: the first in kube-proxy order (dataplane#R19) without a seed, else a
    deterministic choice from (seed, key)."""
    ready = [e for e in endpoints if e.ready]
    if not ready:
        return None
    ready.sort(key=_order_key)
    return pick_ordered(ready, seed, key)


def pick_ordered(ready: list[Endpoint], seed: int | None, key: str) -> Endpoint | None:
    """:func:`pick_endpoint` over endpoints that are already the ready ones, in order."""
    if not ready:
        return None
    if seed is None or len(ready) == 1:
        return ready[0]
    digest = hashlib.sha256(f"{seed}\x00{key}".encode()).digest()
    return ready[int.from_bytes(digest[:8], "big") % len(ready)]


# --- hops ----------------------------------------------------------------------------------------


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
    ports = _ports(svc)
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
        summary += f"; picked {picked.address if picked.ip else 'port ' + str(picked.port)}"
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
                for e in sorted(res.endpoints, key=_order_key)[:20]
            ],
            "notes": res.notes,
        },
        rules=rules,
        confidence=_confidence(res),
    )


def _pod_hop(res: BackendResolution, picked: Endpoint, status: int | None) -> Hop:
    pod_name = picked.pod_name or "(pod)"
    where = f"{picked.ip}:{picked.port}" if picked.ip else f"port {picked.port}"
    if picked.source == "assumed":
        summary = f"an assumed pod of Service {res.namespace}/{res.service_name} on {where}"
    elif picked.source == "inferred":
        summary = f"pod {pod_name} ({where}, inferred: the snapshot has no pod status)"
    else:
        summary = f"pod {pod_name} {where}" + (f" on node {picked.node}" if picked.node else "")
    target = res.target_port
    if isinstance(target, str):
        summary += f"; container port {target!r} = {picked.port}"
    return Hop(
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


# Hops depend only on the (memoised) resolution, the picked endpoint, via and status, so they are built
# once and copied per request; the memo is cleared when it grows past a bound.
_HOP_MEMO: dict[tuple[Any, ...], list[Hop]] = {}
_HOP_MEMO_MAX = 50_000
_LOCAL_HOP_MEMO_MAX = 64  # per resolution: endpoints x statuses x via


def _copy_hop(h: Hop) -> Hop:
    # [*x] / {**x} copy without the global look-up and call of list() / dict(): this runs ~3 times per route.
    return Hop(
        h.component,
        h.name,
        h.summary,
        h.outcome,
        h.status,
        [*h.objects],
        h.decision,
        [*h.near_misses],
        {**h.changes},
        {**h.details},
        [*h.rules],
        h.confidence,
    )


def backend_hops(res: BackendResolution, picked: Endpoint | None, *, via: str, status: int | None) -> list[Hop]:
    """Service hop, (kube-proxy hop), Endpoints hop and Pod hop for a resolved backend.

    ``via="direct"``: the controller connects to the pod itself (the Service hop is discovery only,
    dataplane#R31). ``via="cluster-ip"``: through the VIP, so a kube-proxy hop is included (none for
    headless or ExternalName Services, dataplane#R6/R7). Every hop carries ``status``; the last hop is
    where the request ends (a pod that responds, or the lookup that failed).
    """
    if res.memo_key is None:
        return _backend_hops(res, picked, via=via, status=status)
    # Fast path: a memo on the resolution object itself, keyed by the picked endpoint's identity.
    local = res._hops
    if local is None:
        local = res._hops = {}
    local_key = (id(picked), len(res.endpoints), via, status)
    entry = local.get(local_key)
    if entry is not None and entry[0] is picked:
        return [_copy_hop(h) for h in entry[1]]
    pick_id = None if picked is None else (picked.ip, picked.port, picked.pod_name, picked.source)
    key = (res.memo_key, len(res.endpoints), pick_id, via, status)
    hops = _HOP_MEMO.get(key)
    if hops is None:
        hops = _backend_hops(res, picked, via=via, status=status)
        if len(_HOP_MEMO) >= _HOP_MEMO_MAX:
            _HOP_MEMO.clear()
        _HOP_MEMO[key] = hops
    if len(local) < _LOCAL_HOP_MEMO_MAX:
        local[local_key] = (picked, hops)
    return [_copy_hop(h) for h in hops]


def _backend_hops(res: BackendResolution, picked: Endpoint | None, *, via: str, status: int | None) -> list[Hop]:
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


__all__ = [
    "BackendResolution",
    "Endpoint",
    "ServiceIndex",
    "backend_hops",
    "chain_suffix",
    "describe_port",
    "match_service_port",
    "pick_endpoint",
    "pick_ordered",
    "resolve_backend",
    "service_index",
    "service_port_string",
]
