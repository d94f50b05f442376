"""What a Service selector can match in a namespace: its Pods, indexed by label so that a selector never
scans every pod, and (for manifests without pods) the workloads whose template makes them."""

from __future__ import annotations

from typing import Any

from ..k8s import PodMaker, label_map, maker_replicas
from ..snapshot import K8sObject


class Workload:
    """A pod-making object as a Service selector sees it: the labels and containers of its pod template (which
    may come from a referenced workload), how many pods it asks for, and whether they run to completion."""

    __slots__ = ("containers", "labels", "obj", "replicas", "runs_to_completion")

    def __init__(self, obj: K8sObject, maker: PodMaker, template: dict[str, Any]) -> None:
        self.obj = obj
        self.labels = label_map((template.get("metadata") or {}).get("labels"))
        self.containers: list[Any] = list((template.get("spec") or {}).get("containers") or [])
        self.replicas = maker_replicas(obj, maker)
        self.runs_to_completion = maker.runs_to_completion


# Namespace -> the pod-making workloads there.
WorkloadsByNamespace = dict[str, list[Workload]]


class PodRecord:
    __slots__ = ("labels", "obj")

    def __init__(self, obj: K8sObject) -> None:
        self.obj = obj
        # Read-only here: the manifest's own map when it is already all text (the usual case), so 50,000 Pods
        # do not each hold a copy; else the normalised copy.
        raw = obj.metadata.get("labels")
        if isinstance(raw, dict) and all(type(k) is str and type(v) is str for k, v in raw.items()):
            self.labels: dict[str, str] = raw
        else:
            self.labels = obj.labels


class NamespacePods:
    """Pods of one namespace with an inverted (label, value) -> positions index."""

    __slots__ = ("by_label", "pods")

    def __init__(self) -> None:
        self.pods: list[PodRecord] = []
        self.by_label: dict[tuple[str, str], list[int]] = {}

    def add(self, rec: PodRecord) -> None:
        idx = len(self.pods)
        self.pods.append(rec)
        for pair in rec.labels.items():
            self.by_label.setdefault(pair, []).append(idx)

    def select(self, selector: dict[str, str]) -> list[PodRecord]:
        """The pods carrying every label of a non-empty selector, in snapshot order."""
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
