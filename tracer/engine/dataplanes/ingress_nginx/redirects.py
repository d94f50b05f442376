"""Redirects nginx answers itself: app-root, from-to-www, trailing slash, permanent/temporal, HTTPS.

Each function returns a :class:`Redirect` (status, Location, why, rule) or None; the pipeline
calls them at their stage (ingress-nginx#0: P4 app-root and from-to-www, P5 trailing slash,
P6 permanent/temporal, P7 HTTPS).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...request import Request
from .annotations import IngressAnnotations
from .config import ControllerConfig
from .model import Location, Server
from .servers import ServerTable, certificate_for


@dataclass(slots=True)
class Redirect:
    status: int
    location: str
    reason: str
    rule: str


def _relative(ann: IngressAnnotations | None, config: ControllerConfig) -> bool:
    return bool((ann is not None and ann.redirect.relative) or config.relative_redirects)


def app_root(server: Server, uri: str, request: Request) -> Redirect | None:
    """``if ($uri = /) { return 302 $scheme://$http_host<app-root>; }`` at server level (#4.3)."""
    if server.app_root is None or uri != "/":
        return None
    target, loc = server.app_root
    owner = f"Ingress {loc.ingress.namespace}/{loc.ingress.name}" if loc.ingress else "the host"
    return Redirect(
        302,
        f"{request.scheme}://{request.host_header}{target}",
        f"app-root {target} on {owner}: the exact URI / is redirected before any location is chosen",
        "ingress-nginx#4.3",
    )


def from_to_www(server: Server, request: Request, config: ControllerConfig) -> Redirect:
    """The counterpart server of from-to-www-redirect answers every request (#5.3)."""
    port = config.https_port if request.scheme == "https" else config.http_port
    uri = request.request_uri
    if uri.endswith("/"):
        uri = uri[:-1]
    origin = server.redirect_origin
    owner = f"Ingress {origin.namespace}/{origin.name}" if origin else "an Ingress"
    return Redirect(
        config.http_redirect_code,
        f"{request.scheme}://{server.redirect_to}:{port}{uri}",
        f"from-to-www-redirect on {owner} created server {server.hostname}, which redirects everything to "
        f"{server.redirect_to} (port always included)",
        "ingress-nginx#5.3",
    )


def trailing_slash(loc: Location, request: Request, ann: IngressAnnotations | None, config: ControllerConfig) -> Redirect:
    """nginx's automatic 301 for ``/foo`` when only ``location /foo/`` exists (#3.5, #3.6)."""
    query = f"?{request.query}" if request.query else ""
    target = loc.path + query
    if not _relative(ann, config):
        target = f"{request.scheme}://{request.server_name}{target}"
    return Redirect(
        301,
        target,
        f"URI {request.path} equals location \"{loc.path}\" without its trailing slash and no "
        f"`location = {request.path}` exists: nginx adds the slash with a 301",
        "ingress-nginx#3.6",
    )


def annotation_redirect(ann: IngressAnnotations | None, request: Request, config: ControllerConfig) -> Redirect | None:
    """temporal-redirect (wins) or permanent-redirect: ``return <code> <url>``, URL verbatim (#5.2)."""
    if ann is None:
        return None
    which, value = ("temporal-redirect", ann.redirect.temporal)
    if value is None:
        which, value = ("permanent-redirect", ann.redirect.permanent)
    if value is None:
        return None
    url, code = value
    if url.startswith("/") and not _relative(ann, config):
        url = f"{request.scheme}://{request.server_name}{url}"
    return Redirect(
        code,
        url,
        f"{which} on Ingress {ann.ingress.namespace}/{ann.ingress.name}: every path of it answers {code} "
        "(the request path and query are not appended)",
        "ingress-nginx#5.2",
    )


def https_redirect(
    loc: Location | None,
    ann: IngressAnnotations | None,
    request: Request,
    scheme: str,
    config: ControllerConfig,
    table: ServerTable,
) -> Redirect | None:
    """lua_ingress.lua redirect_to_https, in its order (#5.1)."""
    location_path = loc.ingress_path if loc is not None else "/"
    if location_path.startswith(tuple(config.no_tls_redirect_locations)):
        return None
    force = ann.redirect.force_ssl if ann is not None and ann.redirect.force_ssl is not None else config.force_ssl_redirect
    if force and scheme == "http":
        why = "force-ssl-redirect is on and the request scheme is http"
    elif scheme != "http":
        return None
    else:
        ssl = ann.redirect.ssl if ann is not None and ann.redirect.ssl is not None else config.ssl_redirect
        cert = certificate_for(table, request.server_name)
        if not ssl or cert is None:
            return None
        why = (
            f"ssl-redirect is on (default) and host {request.server_name} has TLS configured"
            + (" (served with the default certificate)" if cert.uses_default else "")
        )
    host = request.server_name
    if config.use_forwarded_headers:
        forwarded = request.header(config.forwarded_host_header or "X-Forwarded-Host")
        if forwarded:
            host = forwarded.split(",")[0].strip()
            host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if config.use_port_in_redirects or (ann is not None and ann.redirect.use_port):
        host = f"{host}:{config.https_port}"
    preserve = (
        ann.redirect.preserve_trailing_slash
        if ann is not None and ann.redirect.preserve_trailing_slash is not None
        else config.preserve_trailing_slash
    )
    uri = request.request_uri
    if not preserve and uri.endswith("/"):
        uri = uri[:-1]
    dropped = " (trailing slash dropped)" if uri != request.request_uri else ""
    return Redirect(
        config.http_redirect_code,
        f"https://{host}{uri}",
        why + f"; redirect with {config.http_redirect_code}{dropped}",
        "ingress-nginx#5.1",
    )
