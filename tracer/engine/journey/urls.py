"""URLs as a browser reads them: WHATWG URL parsing and resolution, origins, WebSocket URL mapping.

Parsing and resolving are delegated to ``ada_url``, a WHATWG-conformant parser, so the edge cases of the
URL Standard (dot segments, scheme-relative references, percent-encoding, IDNA, default ports) match what
browsers do instead of what :mod:`urllib.parse` does (it follows RFC 3986, which differs on those).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ada_url import URL, check_url, join_url

# URL Standard, "special scheme": these have a default port that the serializer drops.
DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
HTTP_SCHEMES = frozenset({"http", "https"})
WS_SCHEMES = frozenset({"ws", "wss"})
SECURE_SCHEMES = frozenset({"https", "wss"})


class UrlError(ValueError):
    """A string that the URL parser rejects (the URL Standard's "failure")."""


def parse(url: str) -> URL:
    """Parse an absolute URL (URL Standard, "basic URL parser" without a base)."""
    try:
        return URL(url)
    except ValueError as exc:
        raise UrlError(f"not a valid absolute URL: {url!r}") from exc


def is_absolute(reference: str) -> bool:
    """Whether ``reference`` parses without a base, so resolving it ignores the base."""
    return check_url(reference)


def resolve(reference: str, base: str) -> str:
    """The absolute URL that ``reference`` (as written in a page) points to, relative to ``base``.

    URL Standard, "URL parsing" with a base URL: an absolute reference ignores the base; ``//h/x`` keeps
    only the base's scheme; ``/x`` keeps its origin; ``x`` and ``../x`` replace the base path's last
    segment (so ``/app`` + ``static/a.js`` is ``/static/a.js`` but ``/app/`` + it is
    ``/app/static/a.js``); ``?q`` keeps the base path; ``#f`` keeps path and query.
    """
    try:
        return join_url(base, reference)
    except ValueError as exc:
        raise UrlError(f"cannot resolve {reference!r} against {base!r}") from exc


def document_base(page_url: str, base_href: str | None = None) -> str:
    """The base URL that a page's relative references resolve against.

    HTML Standard, "document base URL" and "frozen base URL": the first ``<base href>`` resolved
    against the page URL; if there is none, or it fails to parse, the page URL itself.
    """
    if base_href is None:
        return page_url
    try:
        return resolve(base_href, page_url)
    except UrlError:
        return page_url


@dataclass(frozen=True, slots=True)
class Origin:
    """A tuple origin (URL Standard / HTML Standard, "origin"): scheme, host and port, port always set."""

    scheme: str
    host: str
    port: int

    def serialize(self) -> str:
        """HTML Standard, "serialization of an origin": the default port is left out."""
        if DEFAULT_PORTS.get(self.scheme) == self.port:
            return f"{self.scheme}://{self.host}"
        return f"{self.scheme}://{self.host}:{self.port}"


# A journey asks these of the same few URLs again and again (every asset of a page, every hop of a chain); they
# are pure functions of the string, so a small cache saves re-parsing (the per-request cost of journey #8).
@lru_cache(maxsize=4096)
def scheme_of(url: str) -> str:
    return parse(url).protocol.rstrip(":")


@lru_cache(maxsize=4096)
def origin(url: str) -> Origin:
    """The tuple origin of an http(s) or ws(s) URL; other schemes have opaque origins and raise."""
    parsed = parse(url)
    scheme = parsed.protocol.rstrip(":")
    if scheme not in DEFAULT_PORTS or scheme == "ftp":
        raise UrlError(f"{url!r} has no tuple origin (scheme {scheme})")
    port = int(parsed.port) if parsed.port else DEFAULT_PORTS[scheme]
    return Origin(scheme, parsed.hostname, port)


def same_origin(a: str, b: str) -> bool:
    """HTML Standard, "same origin": scheme, host and port all equal (``http`` and ``ws`` differ)."""
    return origin(a) == origin(b)


@dataclass(frozen=True, slots=True)
class Target:
    """What an HTTP request to ``url`` puts on the wire: where it connects and its request-target."""

    scheme: str
    host: str
    port: int
    path: str
    query: str

    @property
    def request_target(self) -> str:
        """RFC 9112 section 3.2.1, origin-form: the path plus ``?query`` (the fragment is never sent)."""
        return f"{self.path}?{self.query}" if self.query else self.path

    @property
    def secure(self) -> bool:
        return self.scheme in SECURE_SCHEMES


def target(url: str) -> Target:
    """Split an http(s) or ws(s) URL into connection and request-target parts."""
    org = origin(url)
    parsed = parse(url)
    return Target(org.scheme, org.host, org.port, parsed.pathname or "/", parsed.search.removeprefix("?"))


@lru_cache(maxsize=4096)
def without_fragment(url: str) -> str:
    """The URL as requested on the wire: URL Standard serializer with "exclude fragment" set."""
    parsed = parse(url)
    parsed.hash = ""
    return parsed.href.removesuffix("#")


def _with_scheme(url: str, scheme: str) -> str:
    parsed = parse(url)
    parsed.protocol = f"{scheme}:"
    return parsed.href


def websocket_url(reference: str, base: str) -> str:
    """The URL that ``new WebSocket(reference)`` connects to (WebSockets Standard, constructor steps).

    The reference resolves against the page's base URL; ``http`` becomes ``ws`` and ``https`` becomes
    ``wss``; any other scheme, or a fragment, is a SyntaxError in the browser and raises here.
    """
    url = resolve(reference, base)
    scheme = scheme_of(url)
    if scheme in HTTP_SCHEMES:
        url = _with_scheme(url, "ws" if scheme == "http" else "wss")
    elif scheme not in WS_SCHEMES:
        raise UrlError(f"a WebSocket URL must be ws, wss, http or https, not {scheme}")
    if parse(url).hash:
        raise UrlError(f"a WebSocket URL cannot have a fragment: {url!r}")
    return url


def to_http_url(url: str) -> str:
    """The http(s) URL that a ws(s) URL is fetched as (Fetch Standard, "establish a WebSocket connection").

    ``ws`` maps to ``http`` and ``wss`` to ``https``; http(s) URLs are returned unchanged. Cookies for
    a WebSocket handshake are those of this http(s) URL.
    """
    scheme = scheme_of(url)
    if scheme in WS_SCHEMES:
        return _with_scheme(url, "http" if scheme == "ws" else "https")
    if scheme in HTTP_SCHEMES:
        return url
    raise UrlError(f"{url!r} is neither an http(s) nor a ws(s) URL")


def is_potentially_trustworthy(url: str) -> bool:
    """Secure Contexts, "potentially trustworthy URL" for tuple origins: https/wss, localhost, loopback."""
    org = origin(url)
    if org.scheme in SECURE_SCHEMES:
        return True
    host = org.host
    if host == "localhost" or host.endswith(".localhost") or host == "[::1]":
        return True
    return host.startswith("127.") and host.replace(".", "").isdigit()
