"""The controller installations a snapshot holds, and which Ingresses each one claims.

A snapshot of a real cluster often runs several controllers at once: two ingress-nginx installs with
their own classes (ingress-nginx's docs/user-guide/multiple-ingress.md), or ingress-nginx beside
Traefik or Istio. Each installation is found from what the cluster itself would use: IngressClasses
with their ``spec.controller``, controller workloads with their flags (``--controller-class``,
``--ingress-class``, ``--watch-ingress-without-class``), GatewayClasses, and controller images. An
Ingress belongs to the installation that owns its class (k8s-routing#I-1, #I-3), never to whichever
comes first in a listing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .dataplanes import FAMILIES
from .dataplanes.ingress_nginx.flags import DEFAULT_CONTROLLER_CLASS, find_controllers
from .dataplanes.traefik.detect import TRAEFIK_FAMILIES, implied_family, provider_class
from .dataplanes.traefik.detect import image_family as traefik_image_family
from .k8s import LEGACY_CLASS_ANNOTATION, default_ingress_class, pod_template, template_labels
from .snapshot import K8sObject, Snapshot

# spec.controller / controllerName values published by each project.
CLASS_CONTROLLERS: dict[str, str] = {
    "k8s.io/ingress-nginx": "ingress-nginx",
    "traefik.io/ingress-controller": "traefik",
    "istio.io/ingress-controller": "istio",
    "istio.io/gateway-controller": "gateway-api",
    # GatewayClass controllerName values of the Gateway API implementations in the support matrix
    # (tracer.engine.dataplanes.gateway_api.conformance); a GatewayClass of any other controller is simulated with
    # the same portable Gateway API semantics, without the matrix's feature warnings.
    "gateway.envoyproxy.io/gatewayclass-controller": "gateway-api",
    "gateway.nginx.org/nginx-gateway-controller": "gateway-api",
    "io.cilium/gateway-controller": "gateway-api",
    "kgateway.dev/kgateway": "gateway-api",
    "traefik.io/gateway-controller": "gateway-api",
}
# Substrings of container images that identify a controller workload of a family without IngressClass.
IMAGE_HINTS: tuple[tuple[str, str], ...] = (
    ("traefik:1.", "traefik-v1"),
    ("traefik", "traefik"),
    ("istio/proxyv2", "istio"),
)
NGINX_ANNOTATION_PREFIX = "nginx.ingress.kubernetes.io/"
ISTIO_GROUP = "networking.istio.io/"
ISTIO_GATEWAY = "networking.istio.io/Gateway"  # how the snapshot indexes Istio's Gateway kind
GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"  # on what an implementation generates (GEP-1762)
PORTABLE = "ingress-spec"


@dataclass(slots=True)
class Installation:
    """One controller deployment (or a stand-in for one the snapshot implies) and what it claims."""

    family: str
    name: str
    controller: str = ""  # the spec.controller value it claims; "" when the family has no IngressClass
    classes: tuple[str, ...] = ()  # IngressClass names it owns (or, when assumed, would own)
    ingress_class: str = ""  # the name legacy kubernetes.io/ingress.class annotations must carry
    watch_without_class: bool = False
    workload: K8sObject | None = None
    objects: list[K8sObject] = field(default_factory=list)  # class objects and workload, for hops
    reason: str = ""
    assumed: bool = False  # not in the snapshot: implied by Ingresses (class name, annotations)

    @property
    def simulated(self) -> bool:
        return self.family in FAMILIES

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "controller": self.family,
            "controller_class": self.controller,
            "ingress_classes": list(self.classes),
            "simulated": self.simulated,
            "found_by": self.reason,
        }
        if self.workload is not None:
            out["workload"] = self.workload.ref()
        if self.assumed:
            out["assumed"] = True
        return out

    def claims(self, ing: K8sObject, default_class: K8sObject | None) -> str | None:
        """Why this installation serves the Ingress (k8s-routing#I-1, #I-3), or None when it does not."""
        name = str(ing.spec.get("ingressClassName") or "")
        if name:
            return f"ingressClassName {name}" if name in self.classes else None
        legacy = ing.annotations.get(LEGACY_CLASS_ANNOTATION)
        if legacy is not None:
            return f"annotation {LEGACY_CLASS_ANNOTATION}: {legacy}" if legacy == self.ingress_class else None
        if default_class is not None:
            # The admission plugin fills the default class into class-less Ingresses on creation.
            return f"default IngressClass {default_class.name}" if default_class.name in self.classes else None
        if self.watch_without_class:
            return "no class, and the controller watches Ingresses without class"
        if self.family == PORTABLE:
            return "no class; the portable semantics serve every Ingress"
        return None


def _nginx_installations(snapshot: Snapshot, classes: list[K8sObject]) -> list[Installation]:
    out = []
    for c in find_controllers(snapshot):
        controller = str(c.flags.get("controller-class") or DEFAULT_CONTROLLER_CLASS)
        ingress_class = str(c.flags.get("ingress-class") or "nginx")
        by_name = c.flags.get("ingress-class-by-name", "false") in (None, "true", "True", "1")
        owned = [ic for ic in classes if ic.spec.get("controller") == controller or (by_name and ic.name == ingress_class)]
        watch = c.flags.get("watch-ingress-without-class", "false") in (None, "true", "True", "1")
        out.append(
            Installation(
                "ingress-nginx",
                f"ingress-nginx ({c.workload.namespace}/{c.workload.name})",
                controller,
                tuple(ic.name for ic in owned),
                ingress_class,
                watch,
                c.workload,
                [*owned, c.workload],
                f"{c.workload.display()} runs the ingress-nginx controller with --controller-class={controller}",
            )
        )
    return out


def _images(obj: K8sObject) -> list[str]:
    pod_spec = pod_template(obj).get("spec") or {}
    containers = (pod_spec.get("containers") or []) + (pod_spec.get("initContainers") or [])
    return [str(c.get("image") or "") for c in containers if isinstance(c, dict)]


def _image_family(obj: K8sObject) -> str | None:
    for image in _images(obj):
        # Traefik by the image's name and tag (traefik:1.7.19 is 1.x; traefik/whoami is a demo app, not Traefik).
        traefik = traefik_image_family(image)
        if traefik is not None:
            return traefik
        for hint, family in IMAGE_HINTS:
            if family in TRAEFIK_FAMILIES:
                continue
            if hint in image:
                return family
    return None


def _class_installations(snapshot: Snapshot, classes: list[K8sObject], taken: set[str]) -> list[Installation]:
    """One installation per spec.controller value no controller workload claimed."""
    by_controller: dict[str, list[K8sObject]] = {}
    for ic in classes:
        value = str(ic.spec.get("controller") or "")
        if value not in taken:
            by_controller.setdefault(value, []).append(ic)
    workloads = [w for kind in ("Deployment", "DaemonSet", "StatefulSet") for w in snapshot.of_kind(kind)]
    out = []
    for value, owned in by_controller.items():
        family = CLASS_CONTROLLERS.get(value, "unknown")
        names = tuple(ic.name for ic in owned)
        workload = next((w for w in workloads if _image_family(w) == family), None)
        what = f"IngressClass {', '.join(names)} with spec.controller {value}" if value else (
            f"IngressClass {', '.join(names)} without spec.controller"
        )
        assumed = workload is None and family == "ingress-nginx"
        out.append(
            Installation(
                family,
                f"{family} ({workload.namespace}/{workload.name})" if workload else f"{family} (class {names[0]})",
                value,
                names,
                names[0] if family != "ingress-nginx" else "nginx",
                False,
                workload,
                [*owned, *([workload] if workload else [])],
                what + ("; its controller workload is not in the snapshot (built-in defaults assumed)" if assumed else ""),
                assumed,
            )
        )
    return out


def _gateway_installations(snapshot: Snapshot) -> list[Installation]:
    """One installation per GatewayClass controllerName (the controller runs every class naming it, as with
    IngressClasses sharing spec.controller), holding its classes and their Gateways (k8s-routing#G-1). Gateways whose
    class is not in the snapshot form an assumed installation per class name; its ``controller`` is that name,
    which the gateway-api table reads the same way."""
    gateways: dict[str, list[K8sObject]] = {}
    for gw in snapshot.of_kind("Gateway"):
        gateways.setdefault(str(gw.spec.get("gatewayClassName") or ""), []).append(gw)
    by_controller: dict[str, list[K8sObject]] = {}
    for gc in snapshot.of_kind("GatewayClass"):
        by_controller.setdefault(str(gc.spec.get("controllerName") or ""), []).append(gc)
    if by_controller:
        # Imported here: the family's package loads only for snapshots that hold GatewayClasses.
        from .dataplanes.gateway_api.conformance import implementation_for
    out = []
    for value, owned in by_controller.items():
        names = [gc.name for gc in owned]
        impl = implementation_for(value)
        served = [gw for name in names for gw in gateways.pop(name, [])]
        what = f"GatewayClass {', '.join(names)} with controllerName {value or 'unset'}"
        out.append(Installation(
            "gateway-api", f"gateway-api (GatewayClass {', '.join(names)})", value,
            objects=[*owned, *served],
            reason=what + (f" ({impl.label()} in the support matrix)" if impl else "") + f", {len(served)} Gateway(s)",
        ))
    for name, served in gateways.items():
        out.append(Installation(
            "gateway-api", f"gateway-api (GatewayClass {name or 'unset'}, assumed)", name, objects=list(served),
            reason=f"Gateway {served[0].namespace}/{served[0].name} names GatewayClass {name or 'unset'}, which is not in "
            "the snapshot; assumed installed, with the portable Gateway API semantics",
            assumed=True,
        ))
    return out


def _istio_installation(snapshot: Snapshot, found: list[Installation]) -> None:
    """An Istio ingress gateway the snapshot's Istio Gateways and VirtualServices imply, when no proxy workload
    or class of Istio's was found: its entry is istio-system/istio-ingressgateway when present (istio#S1)."""
    if any(i.family == "istio" for i in found):
        return
    istio = [o for kind in (ISTIO_GATEWAY, "VirtualService") for o in snapshot.of_kind(kind)
             if o.api_version.startswith(ISTIO_GROUP)]
    if not any(o.kind == "Gateway" for o in istio) or not any(o.kind == "VirtualService" for o in istio):
        _knative_installation(snapshot, found)
        return
    svc = snapshot.get("Service", "istio-system", "istio-ingressgateway")
    found.append(Installation(
        "istio", "istio (istio-system/istio-ingressgateway)" if svc is not None else "istio (assumed)",
        objects=[svc] if svc is not None else [],
        reason=f"the snapshot holds Istio Gateways and VirtualServices ({istio[0].kind} {istio[0].namespace or 'default'}/"
        f"{istio[0].name}, ...); " + ("their entry is Service istio-system/istio-ingressgateway" if svc is not None
                                       else "assumed the default ingress gateway istio-system/istio-ingressgateway"),
        assumed=svc is None,
    ))


def _knative_installation(snapshot: Snapshot, found: list[Installation]) -> None:
    """Knative Services served by net-istio: their entry is Istio's ingress gateway, which runs
    knative-serving/knative-ingress-gateway (istio#S20)."""
    ksvcs = snapshot.of_kind("serving.knative.dev/Service")
    if not ksvcs:
        return
    svc = snapshot.get("Service", "istio-system", "istio-ingressgateway")
    found.append(Installation(
        "istio", "istio (istio-system/istio-ingressgateway)" if svc is not None else "istio (assumed)",
        objects=[svc] if svc is not None else [],
        reason=f"the snapshot holds Knative Services (serving.knative.dev Service {ksvcs[0].namespace or 'default'}/"
        f"{ksvcs[0].name}, ...), served through net-istio's knative-ingress-gateway on "
        + ("Service istio-system/istio-ingressgateway" if svc is not None
           else "the assumed default ingress gateway istio-system/istio-ingressgateway"),
        assumed=svc is None,
    ))


def _gateway_proxies(snapshot: Snapshot) -> set[int]:
    """ids of the workloads generated for Gateways (GEP-1762's ``gateway.networking.k8s.io/gateway-name`` label
    naming a Gateway of the namespace; Istio runs them on its proxyv2 image): part of the gateway-api installation,
    not an installation of their image's family."""
    gateways = {(gw.namespace, gw.name) for gw in snapshot.of_kind("Gateway")}
    if not gateways:
        return set()
    return {
        id(w)
        for kind in ("Deployment", "DaemonSet", "StatefulSet")
        for w in snapshot.of_kind(kind)
        if (w.namespace, (template_labels(w) or w.labels).get(GATEWAY_NAME_LABEL)) in gateways
    }


def _implied_nginx(snapshot: Snapshot, known_classes: set[str]) -> Installation | None:
    """An ingress-nginx the Ingresses imply (class ``nginx`` or nginx annotations) but the snapshot lacks."""
    for ing in snapshot.of_kind("Ingress"):
        name = str(ing.spec.get("ingressClassName") or ing.annotations.get(LEGACY_CLASS_ANNOTATION) or "")
        if name in known_classes:
            continue
        if name == "nginx":
            hint = f"Ingress {ing.namespace}/{ing.name} has class nginx"
        elif not name and any(k.startswith(NGINX_ANNOTATION_PREFIX) for k in ing.annotations):
            hint = f"Ingress {ing.namespace}/{ing.name} carries {NGINX_ANNOTATION_PREFIX}* annotations"
        else:
            continue
        return Installation(
            "ingress-nginx", "ingress-nginx (assumed)", DEFAULT_CONTROLLER_CLASS, ("nginx",), "nginx",
            watch_without_class=not name,
            reason=f"{hint}, and no controller serves it in the snapshot; assumed an ingress-nginx installed by "
            "its Helm chart (class nginx, built-in defaults)",
            assumed=True,
        )
    return None


def _traefik_installations(snapshot: Snapshot, found: list[Installation]) -> None:
    """Traefik installations claim Ingresses by their provider's ingressClass option (traefik#T1, #T35): with the
    option empty, class-less Ingresses and the annotation value traefik. A Traefik the snapshot's IngressRoutes or
    Traefik-annotated Ingresses imply is assumed when none is found."""
    if not any(i.family in TRAEFIK_FAMILIES for i in found):
        implied = implied_family(snapshot)
        if implied is not None:
            family, why, objects = implied
            found.append(Installation(
                family, f"{family} (assumed)", "traefik.io/ingress-controller" if family == "traefik" else "",
                objects=objects, reason=f"{why}, and no Traefik is in the snapshot; assumed one with its default "
                "settings (traefik#T34)", assumed=True,
            ))
    for inst in found:
        if inst.family in TRAEFIK_FAMILIES:
            inst.ingress_class, inst.watch_without_class = provider_class(snapshot, inst.family, inst.workload)


def find_installations(snapshot: Snapshot) -> list[Installation]:
    """Every controller installation, those that serve Ingresses first; the portable Ingress semantics stand
    in when nothing identifies a controller."""
    classes = snapshot.of_kind("IngressClass")
    found = _nginx_installations(snapshot, classes)
    taken = {i.controller for i in found}
    found += _class_installations(snapshot, classes, taken)
    known = {name for i in found for name in i.classes}
    implied = _implied_nginx(snapshot, known)
    if implied is not None and not any(i.family == "ingress-nginx" for i in found):
        found.append(implied)
    families = {i.family for i in found}
    proxies = _gateway_proxies(snapshot)
    for kind in ("Deployment", "DaemonSet", "StatefulSet"):
        for w in snapshot.of_kind(kind):
            family = _image_family(w)
            if (family is not None and family not in families and all(i.workload is not w for i in found)
                    and id(w) not in proxies):
                found.append(Installation(family, f"{family} ({w.namespace}/{w.name})", workload=w, objects=[w],
                                          reason=f"{w.display()} runs a {family} image"))
                families.add(family)
    _traefik_installations(snapshot, found)
    _istio_installation(snapshot, found)
    gateways = _gateway_installations(snapshot)
    found += gateways
    # A snapshot of Gateway API (or Istio) objects alone needs no stand-in for Ingresses it does not have.
    only_gateways = (bool(gateways) or any(i.family == "istio" for i in found)) and not snapshot.of_kind("Ingress")
    if not only_gateways and not any(i.family in ("ingress-nginx", PORTABLE, *TRAEFIK_FAMILIES) or i.classes
                                     for i in found):
        why = (
            "no IngressClass, GatewayClass or controller workload identifies the controller; using the portable "
            "Ingress v1 semantics" if snapshot.of_kind("Ingress") else
            "the snapshot has no Ingress or controller; using the portable Ingress v1 semantics"
        )
        found.insert(0, Installation(PORTABLE, PORTABLE, reason=why, assumed=True))
    default = default_ingress_class(snapshot)
    # The installation owning the default class first: it is the one class-less Ingresses and plain
    # "kubectl create ingress" land on, and the usual public entry.
    found.sort(key=lambda i: (not (default is not None and default.name in i.classes), not i.simulated))
    return found
