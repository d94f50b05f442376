"""The whole list: every installation's rows, then the Ingresses no installation serves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..context import EngineContext
from ..dataplanes.base import RouteTable
from ..dataplanes.ingress_nginx import IngressNginxTable
from ..dataplanes.ingress_spec import IngressSpecTable
from ..entry import EntryPlan
from ..installations import Installation
from ..k8s import default_ingress_class
from ..options import Options
from ..snapshot import K8sObject, Snapshot
from .nginx_rows import NginxRows
from .rows import (
    ANY_HOST,
    PROBLEM_TITLES,
    WILDCARD_LABEL,
    Backends,
    Route,
    declared_match,
    entry_host,
    ingress_paths,
    problem,
    raw_backend,
    route_url,
    sample_host,
    sample_path,
    spec_tls,
)
from .spec_rows import SpecRows


@dataclass(slots=True)
class _Refused:
    """An Ingress an installation does not serve, and why."""

    ingress: K8sObject
    reason: str
    rule: str
    code: str
    fix: str = ""


class _RouteList:
    def __init__(self, snapshot: Snapshot, options: Options, context: EngineContext) -> None:
        self.snapshot = snapshot
        self.options = options
        self.context = context
        self.backends = Backends()
        self.rows: list[tuple[float, Route]] = []  # (installation's place, row)
        self.served: set[tuple[Any, ...]] = set()
        self.by_class: dict[tuple[Any, ...], _Refused] = {}  # refused for its class, by the first installation

    def add(self, n: float, inst: Installation, table: RouteTable | None, plan: EntryPlan) -> None:
        any_host = entry_host(plan)
        found: list[Route]
        if isinstance(table, IngressNginxTable):
            found = NginxRows(inst, table, any_host, self.backends).build()
            self.served |= {i.key for i in table.selection.accepted}
            for d in table.selection.dropped:
                refused = _Refused(d.ingress, f"{d.label}: {d.reason}", d.rule, d.code, d.fix)
                if d.code == "INGRESS_CLASS_NOT_SERVED":
                    self.by_class.setdefault(d.ingress.key, refused)
                else:
                    found += self.refused_rows(inst, refused, "dropped", d.severity)
        elif isinstance(table, IngressSpecTable):
            found = SpecRows(inst, table, self.options, any_host, self.backends).build()
            self.served |= {i.key for i in table.served}
            for u in table.unserved:
                refused = _Refused(u.ingress, u.diagnosis.message, u.diagnosis.rule, u.diagnosis.code, u.diagnosis.fix)
                if u.diagnosis.severity == "error":  # invalid: the API server or the controller refuses it (I-5..I-8)
                    found += self.refused_rows(inst, refused, "dropped", "error")
                else:
                    self.by_class.setdefault(u.ingress.key, refused)
        else:
            found = self.unsimulated_rows(inst, any_host)
        self.rows += [(n, row) for row in found]

    def refused_rows(self, inst: Installation | None, refused: _Refused, kind: str, severity: str) -> list[Route]:
        """Rows for the paths of an Ingress that takes no effect, with the reason as their problem."""
        ing = refused.ingress
        family = inst.family if inst is not None else None
        out: list[Route] = []
        for host, path, path_type, raw, rule in ingress_paths(ing):
            backend, text = raw_backend(ing, raw)
            default = rule == "spec.defaultBackend"
            tls = spec_tls(ing, host)
            row = Route(
                inst.name if inst is not None else None, family, host, path,
                "Prefix" if default else declared_match(path_type, family), backend, text, ing, rule, tls=tls,
                default_backend=default, simulated=inst is None or inst.simulated,
                order=(host is None, host or "", float("inf")),
            )
            row.sample_url = route_url(tls is not None, host.replace("*", WILDCARD_LABEL, 1) if host else ANY_HOST, path)
            row.problems.append(problem(kind, severity, refused.reason, refused.rule, code=refused.code, fix=refused.fix))
            out.append(row)
        return out

    def unsimulated_rows(self, inst: Installation, any_host: str) -> list[Route]:
        """A controller tracer does not simulate (or whose table this list does not read): the paths of the Ingresses
        it claims as written, with their backends checked."""
        default_class = default_ingress_class(self.snapshot)
        note = (
            f"as written ({inst.family}'s own matching is not listed here)" if inst.simulated
            else f"{inst.family} is not simulated: the path as written"
        )
        out: list[Route] = []
        for ing in self.snapshot.of_kind("Ingress"):
            if inst.claims(ing, default_class) is None:
                continue
            self.served.add(ing.key)
            for host, path, path_type, raw, rule in ingress_paths(ing):
                backend, text = raw_backend(ing, raw)
                row = Route(
                    inst.name, inst.family, host, path, declared_match(path_type, inst.family), backend, text, ing,
                    rule, tls=spec_tls(ing, host), default_backend=rule == "spec.defaultBackend",
                    simulated=inst.simulated, match_note=note,
                    order=(host is None, host or "", len(out)),
                )
                row.sample_url = route_url(row.tls is not None, sample_host(host, any_host, set()), path)
                if backend is not None:
                    res = self.context.services.resolve_shared(
                        backend["namespace"], backend["service"], backend["port"] or 0,
                        assume_endpoints=self.options.assume_endpoints, port_match="service-port",
                    )
                    row.problems += self.backends.problems(res)
                out.append(row)
        return out

    def unclaimed(self) -> None:
        """Ingresses no installation serves: refused for their class everywhere, or claimed by none (I-1)."""
        listed = {row.ingress.key for _, row in self.rows}
        for ing in self.snapshot.of_kind("Ingress"):
            if ing.key in self.served:
                continue
            refused = self.by_class.get(ing.key)
            if refused is None:
                if ing.key in listed:
                    continue  # dropped for another reason by the installation it belongs to: rows exist already
                name = ing.spec.get("ingressClassName") or ing.annotations.get("kubernetes.io/ingress.class") or ""
                refused = _Refused(
                    ing,
                    f"Ingress {ing.namespace}/{ing.name}: no controller installation in the snapshot claims "
                    + (f"its class {name}" if name else "Ingresses without a class"),
                    "k8s-routing#I-1", "INGRESS_CLASS_NOT_SERVED",
                )
            else:
                refused.reason = f"no controller installation in the snapshot serves it; {refused.reason}"
            self.rows += [(float("inf"), row) for row in self.refused_rows(None, refused, "class", "error")]


def list_routes(
    snapshot: Snapshot,
    options: Options,
    context: EngineContext,
    compiled: list[tuple[Installation, RouteTable | None, EntryPlan]],
) -> list[dict[str, Any]]:
    """The rows of every installation in order, then the Ingresses no installation serves; within an
    installation by host (hostless last), then in the order the controller tries its paths."""
    found = _RouteList(snapshot, options, context)
    for n, (inst, table, plan) in enumerate(compiled):
        found.add(n, inst, table, plan)
    found.unclaimed()
    found.rows.sort(key=lambda item: (item[0], *item[1].order))
    return [row.to_dict() for _, row in found.rows]


__all__ = ["PROBLEM_TITLES", "Route", "list_routes", "sample_host", "sample_path"]
