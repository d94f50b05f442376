"""Client-certificate authentication of the chosen server (ingress-nginx#9.7), between P3 and P4.

nginx checks the certificate right after the virtual server is known (a failure is the internal
status 495 or 496, sent as 400 or to ``error_page 495 496``); the server's ``auth-tls-match-cn``
``if`` and the ``return 403`` of a broken auth-tls setup are server-level rewrites (P4). Over plain
HTTP there is no handshake, so nothing is verified and no ssl-client-* header is sent.
"""

from __future__ import annotations

from typing import Any

from ....regexes import RegexProblem, search
from ....result import Diagnosis
from ..annotations import ClientCertAuth
from ..redirects import Redirect
from .state import RouteState

_ESCAPED_PEM = "-----BEGIN%20CERTIFICATE-----%0A...%0A-----END%20CERTIFICATE-----%0A"


def presented(request_cert: dict[str, str] | str | None) -> tuple[str, str | None]:
    """("none" | "valid" | "invalid", CN or None) from the request's ``client_cert``."""
    if request_cert is None:
        return "none", None
    if isinstance(request_cert, str):
        return request_cert, None
    return request_cert.get("verify", "valid"), request_cert.get("cn")


def client_cert_phase(s: RouteState) -> int | None:
    """A status when the certificate check answers; else None, with the upstream headers recorded."""
    server = s.server
    assert server is not None
    https = s.req.scheme == "https"
    kind, cn = presented(s.req.client_cert)
    details: dict[str, Any] = {"presented": kind if cn is None else f"{kind} (CN={cn})"}
    s.details["client_certificate"] = details
    s.rules.append("ingress-nginx#9.7")
    chosen = server.client_cert
    auth: ClientCertAuth | None = None
    if chosen is not None:
        ing, auth = chosen
        details.update(ingress=f"{ing.namespace}/{ing.name}", ca_secret=auth.secret, verify_client=auth.verify,
                       verify_depth=auth.depth)
        s.hop.objects.append(ing.ref())
    if not https:
        details["note"] = ("plain HTTP: there is no TLS handshake, so no certificate is asked for or verified; "
                           "only the HTTPS redirect (if it applies) keeps such clients out")
    elif auth is not None:
        status = _verify(s, auth, kind)
        if status is not None:
            return status
    if auth is not None and auth.match_cn:
        dn = f"CN={cn}" if https and cn is not None and kind != "none" and auth.verify != "off" else ""
        known = not (https and kind != "none" and cn is None and auth.verify != "off")
        found = search(auth.match_cn, dn) if known else True
        if isinstance(found, RegexProblem):
            found = None
        details["match_cn"] = auth.match_cn + ("" if known else " (the certificate's CN is not given: assumed to match)")
        if not found:
            why = "no client certificate subject (plain HTTP or none sent)" if not dn else f"subject {dn}"
            return s.respond(403, f'{why} does not match auth-tls-match-cn {auth.match_cn}: 403 "client certificate '
                             'unauthorized"', "ingress-nginx#9.7")
    if server.client_cert_error is not None:
        ing, error = server.client_cert_error
        details["error"] = f"Ingress {ing.namespace}/{ing.name}: {error}"
        for diag in s.ctx.selection.annotations[ing.key].diagnoses:  # location facts are never reached
            if diag.code == "CLIENT_CERT_SECRET_MISSING":
                s.trace.add_diagnosis(diag)
        return s.respond(403, f"client-certificate auth of this host is broken ({error}): every path answers 403",
                         "ingress-nginx#0")
    if auth is not None and https:
        s.extra_upstream_headers.update(_upstream_headers(auth, kind, cn))
    elif auth is not None and auth.verify != "off":
        s.trace.add_diagnosis(Diagnosis(
            "CLIENT_CERT_PLAIN_HTTP", "warning",
            f"Host {server.hostname} requires client certificates, but this plain-HTTP request is not verified "
            "(no TLS handshake); it passes unless the HTTPS redirect sends it to HTTPS first.",
            "Keep ssl-redirect on (the default with spec.tls) or refuse plain HTTP for this host.",
            "ingress-nginx#9.7", [chosen[0].ref()] if chosen is not None else [],
        ))
    return None


def _verify(s: RouteState, auth: ClientCertAuth, kind: str) -> int | None:
    """ngx_http_process_request: 495 for a certificate that fails verification, 496 for a missing one."""
    mode = auth.verify
    code = 0
    if mode == "off":
        return None  # no certificate is asked for
    if kind == "invalid" and mode in ("on", "optional"):
        code, text = 495, "The SSL certificate error"
    elif kind == "none" and mode == "on":
        code, text = 496, "No required SSL certificate was sent"
    if not code:
        return None
    why = "the certificate does not verify against the CA" if code == 495 else "no client certificate was presented"
    page = auth.error_page
    if not page:
        return s.respond(400, f'{why} (auth-tls-verify-client: {mode}): 400 "{text}"', "ingress-nginx#9.7")
    if page.startswith("/"):
        # An internal redirect: the location for the error page answers; the check does not run again.
        s.uri = page.split("?", 1)[0]
        s.upstream_path = page
        s.details["client_certificate"]["error_page"] = f"{why}: internal redirect to {page} (error_page {code})"
        return None
    if page.startswith("@"):
        return s.respond(400, f"{why}: error_page {code} goes to the named location {page}, which only a snippet "
                         "can define; tracer cannot see its answer", "ingress-nginx#9.7")
    return s.redirect(Redirect(302, page, f"{why}: auth-tls-error-page", "ingress-nginx#9.7"))


def _upstream_headers(auth: ClientCertAuth, kind: str, cn: str | None) -> dict[str, str]:
    """The ssl-client-* headers nginx.tmpl sets when the host has a CA (values of the $ssl_client_* variables)."""
    if auth.verify == "off" or kind == "none":
        return {"ssl-client-verify": "NONE"}  # the DN variables are empty, so nginx sends no such header
    headers: dict[str, str] = {}
    if auth.pass_cert:
        headers["ssl-client-cert"] = _ESCAPED_PEM
    headers["ssl-client-verify"] = "SUCCESS" if kind == "valid" else "FAILED:unable to verify the first certificate"
    headers["ssl-client-subject-dn"] = f"CN={cn}" if cn is not None else "(subject of the client certificate)"
    headers["ssl-client-issuer-dn"] = "(issuer of the client certificate)"
    return headers
