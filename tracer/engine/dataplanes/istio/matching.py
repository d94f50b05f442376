"""Host and request matching as the gateway's Envoy route table does it (istio#S4, #S6).

Pure functions over strings: which domains a VirtualService gets on a server, how a request host picks
a virtual host, and whether one HTTPMatchRequest matches a request.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from ... import regexes
from ...request import Request
from .model import Match, StringMatch


def covers(pattern: str, host: str) -> bool:
    """A host pattern covering a host: ``*`` covers all, ``*.a.com`` any name below a.com (any depth, not
    a.com itself), anything else only itself (Envoy VirtualHost.domains, istio#S4)."""
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return pattern == host


def intersect(server_host: str, vs_host: str) -> str | None:
    """The domain a VirtualService host yields on a server host, the more specific of the two (istio#S4)."""
    if covers(server_host, vs_host):
        return vs_host
    if covers(vs_host, server_host):
        return server_host
    return None


def domain_keys(host: str) -> list[str]:
    """The domains that may hold ``host``, in Envoy's order: the exact name, then suffix wildcards from the
    longest suffix, then ``*`` (istio#S4)."""
    keys = [host]
    labels = host.split(".")
    keys += ["*." + ".".join(labels[i:]) for i in range(1, len(labels))]
    keys.append("*")
    return keys


def string_matches(m: StringMatch, value: str, ignore_case: bool = False) -> bool:
    if m.kind == "regex":
        # RE2 in Envoy; the whole value must match (istio#S6).
        found = regexes.match(f"(?:{m.value})\\Z", value, ignore_case=ignore_case)
        return bool(found)
    want, have = (m.value.lower(), value.lower()) if ignore_case else (m.value, value)
    return have == want if m.kind == "exact" else have.startswith(want)


def _query(request: Request) -> dict[str, str]:
    return dict(parse_qsl(request.query, keep_blank_values=True))


def match_request(m: Match, request: Request, port: int) -> bool:
    """All conditions of one HTTPMatchRequest hold (istio#S6); ``port`` is the server port the request came in
    on. Match-level ``gateways`` are applied when the routes are compiled."""
    if m.port is not None and m.port != port:
        return False
    if m.uri is not None and not string_matches(m.uri, request.path, m.ignore_case):
        return False
    if m.method is not None and not string_matches(m.method, request.method):
        return False
    if m.authority is not None and not string_matches(m.authority, request.host_header):
        return False
    if m.scheme is not None and not string_matches(m.scheme, request.scheme):
        return False
    for name, cond in m.headers.items():
        value = request.header(name)
        if value is None or (cond is not None and not string_matches(cond, value)):
            return False
    for name, cond in m.without_headers.items():
        value = request.header(name)
        if value is not None and (cond is None or string_matches(cond, value)):
            return False
    if m.query:
        params = _query(request)
        for name, cond in m.query.items():
            got = params.get(name)
            if got is None or (cond is not None and not string_matches(cond, got)):
                return False
    return True


def rewrite_path(path: str, matched: Match | None, new: str) -> str:
    """``rewrite.uri``: replaces the matched prefix for a prefix match, the whole path otherwise (istio#S8)."""
    if matched is None or matched.uri is None:
        return new + path[1:]  # a route without a uri condition is a prefix / route
    if matched.uri.kind == "prefix":
        return new + path[len(matched.uri.value):]
    return new
