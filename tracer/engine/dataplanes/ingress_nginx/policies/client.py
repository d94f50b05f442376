"""Who and what the request is, as nginx sees it: client address (realip), scheme, forwarded host and port.

Used by the access phase (IP rules, auth subrequest) and the proxy phase (upstream headers)
(ingress-nginx#8.5, #9.1, #5.1). "[nginx]" marks stock nginx behaviour the generated config relies on.
"""

from __future__ import annotations

import ipaddress

from ....request import Request
from ..config import ControllerConfig


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def first_containing(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address, cidrs: tuple[str, ...] | list[str]
) -> str | None:
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
    src = parse_ip(source)
    if src is None or first_containing(src, trusted) is None:
        return source  # the connection does not come from a trusted proxy: header ignored [nginx]
    raw = ",".join(request.header_values(config.forwarded_for_header))
    entries = [e.strip() for e in raw.split(",") if e.strip()]
    if not entries:
        return source
    chosen = source
    for entry in reversed(entries):
        addr = parse_ip(entry)
        if addr is None:
            return chosen  # unparsable entry: nginx stops and keeps what it had
        chosen = str(addr)
        if first_containing(addr, trusted) is None:
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


def pass_port(request: Request, config: ControllerConfig) -> str:
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
