"""P1-P2: the TLS handshake and reading the request (ingress-nginx#0, #2.6, #3.5).

Request line and header size limits (large-client-header-buffers), header names with underscores,
the normalised ``$uri``, the scheme the controller trusts, and the certificate served for the SNI.
"""

from __future__ import annotations

from ....result import Diagnosis
from ..locations import normalise_uri
from ..policies import request_scheme
from ..servers import certificate_for
from .state import RouteState


def read_request(s: RouteState) -> int | None:
    """A status when nginx rejects the request while reading it, else None."""
    req = s.req
    # P2: request line and header limits, underscores (large-client-header-buffers "4 8k").
    limit = s.config.large_client_header_buffer_size
    if len(req.method) + len(req.request_uri) + len(req.http_version) + 7 > limit:
        return s.respond(414, f"request line longer than {limit} bytes (large-client-header-buffers)",
                         "ingress-nginx#0")
    for name, value in req.headers:
        if len(name) + 2 + len(value) > limit:
            # nginx's own error page text
            return s.respond(400, f"header {name} is longer than {limit} bytes: \"400 Request Header Or "
                             "Cookie Too Large\"", "ingress-nginx#0")
    if not s.config.enable_underscores_in_headers:
        kept = [(k, v) for k, v in req.headers if "_" not in k]
        if len(kept) != len(req.headers):
            dropped = sorted({k for k, _ in req.headers if "_" in k})
            s.changes["headers_dropped"] = dropped
            s.details["underscore_headers"] = (
                f"{', '.join(dropped)} dropped: header names with '_' are ignored (enable-underscores-in-headers "
                "is false)"
            )
            s.req = req = req.with_changes(headers=kept)
            s.hdrs = {k.lower(): v for k, v in reversed(kept)}
    uri = normalise_uri(req.path)
    if uri is None:
        return s.respond(400, f"URI {req.path} has a bad %-escape or climbs above / with ..", "ingress-nginx#3.5")
    s.uri = uri
    if uri != req.path:
        s.details["normalised_uri"] = uri
    s.scheme = request_scheme(req, s.config)
    _tls_handshake(s)
    return None


def _tls_handshake(s: RouteState) -> None:
    """P1: the certificate for the SNI; a default certificate is a warning, never a routing change (#2.6)."""
    if s.req.scheme != "https":
        return
    sni = s.req.tls_server_name
    tls = certificate_for(s.ctx.servers, sni)
    default = s.ctx.servers.default_cert
    if tls is None or tls.uses_default:
        served = f"default certificate ({default.name})"
        note = tls.note if tls is not None else f"no certificate is configured for {sni}"
        s.trace.add_diagnosis(
            Diagnosis(
                "DEFAULT_CERTIFICATE",
                "warning",
                f"TLS for {sni}: {note}; nginx serves the {served}, so browsers show a certificate warning "
                "(routing is unaffected: the Host header picks the server).",
                "Add a spec.tls entry listing this host with a secretName whose certificate covers it (for "
                "example via cert-manager), or set --default-ssl-certificate.",
                "ingress-nginx#2.6",
                [tls.ingress.ref()] if tls is not None and tls.ingress is not None else [],
            )
        )
    else:
        served = f"Secret {tls.ingress.namespace}/{tls.secret_name}" if tls.ingress else str(tls.secret_name)
        note = tls.note
    s.details["tls"] = {"sni": sni, "certificate": served, "note": note}
    s.rules.append("ingress-nginx#2.6")
