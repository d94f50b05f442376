"""Where a Service's endpoints come from, in order of trust: EndpointSlices, legacy Endpoints, Pods, the
workloads that will make pods (inferred), and finally one assumed endpoint (``assume_endpoints``)."""

from __future__ import annotations

from typing import Any

from ..k8s import as_int, selector_matches
from ..k8s import selector as service_selector
from ..result import Diagnosis
from ..snapshot import K8sObject
from .diagnoses import named_port, slice_port_unmatched
from .pods import PodRecord, Workload
from .ports import container_port
from .resolution import BackendResolution, Endpoint

TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})
MAX_INFERRED_REPLICAS = 10  # enough to show load balancing without flooding the trace
# status.reason that tracer.engine.faults writes on a Pod it made unready when the snapshot had no status for it
FAULT_REASON = "TracerFault"


def from_slices(res: BackendResolution, slices: list[K8sObject], sp: dict[str, Any]) -> None:
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
                slice_port = as_int(p.get("port"))
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
        res.diagnoses.append(slice_port_unmatched(res, want, unmatched))


def from_endpoints(res: BackendResolution, obj: K8sObject, sp: dict[str, Any]) -> None:
    want = str(sp.get("name") or "")
    res.source_objects.append(obj.ref())
    for subset in obj.body.get("subsets") or []:
        if not isinstance(subset, dict):
            continue
        port = None
        for p in subset.get("ports") or []:
            if isinstance(p, dict) and str(p.get("name") or "") == want:
                port = as_int(p.get("port"))
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


def from_pods(res: BackendResolution, pods: list[PodRecord], publish_not_ready: bool) -> None:
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
            port = container_port(list(pod.spec.get("containers") or []), str(target))
            if port is None:
                unresolved.append(pod)  # left out of this port's endpoints (dataplane#R10)
                continue
        node = pod.spec.get("nodeName")
        if not status or status.get("reason") == FAULT_REASON:
            # A manifest, not a dump: no IP or readiness yet; assume it will run and become ready (unless a
            # pod-not-ready fault says otherwise).
            ready = not status or publish_not_ready
            res.endpoints.append(Endpoint("", port, ready, pod.name, node, "inferred", [pod.ref()]))
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
        res.diagnoses.append(named_port(res, str(target), unresolved, len(pods)))


def from_workloads(res: BackendResolution, workloads: list[Workload]) -> None:
    """Endpoints the workloads' pods would be: no IP, assumed ready, marked inferred (dataplane#R65)."""
    target = res.target_port
    res.inferred = True
    unresolved: list[K8sObject] = []
    scaled_to_zero: list[str] = []
    run_to_completion: list[str] = []
    for rec in workloads:
        w = rec.obj
        res.source_objects.append(w.ref())
        if isinstance(target, int):
            port: int | None = target
        else:
            port = container_port(rec.containers, str(target))
            if port is None:
                unresolved.append(w)
                continue
        count = rec.replicas
        if count <= 0:
            scaled_to_zero.append(w.display())
            continue
        if rec.runs_to_completion:
            run_to_completion.append(w.display())
        for i in range(min(count, MAX_INFERRED_REPLICAS)):
            pod_name = f"{w.name}-{i}" if w.kind == "StatefulSet" else f"{w.name}-<replica {i + 1}>"
            res.endpoints.append(Endpoint("", port, True, pod_name, None, "inferred", [w.ref()]))
    if scaled_to_zero:
        res.notes.append(f"{', '.join(scaled_to_zero)} scaled to 0 replicas")
    if run_to_completion:
        res.notes.append(
            f"the pods of {', '.join(run_to_completion)} run to completion: they serve only while a run is "
            "active, and are gone (or Succeeded/Failed, so never endpoints) once it ends"
        )
    if unresolved:
        res.diagnoses.append(named_port(res, str(target), unresolved, len(workloads)))


def assume(res: BackendResolution, svc: K8sObject, workloads: list[Workload]) -> None:
    """assume_endpoints: one ready synthetic endpoint, replacing the 'no endpoints' findings (which stay, as
    info). ``workloads``: those of the Service's namespace, to resolve a named targetPort."""
    target = res.target_port
    port = target if isinstance(target, int) else None
    if port is None:
        port = next((e.port for e in res.endpoints if e.port is not None), None)
    if port is None and isinstance(target, str):
        selector = service_selector(svc)
        for w in workloads:
            if selector and selector_matches(selector, w.labels):
                port = container_port(w.containers, target)
                if port is not None:
                    break
    res.endpoints = [Endpoint("", port, True, None, None, "assumed", [svc.ref()])]
    res.assumed = True
    res.inferred = False
    res.diagnoses = [
        Diagnosis(d.code, "info", d.message + " (ignored: assume_endpoints is on)", d.fix, d.rule, d.objects)
        for d in res.diagnoses
    ]
