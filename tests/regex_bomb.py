"""A regex-bomb snapshot (issue 11, "one tenant can stall all"): ingress-nginx Ingresses in regex mode on one host,
each path a distinct variant of ``/(a|aa)+$``, which backtracks exponentially on ``/aaa...ab``. Each evaluation
runs into the 50 ms regex timeout, so a request through N of them costs about N x 50 ms without a trace budget.
"""

from __future__ import annotations

HOST = "bomb.example.com"
ATTACK_URL = f"http://{HOST}/{'a' * 40}b"
PATTERN = "/(a|aa)+$"

_HEAD = """\
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: bomb}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: bomb}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1, ports: [{containerPort: 8080}]}]}
"""

_INGRESS = """\
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: bomb-{i}
  namespace: bomb
  annotations: {{nginx.ingress.kubernetes.io/use-regex: "true"}}
spec:
  ingressClassName: nginx
  rules:
  - host: {host}
    http:
      paths:
      - path: "{path}"
        pathType: ImplementationSpecific
        backend: {{service: {{name: web, port: {{number: 80}}}}}}
"""


def bomb_path(i: int) -> str:
    """Distinct patterns (a duplicate regex would be reported as shadowed); every one backtracks on the attack."""
    return PATTERN if i == 0 else f"{PATTERN}|/x{i}"


def bomb_manifests(ingresses: int) -> str:
    return _HEAD + "".join(_INGRESS.format(i=i, host=HOST, path=bomb_path(i)) for i in range(ingresses))
