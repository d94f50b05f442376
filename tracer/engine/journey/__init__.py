"""The browser model for journeys: how a browser resolves URLs, keeps cookies, follows redirects,
judges a page's assets and opens WebSockets. Pure functions and one cookie jar; no I/O, no Django.

Each module cites the standard it follows: WHATWG URL (:mod:`.urls`), RFC 6265 / 6265bis
(:mod:`.cookies`, :mod:`.set_cookie`), RFC 9110 section 15.4 with Fetch (:mod:`.redirects`), Fetch /
HTML / Mixed Content (:mod:`.assets`) and RFC 6455 (:mod:`.websocket`). See docs/browser-model.md.
"""

from __future__ import annotations

from .assets import AssetKind, kind_of, mixed_content, mixed_content_action, refusal, upgraded_url
from .cookies import Cookie, CookieJar, SetOutcome, default_path, domain_match, path_match
from .redirects import MAX_REDIRECTS, RedirectStep, Stop, is_redirect, next_request
from .urls import (
    Origin,
    Target,
    UrlError,
    document_base,
    origin,
    resolve,
    same_origin,
    target,
    to_http_url,
    websocket_url,
)
from .websocket import HandshakeRequest, SocketOutcome, handshake_outcome, handshake_request, idle_close

__all__ = [
    "MAX_REDIRECTS",
    "AssetKind",
    "Cookie",
    "CookieJar",
    "HandshakeRequest",
    "Origin",
    "RedirectStep",
    "SetOutcome",
    "SocketOutcome",
    "Stop",
    "Target",
    "UrlError",
    "default_path",
    "document_base",
    "domain_match",
    "handshake_outcome",
    "handshake_request",
    "idle_close",
    "is_redirect",
    "kind_of",
    "mixed_content",
    "mixed_content_action",
    "next_request",
    "origin",
    "path_match",
    "refusal",
    "resolve",
    "same_origin",
    "target",
    "to_http_url",
    "upgraded_url",
    "websocket_url",
]
