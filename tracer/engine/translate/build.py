"""translate(): a snapshot's ingress-nginx Ingresses as Gateway API v1 objects, and the translated snapshot (the
original manifests without those Ingresses, plus the objects)."""

from __future__ import annotations

from typing import Any

from ..errors import OptionError
from ..loader import load_manifests
from ..snapshot import K8sObject, Snapshot, Source
from .canary import apply_canaries
from .drafts import Draft
from .filters import request_headers
from .gateway import gateway_class, gateway_for, implementation_controller, implementation_keys
from .model import OUTPUT_FILE, Notification, Translation, marked
from .routes import ingress_drafts, route_objects, service_port
from .source import ingress_key, nginx_sources
from .unexpressed import unexpressed_notes


def check_implementation(implementation: str | None) -> None:
    if implementation is not None and implementation_controller(implementation) is None:
        raise OptionError(f"implementation {implementation!r} is not in the support matrix; known: "
                          f"{', '.join(implementation_keys())}")


def translate(manifests: Any, *, implementation: str | None = None) -> Translation:
    """The Gateway API objects equivalent to the ingress-nginx Ingresses of ``manifests`` (docs/translate.md)."""
    check_implementation(implementation)
    loaded = manifests if isinstance(manifests, Snapshot) else load_manifests(manifests)
    previous = [o for o in loaded if marked(o)]
    base = Snapshot.from_objects([o for o in loaded if not marked(o)], list(loaded.warnings)) if previous else loaded
    notes: list[Notification] = []
    out = Translation(implementation=implementation)
    # Objects of an earlier translation (label app.kubernetes.io/managed-by: tracer-translate) are replaced, so
    # translating a folder that holds its own translation gives the same objects again.
    sources = nginx_sources(base)
    if not sources:
        notes.append(Notification("warning", "snapshot", None, "no ingress-nginx installation serves an Ingress here; "
                                  "nothing to translate", "translation"))
    objects: list[dict[str, Any]] = []
    class_name, new_class = gateway_class(base, implementation, notes) if sources else ("", None)
    if new_class is not None:
        objects.append(new_class)
        out.gateway_controllers = [str(new_class["spec"]["controllerName"])]
    elif sources:
        existing = base.get("GatewayClass", None, class_name)
        out.gateway_controllers = [str(existing.spec.get("controllerName") or "")] if existing is not None else []

    def port_of(namespace: str, name: str, port: int | str) -> int | None:
        return service_port(base, namespace, name, port)

    for src in sources:
        gateway, grants = gateway_for(src, class_name, notes)
        common = request_headers(src, base, notes)
        drafts: list[Draft] = []
        policies: list[dict[str, Any]] = []
        for ing in src.ingresses:
            notes.extend(unexpressed_notes(ing, src.annotations(ing), canary=False))
            found, tls_policies = ingress_drafts(src, ing, base, notes, common)
            drafts += found
            policies += tls_policies
        for ing in src.canaries:
            notes.extend(unexpressed_notes(ing, src.annotations(ing), canary=True))
        drafts = apply_canaries(src, drafts, port_of, notes)
        routes = route_objects(src, drafts, gateway["metadata"]["name"], out.origins)
        objects += [gateway, *grants, *routes, *_unique(policies)]
        out.translated += [ingress_key(i) for i in (*src.ingresses, *src.canaries)]
        for host, causes in src.regex_causes.items():
            out.regex_causes.setdefault(host, []).extend(causes)
        for dropped in src.selection.dropped:
            if dropped.severity == "error":
                notes.append(Notification("info", f"Ingress {ingress_key(dropped.ingress)}", None,
                                          f"{src.installation.name} ignores it ({dropped.reason}); not translated",
                                          "translation", (dropped.rule,)))
    out.objects = objects
    out.notes = list(dict.fromkeys(notes))
    out.original = loaded
    out.snapshot = translated_snapshot(base, objects, set(out.translated))
    return out


def _unique(policies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for p in policies:
        seen.setdefault((p["metadata"]["namespace"], p["metadata"]["name"]), p)
    return list(seen.values())


def translated_snapshot(base: Snapshot, objects: list[dict[str, Any]], translated: set[str]) -> Snapshot:
    """The original objects minus the translated Ingresses, plus the new objects (file ``<gateway-api>``)."""
    kept = [o for o in base if not (o.kind == "Ingress" and ingress_key(o) in translated)]
    new = [K8sObject(body=obj, source=Source(OUTPUT_FILE, i, 0)) for i, obj in enumerate(objects)]
    return Snapshot.from_objects([*kept, *new], list(base.warnings))
