"""Traefik v2/v3 behaviour, one rule of docs/rules/traefik.md per test, on small manifests."""

from __future__ import annotations

from typing import Any

import pytest
from traefik_fixtures import (  # tests/engine is on sys.path (no __init__.py)
    Doc,
    app,
    codes,
    controller_hop,
    ingress,
    ingress_route,
    middleware,
    profile,
    route,
    run,
    traefik,
)

from tracer.engine import Engine
from tracer.engine.dataplanes.traefik.ingress_v2 import go_quote
from tracer.engine.dataplanes.traefik.rules import RuleError, RuleRequest, parse_rule, rule_priority

V3 = (3, 6, 0)


def _req(host: str = "example.com", path: str = "/", **kw: Any) -> RuleRequest:
    return RuleRequest(host, path, kw.get("method", "GET"), kw.get("headers", {}), kw.get("query", {}),
                       kw.get("client_ip", "203.0.113.10"))


# -- the rule language (traefik#T7, #T8) -------------------------------------------------------------------


def test_T8_priority_is_the_rule_length_as_written() -> None:
    assert rule_priority('Host("example.com") && PathPrefix("/api")') == 41
    assert rule_priority("PathPrefix(`/api`)") == 18
    # Go's %q: what the Ingress provider writes, backslashes doubled (so they count twice).
    assert go_quote("^[a-z]+\\.example\\.com$") == '"^[a-z]+\\\\.example\\\\.com$"'


def test_T7_v3_matchers_and_operators() -> None:
    rule = parse_rule("Host(`a.com`) && (PathPrefix(`/x`) || !Method(`GET`))", "v3", V3)
    assert rule.hosts == frozenset({"a.com"})
    assert rule.match(_req("a.com", "/x/1"))
    assert not rule.match(_req("a.com", "/y"))
    assert rule.match(_req("a.com", "/y", method="POST"))
    assert not rule.match(_req("b.com", "/x"))
    header = parse_rule('Header(`X-Env`, `beta`) && Query(`v`, `2`)', "v3", V3)
    assert header.match(_req(headers={"x-env": ["beta"]}, query={"v": ["2"]}))
    assert not header.match(_req(headers={"x-env": ["prod"]}, query={"v": ["2"]}))
    # HostRegexp is unanchored unless the pattern anchors it.
    assert parse_rule("HostRegexp(`example`)", "v3", V3).match(_req("www.example.org"))


@pytest.mark.parametrize("bad", ["Host(`a`, `b`)", "Hostt(`a`)", "PathPrefix(`api`)", "Host(`a`", "", "Path(/x)"])
def test_T7_rules_traefik_refuses(bad: str) -> None:
    with pytest.raises(RuleError):
        parse_rule(bad, "v3", V3)


def test_T7_v2_syntax_takes_several_values_and_templates() -> None:
    rule = parse_rule("Host(`a.com`, `b.com`) && PathPrefix(`/api/{id:[0-9]+}`)", "v2", (2, 11, 0))
    assert rule.hosts == frozenset({"a.com", "b.com"})
    assert rule.match(_req("b.com", "/api/42/x"))
    assert not rule.match(_req("b.com", "/api/abc"))
    wildcard = parse_rule("HostRegexp(`{subdomain:[a-z]+}.example.com`)", "v2", (2, 11, 0))
    assert wildcard.match(_req("shop.example.com")) and not wildcard.match(_req("a.b.example.com"))


def test_T8_longer_rule_wins_and_explicit_priority_overrides() -> None:
    docs = traefik() + app("short") + app("long") + [ingress_route("r", [
        route("Host(`example.com`)", "short"),
        route("Host(`example.com`) && PathPrefix(`/`)", "long"),
    ])]
    rt = run(docs, "GET http://example.com/x")
    assert rt.backend and rt.backend["service"] == "long"
    docs[-1]["spec"]["routes"][0]["priority"] = 1000
    assert run(docs, "GET http://example.com/x").backend["service"] == "short"  # type: ignore[index]


