"""Manifest patches: what a diagnosis's fix changes, and a derived snapshot with them applied.

A patch names the object it changes (kind, namespace, name) and the file that holds it (or, for a new
object, the file it is added to). ``merge`` is a JSON merge patch (RFC 7396: objects merge, ``null``
removes a member, arrays and scalars replace); ``create`` adds a whole object; ``replace`` swaps one.
The original snapshot is never changed: patched objects are deep copies.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from ..errors import OptionError
from ..snapshot import K8sObject, Snapshot, Source

OPS = ("merge", "create", "replace")


@dataclass(frozen=True, slots=True)
class Patch:
    """One change to one object of the snapshot."""

    op: str  # merge | create | replace
    api_version: str
    kind: str
    namespace: str | None
    name: str
    file: str
    body: dict[str, Any] = field(hash=False)
    summary: str = ""  # what it changes, in words

    def to_dict(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "target": {"apiVersion": self.api_version, "kind": self.kind, "namespace": self.namespace, "name": self.name},
            "file": self.file,
            "patch": self.body,
            "summary": self.summary,
        }

    @classmethod
    def from_dict(cls, raw: Any, where: str = "patch") -> Patch:
        """A patch as ``to_dict`` writes it (from the trace JSON, the API or a file)."""
        if not isinstance(raw, dict):
            raise OptionError(f"{where}: a patch is an object with op, target, file and patch")
        op = raw.get("op")
        if op not in OPS:
            raise OptionError(f"{where}.op: one of {', '.join(OPS)}, not {op!r}")
        target = raw.get("target")
        if not isinstance(target, dict) or not target.get("kind") or not target.get("name"):
            raise OptionError(f"{where}.target: needs kind and name")
        body = raw.get("patch")
        if not isinstance(body, dict):
            raise OptionError(f"{where}.patch: an object (a JSON merge patch, or the whole object)")
        ns = target.get("namespace")
        return cls(
            op=str(op), api_version=str(target.get("apiVersion") or ""), kind=str(target["kind"]),
            namespace=str(ns) if ns else None, name=str(target["name"]), file=str(raw.get("file") or "fix.yaml"),
            body=body, summary=str(raw.get("summary") or ""),
        )


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 section 2: apply a JSON merge patch, returning a new value (neither input is changed)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _same(obj: K8sObject, p: Patch) -> bool:
    # A namespaced object without a namespace lives in "default", as kubectl reads it.
    want = p.namespace or ("default" if obj.namespace is not None else None)
    return obj.kind == p.kind and obj.name == p.name and obj.namespace == want


def apply_patches(snapshot: Snapshot, patches: list[Patch]) -> Snapshot:
    """A derived snapshot with every patch applied in order; an error names a patch whose object is missing."""
    objects = list(snapshot.objects)
    for i, p in enumerate(patches):
        at = next((j for j, o in enumerate(objects) if _same(o, p)), None)
        if p.op == "create":
            body = copy.deepcopy(p.body)
            if at is not None:  # applying the same fix twice replaces the copy it added
                objects[at] = K8sObject(body, objects[at].source)
            else:
                docs = [o.source.document for o in objects if o.source.file == p.file]
                objects.append(K8sObject(body, Source(p.file, max(docs, default=-1) + 1, 1)))
            continue
        if at is None:
            where = f"{p.kind} {p.namespace + '/' if p.namespace else ''}{p.name}"
            raise OptionError(f"patch {i + 1}: {where} is not in the snapshot, so the fix cannot be applied")
        old = objects[at]
        body = merge_patch(old.body, p.body) if p.op == "merge" else copy.deepcopy(p.body)
        objects[at] = K8sObject(body, old.source)
    return Snapshot.from_objects(objects, snapshot.warnings)
