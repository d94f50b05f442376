"""Controller settings: the ControllerConfig record, and reading it from the flags and the ConfigMap.

Defaults follow ``pkg/flags/flags.go`` and ``internal/ingress/controller/config/config.go: NewDefault``
(ingress-nginx v1.15.1). Flags are read by flags.py; this module parses the ConfigMap and combines both.
Rule ids ``ingress-nginx#<section>`` are listed in docs/rules/ingress-nginx.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

from ...snapshot import K8sObject, Snapshot
from .flags import choose_controller, flag_values
from .values import parse_bool, parse_duration_seconds, parse_size, split_list

# ConfigMaps the controller is commonly deployed with when --configmap is absent (Helm / static manifests).
FALLBACK_CONFIGMAP_NAMES = ("ingress-nginx-controller", "nginx-configuration")

RISK_LEVELS = ("Low", "Medium", "High", "Critical")


@dataclass(frozen=True, slots=True)
class ControllerConfig:
    # ---- flags (pkg/flags/flags.go defaults) ----
    controller_class: str = "k8s.io/ingress-nginx"
    ingress_class: str = "nginx"
    ingress_class_by_name: bool = False
    watch_ingress_without_class: bool = False
    watch_namespace: str = ""  # "" = all
    watch_namespace_selector: dict[str, str] | None = None
    default_backend_service: str = ""  # "ns/name" or ""
    default_ssl_certificate: str = ""  # "ns/name" or ""
    disable_catch_all: bool = False
    enable_ssl_passthrough: bool = False
    disable_svc_external_name: bool = False
    annotations_prefix: str = "nginx.ingress.kubernetes.io"
    configmap: str = ""  # "ns/name" actually read, "" when none was found
    http_port: int = 80
    https_port: int = 443
    enable_topology_aware_routing: bool = False
    controller_namespace: str = ""  # namespace of the controller workload ("" = no workload found)
    controller_found: bool = False

    # ---- ConfigMap keys (config.go NewDefault); attribute = key with "-" -> "_" ----
    allow_snippet_annotations: bool = False  # ingress-nginx#11.1 (false since v1.9.0)
    annotations_risk_level: str = "High"  # ingress-nginx#11.1 (High since v1.12.0)
    annotation_value_word_blocklist: str = ""  # ingress-nginx#1.4
    allow_cross_namespace_resources: bool = False  # ingress-nginx#9.2
    ssl_redirect: bool = True  # ingress-nginx#5.1
    force_ssl_redirect: bool = False
    http_redirect_code: int = 308
    preserve_trailing_slash: bool = False
    use_port_in_redirects: bool = False
    no_tls_redirect_locations: tuple[str, ...] = ("/.well-known/acme-challenge",)
    relative_redirects: bool = False  # ingress-nginx#5.2 (also an annotation)
    use_forwarded_headers: bool = False  # ingress-nginx#8.5
    forwarded_for_header: str = "X-Forwarded-For"
    forwarded_host_header: str = "X-Forwarded-Host"
    compute_full_forwarded_for: bool = False
    use_proxy_protocol: bool = False
    enable_real_ip: bool = False
    proxy_real_ip_cidr: tuple[str, ...] = ("0.0.0.0/0",)
    proxy_add_original_uri_header: bool = False
    generate_request_id: bool = True
    proxy_set_headers: str = ""  # "ns/name" of a ConfigMap of extra upstream headers
    proxy_body_size: int = 1024 * 1024  # bytes ("1m"); 0 = unlimited (ingress-nginx#8.6)
    proxy_connect_timeout: int = 5  # seconds (ingress-nginx#8.1)
    proxy_read_timeout: int = 60
    proxy_send_timeout: int = 60
    proxy_next_upstream: str = "error timeout"
    proxy_next_upstream_tries: int = 3
    proxy_next_upstream_timeout: int = 0
    proxy_buffer_size: int = 4096  # bytes ("4k"); larger upstream headers -> 502 (ingress-nginx#8.7)
    proxy_buffers_number: int = 4
    proxy_buffering: str = "off"
    proxy_request_buffering: str = "on"
    proxy_http_version: str = "1.1"
    proxy_redirect_from: str = "off"  # ingress-nginx#8.3
    proxy_redirect_to: str = "off"
    proxy_cookie_domain: str = "off"  # ingress-nginx#8.4
    proxy_cookie_path: str = "off"
    client_header_buffer_size: int = 1024
    large_client_header_buffers: str = "4 8k"  # ingress-nginx#0 P2
    large_client_header_buffer_size: int = 8192  # derived: the per-buffer size of large-client-header-buffers
    client_header_timeout: int = 60
    client_body_timeout: int = 60
    keep_alive: int = 75
    enable_underscores_in_headers: bool = False
    ignore_invalid_headers: bool = True
    custom_http_errors: tuple[int, ...] = ()  # ingress-nginx#6.7
    disable_proxy_intercept_errors: bool = False
    hsts: bool = True  # ingress-nginx#8.8
    hsts_include_subdomains: bool = True
    hsts_max_age: int = 31536000
    hsts_preload: bool = False
    whitelist_source_range: tuple[str, ...] = ()  # ingress-nginx#9.1
    denylist_source_range: tuple[str, ...] = ()
    block_cidrs: tuple[str, ...] = ()
    block_user_agents: tuple[str, ...] = ()  # ingress-nginx#0 P4
    block_referers: tuple[str, ...] = ()
    global_auth_url: str = ""  # ingress-nginx#9.3
    global_auth_method: str = ""
    global_auth_signin: str = ""
    global_auth_signin_redirect_param: str = ""
    global_auth_response_headers: tuple[str, ...] = ()
    enable_global_auth: bool = True  # per-Ingress switch is the enable-global-auth annotation
    no_auth_locations: tuple[str, ...] = ("/.well-known/acme-challenge",)
    load_balance: str = "round_robin"  # ingress-nginx#12.1
    upstream_keepalive_connections: int = 320
    limit_req_status_code: int = 503  # ingress-nginx#9.5
    limit_conn_status_code: int = 503
    worker_shutdown_timeout: int = 240  # seconds ("240s"), ingress-nginx#8.2
    server_tokens: bool = False
    use_http2: bool = True
    server_snippet: str = ""  # ConfigMap snippets are always honoured (ingress-nginx#11.1)
    location_snippet: str = ""
    http_snippet: str = ""
    strict_validate_path_type: bool = True  # ingress-nginx#3.8
    service_upstream: bool = False  # ingress-nginx#6.6

    objects: tuple[dict, ...] = ()  # refs of the ConfigMap / workload read
    warnings: tuple[str, ...] = ()

    @property
    def risk_rank(self) -> int:
        """annotations-risk-level as a rank (Low=0 .. Critical=3)."""
        return risk_rank(self.annotations_risk_level)


def risk_rank(level: str) -> int:
    """parser.StringRiskToRisk: case-insensitive; anything unknown counts as Low."""
    lowered = level.strip().lower()
    for i, name in enumerate(RISK_LEVELS):
        if name.lower() == lowered:
            return i
    return 0


# ------------------------------------------------------------------------------------------------
# ConfigMap value parsers: each returns the typed value or raises ValueError with a reason.


def _p_bool(v: str) -> bool:
    b = parse_bool(v)
    if b is None:
        raise ValueError('not a boolean (use "true" or "false")')
    return b


def _p_int(v: str) -> int:
    try:
        return int(v.strip())
    except ValueError:
        raise ValueError("not a whole number") from None


def _p_seconds_int(v: str) -> int:
    # Timeouts in the ConfigMap are integers of seconds (ingress-nginx#8.1); "60s" is not accepted.
    try:
        return int(v.strip())
    except ValueError:
        raise ValueError('not a whole number of seconds (no units: "60", not "60s")') from None


def _p_size(v: str) -> int:
    n = parse_size(v)
    if n is None:
        raise ValueError('not an nginx size such as "1m", "8k" or "0"')
    return n


def _p_duration(v: str) -> int:
    n = parse_duration_seconds(v)
    if n is None:
        raise ValueError('not an nginx time such as "240s"')
    return n


def _p_str(v: str) -> str:
    return v.strip()


def _p_raw(v: str) -> str:
    return v


def _p_list(v: str) -> tuple[str, ...]:
    return split_list(v)


def _p_risk(v: str) -> str:
    for name in RISK_LEVELS:
        if name.lower() == v.strip().lower():
            return name
    # StringRiskToRisk maps anything unknown to Low, the strictest level: only Low annotations pass.
    raise _RiskFallback()


class _RiskFallback(ValueError):
    pass


def _p_redirect_code(v: str) -> int:
    n = _p_int(v)
    if n not in (301, 302, 307, 308):
        raise ValueError("not one of 301, 302, 307, 308")
    return n


def _p_status(v: str) -> int:
    n = _p_int(v)
    if not 100 <= n <= 599:
        raise ValueError("not an HTTP status code")
    return n


def _p_choice(*choices: str) -> Callable[[str], str]:
    def parse(v: str) -> str:
        s = v.strip()
        if s not in choices:
            raise ValueError(f"not one of {', '.join(choices)}")
        return s

    return parse


def _p_large_buffers(v: str) -> str:
    parts = v.split()
    if len(parts) != 2 or not parts[0].isdigit() or parse_size(parts[1]) is None:
        raise ValueError('not "<number> <size>" such as "4 8k"')
    return " ".join(parts)


_CONFIGMAP_PARSERS: dict[str, Callable[[str], Any]] = {
    "allow-snippet-annotations": _p_bool,
    "annotations-risk-level": _p_risk,
    "annotation-value-word-blocklist": _p_raw,
    "allow-cross-namespace-resources": _p_bool,
    "ssl-redirect": _p_bool,
    "force-ssl-redirect": _p_bool,
    "http-redirect-code": _p_redirect_code,
    "preserve-trailing-slash": _p_bool,
    "use-port-in-redirects": _p_bool,
    "no-tls-redirect-locations": _p_list,
    "relative-redirects": _p_bool,
    "use-forwarded-headers": _p_bool,
    "forwarded-for-header": _p_str,
    "forwarded-host-header": _p_str,
    "compute-full-forwarded-for": _p_bool,
    "use-proxy-protocol": _p_bool,
    "enable-real-ip": _p_bool,
    "proxy-real-ip-cidr": _p_list,
    "proxy-add-original-uri-header": _p_bool,
    "generate-request-id": _p_bool,
    "proxy-set-headers": _p_str,
    "proxy-body-size": _p_size,
    "proxy-connect-timeout": _p_seconds_int,
    "proxy-read-timeout": _p_seconds_int,
    "proxy-send-timeout": _p_seconds_int,
    "proxy-next-upstream": _p_str,
    "proxy-next-upstream-tries": _p_int,
    "proxy-next-upstream-timeout": _p_seconds_int,
    "proxy-buffer-size": _p_size,
    "proxy-buffers-number": _p_int,
    "proxy-buffering": _p_choice("on", "off"),
    "proxy-request-buffering": _p_choice("on", "off"),
    "proxy-http-version": _p_choice("1.0", "1.1"),
    "proxy-redirect-from": _p_str,
    "proxy-redirect-to": _p_str,
    "proxy-cookie-domain": _p_str,
    "proxy-cookie-path": _p_str,
    "client-header-buffer-size": _p_size,
    "large-client-header-buffers": _p_large_buffers,
    "client-header-timeout": _p_seconds_int,
    "client-body-timeout": _p_seconds_int,
    "keep-alive": _p_seconds_int,
    "enable-underscores-in-headers": _p_bool,
    "ignore-invalid-headers": _p_bool,
    "disable-proxy-intercept-errors": _p_bool,
    "hsts": _p_bool,
    "hsts-include-subdomains": _p_bool,
    "hsts-max-age": _p_int,
    "hsts-preload": _p_bool,
    "whitelist-source-range": _p_list,
    "denylist-source-range": _p_list,
    "block-cidrs": _p_list,
    "block-user-agents": _p_list,
    "block-referers": _p_list,
    "global-auth-url": _p_str,
    "global-auth-method": _p_str,
    "global-auth-signin": _p_str,
    "global-auth-signin-redirect-param": _p_str,
    "global-auth-response-headers": _p_list,
    "no-auth-locations": _p_list,
    "load-balance": _p_str,
    "upstream-keepalive-connections": _p_int,
    "limit-req-status-code": _p_status,
    "limit-conn-status-code": _p_status,
    "worker-shutdown-timeout": _p_duration,
    "server-tokens": _p_bool,
    "use-http2": _p_bool,
    "server-snippet": _p_raw,
    "location-snippet": _p_raw,
    "http-snippet": _p_raw,
    "strict-validate-path-type": _p_bool,
    "service-upstream": _p_bool,
}


def _custom_http_errors(value: str, warn: Callable[[str], None]) -> tuple[int, ...]:
    # configmap.go: each code parsed separately; a bad entry is skipped with a warning, the rest kept.
    codes: list[int] = []
    for item in split_list(value):
        try:
            codes.append(int(item))
        except ValueError:
            warn(f"custom-http-errors: entry {item!r} is not an HTTP status code; skipped")
    return tuple(codes)


def read_controller_config(snapshot: Snapshot, controller_class: str | None = None) -> ControllerConfig:
    """Flags of the controller workload + its ConfigMap, with config.go defaults for anything absent."""
    warnings: list[str] = []
    warn = warnings.append
    objects: list[dict] = []
    values: dict[str, Any] = {}

    chosen = choose_controller(snapshot, controller_class, warn)
    controller_ns = ""
    configmap_ref = ""
    if chosen is not None:
        objects.append(chosen.workload.ref())
        values.update(flag_values(chosen, warn))
        controller_ns = values["controller_namespace"]
        configmap_ref = str(chosen.flags.get("configmap") or "").strip()

    if controller_class is not None:
        values["controller_class"] = controller_class

    cm = _find_configmap(snapshot, configmap_ref, controller_ns, warn)
    if cm is not None:
        objects.append(cm.ref())
        values["configmap"] = f"{cm.namespace}/{cm.name}"
        values.update(_read_configmap(cm, warn))
    return replace(ControllerConfig(), **values, objects=tuple(objects), warnings=tuple(warnings))


def _find_configmap(snapshot: Snapshot, ref: str, controller_ns: str, warn: Callable[[str], None]) -> K8sObject | None:
    if ref:
        ns, _, name = ref.rpartition("/")
        ns = ns or controller_ns or "default"
        cm = snapshot.get("ConfigMap", ns, name)
        if cm is None:
            warn(f"--configmap={ref}: ConfigMap {ns}/{name} is not in the snapshot; using the built-in defaults")
        return cm
    namespaces = (
        [controller_ns] if controller_ns else sorted({o.namespace or "" for o in snapshot.of_kind("ConfigMap")})
    )
    for name in FALLBACK_CONFIGMAP_NAMES:
        for ns in namespaces:
            cm = snapshot.get("ConfigMap", ns, name)
            if cm is not None:
                return cm
    return None


def _read_configmap(cm: K8sObject, warn: Callable[[str], None]) -> dict[str, Any]:
    data = cm.body.get("data") or {}
    if not isinstance(data, dict):
        warn(f"ConfigMap {cm.namespace}/{cm.name}: data is not a mapping; using the built-in defaults")
        return {}
    defaults = {f.name: f.default for f in fields(ControllerConfig)}
    out: dict[str, Any] = {}
    for key, raw_value in data.items():
        key = str(key)
        if isinstance(raw_value, bool):
            value = "true" if raw_value else "false"
        else:
            value = "" if raw_value is None else str(raw_value)
        attr = key.replace("-", "_")
        if key == "custom-http-errors":
            out[attr] = _custom_http_errors(value, lambda m: warn(f"ConfigMap {cm.namespace}/{cm.name} key {m}"))
            continue
        parser = _CONFIGMAP_PARSERS.get(key)
        if parser is None:
            continue  # a key the simulator does not model; nginx keeps its own handling
        try:
            out[attr] = parser(value)
        except _RiskFallback:
            out[attr] = "Low"
            warn(
                f"ConfigMap {cm.namespace}/{cm.name} key {key}: value {value!r} is not Low, Medium, High or "
                "Critical; the controller then treats it as Low (only Low-risk annotations accepted)"
            )
        except ValueError as exc:
            default = defaults[attr]
            warn(
                f"ConfigMap {cm.namespace}/{cm.name} key {key}: value {value!r} is {exc}; using the default {default!r}"
            )
    if "large_client_header_buffers" in out:
        out["large_client_header_buffer_size"] = parse_size(out["large_client_header_buffers"].split()[1])
    return out
