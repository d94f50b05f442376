"""ingress-nginx#6: backends, 503s, default backends, custom-http-errors, ExternalName."""

from .builders import (
    backend,
    codes,
    compile_,
    configmap,
    controller,
    endpoints,
    ingress,
    ingress_class,
    path,
    route,
    service,
)

URL = "GET http://shop.example.com/"


def test_6_4_missing_service_is_503():
    r = route(compile_(ingress_class(), ingress("web")), URL)
    assert r.status == 503
    assert r.backend == {"namespace": "shop", "service": "web", "port": 80}
    assert "NOT_FOUND_VS_UNAVAILABLE" in codes(r)
    assert [h.component for h in r.hops] == ["controller", "service"]


def test_6_4_no_ready_endpoints_is_503():
    r = route(compile_(ingress_class(), ingress("web"), service(), endpoints(ready=False)), URL)
    assert r.status == 503
    assert r.hops[-1].component == "endpoints"


def test_6_2_port_matches_target_port_number_too():
    body = ingress("web", paths=[path("/", "web", 8080)])
    r = route(compile_(ingress_class(), body, backend()), URL)
    assert r.status == 200
    assert r.backend["port"] == 80


def test_6_1_upstream_name_on_hop_details():
    r = route(compile_(ingress_class(), ingress("web"), backend()), URL)
    assert r.hops[0].details["upstream"] == "shop-web-80"
    assert r.hops[0].details["timeouts"]


def test_6_7_custom_http_errors_with_stock_backend_become_404():
    objs = [ingress_class(), controller(), configmap({"custom-http-errors": "503"}), ingress("web")]
    r = route(compile_(*objs), URL)
    assert r.status == 404


def test_6_7_default_backend_annotation_takes_over_when_no_endpoints():
    body = ingress("web", paths=[path("/", "invalid")], annotations={"default-backend": "echo"})
    r = route(compile_(ingress_class(), body, backend("echo")), "GET http://shop.example.com/alma/armud")
    assert r.status == 200
    headers = {k.lower(): v for k, v in r.upstream["headers"].items()}
    assert headers["x-code"] == "503"
    assert headers["x-service-name"] == "invalid"


def test_6_5_external_name_service():
    ext = service("ext", type="ExternalName", externalName="api.example.org")
    ext["spec"].pop("selector")
    r = route(compile_(ingress_class(), ingress("web", paths=[path("/", "ext")]), ext), URL)
    assert r.status == 200
    assert r.upstream["host"] == "shop.example.com"


def test_6_5_disable_svc_external_name_is_503():
    ext = service("ext", type="ExternalName", externalName="api.example.org")
    objs = [ingress_class(), controller(["--disable-svc-external-name"]), ingress("web", paths=[path("/", "ext")]),
            ext]
    assert route(compile_(*objs), URL).status == 503


def test_6_6_service_upstream_without_pods_is_502():
    body = ingress("web", annotations={"service-upstream": "true"})
    r = route(compile_(ingress_class(), body, service(), endpoints(ready=False)), URL)
    assert r.status == 502


def test_8_5_upstream_vhost_sets_host():
    body = ingress("web", annotations={"upstream-vhost": "internal.example.com"})
    r = route(compile_(ingress_class(), body, backend()), URL)
    assert r.upstream["host"] == "internal.example.com"


def test_10_3_plain_http_to_https_port_is_400():
    objs = [ingress_class(), ingress("web", paths=[path("/", "web", "https")]),
            service(port=443, target=8443, port_name="https"), endpoints(port=8443, port_name="https")]
    r = route(compile_(*objs), URL)
    assert r.status == 400
    assert "PLAIN_HTTP_TO_HTTPS_PORT" in codes(r)
