"""Request-time policies: client IP, access phase, upstream headers, CORS, affinity, HSTS, backend protocol."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tracer.engine.dataplanes.ingress_nginx.annotations import IngressAnnotations, parse_annotations
from tracer.engine.dataplanes.ingress_nginx.config import ControllerConfig
from tracer.engine.dataplanes.ingress_nginx.policies import (
    affinity_set_cookie,
    backend_protocol_outcome,
    backend_protocol_risk,
    check_access,
    check_body_size,
    check_cors_preflight,
    client_ip,
    cors_response_headers,
    hsts_header,
    request_scheme,
    timeouts,
    upstream_headers,
)
from tracer.engine.request import parse_request
from tracer.engine.snapshot import K8sObject, Snapshot, Source

P = "nginx.ingress.kubernetes.io/"
DEFAULT = ControllerConfig()
FORWARDED = replace(DEFAULT, use_forwarded_headers=True)


def obj(body: dict[str, Any]) -> K8sObject:
    return K8sObject(body=body, source=Source("t.yaml", 0, 1))


def setup(
    annotations: dict[str, str], config: ControllerConfig = DEFAULT, *extra: dict[str, Any]
) -> tuple[IngressAnnotations, Snapshot]:
    ing = obj(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {
                "name": "web",
                "namespace": "default",
                "annotations": {P + k: v for k, v in annotations.items()},
            },
        }
    )
    snapshot = Snapshot.from_objects([ing, *(obj(e) for e in extra)])
    return parse_annotations(ing, config, snapshot), snapshot


def req(spec: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
    method, url = spec.split(" ", 1)
    return parse_request({"method": method, "url": url, "headers": headers or {}, **kw})


def secret(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"}}


def service(name: str, ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"ports": [{"port": 80}]},
    }


def final(outcomes: list) -> Any:
    return outcomes[-1] if outcomes else None


# ---- 8.5 / 9.1 client address and scheme ----


def test_8_5_client_ip_ignores_xff_by_default() -> None:
    r = req("GET http://a.com/", {"X-Forwarded-For": "1.2.3.4"}, client_ip="10.0.0.9")
    assert client_ip(r, DEFAULT) == "10.0.0.9"


def test_8_5_client_ip_from_xff_with_forwarded_headers() -> None:
    r = req("GET http://a.com/", {"X-Forwarded-For": "1.2.3.4, 5.6.7.8"}, client_ip="10.0.0.9")
    assert client_ip(r, FORWARDED) == "1.2.3.4"  # every entry is in the trusted 0.0.0.0/0: leftmost
    narrow = replace(FORWARDED, proxy_real_ip_cidr=("10.0.0.0/8",))
    assert client_ip(r, narrow) == "5.6.7.8"  # rightmost untrusted


def test_5_1_request_scheme_trusts_x_forwarded_proto_only_when_configured() -> None:
    r = req("GET http://a.com/", {"X-Forwarded-Proto": "https"})
    assert request_scheme(r, DEFAULT) == "http"
    assert request_scheme(r, FORWARDED) == "https"


# ---- 9.1 IP access ----


def test_9_1_deny_beats_allow() -> None:
    ann, snap = setup({"allowlist-source-range": "10.0.0.0/8", "denylist-source-range": "10.1.0.0/16"})
    out = final(check_access(ann, DEFAULT, req("GET http://a.com/", client_ip="10.1.2.3"), snap))
    assert out.status == 403 and out.body == "403 Forbidden"
    assert out.diagnoses[0].code == "DENYLIST_DENIED"


def test_9_1_allowlist_denies_outsiders_and_admits_insiders() -> None:
    ann, snap = setup({"allowlist-source-range": "10.0.0.0/8"})
    denied = final(check_access(ann, DEFAULT, req("GET http://a.com/", client_ip="203.0.113.10"), snap))
    assert denied.status == 403 and denied.diagnoses[0].code == "ALLOWLIST_DENIED"
    assert "allowlist-source-range" in denied.diagnoses[0].fix
    ok = check_access(ann, DEFAULT, req("GET http://a.com/", client_ip="10.9.9.9"), snap)
    assert all(o.status is None for o in ok)


def test_9_1_allowlist_uses_forwarded_client_ip() -> None:
    ann, snap = setup({"allowlist-source-range": "1.2.3.0/24"})
    r = req("GET http://a.com/", {"X-Forwarded-For": "1.2.3.4"}, client_ip="10.0.0.9")
    assert final(check_access(ann, DEFAULT, r, snap)).status == 403
    assert all(o.status is None for o in check_access(ann, FORWARDED, r, snap))


def test_9_1_block_cidrs_forbid_everywhere_without_location_rules() -> None:
    cfg = replace(DEFAULT, block_cidrs=("203.0.113.0/24",))
    ann, snap = setup({}, cfg)
    out = final(check_access(ann, cfg, req("GET http://a.com/"), snap))
    assert out.status == 403 and out.stage == "block-cidrs"


def test_9_1_denied_location_answers_503() -> None:
    ann, snap = setup({"allowlist-source-range": "nonsense"})
    assert final(check_access(ann, DEFAULT, req("GET http://a.com/"), snap)).status == 503


# ---- 9.2 basic auth ----


def test_9_2_basic_auth_without_credentials_401() -> None:
    ann, snap = setup(
        {"auth-type": "basic", "auth-secret": "basic-auth", "auth-realm": "Authentication Required"},
        DEFAULT,
        secret("basic-auth"),
    )
    out = final(check_access(ann, DEFAULT, req("GET http://a.com/"), snap))
    assert out.status == 401
    assert out.headers["WWW-Authenticate"] == 'Basic realm="Authentication Required"'
    assert out.diagnoses[0].code == "AUTH_REQUIRED"


def test_9_2_basic_auth_with_credentials_assumed_correct() -> None:
    ann, snap = setup({"auth-type": "basic", "auth-secret": "basic-auth"}, DEFAULT, secret("basic-auth"))
    out = check_access(ann, DEFAULT, req("GET http://a.com/", {"Authorization": "Basic Zm9vOmJhcg=="}), snap)
    assert final(out).status is None and final(out).confidence == "assumed"
    assert "assumed correct" in final(out).summary


def test_9_2_basic_auth_401_keeps_cors_headers() -> None:
    ann, snap = setup({"auth-type": "basic", "auth-secret": "s", "enable-cors": "true"}, DEFAULT, secret("s"))
    out = final(check_access(ann, DEFAULT, req("GET http://a.com/"), snap))
    assert out.status == 401 and out.headers["Access-Control-Allow-Origin"] == "*"


def test_9_2_authorization_not_forwarded_under_basic_auth() -> None:
    ann, _ = setup({"auth-type": "basic", "auth-secret": "s"}, DEFAULT, secret("s"))
    r = req("GET http://a.com/", {"Authorization": "Basic eA=="})
    headers = upstream_headers(ann, DEFAULT, r, scheme="http", host_header="a.com", rewritten=False, request_id="r1")
    assert "Authorization" not in headers


# ---- 9.3 external auth ----

OAUTH = {"auth-url": "http://oauth2-proxy.auth.svc.cluster.local/oauth2/auth", "auth-signin": "http://auth/auth/start"}


def test_9_3_external_auth_without_session_redirects_to_signin() -> None:
    ann, snap = setup(OAUTH, DEFAULT, service("oauth2-proxy", "auth"))
    out = final(check_access(ann, DEFAULT, req("GET http://auth/?a=b&c=d"), snap))
    assert out.status == 302 and out.component == "auth" and out.confidence == "assumed"
    assert out.headers["Location"] == "http://auth/auth/start?rd=http://auth%2F%3Fa%3Db%26c%3Dd"


def test_9_3_external_auth_without_signin_401() -> None:
    ann, snap = setup({"auth-url": OAUTH["auth-url"]}, DEFAULT, service("oauth2-proxy", "auth"))
    out = final(check_access(ann, DEFAULT, req("GET http://a.com/"), snap))
    assert out.status == 401


def test_9_3_external_auth_with_cookie_proceeds() -> None:
    ann, snap = setup(OAUTH, DEFAULT, service("oauth2-proxy", "auth"))
    out = final(check_access(ann, DEFAULT, req("GET http://a.com/", {"Cookie": "_oauth2_proxy=abc"}), snap))
    assert out.status is None and out.component == "auth"


def test_9_3_external_auth_status_override() -> None:
    ann, snap = setup(OAUTH, DEFAULT, service("oauth2-proxy", "auth"))
    r = req("GET http://a.com/")
    assert final(check_access(ann, DEFAULT, r, snap, auth_status=403)).status == 403
    assert final(check_access(ann, DEFAULT, r, snap, auth_status=502)).status == 500
    assert final(check_access(ann, DEFAULT, r, snap, auth_status=200)).status is None


def test_9_3_missing_auth_service_500() -> None:
    ann, snap = setup(OAUTH)
    out = final(check_access(ann, DEFAULT, req("GET http://a.com/", {"Cookie": "x=1"}), snap))
    assert out.status == 500 and out.diagnoses[0].code == "AUTH_SERVICE_MISSING"


def test_9_3_signin_with_existing_rd_param_kept() -> None:
    ann, snap = setup(
        {
            "auth-url": "http://ext.example.com/auth",
            "auth-signin": "https://login.example.com/start?rd=$escaped_request_uri",
        }
    )
    out = final(check_access(ann, DEFAULT, req("GET http://a.com/x y"), snap))
    assert out.headers["Location"] == "https://login.example.com/start?rd=%2Fx%20y"


def test_9_3_no_auth_locations_skip_auth() -> None:
    ann, snap = setup(OAUTH, DEFAULT, service("oauth2-proxy", "auth"))
    out = check_access(
        ann,
        DEFAULT,
        req("GET http://a.com/.well-known/acme-challenge/t"),
        snap,
        location_path="/.well-known/acme-challenge/",
    )
    assert all(o.status is None for o in out)


def test_9_3_global_auth_url_and_opt_out() -> None:
    cfg = replace(DEFAULT, global_auth_url="http://ext.example.com/auth")
    ann, snap = setup({}, cfg)
    assert final(check_access(ann, cfg, req("GET http://a.com/"), snap)).status == 401
    off, snap2 = setup({"enable-global-auth": "false"}, cfg)
    assert check_access(off, cfg, req("GET http://a.com/"), snap2) == []


def test_9_4_satisfy_any_ip_or_auth() -> None:
    ann, snap = setup(
        {"allowlist-source-range": "10.0.0.0/8", "auth-type": "basic", "auth-secret": "s", "satisfy": "any"},
        DEFAULT,
        secret("s"),
    )
    inside = check_access(ann, DEFAULT, req("GET http://a.com/", client_ip="10.0.0.1"), snap)
    assert final(inside).status is None
    outside = check_access(ann, DEFAULT, req("GET http://a.com/"), snap)
    assert final(outside).status == 401 and "WWW-Authenticate" in final(outside).headers
    with_creds = check_access(ann, DEFAULT, req("GET http://a.com/", {"Authorization": "Basic eA=="}), snap)
    assert final(with_creds).status is None


# ---- 8.6 body size, 9.6 CORS ----


def test_8_6_body_too_large_413() -> None:
    ann, _ = setup({})
    out = check_body_size(ann, DEFAULT, req("POST http://a.com/", body_bytes=2 * 1024 * 1024))
    assert out is not None and out.status == 413 and out.diagnoses[0].code == "BODY_TOO_LARGE"
    big, _ = setup({"proxy-body-size": "0"})
    assert check_body_size(big, DEFAULT, req("POST http://a.com/", body_bytes=10**9)) is None


def test_9_6_preflight_204_with_wildcard() -> None:
    ann, _ = setup({"enable-cors": "true"})
    out = check_cors_preflight(ann, req("OPTIONS http://a.com/x"))
    assert out is not None and out.status == 204
    assert out.headers["Access-Control-Allow-Origin"] == "*"
    assert out.headers["Access-Control-Max-Age"] == "1728000"
    assert cors_response_headers(ann, req("GET http://a.com/"))["Access-Control-Allow-Origin"] == "*"


def test_9_6_explicit_origin_list() -> None:
    ann, _ = setup({"enable-cors": "true", "cors-allow-origin": "https://app.example.com, https://*.b.com"})
    ok = cors_response_headers(ann, req("GET http://a.com/", {"Origin": "HTTPS://APP.example.com"}))
    assert ok["Access-Control-Allow-Origin"] == "HTTPS://APP.example.com"
    assert cors_response_headers(ann, req("GET http://a.com/", {"Origin": "https://x.b.com"}))
    assert cors_response_headers(ann, req("GET http://a.com/", {"Origin": "https://x.y.b.com"})) == {}
    assert cors_response_headers(ann, req("GET http://a.com/", {"Origin": "https://evil.com"})) == {}
    assert check_cors_preflight(ann, req("OPTIONS http://a.com/", {"Origin": "https://evil.com"})) is None
    assert check_cors_preflight(ann, req("OPTIONS http://a.com/")) is None


# ---- 8.5 / 4.2 upstream headers ----


def test_8_5_upstream_headers_defaults() -> None:
    ann, _ = setup({})
    r = req(
        "GET http://a.com:8080/p?q=1",
        {"X-Forwarded-For": "9.9.9.9", "Proxy": "x", "My_Header": "1", "Accept": "*/*"},
        client_ip="198.51.100.7",
    )
    h = upstream_headers(
        ann, DEFAULT, r, scheme="http", host_header=r.host_header, rewritten=False, request_id="abc123"
    )
    assert h["Host"] == "a.com:8080"
    assert h["X-Forwarded-For"] == "198.51.100.7"
    assert h["X-Original-Forwarded-For"] == "9.9.9.9"
    assert h["X-Real-IP"] == "198.51.100.7"
    assert h["X-Forwarded-Proto"] == h["X-Forwarded-Scheme"] == h["X-Scheme"] == "http"
    assert h["X-Forwarded-Port"] == "80"
    assert h["X-Forwarded-Host"] == "a.com:8080"
    assert h["X-Request-ID"] == "abc123"
    assert "X-Original-URI" not in h and "Proxy" not in h and "My_Header" not in h
    assert "X-Forwarded-Prefix" not in h
    assert h["Accept"] == "*/*"


def test_8_5_https_port_and_client_request_id() -> None:
    ann, _ = setup({})
    r = req("GET https://a.com/", {"X-Request-ID": "client-id"})
    h = upstream_headers(ann, DEFAULT, r, scheme="https", host_header="a.com", rewritten=False, request_id="gen")
    assert h["X-Forwarded-Port"] == "443" and h["X-Request-ID"] == "client-id"


def test_8_5_forwarded_host_and_vhost() -> None:
    ann, _ = setup({})
    r = req(
        "GET http://a.com/",
        {"X-Forwarded-Host": "myhost.com, another.host", "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"},
    )
    h = upstream_headers(
        ann, FORWARDED, r, scheme=request_scheme(r, FORWARDED), host_header="a.com", rewritten=False, request_id="x"
    )
    assert h["Host"] == "myhost.com" and h["X-Forwarded-Host"] == "myhost.com"
    assert h["X-Original-Forwarded-Host"] == "myhost.com, another.host"
    assert h["X-Forwarded-Proto"] == "https" and h["X-Forwarded-Port"] == "443"
    vhost, _ = setup({"upstream-vhost": "upstreamvhost.bar.com"})
    h2 = upstream_headers(vhost, DEFAULT, r, scheme="http", host_header="a.com", rewritten=False, request_id="x")
    assert h2["Host"] == "upstreamvhost.bar.com" and h2["X-Forwarded-Host"] == "a.com"


def test_8_5_underscores_allowed_when_configured() -> None:
    ann, _ = setup({})
    r = req("GET http://a.com/", {"My_Header": "1"})
    cfg = replace(DEFAULT, enable_underscores_in_headers=True)
    assert (
        upstream_headers(ann, cfg, r, scheme="http", host_header="a.com", rewritten=False, request_id="x")["My_Header"]
        == "1"
    )


def test_8_5_original_uri_when_configured() -> None:
    ann, _ = setup({})
    cfg = replace(DEFAULT, proxy_add_original_uri_header=True)
    h = upstream_headers(
        ann, cfg, req("GET http://a.com/x?y=1"), scheme="http", host_header="a.com", rewritten=False, request_id="x"
    )
    assert h["X-Original-URI"] == "/x?y=1"


def test_4_2_x_forwarded_prefix_only_with_rewrite() -> None:
    ann, _ = setup({"x-forwarded-prefix": "/api", "rewrite-target": "/$2"})
    r = req("GET http://a.com/api/x")
    with_rw = upstream_headers(ann, DEFAULT, r, scheme="http", host_header="a.com", rewritten=True, request_id="x")
    without = upstream_headers(ann, DEFAULT, r, scheme="http", host_header="a.com", rewritten=False, request_id="x")
    assert with_rw["X-Forwarded-Prefix"] == "/api" and "X-Forwarded-Prefix" not in without


# ---- 12.2 affinity cookie ----


def test_12_2_affinity_cookie_path_and_flags() -> None:
    ann, _ = setup({"affinity": "cookie"})
    r = req("GET http://a.com/something/x")
    cookie = affinity_set_cookie(ann, "/something", r, "http")
    assert cookie is not None and cookie.startswith("INGRESSCOOKIE=")
    assert cookie.endswith("; Path=/something; HttpOnly")
    assert cookie == affinity_set_cookie(ann, "/something", r, "http")  # deterministic
    secure = affinity_set_cookie(ann, "/something", req("GET https://a.com/something"), "https")
    assert secure is not None and "; Secure; HttpOnly" in secure


def test_12_2_affinity_cookie_not_set_when_present_or_absent_annotation() -> None:
    ann, _ = setup({"affinity": "cookie"})
    assert affinity_set_cookie(ann, "/", req("GET http://a.com/", {"Cookie": "INGRESSCOOKIE=abc|def"}), "http") is None
    plain, _ = setup({})
    assert affinity_set_cookie(plain, "/", req("GET http://a.com/"), "http") is None


def test_12_2_affinity_cookie_custom_attributes() -> None:
    ann, _ = setup(
        {
            "affinity": "cookie",
            "session-cookie-name": "route",
            "session-cookie-path": "/app",
            "session-cookie-max-age": "60",
            "session-cookie-samesite": "Strict",
        }
    )
    cookie = affinity_set_cookie(ann, "/ignored", req("GET http://a.com/app"), "http", upstream_name="default-web-80")
    assert cookie is not None and cookie.startswith("route=") and "|" in cookie.split(";")[0]
    assert cookie.endswith("; Max-Age=60; Path=/app; HttpOnly; SameSite=Strict")


# ---- 8.8 HSTS, 8.1 timeouts ----


def test_8_8_hsts_header() -> None:
    assert hsts_header(DEFAULT) == "max-age=31536000; includeSubDomains"
    assert hsts_header(replace(DEFAULT, hsts_preload=True, hsts_max_age=10)) == "max-age=10; includeSubDomains; preload"
    assert hsts_header(replace(DEFAULT, hsts=False)) is None


def test_8_1_timeouts_effective_values() -> None:
    ann, _ = setup({"proxy-read-timeout": "3600", "proxy-send-timeout": "10s"})
    assert timeouts(ann, DEFAULT) == {"connect": 5, "read": 3600, "send": 60}


# ---- 10.3 backend protocol ----


def test_10_3_plain_http_to_https_port() -> None:
    ann, _ = setup({})
    out = backend_protocol_outcome(ann, {"name": "https", "port": 443, "targetPort": 8443}, None)
    assert out is not None and out.status == 400 and "The plain HTTP request was sent to HTTPS port" in out.summary
    assert out.diagnoses[0].code == "PLAIN_HTTP_TO_HTTPS_PORT" and "HTTPS" in out.diagnoses[0].fix
    fixed, _ = setup({"backend-protocol": "HTTPS"})
    assert backend_protocol_outcome(fixed, {"name": "https", "port": 443, "targetPort": 8443}, None) is None


def test_10_3_container_port_name_reveals_tls() -> None:
    ann, _ = setup({})
    container = {"ports": [{"name": "tls", "containerPort": 9000}]}
    out = backend_protocol_outcome(ann, {"port": 80, "targetPort": "tls"}, container)
    assert out is not None and out.status == 400


def test_10_3_https_to_plain_port_502() -> None:
    ann, _ = setup({"backend-protocol": "HTTPS"})
    out = backend_protocol_outcome(ann, {"name": "http", "port": 80, "targetPort": 8080}, None)
    assert out is not None and out.status == 502


def test_10_3_unknown_port_is_none_with_risk_hint() -> None:
    ann, _ = setup({})
    assert backend_protocol_outcome(ann, {"port": 9443, "targetPort": 9443}, None) is None
    risk = backend_protocol_risk(ann, {"port": 9443, "targetPort": 9443}, None)
    assert risk is not None and risk.code == "BACKEND_MAY_EXPECT_TLS"
    assert backend_protocol_risk(ann, {"port": 3000, "targetPort": 3000}, None) is None
