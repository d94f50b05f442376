"""Putting an app's answer on a trace: its response headers and the pod hop that says where it came from."""

from __future__ import annotations

from typing import Any

from ..result import Hop
from ..services.hops import split_app_assumption
from .model import Answer

# A refused connection as the pod hop reports it; the controller then answers 502 (dataplane#R25).
REFUSED_RULES = ("dataplane#R25", "dataplane#R30")


def merge_headers(into: dict[str, Any], headers: list[tuple[str, str]]) -> None:
    """Add the app's headers to response headers keyed by lower-case name: Set-Cookie becomes a list when
    there are several (the controller's own cookies included); any other header the app sends wins."""
    for name, value in headers:
        key = name.lower()
        if key == "set-cookie" and key in into:
            before = into[key]
            into[key] = [*before, value] if isinstance(before, list) else [before, value]
        else:
            into[key] = value


def profile_pod_hop(hop: Hop, answer: Answer) -> None:
    """Turn the (copied) pod hop into one that names the profile and the route that answered."""
    summary, _ = split_app_assumption(hop.summary)
    label = answer.profile.label
    if answer.refused:
        hop.summary = f"{summary}; {label}: {answer.why}"
        hop.outcome = "refused" if "refused" in answer.why else "tls-error"
        hop.status = None
        hop.rules = list(dict.fromkeys([*hop.rules, *REFUSED_RULES]))
    else:
        hop.summary = f"{summary}; {label}: {answer.why}, the app answers {answer.status}"
        hop.outcome = "redirect" if 300 <= (answer.status or 0) < 400 else "respond"
        hop.status = answer.status
    hop.decision = f"what the app answers comes from {label}"
    hop.objects = [*hop.objects, answer.profile.ref]
    details: dict[str, Any] = {"app_profile": f"{answer.profile.namespace}/{answer.profile.name}"}
    if answer.route is not None:
        details["route"] = answer.route.describe()
    if answer.latency_ms:
        details["latency_ms"] = answer.latency_ms
    hop.details = {**hop.details, **details}
