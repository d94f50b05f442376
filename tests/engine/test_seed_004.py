"""Field report 004 (004_4ee2fb7d842d4530.txt): Kubernetes Dashboard v2 behind a path-only /k8s prefix.

The report used Traefik 1.7 (PathPrefixStrip, hostPort 80/443, an ExternalName Service to reach the dashboard's
namespace). tracer has no Traefik model yet, so the examples/dashboard-* folders replay it with ingress-nginx on
hostPort 80/443: use-regex with ``/k8s(/|$)(.*)`` and ``rewrite-target: /$2`` strip the prefix, and
``backend-protocol: "HTTPS"`` speaks TLS to the dashboard. Each folder holds its AppProfile and Journeys, so
``trace(folder)`` replays what the user saw.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tracer.engine import trace

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NODE = "10.0.0.11"
ASSETS = ["styles.css", "runtime.js", "polyfills.js", "main.js"]


def journeys(example: str) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = trace(str(EXAMPLES / example)).to_dict()["requests"]
    return requests


def objects(example: str) -> list[dict[str, Any]]:
    return [o for f in sorted((EXAMPLES / example).glob("*.yaml")) for o in yaml.safe_load_all(f.read_text()) if o]


def steps(requests: list[dict[str, Any]]) -> list[tuple[str, str, str, int | None]]:
    return [(r["step"]["cause"], r["request"]["method"], r["request"]["url"], r["status"]) for r in requests]


def codes(request: dict[str, Any]) -> list[str]:
    return [d["code"] for d in request["diagnoses"]]


def test_004_stage0_https_backend_proxied_as_plain_http() -> None:
    """Report 004_4ee2fb7d842d4530.txt, "代理https后端": the dashboard serves HTTPS only on 8443.

    Without backend-protocol nginx proxies plain HTTP to its TLS port, and the dashboard (a Go server)
    answers 400 (ingress-nginx#10.3, PLAIN_HTTP_TO_HTTPS_PORT); Traefik showed 500 for the same mistake.
    """
    (page,) = journeys("dashboard-0-no-backend-protocol")
    assert steps([page]) == [("start", "GET", f"http://{NODE}/k8s/", 400)]
    assert page["error"] is None
    assert page["upstream"]["path"] == "/"
    controller = page["hops"][3]
    assert (controller["component"], controller["status"]) == ("controller", 400)
    assert "ingress-nginx#10.3" in controller["rules"]
    assert "PLAIN_HTTP_TO_HTTPS_PORT" in codes(page)
    # The fix (every later folder): backend-protocol HTTPS; nginx verifies no backend certificate by default
    # (ingress-nginx#10.2), so nothing stands for Traefik's insecureSkipVerify.
    (fixed,) = [r for r in journeys("dashboard-2-http-login") if r["request"]["url"] == f"http://{NODE}/k8s/"]
    assert fixed["status"] == 200 and "PLAIN_HTTP_TO_HTTPS_PORT" not in codes(fixed)


def test_004_stage1_relative_assets_without_trailing_slash() -> None:
    """Report 004_4ee2fb7d842d4530.txt, "基于path路由": https://NODE/k8s (no trailing slash).

    The prefix is stripped (rewrite-target /$2, ingress-nginx#4.1) and the page loads, but its relative
    asset URLs resolve against /k8s to /styles.css etc. (WHATWG URL: the base path's last segment is
    replaced), which no rule matches: the controller's 404 (ingress-nginx#3.2), so the browser refuses the
    stylesheet and the scripts (blocked: status). The report's browser named it a stylesheet MIME error.
    """
    page, *assets = journeys("dashboard-1-no-slash")
    assert steps([page]) == [("start", "GET", f"https://{NODE}/k8s", 200)]
    assert page["upstream"]["path"] == "/"
    assert steps(assets) == [("asset", "GET", f"https://{NODE}/{name}", 404) for name in ASSETS]
    assert [a["blocked"] for a in assets] == ["status"] * 4
    for asset in assets:
        assert asset["hops"][-1]["component"] == "controller"  # nothing routed it: no pod was asked
        assert asset["upstream"] is None
        assert "NOT_FOUND_VS_UNAVAILABLE" in codes(asset)
    # With the trailing slash (the same Ingress in dashboard-2/3) the same names resolve under /k8s/.
    green = [r for r in journeys("dashboard-3-https") if r["step"]["cause"] == "asset"][:4]
    assert [(r["request"]["url"], r["status"], r["blocked"]) for r in green] == [
        (f"https://{NODE}/k8s/{name}", 200, None) for name in ASSETS
    ]
    assert [r["upstream"]["path"] for r in green] == [f"/{name}" for name in ASSETS]


def test_004_stage2_secure_login_cookie_dropped_over_http() -> None:
    """Report 004_4ee2fb7d842d4530.txt, "dashboard认证": the token login over http "does nothing".

    The page at http://NODE/k8s/ loads. The login answers 200 with jweToken set Secure; a Secure cookie
    from a non-secure origin is ignored (RFC 6265bis 5.7, the journey's cookie jar), so the API calls after
    the login carry no jweToken and the dashboard answers 401.
    """
    requests = journeys("dashboard-2-http-login")
    page, login = requests[:5], requests[5:]
    assert [r["status"] for r in page] == [200] * 5 and [r["blocked"] for r in page[1:]] == [None] * 4
    assert steps(login) == [
        ("start", "POST", f"http://{NODE}/k8s/api/v1/login", 200),
        ("asset", "GET", f"http://{NODE}/k8s/api/v1/login/status", 200),
        ("asset", "GET", f"http://{NODE}/k8s/api/v1/namespace", 401),
    ]
    assert "; Secure" in login[0]["response_headers"]["set-cookie"]
    assert [r["cookies_sent"] for r in login] == [[], [], []]
    assert [r["blocked"] for r in login[1:]] == [None, "status"]
    failed = login[2]
    assert failed["upstream"]["path"] == "/api/v1/namespace" and "Cookie" not in failed["upstream"]["headers"]
    controller = failed["hops"][3]
    assert (controller["component"], controller["outcome"], controller["status"]) == ("controller", "forward", 401)
    # The cause is the Secure flag: the same answer without it is kept over http and sent on.
    objs = objects("dashboard-2-http-login")
    for obj in objs:
        if obj["kind"] == "AppProfile":
            for route in obj["spec"]["routes"]:
                cookies = route["respond"].get("setCookies")
                if cookies:
                    route["respond"]["setCookies"] = [c.replace("; Secure", "") for c in cookies]
    plain = trace(objs).to_dict()["requests"][5:]
    assert [(r["status"], r["cookies_sent"]) for r in plain] == [(200, []), (200, ["jweToken"]), (200, ["jweToken"])]


def test_004_stage3_https_entry_green() -> None:
    """Report 004_4ee2fb7d842d4530.txt, the working setup: https://NODE/k8s/ for page and login.

    Over https the jar keeps the Secure jweToken (RFC 6265bis 5.7) and sends it with the API calls
    (RFC 6265 5.4: Secure cookies go over https only; its default-path /k8s/api/v1 covers them).
    """
    requests = journeys("dashboard-3-https")
    page, login = requests[:5], requests[5:]
    assert steps(page) == [("start", "GET", f"https://{NODE}/k8s/", 200)] + [
        ("asset", "GET", f"https://{NODE}/k8s/{name}", 200) for name in ASSETS
    ]
    assert steps(login) == [
        ("start", "POST", f"https://{NODE}/k8s/api/v1/login", 200),
        ("asset", "GET", f"https://{NODE}/k8s/api/v1/login/status", 200),
        ("asset", "GET", f"https://{NODE}/k8s/api/v1/namespace", 200),
    ]
    assert [r["cookies_sent"] for r in login] == [[], ["jweToken"], ["jweToken"]]
    assert [r["blocked"] for r in page[1:] + login[1:]] == [None] * 6
    assert all(r["error"] is None for r in requests)
    assert login[2]["upstream"]["headers"]["Cookie"].startswith("jweToken=")
    # The fake default certificate is only a warning: the journey accepts it, as the report's browser did.
    assert "DEFAULT_CERTIFICATE" in codes(page[0])
