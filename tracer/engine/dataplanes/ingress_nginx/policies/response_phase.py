"""P11, headers nginx adds to the response: CORS (ingress-nginx#9.6) and HSTS (#8.8).

The CORS origin check also decides the P6 preflight (rewrite_phase.py) and the headers kept on a
basic-auth 401 (auth.py).
"""

from __future__ import annotations

from ....request import Request
from ..annotations import IngressAnnotations
from ..config import ControllerConfig


def _origin_label_char(c: str) -> bool:
    return (c.isascii() and c.isalnum()) or c == "-"


def _origin_matches(origin: str, allowed: str) -> bool:
    """nginx ``$http_origin ~* ((<allowed>))$``: case-insensitive, anchored at the end only; the first ``*`` stands
    for ``[A-Za-z0-9-]+`` (template.go buildOriginRegex). Done by hand: the header is client input."""
    o, a = origin.lower(), allowed.lower()
    if "*" not in a:
        return o.endswith(a)
    pre, post = a.split("*", 1)
    if not o.endswith(post):
        return False
    rest = o[: len(o) - len(post)]
    run = 0
    while run < len(rest) and _origin_label_char(rest[len(rest) - 1 - run]):
        run += 1
    return any(rest[: len(rest) - k].endswith(pre) for k in range(1, run + 1))


def cors_allowed(ann: IngressAnnotations, request: Request) -> tuple[bool, str]:
    """(cors on for this request, the Access-Control-Allow-Origin value)."""
    if not ann.cors.enabled:
        return False, ""
    if not ann.cors.allow_origin or ann.cors.allow_origin == ("*",):
        # buildCorsOriginRegex: "set $http_origin *; set $cors 'true';" for every request (ingress-nginx#9.6).
        return True, "*"
    origin = request.header("origin")
    if origin is None:
        return False, ""
    if any(_origin_matches(origin, allowed) for allowed in ann.cors.allow_origin):
        return True, origin
    return False, ""


def cors_response_headers(ann: IngressAnnotations, request: Request) -> dict[str, str]:
    """The CORS headers nginx adds to a response of this location (ingress-nginx#9.6); {} when none."""
    on, origin = cors_allowed(ann, request)
    if not on:
        return {}
    headers = {"Access-Control-Allow-Origin": origin}
    if ann.cors.allow_credentials:
        headers["Access-Control-Allow-Credentials"] = "true"
    headers["Access-Control-Allow-Methods"] = ann.cors.allow_methods
    headers["Access-Control-Allow-Headers"] = ann.cors.allow_headers
    if ann.cors.expose_headers:
        headers["Access-Control-Expose-Headers"] = ann.cors.expose_headers
    headers["Access-Control-Max-Age"] = str(ann.cors.max_age)
    return headers


def hsts_header(config: ControllerConfig) -> str | None:
    """Strict-Transport-Security value added to every HTTPS response, or None when hsts is off."""
    if not config.hsts:
        return None
    value = f"max-age={config.hsts_max_age}"
    if config.hsts_include_subdomains:
        value += "; includeSubDomains"
    if config.hsts_preload:
        value += "; preload"
    return value
