"""Reading the Ingress a route came from, and building the patches that change it.

Patches keep everything the user wrote: a changed path is a merge patch carrying the whole
``spec.rules`` list (a JSON merge patch replaces arrays whole) with only that one entry different.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..snapshot import K8sObject, Snapshot
from .patch import Patch

NGINX = "nginx.ingress.kubernetes.io/"  # the controller's default --annotations-prefix (ingress-nginx#1.2)
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
_RULE = re.compile(r"^spec\.rules\[(\d+)\]\.http\.paths\[(\d+)\]$")
_REGEX_META = re.compile(r"[(\[{^$|?*+\\]")


class RoutedPath:
    """The Ingress path entry a request matched: the object, its indexes and the entry itself."""

    def __init__(self, obj: K8sObject, rule_index: int, path_index: int) -> None:
        self.obj = obj
        self.rule_index = rule_index
        self.path_index = path_index
        rule = (obj.spec.get("rules") or [])[rule_index] or {}
        self.host = str(rule.get("host") or "")
        self.entry: dict[str, Any] = ((rule.get("http") or {}).get("paths") or [])[path_index] or {}

    @property
    def path(self) -> str:
        return str(self.entry.get("path") or "/")

    @property
    def path_type(self) -> str:
        return str(self.entry.get("pathType") or "ImplementationSpecific")

    def annotation(self, name: str) -> str | None:
        value = self.obj.annotations.get(NGINX + name)
        return None if value is None else str(value)

    @property
    def prefix(self) -> str:
        """The literal part of the path before any regex syntax, without a trailing slash ("" for the root)."""
        m = _REGEX_META.search(self.path)
        literal = self.path[: m.start()] if m else self.path
        return literal.rstrip("/")

    @property
    def strips_prefix(self) -> bool:
        """rewrite-target sends the app something other than the path as the browser sent it (ingress-nginx#4.1)."""
        target = self.annotation("rewrite-target")
        return bool(target) and target != self.path

    def ref(self) -> dict[str, Any]:
        return self.obj.ref()

    def label(self) -> str:
        return f"Ingress {self.obj.namespace}/{self.obj.name}"

    def rules_with(self, entry: dict[str, Any]) -> list[Any]:
        """``spec.rules`` as written, with this path entry replaced by ``entry``."""
        rules = copy.deepcopy(self.obj.spec.get("rules") or [])
        rules[self.rule_index]["http"]["paths"][self.path_index] = entry
        return rules


def routed_path(snapshot: Snapshot, route: dict[str, Any] | None) -> RoutedPath | None:
    """The Ingress path entry of a trace's ``route``, or None for anything else (default backend, other kinds)."""
    if not route or route.get("kind") != "Ingress":
        return None
    m = _RULE.match(str(route.get("rule") or ""))
    obj = snapshot.get("Ingress", route.get("namespace"), str(route.get("name") or ""))
    if m is None or obj is None:
        return None
    try:
        return RoutedPath(obj, int(m.group(1)), int(m.group(2)))
    except (IndexError, TypeError, AttributeError):
        return None


def annotations_patch(values: dict[str, str | None]) -> dict[str, Any]:
    """The merge-patch fragment that sets (or, with None, removes) ingress-nginx annotations."""
    return {"metadata": {"annotations": {NGINX + k: v for k, v in values.items()}}}


def merge_ingress(at: RoutedPath, body: dict[str, Any], summary: str) -> Patch:
    obj = at.obj
    return Patch("merge", obj.api_version, "Ingress", obj.namespace, obj.name, obj.source.file, body, summary)


def new_ingress_beside(at: RoutedPath, name: str, path: str, path_type: str, summary: str,
                       annotations: dict[str, str] | None = None) -> Patch:
    """A new Ingress for ``path`` to the same backend, host and class as ``at``, added to the same file."""
    obj = at.obj
    meta: dict[str, Any] = {"name": name, "namespace": obj.namespace}
    notes = {k: v for k, v in obj.annotations.items() if k == CLASS_ANNOTATION}
    notes.update({NGINX + k: v for k, v in (annotations or {}).items()})
    if notes:
        meta["annotations"] = notes
    spec: dict[str, Any] = {}
    if obj.spec.get("ingressClassName"):
        spec["ingressClassName"] = obj.spec["ingressClassName"]
    rule: dict[str, Any] = {"host": at.host} if at.host else {}
    rule["http"] = {"paths": [{"path": path, "pathType": path_type, "backend": copy.deepcopy(at.entry.get("backend"))}]}
    spec["rules"] = [rule]
    body = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec}
    return Patch("create", "networking.k8s.io/v1", "Ingress", obj.namespace, name, obj.source.file, body, summary)
