"""ingress-nginx#1: which Ingresses the controller serves."""

from tracer.engine.dataplanes.ingress_nginx.selection import sort_ingresses
from tracer.engine.snapshot import K8sObject, Source

from .builders import backend, codes, compile_, configmap, controller, ingress, ingress_class, route, run

URL = "GET http://shop.example.com/"


def test_1_1_ingress_class_name_of_this_controller_is_served():
    t = run([ingress_class(), ingress("web"), backend()], URL)
    assert t.status == 200


def test_1_1_ingress_class_of_another_controller_is_ignored_404():
    t = run([ingress_class(), ingress_class("traefik", "traefik.io/ingress-controller"),
             ingress("web", cls="traefik"), backend()], URL)
    assert t.status == 404
    assert "INGRESS_CLASS_NOT_SERVED" in codes(t)
    assert any("ingressClassName 'traefik' is not served by this controller" in n for n in t.hops[0].near_misses)


def test_1_1_field_wins_over_legacy_annotation():
    body = ingress("web", cls="traefik", annotations={"kubernetes.io/ingress.class": "nginx"})
    t = run([ingress_class(), ingress_class("traefik", "traefik.io/ingress-controller"), body, backend()], URL)
    assert t.status == 404


def test_1_1_legacy_annotation_must_equal_ingress_class():
    ok = run([ingress_class(), ingress("web", cls=None, annotations={"kubernetes.io/ingress.class": "nginx"}),
              backend()], URL)
    assert ok.status == 200
    bad = run([ingress_class(), ingress("web", cls=None, annotations={"kubernetes.io/ingress.class": "other"}),
               backend()], URL)
    assert bad.status == 404


def test_1_1_no_class_needs_watch_ingress_without_class():
    t = run([ingress_class(), ingress("web", cls=None), backend()], URL)
    assert t.status == 404
    diag = next(d for d in t.diagnoses if d.code == "INGRESS_CLASS_NOT_SERVED")
    assert "ingressClassName: nginx" in diag.fix
    t = run([ingress_class(), controller(["--watch-ingress-without-class=true"]), ingress("web", cls=None),
             backend()], URL)
    assert t.status == 200


def test_1_1_controller_class_option_overrides_flag():
    objs = [ingress_class("internal", "example.com/internal-nginx"), ingress("web", cls="internal"), backend()]
    assert run(objs, URL).status == 404
    assert run(objs, URL, {"controller_class": "example.com/internal-nginx"}).status == 200


def test_1_1_missing_ingress_class_object_names_the_class():
    t = run([ingress_class(), ingress("web", cls="nginx-internal"), backend()], URL)
    assert t.status == 404
    assert "names no IngressClass" in next(d.message for d in t.diagnoses if d.code == "INGRESS_CLASS_NOT_SERVED")


def test_1_3_namespace_not_watched():
    t = run([ingress_class(), controller(["--watch-namespace=other"]), ingress("web"), backend()], URL)
    assert t.status == 404
    assert "INGRESS_NAMESPACE_NOT_WATCHED" in codes(t)


def test_1_4_risky_annotation_drops_whole_ingress():
    snippet = {"configuration-snippet": "more_set_headers 'X: y';"}
    t = run([ingress_class(), ingress("web", annotations=snippet), backend()], URL)
    assert t.status == 404
    assert "SNIPPETS_DISABLED" in codes(t)


def test_11_1_snippet_served_when_allowed_twice():
    snippet = {"configuration-snippet": "more_set_headers 'X: y';"}
    cm = configmap({"allow-snippet-annotations": "true", "annotations-risk-level": "Critical"})
    t = run([ingress_class(), controller(), cm, ingress("web", annotations=snippet), backend()], URL)
    assert t.status == 200


def test_1_4_disable_catch_all_drops_ingress_with_default_backend_even_with_rules():
    objs = [ingress_class(), controller(["--disable-catch-all=true"]), ingress("web", default_backend="web"),
            backend()]
    assert run(objs, URL).status == 404


def _obj(name, ns, ts):
    body = ingress(name, ns=ns, created=ts)
    return K8sObject(body=body, source=Source("t.yaml", 0, 1))


def test_1_5_order_creation_time_then_name_descending():
    a = _obj("a", "x", "2024-01-01T00:00:00Z")
    b = _obj("b", "x", "2024-01-01T00:00:00Z")
    old = _obj("z", "x", "2023-01-01T00:00:00Z")
    assert [i.name for i in sort_ingresses([a, b, old])] == ["z", "b", "a"]


def test_1_5_first_ingress_wins_duplicate_path():
    first = ingress("old", paths=[{"path": "/", "pathType": "Prefix",
                                   "backend": {"service": {"name": "one", "port": {"number": 80}}}}],
                    created="2024-01-01T00:00:00Z")
    second = ingress("new", paths=[{"path": "/", "pathType": "Prefix",
                                    "backend": {"service": {"name": "two", "port": {"number": 80}}}}],
                     created="2024-02-01T00:00:00Z")
    t = route(compile_(ingress_class(), second, first, backend("one"), backend("two", ip="10.0.0.2")), URL)
    assert t.backend["service"] == "one"
