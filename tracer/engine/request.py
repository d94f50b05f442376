"""The client request a scenario sends: parsed from ``"GET https://host/path"`` or a dict."""

from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from .errors import RequestError

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"})
HTTP_VERSIONS = frozenset({"1.0", "1.1", "2", "3"})
DEFAULT_CLIENT_IP = "203.0.113.10"  # TEST-NET-3: an obviously external address


@dataclass(slots=True)
class Request:
    """One HTTP request as the client sends it.

    ``headers`` keeps the client's order and case; look-ups go through :meth:`header`.
    ``host`` is the URL host (lower-case, no port); the Host header may differ when set explicitly.
    """

    method: str
    url: str
    scheme: str
    host: str
    port: int
    path: str
    query: str
    http_version: str = "1.1"
    headers: list[tuple[str, str]] = field(default_factory=list)
    client_ip: str = DEFAULT_CLIENT_IP
    body_bytes: int | None = None
    sni: str | None = None
    via: dict[str, Any] | str | None = None
    # The TLS client certificate presented: None (none), "valid", "invalid", or {"verify": ..., "cn": ...}.
    client_cert: dict[str, str] | str | None = None
    # Derived values, computed on first use (with_changes() builds a new Request, which starts afresh).
    _host_header: str | None = field(default=None, init=False, repr=False, compare=False)
    _server_name: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def request_uri(self) -> str:
        """Path plus query, as on the request line."""
        return f"{self.path}?{self.query}" if self.query else self.path

    @property
    def default_port(self) -> bool:
        return self.port == (443 if self.scheme == "https" else 80)

    @property
    def host_header(self) -> str:
        """The Host header the client sends (explicit header wins over the URL authority)."""
        cached = self._host_header
        if cached is None:
            explicit = self.header("host")
            if explicit is not None:
                cached = explicit
            else:
                cached = self.host if self.default_port else f"{self.host}:{self.port}"
            self._host_header = cached
        return cached

    @property
    def server_name(self) -> str:
        """Host header without port, lower-cased, trailing dot removed: what vhosts match on."""
        cached = self._server_name
        if cached is None:
            host = self.host_header.strip()
            if host.startswith("["):
                host = host[: host.find("]") + 1]
            elif host.count(":") == 1:
                host = host.split(":", 1)[0]
            cached = self._server_name = host.rstrip(".").lower()
        return cached

    @property
    def tls_server_name(self) -> str | None:
        if self.scheme != "https":
            return None
        return self.sni if self.sni is not None else self.host

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        lname = name.lower()
        return [v for k, v in self.headers if k.lower() == lname]

    def cookies(self) -> dict[str, str]:
        """Cookie name -> value over every Cookie field; the first of a repeated name wins, as nginx's
        ``$cookie_NAME`` does (so canary-by-cookie and affinity read the value shown first)."""
        jar: dict[str, str] = {}
        for raw in self.header_values("cookie"):
            for part in raw.split(";"):
                if "=" in part:
                    k, v = part.split("=", 1)
                    jar.setdefault(k.strip(), v.strip())
        return jar

    def with_changes(self, **changes: Any) -> Request:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "url": self.url,
            "http_version": self.http_version,
            "headers": combined_headers(self.headers),
        }
        out["client_ip"] = self.client_ip
        if self.body_bytes is not None:
            out["body_bytes"] = self.body_bytes
        if self.sni is not None:
            out["sni"] = self.sni
        if self.via is not None:
            out["via"] = self.via
        if self.client_cert is not None:
            out["client_cert"] = self.client_cert
        return out


def combined_headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """One value per field name (case-insensitive; the first spelling is kept), losing no value.

    Repeated fields are joined with ", " as RFC 9110 section 5.3 allows, Cookie with "; " (RFC 6265
    section 5.4). Set-Cookie cannot be combined (its values contain commas) and the trace's headers
    object holds one string per name, so only its first value is kept.
    """
    if not pairs:
        return {}
    out = dict(pairs)
    if len(out) == len(pairs) and len({k.lower() for k in out}) == len(out):
        return out  # the common case: no name repeats
    out = {}
    spelling: dict[str, str] = {}  # lower-case name -> the key used in out
    for name, value in pairs:
        lname = name.lower()
        key = spelling.get(lname)
        if key is None:
            spelling[lname] = name
            out[name] = value
        elif lname != "set-cookie":
            out[key] = f"{out[key]}{'; ' if lname == 'cookie' else ', '}{value}"
    return out


