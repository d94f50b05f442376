"""WHATWG URL Standard resolution and origins, as the journey runner resolves what a page links to."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracer.engine.journey import urls
from tracer.engine.journey.urls import UrlError

PAGE = "https://app.example.com/vscode/index.html?x=1#top"


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("https://cdn.example.net/a.js", "https://cdn.example.net/a.js"),
        ("/static/a.js", "https://app.example.com/static/a.js"),
        ("static/a.js", "https://app.example.com/vscode/static/a.js"),
        ("./static/a.js", "https://app.example.com/vscode/static/a.js"),
        ("../a.js", "https://app.example.com/a.js"),
        ("../../../a.js", "https://app.example.com/a.js"),
        ("?q=2", "https://app.example.com/vscode/index.html?q=2"),
        ("#f", "https://app.example.com/vscode/index.html?x=1#f"),
        ("//other.example.com/x", "https://other.example.com/x"),
        ("", "https://app.example.com/vscode/index.html?x=1"),
    ],
)
def test_whatwg_url_parsing_with_base(reference: str, expected: str) -> None:
    assert urls.resolve(reference, PAGE) == expected


def test_whatwg_url_relative_path_without_trailing_slash_replaces_last_segment() -> None:
    # Seed report 004: a page at /app (no trailing slash) loads static/a.js from /static/a.js.
    assert urls.resolve("static/a.js", "http://h.example/app") == "http://h.example/static/a.js"
    assert urls.resolve("static/a.js", "http://h.example/vscode") == "http://h.example/static/a.js"
    assert urls.resolve("static/a.js", "http://h.example/vscode/") == "http://h.example/vscode/static/a.js"


def test_whatwg_url_normalises_host_port_and_dot_segments() -> None:
    assert urls.resolve("HTTP://H.Example:80/a/./b/../c", PAGE) == "http://h.example/a/c"
    assert urls.resolve("https://h.example:443/", PAGE) == "https://h.example/"
    assert urls.resolve("https://h.example:8443/", PAGE) == "https://h.example:8443/"


def test_whatwg_url_invalid_reference_raises() -> None:
    with pytest.raises(UrlError):
        urls.resolve("http://[bad/", PAGE)
    with pytest.raises(UrlError):
        urls.parse("no-scheme")


def test_html_document_base_url_uses_base_href() -> None:
    assert urls.document_base("https://h.example/app", "/app/") == "https://h.example/app/"
    base = urls.document_base("https://h.example/app", "/app/")
    assert urls.resolve("static/a.js", base) == "https://h.example/app/static/a.js"
    assert urls.document_base("https://h.example/app", None) == "https://h.example/app"
    assert urls.document_base("https://h.example/app", "http://[bad") == "https://h.example/app"


def test_html_origin_and_same_origin() -> None:
    assert urls.origin("https://h.example/x") == urls.Origin("https", "h.example", 443)
    assert urls.origin("ws://h.example:8080/x") == urls.Origin("ws", "h.example", 8080)
    assert urls.origin("http://h.example:8080/").serialize() == "http://h.example:8080"
    assert urls.origin("https://h.example:443/").serialize() == "https://h.example"
    assert urls.same_origin("https://h.example/a", "https://H.EXAMPLE:443/b?c")
    assert not urls.same_origin("https://h.example/a", "http://h.example/a")
    assert not urls.same_origin("https://h.example/a", "wss://h.example/a")
    assert not urls.same_origin("https://h.example/a", "https://h.example:8443/a")
    with pytest.raises(UrlError):
        urls.origin("data:text/plain,hi")


def test_rfc9112_3_2_1_request_target_excludes_fragment() -> None:
    t = urls.target("https://h.example:8443/a/b?x=1#frag")
    assert (t.scheme, t.host, t.port, t.request_target, t.secure) == ("https", "h.example", 8443, "/a/b?x=1", True)
    assert urls.target("http://h.example").request_target == "/"
    assert urls.without_fragment("https://h.example/a?b#c") == "https://h.example/a?b"


def test_websockets_standard_constructor_url() -> None:
    assert urls.websocket_url("/ws", "https://h.example/app/") == "wss://h.example/ws"
    assert urls.websocket_url("socket", "http://h.example/app/") == "ws://h.example/app/socket"
    assert urls.websocket_url("wss://o.example/s?t=1", "http://h.example/") == "wss://o.example/s?t=1"
    with pytest.raises(UrlError):
        urls.websocket_url("/ws#frag", "https://h.example/")
    with pytest.raises(UrlError):
        urls.websocket_url("ftp://h.example/", "https://h.example/")


def test_fetch_websocket_connection_uses_http_equivalent() -> None:
    assert urls.to_http_url("ws://h.example:8080/s?q") == "http://h.example:8080/s?q"
    assert urls.to_http_url("wss://h.example/s") == "https://h.example/s"
    assert urls.to_http_url("https://h.example/s") == "https://h.example/s"


def test_secure_contexts_potentially_trustworthy() -> None:
    assert urls.is_potentially_trustworthy("https://h.example/")
    assert urls.is_potentially_trustworthy("http://localhost:8000/")
    assert urls.is_potentially_trustworthy("http://127.0.0.1/")
    assert urls.is_potentially_trustworthy("http://[::1]/")
    assert not urls.is_potentially_trustworthy("http://h.example/")
    assert not urls.is_potentially_trustworthy("ws://10.0.0.1/")


_segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=8)
_path = st.lists(_segment, max_size=4).map(lambda parts: "/" + "/".join(parts))


@given(_path, _path)
def test_whatwg_url_absolute_reference_ignores_base(base_path: str, ref_path: str) -> None:
    absolute = f"https://abs.example{ref_path}"
    assert urls.resolve(absolute, f"http://base.example{base_path}") == urls.resolve(absolute, "https://x.example/")


@given(_path, _path)
def test_whatwg_url_root_relative_keeps_only_origin(base_path: str, ref_path: str) -> None:
    assert urls.resolve(ref_path, f"https://h.example:8443{base_path}?q#f") == f"https://h.example:8443{ref_path}"
