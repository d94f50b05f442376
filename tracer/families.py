"""Controller families as the pages name them, and which family handled a stored trace."""

from __future__ import annotations

from tracer.models import Trace

# What each family is called on the pages (docs/engine.md, the controller option).
FAMILY_TITLES = {
    "ingress-nginx": "ingress-nginx",
    "ingress-spec": "Ingress v1 (portable semantics)",
    "traefik": "Traefik v2/v3",
    "traefik-v1": "Traefik 1.7",
    "gateway-api": "Gateway API",
    "istio": "Istio (and Knative on it)",
}


def family_title(family: str) -> str:
    return FAMILY_TITLES.get(family, family) or "the controller detected per request"


def trace_family(trace: Trace) -> str:
    """The family that handled the trace: forced by its options, else the one its first request reached."""
    forced = str((trace.scenario.options or {}).get("controller") or "")
    if forced:
        return forced
    requests = (trace.result or {}).get("requests") or []
    return str((requests[0] if requests else {}).get("controller") or "")
