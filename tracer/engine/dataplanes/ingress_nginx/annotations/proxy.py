"""Proxy annotations (ingress-nginx#8): timeouts, body and buffer sizes, proxy_redirect and proxy_cookie_*.

None means the ConfigMap value applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..values import parse_size
from .parser import Parser


@dataclass(frozen=True, slots=True)
class Proxy:
    connect_timeout: int | None = None  # seconds
    read_timeout: int | None = None
    send_timeout: int | None = None
    body_size: int | None = None  # bytes, 0 = unlimited
    buffer_size: int | None = None  # bytes
    redirect_from: str | None = None
    redirect_to: str | None = None
    cookie_path: str | None = None
    cookie_domain: str | None = None


NO_PROXY = Proxy()


def parse_proxy(p: Parser) -> Proxy:
    if not p.raw:
        return NO_PROXY  # no annotation of this controller at all
    proxy = Proxy(
        connect_timeout=_timeout(p, "proxy-connect-timeout", p.config.proxy_connect_timeout),
        read_timeout=_timeout(p, "proxy-read-timeout", p.config.proxy_read_timeout),
        send_timeout=_timeout(p, "proxy-send-timeout", p.config.proxy_send_timeout),
        body_size=_size(p, "proxy-body-size", "8m", "ingress-nginx#8.6", note=" (0 = unlimited)"),
        buffer_size=_size(p, "proxy-buffer-size", "16k", "ingress-nginx#8.7"),
        redirect_from=_text(p, "proxy-redirect-from"),
        redirect_to=_text(p, "proxy-redirect-to"),
        cookie_path=_text(p, "proxy-cookie-path"),
        cookie_domain=_text(p, "proxy-cookie-domain"),
    )
    return NO_PROXY if proxy == NO_PROXY else proxy


def _text(p: Parser, suffix: str) -> str | None:
    value = p.get(suffix)
    return None if value is None else value.strip()


def _timeout(p: Parser, suffix: str, default: int) -> int | None:
    """Whole seconds; anything else (such as "60s") is replaced by the ConfigMap value (ingress-nginx#8.1)."""
    value = p.get(suffix)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        digits = "".join(c for c in value if c.isdigit()) or str(default)
        p.warn(
            suffix,
            f'value "{value}" is not a whole number of seconds; it is silently replaced by the default {default} s',
            f"Write seconds without a unit: {p.line(suffix, digits)}.",
            code="TIMEOUT_WITH_UNITS_IGNORED",
            rule="ingress-nginx#8.1",
        )
        return None


def _size(p: Parser, suffix: str, example: str, rule: str, *, note: str = "") -> int | None:
    """An nginx size in bytes; an invalid one falls back to the ConfigMap value."""
    value = p.get(suffix)
    if value is None:
        return None
    n = parse_size(value.replace(" ", ""))
    if n is None:
        p.warn(
            suffix,
            f'value "{value}" is not an nginx size; the default is used',
            f"Use e.g. {p.line(suffix, example)}{note}.",
            rule=rule,
        )
    return n
