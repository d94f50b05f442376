"""Traefik v2/v3's Kubernetes Ingress provider: which Ingresses it reads and the routers it builds from them.

traefik#T1 (class selection), #T2 (the rule of a path), #T3 (pathType, character-wise PathPrefix,
strictPrefixMatching), #T4 (router annotations), #T6 (the default backend). Source:
traefik/traefik ``pkg/provider/kubernetes/ingress/kubernetes.go`` and ``annotations.go``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ...k8s import LEGACY_CLASS_ANNOTATION, as_int, default_ingress_class
from ...snapshot import K8sObject, Snapshot
from .crd import CrdIndex, Problem, Resolved, resolve_key
from .labelsel import selector_matches_text
from .routers import MIN_INT32, BackendRef, Router
from .rules import RuleError, parse_rule, rule_priority
from .settings import Settings

CONTROLLER = "traefik.io/ingress-controller"
PREFIX = "traefik.ingress.kubernetes.io/"
DEFAULT_CLASS = "traefik"
_META = re.compile(r"([\\.+*?()|\[\]{}^$])")


@dataclass(slots=True)
class Ignored:
    """An Ingress or IngressRoute Traefik does not read, kept to explain a 404 on its hosts."""

    obj: K8sObject
    reason: str
    rule: str
    hosts: tuple[str, ...]
    severity: str = "warning"  # "info" when the object belongs to another controller's class


def go_quote(value: str) -> str:
    """Go's %q of a string: what the router rule holds, so its length (the priority) is Traefik's."""
    out = []
    for c in value:
        if c in ('"', "\\"):
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\x{ord(c):02x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def provider_annotations(obj: K8sObject) -> dict[str, str]:
    """The provider's annotations without their prefix, lower-cased (Traefik reads them without regard to case)."""
    return {k[len(PREFIX):].lower(): v for k, v in obj.annotations.items() if k.startswith(PREFIX)}


def owned_classes(snapshot: Snapshot, settings: Settings) -> dict[str, K8sObject]:
    """IngressClasses of Traefik's controller (and of the provider's ingressClass name when set), traefik#T1."""
    wanted = settings.ingress.ingress_class
    return {
        c.name: c for c in snapshot.of_kind("IngressClass")
        if str(c.spec.get("controller") or "") == CONTROLLER and (not wanted or c.name == wanted)
    }


def class_decision(ing: K8sObject, classes: dict[str, K8sObject], settings: Settings,
                   default: K8sObject | None) -> tuple[bool, str]:
    """Whether the provider reads the Ingress, and why (traefik#T1; the admission default, k8s-routing#I-3)."""
    name = str(ing.spec.get("ingressClassName") or "")
    how = "spec.ingressClassName"
    annotation = ing.annotations.get(LEGACY_CLASS_ANNOTATION)
    if not name and annotation is None and default is not None:
        name, how = default.name, f"the default IngressClass {default.name}, which the API server fills in"
    option = settings.ingress.ingress_class
    if name:
        if name in classes:
            return True, f"{how} {name} is an IngressClass of {CONTROLLER}"
        return False, f"{how} {name} is not an IngressClass of {CONTROLLER}" + (
            f" named {option}" if option else "")
    value = annotation or ""
    if value == option or (not option and value == DEFAULT_CLASS):
        shown = f"annotation {LEGACY_CLASS_ANNOTATION}: {value}" if annotation is not None else "no class"
        return True, f"{shown}, and the provider's ingressClass is {option or 'empty'}"
    return False, (f"annotation {LEGACY_CLASS_ANNOTATION}: {value}" if annotation is not None else "no class") + (
        f" does not equal the provider's ingressClass {option}" if option else " is not traefik")


