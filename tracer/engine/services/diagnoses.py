"""Why a Service reference has no usable endpoint: missing Service, port mismatch, unresolved named port,
a selector that matches nothing (with its nearest misses), and the rest of the findings of a resolution."""

from __future__ import annotations

import difflib
from typing import Any

from ..k8s import selector as service_selector
from ..k8s import selector_matches
from ..result import Diagnosis
from ..snapshot import K8sObject
from .pods import NamespacePods, WorkloadsByNamespace
from .ports import describe_port
from .resolution import BackendResolution

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MAX_NEAR_MISSES = 3
MAX_NEAR_MISS_PODS = 2000  # candidates looked at per namespace: enough to find a near label set


def fmt_labels(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "(no labels)"


def missing_service(
    namespace: str, name: str, by_ns: dict[str, list[str]], by_name: dict[str, list[str]]
) -> Diagnosis:
    """SERVICE_MISSING, with similar names in the namespace and the same name in other namespaces."""
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


def port_mismatch(svc: K8sObject, ports: list[dict[str, Any]], port: int | str) -> Diagnosis:
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


def external_name_empty(res: BackendResolution, svc: K8sObject) -> Diagnosis:
    return Diagnosis(
        "EXTERNAL_NAME_EMPTY",
        "error",
        f"Service {res.namespace}/{res.service_name} is type ExternalName but has no spec.externalName.",
        "Set spec.externalName to the DNS name traffic should go to.",
        "dataplane#R6",
        [svc.ref()],
    )


def service_without_endpoints(res: BackendResolution, svc: K8sObject) -> Diagnosis:
    """A Service without a selector: only hand-written EndpointSlices/Endpoints give it endpoints (dataplane#R14)."""
    ns, name = res.namespace, res.service_name
    return Diagnosis(
        "SERVICE_WITHOUT_ENDPOINTS",
        "error",
        f"Service {ns}/{name} has no selector and the snapshot has no EndpointSlice "
        f"(label {SERVICE_NAME_LABEL}={name}) or Endpoints object for it.",
        "Add a selector matching the pods' labels, or create an EndpointSlice labelled "
        f"{SERVICE_NAME_LABEL}={name} (include it in the snapshot if it exists).",
        "dataplane#R14",
        [svc.ref()],
    )


def slice_port_unmatched(res: BackendResolution, want: str, unmatched: list[K8sObject]) -> Diagnosis:
    names = sorted({str(p.get("name") or "") for s in unmatched for p in s.body.get("ports") or []})
    return Diagnosis(
        "ENDPOINTSLICE_PORT_UNMATCHED",
        "error",
        f"EndpointSlice(s) of Service {res.namespace}/{res.service_name} have no port named "
        f"{want!r} (they have {', '.join(repr(n) for n in names) or 'no ports'}); kube-proxy "
        "joins Service and slice ports by name.",
        "Give the EndpointSlice port the same name as the Service port.",
        "dataplane#R12",
        [s.ref() for s in unmatched[:5]],
    )


def named_port(res: BackendResolution, target: str, missing: list[K8sObject], total: int) -> Diagnosis:
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


def no_ready_endpoints(res: BackendResolution, svc: K8sObject) -> Diagnosis:
    total = len(res.endpoints)
    detail = f"{total} endpoint(s), none ready" if total else "no endpoints"
    name = res.service_name
    return Diagnosis(
        "NO_READY_ENDPOINTS",
        "error",
        f"Service {res.namespace}/{name} port {res.port_number} has {detail}"
        + (f" ({'; '.join(res.notes)})" if res.notes else "")
        + ". kube-proxy rejects connections to it and ingress controllers answer 503.",
        "Check that the selected pods are Running and pass their readiness probes "
        "(kubectl get endpointslices -l kubernetes.io/service-name=" + name + ").",
        "dataplane#R21",
        [svc.ref(), *res.source_objects[:5]],
    )


def selector_matches_nothing(
    res: BackendResolution,
    svc: K8sObject,
    pods: dict[str, NamespacePods],
    workloads: WorkloadsByNamespace,
    *,
    only_if_nothing: bool,
) -> None:
    """Add SELECTOR_MATCHES_NOTHING with the nearest label sets. ``only_if_nothing``: not when the selector
    does match something (the endpoints came from slices or Endpoints that list none of it)."""
    selector = service_selector(svc)
    if not selector:
        return
    ns = res.namespace
    ns_pods = pods.get(ns)
    if only_if_nothing and (
        (ns_pods and ns_pods.select(selector))
        or any(selector_matches(selector, w.labels) for w in workloads.get(ns, []))
    ):
        return
    near = near_misses(ns, selector, ns_pods, workloads)
    msg = f"Service {ns}/{res.service_name} selector {fmt_labels(selector)} matches no Pod or workload in namespace {ns}"
    msg += f"; nearest: {'; '.join(near)}." if near else " (the namespace has no Pods or workloads in the snapshot)."
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


def near_misses(
    ns: str, selector: dict[str, str], ns_pods: NamespacePods | None, workloads: WorkloadsByNamespace
) -> list[str]:
    """The label sets in the namespace closest to the selector (most equal values, then most equal keys), and
    workloads in other namespaces that it would match."""
    scored: list[tuple[int, int, str]] = []
    seen_labels: set[tuple[tuple[str, str], ...]] = set()
    candidates: list[tuple[K8sObject, dict[str, str]]] = [(w.obj, w.labels) for w in workloads.get(ns, [])]
    if ns_pods:
        candidates += [(p.obj, p.labels) for p in ns_pods.pods[:MAX_NEAR_MISS_PODS]]
    for obj, labels in candidates:
        frozen = tuple(sorted(labels.items()))
        if frozen in seen_labels:
            continue
        seen_labels.add(frozen)
        same_value = sum(1 for k, v in selector.items() if labels.get(k) == v)
        same_key = sum(1 for k in selector if k in labels)
        if same_key == 0:
            continue
        scored.append((-same_value, -same_key, f"{obj.display()} has labels {fmt_labels(labels)}"))
    for other_ns, items in workloads.items():
        if other_ns == ns:
            continue
        for w in items:
            if selector_matches(selector, w.labels):
                scored.append((-len(selector) - 1, 0, f"{w.obj.display()} matches but is in namespace {other_ns}"))
                break
    scored.sort()
    return [text for _, _, text in scored[:MAX_NEAR_MISSES]]
