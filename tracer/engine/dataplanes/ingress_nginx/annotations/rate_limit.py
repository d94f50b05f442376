"""Rate-limit annotations (ingress-nginx#9.5): limit-connections, limit-rps, limit-rpm and their exceptions.

Every value is validated strictly: a non-integer or a bad allowlist drops the Ingress.
"""

from __future__ import annotations

from dataclasses import dataclass

from .parser import Parser, parse_cidrs


@dataclass(frozen=True, slots=True)
class RateLimit:
    connections: int = 0  # 0: no limit
    rps: int = 0
    rpm: int = 0
    burst_multiplier: int = 5
    allowlist: tuple[str, ...] = ()  # client CIDRs exempt from the limits


NO_RATE_LIMIT = RateLimit()


def parse_rate_limit(p: Parser) -> RateLimit:
    if not p.raw:
        return NO_RATE_LIMIT  # no annotation of this controller at all
    connections = p.integer("limit-connections", strict=True)
    rps = p.integer("limit-rps", strict=True)
    rpm = p.integer("limit-rpm", strict=True)
    burst = p.integer("limit-burst-multiplier", strict=True)
    allowlist: tuple[str, ...] = ()
    allow = p.get("limit-allowlist", "limit-whitelist")
    if allow is not None:
        cidrs = parse_cidrs(allow)
        if cidrs is None:
            used = "limit-allowlist" if p.get("limit-allowlist") else "limit-whitelist"
            p.drop(used, allow, "is not a list of IPs/CIDRs", f"Use e.g. {p.line(used, '10.0.0.0/8')}.")
        allowlist = cidrs or ()
    if connections is None and rps is None and rpm is None and burst is None and not allowlist:
        return NO_RATE_LIMIT
    return RateLimit(
        connections=connections if connections is not None else 0,
        rps=rps if rps is not None else 0,
        rpm=rpm if rpm is not None else 0,
        burst_multiplier=burst if burst is not None else 5,
        allowlist=allowlist,
    )