def _parse_headers(raw: Any) -> list[tuple[str, str]]:
    if raw is None:
        return []
    if isinstance(raw, dict):
        items = list(raw.items())
    elif isinstance(raw, list):
        items = []
        for entry in raw:
            if isinstance(entry, str):
                if ":" not in entry:
                    raise RequestError(f"header {entry!r} is not in the form 'Name: value'")
                k, v = entry.split(":", 1)
                items.append((k, v))
            elif isinstance(entry, (list, tuple)) and len(entry) == 2:
                items.append((entry[0], entry[1]))
            else:
                raise RequestError(f"header entry {entry!r} is neither 'Name: value' nor a [name, value] pair")
    else:
        raise RequestError("headers must be a mapping or a list of 'Name: value' strings")
    out = []
    for k, v in items:
        name = str(k).strip()
        if not name or any(c in name for c in " \t\r\n:"):
            raise RequestError(f"invalid header name {name!r}")
        out.append((name, str(v).strip()))
    return out


@functools.lru_cache(maxsize=1024)
def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# The common ``http(s)://name/path?query``: a plain host name (no port, userinfo or IPv6), then nothing of
# ``#\[]@``, spaces or control characters. A fixed pattern with no nested repetition, so ``re`` is safe here.
_PLAIN_URL = re.compile(r"(https?)://([A-Za-z0-9.\-]+)([/?][^#\\\[\]@\x00-\x20\x7f]*)?\Z")


def _fast_split(url: str) -> tuple[str, str, int | None, str, str] | None:
    """:func:`_split_url` for the common ``http(s)://name/path?query`` (no port, userinfo, IPv6, fragment, spaces or
    control characters); None for anything else, which takes the urlsplit route."""
    m = _PLAIN_URL.match(url)
    if m is None:
        return None
    scheme, netloc, rest = m.groups()
    hostname = netloc.lower().rstrip(".")
    if not hostname:
        return None
    path, _, query = (rest or "").partition("?")
    return scheme, hostname, None, path or "/", query


@functools.lru_cache(maxsize=4096)
def _split_url(url: str) -> tuple[str, str, int | None, str, str]:
    """(scheme, host, port, path, query) of an absolute URL, validated; memoised (requests repeat URLs)."""
    try:
        parts_ = urlsplit(url)
        port = parts_.port
    except ValueError as exc:
        raise RequestError(f"url {url!r}: {exc}") from exc
    scheme = parts_.scheme.lower()
    if scheme not in ("http", "https", "ws", "wss"):
        raise RequestError(f"url {url!r}: scheme must be http or https (or ws/wss)")
    if not parts_.hostname:
        raise RequestError(f"url {url!r} has no host")
    return scheme, parts_.hostname.rstrip(".").lower(), port, parts_.path or "/", parts_.query


_VERSION_WORD = re.compile(r"HTTP/(\S+)\Z", re.IGNORECASE)


def space_in_url(url: str) -> RequestError:
    """The refusal of a URL with a space in it (a URL never contains one; a request line separates by them)."""
    return RequestError(f"the URL {url} contains a space; write it as %20 (a request line is 'METHOD URL HTTP/version')")


