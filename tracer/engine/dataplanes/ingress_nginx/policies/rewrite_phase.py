"""P6, the location's rewrite phase: the CORS preflight nginx answers itself (ingress-nginx#9.6).

The other P6 answers are redirects (redirects.py) and rewrite-target (rewrite.py).
"""

from __future__ import annotations

from ....request import Request
from ..annotations import IngressAnnotations
from .outcome import PolicyOutcome
from .response_phase import cors_allowed, cors_response_headers


def check_cors_preflight(ann: IngressAnnotations, request: Request) -> PolicyOutcome | None:
    """Any OPTIONS with an allowed origin -> 204 from nginx at P6, before auth and allowlists (ingress-nginx#9.6)."""
    if request.method != "OPTIONS":
        return None
    on, origin = cors_allowed(ann, request)
    if not on:
        return None
    headers = cors_response_headers(ann, request)
    headers["Content-Type"] = "text/plain charset=UTF-8"
    headers["Content-Length"] = "0"
    return PolicyOutcome(
        status=204,
        summary=f"CORS preflight answered by nginx (origin {origin!r} allowed); not proxied, auth not applied",
        headers=headers,
        stage="cors-preflight",
        rules=["ingress-nginx#9.6"],
    )
