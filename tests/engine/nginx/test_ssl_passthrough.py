"""ssl-passthrough, ingress-nginx#2.8.

Expected outcomes come from kubernetes/ingress-nginx v1.15.1 docs/user-guide/tls.md ("SSL Passthrough":
only with --enable-ssl-passthrough, chosen by SNI, sent to the Service's clusterIP),
docs/user-guide/nginx-configuration/annotations.md ("SSL Passthrough": other annotations are ignored) and
internal/ingress/controller/controller.go getConfiguration (only the "/" location is used).
"""

from __future__ import annotations

from typing import Any

from .builders import backend, codes, compile_, controller, endpoints, ingress, path, route, service

HOST = "secure.example.com"


def _bodies(*, flag: bool, ready: bool = True) -> list[Any]:
    ann = {"ssl-passthrough": "true", "rewrite-target": "/x", "whitelist-source-range": "10.0.0.0/8"}
    return [
        controller(["--enable-ssl-passthrough"] if flag else []),
        ingress("tls-app", HOST, paths=[path("/"), path("/api", svc="api")], annotations=ann),
        service("web"), endpoints("web", ready=ready), *backend("api", ip="10.0.0.2"),
    ]


def test_2_8_passthrough_routes_by_sni_to_cluster_ip() -> None:
    """With the flag, the TLS stream of any path goes to the / Service's ClusterIP, request unchanged."""
    table = compile_(*_bodies(flag=True))
    trace = route(table, {"url": f"https://{HOST}/api/v1?q=1", "headers": {"X-Test": "1"}})
    assert trace.status == 200
    hop = trace.hops[0]
    assert hop.rules == ["ingress-nginx#2.8"] and "10.96.0.10:80" in hop.details["ssl_passthrough"]["target"]
    assert trace.backend == {"namespace": "shop", "service": "web", "port": 80}
    assert trace.upstream == {"host": HOST, "path": "/api/v1?q=1", "headers": {"X-Test": "1"}}
    assert "strict-transport-security" not in trace.response_headers


def test_2_8_sni_decides_not_host() -> None:
    table = compile_(*_bodies(flag=True))
    other = route(table, {"url": f"https://{HOST}/", "sni": "other.example.com"})
    assert "ssl_passthrough" not in other.hops[0].details
    via_sni = route(table, {"url": "https://10.1.2.3/", "sni": HOST})
    assert via_sni.hops[0].rules == ["ingress-nginx#2.8"]


def test_2_8_plain_http_is_handled_by_nginx() -> None:
    """Plain HTTP is not TLS: nginx serves it and its annotations apply (whitelist -> 403)."""
    trace = route(compile_(*_bodies(flag=True)), f"http://{HOST}/")
    assert trace.status == 403 and "ssl_passthrough" not in trace.hops[0].details


def test_2_8_without_flag_annotation_is_ignored() -> None:
    trace = route(compile_(*_bodies(flag=False)), {"url": f"https://{HOST}/", "client_ip": "10.1.1.1"})
    assert "SSL_PASSTHROUGH_DISABLED" in codes(trace)
    assert trace.status == 200 and trace.upstream is not None and trace.upstream["path"] == "/x"


def test_2_8_no_ready_endpoints_refuses_the_connection() -> None:
    trace = route(compile_(*_bodies(flag=True, ready=False)), f"https://{HOST}/")
    assert trace.hops[0].outcome == "refused" and "SSL_PASSTHROUGH_NO_ENDPOINTS" in codes(trace)
