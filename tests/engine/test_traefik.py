"""Field report 004 on Traefik 1.7 (examples/traefik-dashboard-004), the real-world corpus through both Traefik
families, and routing cost on a large snapshot.

Report 004 (004_4ee2fb7d842d4530.txt) exposes Kubernetes Dashboard v2 under the path /k8s of a node's address
through Traefik 1.7.19 on hostPort 80/443: rule-type PathPrefixStrip, an ExternalName Service bringing the
dashboard's Service into the Ingress's namespace, and insecureSkipVerify in traefik.toml. The example folder holds
that setup with the dashboard's AppProfile and three Journeys; each test below replays one stage of the report.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_corpus import CORPUS, REFUSED, check_trace, corpus_files, load, requests_for  # tests/engine is on sys.path
from traefik_fixtures import app, ingress, ingress_route, middleware, route, traefik

from tracer.engine import Engine, Snapshot, TracerError, trace
from tracer.engine.request import parse_request

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "traefik-dashboard-004"
NODE = "10.0.0.11"
ASSETS = ["styles.css", "runtime.js", "polyfills.js", "main.js"]


def objects(journeys: bool = False) -> list[dict[str, Any]]:
    docs = [o for f in sorted(EXAMPLE.glob("*.yaml")) for o in yaml.safe_load_all(f.read_text()) if o]
    return docs if journeys else [o for o in docs if o["kind"] != "Journey"]


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(o for o in docs if o["kind"] == kind)


def journey(name: str) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = trace(str(EXAMPLE)).to_dict()["requests"]
    starts = [i for i, r in enumerate(requests) if r["step"]["cause"] == "start"]
    names = ["no-trailing-slash", "http-login", "https-login"]
    begin = starts[names.index(name)]
    end = next((s for s in starts if s > begin), len(requests))
    return requests[begin:end]


def steps(requests: list[dict[str, Any]]) -> list[tuple[str, str, str, int | None]]:
    return [(r["step"]["cause"], r["request"]["method"], r["request"]["url"], r["status"]) for r in requests]


def codes(request: dict[str, Any]) -> list[str]:
    return [d["code"] for d in request["diagnoses"]]


def test_004_traefik_example_is_traefik_1_7_on_host_ports() -> None:
    engine = Engine(str(EXAMPLE))
    assert engine.family == "traefik-v1" and len(engine.installations) == 1
    rt = engine.route(f"GET https://{NODE}/k8s/")
    node, controller = rt.hops[2], rt.hops[3]
    assert node.component == "node" and "hostPort 443" in node.summary
    assert controller.component == "controller" and "entry point https" in controller.details["entry_point"]
    # The https entry point's certificate is a file from the node's disk: assumed to cover the address.
    assert "assumed to cover" in controller.details["tls"]["certificate"]


def test_004_traefik_https_backend_500_without_insecure_skip_verify() -> None:
    """Report 004, "代理https后端": whether the client uses http or https, Traefik answers 500 while it does not
    verify... trust the dashboard's self-signed certificate; insecureSkipVerify fixes it (traefik#T48, #T31)."""
    docs = objects()
    ok = Engine(docs).route(f"GET https://{NODE}/k8s/")
    assert ok.status == 200 and ok.upstream and ok.upstream["path"] == "/"
    config = of_kind(docs, "ConfigMap")
    config["data"]["traefik.toml"] = config["data"]["traefik.toml"].replace("InsecureSkipVerify = true\n", "")
    engine = Engine(docs)
    for url in (f"http://{NODE}/k8s/", f"https://{NODE}/k8s/"):
        rt = engine.route(f"GET {url}")
        assert rt.status == 500, url
        controller, last = rt.hops[3], rt.hops[-1]
        assert {"traefik#T48", "traefik#T30", "traefik#T31"} <= set(controller.rules)
        assert "https://kubernetes-dashboard.kubernetes-dashboard.svc.cluster.local" in controller.details["upstream"]
        # The ExternalName Service ends the path: the handshake fails there.
        assert (last.component, last.outcome, last.status) == ("service", "tls-error", None)
        diagnosis = next(d for d in rt.diagnoses if d.code == "TRAEFIK_BACKEND_CERT_UNTRUSTED")
        assert diagnosis.severity == "error" and "insecureSkipVerify" in diagnosis.fix


