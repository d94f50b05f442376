"""Routing one request through a compiled Gateway API table: which Gateway and listener take it (k8s-routing#G-6..G-9),
which attached route rule wins (G-17..G-27), then the rule's filters and backends (forward.py).

:class:`GatewayRouter` is the routing half of the table; ``GatewayApiTable`` (table.py) fills the state it reads.
"""

from __future__ import annotations

from typing import Any

from ...context import EngineContext
from ...options import Options
from ...regexes import RegexProblem
from ...request import Request
from ...result import Diagnosis, RequestTrace
from ...snapshot import Snapshot
from ..base import RouteTable
from .conditions import query_values, why_not
from .flow import Flow
from .forward import forward
from .hostnames import best_listener_name, specificity, wildcard_suffixes
from .index import ListenerIndex
from .listeners import choose_listener, fits, no_listener
from .model import GatewayInfo, Listener, Match, RouteInfo

MAX_EXAMINED = 200  # near-miss reporting only; matching itself never scans


class GatewayRouter(RouteTable):
    """Routes requests through the Gateways and listener indexes a compiled ``GatewayApiTable`` holds."""

    snapshot: Snapshot
    options: Options
    context: EngineContext
    gateways: list[GatewayInfo]
    routes: list[RouteInfo]
    indexes: dict[int, ListenerIndex]  # id(listener) -> its attached routes
    by_address: dict[str, GatewayInfo]
    by_key: dict[tuple[str, str], GatewayInfo]
    entry_gateway: GatewayInfo | None
    unattached: dict[str, list[tuple[RouteInfo, set[str], str]]]  # hostname -> (route, Gateway keys, why)

    def route(self, request: Request) -> RequestTrace:
        flow = Flow(request, RequestTrace(request=request.to_dict(), controller=self.family))
        gw = self._gateway(flow)
        lis = choose_listener(flow, gw) if gw is not None else None
        if lis is not None and self._match(flow, lis) is not None:
            forward(self, flow)
        flow.feature_warnings()
        trace = flow.trace
        trace.status, trace.error = flow.status, flow.error
        trace.hops = [flow.hop(), *flow.after]
        return trace

    # -- which Gateway ------------------------------------------------------------------------------

    def _named(self, via: dict[str, Any] | str) -> GatewayInfo | None:
        if isinstance(via, str):
            return self.by_address.get(via)
        kind, ns, name = str(via.get("kind") or "Service"), via.get("namespace"), str(via.get("name") or "")
        for gw in self.gateways:
            target = gw.obj if kind == "Gateway" else gw.service if kind == "Service" else None
            if target is not None and target.name == name and (ns is None or target.namespace == ns):
                return gw
        return None

    def _score(self, gw: GatewayInfo, request: Request) -> tuple[int, tuple[int, int]]:
        """How well a Gateway serves the request: a fitting listener covering the host with routes for it beats
        one without routes, which beats a listener on the port only."""
        listeners = [lis for lis in gw.listeners if lis.port == request.port and fits(lis, request.scheme)]
        if not listeners:
            return (0, (0, 0))
        best = best_listener_name([lis.hostname for lis in listeners], request.server_name)
        if best is None:
            return (1, (0, 0))
        lis = listeners[best]
        index = self.indexes.get(id(lis))
        routed = bool(index is not None and index.lookup(request.server_name))
        return (3 if routed else 2, specificity(lis.hostname or ""))

    def _gateway(self, flow: Flow) -> GatewayInfo | None:
        req = flow.request
        flow.cite("k8s-routing#G-1")
        if not self.gateways:
            flow.end("no Gateway of this GatewayClass is in the snapshot: nothing listens", None, outcome="refused",
                     error="connection-refused", diagnosis=no_listener(
                         "No Gateway of this GatewayClass is in the snapshot, so nothing listens for the request.",
                         "Create a Gateway with spec.gatewayClassName naming this class.", "k8s-routing#G-1", []))
            return None
        gw: GatewayInfo | None = None
        if req.via is not None:
            gw = self._named(req.via)
            if gw is not None:
                flow.decision.append(f"the request names Gateway {gw.key} (via)")
            else:
                flow.near.append("the request's via names no Gateway of this GatewayClass; chose by host instead")
        if gw is None and req.host in self.by_address:
            gw = self.by_address[req.host]
            flow.decision.append(f"{req.host} is an address of Gateway {gw.key} ({gw.address_how})")
        if gw is None and len(self.gateways) == 1:
            gw = self.gateways[0]
            flow.decision.append(f"Gateway {gw.key} is the only Gateway of this class")
        if gw is None:
            scored = [(self._score(g, req), -i, g) for i, g in enumerate(self.gateways)]
            best = max(scored, key=lambda s: (s[0], s[2] is self.entry_gateway, s[1]))
            gw = best[2]
            others = [g.key for score, _, g in scored if score[0] == 3 and g is not gw]
            flow.decision.append(
                f"Gateway {gw.key} serves {req.server_name}" if best[0][0] == 3 else
                f"Gateway {gw.key} is the first Gateway of this class" + (" with a listener for the request"
                                                                         if best[0][0] else "")
            )
            if others:
                flow.near.append(f"Gateway(s) {', '.join(others[:4])} also serve {req.server_name}; set via to trace "
                                 "another one")
        flow.gateway = gw
        entry = self.entry_gateway
        if entry is not None and entry is not gw and entry.service is not None:
            own = (f"Service {gw.service.namespace}/{gw.service.name}" if gw.service is not None else
                   ", ".join(gw.addresses) or "not in the snapshot")
            flow.near.append(f"the hops in front show the entry of Gateway {entry.key} (Service {entry.service.namespace}/"
                             f"{entry.service.name}); this Gateway's own entry: {own}")
        flow.objects.append(gw.obj.ref())
        if gw.gateway_class is not None:
            flow.objects.append(gw.gateway_class.ref())
        flow.details.update({
            "gateway": gw.key,
            "gateway_class": gw.class_name,
            "implementation": gw.implementation.label() if gw.implementation else (gw.controller or "unknown"),
        })
        if gw.addresses:
            flow.details["addresses"] = gw.addresses
            if gw.service is None:
                flow.decision.append(f"the Gateway listens at {gw.addresses[0]} ({gw.address_how}); its Service is not "
                                     "in the snapshot")
        elif gw.service is None:
            flow.decision.append("neither the Gateway's Service nor its status.addresses is in the snapshot")
        if gw.gateway_class is None:
            flow.confidence = "inferred"
            flow.decision.append(f"GatewayClass {gw.class_name} is not in the snapshot; the portable Gateway API "
                                 "semantics are assumed")
        if gw.obj.spec.get("addresses"):
            flow.features.append(("GatewayStaticAddresses", f"Gateway {gw.key}"))
        return gw

    # -- which route rule ---------------------------------------------------------------------------

    def _match(self, flow: Flow, lis: Listener) -> Match | None:
        req = flow.request
        host, path = req.server_name, req.path
        flow.cite("k8s-routing#G-17", "k8s-routing#G-18", "k8s-routing#G-19", "k8s-routing#G-23", "k8s-routing#G-24")
        index = self.indexes.get(id(lis))
        buckets = index.lookup(host) if index is not None else []
        query = query_values(req)
        winner: Match | None = None
        examined: set[int] = set()
        for b, bucket in enumerate(buckets):
            for m in bucket.candidates(path):
                examined.add(id(m))
                why = why_not(m, req, query)
                if isinstance(why, RegexProblem):
                    flow.trace.add_diagnosis(Diagnosis(why.code, "error", why.message,
                                                       "Fix the regular expression.", "k8s-routing#G-19",
                                                       [m.rule.route.obj.ref()]))
                    continue
                if why is not None:
                    flow.near.append(f"{m.where} ({m.describe()}): {why}")
                    continue
                if winner is None:
                    winner, flow.hostname = m, bucket.hostname
                    if b > 0:
                        flow.near.append(
                            f"routes for the more specific hostname {buckets[0].hostname or 'any'} match nothing here; "
                            f"the rule under {bucket.hostname or 'any host'} answers (G-23); implementations that build "
                            "one virtual host per hostname may answer 404 instead")
                elif len(flow.near) < 8:
                    flow.near.append(f"{m.where} ({m.describe()}) also matches, but {_lost(winner, m)}")
            if winner is not None:
                break
        if winner is None:
            self._no_route(flow, lis, buckets, examined)
            return None
        flow.match = winner
        if m_features := [f for f, used in (("HTTPRouteMethodMatching", winner.method),
                                           ("HTTPRouteQueryParamMatching", winner.query)) if used]:
            flow.features += [(f, winner.where) for f in m_features]
        self._isolation(flow, lis)
        return winner

    def _isolation(self, flow: Flow, lis: Listener) -> None:
        """Listener isolation (G-8) is an extended feature: say so when a less specific listener also holds routes
        for the host."""
        req = flow.request
        wider = [other for other in lis.gateway.listeners
                 if other is not lis and other.port == lis.port and fits(other, req.scheme)
                 and (other_index := self.indexes.get(id(other))) is not None and other_index.lookup(req.server_name)]
        if wider:
            flow.cite("k8s-routing#G-8")
            flow.features.append(("GatewayHTTPListenerIsolation",
                                  f"listener {lis.name} beside listener(s) {', '.join(o.name for o in wider)}"))
            flow.near.append(f"listener(s) {', '.join(o.name for o in wider)} also cover {req.server_name}, but only "
                             f"the most specific listener {lis.name} serves it (listener isolation)")

    def _no_route(self, flow: Flow, lis: Listener, buckets: list[Any], examined: set[int]) -> None:
        req = flow.request
        gw = lis.gateway
        host = req.server_name
        for bucket in buckets:
            for m in bucket.all_matches()[:MAX_EXAMINED]:
                if id(m) not in examined:
                    flow.near.append(f"{m.where} ({m.describe()}): path {req.path} does not match")
        for other in gw.listeners:
            other_index = self.indexes.get(id(other))
            if other is not lis and other_index is not None and other_index.lookup(host):
                flow.near.append(f"listener {other.label} has routes for {host}, but the request reached listener "
                                 f"{lis.name}")
        not_here = self._unattached_for(host, gw)
        for route, why in not_here[:3]:
            flow.near.insert(0, f"HTTPRoute {route.key} names {host} but is not attached here: {why}")
            flow.trace.add_diagnosis(Diagnosis(
                "GATEWAY_ROUTE_NOT_ACCEPTED", "error",
                f"HTTPRoute {route.key} would serve {host}, but {why}.",
                "Fix the parentRef, the listener's allowedRoutes or hostnames as the status reason says.",
                "k8s-routing#G-15", [route.obj.ref()]))
        flow.cite("k8s-routing#G-27")
        why = (f"no rule of the routes attached to listener {lis.name} matches {host}{req.path}" if buckets else
               f"no route attached to listener {lis.name} covers {host}")
        flow.end(f"{why}: 404", 404, diagnosis=Diagnosis(
            "GATEWAY_NO_ROUTE_MATCHES", "error",
            f"Gateway {gw.key}: {why}, so the Gateway answers 404." + (f" Nearest: {flow.near[0]}." if flow.near else ""),
            f"Add an HTTPRoute attached to listener {lis.name} with hostname {host} and a match covering {req.path} "
            "(PathPrefix matches whole path segments).", "k8s-routing#G-27", [gw.obj.ref()]))

    def _unattached_for(self, host: str, gw: GatewayInfo) -> list[tuple[RouteInfo, str]]:
        out = []
        for key in [host, *wildcard_suffixes(host), ""]:
            for route, parents, why in self.unattached.get(key, ()):
                if gw.key in parents:
                    out.append((route, why))
        return out


# What each position of Match.key compares (rules.py builds it).
KEY_REASONS = ("its path type (Exact, then PathPrefix, then RegularExpression)", "a longer PathPrefix", "a method match",
               "more header matches", "more query parameter matches", "an older route",
               "its namespace/name sorting first", "its namespace/name sorting first", "an earlier rule",
               "an earlier match")


def _lost(winner: Match, loser: Match) -> str:
    for i, (a, b) in enumerate(zip(winner.key, loser.key, strict=False)):
        if a != b:
            return f"{winner.where} wins on {KEY_REASONS[min(i, len(KEY_REASONS) - 1)]} (G-24..G-26)"
    return "the first match wins"
