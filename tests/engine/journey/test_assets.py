"""Subresource checks of the Fetch and HTML Standards, and Mixed Content Level 2."""

from __future__ import annotations

import pytest

from tracer.engine.journey.assets import (
    AssetKind,
    kind_of,
    mime_essence,
    mixed_content,
    mixed_content_action,
    refusal,
    upgraded_url,
)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://h.example/static/a.js?v=1", "script"),
        ("https://h.example/m.MJS", "script"),
        ("https://h.example/s.css#x", "stylesheet"),
        ("https://h.example/logo.svg", "image"),
        ("https://h.example/f.woff2", "font"),
        ("https://h.example/api/data", "other"),
        ("https://h.example/dir.js/", "other"),
        ("https://h.example/data.json", "other"),
        ("wss://h.example/socket", "websocket"),
    ],
)
def test_asset_kind_from_extension(url: str, kind: str) -> None:
    assert kind_of(url) == kind


def test_mime_sniffing_essence() -> None:
    assert mime_essence("Text/CSS; charset=utf-8") == "text/css"
    assert mime_essence("") is None
    assert mime_essence("garbage") is None


@pytest.mark.parametrize("kind", ["script", "stylesheet", "image", "font", "other"])
@pytest.mark.parametrize("status", [199, 301, 404, 500])
def test_fetch_ok_status_required(kind: AssetKind, status: int) -> None:
    assert refusal(kind, status, "text/css", nosniff=False) == "status"


@pytest.mark.parametrize(
    ("content_type", "nosniff", "expected"),
    [
        ("text/css", False, None),
        ("text/css; charset=utf-8", True, None),
        ("text/html", False, "mime"),
        ("text/plain", True, "mime"),
        (None, False, "mime"),
    ],
)
def test_html_link_stylesheet_requires_text_css(content_type: str | None, nosniff: bool, expected: str | None) -> None:
    assert refusal("stylesheet", 200, content_type, nosniff) == expected


@pytest.mark.parametrize(
    ("content_type", "nosniff", "expected"),
    [
        ("text/javascript", True, None),
        ("application/javascript; charset=utf-8", True, None),
        ("application/x-javascript", True, None),
        ("text/html", False, None),
        ("text/html", True, "mime"),
        ("text/plain", True, "mime"),
        ("text/plain", False, None),
        (None, True, "mime"),
        ("image/png", False, "mime"),
        ("video/mp4", False, "mime"),
        ("text/csv", False, "mime"),
    ],
)
def test_fetch_script_mime_checks(content_type: str | None, nosniff: bool, expected: str | None) -> None:
    assert refusal("script", 200, content_type, nosniff) == expected


def test_html_module_script_needs_javascript_mime_type_without_nosniff() -> None:
    assert refusal("script", 200, "text/html", nosniff=False, module=True) == "mime"
    assert refusal("script", 200, "text/javascript", nosniff=False, module=True) is None


def test_images_and_fonts_only_status_matters() -> None:
    assert refusal("image", 200, "text/html", nosniff=True) is None
    assert refusal("font", 204, None, nosniff=True) is None


@pytest.mark.parametrize(
    ("asset", "kind", "action"),
    [
        ("http://h.example/a.js", "script", "block"),
        ("http://h.example/a.css", "stylesheet", "block"),
        ("ws://h.example/socket", "websocket", "block"),
        ("http://h.example/f.woff2", "font", "block"),
        ("http://h.example/logo.png", "image", "upgrade"),
        ("https://h.example/a.js", "script", "allow"),
        ("wss://h.example/socket", "websocket", "allow"),
        ("http://localhost:3000/a.js", "script", "allow"),
        ("http://127.0.0.1/a.js", "script", "allow"),
    ],
)
def test_mixed_content_level_2_from_https_page(asset: str, kind: AssetKind, action: str) -> None:
    assert mixed_content_action("https://h.example/", asset, kind) == action
    assert mixed_content("https://h.example/", asset, kind) is (action == "block")


def test_mixed_content_level_2_http_page_has_no_mixed_content() -> None:
    assert mixed_content_action("http://h.example/", "http://h.example/a.js", "script") == "allow"


def test_mixed_content_level_2_upgrade_url() -> None:
    assert upgraded_url("http://h.example/logo.png") == "https://h.example/logo.png"
    assert upgraded_url("http://h.example:80/logo.png") == "https://h.example/logo.png"
    assert upgraded_url("http://h.example:8080/logo.png") == "https://h.example:8080/logo.png"
