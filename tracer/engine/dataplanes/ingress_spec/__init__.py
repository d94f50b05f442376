"""The portable Ingress v1 semantics (docs/rules/k8s-routing.md, rules I-1..I-27).

Only what the API text, docs and conformance features define is modelled; where they leave a
choice to the controller (U-1..U-6) the choice made here is named in the hop so users can tell a
portable outcome from an assumption. Compile (table.py) builds host-keyed indexes (index.py: exact
hosts, wildcard parents, host-less) with per-host path dictionaries (paths.py), so routing a request
(route.py) costs a few dict look-ups however many Ingresses the snapshot holds.
"""

from __future__ import annotations

from ...context import EngineContext
from ...options import Options
from ...snapshot import Snapshot
from ..base import DataPlane
from .paths import exact_matches, host_matches, path_priority, prefix_key, prefix_matches, request_prefix_keys
from .table import IngressSpecTable


class IngressSpec(DataPlane):
    family = "ingress-spec"
    title = "Ingress v1 (portable semantics)"

    def compile(self, snapshot: Snapshot, options: Options, context: EngineContext | None = None) -> IngressSpecTable:
        return IngressSpecTable(snapshot, options, context or EngineContext(snapshot))


__all__ = [
    "IngressSpec",
    "IngressSpecTable",
    "exact_matches",
    "host_matches",
    "path_priority",
    "prefix_key",
    "prefix_matches",
    "request_prefix_keys",
]
