"""Journeys: a browser's requests routed one by one through the Engine (docs/journeys.md)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tracer.engine import Engine, LoadError, RequestError, trace
from tracer.engine.textreport import render_text

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tracer/engine/schema/trace-v1.schema.json").read_text(encoding="utf-8"))
PREFIX = "nginx.ingress.kubernetes.io/"
HOST = "notes.example.com"

CLASS = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
         "metadata": {"name": "nginx", "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"}},
         "spec": {"controller": "k8s.io/ingress-nginx"}}
APP = [
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "notes", "namespace": "demo"},
     "spec": {"selector": {"app": "notes"}, "ports": [{"port": 80, "targetPort": 8080}]}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "notes", "namespace": "demo"},
     "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "notes"}},
              "template": {"metadata": {"labels": {"app": "notes"}},
                           "spec": {"containers": [{"name": "notes", "image": "notes:1",
                                                    "ports": [{"containerPort": 8080}]}]}}}},
]
PAGE = {"status": 200, "contentType": "text/html",
        "html": {"assets": ["app.js", "/missing.css"], "websockets": ["/live"]}}
ROUTES: list[dict[str, Any]] = [
    {"path": {"exact": "/live"}, "websocket": True, "cookies": {"sid": "present"}, "respond": {"status": 101}},
    {"path": {"exact": "/live"}, "websocket": True, "respond": {"status": 403}},
    {"path": {"exact": "/login"},
     "respond": {"status": 302, "headers": {"Location": "/app/"}, "setCookies": ["sid=abc; Path=/; HttpOnly"]}},
    {"path": {"exact": "/app/"}, "cookies": {"sid": "present"}, "respond": PAGE},
    {"path": {"exact": "/app/"}, "respond": {"status": 302, "headers": {"Location": "/login"}}},
    {"path": {"exact": "/app/app.js"}, "respond": {"status": 200, "contentType": "application/javascript"}},
    {"path": {"exact": "/loop"}, "respond": {"status": 302, "headers": {"Location": "/loop2"}}},
    {"path": {"exact": "/loop2"}, "respond": {"status": 302, "headers": {"Location": "/loop"}}},
]


def ingress(annotations: dict[str, str] | None = None, tls: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"ingressClassName": "nginx", "rules": [{"host": HOST, "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "notes", "port": {"number": 80}}}}]}}]}
    if tls:
        spec["tls"] = [{"hosts": ["other.example.com"], "secretName": "other-tls"}]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "notes", "namespace": "demo", "annotations": annotations or {}}, "spec": spec}


def app(routes: list[dict[str, Any]] | None = None, **ingress_args: Any) -> list[dict[str, Any]]:
    profile = {"apiVersion": "tracer.dev/v1alpha1", "kind": "AppProfile",
               "metadata": {"name": "notes", "namespace": "demo"},
               "spec": {"selector": {"service": "notes"}, "ports": [8080], "routes": routes or ROUTES,
                        "default": {"status": 404}}}
    return [CLASS, ingress(**ingress_args), *APP, profile]


def journey(manifests: Any, path: str = "/login", **spec: Any) -> dict[str, Any]:
    url = path if "://" in path else f"http://{HOST}{path}"
    return trace(manifests, {"journey": {"start": url, **spec}}).to_dict()


def steps(d: dict[str, Any]) -> list[tuple[int, str, str, int | None, int | None]]:
    return [(r["step"]["index"], r["step"]["cause"], r["request"]["url"].split(HOST, 1)[-1], r["status"],
             r["step"]["parent"]) for r in d["requests"]]


def with_controller(service_annotations: dict[str, str]) -> list[dict[str, Any]]:
    """The made-up app behind the seed stories' ingress-nginx install (a LoadBalancer Service)."""
    docs = list(yaml.safe_load_all((ROOT / "examples/vscode-1-prefix/ingress-nginx.yaml").read_text()))
    docs = [copy.deepcopy(d) for d in docs if d]
    for d in docs:
        if d["kind"] == "Service":
            d["metadata"].setdefault("annotations", {}).update(service_annotations)
    return [d for d in docs if d["kind"] != "IngressClass"] + app(annotations={PREFIX + "proxy-read-timeout": "3600"})


def test_seed_story_000_stage_1_as_a_journey_ends_at_the_apps_404() -> None:
    t = trace(ROOT / "examples/vscode-1-prefix", {"journey": {"start": "http://198.51.100.20/vscode/?tkn=T"}},
              app_profiles=str(ROOT / "examples/profiles/openvscode-server.yaml"))
    d = t.to_dict()
    assert [(r["step"]["cause"], r["status"]) for r in d["requests"]] == [("start", 404)]
    assert d["requests"][0]["cookies_sent"] == [] and d["requests"][0]["upstream"]["path"] == "/vscode/?tkn=T"
    assert not t.ok


