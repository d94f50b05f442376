"""Client-certificate authentication, ingress-nginx#9.7 (with the server-wide rule #2.7 and P4 of #0).

Expected outcomes come from kubernetes/ingress-nginx v1.15.1: docs/examples/auth/client-certs/README.md,
docs/user-guide/nginx-configuration/annotations.md ("Client Certificate Authentication"),
internal/ingress/annotations/authtls/main.go and rootfs/etc/nginx/template/nginx.tmpl (SERVER template:
ssl_verify_client, error_page 495 496, the match-cn ``if`` and the AuthTLSError ``return 403``; the
ssl-client-* proxy headers of the location template).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tracer.engine.dataplanes.ingress_nginx import IngressNginx, IngressNginxTable
from tracer.engine.errors import RequestError
from tracer.engine.loader import load_manifests
from tracer.engine.options import Options
from tracer.engine.request import parse_request

from .builders import NS, backend, codes, compile_, ingress, route

FIXTURE = Path(__file__).parent / "fixtures" / "r1-client-cert-auth.yaml"
HOST = "shop.example.com"


def _ca(name: str = "ca-secret", ns: str = NS, data: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns},
            "data": data if data is not None else {"ca.crt": "LS0t"}}


def _table(annotations: dict[str, str], *extra: Any) -> IngressNginxTable:
    ann = {"auth-tls-secret": f"{NS}/ca-secret", **annotations}
    tls = [{"hosts": [HOST], "secretName": "tls"}]
    return compile_(ingress("mtls", HOST, annotations=ann, tls=tls), backend(), _ca(), *extra)


def _req(url: str, cert: Any = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"method": "GET", "url": url}
    if cert is not None:
        spec["client_cert"] = cert
    return spec


def test_9_7_client_certs_example_fixture() -> None:
    """client-certs example: no certificate -> 400, a valid one -> 200 (docs/examples/auth/client-certs)."""
    table = IngressNginx().compile(load_manifests(FIXTURE), Options.from_kwargs())
    assert isinstance(table, IngressNginxTable)
    missing = table.route(parse_request(_req("https://mydomain.com/")))
    assert missing.status == 400
    assert "No required SSL certificate was sent" in missing.hops[0].summary
    ok = table.route(parse_request(_req("https://mydomain.com/", "valid")))
    assert ok.status == 200
    detail = ok.hops[0].details["client_certificate"]
    assert detail["ca_secret"] == "default/ca-secret" and detail["ingress"] == "default/mtls"
    assert "ingress-nginx#9.7" in ok.hops[0].rules


def test_9_7_invalid_certificate_gets_400() -> None:
    """A certificate that fails verification: 400 "The SSL certificate error" (nginx 495)."""
    trace = route(_table({}), _req(f"https://{HOST}/", "invalid"))
    assert trace.status == 400 and "The SSL certificate error" in trace.hops[0].summary


def test_9_7_optional_lets_no_certificate_through_but_not_a_bad_one() -> None:
    """optional: no certificate passes (ssl-client-verify NONE); a failing one is still 400."""
    table = _table({"auth-tls-verify-client": "optional"})
    none = route(table, _req(f"https://{HOST}/"))
    assert none.status == 200 and none.upstream is not None
    assert none.upstream["headers"]["ssl-client-verify"] == "NONE"
    assert route(table, _req(f"https://{HOST}/", "invalid")).status == 400


def test_9_7_optional_no_ca_passes_any_certificate() -> None:
    trace = route(_table({"auth-tls-verify-client": "optional_no_ca"}), _req(f"https://{HOST}/", "invalid"))
    assert trace.status == 200
    assert trace.upstream is not None and trace.upstream["headers"]["ssl-client-verify"].startswith("FAILED:")


def test_9_7_pass_certificate_headers_upstream() -> None:
    """auth-tls-pass-certificate-to-upstream adds ssl-client-cert to the ssl-client-* headers (nginx.tmpl)."""
    trace = route(_table({"auth-tls-pass-certificate-to-upstream": "true"}),
                  _req(f"https://{HOST}/", {"verify": "valid", "cn": "alice"}))
    assert trace.status == 200 and trace.upstream is not None
    headers = trace.upstream["headers"]
    assert headers["ssl-client-verify"] == "SUCCESS"
    assert headers["ssl-client-subject-dn"] == "CN=alice"
    assert "ssl-client-issuer-dn" in headers and "BEGIN%20CERTIFICATE" in headers["ssl-client-cert"]
    plain = route(_table({}), _req(f"https://{HOST}/", "valid"))
    assert plain.upstream is not None and "ssl-client-cert" not in plain.upstream["headers"]


def test_9_7_error_page_redirects() -> None:
    """auth-tls-error-page: error_page 495 496 = <url> answers with a 302 to it."""
    trace = route(_table({"auth-tls-error-page": "https://example.com/cert-error"}), _req(f"https://{HOST}/"))
    assert trace.status == 302 and trace.response_headers["location"] == "https://example.com/cert-error"


def test_9_7_match_cn() -> None:
    """auth-tls-match-cn: a subject not matching gives 403 "client certificate unauthorized"."""
    table = _table({"auth-tls-match-cn": "CN=alice"})
    assert route(table, _req(f"https://{HOST}/", {"verify": "valid", "cn": "alice"})).status == 200
    denied = route(table, _req(f"https://{HOST}/", {"verify": "valid", "cn": "bob"}))
    assert denied.status == 403 and "client certificate unauthorized" in denied.hops[0].summary


def test_9_7_plain_http_is_not_verified_and_redirected() -> None:
    """Plain HTTP has no handshake: the HTTPS redirect answers (host has TLS), no 400."""
    trace = route(_table({}), _req(f"http://{HOST}/"))
    assert trace.status == 308
    assert "plain HTTP" in trace.hops[0].details["client_certificate"]["note"]


def test_9_7_plain_http_without_redirect_passes() -> None:
    trace = route(_table({"ssl-redirect": "false"}), _req(f"http://{HOST}/"))
    assert trace.status == 200 and "CLIENT_CERT_PLAIN_HTTP" in codes(trace)
    assert trace.upstream is not None and "ssl-client-verify" not in trace.upstream["headers"]


def test_9_7_missing_ca_secret_makes_host_403() -> None:
    """A missing auth-tls Secret: AuthTLSError makes every path of the host answer 403 (#0 P4, #11.2)."""
    other = ingress("other", HOST, paths=[{"path": "/api", "pathType": "Prefix",
                                           "backend": {"service": {"name": "web", "port": {"number": 80}}}}])
    table = compile_(ingress("mtls", HOST, annotations={"auth-tls-secret": f"{NS}/nope"}), other, backend())
    for url in (f"https://{HOST}/", f"https://{HOST}/api", f"http://{HOST}/api"):
        trace = route(table, _req(url, "valid"))
        assert trace.status == 403, url
    assert "CLIENT_CERT_SECRET_MISSING" in codes(route(table, _req(f"https://{HOST}/")))


def test_9_7_secret_without_ca_disables_auth() -> None:
    table = compile_(ingress("mtls", HOST, annotations={"auth-tls-secret": f"{NS}/ca-secret"}), backend(),
                     _ca(data={"tls.crt": "LS0t"}))
    trace = route(table, _req(f"https://{HOST}/"))
    assert trace.status == 200 and "CLIENT_CERT_NO_CA" in codes(trace)


def test_2_7_first_ingress_with_a_ca_decides() -> None:
    """#2.7: the first Ingress of the host whose Secret has a CA sets auth for the whole server."""
    api = ingress("api", HOST, paths=[{"path": "/api", "pathType": "Prefix",
                                       "backend": {"service": {"name": "web", "port": {"number": 80}}}}],
                  created="2024-02-01T00:00:00Z")
    first = ingress("mtls", HOST, annotations={"auth-tls-secret": f"{NS}/ca-secret"}, created="2024-01-01T00:00:00Z")
    table = compile_(first, api, backend(), _ca())
    trace = route(table, _req(f"https://{HOST}/api"))
    assert trace.status == 400
    assert trace.hops[0].details["client_certificate"]["ingress"] == f"{NS}/mtls"


def test_9_7_hosts_without_auth_tls_are_untouched() -> None:
    trace = route(compile_(ingress("plain", HOST), backend()), _req(f"https://{HOST}/"))
    assert trace.status == 200 and "client_certificate" not in trace.hops[0].details


def test_request_client_cert_field() -> None:
    assert parse_request(_req("https://a/")).to_dict().get("client_cert") is None
    assert parse_request(_req("https://a/", "none")).client_cert is None
    assert parse_request(_req("https://a/", {"verify": "valid", "cn": "x"})).to_dict()["client_cert"] == {
        "verify": "valid", "cn": "x"}
    with pytest.raises(RequestError):
        parse_request(_req("https://a/", "maybe"))
