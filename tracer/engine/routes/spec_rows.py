"""The rows of the portable Ingress table: host buckets and their path entries, and the paths that never win."""

from __future__ import annotations

from typing import Any

from ..dataplanes.ingress_spec import IngressSpecTable
from ..dataplanes.ingress_spec.index import Backend, HostBucket, PathEntry
from ..installations import Installation
from ..options import Options
from ..snapshot import K8sObject, Snapshot
from .rows import (
    Backends,
    Route,
    declared_match,
    problem,
    route_url,
    sample_host,
    service_text,
)


def _spec_winner(bucket: HostBucket, entry: PathEntry) -> PathEntry:
    """The entry that takes the requests ``entry`` matches (I-17). A Prefix entry competes only with entries of
    the same element prefix: a shorter one is always shorter (whole elements), so it loses."""
    if entry.effective_type == "Exact":
        return bucket.candidates(entry.path)[0]
    return min(bucket.prefix.get(_prefix_key(entry.path), [entry]), key=PathEntry.sort_key)


def _prefix_key(path: str) -> str:
    return path.rstrip("/") or "/"


def _spec_lost(winner: PathEntry, loser: PathEntry) -> str:
    if len(winner.path) != len(loser.path):
        return f"{winner.path} is longer (the longest path wins)"
    if winner.effective_type == "Exact" and loser.effective_type != "Exact":
        return "Exact beats Prefix at equal length"
    return "the older Ingress wins an identical path here; which one wins is controller-specific (U-2)"


def _spec_tls_of(table: IngressSpecTable, snapshot: Snapshot, bucket: HostBucket) -> dict[str, Any] | None:
    if bucket.host_class == "any":
        return None
    entries = table.tls.wildcard.get(bucket.label[2:]) if bucket.host_class == "wildcard" else table.tls.exact.get(bucket.label)
    if not entries:
        return None
    te = entries[0]  # the first entry listing the host (I-25)
    if te.secret is None:
        return {"secret": None, "status": "no-secret-name"}
    found = snapshot.get("Secret", te.ingress.namespace, te.secret) is not None
    return {"secret": f"{te.ingress.namespace}/{te.secret}", "status": "ok" if found else "missing-secret"}


class SpecRows:
    def __init__(
        self, inst: Installation, table: IngressSpecTable, options: Options, any_host: str, backends: Backends
    ) -> None:
        self.inst = inst
        self.table = table
        self.options = options
        self.any_host = any_host
        self.backends = backends
        self.taken = set(table.index.exact)

    def build(self) -> list[Route]:
        index = self.table.index
        buckets = [*index.exact.values(), *index.wildcard.values(), *([index.hostless] if index.hostless else [])]
        rows = [
            self.entry_row(bucket, entry, pos)
            for bucket in buckets
            for pos, entry in enumerate(sorted(bucket.entries, key=PathEntry.sort_key))  # I-17 order
        ]
        for n, (ing, backend) in enumerate(self.table.default_backends):
            row = Route(self.inst.name, self.inst.family, None, "/", "no rule matches", None, "", ing,
                        "spec.defaultBackend", default_backend=True, order=(True, "", float("inf")))
            row.sample_url = route_url(False, self.any_host, "/")
            self.set_backend(row, ing, backend)
            if n:
                first = self.table.default_backends[0][0]
                row.problems.append(problem(
                    "shadowed", "warning",
                    f"Ingress {first.namespace}/{first.name} also has a defaultBackend and is older; only one applies, "
                    "which one is controller-specific (the oldest is used here)",
                    "k8s-routing#I-20",
                ))
            rows.append(row)
        return rows

    def entry_row(self, bucket: HostBucket, entry: PathEntry, pos: int) -> Route:
        host = None if bucket.host_class == "any" else bucket.label
        match = declared_match(entry.path_type, "ingress-spec")
        row = Route(self.inst.name, self.inst.family, host, entry.path, match, None, "", entry.ingress,
                    f"spec.{entry.rule_ref}", tls=_spec_tls_of(self.table, self.table.snapshot, bucket),
                    order=(host is None, host or "", pos))
        row.sample_url = route_url(row.tls is not None, sample_host(host, self.any_host, self.taken), entry.path)
        self.set_backend(row, entry.ingress, entry.backend)
        winner = _spec_winner(bucket, entry)
        if winner is not entry:
            row.problems.append(problem(
                "shadowed", "warning",
                f"{winner.label} in Ingress {winner.ingress.namespace}/{winner.ingress.name} takes every request this "
                f"path matches: {_spec_lost(winner, entry)}",
                "k8s-routing#I-17",
            ))
        return row

    def set_backend(self, row: Route, ing: K8sObject, backend: Backend) -> None:
        ns = ing.namespace or "default"
        if backend.service is None:
            row.backend_text = backend.describe()
            row.problems.append(problem(
                "resource-backend", "warning",
                f"{row.rule} of Ingress {ns}/{ing.name} routes to {backend.describe()}, not a Service; what happens is "
                "controller-specific",
                "k8s-routing#I-23", code="RESOURCE_BACKEND",
            ))
            return
        row.backend = {"namespace": ns, "service": backend.service, "port": backend.port}
        row.backend_text = service_text(ns, backend.service, backend.port)
        res = self.table.context.services.resolve_shared(
            ns, backend.service, backend.port if backend.port is not None else 0,
            assume_endpoints=self.options.assume_endpoints, port_match="service-port",
        )
        row.problems.extend(self.backends.problems(res))
