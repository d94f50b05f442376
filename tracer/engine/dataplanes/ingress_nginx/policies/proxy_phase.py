"""P10, proxying to the pod: upstream request headers (ingress-nginx#8.5, #4.2), timeouts (#8.1) and the
affinity cookie (#12.2).
"""

from __future__ import annotations

import hashlib
import time
from email.utils import formatdate

from ....request import Request
from ..annotations import IngressAnnotations
from ..config import ControllerConfig
from .client import best_http_host, client_ip, pass_port


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
    set_headers: dict[str, str] = {"Host": ann.backend.upstream_vhost or best_host}
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
    set_headers["X-Forwarded-Port"] = pass_port(request, config)
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
    if rewritten and ann.rewrite.x_forwarded_prefix:
        set_headers["X-Forwarded-Prefix"] = ann.rewrite.x_forwarded_prefix
    out = set_headers
    if not request.headers:
        return out
    removed = {"proxy", "connection"}
    if ann.basic_auth.type is not None:
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


def timeouts(ann: IngressAnnotations, config: ControllerConfig) -> dict[str, int]:
    """Effective proxy timeouts in seconds: the annotation when valid, else the ConfigMap value."""
    return {
        "connect": ann.proxy.connect_timeout if ann.proxy.connect_timeout is not None else config.proxy_connect_timeout,
        "read": ann.proxy.read_timeout if ann.proxy.read_timeout is not None else config.proxy_read_timeout,
        "send": ann.proxy.send_timeout if ann.proxy.send_timeout is not None else config.proxy_send_timeout,
    }


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
