"""Applying faults to a snapshot: a derived snapshot with the objects as they are right after each event.

The original snapshot is never changed: an object a fault changes is deep-copied first. What the data
plane cannot see in objects (flushed node rules, a deny-all policy being enforced, a controller that does
not listen) is left to the hops, which read the Fault documents the derived snapshot carries.
"""

from __future__ import annotations

import copy
from typing import Any

from ..k8s import WORKLOAD_KINDS, selector, selector_matches, template_labels
from ..services.diagnoses import SERVICE_NAME_LABEL
from ..services.endpoints import FAULT_REASON
from ..snapshot import K8sObject, Snapshot, Source
from .model import API_VERSION, KIND, OPTION_SOURCE, Fault, document_faults, parse_option

DENY_ALL_POLICY = "tracer-fault-deny-all"


class _Derivation:
    """The objects of the derived snapshot, copied on first change."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.changed: dict[int, dict[str, Any]] = {}
        self.added: list[K8sObject] = []
        self.notes: list[str] = []

    def body(self, obj: K8sObject) -> dict[str, Any]:
        body = self.changed.get(id(obj))
        if body is None:
            body = self.changed[id(obj)] = copy.deepcopy(obj.body)
        return body

    def add(self, body: dict[str, Any], fault: Fault) -> None:
        meta = body["metadata"]
        if self.snapshot.get(body["kind"], meta.get("namespace"), meta["name"]) is None and all(
            (o.kind, o.namespace, o.name) != (body["kind"], meta.get("namespace"), meta["name"]) for o in self.added
        ):
            source = Source(fault.file or OPTION_SOURCE, fault.document or 0, fault.line or 1)
            self.added.append(K8sObject(body, source))

    def result(self, option: list[Fault]) -> Snapshot:
        objects = [
            K8sObject(self.changed[id(o)], o.source) if id(o) in self.changed else o for o in self.snapshot.objects
        ]
        for i, f in enumerate(option):
            spec: dict[str, Any] = {"kind": f.kind, **_target(f)}
            if f.after_seconds is not None:
                spec["afterSeconds"] = f.after_seconds
            body = {"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": f"faults-option-{i}"}, "spec": spec}
            objects.append(K8sObject(body, Source(OPTION_SOURCE, i, 1)))
        return Snapshot.from_objects([*objects, *self.added], self.snapshot.warnings)


def _target(f: Fault) -> dict[str, str]:
    if f.kind in ("pod-not-ready", "endpoint-removed"):
        return {"pod" if f.kind == "pod-not-ready" else "service": f"{f.namespace}/{f.name}"}
    if f.kind == "networkpolicy-deny-all":
        return {"namespace": str(f.namespace)}
    if f.kind == "node-rules-flushed":
        return {"node": str(f.name)}
    return {}


def apply_faults(snapshot: Snapshot, faults: list[dict[str, Any]]) -> tuple[Snapshot, list[str]]:
    """A derived snapshot with the option's faults and the snapshot's Fault documents applied, and one note
    per fault for the trace warnings. Without faults the snapshot itself comes back."""
    option = parse_option(faults)
    every = option + document_faults(snapshot)
    if not every:
        return snapshot, []
    d = _Derivation(snapshot)
    for f in every:
        if f.kind == "pod-not-ready":
            _pod_not_ready(d, f)
        elif f.kind == "endpoint-removed":
            _endpoint_removed(d, f)
        elif f.kind == "controller-down":
            _controller_down(d, f)
        elif f.kind == "networkpolicy-deny-all":
            _deny_all(d, f)
        else:
            _node_flushed(d, f)
        if f.after_seconds and f.kind != "node-rules-flushed":
            d.notes.append(f"{f.label}: afterSeconds changes nothing for this kind; the trace shows the state "
                           "right after the event")
    return d.result(option), d.notes


def _set_unready(d: _Derivation, pod: K8sObject) -> None:
    body = d.body(pod)
    status = body.get("status")
    if not isinstance(status, dict) or not status:
        body["status"] = {"reason": FAULT_REASON, "conditions": [{"type": "Ready", "status": "False"}]}
        return
    conditions = [c for c in status.get("conditions") or [] if not (isinstance(c, dict) and c.get("type") == "Ready")]
    status["conditions"] = [*conditions, {"type": "Ready", "status": "False", "reason": FAULT_REASON}]


def _unready_in_endpoints(d: _Derivation, namespace: str, pods: set[str]) -> list[str]:
    """Mark the pods' entries not ready in the namespace's EndpointSlices and Endpoints; the objects changed."""
    touched = []
    for s in d.snapshot.of_kind("EndpointSlice", namespace):
        hit = [e for e in s.body.get("endpoints") or [] if isinstance(e, dict) and _pod_ref(e) in pods]
        if not hit:
            continue
        for e in d.body(s).get("endpoints") or []:
            if isinstance(e, dict) and _pod_ref(e) in pods:
                e["conditions"] = {**(e.get("conditions") or {}), "ready": False, "serving": False}
        touched.append(f"EndpointSlice {namespace}/{s.name}")
    legacy = d.snapshot.of_kind("Endpoints", namespace)
    for ep in legacy:
        if not any(_pod_ref(a) in pods for sub in ep.body.get("subsets") or [] if isinstance(sub, dict)
                   for a in sub.get("addresses") or [] if isinstance(a, dict)):
            continue
        for sub in d.body(ep).get("subsets") or []:
            if not isinstance(sub, dict):
                continue
            moved = [a for a in sub.get("addresses") or [] if isinstance(a, dict) and _pod_ref(a) in pods]
            sub["addresses"] = [a for a in sub.get("addresses") or [] if a not in moved]
            sub["notReadyAddresses"] = [*(sub.get("notReadyAddresses") or []), *moved]
        touched.append(f"Endpoints {namespace}/{ep.name}")
    return touched


def _pod_ref(entry: dict[str, Any]) -> str | None:
    ref = entry.get("targetRef") or {}
    return str(ref.get("name")) if isinstance(ref, dict) and ref.get("kind") == "Pod" and ref.get("name") else None


def _pod_not_ready(d: _Derivation, f: Fault) -> None:
    ns, name = str(f.namespace), str(f.name)
    pod = d.snapshot.get("Pod", ns, name)
    if pod is not None:
        _set_unready(d, pod)
    touched = _unready_in_endpoints(d, ns, {name})
    if pod is None and not touched:
        why = "the snapshot has no Pod of that name and no EndpointSlice or Endpoints entry refers to it"
        if not d.snapshot.of_kind("Pod", ns):
            why += f"; namespace {ns} has no Pods at all, so its endpoints are inferred from workloads, whose " \
                   "pods have no names yet (use endpoint-removed on the Service instead)"
        d.notes.append(f"{f.label} cannot apply: {why}")
        return
    where = ", ".join(touched) if touched else "its Services' endpoints computed from Pods"
    d.notes.append(f"{f.label}: the Pod's Ready condition is False, so it is not a ready endpoint ({where}; "
                   "dataplane#R15)")


def _empty_slice(svc: K8sObject, reason: str) -> dict[str, Any]:
    return {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": f"{svc.name}-{reason}", "namespace": svc.namespace,
                     "labels": {SERVICE_NAME_LABEL: svc.name}},
        "addressType": "IPv4", "endpoints": [], "ports": [],
    }


def _endpoint_removed(d: _Derivation, f: Fault) -> None:
    ns, name = str(f.namespace), str(f.name)
    svc = d.snapshot.get("Service", ns, name)
    if svc is None:
        raise f.error("service", f"Service {ns}/{name} is not in the snapshot")
    touched = []
    for s in d.snapshot.of_kind("EndpointSlice", ns):
        if s.labels.get(SERVICE_NAME_LABEL) == name:
            d.body(s)["endpoints"] = []
            touched.append(f"EndpointSlice {ns}/{s.name}")
    legacy = d.snapshot.get("Endpoints", ns, name)
    if legacy is not None:
        d.body(legacy)["subsets"] = []
        touched.append(f"Endpoints {ns}/{name}")
    if not touched:
        # Endpoints computed from Pods or workloads: an empty slice stands for "the Service lost them all".
        d.add(_empty_slice(svc, "fault-endpoint-removed"), f)
        touched.append("an empty EndpointSlice standing for the ones computed from its Pods or workloads")
    d.notes.append(f"{f.label}: Service {ns}/{name} has no endpoints ({', '.join(touched)}; dataplane#R21)")


def _controller_down(d: _Derivation, f: Fault) -> None:
    # installations imports the data planes, which import EngineContext, which imports this package.
    from ..installations import find_installations

    workloads = [o for inst in find_installations(d.snapshot) for o in inst.objects if o.kind in WORKLOAD_KINDS]
    if not workloads:
        d.notes.append(f"{f.label}: the snapshot has no controller workload; the controller entry is treated as "
                       "not listening")
        return
    done = []
    for w in workloads:
        labels = template_labels(w)
        ns = w.namespace or "default"
        pods = [p for p in d.snapshot.of_kind("Pod", ns) if labels and selector_matches(labels, p.labels)]
        for p in pods:
            _set_unready(d, p)
        _unready_in_endpoints(d, ns, {p.name for p in pods})
        for svc in d.snapshot.of_kind("Service", ns):
            sel = selector(svc)
            if not sel or not selector_matches(sel, labels):
                continue
            slices = [s for s in d.snapshot.of_kind("EndpointSlice", ns) if s.labels.get(SERVICE_NAME_LABEL) == svc.name]
            for s in slices:
                for e in d.body(s).get("endpoints") or []:
                    if isinstance(e, dict):
                        e["conditions"] = {**(e.get("conditions") or {}), "ready": False, "serving": False}
            if not slices and not pods and d.snapshot.get("Endpoints", ns, svc.name) is None:
                d.add(_empty_slice(svc, "fault-controller-down"), f)
        done.append(f"{w.display()} ({len(pods)} Pod(s) in the snapshot)")
    d.notes.append(f"{f.label}: the controller pods of {', '.join(done)} are not ready, so the controller "
                   "Service has no ready endpoints (dataplane#R21)")


def _deny_all(d: _Derivation, f: Fault) -> None:
    ns = str(f.namespace)
    policy = {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": DENY_ALL_POLICY, "namespace": ns},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }
    d.add(policy, f)
    empty = not any(o.namespace == ns for o in d.snapshot.objects)
    d.notes.append(
        f"{f.label}: NetworkPolicy {ns}/{DENY_ALL_POLICY} selects every pod of the namespace and allows no "
        "ingress; if the network plugin enforces NetworkPolicy, connections to them are dropped (the snapshot "
        "cannot tell whether it does; dataplane#R26)"
        + (f". Namespace {ns} has no objects in the snapshot, so no request is affected" if empty else "")
    )


def _node_flushed(d: _Derivation, f: Fault) -> None:
    nodes = [n for n in d.snapshot.of_kind("Node")[:3] if _has_address(n)]
    entry = nodes[0].name if nodes else None
    text = (f"{f.label}: a firewalld restart flushed the node's iptables; kube-proxy's rules come back at its next "
            "sync, hostPort rules only when the pod is recreated (dataplane#R52, #R50)")
    if entry is None:
        text += "; the snapshot names no node, so the client's entry node is assumed to be this one"
    elif entry != f.name:
        text += f"; the client's entry lands on node {entry} (the first node with an address), so this trace is " \
                "unaffected"
    d.notes.append(text)


def _has_address(node: K8sObject) -> bool:
    return any(
        isinstance(a, dict) and a.get("type") in ("ExternalIP", "InternalIP") and a.get("address")
        for a in node.status.get("addresses") or []
    )