class IngressRouters:
    """Builds the routers of every Ingress the provider reads; ``ignored`` keeps the others."""

    def __init__(self, snapshot: Snapshot, settings: Settings, crds: CrdIndex) -> None:
        self.snapshot = snapshot
        self.settings = settings
        self.crds = crds
        self.routers: list[Router] = []
        self.ignored: list[Ignored] = []
        self.read: list[K8sObject] = []
        self.default_backend: Router | None = None
        self.classes = owned_classes(snapshot, settings)

    def build(self) -> None:
        if not self.settings.ingress.enabled:
            return
        default = default_ingress_class(self.snapshot)
        opts = self.settings.ingress
        for ing in sorted(self.snapshot.of_kind("Ingress"), key=lambda o: (o.namespace or "", o.name)):
            hosts = tuple(str(r.get("host") or "").lower() for r in ing.spec.get("rules") or [] if isinstance(r, dict))
            ok, why = class_decision(ing, self.classes, self.settings, default)
            if ok and opts.namespaces and (ing.namespace or "default") not in opts.namespaces:
                ok, why = False, f"namespace {ing.namespace} is not among the provider's namespaces"
            if ok and opts.label_selector and not selector_matches_text(opts.label_selector, ing.labels):
                ok, why = False, f"its labels do not match the provider's labelSelector {opts.label_selector}"
            if not ok:
                self.ignored.append(Ignored(ing, why, "traefik#T1", hosts, "info" if "class" in why.lower() else "warning"))
                continue
            self.read.append(ing)
            self._ingress(ing, why)

    def _ingress(self, ing: K8sObject, why: str) -> None:
        notes = provider_annotations(ing)
        parsed = _router_config(notes)
        if isinstance(parsed, Problem):
            self.ignored.append(Ignored(ing, parsed.message, parsed.rule, ()))
            return
        rules = ing.spec.get("rules") or []
        default_raw = ing.spec.get("defaultBackend") or ing.spec.get("backend")
        if not rules and isinstance(default_raw, dict):
            self._default_backend(ing, default_raw, parsed)
        for r, rule in enumerate(rules):
            http = rule.get("http") if isinstance(rule, dict) else None
            if not isinstance(http, dict):
                continue
            host = str(rule.get("host") or "")
            for p, path in enumerate(http.get("paths") or []):
                if isinstance(path, dict):
                    self._path(ing, f"spec.rules[{r}].http.paths[{p}]", host, path, parsed, why)

    def _backend(self, ing: K8sObject, raw: Any) -> BackendRef | str:
        if not isinstance(raw, dict):
            return "has no backend"
        if raw.get("resource"):
            return "has a resource backend, which Traefik does not support"
        if raw.get("serviceName"):
            legacy = raw.get("servicePort")
            return BackendRef(ing.namespace or "default", str(raw["serviceName"]),
                              as_int(legacy) if as_int(legacy) is not None else str(legacy or ""))
        svc = raw.get("service")
        if not isinstance(svc, dict):
            return "has no service backend"
        raw_port = svc.get("port")
        port: dict[str, Any] = raw_port if isinstance(raw_port, dict) else {}
        number = as_int(port.get("number"))
        return BackendRef(ing.namespace or "default", str(svc.get("name") or ""),
                          number if number is not None else str(port.get("name") or ""))

    def _router(self, ing: K8sObject, where: str, text: str, parsed: dict[str, Any], syntax: str) -> Router:
        explicit = parsed.get("priority", 0)
        eps = parsed.get("entrypoints") or tuple(self.settings.default_entry_points())
        router = Router(
            name=f"{ing.namespace}-{ing.name}-{where}", source=ing, where=where, provider="kubernetesingress",
            rule_text=text, rule=None, priority=explicit or rule_priority(text), explicit_priority=bool(explicit),
            entry_points=tuple(eps), tls=parsed.get("tls", False), tls_details=parsed.get("tls_details", {}),
            order=(ing.namespace or "", ing.name, where),
        )
        try:
            router.rule = parse_rule(text, syntax, self.settings.version)
        except RuleError as exc:
            router.problem = Problem("TRAEFIK_ROUTER_SKIPPED", f"rule {text} is refused: {exc}", "traefik#T7")
        for key in parsed.get("middlewares", ()):
            found = resolve_key(self.crds, "Middleware", key, self.settings.crd.enabled)
            if isinstance(found, Problem):
                router.problem = router.problem or found
            else:
                router.middlewares.append(found)
        return router

    def _default_backend(self, ing: K8sObject, raw: dict[str, Any], parsed: dict[str, Any]) -> None:
        backend = self._backend(ing, raw)
        if isinstance(backend, str):
            self.ignored.append(Ignored(ing, f"its defaultBackend {backend}", "traefik#T6", ()))
            return
        router = self._router(ing, "spec.defaultBackend", 'PathPrefix("/")', parsed, "v3")
        router.priority, router.explicit_priority = MIN_INT32, True
        router.backends = [backend]
        if self.default_backend is not None:
            router.problem = Problem(
                "TRAEFIK_ROUTER_SKIPPED",
                f"the default backend already exists (from Ingress {self.default_backend.source.namespace}/"
                f"{self.default_backend.source.name}); Traefik keeps only the first", "traefik#T6")
        else:
            self.default_backend = router
        self.routers.append(router)

    def _path(self, ing: K8sObject, where: str, host: str, path: dict[str, Any], parsed: dict[str, Any],
              why: str) -> None:
        backend = self._backend(ing, path.get("backend"))
        if isinstance(backend, str):
            self.ignored.append(Ignored(ing, f"{where} {backend}", "traefik#T2", (host.lower(),)))
            return
        syntax = parsed.get("rulesyntax") or self.settings.default_rule_syntax
        parts = [self._host_rule(host, syntax)] if host else []
        value = str(path.get("path") or "")
        path_type = str(path.get("pathType") or "")
        if value:
            matcher = "PathPrefix"
            if path_type in ("", "ImplementationSpecific"):
                matcher = parsed.get("pathmatcher") or matcher
                allowed = ("Path", "PathPrefix") if self.settings.v2 else ("Path", "PathPrefix", "PathRegexp")
                if matcher not in allowed:
                    self.ignored.append(Ignored(ing, f"{where}: router.pathmatcher {matcher} is not one of "
                                                f"{', '.join(allowed)}", "traefik#T3", (host.lower(),)))
                    return
            elif path_type == "Exact":
                matcher = "Path"
            parts.append(self._path_rule(matcher, value))
        router = self._router(ing, where, " && ".join(parts), parsed, syntax)
        router.backends = [backend]
        router.path_type = path_type or "ImplementationSpecific"
        self.routers.append(router)

    def _host_rule(self, host: str, syntax: str) -> str:
        if not host.startswith("*."):
            return f"Host({go_quote(host)})"
        if syntax == "v2":
            return f"HostRegexp({go_quote('{subdomain:[a-zA-Z0-9-]+}.' + host[2:])})"
        if self.settings.at_least(3, 7, 0):
            return f"Host({go_quote(host)})"
        return f"HostRegexp({go_quote('^[a-zA-Z0-9-]+' + _META.sub(r'\\\1', host[1:]) + '$')})"

    def _path_rule(self, matcher: str, path: str) -> str:
        if matcher == "PathPrefix" and self.settings.ingress.strict_prefix_matching:
            if path == "/":
                return 'PathPrefix("/")'
            trimmed = path.removesuffix("/")
            return f"(Path({go_quote(trimmed)}) || PathPrefix({go_quote(trimmed + '/')}))"
        return f"{matcher}({go_quote(path)})"


