"""Small readers of Kubernetes object shapes shared by the engine's models (one home for each rule)."""

from __future__ import annotations

from typing import Any

from .snapshot import K8sObject

# Controllers whose pod template becomes pods that a Service selector can match. ReplicaSets count too:
# a dump of a cluster holds the Deployment and its ReplicaSets, and a bare ReplicaSet is legal.
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


def as_int(value: Any) -> int | None:
    """An integer field as manifests write it (``80`` or ``"80"``); anything else (a name, a bool) is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def label_map(raw: Any) -> dict[str, str]:
    """A label map or selector as strings; a null value is the empty string, as the API server stores it."""
    if not isinstance(raw, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in raw.items()}


def selector(svc: K8sObject) -> dict[str, str]:
    """A Service's ``spec.selector`` (empty: the Service has no selector, so no managed endpoints)."""
    return label_map(svc.spec.get("selector"))


def pod_template(obj: K8sObject) -> dict[str, Any]:
    tpl = obj.spec.get("template")
    return tpl if isinstance(tpl, dict) else {}


def template_labels(obj: K8sObject) -> dict[str, str]:
    """The labels a workload puts on its pods."""
    return label_map((pod_template(obj).get("metadata") or {}).get("labels"))


def template_containers(obj: K8sObject) -> list[Any]:
    return list((pod_template(obj).get("spec") or {}).get("containers") or [])


def selector_matches(sel: dict[str, str], labels: dict[str, str]) -> bool:
    """Equality-based match. An empty selector matches everything: callers that treat a Service
    without a selector as selecting nothing check for that first."""
    return all(labels.get(k) == v for k, v in sel.items())
