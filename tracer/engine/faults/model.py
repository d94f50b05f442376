"""What-if faults: their validation and the per-engine state the hops consult (docs/faults.md).

A fault comes from the ``faults`` option (a list of mappings) or from a ``kind: Fault`` document of the
snapshot whose ``spec`` is the same mapping. Option problems are an OptionError naming ``faults[i].field``;
document problems a LoadError naming file, document, line and ``spec.field``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import LoadError, OptionError, TracerError
from ..snapshot import K8sObject, Snapshot

API_VERSION = "tracer.dev/v1alpha1"
KIND = "Fault"
OPTION_SOURCE = "faults option"
# The one field each kind names (None: the kind takes no target).
TARGETS: dict[str, str | None] = {
    "pod-not-ready": "pod",
    "endpoint-removed": "service",
    "node-rules-flushed": "node",
    "networkpolicy-deny-all": "namespace",
    "controller-down": None,
}
# kube-proxy's default --iptables-sync-period / syncPeriod (dataplane#R52).
DEFAULT_SYNC_SECONDS = 30.0
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")


@dataclass(frozen=True, slots=True)
class Fault:
    """One validated fault and where it was written, to name it in notes and errors."""

    kind: str
    namespace: str | None  # pod-not-ready, endpoint-removed, networkpolicy-deny-all
    name: str | None  # the Pod, Service or Node name
    after_seconds: float | None
    origin: str  # "faults[2]" or "faults.yaml document 3"
    file: str | None = None
    document: int | None = None
    line: int | None = None

    @property
    def target(self) -> str:
        if self.kind == "networkpolicy-deny-all":
            return f"namespace {self.namespace}"
        if self.namespace is not None:
            return f"{self.namespace}/{self.name}"
        return f"node {self.name}" if self.name else "the ingress controller"

    @property
    def label(self) -> str:
        """How notes and hops name it: ``fault faults[0] (pod-not-ready shop/web-1)``."""
        later = f", {self.after_seconds:g} s later" if self.after_seconds else ""
        return f"fault {self.origin} ({self.kind} {self.target}{later})"

    def error(self, field: str, message: str) -> TracerError:
        """The error for a problem found while applying it (a missing Service...)."""
        if self.file is None:
            return OptionError(f"{self.origin}.{field}: {message}")
        return LoadError(message, file=self.file, document=self.document, line=self.line, field=f"spec.{field}")


class _Where:
    """Raises the right error for one fault: OptionError for the option, LoadError for a document."""

    def __init__(self, index: int, obj: K8sObject | None) -> None:
        self.obj = obj
        self.origin = f"faults[{index}]" if obj is None else f"{obj.source.file} document {obj.source.document}"

    def error(self, field: str, message: str) -> TracerError:
        if self.obj is None:
            return OptionError(f"{self.origin}.{field}: {message}" if field else f"{self.origin}: {message}")
        src = self.obj.source
        return LoadError(message, file=src.file, document=src.document, line=src.line,
                         field=f"spec.{field}" if field else "spec")


def _parse(raw: Any, where: _Where) -> Fault:
    if not isinstance(raw, dict):
        raise where.error("", "a fault is a mapping with kind and its target (see docs/faults.md)")
    kind = raw.get("kind")
    if kind not in TARGETS:
        raise where.error("kind", f"unknown fault kind {kind!r}; known: {', '.join(TARGETS)}")
    target = TARGETS[kind]
    known = {"kind", "afterSeconds"} | ({target} if target else set())
    unknown = sorted(str(k) for k in raw if k not in known)
    if unknown:
        raise where.error(unknown[0], f"unknown field {unknown[0]} for a {kind} fault (known: {', '.join(sorted(known))})")
    after = raw.get("afterSeconds")
    if after is not None and (isinstance(after, bool) or not isinstance(after, int | float) or after < 0):
        raise where.error("afterSeconds", f"afterSeconds must be a number of seconds, 0 or more, not {after!r}")
    namespace = name = None
    if target is not None:
        value = raw.get(target)
        if not isinstance(value, str) or not value.strip():
            shape = "NAMESPACE/NAME" if target in ("pod", "service") else "a name"
            raise where.error(target, f"a {kind} fault needs {target}: {shape}")
        value = value.strip()
        if target in ("pod", "service"):
            namespace, sep, name = value.partition("/")
            if not sep or not _DNS_LABEL.match(namespace) or not _DNS_LABEL.match(name):
                raise where.error(target, f"{target} must be NAMESPACE/NAME, not {value!r}")
        elif target == "namespace":
            if not _DNS_LABEL.match(value):
                raise where.error(target, f"{value!r} is not a namespace name")
            namespace = value
        else:
            name = value
    obj = where.obj
    return Fault(
        str(kind), namespace, name, None if after is None else float(after), where.origin,
        obj.source.file if obj else None, obj.source.document if obj else None, obj.source.line if obj else None,
    )


def parse_option(value: Any) -> list[Fault]:
    """The ``faults`` option: a list of fault mappings (one mapping is taken as a list of one)."""
    if not value:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list | tuple):
        raise OptionError("faults must be a list of faults such as {kind: pod-not-ready, pod: NAMESPACE/NAME}")
    return [_parse(raw, _Where(i, None)) for i, raw in enumerate(value)]


def parse_document(obj: K8sObject) -> Fault:
    """A ``kind: Fault`` document; its spec holds the same mapping as an option entry."""
    where = _Where(0, obj)
    if obj.api_version != API_VERSION:
        src = obj.source
        raise LoadError(f"a Fault has apiVersion {API_VERSION}, not {obj.api_version!r}", file=src.file,
                        document=src.document, line=src.line, field="apiVersion")
    return _parse(obj.body.get("spec"), where)


def document_faults(snapshot: Snapshot) -> list[Fault]:
    return [parse_document(o) for o in snapshot.of_kind(KIND)]


def parse_duration(text: str) -> float | None:
    """A Go duration as kube-proxy's configuration writes it (``30s``, ``1m0s``, ``500ms``)."""
    text = text.strip().strip("\"'")
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * scale[u] for n, u in parts)


