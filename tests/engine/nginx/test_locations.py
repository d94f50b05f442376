"""ingress-nginx#3: location generation, order, regex mode, matching."""

from tracer.engine.dataplanes.ingress_nginx.locations import normalise_uri

from .builders import backend, codes, compile_, ingress, ingress_class, path, route

HOST = "http://shop.example.com"


def _table(*paths, annotations=None, extra=()):
    return compile_(ingress_class(), ingress("web", paths=list(paths), annotations=annotations), *extra,
                    backend("web"), backend("other", ip="10.0.0.2"))


def test_3_6_prefix_aaa_does_not_match_aaacccc():
    t = _table(path("/aaa"))
    assert route(t, f"GET {HOST}/aaa").status == 200
    assert route(t, f"GET {HOST}/aaa/").status == 200
    assert route(t, f"GET {HOST}/aaa/cccc").status == 200
    r = route(t, f"GET {HOST}/aaacccc")
    assert r.status == 404
    assert any("did not match Prefix /aaa" in n for n in r.hops[0].near_misses)


def test_3_6_prefix_with_trailing_slash_answers_301():
    t = _table(path("/foo/"))
    r = route(t, f"GET {HOST}/foo?x=1")
    assert r.status == 301
    assert r.response_headers["location"] == "http://shop.example.com/foo/?x=1"
    assert "PREFIX_TRAILING_SLASH_301" in codes(r)


def test_3_1_implementation_specific_behaves_as_prefix():
    t = _table(path("/aaa", ptype="ImplementationSpecific"))
    assert route(t, f"GET {HOST}/aaa/b").status == 200
    assert route(t, f"GET {HOST}/aaab").status == 404


def test_3_5_exact_beats_prefix():
    t = _table(path("/api", "web", ptype="Exact"), path("/api", "other"))
    assert route(t, f"GET {HOST}/api").backend["service"] == "web"
    assert route(t, f"GET {HOST}/api/x").backend["service"] == "other"


def test_3_5_longest_prefix_wins_and_is_case_sensitive():
    t = _table(path("/api", "web"), path("/api/v2", "other"))
    assert route(t, f"GET {HOST}/api/v2/x").backend["service"] == "other"
    assert route(t, f"GET {HOST}/api/v1").backend["service"] == "web"
    assert route(t, f"GET {HOST}/API/v1").status == 404


def test_3_5_uri_normalised_before_matching():
    assert normalise_uri("/a//b/./c/../d") == "/a/b/d"
    assert normalise_uri("/%61pi/x") == "/api/x"
    assert normalise_uri("/a/b/..") == "/a/"
    assert normalise_uri("/..") is None
    assert normalise_uri("/%zz") is None
    t = _table(path("/api", "web"))
    r = route(t, f"GET {HOST}/x/../%61pi//v1")
    assert r.status == 200
    assert r.upstream["path"] == "/x/../%61pi//v1"  # no rewrite: the raw URI goes upstream
    assert route(t, f"GET {HOST}/%zz").status == 400


def test_3_4_regex_mode_is_case_insensitive_and_start_anchored():
    t = _table(path("/id/[0-9]+", ptype="ImplementationSpecific"), annotations={"use-regex": "true"})
    assert route(t, f"GET {HOST}/id/1").status == 200
    assert route(t, f"GET {HOST}/ID/123a").status == 200  # no end anchor
    assert route(t, f"GET {HOST}/id/aaa").status == 404


def test_3_7_end_anchor_and_counted_repetition():
    t = _table(path("/id/[0-9]{3}$", ptype="ImplementationSpecific"), annotations={"use-regex": "true"})
    assert route(t, f"GET {HOST}/id/123").status == 200
    assert route(t, f"GET {HOST}/id/99").status == 404
    assert route(t, f"GET {HOST}/id/9999").status == 404


def test_3_4_regex_mode_exact_is_no_longer_exact():
    t = _table(path("/foo", ptype="Exact"), path("/x(.*)", "other", ptype="ImplementationSpecific"),
               annotations={"use-regex": "true"})
    r = route(t, f"GET {HOST}/foobar")
    assert r.status == 200 and r.backend["service"] == "web"
    assert '~* "^/foo"' in r.hops[0].decision


def test_3_3_regex_mode_is_host_wide_across_ingresses():
    regex = ingress("re", paths=[path("/zz.*", "other", ptype="ImplementationSpecific")],
                    annotations={"use-regex": "true"})
    plain = ingress("plain", paths=[path("/foo", "web")])
    t = compile_(ingress_class(), regex, plain, backend("web"), backend("other", ip="10.0.0.2"))
    r = route(t, f"GET {HOST}/foobar")
    assert r.status == 200  # Prefix /foo became ^/foo
    assert "HOST_REGEX_MODE" in codes(r)
    diag = next(d for d in r.diagnoses if d.code == "HOST_REGEX_MODE")
    assert "shop/re" in diag.message and "shop/plain" in diag.message


def test_3_2_regex_order_by_length_not_specificity():
    t = _table(path("/api/.*", "web", ptype="ImplementationSpecific"),
               path("/api/users", "other", ptype="ImplementationSpecific"), annotations={"use-regex": "true"})
    r = route(t, f"GET {HOST}/api/users")
    assert r.backend["service"] == "other"  # "/api/users" is the longer string
    t = _table(path("/api/u.*", "web", ptype="ImplementationSpecific"),
               path("/api/users/", "other", ptype="ImplementationSpecific"), annotations={"use-regex": "true"})
    r = route(t, f"GET {HOST}/api/users/1")
    assert r.backend["service"] == "other"
    assert "REGEX_ORDER_BY_LENGTH" in codes(r)


def test_3_2_non_service_backend_is_skipped_404():
    resource = {"path": "/static", "pathType": "Prefix",
                "backend": {"resource": {"apiGroup": "k8s.example.com", "kind": "Bucket", "name": "b"}}}
    t = _table(resource)
    assert route(t, f"GET {HOST}/static/x").status == 404


def test_3_2_root_location_inherits_first_ingress_annotations():
    t = _table(path("/foo"), annotations={"permanent-redirect": "https://elsewhere.example.com/"})
    r = route(t, f"GET {HOST}/unmatched")
    assert r.status == 301
    assert r.response_headers["location"] == "https://elsewhere.example.com/"


def test_3_10_duplicate_expanded_prefix_is_a_hazard():
    t = _table(path("/foo", "web"), path("/foo/", "other"))
    r = route(t, f"GET {HOST}/foo/x")
    assert "DUPLICATE_LOCATION" in codes(r)


def test_3_4_regex_timeout_is_reported_not_hung():
    t = _table(path("/(a|aa)+$", ptype="ImplementationSpecific"), annotations={"use-regex": "true"})
    r = route(t, f"GET {HOST}/" + "a" * 60 + "b")
    assert "REGEX_TIMEOUT" in codes(r)


def test_3_5_exact_path_with_trailing_slash_redirects_the_path_without_it():
    # nginx's static location lookup sets auto_redirect for exact locations too
    # (ngx_http_core_find_static_location); the Kubernetes blog's ingress-nginx migration post shows it live.
    t = _table(path("/my-path/", ptype="Exact"))
    r = route(t, f"GET {HOST}/my-path?a=1")
    assert r.status == 301
    assert r.response_headers["location"] == "http://shop.example.com/my-path/?a=1"
    assert "EXACT_TRAILING_SLASH_301" in codes(r)
    assert "PREFIX_TRAILING_SLASH_301" not in codes(r)
    assert route(t, f"GET {HOST}/my-path/").status == 200
    assert route(t, f"GET {HOST}/my-path/x").status == 404
