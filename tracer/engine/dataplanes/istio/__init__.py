"""Istio's ingress gateway with the classic networking.istio.io APIs: Gateway, VirtualService and
DestinationRule (docs/rules/istio.md, docs/istio.md).

Compile (table.py) finds the ingress gateway workload, the Gateways it runs and one virtual host per
domain with its routes in Envoy's order (vhosts.py); routing (route.py, forward.py) picks the server, the
virtual host by a few dict look-ups, the first matching route and its destination, and answers with
Envoy's statuses and response flags (404 NR, 503 NC, 503 UH, 426 for HTTP/1.0).
"""

from __future__ import annotations

from ...context import EngineContext
from ...options import Options
from ...snapshot import Snapshot
from ..base import DataPlane
from .table import IstioTable


class Istio(DataPlane):
    family = "istio"
    title = "Istio ingress gateway (Gateway, VirtualService, DestinationRule)"

    def compile(self, snapshot: Snapshot, options: Options, context: EngineContext | None = None) -> IstioTable:
        return IstioTable(snapshot, options, context or EngineContext(snapshot))


__all__ = ["Istio", "IstioTable"]
