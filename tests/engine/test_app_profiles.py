"""AppProfiles: what a backend answers, matched on the request as the pod receives it (docs/app-profiles.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tracer.engine import LoadError, OptionError, RequestTrace, trace

ROOT = Path(__file__).resolve().parents[2]

APP = [
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
     "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
     "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
              "template": {"metadata": {"labels": {"app": "web", "tier": "front"}},
                           "spec": {"containers": [{"name": "web", "image": "web",
                                                    "ports": [{"containerPort": 8080}]}]}}}},
]


def ingress(annotations: dict[str, str] | None = None, path: str = "/", path_type: str = "Prefix") -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "web", "namespace": "shop", "annotations": annotations or {}},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "shop.example.com", "http": {"paths": [
            {"path": path, "pathType": path_type,
             "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]},
    }


def profile(spec: dict[str, Any], name: str = "web", namespace: str = "shop") -> dict[str, Any]:
    spec = {"selector": {"service": "web"}, **spec}
    return {"apiVersion": "tracer.dev/v1alpha1", "kind": "AppProfile",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def route(request: Any, routes: list[dict[str, Any]] | None = None, *, manifests: list[Any] | None = None,
          controller: str = "ingress-nginx", **spec: Any) -> RequestTrace:
    objects = [*APP, ingress()] if manifests is None else manifests
    doc = profile({"routes": routes or [], **spec})
    return trace(objects, request, controller=controller, app_profiles=[doc]).final


def status(request: Any, routes: list[dict[str, Any]], **spec: Any) -> int | None:
    return route(request, routes, **spec).status


def test_without_a_profile_the_app_is_assumed_to_answer_200() -> None:
    final = trace([*APP, ingress()], "GET http://shop.example.com/x", controller="ingress-nginx").final
    assert final.status == 200
    assert final.hops[-1].summary.endswith("no app profile: assumed the app answers 200")
    assert final.page is None


@pytest.mark.parametrize(
    ("path", "request_path", "want"),
    [
        ({"exact": "/x"}, "/x", 200), ({"exact": "/x"}, "/x/", 404),
        ({"prefix": "/static/"}, "/static/a.js", 200), ({"prefix": "/static/"}, "/static", 404),
        ({"regex": "/api/v[0-9]+"}, "/api/v2/items", 200),
        ({"regex": "/api/v[0-9]+"}, "/x/api/v2", 404),  # anchored at the start of the path
        ({"regex": "^/api/v[0-9]+"}, "/api/v", 404),
    ],
)
def test_path_forms(path: dict[str, str], request_path: str, want: int) -> None:
    assert status(f"GET http://shop.example.com{request_path}", [{"path": path, "respond": {"status": 200}}]) == want


def test_methods_query_headers_and_cookies() -> None:
    r = [{"path": {"prefix": "/"}, "methods": ["POST"], "respond": {"status": 201}}]
    assert status("POST http://shop.example.com/", r) == 201
    assert status("GET http://shop.example.com/", r) == 404
    q = [{"query": {"a": "present", "b": "absent", "c": "3"}, "respond": {"status": 200}}]
    assert status("GET http://shop.example.com/?a=&c=3", q) == 200
    assert status("GET http://shop.example.com/?a=1&b=2&c=3", q) == 404
    assert status("GET http://shop.example.com/?a=1&c=4", q) == 404
    h = [{"headers": {"X-Team": "blue", "x-debug": "absent"}, "respond": {"status": 200}}]
    assert status({"method": "GET", "url": "http://shop.example.com/", "headers": {"x-TEAM": "blue"}}, h) == 200
    assert status({"method": "GET", "url": "http://shop.example.com/",
                   "headers": {"X-Team": "blue", "X-Debug": "1"}}, h) == 404
    c = [{"cookies": {"sid": "present", "lang": "en"}, "respond": {"status": 200}}]
    assert status({"method": "GET", "url": "http://shop.example.com/", "headers": {"Cookie": "sid=1; lang=en"}}, c) == 200
    assert status({"method": "GET", "url": "http://shop.example.com/", "headers": {"Cookie": "lang=en"}}, c) == 404


def test_websocket_routes_match_only_upgrades_and_first_match_wins() -> None:
    r = [{"path": {"exact": "/ws"}, "websocket": True, "respond": {"status": 101}},
         {"path": {"prefix": "/"}, "respond": {"status": 200}},
         {"path": {"exact": "/ws"}, "respond": {"status": 500}}]
    assert status("GET ws://shop.example.com/ws", r) == 101
    assert status("GET http://shop.example.com/ws", r) == 200
    assert status("GET ws://shop.example.com/other", r) == 404  # no route without websocket answers an Upgrade


def test_answer_headers_cookies_page_and_pod_hop() -> None:
    r = [{"path": {"exact": "/"}, "query": {"tkn": "present"},
          "respond": {"status": 302, "headers": {"Location": "/home"},
                      "setCookies": ["tkn={query.tkn}; HttpOnly", "sid=abc; Path=/x"]}},
         {"path": {"exact": "/home"}, "respond": {"contentType": "text/html", "latencyMs": 5,
                                                  "html": {"assets": ["a.js"], "websockets": ["/ws"], "base": "/"}}}]
    final = route("GET http://shop.example.com/?tkn=T1", r)
    assert final.status == 302
    assert final.response_headers["location"] == "/home"
    assert final.response_headers["set-cookie"] == ["tkn=T1; HttpOnly", "sid=abc; Path=/x"]
    pod = final.hops[-1]
    assert pod.component == "pod" and pod.status == 302 and "AppProfile shop/web" in pod.summary
    assert "routes[0]" in pod.summary and "assumed" not in pod.summary
    home = route("GET http://shop.example.com/home", r)
    assert home.response_headers["content-type"] == "text/html"
    assert home.page == {"content_type": "text/html", "html": {"assets": ["a.js"], "websockets": ["/ws"], "base": "/"}}
    assert "page" not in home.to_dict()


def test_default_answer_and_404_without_one() -> None:
    final = route("GET http://shop.example.com/nope", [{"path": {"exact": "/"}, "respond": {}}],
                  default={"status": 418})
    assert final.status == 418
    assert "no route matched: default answer" in final.hops[-1].summary
    assert status("GET http://shop.example.com/nope", [{"path": {"exact": "/"}, "respond": {}}]) == 404


def test_a_port_the_app_does_not_listen_on_refuses_the_connection() -> None:
    final = route("GET http://shop.example.com/", [], ports=[9090], default={"status": 200})
    assert final.status == 502
    assert final.hops[-1].outcome == "refused" and final.hops[-1].status is None
    assert "connection refused" in final.hops[-1].summary
    assert route("GET http://shop.example.com/", [], ports=[8080], default={"status": 200}).status == 200
    spec = route("GET http://shop.example.com/", [], controller="ingress-spec", ports=[9090], default={})
    assert spec.status == 502


def test_the_profile_sees_the_rewritten_upstream_path() -> None:
    objects = [*APP, ingress({"nginx.ingress.kubernetes.io/rewrite-target": "/$2",
                              "nginx.ingress.kubernetes.io/use-regex": "true"},
                             path="/app(/|$)(.*)", path_type="ImplementationSpecific")]
    r = [{"path": {"exact": "/items"}, "respond": {"status": 200}}]
    final = route("GET http://shop.example.com/app/items", r, manifests=objects)
    assert final.upstream is not None and final.upstream["path"] == "/items"
    assert final.status == 200


def test_custom_http_errors_intercept_the_apps_404() -> None:
    objects = [*APP, ingress({"nginx.ingress.kubernetes.io/custom-http-errors": "404"})]
    final = route("GET http://shop.example.com/missing", [], manifests=objects)
    assert final.status == 404  # the built-in default backend re-serves it
    assert "custom-http-errors" in final.hops[3].summary
    assert final.hops[-1].status == 404 and "AppProfile" in final.hops[-1].summary


def test_proxy_redirect_and_cookie_path_rewrite_the_apps_headers() -> None:
    objects = [*APP, ingress({"nginx.ingress.kubernetes.io/proxy-redirect-from": "http://web/",
                              "nginx.ingress.kubernetes.io/proxy-redirect-to": "https://shop.example.com/",
                              "nginx.ingress.kubernetes.io/proxy-cookie-path": "/ /shop/"})]
    r = [{"respond": {"status": 301, "headers": {"Location": "http://web/a"}, "setCookies": ["s=1; Path=/"]}}]
    final = route("GET http://shop.example.com/", r, manifests=objects)
    assert final.response_headers["location"] == "https://shop.example.com/a"
    assert final.response_headers["set-cookie"] == "s=1; Path=/shop/"


def test_selector_by_match_labels_and_by_another_service() -> None:
    labels = profile({"selector": {"matchLabels": {"tier": "front"}}, "default": {"status": 204}})
    final = trace([*APP, ingress(), labels], "GET http://shop.example.com/", controller="ingress-nginx").final
    assert final.status == 204
    other = profile({"selector": {"matchLabels": {"tier": "back"}}, "default": {"status": 204}})
    assert trace([*APP, ingress(), other], "GET http://shop.example.com/", controller="ingress-nginx").final.status == 200
    elsewhere = profile({"selector": {"service": "web"}, "default": {"status": 204}}, namespace="other")
    assert trace([*APP, ingress(), elsewhere], "GET http://shop.example.com/",
                 controller="ingress-nginx").final.status == 200


def test_ingress_spec_uses_the_profile() -> None:
    final = route("GET http://shop.example.com/", [{"path": {"exact": "/"}, "respond": {"status": 302,
                  "headers": {"Location": "/login"}}}], controller="ingress-spec")
    assert final.status == 302 and final.response_headers["location"] == "/login"
    assert final.hops[0].status == 302


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"selector": {}}, "spec.selector"),
        ({"routes": [{"path": {"glob": "/x"}, "respond": {}}]}, "spec.routes[0].path"),
        ({"routes": [{"path": {"regex": "(["}, "respond": {}}]}, "spec.routes[0].path.regex"),
        ({"routes": [{}, {"respond": {"status": 99}}]}, "spec.routes[0].respond"),
        ({"routes": [{"respond": {"status": 999}}]}, "spec.routes[0].respond.status"),
        ({"routes": [{"method": ["GET"], "respond": {}}]}, "spec.routes[0].method"),
        ({"ports": [0]}, "spec.ports[0]"),
        ({"tls": "yes"}, "spec.tls"),
        ({"default": {"html": {"assets": "a.js"}}}, "spec.default.html.assets"),
    ],
)
def test_validation_names_file_document_and_field(spec: dict[str, Any], field: str) -> None:
    doc = profile({**spec})
    with pytest.raises(LoadError) as err:
        trace([*APP, ingress(), doc], "GET http://shop.example.com/", controller="ingress-nginx")
    assert err.value.field == field
    assert err.value.document == 3 and err.value.file


def test_option_errors_and_paths(tmp_path: Path) -> None:
    with pytest.raises(OptionError):
        trace(APP, "GET http://shop.example.com/", app_profiles=42)
    with pytest.raises(OptionError):
        trace(APP, "GET http://shop.example.com/", app_profiles=str(tmp_path / "missing.yaml"))
    with pytest.raises(LoadError) as err:
        trace(APP, "GET http://shop.example.com/", app_profiles=[APP[0]])
    assert err.value.field == "kind"
    bad = tmp_path / "p.yaml"
    bad.write_text("apiVersion: tracer.dev/v1alpha1\nkind: AppProfile\nmetadata: {name: x}\nspec:\n  selector: {}\n")
    with pytest.raises(LoadError) as err:
        trace(APP, "GET http://shop.example.com/", app_profiles=bad)
    assert err.value.file is not None and err.value.file.endswith("p.yaml") and err.value.field == "spec.selector"


def test_the_openvscode_profile_tells_the_field_reports_story() -> None:
    engine_args: dict[str, Any] = {"app_profiles": str(ROOT / "examples/profiles/openvscode-server.yaml")}
    stable = "/stable-487e0b6eb726a84faf6b1a95c68a092fba078fd1"
    first = trace(str(ROOT / "examples/vscode-1-prefix"), "GET http://198.51.100.20/vscode/?tkn=T", **engine_args).final
    assert first.status == 404
    final = str(ROOT / "examples/vscode-6-green")
    login = trace(final, f"GET http://198.51.100.20{stable}/?tkn=T", **engine_args).final
    assert login.status == 302 and login.response_headers["set-cookie"] == "vscode-tkn=T"
    ws = {"method": "GET", "url": f"ws://198.51.100.20{stable}?reconnectionToken=1", "headers": {"Cookie": "vscode-tkn=T"}}
    assert trace(final, ws, **engine_args).final.status == 101
    assert trace(final, f"GET ws://198.51.100.20{stable}?reconnectionToken=1", **engine_args).final.status == 403


def test_the_example_profiles_follow_the_json_schema() -> None:
    import json

    import jsonschema
    import yaml

    schema = json.loads((ROOT / "tracer/engine/schema/appprofile-v1alpha1.schema.json").read_text())
    files = sorted((ROOT / "examples/profiles").glob("*.yaml"))
    assert len(files) == 4
    for f in files:
        for doc in yaml.safe_load_all(f.read_text()):
            jsonschema.validate(doc, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(profile({"routes": [{"path": {"glob": "/"}, "respond": {}}]}), schema)
