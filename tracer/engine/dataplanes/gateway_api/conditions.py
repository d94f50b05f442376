"""Whether a request satisfies one HTTPRouteMatch (k8s-routing#G-18..G-22).

Exact and PathPrefix paths are settled by the index; here the regular expression path, the method, the
headers (names case-insensitive, values exact) and the query parameters (names and values exact). Regular
expressions must match the whole value, as Envoy's RE2 matchers do for the Envoy-based implementations
(the dialect is implementation-specific).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from ...regexes import DEFAULT_TIMEOUT, CompiledPattern, RegexProblem
from ...request import Request
from .model import Match, Pattern


def full_match(pattern: Pattern, value: str) -> bool | RegexProblem:
    if isinstance(pattern, RegexProblem):
        return pattern
    if not isinstance(pattern, CompiledPattern):
        return False
    # Through CompiledPattern, so the trace's time budget (tracer/engine/budget.py) counts this regex too.
    found = pattern.fullmatch(value, DEFAULT_TIMEOUT)
    if isinstance(found, RegexProblem):
        return RegexProblem(pattern.source, "REGEX_TIMEOUT",
                            f"regex {pattern.source!r} did not finish in time; treated as no match")
    return found is not None


def query_values(request: Request) -> dict[str, str]:
    """The first value of each query parameter (repeated parameters: the first one counts, G-21)."""
    out: dict[str, str] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True):
        out.setdefault(name, value)
    return out


def why_not(match: Match, request: Request, query: dict[str, str]) -> str | RegexProblem | None:
    """None when every condition of the match holds; otherwise the first that does not, in words."""
    if match.path_type == "RegularExpression":
        found = full_match(match.pattern, request.path)
        if isinstance(found, RegexProblem):
            return found
        if not found:
            return f"path {request.path} does not match the regular expression {match.path}"
    if match.method is not None and request.method != match.method:
        return f"method {request.method} is not {match.method}"
    for name, kind, value, pattern in match.headers:
        got = request.header(name)
        if got is None:
            return f"header {name} is missing"
        if kind == "Exact" and got != value:
            return f"header {name} is {got!r}, not {value!r}"
        if kind == "RegularExpression":
            found = full_match(pattern, got)
            if isinstance(found, RegexProblem):
                return found
            if not found:
                return f"header {name} value {got!r} does not match {value}"
    for name, kind, value, pattern in match.query:
        got = query.get(name)
        if got is None:
            return f"query parameter {name} is missing (names are case-sensitive)"
        if kind == "Exact" and got != value:
            return f"query parameter {name} is {got!r}, not {value!r}"
        if kind == "RegularExpression":
            found = full_match(pattern, got)
            if isinstance(found, RegexProblem):
                return found
            if not found:
                return f"query parameter {name} value {got!r} does not match {value}"
    return None
