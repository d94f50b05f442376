"""The field reports behind tracer, traced from their example folders as a browser journey.

Each example folder holds the manifests and a Journey document (and the AppProfile, except the
vscode-1..5 stages, which take examples/profiles/openvscode-server.yaml), so
``trace(folder)`` replays what the user saw. Stages the engine cannot reproduce yet are not here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tracer.engine import trace

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PROFILE = EXAMPLES / "profiles" / "openvscode-server.yaml"
VSCODE = "/stable-487e0b6eb726a84faf6b1a95c68a092fba078fd1"


def journey(example: str) -> list[dict[str, Any]]:
    # vscode-1..5 keep no profile of their own (their golden traces assume none), so it is passed.
    requests: list[dict[str, Any]] = trace(str(EXAMPLES / example), app_profiles=str(PROFILE)).to_dict()["requests"]
    return requests


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
