"""ingress-nginx#0: stage order, hops and the RequestTrace fields."""

from tracer.engine.api import Engine

from .builders import backend, codes, compile_, configmap, controller, ingress, ingress_class, path, route, snapshot

HOST = "http://shop.example.com"


def test_0_p2_request_line_too_long_is_414():
    t = compile_(ingress_class(), ingress("web"), backend())
    assert route(t, f"GET {HOST}/" + "a" * 9000).status == 414


def test_0_p2_header_too_large_is_400():
    t = compile_(ingress_class(), ingress("web"), backend())
    r = route(t, {"url": f"{HOST}/", "headers": {"Cookie": "a=" + "b" * 9000}})
    assert r.status == 400


def test_0_p2_underscore_headers_dropped():
    t = compile_(ingress_class(), ingress("web"), backend())
    r = route(t, {"url": f"{HOST}/", "headers": {"X_Custom": "1"}})
    assert r.status == 200
    assert "X_Custom" in r.hops[0].changes["headers_dropped"]


def test_0_p5_body_too_large_413_before_redirects():
    body = ingress("web", annotations={"proxy-body-size": "1k", "permanent-redirect": "https://x.example.com/"})
    t = compile_(ingress_class(), body, backend())
    r = route(t, {"method": "POST", "url": f"{HOST}/", "body_bytes": 5000})
    assert r.status == 413


def test_0_p7_zero_endpoints_503_before_auth():
    body = ingress("web", annotations={"whitelist-source-range": "10.0.0.0/8"})
    r = route(compile_(ingress_class(), body), f"GET {HOST}/")
    assert r.status == 503


def test_9_1_allowlist_403():
    body = ingress("web", annotations={"whitelist-source-range": "10.0.0.0/8"})
    t = compile_(ingress_class(), body, backend())
    assert route(t, {"url": f"{HOST}/", "client_ip": "203.0.113.5"}).status == 403
    assert route(t, {"url": f"{HOST}/", "client_ip": "10.1.2.3"}).status == 200


def test_6_4_denied_location_is_503():
    body = ingress("web", annotations={"whitelist-source-range": "not-a-cidr"})
    assert route(compile_(ingress_class(), body, backend()), f"GET {HOST}/").status == 503


def test_0_controller_hop_and_trace_fields():
    objs = [ingress_class(), controller(), configmap({}), ingress("web", paths=[path("/", "web")]), backend()]
    r = route(compile_(*objs), f"GET {HOST}/a?b=1")
    hop = r.hops[0]
    assert hop.component == "controller"
    assert hop.name == "ingress-nginx (ingress-nginx/ingress-nginx-controller)"
    assert hop.decision == 'server shop.example.com, location "/"'
    kinds = [o["kind"] for o in hop.objects]
    assert kinds[0] == "Ingress" and "IngressClass" in kinds and "ConfigMap" in kinds
    assert r.route == {"kind": "Ingress", "namespace": "shop", "name": "web", "rule": "spec.rules[0].http.paths[0]"}
    assert r.pod == {"namespace": "shop", "name": "web-0", "ip": "10.0.0.1", "port": 8080}
    assert r.upstream["path"] == "/a?b=1"
    assert [h.component for h in r.hops] == ["controller", "service", "endpoints", "pod"]
    assert all(h.status == 200 for h in r.hops)


def test_8_2_websocket_notes_read_timeout():
    body = ingress("web", annotations={"proxy-read-timeout": "30"})
    r = route(compile_(ingress_class(), body, backend()), "GET ws://shop.example.com/socket")
    assert "30s" in r.hops[0].details["websocket"]
    assert "WEBSOCKET_IDLE_TIMEOUT" in codes(r)


def test_engine_end_to_end():
    engine = Engine(snapshot(ingress_class(), ingress("web"), backend()), controller="ingress-nginx")
    trace = engine.trace("GET http://shop.example.com/")
    final = trace.final
    assert final.status == 200
    assert final.controller == "ingress-nginx"
    assert "controller" in [h.component for h in final.hops]


def test_9_2_basic_auth_401_with_realm_and_missing_secret_503():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "basic", "namespace": "shop"},
              "data": {"auth": "Zm9vOiRhcHIxJA=="}}
    ann = {"auth-type": "basic", "auth-secret": "basic", "auth-realm": "Hi"}
    r = route(compile_(ingress_class(), ingress("web", annotations=ann), backend(), secret), f"GET {HOST}/")
    assert r.status == 401
    assert r.response_headers["www-authenticate"] == 'Basic realm="Hi"'
    ann["auth-secret"] = "missing"
    assert route(compile_(ingress_class(), ingress("web", annotations=ann), backend()), f"GET {HOST}/").status == 503


def test_9_3_external_auth_adds_an_auth_hop():
    ann = {"auth-url": "http://auth.shop.svc/check"}
    r = route(compile_(ingress_class(), ingress("web", annotations=ann), backend()), f"GET {HOST}/")
    assert "auth" in [h.component for h in r.hops]


def test_12_2_affinity_cookie_path_is_ingress_path():
    body = ingress("web", paths=[path("/something")], annotations={"affinity": "cookie"})
    r = route(compile_(ingress_class(), body, backend()), "GET https://shop.example.com/something/x")
    assert "Path=/something" in r.response_headers["set-cookie"]
