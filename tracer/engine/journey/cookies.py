"""A browser's cookie jar for one journey: RFC 6265 storage (section 5.3) and retrieval (section 5.4).

Time is the journey's simulated clock: every call takes ``now`` in seconds on the Unix-epoch scale, so
``Expires`` dates compare with it and ``Max-Age`` counts from it. Where browsers follow RFC 6265bis
rather than RFC 6265 (Secure cookies, cookie prefixes, SameSite=None), the bis rule is taken.

Every request of a journey is same-site (a top-level navigation or a subresource of the same site),
so SameSite is recorded and its storage-time rule applied, but it never withholds a cookie here.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cache
from typing import Literal

from ada_url import idna_to_ascii
from publicsuffixlist import PublicSuffixList

from .set_cookie import ParsedCookie, SameSite, parse_set_cookie
from .urls import SECURE_SCHEMES, origin, parse, to_http_url

SetResult = Literal[
    "stored",  # a new or replaced cookie
    "deleted",  # an already-expired cookie removed its namesake (or was dropped)
    "malformed",  # RFC 6265 5.2: nothing usable in the header
    "secure-from-insecure",  # 6265bis 5.7 step 11: only a secure origin sets a Secure cookie
    "public-suffix",  # 5.3 step 5: Domain names a public suffix other than the host itself
    "domain-mismatch",  # 5.3 step 6: Domain does not domain-match the request host
    "samesite-none-insecure",  # 6265bis 5.7 step 18 as browsers enforce it: None requires Secure
    "prefix",  # 6265bis 5.7 steps 20-21: __Secure- / __Host- requirements not met
    "overlays-secure",  # 6265bis 5.7 step 19: http cannot shadow an existing Secure cookie
]


@cache
def _public_suffixes() -> PublicSuffixList:
    # The list bundled with the package: no network, ~0.3 s to load, so loaded once on first use.
    return PublicSuffixList()


def is_public_suffix(domain: str) -> bool:
    """Whether ``domain`` is a public suffix (registry-controlled domain) per the Public Suffix List."""
    return bool(_public_suffixes().is_public(domain))


def _is_ip(host: str) -> bool:
    return host.startswith("[") or host.replace(".", "").isdigit()


def domain_match(host: str, domain: str) -> bool:
    """RFC 6265 section 5.1.3: identical, or ``host`` ends with ``.domain`` and is a name, not an IP."""
    if host == domain:
        return True
    return host.endswith("." + domain) and not _is_ip(host)


def default_path(request_path: str) -> str:
    """RFC 6265 section 5.1.4: the request path up to, not including, its right-most ``/``; else ``/``.

    ``/vscode/`` gives ``/vscode`` and ``/vscode`` gives ``/``.
    """
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[: request_path.rindex("/")]


def path_match(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 section 5.1.4: equal, or a prefix that ends in ``/`` or is followed by ``/``."""
    if request_path == cookie_path:
        return True
    if not request_path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"


@dataclass(frozen=True, slots=True)
class Cookie:
    """A stored cookie (RFC 6265 section 5.3 fields); ``expiry`` is ``None`` for a session cookie."""

    name: str
    value: str
    domain: str
    host_only: bool
    path: str
    secure: bool
    http_only: bool
    same_site: SameSite
    expiry: float | None
    creation: float
    order: int  # tie-break for equal creation times, which a simulated clock makes common

    def expired(self, now: float) -> bool:
        return self.expiry is not None and self.expiry <= now

    @property
    def key(self) -> tuple[str, str, str]:
        """5.3 step 11: a new cookie replaces the stored one with the same name, domain and path."""
        return (self.name, self.domain, self.path)

    def serialize(self) -> str:
        """6265bis 5.8.3: ``name=value``, or just the value for a cookie with an empty name."""
        return f"{self.name}={self.value}" if self.name else self.value


@dataclass(frozen=True, slots=True)
class SetOutcome:
    """What the jar did with one Set-Cookie header, for the journey's explanation."""

    name: str
    result: SetResult


def _canonical_domain(domain: str) -> str:
    # 5.1.2: the Domain attribute is compared in its IDNA (A-label) form, as the URL host already is.
    if domain.isascii():
        return domain
    converted = idna_to_ascii(domain)
    return converted if isinstance(converted, str) else converted.decode("ascii")


