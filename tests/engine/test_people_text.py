"""Text people read (hop summaries, decisions, near misses, diagnoses, warnings) never shows a Python literal.

Each small manifest below reproduces a case first seen on public manifests, where a missing value used to be
printed as ``None``; the examples/ snapshots are swept as well.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from text_checks import find_literals, literals_in, scan  # tests/engine is on sys.path (no __init__.py)

from tracer.engine import Engine, load_manifests

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# ingress-nginx with a NodePort Service that leaves nodePort to the API server (as the upstream deploy files do).
CONTROLLER = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec:
  selector: {matchLabels: {app.kubernetes.io/name: ingress-nginx}}
  template:
    metadata: {labels: {app.kubernetes.io/name: ingress-nginx}}
    spec:
      containers:
      - name: controller
        image: registry.k8s.io/ingress-nginx/controller:v1.15.1
        args: [/nginx-ingress-controller, --ingress-class=nginx]
        ports: [{name: http, containerPort: 80}, {name: https, containerPort: 443}]
---
apiVersion: v1
kind: Service
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec:
  type: {service_type}
  selector: {app.kubernetes.io/name: ingress-nginx}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: https, port: 443, targetPort: https}
"""

APP = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: web}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1, ports: [{containerPort: 8080}]}]}
"""

# A v1 Ingress path without pathType: the API server refuses it; ingress-spec says so instead of "pathType None".
NO_PATH_TYPE = """\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: legacy, namespace: shop}
spec:
  rules:
  - host: old.example.com
    http:
      paths:
      - {path: /app, backend: {service: {name: web, port: {number: 80}}}}
"""

# An IngressClass with no spec.controller, and a backend port referenced by a name the Service does not have.
ODD_CLASS_AND_PORT = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: other}
spec: {}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: other, namespace: shop}
spec:
  ingressClassName: other
  rules:
  - host: other.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
"""

CASES = {
    "nodeport-without-nodePort": CONTROLLER.replace("{service_type}", "NodePort") + "---\n" + APP,
    "loadbalancer-without-nodePort": CONTROLLER.replace("{service_type}", "LoadBalancer") + "---\n" + APP,
    "path-without-pathType": NO_PATH_TYPE + "---\n" + APP,
    "class-without-controller-and-unknown-port-name": ODD_CLASS_AND_PORT,
}


def report(found: list[tuple[str, str, str, str]]) -> str:
    return "\n".join(f"{case} {where}: {lit!r} in {text!r}" for case, where, lit, text in found[:20])


def test_the_walker_flags_literals_as_words_only() -> None:
    assert literals_in("--dport None -> x; picked port None") == ["None", "None"]
    assert literals_in("flags: True, False, {}, [], ()") == ["True", "False", "{}", "[]", "()"]
    # Names that merely start with one, and field paths, are fine.
    assert literals_in("Nonexistent TrueNAS host-None spec.tls[].hosts f() a.None") == []
    trace = {"warnings": ["w None"], "requests": [{"hops": [{"summary": "s", "decision": "d", "near_misses": ["[]"]}],
                                                    "diagnoses": [{"code": "X", "message": "m", "fix": "False"}]}]}
    assert [(where, lit) for where, lit, _ in find_literals(trace)] == [
        ("warnings[0]", "None"),
        ("requests[0].hops[0](None).near_misses[0]", "[]"),
        ("requests[0].diagnoses[0](X).fix", "False"),
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_small_manifests_read_without_literals(name: str) -> None:
    found = scan(load_manifests(CASES[name]))
    assert not found, report(found)


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()))
def test_examples_read_without_literals(example: str) -> None:
    found = scan(load_manifests(EXAMPLES / example))
    assert not found, report(found)


@pytest.mark.parametrize("service_type", ["NodePort", "LoadBalancer"])
def test_kube_proxy_says_the_api_server_assigns_the_node_port(service_type: str) -> None:
    snapshot = load_manifests(CONTROLLER.replace("{service_type}", service_type) + "---\n" + APP)
    hops = Engine(snapshot).trace("GET http://shop.example.com/").to_dict()["requests"][0]["hops"]
    proxy = next(h for h in hops if h["component"] == "kube-proxy" and "KUBE-NODEPORTS" in h["summary"])
    assert "--dport <a nodePort from 30000-32767 assigned by the API server>" in proxy["summary"]


def test_a_missing_path_type_is_named_as_missing() -> None:
    trace = Engine(load_manifests(NO_PATH_TYPE), controller="ingress-spec").trace("GET http://old.example.com/app")
    messages = [d["message"] for d in trace.to_dict()["requests"][0]["diagnoses"]]
    assert any("pathType is missing; the API server rejects" in m for m in messages), messages


def test_an_assumed_pod_on_an_undeclared_named_port_says_so() -> None:
    # targetPort "web" names no container port: the assumed endpoint has no port number to show.
    engine = Engine(load_manifests(APP), controller="ingress-spec", assume_endpoints=True)
    hops = engine.trace("GET http://shop.example.com/").to_dict()["requests"][0]["hops"]
    texts = {h["component"]: h["summary"] for h in hops}
    assert "picked a port the snapshot does not give" in texts["endpoints"]
    assert "container port 'web' = not declared by any container in the snapshot" in texts["pod"]
