"""Canary Ingresses: attachment to primary upstreams and the per-request choice (ingress-nginx#7).

A canary creates no server or location; its Service becomes the "alternative backend" of the
primary *upstream* of every location with the same host, path string and pathType (#7.1, #7.2).
The per-request decision follows balancer.lua route_to_alternative_balancer (#7.3).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from ...regexes import RegexProblem, search
from ...snapshot import K8sObject
from .annotations import Canary, IngressAnnotations
from .model import CATCH_ALL, BackendRef, ingress_backend
from .selection import Selection
from .servers import ServerTable


@dataclass(slots=True)
class Alternative:
    """The canary attached to one primary upstream (only the first one counts, #7.3)."""

    ingress: K8sObject
    ann: IngressAnnotations
    canary: Canary
    backend: BackendRef

    @property
    def label(self) -> str:
        return f"Ingress {self.ingress.namespace}/{self.ingress.name}"


@dataclass(slots=True)
class CanaryDecision:
    use_canary: bool
    reason: str
    split: list[dict] = field(default_factory=list)
    rules: list[str] = field(default_factory=lambda: ["ingress-nginx#7.3"])
    problem: RegexProblem | None = None


def attach_canaries(selection: Selection, table: ServerTable) -> tuple[dict[str, Alternative], list[str]]:
    """upstream name -> its canary, plus notes on canaries that attached to nothing (#7.1)."""
    alternatives: dict[str, Alternative] = {}
    notes: list[str] = []
    for ing in selection.accepted:
        ann = selection.annotations[ing.key]
        if ann.canary is None:
            continue
        label = f"canary Ingress {ing.namespace}/{ing.name}"
        wanted: list[tuple[str, str, str, BackendRef]] = []  # (host, path, pathType, canary backend)
        for rule in ing.spec.get("rules") or []:
            if not isinstance(rule, dict):
                continue
            host = str(rule.get("host") or "").rstrip(".").lower() or CATCH_ALL
            for entry in ((rule.get("http") or {}).get("paths")) or []:
                if not isinstance(entry, dict):
                    continue
                backend = ingress_backend(ing, entry.get("backend"))
                if backend is not None:
                    ptype = "Exact" if entry.get("pathType") == "Exact" else "Prefix"
                    wanted.append((host, str(entry.get("path") or "") or "/", ptype, backend))
        default = ingress_backend(ing, ing.spec.get("defaultBackend"))
        if default is not None:
            wanted.append((CATCH_ALL, "/", "Prefix", default))
        attached = False
        for host, path, ptype, backend in wanted:
            server = table.catch_all if host == CATCH_ALL else table.exact.get(host) or table.wildcards.get(host[2:])
            if server is None or server.redirect_to is not None:
                notes.append(f"{label}: host {host} has no primary Ingress, so the canary is dropped (404)")
                continue
            for loc in server.locations:
                if loc.exact_copy or loc.backend is None or loc.ingress_path != path or loc.path_type != ptype:
                    continue
                primary = loc.backend.upstream_name
                if primary == backend.upstream_name:
                    notes.append(f"{label}: same Service as the primary {loc.backend}; ignored")
                    continue
                if primary in alternatives:
                    if alternatives[primary].ingress is not ing:
                        notes.append(
                            f"{label}: upstream {primary} already has the canary {alternatives[primary].label}; "
                            "only the first alternative backend is used"
                        )
                    continue
                alternatives[primary] = Alternative(ing, ann, ann.canary, backend)
                attached = True
        if not attached and wanted:
            notes.append(f"{label}: no primary location with the same host, path and pathType; the canary is unused")
    return alternatives, notes


def _weight_pick(seed: int | None, key: str, total: int) -> int:
    """random(1..total): seeded via random.Random, else a hash of the request so traces are reproducible."""
    if seed is not None:
        return random.Random(f"{seed}:{key}").randint(1, total)
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % total + 1


def decide(
    alt: Alternative,
    headers: dict[str, str],
    cookies: dict[str, str],
    *,
    canary_ready: bool,
    seed: int | None,
    key: str,
    primary: BackendRef,
) -> CanaryDecision:
    """Steps 2-6 of #7.3 (step 1, the primary without endpoints, is the caller's 503)."""
    c = alt.canary
    if not canary_ready:
        return CanaryDecision(False, f"canary {alt.backend} has no ready endpoints, so the primary serves (step 2)")
    if c.by_header:
        value = headers.get(c.by_header.lower())
        if value is not None:
            if c.by_header_value:
                if value == c.by_header_value:
                    return CanaryDecision(True, f"header {c.by_header}: {value} equals canary-by-header-value")
            elif c.by_header_pattern:
                found = search(c.by_header_pattern, value)
                if isinstance(found, RegexProblem):
                    return CanaryDecision(
                        False, f"canary-by-header-pattern failed ({found.message}); the primary serves", problem=found
                    )
                if found is not None:
                    return CanaryDecision(
                        True, f"header {c.by_header}: {value} matches canary-by-header-pattern {c.by_header_pattern}"
                    )
            elif value == "always":
                return CanaryDecision(True, f"header {c.by_header}: always")
            elif value == "never":
                return CanaryDecision(False, f"header {c.by_header}: never")
    if c.by_cookie:
        value = cookies.get(c.by_cookie)
        if value == "always":
            return CanaryDecision(True, f"cookie {c.by_cookie}=always")
        if value == "never":
            return CanaryDecision(False, f"cookie {c.by_cookie}=never")
    total = c.weight_total if c.weight_total and c.weight_total > 100 else 100
    weight = max(c.weight or 0, 0)
    percent = round(min(weight, total) * 100.0 / total, 4)
    split = [
        {"backend": str(alt.backend), "percent": percent},
        {"backend": str(primary), "percent": round(100.0 - percent, 4)},
    ]
    if weight <= 0:
        return CanaryDecision(False, f"canary-weight 0 of {total}: never the canary", split)
    roll = _weight_pick(seed, key, total)
    chosen = roll <= weight
    how = "seeded" if seed is not None else "hash of the request"
    return CanaryDecision(
        chosen,
        f"canary-weight {weight} of {total} ({percent:g}%): random(1..{total}) = {roll} ({how}) -> "
        + ("canary" if chosen else "primary"),
        split,
    )
