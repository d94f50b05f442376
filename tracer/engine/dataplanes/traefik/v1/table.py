"""Compiling a snapshot into Traefik 1.7's frontends (traefik#T34..#T48): the workload's traefik.toml and flags,
the Ingresses the Kubernetes provider reads, their frontends indexed by host, and the certificates."""

from __future__ import annotations

from typing import Any

from ....context import EngineContext
from ....options import Options
from ....snapshot import K8sObject, Snapshot
from ..ingress_v2 import Ignored
from ..ports import PortMap
from ..table import pick_workload
from ..tls import Certificates
from .frontends import Frontend, FrontendBuilder
from .index import FrontendIndex
from .route import LABEL, V1Routing
from .settings import load_v1_settings

# Traefik 1.7 lists Ingresses through extensions/v1beta1, which Kubernetes 1.22 and later no longer serve.
V1BETA1_NOTE = ("Traefik 1.7 reads Ingresses through the extensions/v1beta1 API, which Kubernetes 1.22 and later no "
                "longer serve: on such a cluster it sees none of them")


class TraefikV1Table(V1Routing):
    family = "traefik-v1"

    def __init__(self, snapshot: Snapshot, options: Options, context: EngineContext) -> None:
        self.snapshot = snapshot
        self.options = options
        self.context = context
        self.services = context.services
        self.workload = pick_workload(snapshot, v1=True)
        self.settings = load_v1_settings(self.workload)
        wl = self.workload.workload if self.workload is not None else None
        self.hop_name = f"traefik 1.7 ({wl.namespace}/{wl.name})" if wl is not None else "traefik 1.7"
        builder = FrontendBuilder(snapshot, self.settings)
        builder.build()
        self.read: list[K8sObject] = builder.read
        self.index = FrontendIndex()
        self.broken: list[tuple[Frontend, str]] = []
        for fe in builder.frontends.values():
            why = self._unbuildable(fe)
            if why:
                self.broken.append((fe, why))
            else:
                self.index.add(fe)
        self.index.finish()
        self.ignored: list[Ignored] = builder.ignored
        self.ignored_by_host: dict[str, list[Ignored]] = {}
        for rec in self.ignored:
            for host in rec.hosts or ("",):
                self.ignored_by_host.setdefault(host, []).append(rec)
        self.certs = Certificates()
        for ep in self.settings.entry_points.values():
            self.certs.files += ep.cert_files
        for ing in builder.read:
            for i, entry in enumerate(ing.spec.get("tls") or []):
                if isinstance(entry, dict) and entry.get("secretName"):
                    self.certs.add_secret(snapshot, ing.namespace or "default", str(entry["secretName"]),
                                          [str(h) for h in entry.get("hosts") or []], ing, f"spec.tls[{i}]")
        self.ports = PortMap(snapshot, wl)

    def _unbuildable(self, fe: Frontend) -> str:
        """Why Traefik 1.7 fails to build the frontend (it then logs the error and skips it), or ''."""
        redirect = fe.redirect
        if redirect is not None and redirect.entry_point:
            target = self.settings.entry_point(redirect.entry_point)
            if target is None:
                return f"its redirect-entry-point {redirect.entry_point} is not an entry point"
            if target.port is None:
                return f"the address of entry point {redirect.entry_point} has no port"
        known = [e for e in fe.entry_points if self.settings.entry_point(e) is not None]
        if not known:
            return f"none of its entry points ({', '.join(fe.entry_points)}) exists"
        return ""

    def controller_objects(self) -> list[K8sObject]:
        if self.workload is None:
            return []
        objs = [self.workload.workload]
        if self.workload.config_object is not None:
            objs.append(self.workload.config_object)
        return objs

    def describe(self) -> dict[str, Any]:
        warnings = [f"Traefik 1.7: {n}" for n in self.settings.notes]
        if self.settings.assumed:
            warnings.append(f"Traefik 1.7: {self.settings.source}")
        if any(i.api_version == "networking.k8s.io/v1" for i in self.read):
            warnings.append(f"Traefik 1.7: {V1BETA1_NOTE}")
        warnings += [f"Traefik 1.7: {fe.label} is not built: {why}" for fe, why in self.broken[:5]]
        return {
            "family": self.family,
            "version": LABEL,
            "settings": self.settings.source,
            "frontends": self.index.count,
            "ignored": [{"kind": r.obj.kind, "namespace": r.obj.namespace, "name": r.obj.name, "reason": r.reason}
                        for r in self.ignored[:50]],
            "entry_points": {n: {"port": e.port, "tls": e.tls} for n, e in self.settings.entry_points.items()},
            "warnings": warnings,
        }


__all__ = ["TraefikV1Table"]