def test_004_traefik_relative_assets_without_the_trailing_slash() -> None:
    """Report 004, "基于path路由": at https://NODE/k8s PathPrefixStrip sends / to the dashboard, whose page names its
    assets relatively; they resolve to /styles.css etc., which no frontend matches: 404 (traefik#T40), the browser
    refuses the stylesheet. At /k8s/ they resolve under the prefix and load."""
    page, *assets = journey("no-trailing-slash")
    assert steps([page]) == [("start", "GET", f"https://{NODE}/k8s", 200)]
    assert page["upstream"]["path"] == "/"
    assert page["upstream"]["headers"]["X-Forwarded-Prefix"] == "/k8s"
    assert steps(assets) == [("asset", "GET", f"https://{NODE}/{name}", 404) for name in ASSETS]
    assert [a["blocked"] for a in assets] == ["status"] * 4
    assert all("TRAEFIK_NO_ROUTER_MATCHES" in codes(a) and a["upstream"] is None for a in assets)
    slashed = Engine(objects()).journey({"journey": {"start": f"https://{NODE}/k8s/"}}).to_dict()["requests"]
    assert [(r["request"]["url"], r["status"], r["blocked"]) for r in slashed[1:]] == [
        (f"https://{NODE}/k8s/{name}", 200, None) for name in ASSETS]
    assert [r["upstream"]["path"] for r in slashed[1:]] == [f"/{name}" for name in ASSETS]


def test_004_traefik_secure_cookie_dropped_over_http() -> None:
    """Report 004, "dashboard认证": the token login over http does nothing: jweToken is Secure, the browser drops it
    from an http response, the API answers 401. Over https the cookie is kept and sent."""
    login = journey("http-login")
    assert steps(login) == [
        ("start", "POST", f"http://{NODE}/k8s/api/v1/login", 200),
        ("asset", "GET", f"http://{NODE}/k8s/api/v1/login/status", 200),
        ("asset", "GET", f"http://{NODE}/k8s/api/v1/namespace", 401),
    ]
    assert [r["cookies_sent"] for r in login] == [[], [], []]
    assert "SECURE_COOKIE_OVER_HTTP" in codes(login[2])
    assert login[2]["hops"][3]["component"] == "controller" and login[2]["hops"][3]["status"] == 401
    green = journey("https-login")
    assert [r["status"] for r in green] == [200, 200, 200]
    assert [r["cookies_sent"] for r in green] == [[], ["jweToken"], ["jweToken"]]


def test_004_traefik_redirect_entry_point_keeps_the_path_with_port_443() -> None:
    """Report 004's fix: redirect-entry-point: https. The Location carries the https entry point's port literally
    and the path from before PathPrefixStrip (traefik#T43); the login over http then ends up over https."""
    docs = objects()
    of_kind(docs, "Ingress")["metadata"]["annotations"]["traefik.ingress.kubernetes.io/redirect-entry-point"] = "https"
    engine = Engine(docs)
    rt = engine.route(f"GET http://{NODE}/k8s/")
    assert (rt.status, rt.response_headers["location"]) == (302, f"https://{NODE}:443/k8s/")
    requests = engine.journey({"journey": {"start": f"http://{NODE}/k8s/api/v1/login", "method": "POST",
                                           "headers": {"Content-Type": "application/json"}}}).to_dict()["requests"]
    assert steps(requests)[:2] == [("start", "POST", f"http://{NODE}/k8s/api/v1/login", 307),
                                   ("redirect", "POST", f"https://{NODE}/k8s/api/v1/login", 200)]
    assert requests[0]["response_headers"]["location"] == f"https://{NODE}:443/k8s/api/v1/login"
    assert [r["status"] for r in requests[2:]] == [200, 200]
    assert requests[-1]["cookies_sent"] == ["jweToken"]


def test_004_traefik_ssl_redirect_drops_the_prefix() -> None:
    """Report 004: "不要使用ingress.kubernetes.io/ssl-redirect: "true",因为会丢掉path" (traefik#T49)."""
    docs = objects()
    of_kind(docs, "Ingress")["metadata"]["annotations"]["ingress.kubernetes.io/ssl-redirect"] = "true"
    rt = Engine(docs).route(f"GET http://{NODE}/k8s/")
    assert (rt.status, rt.response_headers["location"]) == (301, f"https://{NODE}/")
    assert "TRAEFIK_V1_SSL_REDIRECT_LOSES_PATH" in [d.code for d in rt.diagnoses]


