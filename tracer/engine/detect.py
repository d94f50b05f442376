"""Which controller family handles the snapshot's traffic.

Read from IngressClass ``spec.controller``, GatewayClass ``spec.controllerName``, legacy
``kubernetes.io/ingress.class`` annotations and controller workloads' images, in that order of
trust. Overridden by the ``controller`` option.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .snapshot import K8sObject, Snapshot

# spec.controller / controllerName values published by each project.
CLASS_CONTROLLERS: dict[str, str] = {
    "k8s.io/ingress-nginx": "ingress-nginx",
    "traefik.io/ingress-controller": "traefik",
    "istio.io/ingress-controller": "istio",
    "istio.io/gateway-controller": "gateway-api",
}
# Substrings of container images that identify a controller workload.
IMAGE_HINTS: tuple[tuple[str, str], ...] = (
    ("ingress-nginx/controller", "ingress-nginx"),
    ("nginx-ingress-controller", "ingress-nginx"),
    ("traefik:1.", "traefik-v1"),
    ("traefik", "traefik"),
    ("istio/proxyv2", "istio"),
)
LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


@dataclass(slots=True)
class Detection:
    family: str
    reason: str
    objects: list[K8sObject] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)


def _images(obj: K8sObject) -> list[str]:
    pod_spec = (obj.spec.get("template") or {}).get("spec") or {}
    containers = (pod_spec.get("containers") or []) + (pod_spec.get("initContainers") or [])
    return [str(c.get("image") or "") for c in containers if isinstance(c, dict)]


def detect_controller(snapshot: Snapshot) -> Detection:
    found: list[tuple[str, str, K8sObject]] = []
    for ic in snapshot.of_kind("IngressClass"):
        family = CLASS_CONTROLLERS.get(str(ic.spec.get("controller") or ""))
        if family:
            found.append((family, f"IngressClass {ic.name} has spec.controller {ic.spec.get('controller')}", ic))
    for gc in snapshot.of_kind("GatewayClass"):
        name = str(gc.spec.get("controllerName") or "")
        family = CLASS_CONTROLLERS.get(name, "gateway-api" if name else "")
        if family:
            found.append((family, f"GatewayClass {gc.name} has controllerName {name}", gc))
    for kind in ("Deployment", "DaemonSet", "StatefulSet"):
        for workload in snapshot.of_kind(kind):
            for image in _images(workload):
                for hint, family in IMAGE_HINTS:
                    if hint in image:
                        found.append((family, f"{workload.display()} runs image {image}", workload))
                        break
    for ing in snapshot.of_kind("Ingress"):
        legacy = ing.annotations.get(LEGACY_CLASS_ANNOTATION)
        if legacy == "nginx":
            found.append(("ingress-nginx", f"Ingress {ing.namespace}/{ing.name} has {LEGACY_CLASS_ANNOTATION}: nginx", ing))
        elif legacy == "traefik":
            found.append(("traefik", f"Ingress {ing.namespace}/{ing.name} has {LEGACY_CLASS_ANNOTATION}: traefik", ing))
    candidates = list(dict.fromkeys(f for f, _, _ in found))
    if found:
        family, reason, _ = found[0]
        return Detection(family, reason, [o for f, _, o in found if f == family], candidates)
    if snapshot.of_kind("Ingress"):
        return Detection(
            "ingress-spec",
            "no IngressClass, GatewayClass or controller workload identifies the controller; "
            "using the portable Ingress v1 semantics",
        )
    return Detection("ingress-spec", "the snapshot has no Ingress or controller; using the portable Ingress v1 semantics")
