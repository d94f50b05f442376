"""Request-time effects of annotations: client IP, access control, upstream headers, CORS, affinity, HSTS.

Pure functions over (IngressAnnotations, ControllerConfig, Request); no routing. Section numbers refer to
docs/ingress-nginx.md ("ingress-nginx#<n>"); "[nginx]" marks stock nginx behaviour the generated config relies on.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from ...request import Request
from ...result import Diagnosis
from ...snapshot import Snapshot
from .annotations import IngressAnnotations
from .config import ControllerConfig


@dataclass(slots=True)
class PolicyOutcome:
    status: int | None  # None = passes
    summary: str
    headers: dict[str, str] = field(default_factory=dict)  # response headers it adds
    component: str = "controller"  # "auth" for the external-auth subrequest hop, "pod" for backend answers
    rules: list[str] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    stage: str = ""  # block-cidrs | ip-access | basic-auth | external-auth | body-size | cors-preflight | ...
    confidence: str = "from-snapshot"  # from-snapshot | inferred | assumed (as on Hop)
    details: dict[str, Any] = field(default_factory=dict)
    body: str = ""  # nginx's status line text for responses it generates ("403 Forbidden")


def _ref(ann: IngressAnnotations) -> list[dict[str, Any]]:
    return [ann.ingress.ref()]


def _key(ann: IngressAnnotations, suffix: str) -> str:
    return f"{ann.prefix}{suffix}"


# ---- ingress-nginx#8.5, #9.1: client address and scheme ------------------------------------------------------------


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _in_any(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, cidrs: tuple[str, ...] | list[str]) -> str | None:
    """The first CIDR (or single IP) of the list containing ip; None if none."""
    for cidr in cidrs:
        try:
            net = ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError:
            continue
        if ip.version == net.version and ip in net:
            return cidr
    return None


def client_ip(request: Request, config: ControllerConfig) -> str:
    """$remote_addr after the realip module (ingress-nginx#8.5, #9.1).

    The realip module is on when use-forwarded-headers, use-proxy-protocol or enable-real-ip is set. With the PROXY
    protocol alone the address comes from the PROXY header, which the simulator models as the connection source.
    Otherwise the forwarded-for header is walked right to left (real_ip_recursive on), skipping addresses inside
    proxy-real-ip-cidr (default 0.0.0.0/0); if every entry is trusted the leftmost one wins [nginx].
    """
    source = request.client_ip
    uses_header = config.use_forwarded_headers or (config.enable_real_ip and not config.use_proxy_protocol)
    if not uses_header:
        return source
    trusted = config.proxy_real_ip_cidr
    src = _ip(source)
    if src is None or _in_any(src, trusted) is None:
        return source  # the connection does not come from a trusted proxy: header ignored [nginx]
    raw = ",".join(request.header_values(config.forwarded_for_header))
    entries = [e.strip() for e in raw.split(",") if e.strip()]
    if not entries:
        return source
    chosen = source
    for entry in reversed(entries):
        addr = _ip(entry)
        if addr is None:
            return chosen  # unparsable entry: nginx stops and keeps what it had
        chosen = str(addr)
        if _in_any(addr, trusted) is None:
            return chosen
    return chosen


def request_scheme(request: Request, config: ControllerConfig) -> str:
    """$pass_access_scheme: the connection scheme, or the client's X-Forwarded-Proto under use-forwarded-headers
    (lua_ingress.lua rewrite; ingress-nginx#5.1)."""
    if config.use_forwarded_headers:
        proto = request.header("x-forwarded-proto")
        if proto:
            return proto
    if config.use_proxy_protocol and request.scheme == "https":
        return "https"
    return request.scheme


def _pass_port(request: Request, config: ControllerConfig) -> str:
    """$pass_port: the listening port, X-Forwarded-Port under use-forwarded-headers; the HTTPS port reads 443."""
    port = str(config.https_port if request.scheme == "https" else config.http_port)
    if config.use_forwarded_headers:
        forwarded = request.header("x-forwarded-port")
        if forwarded:
            port = forwarded
    if port == str(config.https_port):
        return "443"
    return port


def best_http_host(request: Request, config: ControllerConfig, host_header: str | None = None) -> str:
    """$best_http_host: the Host header (with port), or the first X-Forwarded-Host entry when trusted."""
    host = request.host_header if host_header is None else host_header
    if config.use_forwarded_headers:
        xfh = request.header(config.forwarded_host_header)
        if xfh is not None:
            return xfh.split(",")[0]
    return host


# ---- ingress-nginx#8.6, #9.6: checks before access ------------------------------------------------------------------


def check_body_size(ann: IngressAnnotations, config: ControllerConfig, request: Request) -> PolicyOutcome | None:
    """Content-Length above proxy-body-size -> 413 at P5 (ingress-nginx#8.6, #0)."""
    limit = ann.proxy_body_size if ann.proxy_body_size is not None else config.proxy_body_size
    if not limit or request.body_bytes is None or request.body_bytes <= limit:
        return None
    source = "annotation" if ann.proxy_body_size is not None else "ConfigMap proxy-body-size (default 1m)"
    suggested = f"{-(-request.body_bytes // (1024 * 1024))}m"
    return PolicyOutcome(
        status=413,
        summary=f"request body of {request.body_bytes} bytes exceeds proxy-body-size {limit} bytes ({source})",
        stage="body-size",
        body="413 Request Entity Too Large",
        rules=["ingress-nginx#8.6", "ingress-nginx#0"],
        details={"proxy_body_size": limit, "content_length": request.body_bytes},
        diagnoses=[
            Diagnosis(
                "BODY_TOO_LARGE",
                "error",
                f"Ingress {ann.name}: the {request.body_bytes}-byte body is larger than proxy-body-size "
                f"({limit} bytes), so nginx answers 413 before proxying.",
                f'Add {_key(ann, "proxy-body-size")}: "{suggested}" (or "0" for no limit).',
                "ingress-nginx#8.6",
                _ref(ann),
            )
        ],
    )


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


def _cors_allowed(ann: IngressAnnotations, request: Request) -> tuple[bool, str]:
    """(cors on for this request, the Access-Control-Allow-Origin value)."""
    if not ann.enable_cors:
        return False, ""
    if not ann.cors_allow_origin or ann.cors_allow_origin == ("*",):
        # buildCorsOriginRegex: "set $http_origin *; set $cors 'true';" for every request (ingress-nginx#9.6).
        return True, "*"
    origin = request.header("origin")
    if origin is None:
        return False, ""
    if any(_origin_matches(origin, allowed) for allowed in ann.cors_allow_origin):
        return True, origin
    return False, ""


def cors_response_headers(ann: IngressAnnotations, request: Request) -> dict[str, str]:
    """The CORS headers nginx adds to a response of this location (ingress-nginx#9.6); {} when none."""
    on, origin = _cors_allowed(ann, request)
    if not on:
        return {}
    headers = {"Access-Control-Allow-Origin": origin}
    if ann.cors_allow_credentials:
        headers["Access-Control-Allow-Credentials"] = "true"
    headers["Access-Control-Allow-Methods"] = ann.cors_allow_methods
    headers["Access-Control-Allow-Headers"] = ann.cors_allow_headers
    if ann.cors_expose_headers:
        headers["Access-Control-Expose-Headers"] = ann.cors_expose_headers
    headers["Access-Control-Max-Age"] = str(ann.cors_max_age)
    return headers


def check_cors_preflight(ann: IngressAnnotations, request: Request) -> PolicyOutcome | None:
    """Any OPTIONS with an allowed origin -> 204 from nginx at P6, before auth and allowlists (ingress-nginx#9.6)."""
    if request.method != "OPTIONS":
        return None
    on, origin = _cors_allowed(ann, request)
    if not on:
        return None
    headers = cors_response_headers(ann, request)
    headers["Content-Type"] = "text/plain charset=UTF-8"
    headers["Content-Length"] = "0"
    return PolicyOutcome(
        status=204,
        summary=f"CORS preflight answered by nginx (origin {origin!r} allowed); not proxied, auth not applied",
        headers=headers,
        stage="cors-preflight",
        rules=["ingress-nginx#9.6"],
    )


# ---- ingress-nginx#9: access phase ---------------------------------------------------------------------------------


def _forbidden(stage: str, summary: str, diag: Diagnosis, details: dict[str, Any]) -> PolicyOutcome:
    return PolicyOutcome(
        status=403,
        summary=summary,
        stage=stage,
        body="403 Forbidden",
        rules=["ingress-nginx#9.1"],
        diagnoses=[diag],
        details=details,
    )


def _ip_access(ann: IngressAnnotations, config: ControllerConfig, ip_text: str) -> PolicyOutcome:
    """ngx_http_access: deny per denylist entry, allow per allowlist entry, deny all; first match wins.

    [nginx] access rules are inherited only by locations that define none, so a location with its own
    allow/deny does not apply the http-level block-cidrs.
    """
    ip = _ip(ip_text)
    own_rules = bool(ann.denylist) or bool(ann.allowlist)
    details: dict[str, Any] = {
        "client_ip": ip_text,
        "denylist": list(ann.denylist or ()),
        "allowlist": list(ann.allowlist or ()),
    }
    if not own_rules:
        if config.block_cidrs and ip is not None:
            hit = _in_any(ip, config.block_cidrs)
            if hit is not None:
                details["block_cidrs"] = list(config.block_cidrs)
                return _forbidden(
                    "block-cidrs",
                    f"client {ip_text} is in the ConfigMap block-cidrs entry {hit}",
                    Diagnosis(
                        "CLIENT_BLOCKED",
                        "error",
                        f"Client {ip_text} matches block-cidrs {hit} in ConfigMap "
                        f"{config.configmap or 'ingress-nginx-controller'}; every server answers it 403.",
                        f"Remove {hit} from block-cidrs in the ConfigMap.",
                        "ingress-nginx#9.1",
                        list(config.objects),
                    ),
                    details,
                )
        return PolicyOutcome(None, "no IP rules", stage="ip-access", rules=["ingress-nginx#9.1"], details=details)
    if ip is not None and ann.denylist:
        hit = _in_any(ip, ann.denylist)
        if hit is not None:
            both = ip is not None and ann.allowlist is not None and _in_any(ip, ann.allowlist) is not None
            note = " (it is also allowlisted, but deny rules come first)" if both else ""
            return _forbidden(
                "ip-access",
                f"client {ip_text} matches denylist entry {hit}{note}",
                Diagnosis(
                    "DENYLIST_DENIED",
                    "error",
                    f"Ingress {ann.name}: client {ip_text} matches denylist-source-range {hit}{note}; "
                    "nginx answers 403.",
                    f"Remove {hit} from {_key(ann, 'denylist-source-range')}.",
                    "ingress-nginx#9.1",
                    _ref(ann),
                ),
                details,
            )
    if ann.allowlist:
        hit = _in_any(ip, ann.allowlist) if ip is not None else None
        if hit is None:
            forwarded = (
                ""
                if config.use_forwarded_headers or config.use_proxy_protocol
                else " The controller sees the connection address; behind a load balancer that may be the "
                "LB or node IP unless use-forwarded-headers or use-proxy-protocol is on."
            )
            return _forbidden(
                "ip-access",
                f"client {ip_text} is not in the allowlist ({', '.join(ann.allowlist)}): deny all",
                Diagnosis(
                    "ALLOWLIST_DENIED",
                    "error",
                    f"Ingress {ann.name}: client {ip_text} is outside allowlist-source-range "
                    f"{', '.join(ann.allowlist)}; nginx answers 403.{forwarded}",
                    f"Add the client range, e.g. {_key(ann, 'allowlist-source-range')}: "
                    f'"{",".join([*ann.allowlist, ip_text])}".',
                    "ingress-nginx#9.1",
                    _ref(ann),
                ),
                details,
            )
        return PolicyOutcome(
            None, f"client {ip_text} allowed by {hit}", stage="ip-access", rules=["ingress-nginx#9.1"], details=details
        )
    return PolicyOutcome(
        None, f"client {ip_text} not denied", stage="ip-access", rules=["ingress-nginx#9.1"], details=details
    )


def _skips_auth(config: ControllerConfig, location_path: str | None) -> bool:
    """no-auth-locations: compared with the location (Ingress) path by prefix (ingress-nginx#9.3)."""
    if location_path is None:
        return False
    return location_path.startswith(tuple(config.no_auth_locations))


def _basic_auth(ann: IngressAnnotations, config: ControllerConfig, request: Request) -> PolicyOutcome:
    realm = ann.auth_realm or ""
    scheme_word = "Basic" if ann.auth_type != "digest" else "Digest"
    supplied = (request.header("authorization") or "").strip()
    details = {"auth_type": ann.auth_type, "auth_secret": ann.auth_secret, "realm": realm}
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
        f"{scheme_word} auth required (Secret {ann.auth_secret}) and the request has no {scheme_word} credentials",
        headers=headers,
        stage="basic-auth",
        body="401 Authorization Required",
        rules=["ingress-nginx#9.2"],
        details=details,
        diagnoses=[
            Diagnosis(
                "AUTH_REQUIRED",
                "info",
                f"Ingress {ann.name} protects this path with {scheme_word.lower()} auth (Secret {ann.auth_secret}); "
                "a request without credentials gets 401.",
                f"Send credentials, e.g. curl -u user:password, or remove {_key(ann, 'auth-type')} if the "
                "path should be public.",
                "ingress-nginx#9.2",
                _ref(ann),
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


def _external_auth(
    ann: IngressAnnotations,
    config: ControllerConfig,
    request: Request,
    snapshot: Snapshot,
    auth_status: int | None,
) -> PolicyOutcome:
    is_global = ann.auth_url is None
    url = ann.auth_url if ann.auth_url is not None else config.global_auth_url
    signin = ann.auth_signin if not is_global else (config.global_auth_signin or None)
    param = ann.auth_signin_redirect_param if not is_global else (config.global_auth_signin_redirect_param or "rd")
    method = (ann.auth_method if not is_global else config.global_auth_method) or "GET"
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
    source = "ConfigMap global-auth-url" if is_global else _key(ann, "auth-url")
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
                    _ref(ann),
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
        copied = list(ann.auth_response_headers) if not is_global else list(config.global_auth_response_headers)
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
                    f'Add {_key(ann, "auth-signin")}: "https://<auth host>/oauth2/start?rd=$escaped_request_uri"'
                    " to send users to the login page.",
                    "ingress-nginx#9.3",
                    _ref(ann),
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


def check_access(
    ann: IngressAnnotations,
    config: ControllerConfig,
    request: Request,
    snapshot: Snapshot,
    *,
    auth_status: int | None = None,
    location_path: str | None = None,
) -> list[PolicyOutcome]:
    """P9 in nginx's access-phase order: IP rules (block-cidrs or deny/allow) -> basic auth -> external auth.

    Returns one outcome per stage evaluated; with ``satisfy all`` (default) it stops at the first failure. With
    ``satisfy: any`` one passing stage grants access; if none passes the answer is 401 when an auth stage said 401,
    else 403 [nginx core access phase]. ``auth_status`` overrides the assumed answer of the external auth service.
    ``location_path`` (the Ingress path) enables no-auth-locations.
    """
    if ann.denied is not None:
        # Normally answered at P6 (ingress-nginx#0); kept here so callers that skip P6 still see it.
        return [
            PolicyOutcome(
                503,
                f"location denied: {ann.denied}",
                stage="denied",
                body="503 Service Temporarily Unavailable",
                rules=["ingress-nginx#11.2"],
            )
        ]
    ip_text = client_ip(request, config)
    has_ip_rules = bool(ann.allowlist or ann.denylist or config.block_cidrs)
    stages: list[PolicyOutcome] = [_ip_access(ann, config, ip_text)] if has_ip_rules else []
    skip_auth = _skips_auth(config, location_path)
    if ann.auth_type is not None and not skip_auth:
        stages.append(_basic_auth(ann, config, request))
    uses_global = bool(config.global_auth_url) and ann.enable_global_auth and ann.auth_url is None
    earlier_ok = ann.satisfy_any or not stages or stages[-1].status is None
    if (ann.auth_url is not None or uses_global) and not skip_auth and earlier_ok:
        stages.append(_external_auth(ann, config, request, snapshot, auth_status))
    if skip_auth and (ann.auth_type is not None or ann.auth_url is not None):
        stages.append(
            PolicyOutcome(
                None,
                f"location path {location_path} is in no-auth-locations; auth skipped",
                stage="no-auth",
                rules=["ingress-nginx#9.3"],
            )
        )
    if not ann.satisfy_any:
        out: list[PolicyOutcome] = []
        for stage in stages:
            out.append(stage)
            if stage.status is not None:
                break
        return out
    # satisfy any: one passing stage is enough; with no stage at all nothing restricts.
    relevant = [s for s in stages if s.stage != "no-auth"]
    if not relevant or any(s.status is None for s in relevant):
        granted = next((s for s in relevant if s.status is None), None)
        note = f"satisfy any: access granted by {granted.stage}" if granted else "satisfy any: no restriction"
        return [*stages, PolicyOutcome(None, note, stage="satisfy", rules=["ingress-nginx#9.4"])]
    status = 401 if any(s.status == 401 for s in relevant) else 403
    final = next(s for s in relevant if s.status == status)
    return [
        *stages,
        PolicyOutcome(
            status,
            f"satisfy any: every access check failed; answering {status}",
            headers=dict(final.headers),
            stage="satisfy",
            body=final.body,
            rules=["ingress-nginx#9.4"],
        ),
    ]


# ---- ingress-nginx#8.5, #4.2: headers sent upstream -------------------------------------------------------------------


def _valid_header_name(name: str, underscores: bool) -> bool:
    """nginx ignore_invalid_headers: letters, digits, '-' (and '_' with underscores_in_headers)."""
    return bool(name) and all(c.isascii() and (c.isalnum() or c == "-" or (c == "_" and underscores)) for c in name)


def upstream_headers(
    ann: IngressAnnotations,
    config: ControllerConfig,
    request: Request,
    *,
    scheme: str,
    host_header: str,
    rewritten: bool,
    request_id: str,
) -> dict[str, str]:
    """The request headers the pod receives (ingress-nginx#8.5; X-Forwarded-Prefix #4.2).

    ``scheme`` is $pass_access_scheme (see :func:`request_scheme`), ``host_header`` the client's Host header,
    ``rewritten`` whether a rewrite-target is active on the location, ``request_id`` the id nginx would generate.
    """
    ip = client_ip(request, config)
    best_host = best_http_host(request, config, host_header)
    client_xff = ", ".join(request.header_values(config.forwarded_for_header))
    set_headers: dict[str, str] = {"Host": ann.upstream_vhost or best_host}
    upgrade = request.header("upgrade")
    if upgrade:
        set_headers["Upgrade"] = upgrade
        set_headers["Connection"] = "upgrade"
    # Without Upgrade the Connection header is cleared (upstream keepalive on), so it is simply not sent.
    client_request_id = request.header("x-request-id")
    req_id = client_request_id or (request_id if config.generate_request_id else "")
    if req_id:
        set_headers["X-Request-ID"] = req_id
    set_headers["X-Real-IP"] = ip
    if config.use_forwarded_headers and config.compute_full_forwarded_for:
        set_headers["X-Forwarded-For"] = f"{client_xff}, {request.client_ip}" if client_xff else request.client_ip
    else:
        set_headers["X-Forwarded-For"] = ip  # overwritten, not appended
    set_headers["X-Forwarded-Host"] = best_host
    set_headers["X-Forwarded-Port"] = _pass_port(request, config)
    set_headers["X-Forwarded-Proto"] = scheme
    set_headers["X-Forwarded-Scheme"] = scheme
    if config.proxy_add_original_uri_header:
        set_headers["X-Original-URI"] = request.request_uri
    set_headers["X-Scheme"] = scheme
    if client_xff:
        set_headers["X-Original-Forwarded-For"] = client_xff
    client_xfh = request.header(config.forwarded_host_header)
    if client_xfh:
        set_headers["X-Original-Forwarded-Host"] = client_xfh
    if rewritten and ann.x_forwarded_prefix:
        set_headers["X-Forwarded-Prefix"] = ann.x_forwarded_prefix
    out = set_headers
    if not request.headers:
        return out
    removed = {"proxy", "connection"}
    if ann.auth_type is not None:
        removed.add("authorization")  # proxy_set_header Authorization "" under basic/digest auth (ingress-nginx#9.2)
    overridden = {k.lower() for k in set_headers} | removed
    seen: dict[str, str] = {}
    for name, value in request.headers:
        lname = name.lower()
        if lname in overridden or not _valid_header_name(name, config.enable_underscores_in_headers):
            continue
        if lname in seen:
            sep = "; " if lname == "cookie" else ", "
            out[seen[lname]] = f"{out[seen[lname]]}{sep}{value}"
            continue
        seen[lname] = name
        out[name] = value
    return out


def dropped_request_headers(request: Request, config: ControllerConfig) -> list[str]:
    """Client header names nginx drops silently (underscores or other invalid characters; ingress-nginx#0 P2)."""
    return [n for n, _ in request.headers if not _valid_header_name(n, config.enable_underscores_in_headers)]


# ---- ingress-nginx#12.2: affinity cookie -----------------------------------------------------------------------------


def affinity_backend_key(upstream_name: str) -> str:
    """sticky.lua: md5(md5(backend name) .. backend name)."""
    inner = hashlib.md5(upstream_name.encode(), usedforsecurity=False).hexdigest()
    return hashlib.md5((inner + upstream_name).encode(), usedforsecurity=False).hexdigest()


def affinity_set_cookie(
    ann: IngressAnnotations,
    location_path: str,
    request: Request,
    scheme: str,
    *,
    upstream_name: str | None = None,
    now: float | None = None,
) -> str | None:
    """The Set-Cookie for cookie affinity, or None (no affinity, or the request already has a valid cookie).

    The real value is ``<time>.<pid>.<random>|<backend key>``; the simulator derives the first part from the request
    so traces are reproducible. Attribute order follows lua-resty-cookie.
    """
    a = ann.affinity
    if a is None:
        return None
    backend_key = affinity_backend_key(upstream_name) if upstream_name else None
    existing = request.cookies().get(a.cookie_name)
    if existing:
        parts = existing.split("|")
        if backend_key is None or (len(parts) > 1 and parts[1] == backend_key):
            return None  # a valid cookie pins the endpoint; nothing is set (ingress-nginx#12.2)
    seed = f"{request.client_ip} {request.server_name} {request.request_uri}"
    key = hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()
    value = f"{key}|{backend_key}" if backend_key else key
    attrs = [f"{a.cookie_name}={value}"]
    if a.expires:
        moment = (time.time() if now is None else now) + int(a.expires)
        attrs.append(f"Expires={formatdate(moment, usegmt=True)}")
    if a.max_age:
        attrs.append(f"Max-Age={a.max_age}")
    if a.domain:
        attrs.append(f"Domain={a.domain}")
    attrs.append(f"Path={a.cookie_path or location_path}")
    secure = a.secure if a.secure is not None else scheme == "https"
    if secure:
        attrs.append("Secure")
    attrs.append("HttpOnly")
    if a.samesite:
        attrs.append(f"SameSite={a.samesite}")
    return "; ".join(attrs)


# ---- ingress-nginx#8.8: HSTS -------------------------------------------------------------------------------------------


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


# ---- ingress-nginx#10.3: backend protocol mismatches ------------------------------------------------------------------


_TLS_WORDS = ("https", "tls", "ssl")


def _port_facts(pod_port: dict | None, container: dict | None) -> dict[str, Any]:
    """Name, number and appProtocol of the backend port, from the Service port and/or the container port."""
    facts: dict[str, Any] = {"names": [], "numbers": [], "app_protocols": []}
    if pod_port:
        for key in ("name",):
            if pod_port.get(key):
                facts["names"].append(str(pod_port[key]).lower())
        target = pod_port.get("targetPort")
        if isinstance(target, str) and not target.isdigit():
            facts["names"].append(target.lower())
        # The pod's port: targetPort (defaults to port), or containerPort for a container port entry. The
        # Service's own port number says nothing about what the pod speaks once a targetPort is given.
        value = pod_port.get("targetPort", pod_port.get("containerPort", pod_port.get("port")))
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            facts["numbers"].append(int(value))
        if pod_port.get("appProtocol"):
            facts["app_protocols"].append(str(pod_port["appProtocol"]).lower())
    if container:
        wanted_names = set(facts["names"])
        wanted_numbers = set(facts["numbers"])
        for cp in container.get("ports") or []:
            if not isinstance(cp, dict):
                continue
            name = str(cp.get("name") or "").lower()
            number = cp.get("containerPort")
            if (
                (name and name in wanted_names)
                or (number in wanted_numbers)
                or (not wanted_names and not wanted_numbers)
            ):
                if name:
                    facts["names"].append(name)
                if isinstance(number, int):
                    facts["numbers"].append(number)
    return facts


def _tls_evidence(facts: dict[str, Any]) -> str | None:
    for proto in facts["app_protocols"]:
        if proto in ("https", "tls", "kubernetes.io/wss") or proto.endswith("/https"):
            return f"appProtocol {proto}"
    for name in facts["names"]:
        if any(w in name for w in _TLS_WORDS):
            return f"port name {name!r}"
    for number in facts["numbers"]:
        if number in (443, 8443):
            return f"port {number}"
    return None


def _plain_evidence(facts: dict[str, Any]) -> str | None:
    for proto in facts["app_protocols"]:
        if proto in ("http", "kubernetes.io/h2c", "h2c", "kubernetes.io/ws"):
            return f"appProtocol {proto}"
    for name in facts["names"]:
        if name in ("http", "web", "http-web", "http1") or (name.startswith("http-") and "https" not in name):
            return f"port name {name!r}"
    for number in facts["numbers"]:
        if number in (80, 8080):
            return f"port {number}"
    return None


def backend_protocol_outcome(
    ann: IngressAnnotations, pod_port: dict | None, container: dict | None
) -> PolicyOutcome | None:
    """What the pod answers when backend-protocol does not fit its port (ingress-nginx#10.3); None when fine or
    unknowable. ``pod_port`` is the Service port entry (name/port/targetPort/appProtocol) or a container port;
    ``container`` the container spec whose ports are matched by name/number."""
    facts = _port_facts(pod_port, container)
    proto = ann.backend_protocol
    tls = _tls_evidence(facts)
    plain = _plain_evidence(facts)
    if proto in ("HTTP", "AUTO_HTTP", "GRPC", "FCGI") and tls is not None and plain is None:
        if proto == "AUTO_HTTP":
            return None  # depends on the client scheme; the caller decides per request
        status = 400 if proto == "HTTP" else 502
        text = (
            "The plain HTTP request was sent to HTTPS port"
            if proto == "HTTP"
            else f"{proto} to a TLS port fails the upstream exchange"
        )
        return PolicyOutcome(
            status,
            f"{text} (backend speaks TLS: {tls}; backend-protocol is {proto})",
            component="pod",
            stage="backend-protocol",
            confidence="inferred",
            body=f"400 Bad Request: {text}" if status == 400 else "502 Bad Gateway",
            rules=["ingress-nginx#10.3"],
            details={"backend_protocol": proto, "evidence": tls},
            diagnoses=[
                Diagnosis(
                    "PLAIN_HTTP_TO_HTTPS_PORT",
                    "error",
                    f"Ingress {ann.name}: the backend port looks TLS-only ({tls}) but the controller speaks "
                    f'{proto} to it; the pod answers {status} ("The plain HTTP request was sent to HTTPS port" '
                    "or similar).",
                    f'Add {ann.prefix}backend-protocol: "{"GRPCS" if proto == "GRPC" else "HTTPS"}".',
                    "ingress-nginx#10.3",
                    _ref(ann),
                )
            ],
        )
    if proto in ("HTTPS", "GRPCS") and plain is not None and tls is None:
        return PolicyOutcome(
            502,
            f"TLS handshake with a plaintext port fails ({plain}; backend-protocol is {proto})",
            component="pod",
            stage="backend-protocol",
            confidence="inferred",
            body="502 Bad Gateway",
            rules=["ingress-nginx#10.3"],
            details={"backend_protocol": proto, "evidence": plain},
            diagnoses=[
                Diagnosis(
                    "HTTPS_TO_PLAIN_PORT",
                    "error",
                    f"Ingress {ann.name}: backend-protocol {proto} makes nginx start TLS, but the port is plain "
                    f"({plain}); the handshake fails and the client gets 502.",
                    f'Remove {ann.prefix}backend-protocol or set it to "{"GRPC" if proto == "GRPCS" else "HTTP"}".',
                    "ingress-nginx#10.3",
                    _ref(ann),
                )
            ],
        )
    if proto == "GRPC" and any(p in ("http", "kubernetes.io/http") for p in facts["app_protocols"]):
        return PolicyOutcome(
            502,
            "gRPC (HTTP/2 cleartext) to a port declared HTTP/1 (appProtocol http) fails",
            component="pod",
            stage="backend-protocol",
            confidence="inferred",
            body="502 Bad Gateway",
            rules=["ingress-nginx#10.3"],
            details={"backend_protocol": proto, "evidence": "appProtocol http"},
            diagnoses=[
                Diagnosis(
                    "GRPC_TO_HTTP1_BACKEND",
                    "error",
                    f"Ingress {ann.name}: backend-protocol GRPC speaks h2c, but the port is declared HTTP/1; "
                    "the client gets 502.",
                    f'Use {ann.prefix}backend-protocol: "HTTP", or serve gRPC on that port.',
                    "ingress-nginx#10.3",
                    _ref(ann),
                )
            ],
        )
    return None


def backend_protocol_risk(ann: IngressAnnotations, pod_port: dict | None, container: dict | None) -> Diagnosis | None:
    """A "risk" diagnosis when the port hints at TLS but not clearly enough for :func:`backend_protocol_outcome`
    (e.g. port 9443/6443, or TLS and plain hints at once) while backend-protocol is HTTP."""
    if ann.backend_protocol != "HTTP" or backend_protocol_outcome(ann, pod_port, container) is not None:
        return None
    facts = _port_facts(pod_port, container)
    hint = _tls_evidence(facts)
    if hint is None:
        hint = next((f"port {n}" for n in facts["numbers"] if str(n).endswith("443")), None)
    if hint is None:
        return None
    return Diagnosis(
        "BACKEND_MAY_EXPECT_TLS",
        "warning",
        f"Ingress {ann.name}: the backend port hints at TLS ({hint}) but backend-protocol is HTTP. If the pod only "
        'speaks TLS it answers 400 "The plain HTTP request was sent to HTTPS port" (ingress-nginx#10.3).',
        f'If the pod serves TLS on that port, add {ann.prefix}backend-protocol: "HTTPS".',
        "ingress-nginx#10.3",
        _ref(ann),
    )


# ---- ingress-nginx#8.1: timeouts ---------------------------------------------------------------------------------------


def timeouts(ann: IngressAnnotations, config: ControllerConfig) -> dict[str, int]:
    """Effective proxy timeouts in seconds: the annotation when valid, else the ConfigMap value."""
    return {
        "connect": ann.proxy_connect_timeout if ann.proxy_connect_timeout is not None else config.proxy_connect_timeout,
        "read": ann.proxy_read_timeout if ann.proxy_read_timeout is not None else config.proxy_read_timeout,
        "send": ann.proxy_send_timeout if ann.proxy_send_timeout is not None else config.proxy_send_timeout,
    }
