"""The browser side of a WebSocket: its opening handshake request and how it reports a close.

RFC 6455 section 4.1 (client handshake and what the client checks), the Fetch Standard ("establish a
WebSocket connection": the ws(s) URL is fetched as http(s), with cookies) and the WebSockets Standard
(the close code a page sees). The key is derived from a seed rather than random so that a journey
traced twice gives the same request.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from .cookies import CookieJar
from .urls import origin, to_http_url

# RFC 6455 section 1.3: appended to the key before hashing into Sec-WebSocket-Accept.
HANDSHAKE_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# RFC 6455 section 7.4.1: 1006 is reported when the connection closed without a Close frame, which
# is what a page sees both for a failed handshake and for a connection dropped by a proxy's timeout.
ABNORMAL_CLOSURE = 1006


def handshake_key(url: str, seed: str = "") -> str:
    """RFC 6455 section 4.1: a base64-encoded 16-byte nonce; here derived from the URL and a seed."""
    digest = hashlib.sha256(f"{seed}\n{url}".encode()).digest()
    return base64.b64encode(digest[:16]).decode("ascii")


def accept_value(key: str) -> str:
    """RFC 6455 section 4.2.2: the Sec-WebSocket-Accept a server must answer to ``key``."""
    return base64.b64encode(hashlib.sha1((key + HANDSHAKE_GUID).encode("ascii")).digest()).decode("ascii")


@dataclass(frozen=True, slots=True)
class HandshakeRequest:
    """The HTTP request that opens a WebSocket: always GET, to the http(s) form of the ws(s) URL."""

    url: str
    headers: tuple[tuple[str, str], ...]
    key: str
    cookie_names: tuple[str, ...]

    method: str = "GET"


def handshake_request(
    ws_url: str,
    page_url: str,
    jar: CookieJar,
    now: float,
    *,
    protocols: tuple[str, ...] = (),
    seed: str = "",
) -> HandshakeRequest:
    """RFC 6455 section 4.1 with Fetch's additions: the opening request for ``ws_url`` from a page.

    Headers: Upgrade ``websocket``, Connection ``Upgrade``, Sec-WebSocket-Version ``13``, a
    Sec-WebSocket-Key, Origin (the page's, which browsers always send), Sec-WebSocket-Protocol when
    the page asked for subprotocols, and Cookie from the jar for the http(s) equivalent URL.
    """
    http_url = to_http_url(ws_url)
    key = handshake_key(ws_url, seed)
    headers: list[tuple[str, str]] = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", key),
        ("Origin", origin(page_url).serialize()),
    ]
    if protocols:
        headers.append(("Sec-WebSocket-Protocol", ", ".join(protocols)))
    cookie, names = jar.header_for(http_url, now)
    if cookie:
        headers.append(("Cookie", cookie))
    return HandshakeRequest(http_url, tuple(headers), key, tuple(names))


@dataclass(frozen=True, slots=True)
class SocketOutcome:
    """What the page's WebSocket reports: whether it opened, and how and when it closed.

    ``close_code`` and ``closed_after_s`` are ``None`` while the socket stays open; ``reason``
    explains a failure for people.
    """

    opened: bool
    close_code: int | None
    closed_after_s: float | None
    reason: str


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


def handshake_outcome(status: int, key: str, headers: Mapping[str, str] | None = None) -> SocketOutcome:
    """RFC 6455 section 4.1, the client's checks of the server's handshake response.

    Anything but 101 fails the connection (a redirect is not followed), which a page sees as close
    code 1006 straight away. When ``headers`` are given, a 101 must also carry Upgrade ``websocket``,
    a Connection naming ``Upgrade`` and the Sec-WebSocket-Accept matching ``key``; a simulated
    backend that gives no headers is taken at its word.
    """
    if status != 101:
        return SocketOutcome(False, ABNORMAL_CLOSURE, 0.0, f"the handshake was answered with {status}, not 101")
    if headers is not None:
        if _header(headers, "Upgrade").strip().lower() != "websocket":
            return SocketOutcome(False, ABNORMAL_CLOSURE, 0.0, "the 101 response has no Upgrade: websocket")
        tokens = {t.strip().lower() for t in _header(headers, "Connection").split(",")}
        if "upgrade" not in tokens:
            return SocketOutcome(False, ABNORMAL_CLOSURE, 0.0, "the 101 response has no Connection: Upgrade")
        if _header(headers, "Sec-WebSocket-Accept").strip() != accept_value(key):
            return SocketOutcome(False, ABNORMAL_CLOSURE, 0.0, "the 101 response has a wrong Sec-WebSocket-Accept")
    return SocketOutcome(True, None, None, "open")


def idle_close(idle_timeout_s: float) -> SocketOutcome:
    """An open socket that a proxy closes after ``idle_timeout_s`` without traffic.

    The proxy drops the TCP connection without a Close frame, so the page sees 1006 (RFC 6455
    section 7.1.5 and 7.4.1) after exactly the timeout.
    """
    return SocketOutcome(True, ABNORMAL_CLOSURE, float(idle_timeout_s), f"closed after {idle_timeout_s:g} s idle")
