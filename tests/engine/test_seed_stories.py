"""The field reports behind tracer, traced from their example folders as a browser journey.

Each example folder holds the manifests, a Journey document and the AppProfile of its app, so
``trace(folder)`` replays what the user saw.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tracer.engine import trace

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
VSCODE = "/stable-487e0b6eb726a84faf6b1a95c68a092fba078fd1"
HOST = "http://198.51.100.20"


def journey(example: str) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = trace(str(EXAMPLES / example)).to_dict()["requests"]
    return requests


def controller(request: dict[str, Any]) -> dict[str, Any]:
    hop: dict[str, Any] = next(h for h in request["hops"] if h["component"] == "controller")
    return hop


def steps(requests: list[dict[str, Any]]) -> list[tuple[str, int | None]]:
    return [(r["step"]["cause"], r["status"]) for r in requests]


def test_000_stage1_prefix_not_stripped_404() -> None:
    """Report 000_c153f9b53a907d82.txt, stage 1: /vscode reaches OpenVSCode unchanged and it answers 404.

    Rules: ingress-nginx#3.5 (Prefix match, path passed as is), dataplane#R25 (the pod's own answer).
    """
    (page,) = journey("vscode-1-prefix")
    assert steps([page]) == [("start", 404)]
    assert page["upstream"]["path"] == "/vscode/?tkn=eomdZNpW"
    assert page["hops"][-1]["component"] == "pod"


def test_000_stage2_redirect_to_root_fails_at_the_ingress() -> None:
    """Report 000_c153f9b53a907d82.txt, stage 2: after rewrite-target the app answers 302 to /, outside the prefix.

    The report saw 503 at the ingress for /; its cluster's default backend is not in the report, so the
    controller's own default backend answers 404 here (NOT_FOUND_VS_UNAVAILABLE). Rules: ingress-nginx#8.1
    (Location passed untouched), ingress-nginx#3.2 (no rule for /: default backend).
    """
    start, redirect = journey("vscode-2-rewrite")
    assert steps([start, redirect]) == [("start", 302), ("redirect", 404)]
    assert start["upstream"]["path"] == "/?tkn=eomdZNpW"
    assert start["response_headers"]["location"] == "/"
    assert redirect["request"]["url"] == "http://198.51.100.20/"
    assert redirect["hops"][-1]["component"] == "controller"
    assert "NOT_FOUND_VS_UNAVAILABLE" in [d["code"] for d in redirect["diagnoses"]]


def test_000_stage3_location_snippet_then_assets_have_no_rule() -> None:
    """Report 000_c153f9b53a907d82.txt, stage 3: the configuration-snippet's more_set_headers rewrites the app's
    ``Location: /`` to http://HOST/vscode/, the page loads, and its assets under /stable-<commit>/static/ match no
    rule (the report saw 503; the controller's own default backend answers 404 here).

    Rules: ingress-nginx#11.5 (more_set_headers on every status), ingress-nginx#11.4 (snippet in the location),
    browser#B1 (the browser follows the new Location), ingress-nginx#3.5 (no location for the assets but the
    default /), browser#B5 (a refused script: the page never opens its WebSocket).
    """
    requests = journey("vscode-3-location")
    assert steps(requests) == [("start", 302), ("redirect", 200), ("asset", 404), ("asset", 404)]
    start, page, *assets = requests
    hop = controller(start)
    assert hop["changes"]["response_headers"] == [
        f"Location: / -> {HOST}/vscode/ (more_set_headers, configuration-snippet of Ingress default/vscode)"
    ]
    assert {"ingress-nginx#11.4", "ingress-nginx#11.5"} <= set(hop["rules"])
    assert start["response_headers"]["location"] == f"{HOST}/vscode/"
    assert page["request"]["url"] == f"{HOST}/vscode/"
    assert page["upstream"]["path"] == "/" and page["cookies_sent"] == ["vscode-tkn"]
    for asset in assets:
        assert asset["cookies_sent"] == [] and asset["blocked"] == "status"
        assert asset["hops"][-1]["component"] == "controller" and asset["route"] is None
        assert "NOT_FOUND_VS_UNAVAILABLE" in [d["code"] for d in asset["diagnoses"]]


def test_000_stage4_static_ingress_but_the_cookie_stays_under_vscode_403() -> None:
    """Report 000_c153f9b53a907d82.txt, stage 4: the vscode-static Ingress sends the assets to the app, but the
    cookie set at /vscode/?tkn=... has the default-path /vscode (RFC 6265), so the browser does not send it to
    /stable-<commit>/static/... and OpenVSCode refuses them with 403 (no connection token).

    Rules: ingress-nginx#3.3 (the host in regex mode, the longer static path wins), browser#B2 (the cookie's
    default-path), dataplane#R25 (the pod's own answer), browser#B5 (refused assets).
    """
    requests = journey("vscode-4-static")
    assert steps(requests) == [("start", 302), ("redirect", 200), ("asset", 403), ("asset", 403)]
    start, page, *assets = requests
    assert start["response_headers"]["location"] == f"{HOST}/vscode/"
    assert start["response_headers"]["set-cookie"] == "vscode-tkn=eomdZNpW"
    assert page["cookies_sent"] == ["vscode-tkn"]
    for asset in assets:
        assert asset["cookies_sent"] == [] and asset["blocked"] == "status"
        assert asset["route"]["name"] == "vscode-static"
        assert asset["upstream"]["path"].startswith(f"{VSCODE}/static/")
        assert asset["hops"][-1]["component"] == "pod" and asset["hops"][-1]["status"] == 403


def test_000_stage5_regex_prefix_websocket_without_slash_1006() -> None:
    """Report 000_c153f9b53a907d82.txt, stage 5: under /stable-<commit>/ (use-regex, path /stable-<commit>/$) the
    cookie's default-path covers the assets, which load; the WebSocket URL /stable-<commit>?reconnectionToken=...
    has no trailing slash, matches no location but the default /, the handshake gets 404 and the page sees close
    code 1006.

    Rules: ingress-nginx#3.5 (regex locations, ^/stable-<commit>/$ needs the slash), ingress-nginx#11.5 (the
    snippet's Location), browser#B2 (default-path /stable-<commit>), ingress-nginx#6.7 (the default backend's 404),
    browser#B6 (a failed handshake is close code 1006).
    """
    requests = journey("vscode-5-regex")
    assert steps(requests) == [("start", 302), ("redirect", 200), ("asset", 200), ("asset", 200), ("websocket", 404)]
    start, page, css_js, _, socket = requests
    assert start["response_headers"]["location"] == f"{HOST}{VSCODE}/"
    assert controller(start)["changes"]["response_headers"][0].startswith(f"Location: / -> {HOST}{VSCODE}/ ")
    assert [r["cookies_sent"] for r in requests[1:]] == [["vscode-tkn"]] * 4
    assert page["upstream"]["path"] == "/" and css_js["route"]["name"] == "vscode-static"
    assert socket["request"]["url"].startswith(f"ws://198.51.100.20{VSCODE}?reconnectionToken=")
    assert socket["websocket"] == {"opened": False, "closed_after_s": 0.0, "close_code": 1006}
    assert socket["hops"][-1]["component"] == "controller" and socket["route"] is None
    assert any(f"^{VSCODE}/$" in near for near in controller(socket)["near_misses"])


def test_000_stage6_green() -> None:
    """Report 000_c153f9b53a907d82.txt, final setup: page, assets and WebSocket all work under /stable-<commit>.

    The static-assets Ingress is longer, so it wins (REGEX_ORDER_BY_LENGTH, ingress-nginx#3.3); the cookie
    set without Path on /stable-<commit>/ covers the assets and the socket (RFC 6265 default-path).
    """
    requests = journey("vscode-6-green")
    assert steps(requests) == [("start", 302), ("redirect", 200), ("asset", 200), ("asset", 200), ("websocket", 101)]
    assert requests[0]["response_headers"]["location"] == f"{VSCODE}/"
    assert [r["cookies_sent"] for r in requests[1:]] == [["vscode-tkn"]] * 4
    assert [r["blocked"] for r in requests[2:4]] == [None, None]
    assert requests[4]["websocket"] == {"opened": True, "closed_after_s": None, "close_code": None}
    assert requests[2]["upstream"]["path"].startswith(f"{VSCODE}/static/")


def test_001_websocket_cut_after_60_idle_seconds() -> None:
    """Report 001_a3875418d3415de9.txt: ingress-nginx on hostNetwork, no timeout set, a quiet socket dies at 60 s.

    WEBSOCKET_CLOSED_IDLE: proxy-read-timeout defaults to 60 s and cuts the socket with close code 1006.
    """
    page, socket = journey("ws-idle-timeout")
    assert steps([page, socket]) == [("start", 200), ("websocket", 101)]
    assert socket["websocket"] == {"opened": True, "closed_after_s": 60.0, "close_code": 1006}
    assert socket["error"] == "websocket-closed"
    assert "WEBSOCKET_CLOSED_IDLE" in [d["code"] for d in socket["diagnoses"]]


def test_001_fixed_proxy_read_timeout_3600_keeps_the_socket() -> None:
    """Report 001_a3875418d3415de9.txt, its fix: proxy-read-timeout and proxy-send-timeout "3600" (seconds)."""
    page, socket = journey("ws-idle-timeout-fixed")
    assert steps([page, socket]) == [("start", 200), ("websocket", 101)]
    assert socket["websocket"] == {"opened": True, "closed_after_s": None, "close_code": None}
    assert socket["error"] is None


def test_002_firewalld_restart_flushes_hostport_rules() -> None:
    """Report 002_986c13d6399bf8fa.txt: restarting firewalld drops the CNI portmap chains of the hostPort controller.

    HOSTPORT_RULES_FLUSHED (dataplane#R50, #R58): nothing rewrites them until the pod is recreated, so
    300 s later the node still refuses; the report saw connection timeouts.
    """
    (start,) = journey("hostport-firewalld")
    assert start["status"] is None
    assert start["error"] == "connection-refused"
    assert start["hops"][-1]["component"] == "node"
    assert "HOSTPORT_RULES_FLUSHED" in [d["code"] for d in start["diagnoses"]]
