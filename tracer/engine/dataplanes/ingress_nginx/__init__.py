"""ingress-nginx data plane. Rule ids ``ingress-nginx#<section>`` are listed in docs/rules/ingress-nginx.md.

``IngressNginx.compile`` does what the controller does on a sync: read its flags and ConfigMap,
select the Ingresses it serves, build servers, locations and upstreams, attach canaries. The
resulting table routes requests through the per-request pipeline (pipeline/). The package layout is
described in docs/ingress-nginx-internals.md.
"""

from __future__ import annotations

from typing import Any

from ...context import EngineContext
from ...k8s import WORKLOAD_KINDS, selector, selector_matches, template_labels
from ...options import Options
from ...request import Request
from ...result import Diagnosis, RequestTrace
from ...snapshot import K8sObject, Snapshot, Source
from ..base import DataPlane, RouteTable
from .annotations import parse_annotations
from .backends import Backends
from .canary import attach_canaries
from .config import read_controller_config
from .locations import near_miss_candidates
from .misunderstandings import strict_path_validation
from .model import Location, Server
from .pipeline import LocationFacts, location_facts, route_request
from .selection import select_ingresses
from .servers import build_servers


class IngressNginxTable(RouteTable):
    family = "ingress-nginx"

    def __init__(self, snapshot: Snapshot, options: Options, context: EngineContext) -> None:
        self.snapshot = snapshot
        self.options = options
        self.seed = options.seed
        self.config = config = read_controller_config(snapshot, options.controller_class)
        self.selection = select_ingresses(snapshot, config)
        self.servers = build_servers(self.selection, config, snapshot)
        self.alternatives, self.canary_notes = attach_canaries(self.selection, self.servers)
        self.backends = Backends(snapshot, config, options, context.services)
        self.profiles = context.profiles
        # Locations with no Ingress (the bare catch-all) run with every annotation at its default.
        placeholder = K8sObject(
            body={"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                  "metadata": {"name": "(controller defaults)", "namespace": config.controller_namespace or "default"}},
            source=Source("(controller defaults)", 0, 0),
        )
        self.blank = parse_annotations(placeholder, config, snapshot)
        self.config_refs = [dict(ref) for ref in config.objects]
        workload = next((r for r in config.objects if r.get("kind") in WORKLOAD_KINDS), None)
        self.name = f"ingress-nginx ({workload['namespace']}/{workload['name']})" if workload else "ingress-nginx"

        self._server_diagnoses: dict[int, Diagnosis | None] = {}
        # Per-request facts that depend only on compiled objects, memoised on first use (keyed by id(): the
        # table keeps every server and location alive).
        self._location_facts: dict[tuple[int, int], LocationFacts] = {}
        self.memo: dict[Any, Any] = {}

    def route(self, request: Request) -> RequestTrace:
        return route_request(self, request)

    def server_diagnosis(self, server: Server) -> Diagnosis | None:
        """STRICT_PATH_VALIDATION for a host, computed once per server (#14.6)."""
        key = id(server)
        if key not in self._server_diagnoses:
            self._server_diagnoses[key] = strict_path_validation(server)
        return self._server_diagnoses[key]

    def location_facts(self, server: Server, loc: Location) -> LocationFacts:
        key = (id(server), id(loc))
        facts = self._location_facts.get(key)
        if facts is None:
            facts = self._location_facts[key] = location_facts(self, server, loc)
        return facts

    def near_miss_candidates(self, server: Server, loc: Location) -> list[tuple[Location, str]]:
        key = ("near-miss", id(server), id(loc))
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = near_miss_candidates(server, loc)
        return found

    def controller_objects(self) -> list[K8sObject]:
        objs: list[K8sObject] = []
        for ref in self.config.objects:
            obj = self.snapshot.get(str(ref.get("kind")), ref.get("namespace"), str(ref.get("name")))
            if obj is not None:
                objs.append(obj)
        for workload in [o for o in objs if o.kind in WORKLOAD_KINDS]:
            labels = template_labels(workload)
            for svc in self.snapshot.of_kind("Service", workload.namespace):
                wanted = selector(svc)
                if wanted and selector_matches(wanted, labels):
                    objs.append(svc)
        objs.extend(self.selection.classes.values())
        return objs

    def describe(self) -> dict[str, Any]:
        servers = self.servers.servers()
        return {
            "controller": self.name,
            "controller_class": self.config.controller_class,
            "ingresses": {"accepted": len(self.selection.accepted), "ignored": len(self.selection.dropped)},
            "ignored": [f"{d.label}: {d.reason}" for d in self.selection.dropped[:50]],
            "servers": [
                {
                    "host": s.hostname,
                    "regex_mode": s.regex_mode,
                    "locations": [loc.directive(s.regex_mode) for loc in s.locations],
                    "tls": s.tls.status if s.tls else None,
                    "redirect_to": s.redirect_to,
                }
                for s in servers[:200]
            ],
            "canaries": {k: str(v.backend) for k, v in list(self.alternatives.items())[:100]},
            "warnings": [
                *self.config.warnings,
                *self.selection.notes,
                *self.canary_notes,
                *[h for s in servers for h in s.hazards][:20],
                *[m for s in servers for m in s.skipped][:50],
            ],
        }


class IngressNginx(DataPlane):
    family = "ingress-nginx"
    title = "ingress-nginx"

    def compile(self, snapshot: Snapshot, options: Options, context: EngineContext | None = None) -> RouteTable:
        return IngressNginxTable(snapshot, options, context or EngineContext(snapshot))


__all__ = ["IngressNginx", "IngressNginxTable"]