def test_T8_equal_priorities_are_a_tie() -> None:
    docs = traefik() + app("one") + app("two") + [ingress_route("r", [
        route("Host(`example.com`) && PathPrefix(`/a`)", "one"),
        route("Host(`example.com`) && PathPrefix(`/b`)", "two"),
        route("Host(`example.com`) && PathPrefix(`/`)", "two"),
    ])]
    rt = run(docs, "GET http://example.com/a")
    # The /a and / rules both match /a, but the /a one is a character longer: no tie.
    assert rt.status == 200 and "TRAEFIK_PRIORITY_TIE" not in codes(rt)
    # A trailing space makes the / rule as long (39): now the order is not defined.
    docs[-1]["spec"]["routes"][2]["match"] = "Host(`example.com`) && PathPrefix(`/x`)"
    docs[-1]["spec"]["routes"][1]["match"] = "Host(`example.com`) && PathPrefix(`/`) "
    tie = run(docs, "GET http://example.com/a")
    assert "TRAEFIK_PRIORITY_TIE" in codes(tie)
    assert next(d for d in tie.diagnoses if d.code == "TRAEFIK_PRIORITY_TIE").severity == "warning"


# -- the Ingress provider (traefik#T1..#T6) ----------------------------------------------------------------------


def test_T3_prefix_is_character_wise() -> None:
    docs = traefik() + app("api") + [ingress("api", [("/api", "Prefix", "api", 80)])]
    rt = run(docs, "GET http://example.com/apix")
    assert rt.status == 200 and rt.route and rt.route["name"] == "api"
    assert "TRAEFIK_PREFIX_CHARACTER_MATCH" in codes(rt)
    assert 'PathPrefix("/api")' in controller_hop(rt).details["router"]["rule"]
    assert "TRAEFIK_PREFIX_CHARACTER_MATCH" not in codes(run(docs, "GET http://example.com/api/v1"))


def test_T3_strict_prefix_matching_from_v3_5() -> None:
    docs = traefik("--providers.kubernetesingress.strictPrefixMatching=true") + app("api") + [
        ingress("api", [("/api", "Prefix", "api", 80)])]
    assert run(docs, "GET http://example.com/apix").status == 404
    assert run(docs, "GET http://example.com/api").status == 200
    assert run(docs, "GET http://example.com/api/v1").status == 200
    rule = controller_hop(run(docs, "GET http://example.com/api")).details["router"]["rule"]
    assert rule == 'Host("example.com") && (Path("/api") || PathPrefix("/api/"))'
    # Before v3.5 the option does not exist: character-wise again.
    old = traefik("--providers.kubernetesingress.strictPrefixMatching=true", image="traefik:v3.4.1") + docs[3:]
    assert run(old, "GET http://example.com/apix").status == 200


def test_T3_exact_and_pathmatcher() -> None:
    docs = traefik() + app("a") + [ingress("a", [("/exact", "Exact", "a", 80)])]
    assert run(docs, "GET http://example.com/exact").status == 200
    assert run(docs, "GET http://example.com/exact/").status == 404
    regex = ingress("r", [("^/v[0-9]+/", "ImplementationSpecific", "a", 80)],
                    annotations={"traefik.ingress.kubernetes.io/router.pathmatcher": "PathRegexp"})
    assert run([*docs, regex], "GET http://example.com/v2/x").status == 200
    bad = ingress("b", [("/bad", "ImplementationSpecific", "a", 80)],
                  annotations={"traefik.ingress.kubernetes.io/router.pathmatcher": "Prefix"})
    rt = run([*docs, bad], "GET http://example.com/bad")
    assert rt.status == 404 and "TRAEFIK_INGRESS_IGNORED" in codes(rt)


