"""Controller settings: command-line flags of the controller workload plus its ConfigMap.

Defaults follow ``pkg/flags/flags.go`` and ``internal/ingress/controller/config/config.go: NewDefault``
(ingress-nginx v1.15.1). Section numbers refer to docs/ingress-nginx.md ("ingress-nginx#<n>").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from ...snapshot import K8sObject, Snapshot

# Controller binary and image, as shipped by the project and the Helm chart.
CONTROLLER_BINARY = "/nginx-ingress-controller"
CONTROLLER_IMAGE_MARKER = "ingress-nginx/controller"
# ConfigMaps the controller is commonly deployed with when --configmap is absent (Helm / static manifests).
FALLBACK_CONFIGMAP_NAMES = ("ingress-nginx-controller", "nginx-configuration")

RISK_LEVELS = ("Low", "Medium", "High", "Critical")

# Go strconv.ParseBool, which the ConfigMap decoder (mapstructure, weakly typed) and annotation parsers use.
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})

# nginx size syntax: a number with an optional k/m/g suffix (case-insensitive). Fixed pattern, not user-supplied.
_SIZE = re.compile(r"^(\d+)([kKmMgG]?)$")
_SIZE_FACTOR = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
# nginx time syntax for values like worker-shutdown-timeout ("240s", "1m30s", "10").
_TIME_PART = re.compile(r"(\d+)(ms|[smhd]?)")
_TIME_FACTOR = {"": 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_bool(value: str) -> bool | None:
    """Go's strconv.ParseBool; None when the text is not a boolean."""
    value = value.strip()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


def parse_size(value: str) -> int | None:
    """nginx size ("1m", "8k", "0", "512") in bytes; None if invalid."""
    m = _SIZE.match(value.strip())
    if not m:
        return None
    return int(m.group(1)) * _SIZE_FACTOR[m.group(2).lower()]


def parse_duration_seconds(value: str) -> int | None:
    """nginx time ("240s", "1m", "90") in whole seconds; None if invalid."""
    text = value.strip()
    if not text:
        return None
    total = 0.0
    pos = 0
    for m in _TIME_PART.finditer(text):
        if m.start() != pos:
            return None
        total += int(m.group(1)) * _TIME_FACTOR[m.group(2)]
        pos = m.end()
    if pos != len(text):
        return None
    return int(total)


def split_list(value: str) -> tuple[str, ...]:
    """Comma-separated list, items trimmed, empties removed (configmap.go splitAndTrimSpace)."""
    return tuple(p.strip() for p in value.split(",") if p.strip())


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

    def annotation_key(self, suffix: str) -> str:
        return f"{self.annotations_prefix}/{suffix}"


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


# ------------------------------------------------------------------------------------------------
# Controller workload discovery and flag parsing.


@dataclass(slots=True)
class _Controller:
    workload: K8sObject
    container: dict[str, Any]
    args: list[str]
    flags: dict[str, str | None] = field(default_factory=dict)


def _container_args(container: dict[str, Any]) -> list[str]:
    command = container.get("command") or []
    args = container.get("args") or []
    return [str(a) for a in [*command, *args]]


