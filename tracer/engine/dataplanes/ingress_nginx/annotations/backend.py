"""Backend annotations (ingress-nginx#6, #10, #12.1, #2.7): how the upstream is reached and named.

backend-protocol, upstream-vhost, service-upstream, ssl-passthrough, server-alias, custom-http-errors,
disable-proxy-intercept-errors, default-backend, load-balance and upstream-hash-by.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..values import parse_bool
from .parser import DNS1035, HASH_BY, HTTP_ERRORS, IS_VALID_REGEX, Parser

BACKEND_PROTOCOLS = ("HTTP", "HTTPS", "AUTO_HTTP", "GRPC", "GRPCS", "FCGI")
LOAD_BALANCE_ALGORITHMS = ("round_robin", "chash", "chashsubset", "sticky_balanced", "sticky_persistent", "ewma")


@dataclass(frozen=True, slots=True)
class Backend:
    protocol: str = "HTTP"  # backend-protocol, upper case
    upstream_vhost: str | None = None
    service_upstream: bool = False  # already resolved against the ConfigMap value
    ssl_passthrough: bool = False
    server_alias: tuple[str, ...] = ()
    custom_http_errors: tuple[int, ...] | None = None  # None -> ConfigMap custom-http-errors
    disable_proxy_intercept_errors: bool | None = None  # None -> ConfigMap
    default_backend: str | None = None  # Service name in the Ingress namespace
    load_balance: str | None = None
    upstream_hash_by: str | None = None


NO_BACKEND = Backend()


def parse_backend(p: Parser) -> Backend:
    protocol = "HTTP"
    proto = p.get("backend-protocol")
    if proto is not None:
        upper = proto.strip().upper()
        if upper in BACKEND_PROTOCOLS:
            protocol = upper
        else:
            p.warn(
                "backend-protocol",
                f'value "{proto}" is not one of {", ".join(BACKEND_PROTOCOLS)}; HTTP is used',
                f"Use e.g. {p.line('backend-protocol', 'HTTPS')}.",
                rule="ingress-nginx#10.1",
            )
    vhost = p.get("upstream-vhost")
    if vhost is not None:
        vhost = p.strict(
            "upstream-vhost",
            vhost.strip(),
            IS_VALID_REGEX,
            remove_space=False,
            what="not a valid server name",
            fix=f"Use a host name, e.g. {p.line('upstream-vhost', 'app.internal')}.",
        )
    raw_su = p.get("service-upstream")
    # serviceupstream.go: absent -> ConfigMap value; present but not a boolean -> false.
    service_upstream = p.config.service_upstream if raw_su is None else parse_bool(raw_su) is True
    ssl_passthrough = bool(p.boolean("ssl-passthrough", False, strict=True))
    server_alias: tuple[str, ...] = ()
    aliases = p.get("server-alias")
    if aliases is not None:
        for alias in aliases.split(","):
            p.strict(
                "server-alias",
                alias.strip(),
                IS_VALID_REGEX,
                remove_space=False,
                what="not a server name",
                fix=f"Use comma-separated host names, e.g. {p.line('server-alias', 'a.example.com')}.",
            )
        server_alias = tuple(sorted({a.strip() for a in aliases.split(",") if a.strip()}))
    custom_http_errors: tuple[int, ...] | None = None
    errors = p.get("custom-http-errors")
    if errors is not None:
        p.strict(
            "custom-http-errors",
            errors,
            HTTP_ERRORS,
            remove_space=True,
            what="not a list of 4xx/5xx codes",
            fix=f"Use codes 400-599, e.g. {p.line('custom-http-errors', '404,503')}.",
        )
        custom_http_errors = tuple(int(c) for c in errors.replace(" ", "").split(",") if c)
    disable_intercept = p.boolean("disable-proxy-intercept-errors", None)
    default_backend = _default_backend(p)
    load_balance = p.get("load-balance")
    if load_balance is not None:
        if load_balance.strip().lower() not in LOAD_BALANCE_ALGORITHMS:
            p.drop(
                "load-balance",
                load_balance,
                f"is not one of {', '.join(LOAD_BALANCE_ALGORITHMS)}",
                f"Use {p.line('load-balance', 'ewma')} or round_robin.",
            )
        load_balance = load_balance.strip().lower()
    hash_by = p.get("upstream-hash-by")
    if hash_by is not None:
        hash_by = p.strict(
            "upstream-hash-by",
            hash_by,
            HASH_BY,
            remove_space=True,
            what="not an nginx variable expression",
            fix=f"Use e.g. {p.line('upstream-hash-by', '$request_uri')}.",
        )
    # Validated only: an invalid value still drops the Ingress.
    p.boolean("upstream-hash-by-subset", False, strict=True)
    p.integer("upstream-hash-by-subset-size", strict=True)
    if (
        protocol == "HTTP" and vhost is None and not service_upstream and not ssl_passthrough and not server_alias
        and custom_http_errors is None and disable_intercept is None and default_backend is None
        and load_balance is None and hash_by is None
    ):
        return NO_BACKEND
    return Backend(
        protocol=protocol,
        upstream_vhost=vhost,
        service_upstream=service_upstream,
        ssl_passthrough=ssl_passthrough,
        server_alias=server_alias,
        custom_http_errors=custom_http_errors,
        disable_proxy_intercept_errors=disable_intercept,
        default_backend=default_backend,
        load_balance=load_balance,
        upstream_hash_by=hash_by,
    )


def _default_backend(p: Parser) -> str | None:
    backend = p.get("default-backend")
    if backend is None:
        return None
    p.strict(
        "default-backend",
        backend,
        DNS1035,
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
        return None
    return backend
