"""Compiling a snapshot into Traefik v2/v3's routers (traefik#T1..#T19, #T34): the workload's static settings,
the routers of both Kubernetes providers, the certificates, and the host index requests are routed with."""

from __future__ import annotations

from typing import Any

from ...context import EngineContext
from ...options import Options
from ...snapshot import K8sObject, Snapshot
from .backends import Backends
from .crd import CrdIndex
from .crd_routes import CrdRouters, match_hosts
from .ingress_v2 import Ignored, IngressRouters
from .middlewares import MiddlewareRunner
from .ports import PortMap
from .route import TraefikRouting
from .routers import RouterIndex
from .settings import load_settings
from .tls import Certificates
from .workload import TraefikWorkload, find_workloads


def pick_workload(snapshot: Snapshot, v1: bool) -> TraefikWorkload | None:
    """The first Traefik workload of the family: 1.x for traefik-v1, any other (or unknown) version for traefik."""
    for wl in find_workloads(snapshot):
        major = wl.version[0] if wl.version is not None else None
        if (major == 1) == v1:
            return wl
    return None


class TraefikTable(TraefikRouting):
    family = "traefik"

    def __init__(self, snapshot: Snapshot, options: Options, context: EngineContext) -> None:
        self.snapshot = snapshot
        self.options = options
        self.context = context
        self.workload = pick_workload(snapshot, v1=False)
        self.settings = load_settings(self.workload, snapshot)
        self.label = self.settings.label()
        self.short_label = self.label.split(" (")[0]
        self.hop_name = f"traefik ({self.workload.workload.namespace}/{self.workload.workload.name})" \
            if self.workload is not None else "traefik"
        self.crds = CrdIndex.build(snapshot, self.settings.version)
        ingresses = IngressRouters(snapshot, self.settings, self.crds)
        ingresses.build()
        crds = CrdRouters(self.settings, self.crds)
        crds.build()
        self.classes = list(ingresses.classes.values())
        self.read: list[K8sObject] = ingresses.read + crds.read
        self.index = RouterIndex()
        self.broken = RouterIndex()
        for router in ingresses.routers + crds.routers:
            (self.broken if router.problem is not None or router.rule is None else self.index).add(router)
        self.index.finish()
        self.broken.finish()
        self.ignored: list[Ignored] = ingresses.ignored + crds.ignored
        self.ignored_by_host: dict[str, list[Ignored]] = {}
        for rec in self.ignored:
            for host in rec.hosts or ("",):
                self.ignored_by_host.setdefault(host, []).append(rec)
        self.certs = Certificates()
        self._load_certificates(ingresses.read, crds.read)
        self.backends = Backends(snapshot, self.settings, self.crds, context.services, options)
        self.runner = MiddlewareRunner(self.settings, self.crds)
        self.ports = PortMap(snapshot, self.workload.workload if self.workload is not None else None)

    def _load_certificates(self, ingresses: list[K8sObject], routes: list[K8sObject]) -> None:
        for ing in ingresses:
            for i, entry in enumerate(ing.spec.get("tls") or []):
                if isinstance(entry, dict) and entry.get("secretName"):
                    self.certs.add_secret(self.snapshot, ing.namespace or "default", str(entry["secretName"]),
                                          [str(h) for h in entry.get("hosts") or []], ing, f"spec.tls[{i}]")
        for ir in routes:
            tls = ir.spec.get("tls")
            if not isinstance(tls, dict):
                continue
            hosts = [h for r in ir.spec.get("routes") or [] if isinstance(r, dict)
                     for h in match_hosts(str(r.get("match") or ""))]
            for d in tls.get("domains") or []:
                if isinstance(d, dict):
                    hosts += [str(d.get("main") or "")] + [str(s) for s in d.get("sans") or []]
            if tls.get("secretName"):
                self.certs.add_secret(self.snapshot, ir.namespace or "default", str(tls["secretName"]), hosts, ir,
                                      "spec.tls")
            elif tls.get("certResolver"):
                self.certs.add_resolver(str(tls["certResolver"]), hosts, ir)

    def controller_objects(self) -> list[K8sObject]:
        objs = list(self.classes)
        if self.workload is not None:
            objs.append(self.workload.workload)
            if self.workload.config_object is not None:
                objs.append(self.workload.config_object)
        return objs

    def describe(self) -> dict[str, Any]:
        warnings = [f"Traefik: {n}" for n in self.settings.notes]
        if self.settings.assumed:
            warnings.append(f"Traefik: {self.settings.source}")
        elif not self.settings.version_known:
            warnings.append(f"Traefik: the image tag of {self.workload.label if self.workload else 'Traefik'} names "
                            f"no version; v{self.settings.version[0]}.{self.settings.version[1]} assumed")
        return {
            "family": self.family,
            "version": self.settings.label(),
            "settings": self.settings.source,
            "routers": self.index.count,
            "routers_not_installed": self.broken.count,
            "ignored": [{"kind": r.obj.kind, "namespace": r.obj.namespace, "name": r.obj.name, "reason": r.reason}
                        for r in self.ignored[:50]],
            "entry_points": {n: {"port": e.port, "tls": e.tls} for n, e in self.settings.entry_points.items()},
            "warnings": warnings,
        }


__all__ = ["TraefikTable", "pick_workload"]