class CookieJar:
    """The cookies of one simulated browser, shared by every request of a journey."""

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str, str], Cookie] = {}
        self._counter = itertools.count()

    def cookies(self, now: float) -> list[Cookie]:
        """The unexpired cookies, in storage order."""
        self._evict(now)
        return list(self._cookies.values())

    def set_from_response(self, url: str, set_cookie_headers: list[str], now: float) -> list[SetOutcome]:
        """Store the cookies of one response to ``url`` (RFC 6265 section 5.3), in header order."""
        return [self._store(url, header, now) for header in set_cookie_headers]

    def _store(self, url: str, header: str, now: float) -> SetOutcome:
        parsed = parse_set_cookie(header, now)
        if parsed is None:
            return SetOutcome("", "malformed")
        http_url = to_http_url(url)
        org = origin(http_url)
        secure_origin = org.scheme in SECURE_SCHEMES
        refused = _refusal(parsed, org.host, secure_origin)
        if refused is not None:
            return SetOutcome(parsed.name, refused)
        # 5.3 step 5: a public-suffix Domain survives _refusal only when it is the host: then host-only.
        wanted = _canonical_domain(parsed.domain) if parsed.domain is not None else None
        host_only = wanted is None or is_public_suffix(wanted)
        domain = org.host if wanted is None or host_only else wanted
        path = parsed.path if parsed.path is not None else default_path(parse(http_url).pathname)
        if parsed.name.lower().startswith("__host-") and (not host_only or path != "/"):
            return SetOutcome(parsed.name, "prefix")
        if not parsed.secure and not secure_origin and self._shadows_secure(parsed.name, domain, path, now):
            return SetOutcome(parsed.name, "overlays-secure")
        key = (parsed.name, domain, path)
        old = self._cookies.pop(key, None)
        if parsed.expiry is not None and parsed.expiry <= now:
            return SetOutcome(parsed.name, "deleted")
        self._cookies[key] = Cookie(
            name=parsed.name,
            value=parsed.value,
            domain=domain,
            host_only=host_only,
            path=path,
            secure=parsed.secure,
            http_only=parsed.http_only,
            same_site=parsed.same_site,
            expiry=parsed.expiry,
            creation=old.creation if old else now,  # 5.3 step 11.3: a replacement keeps the old time
            order=old.order if old else next(self._counter),
        )
        return SetOutcome(parsed.name, "stored")

    def _shadows_secure(self, name: str, domain: str, path: str, now: float) -> bool:
        """6265bis 5.7 step 19: a non-secure cookie may not overlay a Secure one of the same name."""
        return any(
            c.name == name
            and c.secure
            and (domain_match(domain, c.domain) or domain_match(c.domain, domain))
            and path_match(path, c.path)
            for c in self.cookies(now)
        )

    def header_for(self, url: str, now: float) -> tuple[str, list[str]]:
        """RFC 6265 section 5.4: the ``Cookie`` header value for a request to ``url`` and its names.

        A ws(s) URL is matched as its http(s) equivalent. Host-only cookies need the exact host,
        others a domain-match; the path must path-match; Secure cookies go over https/wss only.
        Order: longer paths first, then earlier creation. No cookie gives ``("", [])``.
        """
        http_url = to_http_url(url)
        org = origin(http_url)
        path = parse(http_url).pathname or "/"
        secure = org.scheme in SECURE_SCHEMES
        chosen = [
            c
            for c in self.cookies(now)
            if (org.host == c.domain if c.host_only else domain_match(org.host, c.domain))
            and path_match(path, c.path)
            and (secure or not c.secure)
        ]
        chosen.sort(key=lambda c: (-len(c.path), c.creation, c.order))
        return "; ".join(c.serialize() for c in chosen), [c.name for c in chosen]

    def _evict(self, now: float) -> None:
        """5.3 final step: expired cookies are removed whenever the store is looked at."""
        for key in [k for k, c in self._cookies.items() if c.expired(now)]:
            del self._cookies[key]


def _refusal(parsed: ParsedCookie, host: str, secure_origin: bool) -> SetResult | None:
    """The storage-model checks that only need the header and the request origin."""
    if parsed.secure and not secure_origin:
        return "secure-from-insecure"
    if parsed.domain is not None:
        domain = _canonical_domain(parsed.domain)
        if is_public_suffix(domain) and domain != host:
            return "public-suffix"
        if not domain_match(host, domain):
            return "domain-mismatch"
    if parsed.same_site == "none" and not parsed.secure:
        return "samesite-none-insecure"
    lowered = parsed.name.lower()
    if (lowered.startswith("__secure-") or lowered.startswith("__host-")) and not parsed.secure:
        return "prefix"
    return None
