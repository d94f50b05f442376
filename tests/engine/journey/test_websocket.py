"""RFC 6455 opening handshake and the close codes a page sees."""

from __future__ import annotations

import base64

from tracer.engine.journey.cookies import CookieJar
from tracer.engine.journey.websocket import (
    ABNORMAL_CLOSURE,
    accept_value,
    handshake_key,
    handshake_outcome,
    handshake_request,
    idle_close,
)

NOW = 1000.0


def test_rfc6455_1_3_accept_value_of_the_rfc_example() -> None:
    assert accept_value("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_rfc6455_4_1_key_is_16_bytes_and_deterministic() -> None:
    key = handshake_key("wss://h.example/ws", "journey-1")
    assert len(base64.b64decode(key)) == 16
    assert key == handshake_key("wss://h.example/ws", "journey-1")
    assert key != handshake_key("wss://h.example/ws", "journey-2")


def test_rfc6455_4_1_handshake_request_headers_and_cookies() -> None:
    jar = CookieJar()
    jar.set_from_response("https://h.example/app/", ["s=1; Secure; Path=/", "app=2", "other=3; Path=/api"], NOW)
    req = handshake_request("wss://h.example/app/ws?x=1", "https://h.example/app/", jar, NOW, protocols=("v1",))
    headers = dict(req.headers)
    assert req.method == "GET" and req.url == "https://h.example/app/ws?x=1"
    assert headers["Upgrade"] == "websocket" and headers["Connection"] == "Upgrade"
    assert headers["Sec-WebSocket-Version"] == "13" and headers["Sec-WebSocket-Key"] == req.key
    assert headers["Origin"] == "https://h.example"
    assert headers["Sec-WebSocket-Protocol"] == "v1"
    assert headers["Cookie"] == "app=2; s=1" and req.cookie_names == ("app", "s")


def test_rfc6455_4_1_ws_handshake_carries_no_secure_cookie_and_no_empty_cookie_header() -> None:
    jar = CookieJar()
    jar.set_from_response("https://h.example/", ["s=1; Secure"], NOW)
    req = handshake_request("ws://h.example/ws", "http://h.example/", jar, NOW)
    assert req.url == "http://h.example/ws" and "Cookie" not in dict(req.headers)


def test_rfc6455_4_1_non_101_fails_with_1006() -> None:
    for status in (200, 302, 400, 403, 502):
        out = handshake_outcome(status, "k")
        assert not out.opened and out.close_code == ABNORMAL_CLOSURE == 1006 and out.closed_after_s == 0.0


def test_rfc6455_4_1_101_checks_response_headers_when_given() -> None:
    key = handshake_key("wss://h.example/ws")
    good = {"upgrade": "WebSocket", "connection": "keep-alive, Upgrade", "sec-websocket-accept": accept_value(key)}
    assert handshake_outcome(101, key, good).opened
    assert handshake_outcome(101, key).opened
    assert not handshake_outcome(101, key, {**good, "sec-websocket-accept": "wrong"}).opened
    assert not handshake_outcome(101, key, {**good, "upgrade": "h2c"}).opened
    assert not handshake_outcome(101, key, {**good, "connection": "close"}).opened


def test_rfc6455_7_4_1_idle_timeout_closes_with_1006_after_the_timeout() -> None:
    out = idle_close(60)
    assert out.opened and out.close_code == 1006 and out.closed_after_s == 60.0
    assert "None" not in out.reason and "60" in out.reason
