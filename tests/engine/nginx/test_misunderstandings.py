"""ingress-nginx#14: each misunderstanding is diagnosed when it applies, and only then."""

from .builders import backend, codes, compile_, ingress, ingress_class, path, route

HOST = "http://shop.example.com"


def test_14_1_rewrite_without_capture_group():
    body = ingress("web", paths=[path("/app")], annotations={"rewrite-target": "/"})
    t = compile_(ingress_class(), body, backend())
    r = route(t, f"GET {HOST}/app/page")
    diag = next(d for d in r.diagnoses if d.code == "REWRITE_WITHOUT_CAPTURE_GROUP")
    assert "(/|$)(.*)" in diag.fix and diag.rule == "ingress-nginx#14.1"
    assert "REWRITE_WITHOUT_CAPTURE_GROUP" not in codes(route(t, f"GET {HOST}/app"))


def test_14_2_host_regex_mode_only_on_that_host():
    regex = ingress("re", paths=[path("/x.*", "web", ptype="ImplementationSpecific")],
                    annotations={"use-regex": "true"})
    plain = ingress("plain", paths=[path("/foo", "web")])
    other = ingress("other", host="other.example.com", paths=[path("/foo", "web")])
    t = compile_(ingress_class(), regex, plain, other, backend())
    assert "HOST_REGEX_MODE" in codes(route(t, f"GET {HOST}/foobar"))
    r = route(t, "GET http://other.example.com/foobar")
    assert r.status == 404 and "HOST_REGEX_MODE" not in codes(r)


def test_14_4_not_found_vs_unavailable_explains_both():
    t = compile_(ingress_class(), ingress("web"))
    assert "NOT_FOUND_VS_UNAVAILABLE" in codes(route(t, f"GET {HOST}/"))
    assert "NOT_FOUND_VS_UNAVAILABLE" in codes(route(t, "GET http://nothing.test/"))
    assert "NOT_FOUND_VS_UNAVAILABLE" not in codes(route(compile_(ingress_class(), ingress("web"), backend()),
                                                         f"GET {HOST}/"))


def test_14_5_websocket_idle_timeout_only_for_upgrades():
    t = compile_(ingress_class(), ingress("web"), backend())
    assert "WEBSOCKET_IDLE_TIMEOUT" in codes(route(t, "GET ws://shop.example.com/"))
    assert "WEBSOCKET_IDLE_TIMEOUT" not in codes(route(t, f"GET {HOST}/"))
    long = compile_(ingress_class(), ingress("web", annotations={"proxy-read-timeout": "3600"}), backend())
    assert "WEBSOCKET_IDLE_TIMEOUT" not in codes(route(long, "GET ws://shop.example.com/"))


def test_14_6_strict_path_validation():
    body = ingress("web", paths=[path("/api/(v1|v2)", ptype="Prefix")])
    r = route(compile_(ingress_class(), body, backend()), f"GET {HOST}/")
    diag = next(d for d in r.diagnoses if d.code == "STRICT_PATH_VALIDATION")
    assert "ImplementationSpecific" in diag.fix


def test_14_7_snippets_disabled():
    body = ingress("web", annotations={"server-snippet": "location /x { return 200; }"})
    r = route(compile_(ingress_class(), body, backend()), f"GET {HOST}/")
    assert r.status == 404
    diag = next(d for d in r.diagnoses if d.code == "SNIPPETS_DISABLED")
    assert "allow-snippet-annotations" in diag.fix and diag.rule == "ingress-nginx#14.7"


def test_14_8_https_redirect_loop_only_with_forwarded_proto():
    body = ingress("web", annotations={"force-ssl-redirect": "true"})
    t = compile_(ingress_class(), body, backend())
    assert "HTTPS_REDIRECT_LOOP" in codes(route(t, {"url": f"{HOST}/", "headers": {"X-Forwarded-Proto": "https"}}))
    assert "HTTPS_REDIRECT_LOOP" not in codes(route(t, f"GET {HOST}/"))


def test_14_9_hostless_not_fallback():
    t = compile_(ingress_class(), ingress("host", paths=[path("/a")]),
                 ingress("any", host=None, paths=[path("/b")]), backend())
    r = route(t, f"GET {HOST}/b")
    diag = next(d for d in r.diagnoses if d.code == "HOSTLESS_NOT_FALLBACK")
    assert "shop/host" in diag.message and "shop/any" in diag.message
    assert "HOSTLESS_NOT_FALLBACK" not in codes(route(t, f"GET {HOST}/zzz/../a"))


def test_14_10_plain_http_to_https_port_only_when_tls_port():
    from .builders import endpoints, service

    objs = [ingress_class(), ingress("web", paths=[path("/", "web", 443)]),
            service(port=443, target=8443, port_name="https"), endpoints(port=8443, port_name="https")]
    assert "PLAIN_HTTP_TO_HTTPS_PORT" in codes(route(compile_(*objs), f"GET {HOST}/"))
    assert "PLAIN_HTTP_TO_HTTPS_PORT" not in codes(route(compile_(ingress_class(), ingress("web"), backend()),
                                                         f"GET {HOST}/"))


def test_3_6_prefix_trailing_slash_301_diagnosed():
    t = compile_(ingress_class(), ingress("web", paths=[path("/docs/")]), backend())
    assert "PREFIX_TRAILING_SLASH_301" in codes(route(t, f"GET {HOST}/docs"))
