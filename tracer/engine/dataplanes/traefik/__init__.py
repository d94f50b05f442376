"""Traefik as a data plane: 1.7 with its Kubernetes Ingress provider (family ``traefik-v1``), and v2/v3 with the
Kubernetes Ingress provider and the IngressRoute, Middleware, ServersTransport, TLSOption and TraefikService
custom resources (family ``traefik``). The rules are documented in docs/rules/traefik.md (``traefik#T1``...);
docs/traefik.md says what is modelled per version and what is not.

Compile (table.py, v1/table.py) reads the Traefik workload's static configuration and builds routers (frontends
in 1.7) indexed by host; routing (route.py, v1/route.py) picks the matching router with the highest priority,
runs its middlewares and forwards to its Service through tracer.engine.services. The controller hop's component
is ``controller``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...context import EngineContext
from ...options import Options
from ...snapshot import Snapshot
from ..base import DataPlane

if TYPE_CHECKING:  # imported when compiling: the installation finder imports .detect without the route tables
    from .table import TraefikTable
    from .v1 import TraefikV1Table


class Traefik(DataPlane):
    family = "traefik"
    title = "Traefik v2/v3 (Kubernetes Ingress and IngressRoute)"

    def compile(self, snapshot: Snapshot, options: Options, context: EngineContext | None = None) -> TraefikTable:
        from .table import TraefikTable

        return TraefikTable(snapshot, options, context or EngineContext(snapshot))


class TraefikV1(DataPlane):
    family = "traefik-v1"
    title = "Traefik 1.7 (Kubernetes Ingress provider)"

    def compile(self, snapshot: Snapshot, options: Options, context: EngineContext | None = None) -> TraefikV1Table:
        from .v1 import TraefikV1Table

        return TraefikV1Table(snapshot, options, context or EngineContext(snapshot))


__all__ = ["Traefik", "TraefikV1"]