def test_T1_ingress_class_and_ingressclass_controller() -> None:
    base = traefik() + app("a")
    other_class = {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"},
                   "spec": {"controller": "k8s.io/ingress-nginx"}}
    mine = ingress("mine", [("/", "Prefix", "a", 80)])
    theirs = ingress("theirs", [("/", "Prefix", "a", 80)], host="other.com", class_name="nginx")
    annotated = ingress("annotated", [("/", "Prefix", "a", 80)], host="ann.com", class_name=None,
                        annotations={"kubernetes.io/ingress.class": "traefik"})
    classless = ingress("classless", [("/", "Prefix", "a", 80)], host="none.com", class_name=None)
    engine = Engine([*base, other_class, mine, theirs, annotated, classless], controller="traefik")
    assert engine.route("GET http://example.com/").status == 200
    assert engine.route("GET http://ann.com/").status == 200
    assert engine.route("GET http://none.com/").status == 200  # the provider's ingressClass is empty
    ignored = engine.route("GET http://other.com/")
    assert ignored.status == 404
    assert next(d for d in ignored.diagnoses if d.code == "TRAEFIK_INGRESS_IGNORED").severity == "info"
    # With the option set, only that class (IngressClass name and annotation value) is read.
    named = traefik("--providers.kubernetesingress.ingressClass=internal") + app("a")
    named[2]["metadata"]["name"] = "internal"
    engine = Engine([*named, annotated, classless, ingress("m", [("/", "Prefix", "a", 80)], class_name="internal")],
                    controller="traefik")
    assert engine.route("GET http://example.com/").status == 200
    assert engine.route("GET http://ann.com/").status == 404
    assert engine.route("GET http://none.com/").status == 404


def test_T4_router_annotations_entrypoints_and_bad_values() -> None:
    docs = traefik() + app("a") + [ingress("a", [("/", "Prefix", "a", 80)], annotations={
        "traefik.ingress.kubernetes.io/router.entrypoints": "websecure"})]
    rt = run(docs, "GET http://example.com/")
    assert rt.status == 404 and "TRAEFIK_ROUTER_OTHER_ENTRYPOINT" in codes(rt)
    assert run(docs, "GET https://example.com/").status == 200
    docs[-1]["metadata"]["annotations"] = {"traefik.ingress.kubernetes.io/router.priority": "high"}
    rt = run(docs, "GET http://example.com/")
    assert rt.status == 404 and "TRAEFIK_INGRESS_IGNORED" in codes(rt)


def test_T6_default_backend_answers_last() -> None:
    default = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "d", "namespace": "default"},
               "spec": {"ingressClassName": "traefik",
                        "defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}}}}
    docs = traefik() + app("a") + app("fallback") + [default, ingress("a", [("/a", "Prefix", "a", 80)])]
    assert run(docs, "GET http://example.com/a").backend["service"] == "a"  # type: ignore[index]
    assert run(docs, "GET http://anything.example/").backend["service"] == "fallback"  # type: ignore[index]


# -- entry points and TLS (traefik#T9..#T11) -----------------------------------------------------------------------


def test_T10_tls_router_serves_only_https() -> None:
    docs = traefik() + app("a") + [ingress_route("r", [route("Host(`example.com`)", "a")], tls={})]
    assert run(docs, "GET https://example.com/").status == 200
    plain = run(docs, "GET http://example.com/")
    assert plain.status == 404 and "TRAEFIK_ROUTER_OTHER_ENTRYPOINT" in codes(plain)
    # Without a certificate covering the name, Traefik presents its default one.
    assert "TLS_HOST_NOT_COVERED" in codes(run(docs, "GET https://example.com/"))
    # A Secret the snapshot does not hold is assumed to exist (its names as the route declares them)...
    docs[-1]["spec"]["tls"] = {"secretName": "example-tls"}
    assert "TLS_HOST_NOT_COVERED" not in codes(run(docs, "GET https://example.com/"))
    # ...unless the snapshot shows Secrets, and not this one: Traefik loads nothing.
    other = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "other", "namespace": "default"},
             "type": "kubernetes.io/tls"}
    assert "TLS_HOST_NOT_COVERED" in codes(run([*docs, other], "GET https://example.com/"))


def test_T9_entry_points_by_port_and_refused_port() -> None:
    docs = traefik() + app("a") + [ingress_route("r", [route("Host(`example.com`)", "a")], entry_points=["web"])]
    rt = run(docs, "GET http://example.com/")
    assert rt.status == 200 and "entry point web" in controller_hop(rt).details["entry_point"]
    assert run(docs, "GET https://example.com/").status == 404  # websecure: not attached
    # A Service port whose targetPort no entry point listens on: the connection is refused.
    docs[1]["spec"]["ports"].append({"name": "metrics", "port": 9100, "targetPort": 9100})
    refused = run(docs, "GET http://example.com:9100/")
    assert refused.error == "connection-refused" and "TRAEFIK_NO_ENTRYPOINT" in codes(refused)


