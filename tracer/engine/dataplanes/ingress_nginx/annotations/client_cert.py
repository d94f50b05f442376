"""Client-certificate authentication annotations, auth-tls-* (ingress-nginx#9.7, #2.7).

authtls/main.go reads nothing without auth-tls-secret. A Secret that cannot be used denies the Ingress's
locations and, through the server's AuthTLSError, makes the whole host answer 403 (#0 P4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .parser import BASIC_CHARS, Parser, matches

VERIFY_MODES = ("on", "off", "optional", "optional_no_ca")
# authtls redirectRegex: a named location, or an optional scheme://host[:port] followed by a path.
_ERROR_PAGE = re.compile(r"(@[A-Za-z0-9_-]+|((https?://)?[A-Za-z0-9\-.]+(:\d+)?)?(/[A-Za-z0-9\-_.]+)*/?)\Z")


@dataclass(frozen=True, slots=True)
class ClientCertAuth:
    secret: str | None = None  # "ns/name" of the CA Secret
    verify: str = "on"  # ssl_verify_client
    depth: int = 1  # ssl_verify_depth
    error_page: str = ""  # error_page 495 496 = <this>
    pass_cert: bool = False  # ssl-client-cert header to the upstream
    match_cn: str = ""  # "CN=<regex>" checked against $ssl_client_s_dn
    error: str = ""  # AuthTLSError: the host answers 403
    no_ca: bool = False  # the Secret is known to hold no ca.crt: mutual auth silently disabled


NO_CLIENT_CERT = ClientCertAuth()


def parse_client_cert(p: Parser) -> ClientCertAuth:
    if not p.raw:
        return NO_CLIENT_CERT  # no annotation of this controller at all
    raw = p.get("auth-tls-secret")
    if raw is None:
        return NO_CLIENT_CERT
    fix = f"Use {p.line('auth-tls-secret', f'{p.ingress.namespace}/ca-secret')} (a Secret with ca.crt)."
    value = p.strict("auth-tls-secret", raw, BASIC_CHARS, remove_space=True, what="not a namespace/name", fix=fix)
    parts = value.split("/")  # k8s.ParseNameNS: exactly namespace/name; an empty namespace is the Ingress's
    ref = ((parts[0] or p.ingress.namespace or "default"), parts[1]) if len(parts) == 2 and parts[1] else None
    problem = ""
    secret = p.snapshot.get("Secret", ref[0], ref[1]) if ref is not None else None
    if ref is None:
        problem = f'value "{raw}" is not in the form namespace/name'
    elif ref[0] != p.ingress.namespace and not p.config.allow_cross_namespace_resources:
        problem = f"refers to Secret {ref[0]}/{ref[1]} in another namespace, which is not allowed"
    elif secret is None:
        problem = f"names Secret {ref[0]}/{ref[1]}, which is not in the snapshot"
    if problem or ref is None or secret is None:
        p.deny("auth-tls-secret", problem, fix, "CLIENT_CERT_SECRET_MISSING")
        return ClientCertAuth(error=f"{p.key('auth-tls-secret')} {problem}")
    verify = (p.get("auth-tls-verify-client") or "on").strip()
    if verify not in VERIFY_MODES:
        p.drop("auth-tls-verify-client", verify, "fails validation (on, off, optional or optional_no_ca)",
               f'Use {p.line("auth-tls-verify-client", "on")}.')
    depth = p.integer("auth-tls-verify-depth", strict=True) or 1
    page = (p.get("auth-tls-error-page") or "").strip()
    if page and not matches(_ERROR_PAGE, page):
        p.drop("auth-tls-error-page", page, "fails validation (not a URL or named location)",
               f'Use {p.line("auth-tls-error-page", "https://example.com/cert-error")}.')
    match_cn = (p.get("auth-tls-match-cn") or "").strip()
    if match_cn:
        try:
            re.compile(match_cn[3:])
            valid = match_cn.startswith("CN=")
        except re.error:
            valid = False
        if not valid:
            p.drop("auth-tls-match-cn", match_cn, "fails validation (must start with CN= followed by a regex)",
                   f'Use {p.line("auth-tls-match-cn", "CN=client.example.com")}.')
    data = secret.body.get("data")
    no_ca = isinstance(data, dict) and bool(data) and "ca.crt" not in data
    if no_ca:
        p.diag("CLIENT_CERT_NO_CA", "warning",
               f"Ingress {p.name}: Secret {ref[0]}/{ref[1]} of {p.key('auth-tls-secret')} has no ca.crt, so the "
               "controller silently turns client-certificate auth off for this Ingress.",
               f"Add the CA certificate under the key ca.crt in Secret {ref[0]}/{ref[1]}.", "ingress-nginx#9.7")
    return ClientCertAuth(
        secret=f"{ref[0]}/{ref[1]}",
        verify=verify,
        depth=depth,
        error_page=page,
        pass_cert=bool(p.boolean("auth-tls-pass-certificate-to-upstream", False, strict=True)),
        match_cn=match_cn,
        no_ca=no_ca,
    )
