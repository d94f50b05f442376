"""Several controllers in one snapshot: each request goes to the installation it reaches (k8s-routing#I-1, #I-3).

The fixture follows ingress-nginx's docs/user-guide/multiple-ingress.md: two installs, each with its own
--controller-class and IngressClass, the public one's class marked default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tracer.engine import Engine, OptionError, trace

MULTI = Path(__file__).with_name("fixtures") / "multiple-ingress.yaml"
PUBLIC = "ingress-nginx (ingress-nginx/ingress-nginx-controller)"
INTERNAL = "ingress-nginx (ingress-internal/internal-controller)"


def _controller_hop(rt: Any) -> str:
    return next(h.name for h in rt.hops if h.component == "controller")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(str(MULTI))


def test_I_1_public_host_answers_as_the_default_class_controller(engine: Engine) -> None:
    rt = engine.route("GET http://www.example.com/")
    assert (rt.status, _controller_hop(rt)) == (200, PUBLIC)
    assert rt.installation is not None and rt.installation["name"] == PUBLIC
    assert "owns the default IngressClass nginx" in rt.installation["reason"]
    branches = {b["installation"]: (b["status"], b["error"]) for b in rt.branches}
    # The internal controller serves only /admin on this host; Traefik (simulated since the traefik family, with
    # its assumed Helm defaults) serves only /traefik there, so its 404 (traefik#T32).
    assert branches == {INTERNAL: (404, None), "traefik (class traefik)": (404, None)}


def test_I_1_each_class_goes_to_its_own_controller(engine: Engine) -> None:
    intra = engine.route("GET http://intra.example.com/")
    assert (intra.status, _controller_hop(intra), intra.branches) == (200, INTERNAL, [])
    legacy_annotation = engine.route("GET http://ann.example.com/")
    assert _controller_hop(legacy_annotation) == INTERNAL
    assert "annotation kubernetes.io/ingress.class: nginx-internal" in legacy_annotation.installation["reason"]


def test_I_3_classless_ingress_belongs_to_the_default_class(engine: Engine) -> None:
    rt = engine.route("GET http://legacy.example.com/")
    assert (rt.status, _controller_hop(rt)) == (200, PUBLIC)
    assert "default IngressClass nginx" in rt.installation["reason"]


def test_via_and_entry_address_pick_the_installation(engine: Engine) -> None:
    by_service = engine.route(
        {"url": "http://www.example.com/admin", "via": {"kind": "Service", "namespace": "ingress-internal",
                                                         "name": "internal-controller"}}
    )
    assert (by_service.status, _controller_hop(by_service)) == (200, INTERNAL)
    by_ip = engine.route({"url": "http://www.example.com/", "via": "198.51.100.11"})
    assert (by_ip.status, _controller_hop(by_ip)) == (404, INTERNAL)
    dialled = engine.route("GET http://198.51.100.10/")
    assert _controller_hop(dialled) == PUBLIC and "entry address" in dialled.installation["reason"]


def test_ingress_status_address_resolves_the_host() -> None:
    docs = [d for d in yaml.safe_load_all(MULTI.read_text()) if d]
    for d in docs:
        if d["kind"] == "Ingress" and d["metadata"]["name"] == "internal":
            d["status"] = {"loadBalancer": {"ingress": [{"ip": "198.51.100.11"}]}}
    rt = Engine(docs).route("GET http://www.example.com/admin")
    assert _controller_hop(rt) == INTERNAL
    assert "resolves to 198.51.100.11 (status of Ingress apps/internal)" in rt.installation["reason"]


def test_unsimulated_controller_is_a_hop_and_never_stops_the_others() -> None:
    docs = [d for d in yaml.safe_load_all(MULTI.read_text()) if d]
    docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "istio"},
                 "spec": {"controller": "istio.io/ingress-controller"}})
    docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "mesh", "namespace": "apps"},
                 "spec": {"ingressClassName": "istio", "rules": [{"host": "mesh.example.com", "http": {"paths": [
                     {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "tr", "port": {"number": 80}}}}]}}]}})
    engine = Engine(docs)
    assert engine.route("GET http://intra.example.com/").status == 200
    mesh = engine.route("GET http://mesh.example.com/")
    assert (mesh.status, mesh.error, mesh.controller) == (None, "not-simulated", "istio")
    assert mesh.hops[-1].outcome == "unknown" and "not simulated" in mesh.hops[-1].summary
    assert [d.code for d in mesh.diagnoses] == ["CONTROLLER_NOT_SIMULATED"]


def test_controller_class_takes_a_class_name_or_a_controller_value() -> None:
    by_name = Engine(str(MULTI), controller_class="nginx-internal")
    by_value = Engine(str(MULTI), controller_class="k8s.io/ingress-nginx-internal")
    for engine in (by_name, by_value):
        assert [i.name for i in engine.installations] == [INTERNAL]
        assert engine.route("GET http://www.example.com/").status == 404
    with pytest.raises(OptionError, match="'nginx-public' is neither an IngressClass name nor a controller"):
        Engine(str(MULTI), controller_class="nginx-public")


def test_another_controllers_class_is_info_not_an_error(engine: Engine) -> None:
    rt = engine.route("GET http://www.example.com/")
    severities = {d.severity for d in rt.diagnoses if d.code == "INGRESS_CLASS_NOT_SERVED"}
    assert severities == {"info"}


def test_snapshot_lists_every_installation(engine: Engine) -> None:
    info = engine.snapshot_info()
    assert [(i["name"], i["simulated"]) for i in info["installations"]] == [
        (PUBLIC, True), (INTERNAL, True), ("traefik (class traefik)", True)
    ]
    assert info["controller"] == "ingress-nginx" and info["controllers_detected"] == ["ingress-nginx", "traefik"]


KUARD = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: kuard, namespace: default}
spec:
  ingressClassName: nginx
  tls: [{hosts: [example.example.com], secretName: quickstart-example-tls}]
  rules:
  - host: example.example.com
    http:
      paths: [{path: /, pathType: Exact, backend: {service: {name: kuard, port: {number: 80}}}}]
---
apiVersion: v1
kind: Service
metadata: {name: kuard, namespace: default}
spec: {selector: {app: kuard}, ports: [{port: 80, targetPort: 8080}]}
"""


