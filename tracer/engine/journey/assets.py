"""Whether a browser uses a page's subresource: its kind, status, MIME type and mixed content.

Rules come from the Fetch Standard (ok status, "should response to request be blocked due to its MIME
type?", "... due to nosniff?"), the HTML Standard (classic and module scripts, style sheets), the MIME
Sniffing Standard (JavaScript MIME type essences) and Mixed Content Level 2 (blockable versus
upgradeable requests).
"""

from __future__ import annotations

from typing import Literal

from .urls import is_potentially_trustworthy, parse, scheme_of

AssetKind = Literal["script", "stylesheet", "image", "font", "websocket", "other"]
Refusal = Literal["status", "mime"]
MixedAction = Literal["allow", "upgrade", "block"]

_KIND_BY_EXTENSION: dict[str, AssetKind] = {
    **dict.fromkeys(("js", "mjs", "cjs"), "script"),
    "css": "stylesheet",
    **dict.fromkeys(("png", "jpg", "jpeg", "gif", "webp", "avif", "svg", "ico", "bmp", "apng"), "image"),
    **dict.fromkeys(("woff", "woff2", "ttf", "otf", "eot"), "font"),
}

# MIME Sniffing Standard, section 4.6 "JavaScript MIME type": every essence a script may be served as.
JAVASCRIPT_MIME_TYPES = frozenset(
    {
        "application/ecmascript",
        "application/javascript",
        "application/x-ecmascript",
        "application/x-javascript",
        "text/ecmascript",
        "text/javascript",
        *(f"text/javascript1.{n}" for n in range(6)),
        "text/jscript",
        "text/livescript",
        "text/x-ecmascript",
        "text/x-javascript",
    }
)


def kind_of(url: str) -> AssetKind:
    """The kind of asset a URL names, from its path's extension (query and fragment aside).

    ``ws:``/``wss:`` URLs are WebSockets; an unknown or missing extension is ``other``.
    """
    if scheme_of(url) in ("ws", "wss"):
        return "websocket"
    last = parse(url).pathname.rsplit("/", 1)[-1]
    _, dot, ext = last.rpartition(".")
    return _KIND_BY_EXTENSION.get(ext.lower(), "other") if dot else "other"


def mime_essence(content_type: str | None) -> str | None:
    """MIME Sniffing Standard, "essence": ``type/subtype`` lowercased, parameters dropped.

    A missing header or one without a ``type/subtype`` gives nothing, which no check accepts.
    """
    if not content_type:
        return None
    essence = content_type.split(";", 1)[0].strip(" \t\r\n").lower()
    kind, slash, sub = essence.partition("/")
    return essence if slash and kind and sub else None


def is_ok_status(status: int) -> bool:
    """Fetch Standard, "ok status": 200 to 299 inclusive."""
    return 200 <= status <= 299


def refusal(
    kind: AssetKind,
    status: int,
    content_type: str | None,
    nosniff: bool,
    *,
    module: bool = False,
) -> Refusal | None:
    """Why the browser refuses a fetched asset, or nothing when it uses it. Status is checked first.

    - Any kind: a status outside 200-299 is ``status`` (HTML, "fetch a classic script" / "fetch a
      single module script", the ``link`` element's "process the linked resource", CSS Fonts).
    - Stylesheet: anything but ``text/css`` is ``mime`` (HTML, ``link rel=stylesheet``: a
      standards-mode document ignores other types; Fetch nosniff check says the same).
    - Script: ``audio/*``, ``image/*``, ``video/*`` and ``text/csv`` are always ``mime`` (Fetch,
      "blocked due to its MIME type"); under ``X-Content-Type-Options: nosniff`` every type that is
      not a JavaScript MIME type is (Fetch, "blocked due to nosniff"), so ``text/html`` and
      ``text/plain`` scripts are refused; a module script needs a JavaScript MIME type always.
    - Images, fonts, WebSockets and other assets: only the status matters.
    """
    if not is_ok_status(status):
        return "status"
    essence = mime_essence(content_type)
    if kind == "stylesheet":
        return None if essence == "text/css" else "mime"
    if kind == "script":
        if essence in JAVASCRIPT_MIME_TYPES:
            return None
        if module or nosniff:
            return "mime"  # a missing or unparsable type fails these checks too
        if essence is not None and (essence.startswith(("audio/", "image/", "video/")) or essence == "text/csv"):
            return "mime"
    return None


def mixed_content_action(page_url: str, asset_url: str, kind: AssetKind) -> MixedAction:
    """Mixed Content Level 2, section 4 ("should fetching request be blocked as mixed content?").

    Only a page served over https has mixed content, and only for an asset URL that is not
    potentially trustworthy (http, ws; but http://localhost and loopback addresses are). Images
    are "upgradeable": browsers fetch them over https instead (``upgrade``), which then succeeds or
    fails as any https fetch does. Scripts, stylesheets, fonts, WebSockets and other assets are
    "blockable" (``block``).
    """
    if scheme_of(page_url) != "https" or is_potentially_trustworthy(asset_url):
        return "allow"
    return "upgrade" if kind == "image" else "block"


def mixed_content(page_url: str, asset_url: str, kind: AssetKind) -> bool:
    """Whether the asset is blocked as mixed content (an upgraded image is not blocked)."""
    return mixed_content_action(page_url, asset_url, kind) == "block"


def upgraded_url(asset_url: str) -> str:
    """Mixed Content Level 2, "upgrade a mixed content request": http becomes https; port 80 becomes
    443 (both defaults, so neither is written); another explicit port is kept."""
    parsed = parse(asset_url)
    if parsed.protocol == "http:":
        parsed.protocol = "https:"
    return parsed.href
