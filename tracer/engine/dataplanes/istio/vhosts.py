"""The gateway's virtual hosts and their routes, in Envoy's order (istio#S4, #S5)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import HttpRule, Match, Server, resolve_gateway


@dataclass(slots=True)
class RouteEntry:
    rule: HttpRule
    match: Match | None  # None: the rule has no match list

    @property
    def catch_all(self) -> bool:
        return self.match is None or self.match.catch_all


@dataclass(slots=True)
class VHost:
    domain: str
    server: Server
    routes: list[RouteEntry] = field(default_factory=list)

def route_config(server: Server) -> str:
    """Plain HTTP servers of a port share one route configuration; each TLS server has its own (istio#S4)."""
    if server.is_tls:
        return f"https.{server.port}.{server.index}.{server.gateway.namespace or 'default'}.{server.gateway.name}"
    return f"http.{server.port}"


def entries(rules: list[HttpRule], port: int, gateway: str, vs_ns: str) -> list[RouteEntry]:
    """The Envoy routes of one VirtualService on a server: a route per match entry, in order; rules after
    a rule without match are not emitted (istio#S5)."""
    out = []
    for rule in rules:
        if not rule.matches:
            out.append(RouteEntry(rule, None))
            break
        for m in rule.matches:
            bound = {"/".join(resolve_gateway(g, vs_ns)) for g in m.gateways}
            if (m.port is None or m.port == port) and (not bound or gateway in bound):
                out.append(RouteEntry(rule, m))
    return out
