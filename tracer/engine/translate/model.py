"""What a translation produces: the Gateway API objects, the notes on what it could not express, where each
HTTPRoute rule came from, and the translated snapshot (docs/translate.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from ..snapshot import K8sObject, Snapshot

GATEWAY_V1 = "gateway.networking.k8s.io/v1"
MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "tracer-translate"  # marks the objects of a translation, so translating again replaces them
SOURCE_ANNOTATION = "tracer.dev/translated-from"
RULES_ANNOTATION = "tracer.dev/rule-sources"
OUTPUT_FILE = "<gateway-api>"  # the Source file of generated objects; written as gateway-api.yaml
NOTE_GAPS = ("translation", "spec", "ingress-nginx-only")


@dataclass(frozen=True, slots=True)
class Notification:
    """Something of the Ingress setup the translation did not express (or expressed with a caveat).

    ``gap`` says why: ``translation`` (an annotation the Gateway API objects here do not carry), ``spec``
    (Gateway API has no field for it or leaves it to the implementation) or ``ingress-nginx-only`` (behaviour
    of ingress-nginx itself, which a faithful Gateway API object does not have). ``rules`` are the
    ingress-nginx rule ids of the behaviour, which the verification looks for on the ingress-nginx hops.
    """

    level: str  # warning | info
    object: str  # "Ingress site/admin"
    annotation: str | None  # the full annotation key, or None for behaviour that is not an annotation
    message: str
    gap: str = "translation"
    rules: tuple[str, ...] = ()
    host: str | None = None  # the rule host it concerns (None: every host of the object)
    path: str | None = None  # the Ingress path it concerns (None: every path of the object)

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "object": self.object, "annotation": self.annotation, "message": self.message,
                "gap": self.gap, "rules": list(self.rules)}

    def line(self) -> str:
        what = f"{self.object}" + (f" {self.annotation}" if self.annotation else "")
        return f"{self.level}: {what}: {self.message}"


@dataclass(frozen=True, slots=True)
class RuleOrigin:
    """Where one HTTPRoute rule came from: the Ingress, its rule and path (or what else made it)."""

    route: str  # "site/web" (HTTPRoute namespace/name)
    rule: int
    ingress: str  # "site/web"
    host: str | None
    path: str | None  # the Ingress path, None for rules the translation added (redirects, app-root, defaultBackend)
    where: str  # "spec.rules[0].http.paths[1]", "spec.defaultBackend", "annotation app-root", ...
    regex: bool = False  # translated as a RegularExpression match

    def to_dict(self) -> dict[str, Any]:
        return {"route": self.route, "rule": self.rule, "ingress": self.ingress, "host": self.host, "path": self.path,
                "where": self.where, "regex": self.regex}

    def text(self) -> str:
        what = f"Ingress {self.ingress} {self.where}"
        return what + (f" (host {self.host or 'any'}, path {self.path})" if self.path is not None else "")


@dataclass(slots=True)
class Translation:
    objects: list[dict[str, Any]] = field(default_factory=list)
    notes: list[Notification] = field(default_factory=list)
    origins: list[RuleOrigin] = field(default_factory=list)
    snapshot: Snapshot | None = None  # the original manifests minus the translated Ingresses, plus the objects
    original: Snapshot | None = None  # the manifests as loaded
    translated: list[str] = field(default_factory=list)  # "site/web" of every Ingress the objects replace
    implementation: str | None = None
    regex_causes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # host -> (Ingress, annotation)
    gateway_controllers: list[str] = field(default_factory=list)  # controllerName of the GatewayClass used

    def origin(self, route: str, rule: int) -> RuleOrigin | None:
        return next((o for o in self.origins if o.route == route and o.rule == rule), None)

    def notes_for(self, ingress: str) -> list[Notification]:
        return [n for n in self.notes if n.object == f"Ingress {ingress}"]

    def to_yaml(self) -> str:
        """The objects as multi-document YAML, stable key order, headed by the notes as comments."""
        head = ["# Gateway API objects translated from the ingress-nginx Ingresses by `manage.py translate` "
                "(docs/translate.md)."]
        head.append(f"# Target implementation: {self.implementation or 'none named (the Gateway API specification only)'}.")
        head.append(f"# Translated Ingresses: {', '.join(self.translated) or 'none'}.")
        if self.notes:
            head.append("# Not expressed, or expressed with a caveat:")
            head += [f"#   {n.line()}" for n in self.notes]
        body = yaml.safe_dump_all(self.objects, sort_keys=False, default_flow_style=False, allow_unicode=True,
                                  width=120) if self.objects else ""
        return "\n".join(head) + "\n" + body

    def to_dict(self) -> dict[str, Any]:
        return {"objects": self.objects, "notes": [n.to_dict() for n in self.notes],
                "origins": [o.to_dict() for o in self.origins], "translated": list(self.translated),
                "implementation": self.implementation}


def marked(obj: K8sObject) -> bool:
    """An object of an earlier translation (it carries the managed-by label)."""
    return obj.labels.get(MANAGED_BY) == MANAGED_BY_VALUE


def meta(name: str, namespace: str | None, *, source: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    if namespace is not None:
        out["namespace"] = namespace
    out["labels"] = {MANAGED_BY: MANAGED_BY_VALUE}
    if source:
        out["annotations"] = {SOURCE_ANNOTATION: source}
    return out
