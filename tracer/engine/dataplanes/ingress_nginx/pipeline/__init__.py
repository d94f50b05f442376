"""One request through the compiled ingress-nginx configuration, stage by stage (ingress-nginx#0, P1..P11).

The first stage that answers wins. The controller hop records the server and location chosen, the
near misses, what changed and the settings in force; an auth hop is added for external auth, then
the Service/Endpoints/Pod hops of tracer.engine.services.

Stages, in request order: request_stage (P1-P2), server_stage (P3-P4), location_stage (P5-P6),
backend_stage (P7), the rate limits of LocationFacts (P8), access_stage (P9), proxy_stage (P10),
response_stage (P11); snippet_stage applies the snippets' directives within P4, P6, P10 and P11
(ingress-nginx#11.4). They share one ``RouteState`` (state.py); context.py states what they read
from the compiled table.
"""

from __future__ import annotations

from ....request import Request
from ....result import RequestTrace
from .access_stage import access_phase
from .backend_stage import lua_rewrite
from .context import LocationFacts, RouteContext, location_facts
from .location_stage import choose_location, rewrite_phase
from .passthrough_stage import passthrough_server, passthrough_trace
from .proxy_stage import proxy
from .request_stage import read_request
from .response_stage import finish
from .server_stage import choose_server
from .state import RouteState


def route_request(ctx: RouteContext, request: Request) -> RequestTrace:
    """Route one request through P1..P11 and build its trace."""
    s = RouteState(ctx, request)
    if ctx.config.enable_ssl_passthrough and request.scheme == "https":  # #2.8: the TCP proxy sees TLS first
        server = passthrough_server(s)
        if server is not None:
            trace = passthrough_trace(s, server)
            if trace is not None:
                return trace
    return finish(s, _answer(s))


def _answer(s: RouteState) -> int:
    """The status of the first stage that answers."""
    status = read_request(s)  # P1-P2
    if status is not None:
        return status
    status = choose_server(s)  # P3-P4
    if status is not None:
        return status
    status = choose_location(s)  # P5
    if status is not None:
        return status
    loc, ann, facts = s.loc, s.ann, s.facts
    assert loc is not None and ann is not None and facts is not None  # set by choose_location
    status = rewrite_phase(s, loc, ann)  # P6
    if status is not None:
        return status
    status = lua_rewrite(s, loc, ann)  # P7
    if status is not None:
        return status
    if facts.rate_limits is not None:  # P8: listed only, one request cannot trip a rate limit (#9.5)
        s.details["rate_limits"] = {**facts.rate_limits}
    if not facts.no_access_rules:
        status = access_phase(s, loc, ann)  # P9
        if status is not None:
            return status
    return proxy(s, loc, ann)  # P10


__all__ = ["LocationFacts", "RouteContext", "location_facts", "route_request"]