def test_login_redirect_sets_a_cookie_then_the_page_loads_assets_then_its_websocket() -> None:
    d = journey(app())
    assert steps(d) == [(1, "start", "/login", 302, None), (2, "redirect", "/app/", 200, 1),
                        (3, "asset", "/app/app.js", 200, 2), (4, "asset", "/missing.css", 404, 2),
                        (5, "websocket", "/live", 101, 2)]
    rs = d["requests"]
    assert [r["cookies_sent"] for r in rs] == [[], ["sid"], ["sid"], ["sid"], ["sid"]]
    assert [r.get("blocked", "absent") for r in rs] == ["absent", "absent", None, "status", "absent"]
    assert rs[4]["websocket"] == {"opened": True, "closed_after_s": None, "close_code": None}
    assert rs[4]["request"]["url"] == f"ws://{HOST}/live"
    jsonschema.validate(d, SCHEMA)


def test_single_request_traces_carry_no_journey_fields() -> None:
    rt = trace(app(), f"GET http://{HOST}/login").to_dict()["requests"][0]
    assert not {"step", "cookies_sent", "blocked", "websocket"} & set(rt)


def test_journey_headers_go_on_the_start_request_only_and_preset_cookies_are_sent() -> None:
    d = journey(app(), headers={"X-Debug": "1"}, cookies={"theme": "dark"})
    heads = [r["request"]["headers"] for r in d["requests"]]
    assert heads[0]["X-Debug"] == "1" and all("X-Debug" not in h for h in heads[1:])
    assert d["requests"][0]["cookies_sent"] == ["theme"] and d["requests"][1]["cookies_sent"] == ["theme", "sid"]


def test_a_refused_script_keeps_the_pages_websockets_closed() -> None:
    routes = [*ROUTES]
    routes[5] = {"path": {"exact": "/app/app.js"}, "respond": {"status": 200, "contentType": "image/png"}}
    d = journey(app(routes))
    assert [r["step"]["cause"] for r in d["requests"]] == ["start", "redirect", "asset", "asset"]
    assert d["requests"][2]["blocked"] == "mime"


def test_a_refused_handshake_keeps_the_proxy_status_and_reports_1006() -> None:
    assert steps(journey(app(), "/app/", followRedirects=False)) == [(1, "start", "/app/", 302, None)]
    assert journey(app(), loadAssets=False)["requests"][-1]["websocket"]["opened"] is True
    routes = [r for r in ROUTES if r["respond"].get("status") != 101]
    ws = journey(app(routes), loadAssets=False)["requests"][-1]
    assert ws["status"] == 403 and ws["error"] is None
    assert ws["websocket"] == {"opened": False, "closed_after_s": 0.0, "close_code": 1006}


def test_an_idle_websocket_is_cut_by_the_default_proxy_read_timeout() -> None:
    manifests = app()
    t = trace(manifests, {"journey": {"start": f"http://{HOST}/login", "idleSeconds": 120}})
    ws = t.to_dict()["requests"][-1]
    assert ws["status"] == 101 and ws["error"] == "websocket-closed"
    assert ws["websocket"] == {"opened": True, "closed_after_s": 60.0, "close_code": 1006}
    cut = [x for x in ws["diagnoses"] if x["code"] == "WEBSOCKET_CLOSED_IDLE"]
    assert cut and "proxy-read-timeout 60 s" in cut[0]["message"]
    assert [h["outcome"] for h in ws["hops"] if h["component"] == "controller"] == ["websocket-closed"]
    assert not t.ok
    assert journey(manifests, idleSeconds=30)["requests"][-1]["websocket"]["close_code"] is None


def test_a_timeout_written_with_a_unit_is_ignored_so_the_default_cuts_the_socket() -> None:
    d = journey(app(annotations={PREFIX + "proxy-read-timeout": "3600s"}), idleSeconds=600)
    assert d["requests"][-1]["websocket"]["closed_after_s"] == 60.0
    d = journey(app(annotations={PREFIX + "proxy-read-timeout": "3600"}), idleSeconds=600)
    assert d["requests"][-1]["websocket"]["close_code"] is None and d["requests"][-1]["error"] is None


def test_the_aws_load_balancer_idle_timeout_cuts_before_a_longer_read_timeout() -> None:
    annotation = "service.beta.kubernetes.io/aws-load-balancer-connection-idle-timeout"
    manifests = with_controller({annotation: "300"})
    d = trace(manifests, {"journey": {"start": f"http://{HOST}/login", "idleSeconds": 900,
                                      "via": "198.51.100.20"}}).to_dict()
    ws = d["requests"][-1]
    assert ws["websocket"]["closed_after_s"] == 300.0 and ws["error"] == "websocket-closed"
    cut = next(x for x in ws["diagnoses"] if x["code"] == "WEBSOCKET_CLOSED_IDLE")
    assert "AWS load balancer of Service ingress-nginx/ingress-nginx-controller" in cut["message"]
    assert [h["outcome"] for h in ws["hops"] if h["component"] == "load-balancer"] == ["websocket-closed"]


