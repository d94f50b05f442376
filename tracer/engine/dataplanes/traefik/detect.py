"""What the installation finder needs to know about Traefik: which images are Traefik 1.x or v2/v3, which
Ingresses an installation claims (its provider's ingressClass option, traefik#T1, #T35), and the Traefik a
snapshot implies without showing it (IngressRoutes, traefik-class Ingresses, Traefik annotations)."""

from __future__ import annotations

from ...k8s import LEGACY_CLASS_ANNOTATION
from ...snapshot import K8sObject, Snapshot
from .crd import GROUPS
from .settings import load_settings
from .v1.frontends import PREFIXES, annotation
from .v1.settings import load_v1_settings
from .workload import find_workloads, image_version

TRAEFIK_FAMILIES = ("traefik", "traefik-v1")
V2_PREFIX = "traefik.ingress.kubernetes.io/router."
V1_ONLY = ("rule-type", "frontend-entry-points", "redirect-entry-point", "protocol", "custom-request-headers")


def image_family(image: str) -> str | None:
    """``traefik-v1`` for a Traefik 1.x image, ``traefik`` for any other Traefik image, None otherwise."""
    is_traefik, version = image_version(image)
    if not is_traefik:
        return None
    return "traefik-v1" if version is not None and version[0] == 1 else "traefik"


def provider_class(snapshot: Snapshot, family: str, workload: K8sObject | None) -> tuple[str, bool]:
    """The class value legacy annotations must carry, and whether class-less Ingresses are read."""
    found = next((w for w in find_workloads(snapshot) if w.workload is workload), None) if workload else None
    option = (load_v1_settings(found).ingress_class if family == "traefik-v1" else
              load_settings(found, snapshot).ingress.ingress_class)
    return option or "traefik", not option


def implied_family(snapshot: Snapshot) -> tuple[str, str, list[K8sObject]] | None:
    """(family, why, objects) of a Traefik the snapshot's routing objects imply, or None."""
    routes = [o for o in snapshot.of_kind("IngressRoute") if o.group in GROUPS]
    if routes:
        r = routes[0]
        return "traefik", f"IngressRoute {r.namespace}/{r.name} ({r.api_version}) is a Traefik resource", routes[:1]
    for ing in snapshot.of_kind("Ingress"):
        if any(k.startswith(V2_PREFIX) for k in ing.annotations):
            return "traefik", f"Ingress {ing.namespace}/{ing.name} carries {V2_PREFIX}* annotations", [ing]
        if any(annotation(ing, name) is not None for name in V1_ONLY) and any(
                k.startswith(PREFIXES[1]) for k in ing.annotations):
            return "traefik-v1", f"Ingress {ing.namespace}/{ing.name} carries Traefik 1.7 annotations", [ing]
        if ing.annotations.get(LEGACY_CLASS_ANNOTATION) == "traefik" or ing.spec.get("ingressClassName") == "traefik":
            return "traefik", f"Ingress {ing.namespace}/{ing.name} has class traefik", [ing]
    return None


__all__ = ["TRAEFIK_FAMILIES", "image_family", "implied_family", "provider_class"]
