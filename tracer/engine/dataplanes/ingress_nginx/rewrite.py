"""rewrite-target with nginx ``rewrite`` semantics (ingress-nginx#4.1).

``rewrite "(?i)<location path>" <target> break;`` is matched (unanchored) against the normalised
URI and replaces the *whole* URI with the target, where ``$1``..``$9`` are the path's capture groups
(named captures as ``$name``); the query string is appended; the result is re-escaped for proxy_pass.
A target that starts with ``http://``, ``https://`` or ``$scheme`` makes nginx answer a 302 instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from ...regexes import CompiledPattern, RegexProblem
from ...request import Request
from .model import Location

# Characters nginx's ngx_escape_uri (NGX_ESCAPE_URI) leaves alone in a rewritten URI.
_SAFE = "/:@!$&'()*+,;=-._~"


@dataclass(slots=True)
class RewriteResult:
    uri: str  # the rewritten (decoded) URI
    upstream_path: str  # what proxy_pass sends: escaped URI + original query
    redirect: str | None = None  # absolute target -> 302 Location
    captures: tuple[str, ...] = ()
    problem: RegexProblem | None = None
    note: str = ""


def _variables(request: Request, uri: str, scheme: str) -> dict[str, str]:
    return {
        "scheme": scheme,
        "host": request.server_name,
        "http_host": request.host_header,
        "server_name": request.server_name,
        "request_uri": request.request_uri,
        "uri": uri,
        "document_uri": uri,
        "args": request.query,
        "query_string": request.query,
        "is_args": "?" if request.query else "",
        "request_method": request.method,
    }


def expand_target(target: str, groups: tuple[str | None, ...], named: dict[str, str | None], variables: dict[str, str]) -> str:
    """nginx script expansion of a rewrite replacement: $1..$9, named captures, a few variables."""
    out: list[str] = []
    i = 0
    while i < len(target):
        ch = target[i]
        if ch != "$" or i + 1 >= len(target):
            out.append(ch)
            i += 1
            continue
        nxt = target[i + 1]
        if nxt.isdigit() and nxt != "0":
            n = int(nxt)
            out.append((groups[n - 1] or "") if n <= len(groups) else "")
            i += 2
            continue
        j = i + 1
        while j < len(target) and (target[j].isalnum() or target[j] == "_"):
            j += 1
        name = target[i + 1 : j]
        if name in named:
            out.append(named[name] or "")
        elif name in variables:
            out.append(variables[name])
        else:
            out.append(target[i:j])
        i = j if j > i + 1 else i + 1
    return "".join(out)


def apply_rewrite(loc: Location, uri: str, request: Request, scheme: str) -> RewriteResult | None:
    """The rewrite of an effective rewrite-target, or None when the location has none (#4.1)."""
    if not loc.rewrite or loc.ann is None or not loc.ann.rewrite.target:
        return None
    target = loc.ann.rewrite.target
    pattern = loc.rewrite_pattern
    if isinstance(pattern, RegexProblem):
        return RewriteResult(uri, request.request_uri, problem=pattern, note=pattern.message)
    assert isinstance(pattern, CompiledPattern)
    found = pattern.search(uri)
    if isinstance(found, RegexProblem):
        return RewriteResult(uri, request.request_uri, problem=found, note=found.message)
    if found is None:
        return RewriteResult(uri, request.request_uri, note=f"rewrite regex (?i){loc.path} did not match {uri}")
    groups = tuple(found.groups())
    named = found.groupdict()
    new_uri = expand_target(target, groups, named, _variables(request, uri, scheme))
    query = f"?{request.query}" if request.query else ""
    if new_uri.startswith(("http://", "https://")):
        # nginx: a replacement starting with a scheme ends processing with a redirect (302 with "break").
        return RewriteResult(new_uri, new_uri, redirect=new_uri + query, captures=tuple(g or "" for g in groups))
    upstream = quote(new_uri, safe=_SAFE, errors="surrogateescape") + query
    return RewriteResult(new_uri, upstream, captures=tuple(g or "" for g in groups))
