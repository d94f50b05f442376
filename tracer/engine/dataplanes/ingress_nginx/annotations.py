"""Ingress annotations as ingress-nginx parses them: risk levels, validators, defaults, and their failure modes.

Three failure modes (ingress-nginx#11.2, no admission webhook assumed):
- ``dropped``: the whole Ingress is skipped (risk above annotations-risk-level, a strict validator, word blocklist);
- ``denied``: the Ingress is served but its locations answer 503 (missing auth secret, bad CIDR, bad auth-url...);
- lenient: the value is replaced by its default and a warning is kept.
Validator patterns below are the fixed character classes of ``internal/ingress/annotations/parser/validators.go``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ...result import Diagnosis
from ...snapshot import K8sObject, Snapshot
from .config import RISK_LEVELS, ControllerConfig, parse_bool, parse_size

PREFIX = "nginx.ingress.kubernetes.io/"

# Annotation risk (docs/user-guide/nginx-configuration/annotations-risk.md; ingress-nginx#11.1).
RISK: dict[str, str] = {
    "server-alias": "High",
    "allowlist-source-range": "Medium",
    "whitelist-source-range": "Medium",  # alias of allowlist-source-range
    "backend-protocol": "Low",
    "auth-realm": "Medium",
    "auth-secret": "Medium",
    "auth-secret-type": "Low",
    "auth-type": "Low",
    "canary": "Low",
    "canary-by-cookie": "Medium",
    "canary-by-header": "Medium",
    "canary-by-header-pattern": "Medium",
    "canary-by-header-value": "Medium",
    "canary-weight": "Low",
    "canary-weight-total": "Low",
    "auth-tls-error-page": "High",
    "auth-tls-match-cn": "High",
    "auth-tls-pass-certificate-to-upstream": "Low",
    "auth-tls-secret": "Medium",
    "auth-tls-verify-client": "Medium",
    "auth-tls-verify-depth": "Low",
    "client-body-buffer-size": "Low",
    "configuration-snippet": "Critical",
    "connection-proxy-header": "Low",
    "cors-allow-credentials": "Low",
    "cors-allow-headers": "Medium",
    "cors-allow-methods": "Medium",
    "cors-allow-origin": "Medium",
    "cors-expose-headers": "Medium",
    "cors-max-age": "Low",
    "enable-cors": "Low",
    "custom-http-errors": "Low",
    "custom-headers": "Medium",
    "default-backend": "Low",
    "denylist-source-range": "Medium",
    "disable-proxy-intercept-errors": "Low",
    "enable-global-auth": "Low",
    "auth-always-set-cookie": "Low",
    "auth-cache-duration": "Medium",
    "auth-cache-key": "Medium",
    "auth-keepalive": "Low",
    "auth-keepalive-requests": "Low",
    "auth-keepalive-share-vars": "Low",
    "auth-keepalive-timeout": "Low",
    "auth-method": "Low",
    "auth-proxy-set-headers": "Medium",
    "auth-request-redirect": "Medium",
    "auth-response-headers": "Medium",
    "auth-signin": "High",
    "auth-signin-redirect-param": "Medium",
    "auth-snippet": "Critical",
    "auth-url": "High",
    "fastcgi-index": "Medium",
    "fastcgi-params-configmap": "Medium",
    "http2-push-preload": "Low",
    "load-balance": "Low",
    "enable-access-log": "Low",
    "enable-rewrite-log": "Low",
    "mirror-host": "High",
    "mirror-request-body": "Low",
    "mirror-target": "High",
    "enable-modsecurity": "Low",
    "enable-owasp-core-rules": "Low",
    "modsecurity-snippet": "Critical",
    "modsecurity-transaction-id": "High",
    "enable-opentelemetry": "Low",
    "opentelemetry-operation-name": "Medium",
    "opentelemetry-trust-incoming-span": "Low",
    "proxy-body-size": "Medium",
    "proxy-buffer-size": "Low",
    "proxy-busy-buffers-size": "Low",
    "proxy-buffering": "Low",
    "proxy-buffers-number": "Low",
    "proxy-connect-timeout": "Low",
    "proxy-cookie-domain": "Medium",
    "proxy-cookie-path": "Medium",
    "proxy-http-version": "Low",
    "proxy-max-temp-file-size": "Low",
    "proxy-next-upstream": "Medium",
    "proxy-next-upstream-timeout": "Low",
    "proxy-next-upstream-tries": "Low",
    "proxy-read-timeout": "Low",
    "proxy-redirect-from": "Medium",
    "proxy-redirect-to": "Medium",
    "proxy-request-buffering": "Low",
    "proxy-send-timeout": "Low",
    "proxy-ssl-ciphers": "Medium",
    "proxy-ssl-name": "High",
    "proxy-ssl-protocols": "Low",
    "proxy-ssl-secret": "Medium",
    "proxy-ssl-server-name": "Low",
    "proxy-ssl-verify": "Low",
    "proxy-ssl-verify-depth": "Low",
    "limit-allowlist": "Low",
    "limit-whitelist": "Low",  # alias of limit-allowlist
    "limit-burst-multiplier": "Low",
    "limit-connections": "Low",
    "limit-rate": "Low",
    "limit-rate-after": "Low",
    "limit-rpm": "Low",
    "limit-rps": "Low",
    "from-to-www-redirect": "Low",
    "permanent-redirect": "Medium",
    "permanent-redirect-code": "Low",
    "temporal-redirect": "Medium",
    "temporal-redirect-code": "Low",
    "relative-redirects": "Low",
    "app-root": "Medium",
    "force-ssl-redirect": "Medium",
    "preserve-trailing-slash": "Medium",
    "rewrite-target": "Medium",
    "ssl-redirect": "Low",
    "use-regex": "Low",
    "ssl-ciphers": "Low",
    "ssl-prefer-server-ciphers": "Low",
    "ssl-passthrough": "Low",
    "satisfy": "Low",
    "server-snippet": "Critical",
    "service-upstream": "Low",
    "affinity": "Low",
    "affinity-canary-behavior": "Low",
    "affinity-mode": "Medium",
    "session-cookie-change-on-failure": "Low",
    "session-cookie-conditional-samesite-none": "Low",
    "session-cookie-domain": "Medium",
    "session-cookie-expires": "Medium",
    "session-cookie-max-age": "Medium",
    "session-cookie-name": "Medium",
    "session-cookie-path": "Medium",
    "session-cookie-samesite": "Low",
    "session-cookie-secure": "Low",
    "stream-snippet": "Critical",
    "upstream-hash-by": "High",
    "upstream-hash-by-subset": "Low",
    "upstream-hash-by-subset-size": "Low",
    "upstream-vhost": "Low",
    "use-port-in-redirects": "Low",
    "x-forwarded-prefix": "Medium",
}

SNIPPET_ANNOTATIONS = (
    "configuration-snippet",
    "server-snippet",
    "auth-snippet",
    "modsecurity-snippet",
    "stream-snippet",
)

DEFAULT_CORS_METHODS = "GET, PUT, POST, DELETE, PATCH, OPTIONS"
DEFAULT_CORS_HEADERS = (
    "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization"
)
DEFAULT_CORS_MAX_AGE = 1728000

BACKEND_PROTOCOLS = ("HTTP", "HTTPS", "AUTO_HTTP", "GRPC", "GRPCS", "FCGI")
LOAD_BALANCE_ALGORITHMS = ("round_robin", "chash", "chashsubset", "sticky_balanced", "sticky_persistent", "ewma")

# Fixed validator character classes (validators.go). These patterns are constants, never user input.
_ALNUM = r"\-\.\_\~a-zA-Z0-9\/:"
_URL_VALID = re.compile(r"^[" + _ALNUM + r",:\?&=]*$")  # permanent/temporal-redirect, auth-signin-redirect-param
_BASIC_CHARS = re.compile(r"^[/" + _ALNUM + r"]*$")  # auth-secret, proxy-ssl-secret, session-cookie-*
_CHARS_WITH_SPACE = re.compile(r"^[/" + _ALNUM + r" ]*$")  # auth-realm
_REGEX_PATH_WITH_CAPTURE = re.compile(r"^/?[" + _ALNUM + r"\/\$]*$")  # rewrite-target, app-root, x-forwarded-prefix
_IS_VALID_REGEX = re.compile(r"^[/" + _ALNUM + r"\^\$\[\]\(\)\{\}\*\+\?\|&=\\]*$")  # upstream-vhost, server-alias
_URL_WITH_NGINX_VARIABLE = re.compile(r"^[" + _ALNUM + r", ,:\?&=\$]*$")  # auth-url, auth-signin
_HEADERS_VARIABLE = re.compile(r"^[A-Za-z0-9\-_, ]*$")  # auth-response-headers, cors-allow-headers
_HTTP_ERRORS = re.compile(r"^(?:[4,5]\d{2},?)*$")  # custom-http-errors
_CORS_ORIGIN = re.compile(r"^([a-z]+://(\*\.)?[A-Za-z0-9\-.]*(:\d+)?|\*|null)?$")
_CORS_ORIGIN_ITEM = re.compile(r"^(([a-z]+://)?(\*\.)?[A-Za-z0-9\-.]*(:\d+)?|null)$")
_METHODS = re.compile(r"^(GET|HEAD|POST|PUT|PATCH|DELETE|CONNECT|OPTIONS|TRACE)$")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_HASH_BY = re.compile(r"^[A-Za-z0-9\-\$\{\}_]*$")
_COOKIE_EXPIRES = re.compile(r"(^0|-?[1-9]\d*$)")


def _match(pattern: re.Pattern[str], value: str) -> bool:
    """A fixed validator pattern against a value; CR/LF always fail (validators.go MaliciousRegex)."""
    return "\n" not in value and "\r" not in value and pattern.search(value) is not None


def _cors_methods_ok(value: str) -> bool:
    """corsMethodsRegex ``^([A-Za-z]+,?\\s?)+$`` checked by hand (the nested quantifier backtracks badly)."""
    i, n = 0, len(value)
    while i < n:
        start = i
        while i < n and value[i].isascii() and value[i].isalpha():
            i += 1
        if i == start:
            return False
        if i < n and value[i] == ",":
            i += 1
        if i < n and value[i] in " \t\n\r\f\v":
            i += 1
    return n > 0


def _cors_origins_valid(value: str) -> bool:
    """corsOriginRegexValidator (spaces removed), checked per comma-separated item to avoid nested quantifiers."""
    if value in ("", "*"):
        return True
    return all(_match(_CORS_ORIGIN_ITEM, item) for item in value.split(","))


@dataclass(slots=True)
class Canary:
    by_header: str | None = None
    by_header_value: str | None = None
    by_header_pattern: str | None = None
    by_cookie: str | None = None
    weight: int = 0
    weight_total: int = 100  # effective total (ingress-nginx#7.3: the annotation only counts when > 100)


@dataclass(slots=True)
class Affinity:
    mode: str = "balanced"  # "balanced" | "persistent"
    cookie_name: str = "INGRESSCOOKIE"
    cookie_path: str | None = None
    secure: bool | None = None
    domain: str | None = None
    expires: str | None = None
    max_age: str | None = None
    samesite: str | None = None
    change_on_failure: bool = False
    canary_behavior: str = "sticky"  # "sticky" | "legacy"


@dataclass(slots=True)
class IngressAnnotations:
    ingress: K8sObject
    dropped: str | None = None  # the whole Ingress is ignored -> its hosts 404 (ingress-nginx#1.4, #11.2)
    denied: str | None = None  # its locations answer 503 (ingress-nginx#11.2 last row)
    warnings: list[str] = field(default_factory=list)
    used: dict[str, str] = field(default_factory=dict)  # annotation key -> raw value
    diagnoses: list[Diagnosis] = field(default_factory=list)
    prefix: str = PREFIX  # the annotation prefix in force (--annotations-prefix), with trailing "/"
    use_regex: bool = False
    rewrite_target: str | None = None
    x_forwarded_prefix: str | None = None
    app_root: str | None = None
    ssl_redirect: bool | None = None  # None -> ControllerConfig
    force_ssl_redirect: bool | None = None
    preserve_trailing_slash: bool | None = None
    use_port_in_redirects: bool | None = None
    permanent_redirect: tuple[str, int] | None = None  # (url, code)
    temporal_redirect: tuple[str, int] | None = None
    relative_redirects: bool = False
    from_to_www_redirect: bool = False
    canary: Canary | None = None  # set only when canary: "true"
    backend_protocol: str = "HTTP"
    upstream_vhost: str | None = None
    service_upstream: bool = False
    proxy_body_size: int | None = None  # bytes, 0 = unlimited, None -> config
    proxy_connect_timeout: int | None = None
    proxy_read_timeout: int | None = None
    proxy_send_timeout: int | None = None
    proxy_buffer_size: int | None = None
    custom_http_errors: tuple[int, ...] | None = None
    disable_proxy_intercept_errors: bool | None = None
    default_backend: str | None = None  # Service name in the Ingress namespace
    allowlist: tuple[str, ...] | None = None  # CIDRs (normalised strings)
    denylist: tuple[str, ...] | None = None
    satisfy_any: bool = False
    auth_type: str | None = None
    auth_secret: str | None = None  # "ns/name"
    auth_realm: str | None = None
    auth_secret_type: str = "auth-file"
    auth_url: str | None = None
    auth_signin: str | None = None
    auth_signin_redirect_param: str = "rd"
    auth_method: str | None = None
    auth_response_headers: tuple[str, ...] = ()
    auth_always_set_cookie: bool = False
    enable_global_auth: bool = True
    enable_cors: bool = False
    cors_allow_origin: tuple[str, ...] = ("*",)
    cors_allow_methods: str = DEFAULT_CORS_METHODS
    cors_allow_headers: str = DEFAULT_CORS_HEADERS
    cors_allow_credentials: bool = True
    cors_expose_headers: str = ""
    cors_max_age: int = DEFAULT_CORS_MAX_AGE
    affinity: Affinity | None = None
    load_balance: str | None = None
    upstream_hash_by: str | None = None
    proxy_redirect_from: str | None = None
    proxy_redirect_to: str | None = None
    proxy_cookie_path: str | None = None
    proxy_cookie_domain: str | None = None
    ssl_passthrough: bool = False
    proxy_ssl_secret: str | None = None
    proxy_ssl_verify: bool = False
    proxy_ssl_name: str | None = None
    proxy_ssl_server_name: bool = False
    limit_connections: int = 0
    limit_rps: int = 0
    limit_rpm: int = 0
    limit_burst_multiplier: int = 5
    limit_allowlist: tuple[str, ...] = ()
    server_snippet: str | None = None  # kept only when allowed (ingress-nginx#11)
    configuration_snippet: str | None = None
    server_alias: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.ingress.namespace}/{self.ingress.name}"


class _Dropped(Exception):
    """A propagating validation error: the controller skips the whole Ingress (ingress-nginx#1.4)."""


class _Parser:
    """Reads one Ingress's annotations; keeps warnings, diagnoses and the first drop/deny reason."""

    def __init__(self, ingress: K8sObject, config: ControllerConfig, snapshot: Snapshot) -> None:
        self.ingress = ingress
        self.config = config
        self.snapshot = snapshot
        self.prefix = config.annotations_prefix.rstrip("/") + "/"
        self.raw: dict[str, str] = {
            k[len(self.prefix) :]: v for k, v in ingress.annotations.items() if k.startswith(self.prefix)
        }
        self.out = IngressAnnotations(ingress=ingress, prefix=self.prefix)
        self.out.used = {self.prefix + k: v for k, v in self.raw.items()}

    # ---- helpers ----
    def key(self, suffix: str) -> str:
        return self.prefix + suffix

    def line(self, suffix: str, value: str) -> str:
        return f'{self.key(suffix)}: "{value}"'

    def diag(self, code: str, severity: str, message: str, fix: str, rule: str) -> None:
        self.out.diagnoses.append(Diagnosis(code, severity, message, fix, rule, [self.ingress.ref()]))

    def warn(
        self,
        suffix: str,
        message: str,
        fix: str,
        *,
        code: str = "ANNOTATION_VALUE_IGNORED",
        rule: str = "ingress-nginx#11.2",
    ) -> None:
        text = f"Ingress {self.out.name}: {self.key(suffix)} {message}"
        self.out.warnings.append(text)
        self.diag(code, "warning", text, fix, rule)

    def get(self, suffix: str, *aliases: str) -> str | None:
        """The raw value; an empty value counts as absent (parser: invalid content, ignored)."""
        if not self.raw:
            return None  # most Ingresses carry no annotation of this controller
        for name in (suffix, *aliases):
            value = self.raw.get(name)
            if value is not None and value.strip() != "":
                return value
        return None

    def strict(
        self, suffix: str, value: str, pattern: re.Pattern[str], *, remove_space: bool, what: str, fix: str
    ) -> str:
        """A validator whose error propagates: the whole Ingress is dropped (ingress-nginx#1.4)."""
        checked = value.replace(" ", "") if remove_space else value
        if not _match(pattern, checked):
            self.drop(suffix, value, f"fails validation ({what})", fix)
        return checked

    def drop(self, suffix: str, value: str, why: str, fix: str) -> None:
        reason = f'{self.key(suffix)}: "{value}" {why}'
        self.out.dropped = reason
        self.diag(
            "INGRESS_DROPPED_INVALID_ANNOTATION",
            "error",
            f"Ingress {self.out.name} is ignored by the controller: {reason}. Its hosts answer 404 "
            "(with the admission webhook the Ingress would be rejected instead; on update the previous version "
            "stays in service).",
            fix,
            "ingress-nginx#1.4",
        )
        raise _Dropped(reason)

    def deny(self, suffix: str, why: str, fix: str, code: str) -> None:
        """Location-denied: the Ingress is served but its locations answer 503 (first reason wins)."""
        if self.out.denied is None:
            self.out.denied = f"{self.key(suffix)}: {why}"
        self.diag(
            code,
            "error",
            f"Ingress {self.out.name}: {self.key(suffix)} {why}, so every path of this Ingress answers 503 "
            "(location denied).",
            fix,
            "ingress-nginx#11.2",
        )

    def boolean(self, suffix: str, default: bool | None, *, strict: bool = False) -> bool | None:
        value = self.get(suffix)
        if value is None:
            return default
        b = parse_bool(value)
        if b is None:
            if strict:
                self.drop(suffix, value, "is not a boolean", f'Use {self.line(suffix, "true")} or "false".')
            shown = "the controller default" if default is None else f'"{str(default).lower()}"'
            self.warn(
                suffix,
                f'value "{value}" is not a boolean; {shown} is used instead',
                f'Use {self.line(suffix, "true")} or "false".',
            )
            return default
        return b

    def integer(self, suffix: str, *, strict: bool = False) -> int | None:
        """Go strconv.Atoi; None when absent or (lenient) invalid."""
        value = self.get(suffix)
        if value is None:
            return None
        text = value.strip() if not strict else value
        try:
            return int(text)
        except ValueError:
            if strict:
                self.drop(
                    suffix, value, "is not a whole number", f"Use a plain integer, e.g. {self.line(suffix, '1')}."
                )
            return None


def _parse_cidrs(value: str) -> tuple[str, ...] | None:
    """net.ParseCIDRs: every comma-separated entry must be an IP or CIDR; result normalised and sorted."""
    out: set[str] = set()
    for spec in value.split(","):
        spec = spec.strip()
        try:
            if "/" in spec:
                out.add(str(ipaddress.ip_network(spec, strict=False)))
            else:
                out.add(str(ipaddress.ip_address(spec)))
        except ValueError:
            return None
    return tuple(sorted(out))


def _secret_ref(value: str, namespace: str) -> tuple[str, str] | None:
    """cache.SplitMetaNamespaceKey: "name" or "ns/name"."""
    parts = value.split("/")
    if len(parts) == 1:
        return namespace, parts[0]
    if len(parts) == 2:
        return parts[0] or namespace, parts[1]
    return None


def parse_annotations(ingress: K8sObject, config: ControllerConfig, snapshot: Snapshot) -> IngressAnnotations:
    """Parse one Ingress's annotations the way the controller does (ingress-nginx#1.4, #11)."""
    p = _Parser(ingress, config, snapshot)
    try:
        _check_blocklist(p)
        _check_risk(p)
        _check_unknown(p)
        _parse_all(p)
    except _Dropped:
        pass
    return p.out


def _check_blocklist(p: _Parser) -> None:
    """annotation-value-word-blocklist: substring match on every prefixed annotation value (store.go)."""
    blocklist = p.config.annotation_value_word_blocklist
    if not blocklist:
        return
    words = blocklist.strip().split(",")  # like the controller: words are not trimmed individually
    for suffix, value in sorted(p.raw.items()):
        for word in words:
            if word in value:
                p.out.dropped = f'{p.key(suffix)} contains the blocked word "{word}"'
                p.diag(
                    "INGRESS_DROPPED_BLOCKED_WORD",
                    "error",
                    f'Ingress {p.out.name} is ignored: {p.key(suffix)} contains "{word}", which is in the '
                    f"ConfigMap annotation-value-word-blocklist. Its hosts answer 404.",
                    f'Remove "{word}" from {p.key(suffix)}, or remove it from annotation-value-word-blocklist '
                    f"in ConfigMap {p.config.configmap or 'ingress-nginx-controller'}.",
                    "ingress-nginx#1.4",
                )
                raise _Dropped(p.out.dropped)


def _check_risk(p: _Parser) -> None:
    """Any known annotation with risk above annotations-risk-level drops the Ingress (ingress-nginx#11.1-11.2)."""
    level = p.config.risk_rank
    risky = sorted(s for s in p.raw if s in RISK and RISK_LEVELS.index(RISK[s]) > level)
    if not risky:
        return
    worst = max(RISK_LEVELS.index(RISK[s]) for s in risky)
    listed = ", ".join(f"{p.key(s)} ({RISK[s]})" for s in risky)
    p.out.dropped = f"annotation risk above annotations-risk-level {p.config.annotations_risk_level}: {listed}"
    snippets = [s for s in risky if s in SNIPPET_ANNOTATIONS]
    cm = p.config.configmap or "ingress-nginx/ingress-nginx-controller"
    if snippets:
        code = "INGRESS_DROPPED_SNIPPET"
        fix = (
            f"Remove {', '.join(p.key(s) for s in snippets)}, or (if you accept the risk) set both "
            f'allow-snippet-annotations: "true" and annotations-risk-level: "Critical" in ConfigMap {cm}.'
        )
    else:
        code = "INGRESS_DROPPED_RISKY_ANNOTATION"
        fix = (
            f"Remove {', '.join(p.key(s) for s in risky)}, or raise annotations-risk-level to "
            f'"{RISK_LEVELS[worst]}" in ConfigMap {cm}.'
        )
    p.diag(
        code,
        "error",
        f"Ingress {p.out.name} is silently ignored by the controller: {listed} exceeds annotations-risk-level "
        f'"{p.config.annotations_risk_level}". All its hosts answer 404 (the admission webhook, if enabled, '
        "would reject it instead).",
        fix,
        "ingress-nginx#11.2",
    )
    raise _Dropped(p.out.dropped)


def _check_unknown(p: _Parser) -> None:
    for suffix in sorted(p.raw):
        if suffix not in RISK:
            p.out.warnings.append(f"Ingress {p.out.name}: {p.key(suffix)} is not an ingress-nginx annotation; ignored")
            p.diag(
                "UNKNOWN_ANNOTATION",
                "info",
                f"Ingress {p.out.name}: {p.key(suffix)} is not an annotation ingress-nginx knows; it has no effect.",
                "Check the spelling against docs/user-guide/nginx-configuration/annotations.md.",
                "ingress-nginx#11.1",
            )


def _parse_all(p: _Parser) -> None:
    _parse_snippets(p)
    _parse_rewrite(p)
    _parse_redirect(p)
    _parse_backend(p)
    _parse_proxy(p)
    _parse_canary(p)
    _parse_access(p)
    _parse_basic_auth(p)
    _parse_external_auth(p)
    _parse_cors(p)
    _parse_affinity(p)
    _parse_proxy_ssl(p)
    _parse_rate_limits(p)


# ---- ingress-nginx#11: snippets --------------------------------------------------------------------------------------


def _parse_snippets(p: _Parser) -> None:
    # Reaching here means the risk level is Critical (otherwise _check_risk dropped the Ingress).
    present = [s for s in SNIPPET_ANNOTATIONS if p.get(s) is not None]
    if not present:
        return
    if not p.config.allow_snippet_annotations:
        for s in present:
            p.warn(
                s,
                "is dropped: allow-snippet-annotations is false, so the Ingress is served without it",
                f'Set allow-snippet-annotations: "true" in ConfigMap '
                f"{p.config.configmap or 'ingress-nginx/ingress-nginx-controller'} (the risk level is already "
                "Critical), or move the directives to the ConfigMap server-snippet/location-snippet.",
                code="SNIPPET_DROPPED",
            )
        return
    p.out.server_snippet = p.get("server-snippet")
    p.out.configuration_snippet = p.get("configuration-snippet")


# ---- ingress-nginx#4: rewrite, app-root, use-regex, ssl-redirect ------------------------------------------------------


def _parse_rewrite(p: _Parser) -> None:
    target = p.get("rewrite-target")
    if target is not None:
        if _match(_REGEX_PATH_WITH_CAPTURE, target):
            p.out.rewrite_target = target
        else:
            # Lenient: rewrite.go logs and continues without a rewrite (ingress-nginx#4.1).
            p.warn(
                "rewrite-target",
                f'value "{target}" has characters outside A-Za-z0-9-._~/:$ and is ignored: no rewrite happens',
                f"Use a path with capture references only, e.g. {p.line('rewrite-target', '/$2')} (no '?' or query).",
                code="REWRITE_TARGET_INVALID",
                rule="ingress-nginx#4.1",
            )
    p.out.ssl_redirect = p.boolean("ssl-redirect", None)
    p.out.force_ssl_redirect = p.boolean("force-ssl-redirect", None)
    p.out.preserve_trailing_slash = p.boolean("preserve-trailing-slash", None)
    p.out.use_regex = bool(p.boolean("use-regex", False))
    p.out.use_port_in_redirects = p.boolean("use-port-in-redirects", None)
    root = p.get("app-root")
    if root is not None:
        valid = _match(_REGEX_PATH_WITH_CAPTURE, root) and root.startswith("/")
        if valid and "://" not in root:
            p.out.app_root = root
        else:
            p.warn(
                "app-root",
                f'value "{root}" is not an absolute path such as /app; it is ignored',
                f"Use a path, e.g. {p.line('app-root', '/app')} (no scheme or host).",
                rule="ingress-nginx#4.3",
            )
    prefix = p.get("x-forwarded-prefix")
    if prefix is not None:
        p.out.x_forwarded_prefix = p.strict(
            "x-forwarded-prefix",
            prefix,
            _REGEX_PATH_WITH_CAPTURE,
            remove_space=True,
            what="only A-Za-z0-9-._~/:$ are allowed",
            fix=f"Use a plain path prefix, e.g. {p.line('x-forwarded-prefix', '/api')}.",
        )


# ---- ingress-nginx#5.2-5.3: redirects ---------------------------------------------------------------------------------


def _parse_redirect(p: _Parser) -> None:
    www = p.boolean("from-to-www-redirect", False, strict=True)
    relative = p.boolean("relative-redirects", False, strict=True)
    temporal = p.get("temporal-redirect")
    permanent = p.get("permanent-redirect")
    url_fix = "Percent-encode other characters; only A-Za-z0-9-._~/:,?&= are accepted."
    for suffix, value in (("temporal-redirect", temporal), ("permanent-redirect", permanent)):
        if value is not None:
            p.strict(
                suffix,
                value,
                _URL_VALID,
                remove_space=False,
                what="characters outside A-Za-z0-9-._~/:,?&=",
                fix=url_fix,
            )
    if temporal is not None:
        code = p.integer("temporal-redirect-code", strict=True)
        if code is None or not 300 <= code <= 307:
            code = 302
        scheme = urlsplit(temporal).scheme
        if not scheme.startswith("http"):
            # isValidURL fails with a plain error: the redirect parser's whole result is discarded.
            p.warn(
                "temporal-redirect",
                f'value "{temporal}" is not an http(s) URL; the redirect annotations of this Ingress are ignored',
                f"Use an absolute URL, e.g. {p.line('temporal-redirect', 'https://example.com/new')}.",
                rule="ingress-nginx#5.2",
            )
            return
        p.out.temporal_redirect = (temporal, code)
    else:
        code = p.integer("permanent-redirect-code", strict=True)
        if code is None or not 300 <= code <= 308:
            code = 301
        if permanent is not None:
            p.out.permanent_redirect = (permanent, code)
    p.out.from_to_www_redirect = bool(www)
    p.out.relative_redirects = bool(relative)


# ---- ingress-nginx#6, #10: backends -----------------------------------------------------------------------------------


def _parse_backend(p: _Parser) -> None:
    proto = p.get("backend-protocol")
    if proto is not None:
        upper = proto.strip().upper()
        if upper in BACKEND_PROTOCOLS:
            p.out.backend_protocol = upper
        else:
            p.warn(
                "backend-protocol",
                f'value "{proto}" is not one of {", ".join(BACKEND_PROTOCOLS)}; HTTP is used',
                f"Use e.g. {p.line('backend-protocol', 'HTTPS')}.",
                rule="ingress-nginx#10.1",
            )
    vhost = p.get("upstream-vhost")
    if vhost is not None:
        p.out.upstream_vhost = p.strict(
            "upstream-vhost",
            vhost.strip(),
            _IS_VALID_REGEX,
            remove_space=False,
            what="not a valid server name",
            fix=f"Use a host name, e.g. {p.line('upstream-vhost', 'app.internal')}.",
        )
    raw_su = p.get("service-upstream")
    # serviceupstream.go: absent -> ConfigMap value; present but not a boolean -> false.
    p.out.service_upstream = p.config.service_upstream if raw_su is None else parse_bool(raw_su) is True
    p.out.ssl_passthrough = bool(p.boolean("ssl-passthrough", False, strict=True))
    aliases = p.get("server-alias")
    if aliases is not None:
        for alias in aliases.split(","):
            p.strict(
                "server-alias",
                alias.strip(),
                _IS_VALID_REGEX,
                remove_space=False,
                what="not a server name",
                fix=f"Use comma-separated host names, e.g. {p.line('server-alias', 'a.example.com')}.",
            )
        p.out.server_alias = tuple(sorted({a.strip() for a in aliases.split(",") if a.strip()}))
    errors = p.get("custom-http-errors")
    if errors is not None:
        p.strict(
            "custom-http-errors",
            errors,
            _HTTP_ERRORS,
            remove_space=True,
            what="not a list of 4xx/5xx codes",
            fix=f"Use codes 400-599, e.g. {p.line('custom-http-errors', '404,503')}.",
        )
        p.out.custom_http_errors = tuple(int(c) for c in errors.replace(" ", "").split(",") if c)
    p.out.disable_proxy_intercept_errors = p.boolean("disable-proxy-intercept-errors", None)
    backend = p.get("default-backend")
    if backend is not None:
        p.strict(
            "default-backend",
            backend,
            _DNS1035,
            remove_space=False,
            what="not a Service name",
            fix=f"Use the name of a Service in namespace {p.ingress.namespace}.",
        )
        if p.snapshot.get("Service", p.ingress.namespace, backend) is None:
            # defaultbackend.go: a plain error, so the annotation is discarded and the Ingress still served.
            p.warn(
                "default-backend",
                f"names Service {p.ingress.namespace}/{backend}, which is not in the snapshot; the annotation is ignored",
                f"Create Service {backend} in namespace {p.ingress.namespace} or fix the name.",
                code="DEFAULT_BACKEND_SERVICE_MISSING",
                rule="ingress-nginx#6.7",
            )
        else:
            p.out.default_backend = backend
    lb = p.get("load-balance")
    if lb is not None:
        if lb.strip().lower() not in LOAD_BALANCE_ALGORITHMS:
            p.drop(
                "load-balance",
                lb,
                f"is not one of {', '.join(LOAD_BALANCE_ALGORITHMS)}",
                f"Use {p.line('load-balance', 'ewma')} or round_robin.",
            )
        p.out.load_balance = lb.strip().lower()
    hash_by = p.get("upstream-hash-by")
    if hash_by is not None:
        p.out.upstream_hash_by = p.strict(
            "upstream-hash-by",
            hash_by,
            _HASH_BY,
            remove_space=True,
            what="not an nginx variable expression",
            fix=f"Use e.g. {p.line('upstream-hash-by', '$request_uri')}.",
        )
    p.boolean("upstream-hash-by-subset", False, strict=True)
    p.integer("upstream-hash-by-subset-size", strict=True)


# ---- ingress-nginx#8: proxy settings ----------------------------------------------------------------------------------


def _parse_proxy(p: _Parser) -> None:
    for suffix, attr in (
        ("proxy-connect-timeout", "proxy_connect_timeout"),
        ("proxy-read-timeout", "proxy_read_timeout"),
        ("proxy-send-timeout", "proxy_send_timeout"),
    ):
        value = p.get(suffix)
        if value is None:
            continue
        try:
            setattr(p.out, attr, int(value))
        except ValueError:
            default = getattr(p.config, attr)
            digits = "".join(c for c in value if c.isdigit()) or str(default)
            p.warn(
                suffix,
                f'value "{value}" is not a whole number of seconds; it is silently replaced by the default {default} s',
                f"Write seconds without a unit: {p.line(suffix, digits)}.",
                code="TIMEOUT_WITH_UNITS_IGNORED",
                rule="ingress-nginx#8.1",
            )
    size = p.get("proxy-body-size")
    if size is not None:
        n = parse_size(size.replace(" ", ""))
        if n is None:
            p.warn(
                "proxy-body-size",
                f'value "{size}" is not an nginx size; the default is used',
                f"Use e.g. {p.line('proxy-body-size', '8m')} (0 = unlimited).",
                rule="ingress-nginx#8.6",
            )
        else:
            p.out.proxy_body_size = n
    buf = p.get("proxy-buffer-size")
    if buf is not None:
        n = parse_size(buf.replace(" ", ""))
        if n is None:
            p.warn(
                "proxy-buffer-size",
                f'value "{buf}" is not an nginx size; the default is used',
                f"Use e.g. {p.line('proxy-buffer-size', '16k')}.",
                rule="ingress-nginx#8.7",
            )
        else:
            p.out.proxy_buffer_size = n
    for suffix, attr in (
        ("proxy-redirect-from", "proxy_redirect_from"),
        ("proxy-redirect-to", "proxy_redirect_to"),
        ("proxy-cookie-path", "proxy_cookie_path"),
        ("proxy-cookie-domain", "proxy_cookie_domain"),
    ):
        value = p.get(suffix)
        if value is not None:
            setattr(p.out, attr, value.strip())


# ---- ingress-nginx#7: canary ------------------------------------------------------------------------------------------


def _parse_canary(p: _Parser) -> None:
    enabled = bool(p.boolean("canary", False))

    def _int(suffix: str, default: int) -> int:
        value = p.get(suffix)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            p.warn(
                suffix,
                f'value "{value}" is not a whole number; {default} is used',
                f"Use e.g. {p.line(suffix, str(default))}.",
                rule="ingress-nginx#7.3",
            )
            return default

    weight = _int("canary-weight", 0)
    total = _int("canary-weight-total", 100)
    header = p.get("canary-by-header")
    header_value = p.get("canary-by-header-value")
    header_pattern = p.get("canary-by-header-pattern")
    cookie = p.get("canary-by-cookie")
    if not enabled:
        if weight > 0 or header or header_value or header_pattern or cookie:
            present = [
                p.key(s)
                for s in (
                    "canary-weight",
                    "canary-by-header",
                    "canary-by-header-value",
                    "canary-by-header-pattern",
                    "canary-by-cookie",
                )
                if p.get(s) is not None
            ]
            text = (
                f'Ingress {p.out.name}: {", ".join(present)} set without {p.key("canary")}: "true"; the canary '
                "settings are discarded and the Ingress is served as an ordinary Ingress"
            )
            p.out.warnings.append(text)
            p.diag(
                "CANARY_ANNOTATIONS_WITHOUT_CANARY",
                "warning",
                text,
                f"Add {p.line('canary', 'true')}.",
                "ingress-nginx#7.1",
            )
        return
    p.out.canary = Canary(
        by_header=header,
        by_header_value=header_value,
        by_header_pattern=header_pattern,
        by_cookie=cookie,
        weight=weight,
        weight_total=total if total > 100 else 100,  # balancer.lua: only totals above 100 count (#7.3)
    )


# ---- ingress-nginx#9.1, #9.4: IP access ---------------------------------------------------------------------------------


def _parse_access(p: _Parser) -> None:
    for suffix, aliases, attr, default in (
        ("allowlist-source-range", ("whitelist-source-range",), "allowlist", p.config.whitelist_source_range),
        ("denylist-source-range", (), "denylist", p.config.denylist_source_range),
    ):
        value = p.get(suffix, *aliases)
        if value is None:
            if default:
                setattr(p.out, attr, tuple(sorted(default)))
            continue
        cidrs = _parse_cidrs(value)
        if cidrs is None:
            used = suffix if p.get(suffix) is not None else aliases[0]
            p.deny(
                used,
                f'value "{value}" is not a comma-separated list of IPs/CIDRs',
                f"Fix the list, e.g. {p.line(used, '10.0.0.0/8,192.168.1.5')} (no empty entries).",
                "CIDR_LIST_INVALID",
            )
            continue
        setattr(p.out, attr, cidrs)
    p.out.satisfy_any = (p.get("satisfy") or "").strip() == "any"


# ---- ingress-nginx#9.2: basic/digest auth ------------------------------------------------------------------------------


def _parse_basic_auth(p: _Parser) -> None:
    auth_type = p.get("auth-type")
    if auth_type is None:
        return
    # authTypeRegex "basic|digest" is unanchored and case-sensitive; a failure propagates (Ingress dropped).
    checked = auth_type.replace(" ", "")
    if "basic" not in checked and "digest" not in checked:
        p.drop(
            "auth-type", auth_type, 'is not "basic" or "digest" (lower case)', f"Use {p.line('auth-type', 'basic')}."
        )
    p.out.auth_type = "digest" if "digest" in checked and "basic" not in checked else "basic"
    secret_type = p.get("auth-secret-type")
    if secret_type is not None:
        st = secret_type.replace(" ", "")
        if "auth-file" not in st and "auth-map" not in st:
            p.drop(
                "auth-secret-type",
                secret_type,
                'is not "auth-file" or "auth-map"',
                f"Use {p.line('auth-secret-type', 'auth-file')}.",
            )
        p.out.auth_secret_type = st
        if st not in ("auth-file", "auth-map"):
            p.deny(
                "auth-secret-type",
                f'value "{secret_type}" must be exactly auth-file or auth-map',
                f"Use {p.line('auth-secret-type', 'auth-file')}.",
                "AUTH_SECRET_TYPE_INVALID",
            )
    realm = p.get("auth-realm")
    if realm is not None:
        p.strict(
            "auth-realm",
            realm,
            _CHARS_WITH_SPACE,
            remove_space=False,
            what="characters outside A-Za-z0-9-._~/: ",
            fix=f"Use a plain text realm, e.g. {p.line('auth-realm', 'Authentication Required')}.",
        )
        p.out.auth_realm = realm
    secret = p.get("auth-secret")
    ns = p.ingress.namespace or "default"
    if secret is None:
        p.deny(
            "auth-secret",
            "is missing although auth-type is set",
            f"Add {p.line('auth-secret', 'basic-auth')} naming a Secret with an htpasswd key 'auth'.",
            "AUTH_SECRET_MISSING",
        )
        return
    ref = _secret_ref(secret.strip(), ns) if _match(_BASIC_CHARS, secret.replace(" ", "")) else None
    if ref is None:
        p.deny(
            "auth-secret",
            f'value "{secret}" is not a Secret name or namespace/name',
            f"Use {p.line('auth-secret', 'basic-auth')}.",
            "AUTH_SECRET_MISSING",
        )
        return
    sns, sname = ref
    p.out.auth_secret = f"{sns}/{sname}"
    if sns != ns and not p.config.allow_cross_namespace_resources:
        p.deny(
            "auth-secret",
            f"refers to Secret {sns}/{sname} in another namespace, which is not allowed",
            f'Copy the Secret into namespace {ns}, or set allow-cross-namespace-resources: "true" in the ConfigMap.',
            "AUTH_SECRET_MISSING",
        )
        return
    if p.snapshot.get("Secret", sns, sname) is None:
        p.deny(
            "auth-secret",
            f"names Secret {sns}/{sname}, which is not in the snapshot",
            f"Create Secret {sname} in namespace {sns} with an htpasswd key 'auth' "
            "(kubectl create secret generic ... --from-file=auth).",
            "AUTH_SECRET_MISSING",
        )


# ---- ingress-nginx#9.3: external auth ----------------------------------------------------------------------------------


def _auth_url_problem(value: str) -> str | None:
    """parser.StringToURL: needs a scheme and a host without '..'."""
    try:
        parts = urlsplit(value)
        host = parts.netloc.rpartition("@")[2]
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if not parts.scheme:
        return "has no URL scheme"
    if not host:
        return "has no host"
    if ".." in host:
        return "has an invalid host"
    return None


def _parse_external_auth(p: _Parser) -> None:
    p.out.enable_global_auth = bool(p.boolean("enable-global-auth", True))
    url = p.get("auth-url")
    if url is None:
        return
    checked = p.strict(
        "auth-url",
        url,
        _URL_WITH_NGINX_VARIABLE,
        remove_space=True,
        what="characters outside A-Za-z0-9-._~/:,?&=$",
        fix="Percent-encode other characters in auth-url.",
    )
    problem = _auth_url_problem(checked)
    if problem is not None:
        p.deny(
            "auth-url",
            f'value "{url}" {problem}',
            f"Use an absolute URL, e.g. {p.line('auth-url', 'http://oauth2-proxy.auth.svc.cluster.local/oauth2/auth')}.",
            "AUTH_URL_INVALID",
        )
        return
    p.out.auth_url = checked
    method = p.get("auth-method")
    if method is not None:
        if not _match(_METHODS, method.replace(" ", "")):
            p.deny(
                "auth-method",
                f'value "{method}" is not an HTTP method',
                f"Use {p.line('auth-method', 'GET')}.",
                "AUTH_URL_INVALID",
            )
            return
        p.out.auth_method = method.replace(" ", "")
    signin = p.get("auth-signin")
    if signin is not None:
        if _match(_URL_WITH_NGINX_VARIABLE, signin.replace(" ", "")):
            p.out.auth_signin = signin.replace(" ", "")
        else:
            p.warn(
                "auth-signin",
                f'value "{signin}" has invalid characters and is ignored',
                "Percent-encode other characters in auth-signin.",
                rule="ingress-nginx#9.3",
            )
    param = p.get("auth-signin-redirect-param")
    if param is not None:
        if _match(_URL_VALID, param.replace(" ", "")):
            p.out.auth_signin_redirect_param = param.replace(" ", "")
        else:
            p.warn(
                "auth-signin-redirect-param",
                f'value "{param}" has invalid characters; "rd" is used',
                f"Use e.g. {p.line('auth-signin-redirect-param', 'rd')}.",
                rule="ingress-nginx#9.3",
            )
    headers = p.get("auth-response-headers")
    if headers is not None:
        if not _match(_HEADERS_VARIABLE, headers.replace(" ", "")):
            p.deny(
                "auth-response-headers",
                f'value "{headers}" is not a list of header names',
                f"Use e.g. {p.line('auth-response-headers', 'X-Auth-Request-User, X-Auth-Request-Email')}.",
                "AUTH_URL_INVALID",
            )
            return
        p.out.auth_response_headers = tuple(h.strip() for h in headers.split(",") if h.strip())
    p.out.auth_always_set_cookie = bool(p.boolean("auth-always-set-cookie", False))


# ---- ingress-nginx#9.6: CORS -------------------------------------------------------------------------------------------


def _parse_cors(p: _Parser) -> None:
    p.out.enable_cors = bool(p.boolean("enable-cors", False))
    origins = p.get("cors-allow-origin")
    if origins is not None and not _cors_origins_valid(origins.replace(" ", "")):
        # The annotation-level validator fails: cors.go falls back to "*", i.e. every origin is allowed.
        p.warn(
            "cors-allow-origin",
            f'value "{origins}" fails validation; the default "*" (any origin) is used',
            f"List origins as scheme://host[:port], e.g. {p.line('cors-allow-origin', 'https://a.example.com')}.",
            code="CORS_ORIGIN_INVALID",
            rule="ingress-nginx#9.6",
        )
    elif origins is not None:
        kept: list[str] = []
        for origin in origins.split(","):
            origin = origin.strip()
            if not origin:
                continue
            if origin == "*":
                kept = ["*"]
                break
            if not _match(_CORS_ORIGIN, origin):
                p.warn(
                    "cors-allow-origin",
                    f'entry "{origin}" is not scheme://host[:port]; skipped',
                    "List origins as scheme://host[:port], comma-separated.",
                    rule="ingress-nginx#9.6",
                )
                continue
            kept.append(origin)
        p.out.cors_allow_origin = tuple(kept)
    headers = p.get("cors-allow-headers")
    if headers is not None and _match(_HEADERS_VARIABLE, headers):
        p.out.cors_allow_headers = headers
    methods = p.get("cors-allow-methods")
    if methods is not None and _cors_methods_ok(methods):
        p.out.cors_allow_methods = methods
    p.out.cors_allow_credentials = bool(p.boolean("cors-allow-credentials", True))
    expose = p.get("cors-expose-headers")
    if expose is not None:
        p.out.cors_expose_headers = expose
    max_age = p.get("cors-max-age")
    if max_age is not None:
        try:
            p.out.cors_max_age = int(max_age)
        except ValueError:
            p.warn(
                "cors-max-age",
                f'value "{max_age}" is not a whole number; {DEFAULT_CORS_MAX_AGE} is used',
                f"Use e.g. {p.line('cors-max-age', '600')}.",
                rule="ingress-nginx#9.6",
            )


# ---- ingress-nginx#12: session affinity -------------------------------------------------------------------------------


def _parse_affinity(p: _Parser) -> None:
    kind = p.get("affinity")
    if kind is None:
        return
    if kind.strip().lower() != "cookie":
        p.warn(
            "affinity",
            f'value "{kind}" is not "cookie"; no session affinity',
            f"Use {p.line('affinity', 'cookie')}.",
            rule="ingress-nginx#12.1",
        )
        return
    a = Affinity()
    mode = (p.get("affinity-mode") or "").strip().lower()
    a.mode = mode if mode in ("balanced", "persistent") else "balanced"
    behavior = (p.get("affinity-canary-behavior") or "").strip().lower()
    a.canary_behavior = behavior if behavior in ("sticky", "legacy") else "sticky"
    name = p.get("session-cookie-name")
    if name is not None and _match(_BASIC_CHARS, name.replace(" ", "")):
        a.cookie_name = name.replace(" ", "")
    path = p.get("session-cookie-path")
    if path is not None and _match(_URL_VALID, path.replace(" ", "")):
        a.cookie_path = path.replace(" ", "")
    secure = p.get("session-cookie-secure")
    if secure is not None:
        a.secure = parse_bool(secure)
    domain = p.get("session-cookie-domain")
    if domain is not None and _match(_BASIC_CHARS, domain.replace(" ", "")):
        a.domain = domain.replace(" ", "")
    for suffix, attr in (("session-cookie-expires", "expires"), ("session-cookie-max-age", "max_age")):
        value = p.get(suffix)
        if value is not None and _match(_COOKIE_EXPIRES, value.strip()):
            setattr(a, attr, value.strip())
    samesite = (p.get("session-cookie-samesite") or "").strip()
    if samesite.lower() in ("none", "lax", "strict"):
        a.samesite = samesite
    a.change_on_failure = bool(p.boolean("session-cookie-change-on-failure", False))
    p.out.affinity = a


# ---- ingress-nginx#10.2: upstream TLS ----------------------------------------------------------------------------------


def _parse_proxy_ssl(p: _Parser) -> None:
    secret = p.get("proxy-ssl-secret")
    ignored = [s for s in ("proxy-ssl-verify", "proxy-ssl-name", "proxy-ssl-server-name") if p.get(s) is not None]
    if secret is None:
        if ignored:
            # proxyssl.go returns before reading anything else (ingress-nginx#10.2, #14.10).
            text = (
                f"Ingress {p.out.name}: {', '.join(p.key(s) for s in ignored)} "
                f"{'has' if len(ignored) == 1 else 'have'} no effect without {p.key('proxy-ssl-secret')}: "
                "no SNI is sent and the certificate is not verified"
            )
            p.out.warnings.append(text)
            p.diag(
                "PROXY_SSL_WITHOUT_SECRET",
                "warning",
                text,
                f"Add {p.line('proxy-ssl-secret', f'{p.ingress.namespace}/backend-ca')} (a Secret with ca.crt).",
                "ingress-nginx#10.2",
            )
        return
    p.strict(
        "proxy-ssl-secret",
        secret,
        _BASIC_CHARS,
        remove_space=True,
        what="not a namespace/name",
        fix=f"Use {p.line('proxy-ssl-secret', f'{p.ingress.namespace}/backend-ca')}.",
    )
    parts = secret.replace(" ", "").split("/")
    if len(parts) != 2:
        p.deny(
            "proxy-ssl-secret",
            f'value "{secret}" is not in the form namespace/name',
            f"Use {p.line('proxy-ssl-secret', f'{p.ingress.namespace}/{parts[-1]}')}.",
            "PROXY_SSL_SECRET_MISSING",
        )
        return
    sns, sname = parts
    if sns != p.ingress.namespace and not p.config.allow_cross_namespace_resources:
        p.deny(
            "proxy-ssl-secret",
            f"refers to Secret {sns}/{sname} in another namespace, which is not allowed",
            f"Copy the Secret into namespace {p.ingress.namespace}.",
            "PROXY_SSL_SECRET_MISSING",
        )
        return
    if p.snapshot.get("Secret", sns, sname) is None:
        p.deny(
            "proxy-ssl-secret",
            f"names Secret {sns}/{sname}, which is not in the snapshot",
            f"Create Secret {sname} in namespace {sns} with ca.crt (and tls.crt/tls.key for client certificates).",
            "PROXY_SSL_SECRET_MISSING",
        )
        return
    p.out.proxy_ssl_secret = f"{sns}/{sname}"
    p.out.proxy_ssl_verify = (p.get("proxy-ssl-verify") or "").strip() == "on"
    name = p.get("proxy-ssl-name")
    if name is not None and _match(_IS_VALID_REGEX, name.strip()):
        p.out.proxy_ssl_name = name.strip()
    p.out.proxy_ssl_server_name = (p.get("proxy-ssl-server-name") or "").strip() == "on"


# ---- ingress-nginx#9.5: rate limits ------------------------------------------------------------------------------------


def _parse_rate_limits(p: _Parser) -> None:
    for suffix, attr in (
        ("limit-connections", "limit_connections"),
        ("limit-rps", "limit_rps"),
        ("limit-rpm", "limit_rpm"),
        ("limit-burst-multiplier", "limit_burst_multiplier"),
    ):
        n = p.integer(suffix, strict=True)
        if n is not None:
            setattr(p.out, attr, n)
    allow = p.get("limit-allowlist", "limit-whitelist")
    if allow is not None:
        cidrs = _parse_cidrs(allow)
        if cidrs is None:
            used = "limit-allowlist" if p.get("limit-allowlist") else "limit-whitelist"
            p.drop(used, allow, "is not a list of IPs/CIDRs", f"Use e.g. {p.line(used, '10.0.0.0/8')}.")
        p.out.limit_allowlist = cidrs or ()
