"""Session affinity annotations (ingress-nginx#12): affinity: cookie and the session cookie's attributes.

Invalid attribute values are ignored one by one; the cookie keeps its defaults for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..values import parse_bool
from .parser import BASIC_CHARS, COOKIE_EXPIRES, URL_VALID, Parser, matches


@dataclass(frozen=True, slots=True)
class Affinity:
    mode: str = "balanced"  # "balanced" | "persistent"
    cookie_name: str = "INGRESSCOOKIE"
    cookie_path: str | None = None  # None: the location's Ingress path
    secure: bool | None = None  # None: Secure on HTTPS requests only
    domain: str | None = None
    expires: str | None = None
    max_age: str | None = None
    samesite: str | None = None
    change_on_failure: bool = False
    canary_behavior: str = "sticky"  # "sticky" | "legacy"


def parse_affinity(p: Parser) -> Affinity | None:
    """Cookie affinity settings, or None without affinity: cookie."""
    kind = p.get("affinity")
    if kind is None:
        return None
    if kind.strip().lower() != "cookie":
        p.warn(
            "affinity",
            f'value "{kind}" is not "cookie"; no session affinity',
            f"Use {p.line('affinity', 'cookie')}.",
            rule="ingress-nginx#12.1",
        )
        return None
    mode = (p.get("affinity-mode") or "").strip().lower()
    behavior = (p.get("affinity-canary-behavior") or "").strip().lower()
    name = _compact(p, "session-cookie-name", BASIC_CHARS)
    path = _compact(p, "session-cookie-path", URL_VALID)
    secure = p.get("session-cookie-secure")
    domain = _compact(p, "session-cookie-domain", BASIC_CHARS)
    expires = _lifetime(p, "session-cookie-expires")
    max_age = _lifetime(p, "session-cookie-max-age")
    samesite = (p.get("session-cookie-samesite") or "").strip()
    return Affinity(
        mode=mode if mode in ("balanced", "persistent") else "balanced",
        cookie_name=name or "INGRESSCOOKIE",
        cookie_path=path,
        secure=parse_bool(secure) if secure is not None else None,
        domain=domain,
        expires=expires,
        max_age=max_age,
        samesite=samesite if samesite.lower() in ("none", "lax", "strict") else None,
        change_on_failure=bool(p.boolean("session-cookie-change-on-failure", False)),
        canary_behavior=behavior if behavior in ("sticky", "legacy") else "sticky",
    )


def _compact(p: Parser, suffix: str, pattern: re.Pattern[str]) -> str | None:
    """The value without spaces when it passes the validator, else None."""
    value = p.get(suffix)
    if value is None:
        return None
    compact = value.replace(" ", "")
    return compact if matches(pattern, compact) else None


def _lifetime(p: Parser, suffix: str) -> str | None:
    value = p.get(suffix)
    if value is not None and matches(COOKIE_EXPIRES, value.strip()):
        return value.strip()
    return None
