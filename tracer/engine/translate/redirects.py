"""Redirect annotations as RequestRedirect filters: the HTTPS redirect (ssl-redirect, force-ssl-redirect), the
permanent and temporal redirects, app-root.

Facts: ingress-nginx#5.1 (HTTPS redirect with http-redirect-code, 308 by default, when the host has a certificate
or force-ssl-redirect is set; not for paths under no-tls-redirect-locations), #5.2 (permanent/temporal redirects:
the URL verbatim, codes 300-308 and 300-307), #4.3 (app-root: 302 for the URI / at server level). Gateway API
RequestRedirect: k8s-routing#G-37, G-38 (codes 301, 302 core; 303, 307, 308 extended).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..dataplanes.ingress_nginx.annotations import IngressAnnotations
from .model import Notification
from .source import NginxSource

GATEWAY_CODES = (301, 302, 303, 307, 308)


def https_redirect(src: NginxSource, ann: IngressAnnotations, host: str | None) -> dict[str, Any] | None:
    """The RequestRedirect of the HTTP listener for this Ingress and host, or None when plain HTTP is served."""
    force = ann.redirect.force_ssl if ann.redirect.force_ssl is not None else src.config.force_ssl_redirect
    ssl = ann.redirect.ssl if ann.redirect.ssl is not None else src.config.ssl_redirect
    if not (force or (ssl and host is not None and src.has_certificate(host))):
        return None
    return {"scheme": "https", "statusCode": src.config.http_redirect_code}


def exempt(src: NginxSource, path: str | None) -> bool:
    """Paths under no-tls-redirect-locations (ACME challenges) are never redirected (#5.1 step 1)."""
    return path is not None and any(path.startswith(p) for p in src.config.no_tls_redirect_locations)


def annotation_redirect(ann: IngressAnnotations, obj: str, notes: list[Notification]) -> dict[str, Any] | None:
    """temporal-redirect (it wins) or permanent-redirect as a RequestRedirect (#5.2)."""
    found = ann.redirect.temporal or ann.redirect.permanent
    if found is None:
        return None
    url, code = found
    key = f"{ann.prefix}{'temporal' if ann.redirect.temporal else 'permanent'}-redirect"
    parts = urlsplit(url)
    conf: dict[str, Any] = {}
    if parts.scheme in ("http", "https"):
        conf["scheme"] = parts.scheme
    if parts.hostname:
        conf["hostname"] = parts.hostname
    if parts.port:
        conf["port"] = parts.port
    conf["path"] = {"type": "ReplaceFullPath", "replaceFullPath": parts.path or "/"}
    if code not in GATEWAY_CODES:
        fallback = 302 if ann.redirect.temporal else 301
        notes.append(Notification("warning", obj, key, f"status {code} is not a RequestRedirect statusCode (301, 302, "
                                  f"303, 307, 308); translated with {fallback}", "spec", ("ingress-nginx#5.2",)))
        code = fallback
    conf["statusCode"] = code
    if parts.query:
        notes.append(Notification("warning", obj, key, f"the query ?{parts.query} of {url} has no RequestRedirect "
                                  "field; it is left out", "spec", ("ingress-nginx#5.2",)))
    notes.append(Notification("info", obj, key, f"redirect to {url}: ingress-nginx sends exactly this URL, "
                              "RequestRedirect keeps the request's query string (most implementations)", "spec",
                              ("ingress-nginx#5.2",)))
    return conf


def app_root(ann: IngressAnnotations) -> dict[str, Any] | None:
    """app-root: the URI / answered with a 302 to the app's root (#4.3)."""
    if not ann.rewrite.app_root:
        return None
    return {"path": {"type": "ReplaceFullPath", "replaceFullPath": ann.rewrite.app_root}, "statusCode": 302}
