"""ingress-nginx#2: server selection, catch-all, hostless rules, TLS."""

from .builders import backend, codes, compile_, configmap, controller, ingress, ingress_class, path, route, run


def test_2_1_host_match_ignores_port_case_and_trailing_dot():
    t = compile_(ingress_class(), ingress("web", host="shop.example.com"), backend())
    for host in ("SHOP.example.com:8080", "shop.example.com."):
        r = route(t, {"url": "http://x/", "headers": {"Host": host}})
        assert r.status == 200, host


def test_2_2_exact_beats_wildcard_and_wildcard_matches_one_label():
    t = compile_(
        ingress_class(),
        ingress("wild", host="*.example.com", paths=[path("/", "wild")]),
        ingress("exact", host="shop.example.com", paths=[path("/", "web")]),
        backend("web"), backend("wild", ip="10.0.0.9"),
    )
    assert route(t, "GET http://shop.example.com/").backend["service"] == "web"
    assert route(t, "GET http://a.example.com/").backend["service"] == "wild"
    deep = route(t, "GET http://a.b.example.com/")
    assert deep.status == 404
    assert route(t, "GET http://example.com/").status == 404


def test_2_3_hostless_rules_only_when_no_server_matches():
    t = compile_(
        ingress_class(),
        ingress("host", host="shop.example.com", paths=[path("/foo", "web")]),
        ingress("any", host=None, paths=[path("/bar", "other")]),
        backend("web"), backend("other", ip="10.0.0.2"),
    )
    assert route(t, "GET http://unknown.example.com/bar").backend["service"] == "other"
    miss = route(t, "GET http://shop.example.com/bar")
    assert miss.status == 404
    assert "HOSTLESS_NOT_FALLBACK" in codes(miss)


def test_2_4_healthz_on_catch_all_is_200():
    t = run([ingress_class(), ingress("web"), backend()], "GET http://10.1.2.3/healthz")
    assert t.status == 200
    assert t.hops[0].outcome == "respond"


def test_2_4_catch_all_ingress_default_backend_only_without_rules():
    only = ingress("fallback", rules=[], default_backend="web")
    assert run([ingress_class(), only, backend()], "GET http://nowhere.test/x").status == 200
    both = ingress("mixed", host="shop.example.com", default_backend="web")
    assert run([ingress_class(), both, backend()], "GET http://nowhere.test/x").status == 404


def test_2_5_host_only_rule_uses_ingress_default_backend():
    body = ingress("web", rules=[{"host": "shop.example.com"}], default_backend="web")
    t = run([ingress_class(), body, backend()], "GET http://shop.example.com/anything")
    assert t.status == 200
    assert t.route["rule"] == "spec.defaultBackend"
    body = ingress("web", rules=[{"host": "shop.example.com"}])
    assert run([ingress_class(), body, backend()], "GET http://shop.example.com/anything").status == 404


def test_2_6_missing_secret_uses_default_certificate_and_still_redirects():
    tls = [{"hosts": ["shop.example.com"], "secretName": "missing"}]
    t = compile_(ingress_class(), ingress("web", tls=tls), backend())
    https = route(t, "GET https://shop.example.com/")
    assert https.status == 200
    assert "DEFAULT_CERTIFICATE" in codes(https)
    assert "missing" in https.hops[0].details["tls"]["note"]
    http = route(t, "GET http://shop.example.com/")
    assert http.status == 308


def test_2_6_tls_without_secret_name_still_redirects():
    t = run([ingress_class(), ingress("web", tls=[{"hosts": ["shop.example.com"]}]), backend()],
            "GET http://shop.example.com/")
    assert t.status == 308


def test_2_6_unknown_certificate_contents_assumed_valid():
    secret = {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
              "metadata": {"name": "shop-tls", "namespace": "shop"}}
    tls = [{"hosts": ["shop.example.com"], "secretName": "shop-tls"}]
    t = run([ingress_class(), ingress("web", tls=tls), backend(), secret], "GET https://shop.example.com/")
    assert t.status == 200
    assert "DEFAULT_CERTIFICATE" not in codes(t)
    assert "assumed" in t.hops[0].details["tls"]["note"]


def test_2_6_first_ingress_with_tls_decides_later_ignored():
    first = ingress("a", tls=[{"hosts": ["other.example.com"], "secretName": "x"}], created="2024-01-01T00:00:00Z")
    later = ingress("b", paths=[path("/b")], tls=[{"hosts": ["shop.example.com"], "secretName": "y"}],
                    created="2024-02-01T00:00:00Z")
    t = run([ingress_class(), first, later, backend()], "GET https://shop.example.com/")
    assert "DEFAULT_CERTIFICATE" in codes(t)


def test_5_3_from_to_www_redirect_server():
    body = ingress("web", annotations={"from-to-www-redirect": "true"})
    t = compile_(ingress_class(), body, backend())
    r = route(t, "GET http://www.shop.example.com/foo")
    assert r.status == 308
    assert r.response_headers["location"] == "http://shop.example.com:80/foo"
    r = route(t, "GET https://www.shop.example.com/")
    assert r.response_headers["location"] == "https://shop.example.com:443"


def test_2_2_near_miss_names_the_close_server():
    t = run([ingress_class(), ingress("web"), backend()], "GET http://www.shop.example.com/")
    assert "server shop.example.com: Host www.shop.example.com did not match" in t.hops[0].near_misses


def test_6_7_custom_default_backend_service_answers_unknown_hosts():
    objs = [ingress_class(), controller(["--default-backend-service=ingress-nginx/fallback"]),
            *backend("fallback", ns="ingress-nginx"), ingress("web"), backend()]
    t = run(objs, "GET http://nowhere.test/")
    assert t.status == 200
    assert t.backend["service"] == "fallback"


def test_8_8_hsts_on_https_only():
    t = compile_(ingress_class(), ingress("web"), backend(), configmap({"ssl-redirect": "false"}))
    assert route(t, "GET https://shop.example.com/").response_headers["strict-transport-security"] == (
        "max-age=31536000; includeSubDomains")
    assert "strict-transport-security" not in route(t, "GET http://shop.example.com/").response_headers