def test_class_nginx_without_controller_gets_ingress_nginx() -> None:
    # cert-manager's kuard example: class nginx and TLS, nothing else of the controller in the snapshot.
    # ingress-nginx redirects plain HTTP to HTTPS with 308 (ingress-nginx#5.1); the portable semantics would not.
    t = trace(KUARD, "GET http://example.example.com/", assume_endpoints=True)
    rt = t.requests[0]
    assert (rt.controller, rt.status) == ("ingress-nginx", 308)
    assert t.snapshot["installations"][0]["assumed"] is True
    assert "has class nginx" in t.snapshot["controller_reason"]


SERVING = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: serving
  namespace: default
  annotations: {nginx.ingress.kubernetes.io/rewrite-target: /}
spec:
  rules:
  - host: serving.example.com
    http:
      paths: [{path: /model, pathType: Prefix, backend: {service: {name: serving, port: {number: 80}}}}]
---
apiVersion: v1
kind: Service
metadata: {name: serving, namespace: default}
spec: {selector: {app: serving}, ports: [{port: 80, targetPort: 8501}]}
"""


def test_nginx_annotations_without_class_get_ingress_nginx() -> None:
    # A class-less Ingress written for ingress-nginx (TensorFlow Serving's example): its rewrite-target applies
    # (ingress-nginx#4.1), where the portable semantics would pass the path through unchanged.
    t = trace(SERVING, "GET http://serving.example.com/model/v1", assume_endpoints=True)
    rt = t.requests[0]
    assert (rt.controller, rt.status) == ("ingress-nginx", 200)
    assert rt.upstream is not None and rt.upstream["path"] == "/"
    assert "nginx.ingress.kubernetes.io/* annotations" in t.snapshot["controller_reason"]


def test_hosts_claimed_by_gateway_routes_go_to_the_gateway_installation() -> None:
    """A host only an HTTPRoute serves reaches the Gateway's installation, not the first one listed
    (docs/controller-choice.md; here the translated snapshot of the migration example beside ingress-nginx)."""
    root = Path(__file__).resolve().parents[2] / "examples" / "migration-nginx-to-gateway"
    nginx = [p for p in sorted(root.glob("*.yaml")) if p.name != "ingresses.yaml"]
    assert nginx and len(nginx) < len(list(root.glob("*.yaml")))
    e = Engine([*map(str, nginx), str(root / "gateway-api" / "gateway-api.yaml")])
    rt = e.route("GET http://api.example.com/v0/items")
    assert rt.controller == "gateway-api", rt.installation
    assert rt.installation is not None and "HTTPRoute" in rt.installation["reason"]
    assert rt.status == 200
