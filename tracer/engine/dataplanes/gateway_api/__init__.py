"""Gateway API v1 (docs/rules/k8s-routing.md, rules G-1..G-44; docs/gateway-api.md).

HTTP and HTTPS through Gateways, their listeners and the HTTPRoutes attached to them, as the Gateway API
specification and its conformance tests define them; where the API leaves a choice to the implementation the
choice made here is named on the hop. Compile (table.py) attaches each route to the listeners that accept it
(attach.py) and indexes them per listener by hostname and path (index.py); routing (route.py, forward.py) picks
the Gateway and listener, the winning match, then runs the rule's filters and picks a backend. conformance.py
holds which extended features each implementation supports, from its v1.4.0 conformance report.
"""

from __future__ import annotations

from ...context import EngineContext
from ...options import Options
from ...snapshot import Snapshot
from ..base import DataPlane
from .table import GatewayApiTable


class GatewayApi(DataPlane):
    family = "gateway-api"
    title = "Gateway API v1"

    def compile(self, snapshot: Snapshot, options: Options, context: EngineContext | None = None) -> GatewayApiTable:
        return GatewayApiTable(snapshot, options, context or EngineContext(snapshot))


__all__ = ["GatewayApi", "GatewayApiTable"]
