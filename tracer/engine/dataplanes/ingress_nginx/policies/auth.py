"""Access-phase authentication: basic/digest auth (ingress-nginx#9.2) and the external auth subrequest (#9.3).

Secret data and the auth service's answer are not in a snapshot: credentials are assumed correct
when present, and the auth service's status is assumed from the request unless given.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from ....request import Request
from ....result import Diagnosis
from ....snapshot import Snapshot
from ..annotations import IngressAnnotations
from ..config import ControllerConfig
from .client import client_ip, request_scheme
from .outcome import PolicyOutcome, annotation_key, ingress_ref
from .response_phase import cors_response_headers


def check_basic_auth(ann: IngressAnnotations, config: ControllerConfig, request: Request) -> PolicyOutcome:
    auth = ann.basic_auth
    realm = auth.realm or ""
    scheme_word = "Basic" if auth.type != "digest" else "Digest"
    supplied = (request.header("authorization") or "").strip()
    details = {"auth_type": auth.type, "auth_secret": auth.secret, "realm": realm}
    if supplied.lower().startswith(scheme_word.lower() + " "):
        return PolicyOutcome(
            None,
            f"{scheme_word} credentials supplied; assumed correct (Secret data is never stored, so the password "
            "cannot be checked). The Authorization header is not forwarded upstream",
            stage="basic-auth",
            confidence="assumed",
            rules=["ingress-nginx#9.2"],
            details=details,
        )
    if scheme_word == "Basic":
        challenge = f'Basic realm="{realm}"'
    else:
        nonce = hashlib.sha256(f"{request.client_ip}{request.request_uri}".encode()).hexdigest()[:16]
        challenge = f'Digest algorithm="MD5", qop="auth", realm="{realm}", nonce="{nonce}"'
    headers = {"WWW-Authenticate": challenge}
    headers.update(cors_response_headers(ann, request))  # the 401 keeps the CORS headers (ingress-nginx#9.6)
    return PolicyOutcome(
        401,
        f"{scheme_word} auth required (Secret {auth.secret}) and the request has no {scheme_word} credentials",
        headers=headers,
        stage="basic-auth",
        body="401 Authorization Required",  # nginx's own error page text (not RFC 9110 phrases)
        rules=["ingress-nginx#9.2"],
        details=details,
        diagnoses=[
            Diagnosis(
                "AUTH_REQUIRED",
                "info",
                f"Ingress {ann.name} protects this path with {scheme_word.lower()} auth (Secret {auth.secret}); "
                "a request without credentials gets 401.",
                f"Send credentials, e.g. curl -u user:password, or remove {annotation_key(ann, 'auth-type')} if the "
                "path should be public.",
                "ingress-nginx#9.2",
                ingress_ref(ann),
            )
        ],
    )


# Cluster DNS names of Services: <svc>.<ns>.svc or <svc>.<ns>.svc.<cluster domain>.
def _auth_service(host: str) -> tuple[str, str] | None:
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 3 and labels[2] == "svc":
        return labels[1], labels[0]
    return None


def _expand_vars(template: str, scheme: str, host: str, request: Request) -> str:
    """The nginx variables commonly used in auth-signin values."""
    escaped = quote(request.request_uri, safe="")
    values = {
        "$escaped_request_uri": escaped,
        "$request_uri": request.request_uri,
        "$pass_access_scheme": scheme,
        "$scheme": scheme,
        "$best_http_host": host,
        "$http_host": host,
        "$host": request.server_name,
        "$uri": request.path,
        "$args": request.query,
    }
    out = template
    for name in sorted(values, key=len, reverse=True):
        out = out.replace(name, values[name])
    return out


def signin_location(signin: str, redirect_param: str, scheme: str, host: str, request: Request) -> str:
    """template.go buildAuthSignURL: append ``<param>=<scheme>://<Host><escaped request URI>`` unless the signin URL
    already carries that parameter; ``set_escape_uri`` escapes everything but unreserved characters."""
    param = redirect_param or "rd"
    try:
        query = parse_qs(urlsplit(signin).query, keep_blank_values=True)
    except ValueError:
        query = {}
    if not query:
        url = f"{signin}?{param}=$pass_access_scheme://$http_host$escaped_request_uri"
    elif query.get(param, [""])[0] != "":
        url = signin
    else:
        url = f"{signin}&{param}=$pass_access_scheme://$http_host$escaped_request_uri"
    return _expand_vars(url, scheme, host, request)


def check_external_auth(
    ann: IngressAnnotations,
    config: ControllerConfig,
    request: Request,
    snapshot: Snapshot,
    auth_status: int | None,
) -> PolicyOutcome:
    own = ann.external_auth
    is_global = own.url is None
    url = own.url if own.url is not None else config.global_auth_url
    signin = own.signin if not is_global else (config.global_auth_signin or None)
    param = own.signin_redirect_param if not is_global else (config.global_auth_signin_redirect_param or "rd")
    method = (own.method if not is_global else config.global_auth_method) or "GET"
    scheme = request_scheme(request, config)
    host = request.host_header
    parts = urlsplit(url)
    auth_host = parts.hostname or ""
    sub_headers = {
        "Host": parts.netloc.rpartition("@")[2],
        "X-Original-URL": f"{scheme}://{host}{request.request_uri}",
        "X-Original-Method": request.method,
        "X-Sent-From": "nginx-ingress-controller",
        "X-Real-IP": client_ip(request, config),
        "X-Forwarded-For": client_ip(request, config),
        "X-Auth-Request-Redirect": request.request_uri,
    }
    details: dict[str, Any] = {
        "auth_url": url,
        "method": method,
        "global": is_global,
        "subrequest_headers": sub_headers,
    }
    source = "ConfigMap global-auth-url" if is_global else annotation_key(ann, "auth-url")
    svc = _auth_service(auth_host)
    if svc is not None and snapshot.get("Service", svc[0], svc[1]) is None:
        ns, name = svc
        return PolicyOutcome(
            500,
            f"auth subrequest to {url} fails: Service {ns}/{name} is not in the snapshot",
            component="auth",
            stage="external-auth",
            body="500 Internal Server Error",
            rules=["ingress-nginx#9.3"],
            details=details,
            diagnoses=[
                Diagnosis(
                    "AUTH_SERVICE_MISSING",
                    "error",
                    f"Ingress {ann.name}: {source} points at Service {ns}/{name}, which does not exist; "
                    "the auth subrequest fails and nginx answers 500.",
                    f"Deploy the auth service as Service {name} in namespace {ns}, or fix {source}.",
                    "ingress-nginx#9.3",
                    ingress_ref(ann),
                )
            ],
        )
    confidence = "assumed"
    if auth_status is not None:
        status, why = auth_status, "given"
        confidence = "from-snapshot"
    elif request.header("cookie") is not None or request.header("authorization") is not None:
        status, why = 200, "assumed: the request carries a Cookie/Authorization header, taken as a valid session"
    else:
        status, why = 401, "assumed: the request has no Cookie or Authorization header"
    details["auth_status"] = status
    if 200 <= status < 300:
        copied = list(own.response_headers) if not is_global else list(config.global_auth_response_headers)
        summary = f"auth service {url} answered {status} ({why}); request proceeds"
        if copied:
            summary += f"; headers {', '.join(copied)} are copied from the auth response onto the upstream request"
        return PolicyOutcome(
            None,
            summary,
            component="auth",
            stage="external-auth",
            confidence=confidence,
            rules=["ingress-nginx#9.3"],
            details=details,
        )
    if status == 401 and signin:
        location = signin_location(signin, param, scheme, host, request)
        return PolicyOutcome(
            302,
            f"auth service {url} answered 401 ({why}); redirected to sign-in {location}",
            headers={"Location": location},
            component="auth",
            stage="external-auth",
            confidence=confidence,
            body="302 Found",
            rules=["ingress-nginx#9.3"],
            details=details,
        )
    if status == 401:
        return PolicyOutcome(
            401,
            f"auth service {url} answered 401 ({why})",
            component="auth",
            stage="external-auth",
            confidence=confidence,
            body="401 Authorization Required",
            rules=["ingress-nginx#9.3"],
            details=details,
            diagnoses=[
                Diagnosis(
                    "AUTH_REQUIRED",
                    "info",
                    f"Ingress {ann.name}: {source} rejects requests without a session with 401, and no auth-signin "
                    "is set, so browsers see a bare 401 instead of a login redirect.",
                    f'Add {annotation_key(ann, "auth-signin")}: '
                    '"https://<auth host>/oauth2/start?rd=$escaped_request_uri" to send users to the login page.',
                    "ingress-nginx#9.3",
                    ingress_ref(ann),
                )
            ],
        )
    if status == 403:
        return PolicyOutcome(
            403,
            f"auth service {url} answered 403 ({why})",
            component="auth",
            stage="external-auth",
            confidence=confidence,
            body="403 Forbidden",
            rules=["ingress-nginx#9.3"],
            details=details,
        )
    return PolicyOutcome(
        500,
        f"auth service {url} answered {status} ({why}); any status other than 2xx/401/403 becomes 500",
        component="auth",
        stage="external-auth",
        confidence=confidence,
        body="500 Internal Server Error",
        rules=["ingress-nginx#9.3"],
        details=details,
    )
