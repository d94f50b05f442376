"""Small readers of Kubernetes object shapes shared by the engine's models (one home for each rule)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .snapshot import K8sObject, Snapshot

# The apps kinds an ingress controller installation is looked for in (see entry.py). ReplicaSets count too:
# a dump of a cluster holds the Deployment and its ReplicaSets, and a bare ReplicaSet is legal.
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


@dataclass(frozen=True, slots=True)
class PodMaker:
    """A kind whose pod template becomes pods a Service selector can match (dataplane#R65): its API groups,
    where the template lives and where the pod count is read, both as paths under ``spec``."""

    kind: str
    groups: frozenset[str]
    template_at: tuple[str, ...] = ("template",)
    # None: the count is not in the object (a DaemonSet runs one pod per node): one pod stands for "some".
    replicas_at: tuple[str, ...] | None = ("replicas",)
    runs_to_completion: bool = False  # Job pods exit when done; they serve only while a run is active
    # A field naming another workload whose template to use instead (an Argo Rollout's workloadRef).
    template_ref_at: tuple[str, ...] | None = None


_APPS = frozenset({"apps", "extensions"})
_BATCH = frozenset({"batch"})
POD_MAKERS: dict[str, PodMaker] = {
    m.kind: m
    for m in (
        PodMaker("Deployment", _APPS),
        PodMaker("StatefulSet", _APPS),
        PodMaker("DaemonSet", _APPS, replicas_at=None),
        PodMaker("ReplicaSet", _APPS),
        PodMaker("ReplicationController", frozenset({""})),
        PodMaker("Job", _BATCH, replicas_at=("parallelism",), runs_to_completion=True),
        PodMaker(
            "CronJob",
            _BATCH,
            template_at=("jobTemplate", "spec", "template"),
            replicas_at=("jobTemplate", "spec", "parallelism"),
            runs_to_completion=True,
        ),
        PodMaker("Rollout", frozenset({"argoproj.io"}), template_ref_at=("workloadRef",)),
    )
}
# Any other kind shaped like a workload (spec.template with labels, and spec.selector), e.g. an operator's CRD.
GENERIC_POD_MAKER = PodMaker("", frozenset())


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


def _at(spec: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = spec
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _has_pod_template_shape(obj: K8sObject) -> bool:
    spec = obj.spec
    labels = (pod_template(obj).get("metadata") or {}).get("labels")
    sel = spec.get("selector")
    return isinstance(labels, dict) and bool(labels) and isinstance(sel, dict) and bool(sel)


def pod_maker(obj: K8sObject) -> PodMaker | None:
    """The table entry for a pod-making object (kind and API group), the generic entry for another kind that
    has a pod template, or None."""
    maker = POD_MAKERS.get(obj.kind)
    if maker is not None and obj.group in maker.groups:
        return maker
    return GENERIC_POD_MAKER if _has_pod_template_shape(obj) else None


def maker_template(obj: K8sObject, maker: PodMaker, snapshot: Snapshot) -> dict[str, Any]:
    """The pod template the object's pods are made from, following a reference to another workload."""
    tpl = _at(obj.spec, maker.template_at)
    if isinstance(tpl, dict) and tpl:
        return tpl
    ref = _at(obj.spec, maker.template_ref_at) if maker.template_ref_at else None
    if isinstance(ref, dict) and ref.get("kind") and ref.get("name"):
        api_version = str(ref.get("apiVersion") or "apps/v1")
        group = api_version.rpartition("/")[0] if "/" in api_version else ""
        target = snapshot.get(str(ref["kind"]), obj.namespace, str(ref["name"]), group=group)
        if target is not None and target is not obj:
            target_maker = pod_maker(target)
            if target_maker is not None and target_maker.template_ref_at is None:
                return maker_template(target, target_maker, snapshot)
    return {}


def maker_replicas(obj: K8sObject, maker: PodMaker) -> int:
    """How many pods the object asks for (1 when unset, as the API defaults it)."""
    if maker.replicas_at is None:
        return 1
    raw = _at(obj.spec, maker.replicas_at)
    value = None if raw is None else as_int(raw)
    return 1 if value is None else value


# Ingress class fields (k8s-routing#I-1, #I-3).
LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"


def default_ingress_class(snapshot: Snapshot) -> K8sObject | None:
    """The IngressClass the DefaultIngressClass admission plugin fills into a class-less Ingress: the newest
    one marked default, ties broken by name ascending (k8s-routing#I-3)."""
    marked = sorted(
        (c for c in snapshot.of_kind("IngressClass") if c.annotations.get(DEFAULT_CLASS_ANNOTATION, "").lower() == "true"),
        key=lambda c: c.name,
    )
    return max(marked, key=lambda c: c.creation_timestamp) if marked else None