def test_004_traefik_external_name_refused_by_traefik_v2_and_v3() -> None:
    """The report's ExternalName Service works with Traefik 1.7; the Ingress provider of v2.4.10 and later refuses
    it unless allowExternalNameServices (traefik#T15), so the same Ingress answers 404 after an upgrade."""
    docs = [o for o in objects() if o["kind"] in ("Service", "Deployment", "Namespace", "AppProfile")
            and o["metadata"]["name"] != "traefik"]
    # PathPrefixStrip becomes a StripPrefix Middleware named by the Ingress (traefik#T19, #T20).
    strip = middleware("strip-k8s", {"stripPrefix": {"prefixes": ["/k8s"]}})
    upgraded = ingress("kubernetes-dashboard", [("/k8s", "Prefix", "kubernetes-dashboard", 443)], host=None,
                       annotations={"traefik.ingress.kubernetes.io/router.middlewares": "default-strip-k8s@kubernetescrd"})
    rt = Engine([*traefik(), *docs, strip, upgraded]).route("GET https://example.com/k8s/")
    assert rt.status == 404 and "TRAEFIK_EXTERNAL_NAME_REFUSED" in [d.code for d in rt.diagnoses]
    assert rt.route is None and rt.hops[-1].component == "controller"
    allowed = traefik("--providers.kubernetesingress.allowExternalNameServices=true",
                      "--serversTransport.insecureSkipVerify=true")
    ok = Engine([*allowed, *docs, strip, upgraded]).route("GET https://example.com/k8s/")
    assert ok.status == 200 and ok.upstream and ok.upstream["path"] == "/"


# -- the corpus --------------------------------------------------------------------------------------------------


def _traefik_files() -> list[str]:
    """Corpus files with a Traefik resource or a traefik-class Ingress."""
    out = []
    for rel in corpus_files():
        if rel in REFUSED:
            continue
        text = (CORPUS / rel).read_text(encoding="utf-8", errors="replace")
        if any(k in text for k in ("kind: IngressRoute", "kind: Middleware", "traefik.io/ingress-controller",
                                   "ingress.class: traefik", "ingressClassName: traefik")):
            out.append(rel)
    return out


def test_the_corpus_has_traefik_files() -> None:
    assert _traefik_files(), "no corpus file with a Traefik resource or class"


@pytest.mark.parametrize("rel", _traefik_files())
def test_every_traefik_corpus_file_compiles_and_routes(rel: str) -> None:
    snapshot = load(rel)
    assert isinstance(snapshot, Snapshot), str(snapshot)
    engine = Engine(snapshot)
    assert any(i.family in ("traefik", "traefik-v1") and i.simulated for i in engine.installations)
    problems: list[str] = []
    for request in requests_for(snapshot):
        problems += check_trace(engine.trace(request).to_dict(), f"{rel} {request}")
    assert not problems, "\n".join(problems[:10])


@pytest.mark.parametrize("rel", [r for r in corpus_files() if r not in REFUSED])
def test_every_corpus_file_routes_through_both_traefik_families(rel: str) -> None:
    snapshot = load(rel)
    assert isinstance(snapshot, Snapshot), str(snapshot)
    problems: list[str] = []
    for controller in ("traefik", "traefik-v1"):
        try:
            engine = Engine(snapshot, controller=controller)
        except TracerError:
            continue
        for request in requests_for(snapshot):
            data = engine.trace(request).to_dict()
            assert data["requests"][0]["controller"] == controller
            problems += check_trace(data, f"{controller} {request}")
    assert not problems, "\n".join(problems[:10])


# -- cost ----------------------------------------------------------------------------------------------------------


def test_routing_is_indexed_on_a_large_snapshot() -> None:
    """10k routes (half Ingresses, half IngressRoutes) with their Services and pods: a request costs a few dict
    look-ups, not a scan over the routes. The bound is loose (tracer's aim is 150 µs on a developer machine)."""
    n = 10_000
    docs = traefik()
    for i in range(n):
        docs += app(f"s{i}", pods=False)
        docs.append({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}", "namespace": "default",
                     "labels": {"app": f"s{i}"}}, "spec": {"containers": [{"name": "c"}]},
                     "status": {"podIP": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}",
                                "conditions": [{"type": "Ready", "status": "True"}]}})
        if i % 2:
            docs.append(ingress_route(f"r{i}", [route(f"Host(`app-{i}.example.com`) && PathPrefix(`/api`)", f"s{i}")]))
        else:
            docs.append(ingress(f"i{i}", [("/", "Prefix", f"s{i}", 80)], host=f"app-{i}.example.com"))
    engine = Engine(docs, controller="traefik")
    table = engine.table
    assert table is not None
    rnd = random.Random(1)
    requests = [parse_request(f"GET http://app-{rnd.randrange(n)}.example.com/api/x") for _ in range(1000)]
    for r in requests[:50]:
        table.route(r)
    start = time.perf_counter()
    statuses = {table.route(r).status for r in requests}
    per_request = (time.perf_counter() - start) / len(requests)
    assert statuses == {200}
    assert per_request < 0.002, f"{per_request * 1e6:.0f} µs per request"