def _router_config(notes: dict[str, str]) -> dict[str, Any] | Problem:
    """The router.* annotations (traefik#T4); a value Traefik cannot decode makes it skip the whole Ingress."""
    out: dict[str, Any] = {}
    eps = notes.get("router.entrypoints")
    if eps:
        out["entrypoints"] = tuple(e.strip() for e in eps.split(",") if e.strip())
    mws = notes.get("router.middlewares")
    if mws:
        out["middlewares"] = tuple(m.strip() for m in mws.split(",") if m.strip())
    if "router.priority" in notes:
        value = notes["router.priority"].strip()
        if not re.fullmatch(r"-?\d+", value):
            return _bad("router.priority", value, "an integer")
        out["priority"] = int(value)
    if "router.tls" in notes:
        value = notes["router.tls"].strip().lower()
        if value not in ("true", "false", "1", "0", "t", "f"):
            return _bad("router.tls", notes["router.tls"], "true or false")
        out["tls"] = value in ("true", "1", "t")
    details = {k.removeprefix("router.tls."): v for k, v in notes.items() if k.startswith("router.tls.")}
    if details:
        out["tls"] = True  # a certresolver, options or domains setting turns TLS on
        out["tls_details"] = details
    for key in ("router.pathmatcher", "router.rulesyntax"):
        if notes.get(key):
            out[key.removeprefix("router.")] = notes[key].strip()
    return out


def _bad(name: str, value: str, wanted: str) -> Problem:
    return Problem("TRAEFIK_ROUTER_SKIPPED",
                   f"annotation {PREFIX}{name}: {value} is not {wanted}; Traefik skips the whole Ingress",
                   "traefik#T4", f"Set {PREFIX}{name} to {wanted}.")


def service_config(svc: K8sObject) -> dict[str, str]:
    """The service.* annotations of a Service (traefik#T5)."""
    return {k.removeprefix("service."): v for k, v in provider_annotations(svc).items() if k.startswith("service.")}


__all__ = ["CONTROLLER", "Ignored", "IngressRouters", "Resolved", "class_decision", "go_quote",
           "owned_classes", "provider_annotations", "service_config"]