def test_T11_entry_point_redirection() -> None:
    docs = traefik("--entrypoints.web.http.redirections.entrypoint.to=websecure") + app("a") + [
        ingress("a", [("/", "Prefix", "a", 80)])]
    rt = run(docs, "GET http://example.com/x?y=1")
    # websecure listens on :8443 in the pod: Traefik writes that port.
    assert (rt.status, rt.response_headers["location"]) == (301, "https://example.com:8443/x?y=1")
    docs[0]["spec"]["template"]["spec"]["containers"][0]["args"][-1] = "--entrypoints.web.http.redirections.entrypoint.to=:443"
    assert run(docs, "POST http://example.com/x").response_headers["location"] == "https://example.com/x"
    assert run(docs, "POST http://example.com/x").status == 308


# -- the CRD provider (traefik#T12..#T18) -------------------------------------------------------------------------


def test_T13_api_groups_by_version() -> None:
    old = ingress_route("r", [route("Host(`example.com`)", "a")], group="traefik.containo.us")
    v3 = run(traefik() + app("a") + [old], "GET http://example.com/")
    assert v3.status == 404 and "TRAEFIK_INGRESS_IGNORED" in codes(v3)
    assert run(traefik(image="traefik:v2.11.3") + app("a") + [old], "GET http://example.com/").status == 200


def test_T14_cross_namespace_refused_unless_allowed() -> None:
    mw = middleware("strip", {"stripPrefix": {"prefixes": ["/api"]}}, namespace="shared")
    r = ingress_route("r", [route("Host(`example.com`)", "a", middlewares=[{"name": "strip", "namespace": "shared"}])])
    rt = run(traefik() + app("a") + [mw, r], "GET http://example.com/api/x")
    assert rt.status == 404 and "TRAEFIK_CROSS_NAMESPACE_REFUSED" in codes(rt)
    ok = run(traefik("--providers.kubernetescrd.allowCrossNamespace=true") + app("a") + [mw, r],
             "GET http://example.com/api/x")
    assert ok.status == 200 and ok.upstream and ok.upstream["path"] == "/x"
    svc = ingress_route("s", [route("Host(`svc.com`)", "b") | {"services": [{"name": "b", "namespace": "other",
                                                                               "port": 80}]}])
    rt = run(traefik() + app("b", "other") + [svc], "GET http://svc.com/")
    assert rt.status == 404 and "TRAEFIK_CROSS_NAMESPACE_REFUSED" in codes(rt)


def test_T15_external_name_refused_unless_allowed() -> None:
    docs = [*app("ext", external_name="api.example.net"), ingress("e", [("/", "Prefix", "ext", 80)])]
    rt = run(traefik() + docs, "GET http://example.com/")
    assert rt.status == 404 and "TRAEFIK_EXTERNAL_NAME_REFUSED" in codes(rt)
    ok = run(traefik("--providers.kubernetesingress.allowExternalNameServices=true") + docs, "GET http://example.com/")
    assert ok.status == 200 and "api.example.net" in controller_hop(ok).details["upstream"]


def test_T16_no_endpoints_404_in_v2_v3_and_503_with_allow_empty() -> None:
    docs = [*app("down", pods=False), ingress("d", [("/", "Prefix", "down", 80)])]
    rt = run(traefik() + docs, "GET http://example.com/")
    assert rt.status == 404 and "TRAEFIK_NO_SERVERS" in codes(rt)
    kept = run(traefik("--providers.kubernetesingress.allowEmptyServices=true") + docs, "GET http://example.com/")
    assert kept.status == 503
    missing = run([*traefik(), ingress("m", [("/", "Prefix", "nope", 80)])], "GET http://example.com/")
    assert missing.status == 404 and "TRAEFIK_ROUTER_SKIPPED" in codes(missing)