def split_request_line(text: str) -> dict[str, str]:
    """``"GET https://host/path HTTP/1.0"`` -> ``{"method": "GET", "url": ..., "http_version": "1.0"}``.

    The request line as pasted from a log or typed: method and version are optional and only the parts
    present are returned (``"https://a/ HTTP/2"`` -> url and version). A URL never contains whitespace, so
    a line with more words is refused with a message saying so rather than guessed at.
    """
    words = text.split()
    out: dict[str, str] = {}
    if words and words[0].upper() in METHODS:  # a lone "GET" is a request without a URL, not a host
        out["method"] = words.pop(0).upper()
    if len(words) > 1 and (version := _VERSION_WORD.match(words[-1])):
        out["http_version"] = version.group(1)
        words.pop()
    if not words or _VERSION_WORD.match(words[0]):
        raise RequestError("the request has no URL")
    if len(words) == 2 and "method" not in out and words[0].isalpha() and "://" in words[1]:
        raise RequestError(f"unknown HTTP method {words[0]!r}")
    if len(words) > 1:
        raise space_in_url(" ".join(words))
    out["url"] = words[0]
    return out


def parse_request(spec: str | dict[str, Any] | Request) -> Request:
    """Build a :class:`Request` from ``"METHOD URL"`` or the contract's dict form."""
    if isinstance(spec, Request):
        return spec
    if isinstance(spec, str):
        parts = spec.split()
        if len(parts) == 2 and parts[0] in METHODS:
            # The common "GET http://host/path" (method already upper-case): nothing else to validate or default.
            fast = _fast_split(parts[1])
            if fast is not None:
                scheme, hostname, _, path, query = fast
                return Request(parts[0], parts[1], scheme, hostname, 443 if scheme == "https" else 80, path, query)
        data: dict[str, Any] = split_request_line(spec)
    elif isinstance(spec, dict):
        data = dict(spec)
    else:
        raise RequestError(f"request must be a string or a mapping, not {type(spec).__name__}")

    method = str(data.get("method") or "GET").upper()
    if method not in METHODS:
        raise RequestError(f"unknown HTTP method {method!r}")
    url = str(data.get("url") or "").strip()
    if not url:
        raise RequestError("request has no url")
    if "://" not in url:
        url = "http://" + url
    scheme, hostname, port, path, query = _fast_split(url) or _split_url(url)
    http_scheme = {"ws": "http", "wss": "https"}.get(scheme, scheme)
    version = str(data.get("http_version") or "1.1")
    if version in ("2.0", "HTTP/2"):
        version = "2"
    if version not in HTTP_VERSIONS:
        raise RequestError(f"http_version {version!r} is not one of 1.0, 1.1, 2, 3")
    headers = _parse_headers(data.get("headers"))
    if scheme in ("ws", "wss") and not any(k.lower() == "upgrade" for k, _ in headers):
        headers += [("Upgrade", "websocket"), ("Connection", "Upgrade")]
    client_ip = str(data.get("client_ip") or DEFAULT_CLIENT_IP)
    if not _is_ip(client_ip):
        raise RequestError(f"client_ip {client_ip!r} is not an IP address")
    body = data.get("body_bytes")
    if body is not None:
        try:
            body = int(body)
        except (TypeError, ValueError) as exc:
            raise RequestError(f"body_bytes {body!r} is not a whole number") from exc
        if body < 0:
            raise RequestError("body_bytes cannot be negative")
    return Request(
        method=method,
        url=url,
        scheme=http_scheme,
        host=hostname,
        port=port or (443 if http_scheme == "https" else 80),
        path=path,
        query=query,
        http_version=version,
        headers=headers,
        client_ip=client_ip,
        body_bytes=body,
        sni=data.get("sni"),
        via=data.get("via"),
        client_cert=_client_cert(data.get("client_cert")),
    )


def _client_cert(raw: Any) -> dict[str, str] | str | None:
    """``client_cert``: "none" (or absent), "valid", "invalid", or {"verify": "valid"|"invalid", "cn": "..."}."""
    if raw is None or raw == "none":
        return None
    if raw in ("valid", "invalid"):
        return str(raw)
    if isinstance(raw, dict) and raw.get("verify", "valid") in ("valid", "invalid"):
        out = {"verify": str(raw.get("verify", "valid"))}
        if raw.get("cn") is not None:
            out["cn"] = str(raw["cn"])
        return out
    raise RequestError('client_cert must be "none", "valid", "invalid" or {"verify": "valid"|"invalid", "cn": "..."}')