def test_a_redirect_loop_stops_the_journey_with_an_error() -> None:
    d = journey(app(), "/loop")
    assert steps(d) == [(1, "start", "/loop", 302, None), (2, "redirect", "/loop2", 302, 1)]
    assert d["requests"][-1]["error"] == "redirect-loop"
    assert "REDIRECT_CHAIN_ABANDONED" in {x["code"] for x in d["requests"][-1]["diagnoses"]}


def test_strict_tls_refuses_the_controllers_default_certificate() -> None:
    manifests = app(tls=True)
    relaxed = journey(manifests, f"https://{HOST}/login", loadAssets=False, openWebSockets=False)
    assert relaxed["requests"][0]["status"] == 302
    strict = journey(manifests, f"https://{HOST}/login", strictTLS=True)
    first = strict["requests"][0]
    assert len(strict["requests"]) == 1 and first["status"] is None and first["error"] == "tls-error"
    assert first["hops"][-1]["component"] == "controller" and first["hops"][-1]["outcome"] == "tls-error"
    assert "STRICT_TLS_REFUSED" in {x["code"] for x in first["diagnoses"]}
    jsonschema.validate(strict, SCHEMA)


def test_the_favicon_comes_after_the_first_page_and_its_404_never_fails_the_journey() -> None:
    routes = [r for r in ROUTES if r["path"]["exact"] != "/app/" or "cookies" not in r]
    routes.insert(0, {"path": {"exact": "/app/"}, "respond": {**PAGE, "html": {"assets": ["app.js"]}}})
    t = trace(app(routes), {"journey": {"start": f"http://{HOST}/app/", "favicon": True}})
    d = t.to_dict()
    assert steps(d)[-1] == (3, "asset", "/favicon.ico", 404, 1)
    assert t.ok


def test_mixed_content_is_blocked_without_a_request() -> None:
    routes = [{"path": {"exact": "/"}, "respond": {**PAGE, "html": {"assets": [f"http://{HOST}/app/app.js"],
                                                                   "websockets": ["/live"]}}}, *ROUTES]
    d = journey(app(routes), f"https://{HOST}/")
    asset = d["requests"][1]
    assert asset["blocked"] == "mixed-content" and asset["status"] is None and asset["error"] == "mixed-content"
    assert asset["hops"][0]["component"] == "browser" and len(d["requests"]) == 2
    jsonschema.validate(d, SCHEMA)


def test_the_snapshots_journeys_are_traced_when_no_request_is_given() -> None:
    doc = {"apiVersion": "tracer.dev/v1alpha1", "kind": "Journey", "metadata": {"name": "login"},
           "spec": {"start": f"http://{HOST}/login", "loadAssets": False}}
    d = trace([*app(), doc, {**doc, "metadata": {"name": "loop"}, "spec": {"start": f"http://{HOST}/loop"}}]).to_dict()
    assert [r["step"]["index"] for r in d["requests"]] == [1, 2, 3, 1, 2]
    with pytest.raises(RequestError, match="no Journey document"):
        trace(app())
    assert len(Engine(app()).journey(doc).requests) == 3


def test_journey_field_errors_name_the_field_and_the_document() -> None:
    with pytest.raises(RequestError, match=r"journey\.idleSeconds"):
        trace(app(), {"journey": {"start": f"http://{HOST}/", "idleSeconds": -1}})
    with pytest.raises(RequestError, match=r"journey\.followRedirect:"):
        trace(app(), {"journey": {"start": f"http://{HOST}/", "followRedirect": False}})
    text = "apiVersion: tracer.dev/v1alpha1\nkind: Journey\nmetadata: {name: j}\nspec: {start: 'ftp://x/'}\n"
    with pytest.raises(LoadError) as err:
        trace(text)
    assert err.value.field == "spec.start" and err.value.document is not None


def test_the_text_output_has_one_line_per_request_then_the_failing_hop_table() -> None:
    text = render_text(trace(app(), {"journey": {"start": f"http://{HOST}/login"}}), width=None)
    lines = text.splitlines()
    assert lines[0] == f"journey from http://{HOST}/login: 5 requests, failed"
    assert lines[4].startswith("   4  asset     GET http://notes.example.com/missing.css  ->  404 Not Found")
    assert "blocked" in lines[4] and "open at the end" in lines[5]
    assert "request 4 (the first that failed):" in lines