def test_T16_skipped_route_falls_to_the_next_router() -> None:
    docs = traefik() + app("catchall") + [
        ingress("all", [("/", "Prefix", "catchall", 80)]), ingress("api", [("/api", "Prefix", "nope", 80)])]
    rt = run(docs, "GET http://example.com/api/x")
    assert rt.status == 200 and rt.backend and rt.backend["service"] == "catchall"
    skipped = next(d for d in rt.diagnoses if d.code == "TRAEFIK_ROUTER_SKIPPED")
    assert skipped.severity == "warning"


def test_T17_weighted_services() -> None:
    r = ingress_route("r", [route("Host(`example.com`)", "a") | {"services": [
        {"name": "a", "port": 80, "weight": 1}, {"name": "b", "port": 80, "weight": 9}]}])
    docs = traefik() + app("a") + app("b") + [r]
    assert run(docs, "GET http://example.com/").backend["service"] == "b"  # type: ignore[index]
    picked = {Engine(docs, seed=s).route("GET http://example.com/").backend["service"] for s in range(40)}  # type: ignore[index]
    assert picked == {"a", "b"}


def test_T18_ingressroute_tls_certresolver_and_options() -> None:
    opts = {"apiVersion": "traefik.io/v1alpha1", "kind": "TLSOption", "metadata": {"name": "modern",
            "namespace": "default"}, "spec": {"minVersion": "VersionTLS13"}}
    r = ingress_route("r", [route("Host(`example.com`)", "a")],
                      tls={"certResolver": "le", "options": {"name": "modern"}})
    rt = run(traefik() + app("a") + [opts, r], "GET https://example.com/")
    hop = controller_hop(rt)
    assert rt.status == 200 and "TLS_HOST_NOT_COVERED" not in codes(rt)
    assert "certResolver le" in hop.details["tls"]["certificate"]
    assert hop.details["router"]["tls_options"]["options"] == "default-modern@kubernetescrd"


# -- middlewares (traefik#T19..#T28) -----------------------------------------------------------------------------


def _through(mw_spec: Doc, request: str | Doc, *, image: str = "traefik:v3.6.2", path: str = "/") -> Any:
    docs = traefik(image=image) + app("a") + [middleware("m", mw_spec), ingress_route("r", [
        route(f"Host(`example.com`) && PathPrefix(`{path}`)", "a", middlewares=[{"name": "m"}])])]
    return run(docs, request)


def test_T20_strip_prefix_character_wise_and_force_slash_by_version() -> None:
    strip = {"stripPrefix": {"prefixes": ["/api"]}}
    rt = _through(strip, "GET http://example.com/api/users?x=1")
    assert rt.upstream["path"] == "/users?x=1" and rt.upstream["headers"]["X-Forwarded-Prefix"] == "/api"
    assert _through(strip, "GET http://example.com/apix").upstream["path"] == "/x"
    assert _through(strip, "GET http://example.com/api").upstream["path"] == "/"  # v3: empty, sent as /
    v2 = _through(strip, "GET http://example.com/api", image="traefik:v2.11.3")
    assert v2.upstream["path"] == "/"
    assert "(empty, sent as /)" in " ".join(controller_hop(_through(strip, "GET http://example.com/api"))
                                           .details["middlewares"])
    assert _through(strip, "GET http://example.com/other").upstream["path"] == "/other"  # no prefix: unchanged


def test_T21_T22_T23_regex_strip_replace_and_add_prefix() -> None:
    assert _through({"stripPrefixRegex": {"regex": ["/v[0-9]+"]}},
                    "GET http://example.com/v2/items").upstream["path"] == "/items"
    replaced = _through({"replacePath": {"path": "/new"}}, "GET http://example.com/old")
    assert replaced.upstream["path"] == "/new" and replaced.upstream["headers"]["X-Replaced-Path"] == "/old"
    assert _through({"replacePathRegex": {"regex": "^/foo/(.*)", "replacement": "/bar/$1"}},
                    "GET http://example.com/foo/x").upstream["path"] == "/bar/x"
    assert _through({"addPrefix": {"prefix": "/app"}}, "GET http://example.com/x").upstream["path"] == "/app/x"


