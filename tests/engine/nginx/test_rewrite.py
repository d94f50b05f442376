"""ingress-nginx#4: rewrite-target, x-forwarded-prefix, app-root."""

from .builders import backend, codes, compile_, ingress, ingress_class, path, route

HOST = "http://shop.example.com"


def _table(p, target, ptype="ImplementationSpecific", **ann):
    annotations = {"rewrite-target": target, **ann}
    return compile_(ingress_class(), ingress("web", paths=[path(p, ptype=ptype)], annotations=annotations),
                    backend())


def test_4_1_capture_groups_canonical_example():
    t = _table("/something(/|$)(.*)", "/$2")
    assert route(t, f"GET {HOST}/something").upstream["path"] == "/"
    assert route(t, f"GET {HOST}/something/").upstream["path"] == "/"
    assert route(t, f"GET {HOST}/something/new").upstream["path"] == "/new"
    assert route(t, f"GET {HOST}/somethingelse").status == 404


def test_4_1_query_string_appended():
    t = _table("/api(/|$)(.*)", "/$2")
    r = route(t, f"GET {HOST}/api/items?page=2")
    assert r.upstream["path"] == "/items?page=2"
    assert r.hops[0].changes["path"] == {"before": "/api/items?page=2", "after": "/items?page=2"}


def test_4_1_fixed_target_swallows_sub_path():
    t = _table("/something", "/", ptype="Prefix")
    r = route(t, f"GET {HOST}/something/x")
    assert r.upstream["path"] == "/"
    assert "REWRITE_WITHOUT_CAPTURE_GROUP" in codes(r)


def test_4_1_rewrite_regex_is_case_insensitive():
    t = _table("/API(/|$)(.*)", "/v1/$2")
    assert route(t, f"GET {HOST}/api/users").upstream["path"] == "/v1/users"


def test_4_1_rewrite_switches_host_to_regex_mode():
    t = _table("/app", "/", ptype="Prefix")
    r = route(t, f"GET {HOST}/application")
    assert r.status == 200  # ^/app matches /application in regex mode
    assert "rewrite-target on shop/web" in r.hops[0].decision


def test_4_1_rewritten_uri_is_escaped_for_upstream():
    t = _table("/a(/|$)(.*)", "/$2")
    assert route(t, f"GET {HOST}/a/b%20c").upstream["path"] == "/b%20c"


def test_4_1_named_captures():
    t = _table("/u/(?<id>[0-9]+)", "/users/$id")
    assert route(t, f"GET {HOST}/u/42").upstream["path"] == "/users/42"


def test_4_2_x_forwarded_prefix_needs_a_rewrite():
    t = _table("/api(/|$)(.*)", "/$2", **{"x-forwarded-prefix": "/api"})
    r = route(t, f"GET {HOST}/api/x")
    assert {k.lower(): v for k, v in r.upstream["headers"].items()}.get("x-forwarded-prefix") == "/api"
    plain = compile_(ingress_class(), ingress("web", annotations={"x-forwarded-prefix": "/api"}), backend())
    r = route(plain, f"GET {HOST}/x")
    assert "x-forwarded-prefix" not in {k.lower() for k in r.upstream["headers"]}


def test_4_3_app_root_redirects_exact_root_only():
    t = compile_(ingress_class(), ingress("web", annotations={"app-root": "/foo"}), backend())
    r = route(t, {"url": "http://shop.example.com/", "headers": {"Host": "shop.example.com:8080"}})
    assert r.status == 302
    assert r.response_headers["location"] == "http://shop.example.com:8080/foo"
    assert route(t, f"GET {HOST}/bar").status == 200
