"""ingress-nginx#7: canary by header, value, pattern, cookie and weight."""

from .builders import backend, compile_, ingress, ingress_class, path, route

URL = "http://shop.example.com/"


def _table(canary_ann, *, canary_ready=True, canary_path="/"):
    ann = {"canary": "true", **canary_ann}
    primary = ingress("web", paths=[path("/", "web")])
    canary = ingress("web-canary", paths=[path(canary_path, "web-canary")], annotations=ann)
    objs = [ingress_class(), primary, canary, backend("web")]
    if canary_ready:
        objs += backend("web-canary", ip="10.0.0.7")
    return compile_(*objs, seed=7)


def _svc(t, headers=None):
    return route(t, {"url": URL, "headers": headers or {}}).backend["service"]


def test_7_3_header_always_never():
    t = _table({"canary-by-header": "X-Canary"})
    assert _svc(t, {"X-Canary": "always"}) == "web-canary"
    assert _svc(t, {"X-Canary": "never"}) == "web"
    assert _svc(t, {"X-Canary": "yes"}) == "web"


def test_7_3_header_value_beats_pattern():
    t = _table({"canary-by-header": "X-Canary", "canary-by-header-value": "DoCanary",
                "canary-by-header-pattern": "^Do.*"})
    assert _svc(t, {"X-Canary": "DoCanary"}) == "web-canary"
    assert _svc(t, {"X-Canary": "DoCananry"}) == "web"


def test_7_3_header_value_makes_always_not_special():
    t = _table({"canary-by-header": "X-Canary", "canary-by-header-value": "on"})
    assert _svc(t, {"X-Canary": "always"}) == "web"


def test_7_3_header_pattern():
    t = _table({"canary-by-header": "X-Canary", "canary-by-header-pattern": "^(beta|alpha)$"})
    assert _svc(t, {"X-Canary": "beta"}) == "web-canary"
    assert _svc(t, {"X-Canary": "gamma"}) == "web"


def test_7_3_header_beats_cookie_beats_weight():
    t = _table({"canary-by-header": "X-Canary", "canary-by-cookie": "canary", "canary-weight": "100"})
    assert _svc(t, {"X-Canary": "never", "Cookie": "canary=always"}) == "web"
    assert _svc(t, {"Cookie": "canary=never"}) == "web"
    assert _svc(t, {"Cookie": "canary=always"}) == "web-canary"
    assert _svc(t) == "web-canary"


def test_7_3_weight_split_and_seeded_pick():
    t = _table({"canary-weight": "20"})
    r = route(t, {"url": URL})
    assert r.split == [{"backend": "shop/web-canary:80", "percent": 20.0}, {"backend": "shop/web:80", "percent": 80.0}]
    assert route(t, {"url": URL}).backend == r.backend  # reproducible
    picks = {route(t, {"url": URL + str(i)}).backend["service"] for i in range(60)}
    assert picks == {"web", "web-canary"}


def test_7_3_weight_zero_and_total():
    assert _svc(_table({"canary-weight": "0"})) == "web"
    assert _svc(_table({"canary-weight": "200", "canary-weight-total": "200"})) == "web-canary"


def test_7_3_canary_without_endpoints_falls_back_to_primary():
    t = _table({"canary-by-header": "X-Canary"}, canary_ready=False)
    assert _svc(t, {"X-Canary": "always"}) == "web"


def test_7_1_canary_needs_same_path_and_type():
    t = _table({"canary-by-header": "X-Canary"}, canary_path="/other")
    assert _svc(t, {"X-Canary": "always"}) == "web"


def test_7_1_canary_only_host_is_404():
    canary = ingress("c", host="new.example.com", paths=[path("/", "web-canary")], annotations={"canary": "true"})
    t = compile_(ingress_class(), canary, backend("web-canary"))
    assert route(t, "GET http://new.example.com/").status == 404


def test_7_3_primary_without_endpoints_is_503_even_with_canary():
    canary = ingress("c", paths=[path("/", "web-canary")],
                     annotations={"canary": "true", "canary-by-header": "X-Canary"})
    t = compile_(ingress_class(), ingress("web"), canary, backend("web-canary"))
    r = route(t, {"url": URL, "headers": {"X-Canary": "always"}})
    assert r.status == 503