def sync_period(snapshot: Snapshot, mode: str) -> tuple[float, str]:
    """kube-proxy's syncPeriod for its mode, from the kubeadm kube-system/kube-proxy ConfigMap when it says."""
    cm = snapshot.get("ConfigMap", "kube-system", "kube-proxy")
    section = "ipvs" if mode == "ipvs" else mode
    for text in ((cm.body.get("data") or {}).values() if cm is not None else []):
        current = ""
        for line in str(text).splitlines():
            stripped = line.strip()
            if line and not line[0].isspace():
                current = stripped.rstrip(":")
            key, _, value = stripped.partition(":")
            if key == "syncPeriod" and current == section:
                seconds = parse_duration(value)
                if seconds is not None:
                    return seconds, f"{section}.syncPeriod in the kube-system/kube-proxy ConfigMap"
    return DEFAULT_SYNC_SECONDS, "kube-proxy's default syncPeriod"


class Faults:
    """The faults of one Engine, as the entry and backend hops consult them (``EngineContext.faults``)."""

    __slots__ = ("controller_down", "deny_all", "faults", "flushed")

    def __init__(self, faults: list[Fault]) -> None:
        self.faults = faults
        self.deny_all: dict[str, Fault] = {}
        self.flushed: dict[str, Fault] = {}
        self.controller_down: Fault | None = None
        for f in faults:
            if f.kind == "networkpolicy-deny-all" and f.namespace:
                self.deny_all.setdefault(f.namespace, f)
            elif f.kind == "node-rules-flushed" and f.name:
                self.flushed.setdefault(f.name, f)
            elif f.kind == "controller-down" and self.controller_down is None:
                self.controller_down = f

    @classmethod
    def of(cls, snapshot: Snapshot) -> Faults:
        """The faults a snapshot carries: ``apply_faults`` writes the option's faults into the derived snapshot
        as Fault documents, so the snapshot alone says which faults an Engine runs with."""
        return cls(document_faults(snapshot)) if snapshot.of_kind(KIND) else NO_FAULTS

    def __bool__(self) -> bool:
        return bool(self.faults)

    def flush_on(self, node: str | None) -> Fault | None:
        """The node-rules-flushed fault for the entry node (any, when the snapshot names no node)."""
        if not self.flushed:
            return None
        if node is None:
            return next(iter(self.flushed.values()))
        return self.flushed.get(node)


NO_FAULTS = Faults([])