@pytest.mark.parametrize(("permanent", "method", "status"),
                         [(False, "GET", 302), (False, "POST", 307), (True, "GET", 301), (True, "POST", 308)])
def test_T24_redirect_scheme_statuses(permanent: bool, method: str, status: int) -> None:
    rt = _through({"redirectScheme": {"scheme": "https", "permanent": permanent}},
                  {"method": method, "url": "http://example.com/x?y=1"})
    assert (rt.status, rt.response_headers["location"]) == (status, "https://example.com/x?y=1")
    assert controller_hop(rt).outcome == "redirect" and rt.upstream is None


def test_T24_redirect_scheme_port_force_permanent_and_no_loop() -> None:
    rt = _through({"redirectScheme": {"scheme": "https", "port": "8443"}}, "GET http://example.com/")
    assert rt.response_headers["location"] == "https://example.com:8443/"
    forced = {"redirectScheme": {"scheme": "https", "forcePermanentRedirect": True}}
    assert _through(forced, "GET http://example.com/").status == 308  # v3.6
    assert _through(forced, "GET http://example.com/", image="traefik:v3.5.0").status == 302
    # Already https: the request goes on (websecure has TLS, the IngressRoute none: attach it there with tls).
    docs = traefik() + app("a") + [middleware("m", {"redirectScheme": {"scheme": "https"}}), ingress_route(
        "r", [route("Host(`example.com`)", "a", middlewares=[{"name": "m"}])], tls={})]
    assert run(docs, "GET https://example.com/").status == 200


def test_T25_redirect_regex() -> None:
    rt = _through({"redirectRegex": {"regex": "^http://example.com/old/(.*)", "replacement": "http://example.com/new/${1}",
                                     "permanent": True}}, "GET http://example.com/old/page")
    assert (rt.status, rt.response_headers["location"]) == (301, "http://example.com/new/page")
    assert _through({"redirectRegex": {"regex": "^http://nomatch/", "replacement": "x"}},
                    "GET http://example.com/").status == 200


def test_T26_headers_middleware() -> None:
    rt = _through({"headers": {"customRequestHeaders": {"X-Script-Name": "/app", "X-Forwarded-Host": ""},
                               "customResponseHeaders": {"X-Frame-Options": "DENY"}}}, "GET http://example.com/")
    assert rt.upstream["headers"]["X-Script-Name"] == "/app"
    assert "X-Forwarded-Host" not in rt.upstream["headers"]
    assert rt.response_headers["x-frame-options"] == "DENY"


def test_T27_T28_chain_and_unmodelled_middlewares() -> None:
    docs = traefik() + app("a") + [
        middleware("strip", {"stripPrefix": {"prefixes": ["/app"]}}),
        middleware("auth", {"basicAuth": {"secret": "users"}}),
        middleware("both", {"chain": {"middlewares": [{"name": "auth"}, {"name": "strip"}]}}),
        ingress_route("r", [route("Host(`example.com`)", "a", middlewares=[{"name": "both"}])]),
    ]
    rt = run(docs, "GET http://example.com/app/x")
    assert rt.status == 200 and rt.upstream and rt.upstream["path"] == "/x"
    assert "TRAEFIK_MIDDLEWARE_NOT_MODELLED" in codes(rt)


def test_T19_ingress_annotation_middlewares_and_missing_ones() -> None:
    mw = middleware("strip", {"stripPrefix": {"prefixes": ["/api"]}})
    ann = {"traefik.ingress.kubernetes.io/router.middlewares": "default-strip@kubernetescrd"}
    docs = traefik() + app("a") + [mw, ingress("a", [("/api", "Prefix", "a", 80)], annotations=ann)]
    assert run(docs, "GET http://example.com/api/x").upstream["path"] == "/x"  # type: ignore[index]
    docs[-1]["metadata"]["annotations"] = {"traefik.ingress.kubernetes.io/router.middlewares": "strip@kubernetescrd"}
    rt = run(docs, "GET http://example.com/api/x")
    assert rt.status == 404 and "TRAEFIK_ROUTER_SKIPPED" in codes(rt)


# -- backends (traefik#T29..#T33) -------------------------------------------------------------------------------


