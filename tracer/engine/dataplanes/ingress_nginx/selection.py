"""Which Ingresses the controller serves, and in which order (ingress-nginx#1).

Class resolution (#1.1), watched namespaces (#1.3), Ingresses dropped whole (#1.4: risky or invalid
annotations, catch-all disabled) and the creation-time ordering every "first wins" rule uses (#1.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...k8s import LEGACY_CLASS_ANNOTATION, default_ingress_class
from ...snapshot import K8sObject, Snapshot
from .annotations import SNIPPET_ANNOTATIONS, IngressAnnotations, parse_annotations
from .config import ControllerConfig


@dataclass(slots=True)
class Dropped:
    """An Ingress the controller ignores, with the reason a user needs."""

    ingress: K8sObject
    code: str  # INGRESS_CLASS_NOT_SERVED | INGRESS_NAMESPACE_NOT_WATCHED | INGRESS_DROPPED | SNIPPETS_DISABLED ...
    reason: str
    fix: str
    rule: str
    # "info" when the Ingress plainly belongs to another controller's IngressClass in the snapshot.
    severity: str = "error"

    @property
    def label(self) -> str:
        return f"Ingress {self.ingress.namespace}/{self.ingress.name}"


@dataclass(slots=True)
class Selection:
    accepted: list[K8sObject] = field(default_factory=list)  # #1.5 order, canaries included
    annotations: dict[tuple, IngressAnnotations] = field(default_factory=dict)
    dropped: list[Dropped] = field(default_factory=list)
    classes: dict[str, K8sObject] = field(default_factory=dict)  # the controller's IngressClass cache
    class_of: dict[tuple, K8sObject] = field(default_factory=dict)  # Ingress key -> IngressClass that admitted it
    dropped_by_host: dict[str, list[Dropped]] = field(default_factory=dict)  # "" = hostless rules
    notes: list[str] = field(default_factory=list)


def sort_ingresses(ingresses: list[K8sObject]) -> list[K8sObject]:
    """creationTimestamp ascending; ties by namespace/name descending (store.go sortIngressSlice, #1.5)."""
    by_name = sorted(ingresses, key=lambda i: f"{i.namespace}/{i.name}", reverse=True)
    return sorted(by_name, key=lambda i: i.creation_timestamp)


def served_classes(snapshot: Snapshot, config: ControllerConfig) -> dict[str, K8sObject]:
    """IngressClasses in the controller's cache: spec.controller == --controller-class, or (with
    --ingress-class-by-name) named --ingress-class (#1.1)."""
    out: dict[str, K8sObject] = {}
    for ic in snapshot.of_kind("IngressClass"):
        if str(ic.spec.get("controller") or "") == config.controller_class or (
            config.ingress_class_by_name and ic.name == config.ingress_class
        ):
            out[ic.name] = ic
    return out


def _class_verdict(
    ing: K8sObject, config: ControllerConfig, classes: dict[str, K8sObject], snapshot: Snapshot, assume_class: bool
) -> tuple[K8sObject | None, Dropped | None]:
    """(IngressClass that admits it, None) or (None, why it is ignored), in GetIngressClass order (#1.1)."""
    name = ing.spec.get("ingressClassName")
    ref = f"{ing.namespace}/{ing.name}"
    if name:
        name = str(name)
        if name in classes:
            return classes[name], None
        if assume_class and name == config.ingress_class:
            return None, None
        other = snapshot.get("IngressClass", None, name)
        if other is not None:
            owner = other.spec.get("controller")
            has = f"spec.controller {owner!r}" if owner else "no spec.controller"
            why = (
                f"ingressClassName '{name}' is not served by this controller (IngressClass {name} has "
                f"{has}; this controller is {config.controller_class})"
            )
        else:
            why = f"ingressClassName '{name}' names no IngressClass in the snapshot"
        served = ", ".join(sorted(classes)) or config.ingress_class
        fix = (
            f"Set spec.ingressClassName: {served} on Ingress {ref} (kubectl patch ingress {ing.name} -n "
            f"{ing.namespace} --type merge -p '{{\"spec\":{{\"ingressClassName\":\"{served.split(', ')[0]}\"}}}}')"
        )
        owned_elsewhere = other is not None and bool(other.spec.get("controller"))
        if owned_elsewhere:
            # Another controller's class, in the same snapshot: the normal case with several controllers.
            fix = f"Nothing to fix if the Ingress is meant for the controller of class {name}. To serve it here instead, s" + fix[1:]
        return None, Dropped(
            ing,
            "INGRESS_CLASS_NOT_SERVED",
            why + "; the legacy kubernetes.io/ingress.class annotation is not consulted once the field is set",
            fix,
            "ingress-nginx#1.1",
            "info" if owned_elsewhere else "error",
        )
    legacy = ing.annotations.get(LEGACY_CLASS_ANNOTATION)
    if legacy is not None:
        if legacy == config.ingress_class:
            return None, None
        return None, Dropped(
            ing,
            "INGRESS_CLASS_NOT_SERVED",
            f"annotation {LEGACY_CLASS_ANNOTATION}: '{legacy}' is not this controller's --ingress-class "
            f"'{config.ingress_class}'",
            f"Replace the annotation with spec.ingressClassName: {config.ingress_class} on Ingress {ref}.",
            "ingress-nginx#1.1",
        )
    if config.watch_ingress_without_class:
        return None, None
    if assume_class and not config.controller_found and any(k.startswith(config.annotations_prefix + "/") for k in ing.annotations):
        # Written for ingress-nginx (its annotations) in a snapshot without the controller: assume an install
        # that serves it (a default class, or --watch-ingress-without-class) rather than one that ignores it.
        return None, None
    return None, Dropped(
        ing,
        "INGRESS_CLASS_NOT_SERVED",
        "it has no ingressClassName and no kubernetes.io/ingress.class annotation, and the controller runs "
        "with --watch-ingress-without-class=false (the default); the API server fills in a default class only "
        "when the Ingress is created",
        f"Add spec.ingressClassName: {config.ingress_class} to Ingress {ref}, or start the controller with "
        "--watch-ingress-without-class=true (Helm: controller.watchIngressWithoutClass: true).",
        "ingress-nginx#1.2",
    )


def _namespace_verdict(ing: K8sObject, config: ControllerConfig, snapshot: Snapshot) -> Dropped | None:
    ns = ing.namespace or "default"
    if config.watch_namespace:
        if ns == config.watch_namespace:
            return None
        return Dropped(
            ing,
            "INGRESS_NAMESPACE_NOT_WATCHED",
            f"namespace {ns} is not watched (the controller runs with --watch-namespace={config.watch_namespace})",
            f"Move the Ingress to namespace {config.watch_namespace}, or drop --watch-namespace from the "
            "controller's args (Helm: controller.scope.enabled: false).",
            "ingress-nginx#1.3",
        )
    if config.watch_namespace_selector:
        ns_obj = snapshot.get("Namespace", None, ns)
        labels = dict(ns_obj.labels) if ns_obj is not None else {}
        labels.setdefault("kubernetes.io/metadata.name", ns)  # set by the API server on every namespace
        if all(labels.get(k) == v for k, v in config.watch_namespace_selector.items()):
            return None
        sel = ",".join(f"{k}={v}" for k, v in config.watch_namespace_selector.items())
        return Dropped(
            ing,
            "INGRESS_NAMESPACE_NOT_WATCHED",
            f"namespace {ns} does not match --watch-namespace-selector={sel}"
            + ("" if ns_obj is not None else " (the Namespace object is not in the snapshot)"),
            f"Label the namespace: kubectl label namespace {ns} {sel.replace(',', ' ')}",
            "ingress-nginx#1.3",
        )
    return None


def _annotation_drop(ing: K8sObject, ann: IngressAnnotations, config: ControllerConfig) -> Dropped | None:
    if ann.dropped:
        prefix = config.annotations_prefix
        snippets = [
            k for k in ing.annotations if k.startswith(prefix + "/") and k.split("/", 1)[1] in SNIPPET_ANNOTATIONS
        ]
        code = "SNIPPETS_DISABLED" if snippets else "INGRESS_DROPPED"
        fix = (
            f"Remove {', '.join(snippets)} from Ingress {ing.namespace}/{ing.name}, or set both "
            "allow-snippet-annotations: \"true\" and annotations-risk-level: Critical in the controller ConfigMap."
            if snippets
            else f"Fix or remove the offending annotation on Ingress {ing.namespace}/{ing.name}."
        )
        return Dropped(ing, code, ann.dropped, fix, "ingress-nginx#11.2" if snippets else "ingress-nginx#1.4")
    if config.disable_catch_all and ing.spec.get("defaultBackend"):
        return Dropped(
            ing,
            "INGRESS_DROPPED",
            "it has spec.defaultBackend and the controller runs with --disable-catch-all=true (this drops the "
            "whole Ingress, rules included)",
            f"Remove spec.defaultBackend from Ingress {ing.namespace}/{ing.name}.",
            "ingress-nginx#1.4",
        )
    return None


def rule_hosts(ing: K8sObject) -> list[str]:
    hosts = []
    for rule in ing.spec.get("rules") or []:
        if isinstance(rule, dict):
            hosts.append(str(rule.get("host") or "").rstrip(".").lower())
    return hosts


def _classless(ing: K8sObject) -> bool:
    return not ing.spec.get("ingressClassName") and LEGACY_CLASS_ANNOTATION not in ing.annotations


def _with_class(ing: K8sObject, name: str) -> K8sObject:
    body = {**ing.body, "spec": {**ing.spec, "ingressClassName": name}}
    return K8sObject(body=body, source=ing.source)


def select_ingresses(snapshot: Snapshot, config: ControllerConfig) -> Selection:
    sel = Selection(classes=served_classes(snapshot, config))
    # A snapshot of app manifests usually lacks the IngressClass Helm installed; then assume the class
    # named --ingress-class exists and belongs to this controller, and say so. The same when the controller
    # itself is not in the snapshot and no class there is its own (other controllers' classes may be).
    assume_class = not sel.classes and (not snapshot.of_kind("IngressClass") or not config.controller_found)
    if assume_class:
        where = "the snapshot has no IngressClass" if not snapshot.of_kind("IngressClass") else (
            f"no IngressClass in the snapshot has spec.controller {config.controller_class}"
        )
        sel.notes.append(
            f"{where}; assumed IngressClass {config.ingress_class!r} with spec.controller "
            f"{config.controller_class} exists (what the Helm chart installs)"
        )
    default_class = default_ingress_class(snapshot)
    for ing in sort_ingresses(snapshot.of_kind("Ingress")):
        if default_class is not None and _classless(ing):
            # The DefaultIngressClass admission plugin fills the field in when the Ingress is created (#1.2);
            # applying these manifests to a cluster with this default class would do the same.
            ing = _with_class(ing, default_class.name)
            sel.notes.append(
                f"Ingress {ing.namespace}/{ing.name} has no class; IngressClass {default_class.name} is marked "
                f"default, so the API server sets ingressClassName: {default_class.name} when it is created"
            )
        ingress_class, dropped = _class_verdict(ing, config, sel.classes, snapshot, assume_class)
        if dropped is None:
            dropped = _namespace_verdict(ing, config, snapshot)
        if dropped is None:
            ann = parse_annotations(ing, config, snapshot)
            dropped = _annotation_drop(ing, ann, config)
        if dropped is not None:
            sel.dropped.append(dropped)
            for host in set(rule_hosts(ing)) or {""}:
                sel.dropped_by_host.setdefault(host, []).append(dropped)
            continue
        sel.accepted.append(ing)
        sel.annotations[ing.key] = ann
        if ingress_class is not None:
            sel.class_of[ing.key] = ingress_class
    return sel