def _expand_env(arg: str, container: dict[str, Any], workload: K8sObject) -> str:
    """Kubernetes $(VAR) expansion, as used by the Helm chart (--configmap=$(POD_NAMESPACE)/...)."""
    if "$(" not in arg:
        return arg
    env: dict[str, str] = {}
    for item in container.get("env") or []:
        if not isinstance(item, dict) or "name" not in item:
            continue
        if "value" in item:
            env[str(item["name"])] = str(item["value"])
        else:
            ref = ((item.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
            if ref == "metadata.namespace":
                env[str(item["name"])] = workload.namespace or "default"
    out = []
    i = 0
    while i < len(arg):
        if arg.startswith("$$(", i):  # escaped reference stays literal
            out.append("$(")
            i += 3
            continue
        if arg.startswith("$(", i):
            end = arg.find(")", i + 2)
            if end != -1 and arg[i + 2 : end] in env:
                out.append(env[arg[i + 2 : end]])
                i = end + 1
                continue
        out.append(arg[i])
        i += 1
    return "".join(out)


def _parse_flags(args: list[str]) -> dict[str, str | None]:
    """--name=value, --name value (Go flag syntax, one or two dashes); a bare --name is None (boolean true)."""
    flags: dict[str, str | None] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-") or arg in ("-", "--"):
            continue
        body = arg.lstrip("-")
        if "=" in body:
            name, value = body.split("=", 1)
            flags[name] = value
        elif i < len(args) and not args[i].startswith("-") and body not in _BOOL_FLAGS:
            flags[body] = args[i]
            i += 1
        else:
            flags[body] = None
    return flags


_BOOL_FLAGS = frozenset(
    {
        "ingress-class-by-name",
        "watch-ingress-without-class",
        "disable-catch-all",
        "enable-ssl-passthrough",
        "disable-svc-external-name",
        "enable-topology-aware-routing",
        "update-status",
        "enable-metrics",
        "enable-ssl-chain-completion",
        "v",
    }
)


def _is_controller_container(container: dict[str, Any]) -> bool:
    image = str(container.get("image") or "")
    args = _container_args(container)
    return CONTROLLER_IMAGE_MARKER in image or bool(args and args[0].startswith(CONTROLLER_BINARY))


def find_controllers(snapshot: Snapshot) -> list[_Controller]:
    found: list[_Controller] = []
    for kind in ("Deployment", "DaemonSet", "StatefulSet"):
        for obj in snapshot.of_kind(kind):
            pod_spec = ((obj.spec.get("template") or {}).get("spec")) or {}
            for container in pod_spec.get("containers") or []:
                if isinstance(container, dict) and _is_controller_container(container):
                    args = [_expand_env(a, container, obj) for a in _container_args(container)]
                    found.append(_Controller(obj, container, args, _parse_flags(args)))
                    break
    found.sort(key=lambda c: (c.workload.namespace or "", c.workload.name))
    return found


def _flag_bool(flags: dict[str, str | None], name: str, default: bool, warn: Callable[[str], None]) -> bool:
    if name not in flags:
        return default
    raw = flags[name]
    if raw is None:
        return True
    b = parse_bool(raw)
    if b is None:
        warn(f"flag --{name}={raw} is not a boolean; using the default {str(default).lower()}")
        return default
    return b


def _parse_selector(raw: str, warn: Callable[[str], None]) -> dict[str, str] | None:
    selector: dict[str, str] = {}
    for part in split_list(raw):
        if "!=" in part or " in " in part or " notin " in part or "=" not in part:
            warn(f"--watch-namespace-selector term {part!r} is not an equality term; the simulator ignores it")
            continue
        key, _, value = part.partition("==") if "==" in part else part.partition("=")
        selector[key.strip()] = value.strip()
    return selector or None


def read_controller_config(snapshot: Snapshot, controller_class: str | None = None) -> ControllerConfig:
    """Flags of the controller workload + its ConfigMap, with config.go defaults for anything absent."""
    warnings: list[str] = []
    warn = warnings.append
    objects: list[dict] = []
    values: dict[str, Any] = {}

    controllers = find_controllers(snapshot)
    chosen: _Controller | None = None
    if controller_class is not None:
        for c in controllers:
            if (c.flags.get("controller-class") or "k8s.io/ingress-nginx") == controller_class:
                chosen = c
                break
    if chosen is None and controllers:
        chosen = controllers[0]
        if len(controllers) > 1:
            warn(
                f"{len(controllers)} ingress-nginx controller workloads found; using {chosen.workload.display()}"
                " (pass the controller class to pick another)"
            )

    controller_ns = ""
    configmap_ref = ""
    if chosen is not None:
        f = chosen.flags
        controller_ns = chosen.workload.namespace or "default"
        objects.append(chosen.workload.ref())
        values["controller_found"] = True
        values["controller_namespace"] = controller_ns
        for flag, attr in (
            ("controller-class", "controller_class"),
            ("ingress-class", "ingress_class"),
            ("watch-namespace", "watch_namespace"),
            ("default-backend-service", "default_backend_service"),
            ("default-ssl-certificate", "default_ssl_certificate"),
        ):
            if f.get(flag):
                values[attr] = str(f[flag]).strip()
        if f.get("annotations-prefix"):
            values["annotations_prefix"] = str(f["annotations-prefix"]).strip().rstrip("/")
        for flag, attr in (
            ("ingress-class-by-name", "ingress_class_by_name"),
            ("watch-ingress-without-class", "watch_ingress_without_class"),
            ("disable-catch-all", "disable_catch_all"),
            ("enable-ssl-passthrough", "enable_ssl_passthrough"),
            ("disable-svc-external-name", "disable_svc_external_name"),
            ("enable-topology-aware-routing", "enable_topology_aware_routing"),
        ):
            values[attr] = _flag_bool(f, flag, False, warn)
        for flag, attr, default in (("http-port", "http_port", 80), ("https-port", "https_port", 443)):
            if f.get(flag):
                try:
                    values[attr] = int(str(f[flag]))
                except ValueError:
                    warn(f"flag --{flag}={f[flag]} is not a port number; using {default}")
        if f.get("watch-namespace-selector"):
            if f.get("watch-namespace"):
                # flags.go refuses to start with both; keep --watch-namespace and say so (ingress-nginx#1.3).
                warn(
                    "--watch-namespace and --watch-namespace-selector are mutually exclusive; the controller "
                    "would not start. Using --watch-namespace only"
                )
            else:
                values["watch_namespace_selector"] = _parse_selector(str(f["watch-namespace-selector"]), warn)
        configmap_ref = str(f.get("configmap") or "").strip()

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
