"""P8, the pre-access phase: rate limits (ingress-nginx#9.5).

limit_req and limit_conn count requests per client IP and per controller replica, so one simulated
request never trips them; the trace only says which limits are in force.
"""

from __future__ import annotations

from typing import Any

from ..annotations import IngressAnnotations
from ..config import ControllerConfig


def rate_limit_details(ann: IngressAnnotations, config: ControllerConfig) -> dict[str, Any] | None:
    """The limits of this location for the controller hop, or None when it has none."""
    limits = ann.rate_limit
    if not (limits.rps or limits.rpm or limits.connections):
        return None
    return {
        "limit_rps": limits.rps,
        "limit_rpm": limits.rpm,
        "limit_connections": limits.connections,
        "note": "per client IP and per controller replica; excess requests get "
        f"{config.limit_req_status_code} (ingress-nginx#9.5)",
    }
