"""ingress-nginx#5: HTTPS redirects, permanent/temporal redirects."""

from .builders import backend, codes, compile_, configmap, controller, ingress, ingress_class, path, route

HOST = "shop.example.com"
TLS = [{"hosts": [HOST], "secretName": "shop-tls"}]


def _table(annotations=None, tls=TLS, cm=None, paths=None):
    objs = [ingress_class(), ingress("web", paths=paths, annotations=annotations, tls=tls), backend()]
    if cm:
        objs += [controller(), configmap(cm)]
    return compile_(*objs)


def test_5_1_ssl_redirect_drops_trailing_slash():
    r = route(_table(), f"GET http://{HOST}/foo/")
    assert r.status == 308
    assert r.response_headers["location"] == f"https://{HOST}/foo"


def test_5_1_ssl_redirect_keeps_query_and_drops_port():
    r = route(_table(), {"url": f"http://{HOST}/a?b=1", "headers": {"Host": f"{HOST}:8080"}})
    assert r.response_headers["location"] == f"https://{HOST}/a?b=1"


def test_5_1_preserve_trailing_slash():
    r = route(_table({"preserve-trailing-slash": "true"}), f"GET http://{HOST}/foo/")
    assert r.response_headers["location"] == f"https://{HOST}/foo/"


def test_5_1_no_tls_no_redirect_unless_forced():
    assert route(_table(tls=None), f"GET http://{HOST}/").status == 200
    r = route(_table({"force-ssl-redirect": "true"}, tls=None), f"GET http://{HOST}/")
    assert r.status == 308


def test_5_1_ssl_redirect_false_disables():
    assert route(_table({"ssl-redirect": "false"}), f"GET http://{HOST}/").status == 200


def test_5_1_http_redirect_code_from_configmap():
    r = route(_table(cm={"http-redirect-code": "301"}), f"GET http://{HOST}/x")
    assert r.status == 301


def test_5_1_acme_challenge_is_not_redirected():
    t = _table(paths=[path("/.well-known/acme-challenge"), path("/")])
    assert route(t, f"GET http://{HOST}/.well-known/acme-challenge/tok").status == 200


def test_5_1_forwarded_proto_trusted_only_with_use_forwarded_headers():
    req = {"url": f"http://{HOST}/", "headers": {"X-Forwarded-Proto": "https"}}
    loop = route(_table({"force-ssl-redirect": "true"}), req)
    assert loop.status == 308
    assert "HTTPS_REDIRECT_LOOP" in codes(loop)


def test_5_2_permanent_redirect_verbatim_default_301():
    r = route(_table({"permanent-redirect": "https://new.example.com/x"}, tls=None), f"GET http://{HOST}/a?q=1")
    assert r.status == 301
    assert r.response_headers["location"] == "https://new.example.com/x"


def test_5_2_permanent_redirect_beats_https_redirect():
    r = route(_table({"permanent-redirect": "https://new.example.com/"}), f"GET http://{HOST}/")
    assert r.status == 301


def test_5_2_temporal_redirect_wins_with_code():
    ann = {"temporal-redirect": "https://t.example.com/", "temporal-redirect-code": "307",
           "permanent-redirect": "https://p.example.com/"}
    r = route(_table(ann, tls=None), f"GET http://{HOST}/")
    assert r.status == 307
    assert r.response_headers["location"] == "https://t.example.com/"


def test_5_2_relative_redirect_made_absolute():
    r = route(_table({"permanent-redirect": "/new-location"}, tls=None), f"GET http://{HOST}/")
    assert r.response_headers["location"] == f"http://{HOST}/new-location"
    r = route(_table({"permanent-redirect": "/new-location", "relative-redirects": "true"}, tls=None),
              f"GET http://{HOST}/")
    assert r.response_headers["location"] == "/new-location"