def test_T30_servers_transport_insecure_skip_verify() -> None:
    st = {"apiVersion": "traefik.io/v1alpha1", "kind": "ServersTransport", "metadata": {"name": "skip",
          "namespace": "default"}, "spec": {"insecureSkipVerify": True}}
    base = traefik() + app("secure", port=443, port_name="https", target=8443) + [
        profile("secure", tls=True, ports=[8443])]
    r = ingress_route("r", [route("Host(`example.com`)", "secure", 443)])
    rt = run([*base, r], "GET http://example.com/")
    assert rt.status == 500 and "TRAEFIK_BACKEND_CERT_UNTRUSTED" in codes(rt)
    assert rt.hops[-1].outcome == "tls-error"
    r["spec"]["routes"][0]["services"][0]["serversTransport"] = "skip"
    assert run([*base, st, r], "GET http://example.com/").status == 200
    # The Ingress provider: the Service annotation names the ServersTransport.
    annotated = traefik() + app("secure", port=443, port_name="https", target=8443, annotations={
        "traefik.ingress.kubernetes.io/service.serverstransport": "default-skip@kubernetescrd"}) + [
        profile("secure", tls=True, ports=[8443]), st, ingress("i", [("/", "Prefix", "secure", 443)])]
    assert run(annotated, "GET http://example.com/").status == 200
    # A static default transport covers every backend.
    static = traefik("--serversTransport.insecureSkipVerify=true") + base[3:] + [r]
    r["spec"]["routes"][0]["services"][0].pop("serversTransport")
    assert run(static, "GET http://example.com/").status == 200


def test_T29_T31_scheme_and_error_statuses() -> None:
    # Plain HTTP to an HTTPS-only app: the app answers 400.
    docs = traefik() + app("tls", port=8443, port_name="web", target=8443) + [
        profile("tls", tls=True, ports=[8443]), ingress("i", [("/", "Prefix", "tls", 8443)])]
    assert run(docs, "GET http://example.com/").status == 400
    docs[3]["metadata"]["annotations"] = {"traefik.ingress.kubernetes.io/service.serversscheme": "https"}
    assert run(docs, "GET http://example.com/").status == 500  # now HTTPS, and the certificate is not trusted
    # HTTPS to a plain-HTTP app: the handshake fails, 500; nothing listening: 502.
    plain = traefik() + app("p", port=443, port_name="https") + [profile("p", ports=[8080]),
                                                                   ingress("i", [("/", "Prefix", "p", 443)])]
    assert run(plain, "GET http://example.com/").status == 500
    closed = traefik() + app("c") + [profile("c", ports=[9999]), ingress("i", [("/", "Prefix", "c", 80)])]
    assert run(closed, "GET http://example.com/").status == 502


def test_T32_T33_not_found_and_forwarded_headers() -> None:
    docs = traefik() + app("a") + [ingress("a", [("/", "Prefix", "a", 80)])]
    nf = run(docs, "GET http://nowhere.example/")
    assert nf.status == 404 and "TRAEFIK_NO_ROUTER_MATCHES" in codes(nf)
    rt = run(docs, {"url": "http://example.com/x", "headers": {"X-Forwarded-For": "10.9.9.9"}})
    headers = rt.upstream["headers"]  # type: ignore[index]
    assert headers["Host"] == "example.com" and headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Forwarded-For"].endswith(", 203.0.113.10")


def test_implied_traefik_and_image_detection() -> None:
    from tracer.engine.dataplanes.traefik.detect import image_family

    assert image_family("traefik:1.7.19") == "traefik-v1"
    assert image_family("docker.io/library/traefik:v1.7.34") == "traefik-v1"
    assert image_family("traefik:v3.1") == "traefik"
    assert image_family("rancher/mirrored-library-traefik:2.11.10") == "traefik"
    assert image_family("traefik/whoami:v1.10") is None
    # An IngressRoute alone implies a Traefik with the Helm chart's defaults.
    engine = Engine([*app("a"), ingress_route("r", [route("Host(`example.com`)", "a")])])
    assert engine.family == "traefik" and engine.installations[0].assumed
    assert engine.route("GET http://example.com/").status == 200
