"""Status codes as people read them: the reason phrases of RFC 9110 section 15 (and RFC 6585 for 429).

The one table the CLI text, Markdown, SVG and web pages use. nginx's own error pages print older
phrases ("413 Request Entity Too Large"); where the engine models such a response body it writes
that text itself, because it is what the client receives.
"""

from __future__ import annotations

from http import HTTPStatus

# http.HTTPStatus carries the RFC 9110 phrases since Python 3.13 (413 "Content Too Large",
# 422 "Unprocessable Content"); the project runs on 3.12, so those are pinned here.
_RFC9110_OVERRIDES = {
    413: "Content Too Large",
    414: "URI Too Long",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
}


def reason_phrase(status: int) -> str:
    """The RFC 9110 phrase for a status code, or "" for a code without one (e.g. nginx's 499)."""
    if status in _RFC9110_OVERRIDES:
        return _RFC9110_OVERRIDES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def status_text(status: int | None, error: str | None = None) -> str:
    """ "404 Not Found"; for no status, the L4 error ("connection-refused") or "-"."""
    if status is None:
        return error or "-"
    phrase = reason_phrase(status)
    return f"{status} {phrase}" if phrase else str(status)
