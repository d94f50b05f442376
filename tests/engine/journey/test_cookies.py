"""RFC 6265 (and the 6265bis rules browsers follow): Set-Cookie parsing, storage and the Cookie header."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracer.engine.journey.cookies import CookieJar, default_path, domain_match, is_public_suffix, path_match
from tracer.engine.journey.set_cookie import parse_cookie_date, parse_set_cookie

NOW = 1_800_000_000.0


def _jar(url: str, *headers: str, now: float = NOW) -> CookieJar:
    jar = CookieJar()
    jar.set_from_response(url, list(headers), now)
    return jar


@pytest.mark.parametrize(
    ("path", "expected"),
    [("/vscode/", "/vscode"), ("/vscode", "/"), ("/", "/"), ("", "/"), ("/a/b/c", "/a/b"), ("/a/b/", "/a/b")],
)
def test_rfc6265_5_1_4_default_path(path: str, expected: str) -> None:
    assert default_path(path) == expected


def test_rfc6265_5_1_4_default_path_seed_000_cookie_not_sent_outside_vscode() -> None:
    # Seed report 000: the token cookie set by /vscode/?tkn=T has path /vscode, so the assets under
    # /stable-abc/ go without it and the backend answers 403.
    jar = _jar("https://ide.example/vscode/?tkn=T", "vscode-tkn=T; HttpOnly")
    assert jar.cookies(NOW)[0].path == "/vscode"
    assert jar.header_for("https://ide.example/stable-abc/static/x.js", NOW) == ("", [])
    assert jar.header_for("https://ide.example/vscode/static/x.js", NOW) == ("vscode-tkn=T", ["vscode-tkn"])
    assert jar.header_for("https://ide.example/vscode", NOW)[1] == ["vscode-tkn"]
    assert jar.header_for("https://ide.example/vscodex", NOW)[1] == []


@pytest.mark.parametrize(
    ("request_path", "cookie_path", "matches"),
    [
        ("/a", "/a", True),
        ("/a/b", "/a", True),
        ("/a/b", "/a/", True),
        ("/ab", "/a", False),
        ("/a", "/a/", False),
        ("/", "/", True),
        ("/anything", "/", True),
    ],
)
def test_rfc6265_5_1_4_path_match(request_path: str, cookie_path: str, matches: bool) -> None:
    assert path_match(request_path, cookie_path) is matches


def test_rfc6265_5_1_3_domain_match() -> None:
    assert domain_match("a.example.com", "example.com")
    assert domain_match("example.com", "example.com")
    assert not domain_match("badexample.com", "example.com")
    assert not domain_match("example.com", "a.example.com")
    assert not domain_match("1.2.3.4", "2.3.4")


def test_rfc6265_5_2_parse_attributes() -> None:
    c = parse_set_cookie(" sid = abc ; Path=/x; Domain=.Example.COM; Secure; HttpOnly; SameSite=Lax; Max-Age=60", NOW)
    assert c is not None
    assert (c.name, c.value, c.path, c.domain, c.secure, c.http_only, c.same_site) == (
        "sid", "abc", "/x", "example.com", True, True, "lax"
    )
    assert c.expiry == NOW + 60


def test_rfc6265_5_2_2_max_age_wins_over_expires_and_bad_values_are_ignored() -> None:
    c = parse_set_cookie("a=1; Max-Age=10; Expires=Wed, 09 Jun 2021 10:18:14 GMT", NOW)
    assert c is not None and c.expiry == NOW + 10
    c = parse_set_cookie("a=1; Max-Age=1e3", NOW)
    assert c is not None and c.expiry is None
    c = parse_set_cookie("a=1; Max-Age=0", NOW)
    assert c is not None and c.expiry is not None and c.expiry < NOW


def test_rfc6265_5_2_4_relative_path_falls_back_to_default_path() -> None:
    jar = _jar("https://h.example/app/page", "a=1; Path=relative", "b=2; Path=")
    assert {c.name: c.path for c in jar.cookies(NOW)} == {"a": "/app", "b": "/app"}


def test_rfc6265bis_5_6_nameless_and_empty_headers() -> None:
    c = parse_set_cookie("justavalue", NOW)
    assert c is not None and (c.name, c.value) == ("", "justavalue")
    assert parse_set_cookie("=", NOW) is None
    assert parse_set_cookie("; Path=/", NOW) is None
    assert parse_set_cookie("a=" + "x" * 5000, NOW) is None
    jar = _jar("https://h.example/", "justavalue")
    assert jar.header_for("https://h.example/", NOW) == ("justavalue", [""])


def test_rfc6265bis_5_6_7_samesite_last_value_counts_and_unknown_is_default() -> None:
    c = parse_set_cookie("a=1; SameSite=Strict; SameSite=bogus", NOW)
    assert c is not None and c.same_site == "default"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wed, 09 Jun 2021 10:18:14 GMT", 1623233894.0),
        ("Wednesday, 09-Jun-21 10:18:14 GMT", 1623233894.0),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
        ("09 Jun 2021 10:18:14", 1623233894.0),
        ("Sun, 31 Feb 2021 10:18:14 GMT", None),
        ("Wed, 09 Jun 1500 10:18:14 GMT", None),
        ("Wed, 09 Jun 2021 25:18:14 GMT", None),
        ("not a date", None),
    ],
)
def test_rfc6265_5_1_1_cookie_date(text: str, expected: float | None) -> None:
    assert parse_cookie_date(text) == expected


def test_rfc6265_5_3_expiry_against_journey_clock() -> None:
    jar = _jar("https://h.example/", "a=1; Max-Age=30", "b=2", now=100.0)
    assert jar.header_for("https://h.example/", 129.0)[1] == ["a", "b"]
    assert jar.header_for("https://h.example/", 130.0)[1] == ["b"]


def test_rfc6265_5_3_expired_cookie_deletes_its_namesake() -> None:
    jar = _jar("https://h.example/", "a=1")
    out = jar.set_from_response("https://h.example/", ["a=gone; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], NOW)
    assert [o.result for o in out] == ["deleted"]
    assert jar.cookies(NOW) == []


def test_rfc6265_5_3_step_11_replacement_keeps_creation_time() -> None:
    jar = _jar("https://h.example/", "a=1", "b=2", now=1.0)
    jar.set_from_response("https://h.example/", ["a=3"], 5.0)
    assert jar.header_for("https://h.example/", 6.0) == ("a=3; b=2", ["a", "b"])


def test_rfc6265_5_3_host_only_without_domain_attribute() -> None:
    jar = _jar("https://app.example.com/", "a=1")
    assert jar.cookies(NOW)[0].host_only
    assert jar.header_for("https://sub.app.example.com/", NOW)[1] == []
    assert jar.header_for("https://app.example.com/", NOW)[1] == ["a"]


def test_rfc6265_5_3_domain_attribute_covers_subdomains() -> None:
    jar = _jar("https://app.example.com/", "a=1; Domain=example.com", "b=2; Domain=app.example.com")
    assert jar.header_for("https://other.example.com/", NOW)[1] == ["a"]
    assert jar.header_for("https://x.app.example.com/", NOW)[1] == ["a", "b"]


def test_rfc6265_5_3_step_6_domain_not_matching_host_is_rejected() -> None:
    jar = CookieJar()
    out = jar.set_from_response("https://app.example.com/", ["a=1; Domain=other.com", "b=2; Domain=x.app.example.com"], NOW)
    assert [o.result for o in out] == ["domain-mismatch", "domain-mismatch"]
    assert jar.cookies(NOW) == []


def test_rfc6265_5_3_step_5_public_suffix_domain_is_rejected() -> None:
    assert is_public_suffix("co.uk") and is_public_suffix("com") and not is_public_suffix("example.com")
    jar = CookieJar()
    out = jar.set_from_response("https://a.example.co.uk/", ["a=1; Domain=co.uk", "b=2; Domain=example.co.uk"], NOW)
    assert [o.result for o in out] == ["public-suffix", "stored"]


def test_rfc6265_5_3_step_5_public_suffix_equal_to_host_becomes_host_only() -> None:
    jar = _jar("http://localhost:8000/", "a=1; Domain=localhost")
    (cookie,) = jar.cookies(NOW)
    assert cookie.host_only and cookie.domain == "localhost"


def test_rfc6265bis_secure_cookie_set_over_http_is_ignored() -> None:
    jar = CookieJar()
    out = jar.set_from_response("http://h.example/", ["s=1; Secure"], NOW)
    assert [o.result for o in out] == ["secure-from-insecure"]
    assert jar.cookies(NOW) == []


def test_rfc6265_5_4_secure_cookie_only_sent_over_https() -> None:
    jar = _jar("https://h.example/", "s=1; Secure", "p=2")
    assert jar.header_for("http://h.example/", NOW)[1] == ["p"]
    assert jar.header_for("https://h.example/", NOW)[1] == ["s", "p"]
    assert jar.header_for("wss://h.example/ws", NOW)[1] == ["s", "p"]
    assert jar.header_for("ws://h.example/ws", NOW)[1] == ["p"]


def test_rfc6265bis_5_7_http_cannot_overlay_secure_cookie() -> None:
    jar = _jar("https://h.example/", "s=1; Secure")
    out = jar.set_from_response("http://h.example/", ["s=evil"], NOW)
    assert [o.result for o in out] == ["overlays-secure"]
    assert jar.header_for("https://h.example/", NOW) == ("s=1", ["s"])


def test_rfc6265bis_samesite_none_requires_secure() -> None:
    jar = CookieJar()
    out = jar.set_from_response("https://h.example/", ["a=1; SameSite=None", "b=2; SameSite=None; Secure"], NOW)
    assert [o.result for o in out] == ["samesite-none-insecure", "stored"]
    assert jar.cookies(NOW)[0].same_site == "none"


def test_rfc6265bis_cookie_prefixes() -> None:
    jar = CookieJar()
    out = jar.set_from_response(
        "https://h.example/app/",
        [
            "__Secure-a=1",
            "__Secure-b=1; Secure",
            "__Host-c=1; Secure",  # default-path /app, not /
            "__Host-d=1; Secure; Path=/; Domain=h.example",
            "__Host-e=1; Secure; Path=/",
        ],
        NOW,
    )
    assert [o.result for o in out] == ["prefix", "stored", "prefix", "prefix", "stored"]


def test_rfc6265_5_4_order_longer_path_first_then_earlier_creation() -> None:
    jar = CookieJar()
    jar.set_from_response("https://h.example/a/b/c", ["root=1; Path=/", "late=1; Path=/a"], 1.0)
    jar.set_from_response("https://h.example/a/b/c", ["deep=1; Path=/a/b"], 2.0)
    jar.set_from_response("https://h.example/a/b/c", ["early=1; Path=/a"], 0.5)
    assert jar.header_for("https://h.example/a/b/c", 3.0)[1] == ["deep", "early", "late", "root"]


def test_rfc6265_5_4_same_creation_time_keeps_set_order() -> None:
    jar = _jar("https://h.example/", "z=1", "a=2", "m=3")
    assert jar.header_for("https://h.example/x", NOW) == ("z=1; a=2; m=3", ["z", "a", "m"])


_path = st.lists(st.text(alphabet="abcxyz-_.", min_size=1, max_size=5), max_size=4).map(lambda p: "/" + "/".join(p))


@given(_path)
def test_rfc6265_5_1_4_path_match_is_reflexive(path: str) -> None:
    assert path_match(path, path)


@given(_path)
def test_rfc6265_5_1_4_default_path_matches_its_request_path(path: str) -> None:
    assert path_match(path, default_path(path))
