"""Traefik 1.7's Kubernetes provider: the frontends it builds from Ingresses (traefik#T35..#T45, #T48).

One frontend per host+path; its routes are the path rule (``<rule-type>:<path>``) and ``Host:<host>``, its
priority the sum of their lengths unless the priority annotation sets one. Annotations are looked up as
``ingress.kubernetes.io/X``, then ``traefik.ingress.kubernetes.io/X``, then an old label name (traefik#T36).
Source: traefik/traefik@v1.7 ``provider/kubernetes/kubernetes.go`` (loadIngresses, getRuleForPath,
getFrontendRedirect, addGlobalBackend, shouldProcessIngress) and ``annotations.go``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ....k8s import LEGACY_CLASS_ANNOTATION, as_int
from ....snapshot import K8sObject, Snapshot
from ..ingress_v2 import Ignored
from ..labelsel import selector_matches_text
from ..rules import RuleError
from .rules import V1Rule, add_route
from .settings import V1Settings

PREFIXES = ("ingress.kubernetes.io/", "traefik.ingress.kubernetes.io/")
LEGACY_LABELS = {
    "preserve-host": "traefik.frontend.passHostHeader", "frontend-entry-points": "traefik.frontend.entryPoints",
    "priority": "traefik.frontend.priority", "rule-type": "traefik.frontend.rule.type",
    "redirect-entry-point": "traefik.frontend.redirect.entrypoint",
    "redirect-regex": "traefik.frontend.redirect.regex", "redirect-replacement": "traefik.frontend.redirect.replacement",
}
RULE_TYPES = ("Path", "PathPrefix", "PathStrip", "PathPrefixStrip", "ReplacePath")
NOT_MODELLED = ("auth-type", "auth-url", "whitelist-source-range", "rate-limit", "error-pages", "allowed-hosts",
                "max-conn-amount", "circuit-breaker-expression", "affinity", "service-weights")


def annotation(obj: K8sObject, name: str) -> str | None:
    """traefik#T36: the first of ingress.kubernetes.io/X, traefik.ingress.kubernetes.io/X, the legacy label."""
    notes = obj.annotations
    for prefix in PREFIXES:
        if prefix + name in notes:
            return notes[prefix + name]
    legacy = LEGACY_LABELS.get(name)
    return notes.get(legacy) if legacy else None


def _bool(obj: K8sObject, name: str, default: bool) -> bool:
    value = (annotation(obj, name) or "").strip().lower()
    return {"true": True, "1": True, "t": True, "false": False, "0": False, "f": False}.get(value, default)


def _map(obj: K8sObject, name: str) -> dict[str, str]:
    """``k:v||k2:v2`` (traefik#T45)."""
    out = {}
    for part in (annotation(obj, name) or "").split("||"):
        key, sep, value = part.partition(":")
        if sep and key.strip():
            out["-".join(w.capitalize() for w in key.strip().split("-"))] = value.strip()
    return out


@dataclass(slots=True)
class V1Backend:
    ingress: K8sObject
    service: str
    port: int | str
    protocol: str  # the protocol annotation of the Ingress ("" when unset)


@dataclass(slots=True)
class V1Redirect:
    entry_point: str | None = None
    regex: str | None = None
    replacement: str | None = None
    permanent: bool = False
    app_root: bool = False


@dataclass(slots=True)
class Frontend:
    key: str
    ingress: K8sObject
    where: str
    routes: dict[str, str]  # route name -> rule text, as the provider keys them (path, host)
    rule: V1Rule
    priority: int
    explicit_priority: bool
    entry_points: tuple[str, ...]
    redirect: V1Redirect | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)
    ssl_redirect: bool = False
    ssl_temporary: bool = False
    ssl_host: str = ""
    pass_host: bool = True
    backends: list[V1Backend] = field(default_factory=list)
    not_modelled: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # other Ingresses sharing this host+path

    @property
    def label(self) -> str:
        return f"Ingress {self.ingress.namespace}/{self.ingress.name} {self.where}"

    def sort_key(self) -> tuple[int, str]:
        return (-self.priority, self.key)


class FrontendBuilder:
    def __init__(self, snapshot: Snapshot, settings: V1Settings) -> None:
        self.snapshot = snapshot
        self.settings = settings
        self.frontends: dict[str, Frontend] = {}
        self.ignored: list[Ignored] = []
        self.read: list[K8sObject] = []
        self.default_frontend: Frontend | None = None
        self.has_secrets = bool(snapshot.of_kind("Secret"))

    def build(self) -> None:
        if not self.settings.kubernetes:
            return
        for ing in sorted(self.snapshot.of_kind("Ingress"), key=lambda o: (o.namespace or "", o.name)):
            hosts = tuple(str(r.get("host") or "").lower() for r in ing.spec.get("rules") or [] if isinstance(r, dict))
            why = self._skip_reason(ing)
            if why is not None:
                self.ignored.append(Ignored(ing, why, "traefik#T35", hosts, "info" if "class" in why.lower() else "warning"))
                continue
            self.read.append(ing)
            self._ingress(ing, hosts)
        for fe in self.frontends.values():
            fe.rule = V1Rule()
            for text in fe.routes.values():
                add_route(fe.rule, text)
            if not fe.explicit_priority:
                fe.priority = fe.rule.priority

    def _skip_reason(self, ing: K8sObject) -> str | None:
        value = ing.annotations.get(LEGACY_CLASS_ANNOTATION, "")
        option = self.settings.ingress_class
        if not (value == option if option else value in ("", "traefik")):
            return (f"annotation {LEGACY_CLASS_ANNOTATION}: {value} " + (f"is not {option}" if option else
                    "is neither empty nor traefik") + " (1.7 reads only this annotation, never spec.ingressClassName)")
        if self.settings.namespaces and (ing.namespace or "default") not in self.settings.namespaces:
            return f"namespace {ing.namespace} is not among the provider's namespaces"
        if self.settings.label_selector and not selector_matches_text(self.settings.label_selector, ing.labels):
            return f"its labels do not match the provider's labelSelector {self.settings.label_selector}"
        for entry in ing.spec.get("tls") or []:
            name = str(entry.get("secretName") or "") if isinstance(entry, dict) else ""
            if name and self.has_secrets and self.snapshot.get("Secret", ing.namespace, name) is None:
                return f"its TLS Secret {ing.namespace}/{name} does not exist, and a TLS error skips the whole Ingress"
        return None

    def _ingress(self, ing: K8sObject, hosts: tuple[str, ...]) -> None:
        default = ing.spec.get("backend") or ing.spec.get("defaultBackend")
        if isinstance(default, dict):
            why = self._global_backend(ing, default)
            if why is not None:
                self.ignored.append(Ignored(ing, why, "traefik#T41", hosts))
                return
        for r, rule in enumerate(ing.spec.get("rules") or []):
            http = rule.get("http") if isinstance(rule, dict) else None
            if not isinstance(http, dict):
                continue
            for p, path in enumerate(http.get("paths") or []):
                if isinstance(path, dict):
                    self._path(ing, f"spec.rules[{r}].http.paths[{p}]", str(rule.get("host") or ""), path)

    def _frontend(self, ing: K8sObject, key: str, where: str, routes: dict[str, str], path: str) -> Frontend:
        priority, eps = _priority(ing), _entry_points(ing)
        fe = Frontend(key, ing, where, routes, V1Rule(), priority, priority > 0,
                      eps or tuple(self.settings.default_entry_points))
        fe.redirect = _redirect(ing, key, path)
        fe.request_headers = _map(ing, "custom-request-headers")
        fe.response_headers = _map(ing, "custom-response-headers")
        fe.ssl_redirect = _bool(ing, "ssl-redirect", False)
        fe.ssl_temporary = _bool(ing, "ssl-temporary-redirect", False)
        fe.ssl_host = annotation(ing, "ssl-host") or ""
        fe.pass_host = _bool(ing, "preserve-host", self.settings.pass_host_headers)
        fe.not_modelled = [n for n in NOT_MODELLED if annotation(ing, n)]
        return fe

    def _global_backend(self, ing: K8sObject, raw: dict[str, Any]) -> str | None:
        name, port = _service_ref(raw)
        if self.default_frontend is not None:
            return "it has a spec.backend, and the global default backend already exists, so Traefik skips the Ingress"
        svc = self.snapshot.get("Service", ing.namespace, name)
        if svc is None:
            return f"its spec.backend Service {ing.namespace}/{name} does not exist, so Traefik skips the Ingress"
        fe = self._frontend(ing, "global-default-frontend", "spec.backend", {"/": "PathPrefix:/"}, "/")
        fe.backends.append(V1Backend(ing, name, port, ""))
        self.default_frontend = self.frontends[fe.key] = fe
        return None

    def _path(self, ing: K8sObject, where: str, host: str, path: dict[str, Any]) -> None:
        name, port = _service_ref(path.get("backend") or {})
        value = str(path.get("path") or "")
        key = _base_name(ing, host + value or name)
        fe = self.frontends.get(key)
        if fe is None:
            fe = self._frontend(ing, key, where, {}, value)
        elif fe.ingress is not ing:
            fe.merged.append(f"Ingress {ing.namespace}/{ing.name} {where}")
        if self.snapshot.get("Service", ing.namespace, name) is None:
            self.ignored.append(Ignored(ing, f"{where}: Service {ing.namespace}/{name} does not exist, so Traefik "
                                        "creates no frontend for it", "traefik#T44", (host.lower(),)))
            return
        text = _rule_for_path(ing, value)
        if isinstance(text, RuleError):
            self.ignored.append(Ignored(ing, f"{where}: {text}", "traefik#T38", (host.lower(),)))
            return
        if text:
            fe.routes[value] = text
        if host:
            fe.routes.setdefault(host, ("HostRegexp:" + host.replace("*", "{subdomain:[A-Za-z0-9-_]+}", 1))
                                 if "*" in host else f"Host:{host}")
        if not fe.routes:
            fe.routes["/"] = "PathPrefix:/"
        try:
            probe = V1Rule()
            for t in fe.routes.values():
                add_route(probe, t)
        except RuleError as exc:
            self.ignored.append(Ignored(ing, f"{where}: {exc}", "traefik#T38", (host.lower(),)))
            return
        protocol = annotation(ing, "protocol") or ""
        fe.backends.append(V1Backend(ing, name, port, protocol))
        self.frontends[key] = fe


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _priority(ing: K8sObject) -> int:
    value = (annotation(ing, "priority") or "").strip()
    number = int(value) if value.lstrip("-").isdigit() else 0
    return number if number > 0 else 0


def _entry_points(ing: K8sObject) -> tuple[str, ...]:
    return tuple(e.strip() for e in (annotation(ing, "frontend-entry-points") or "").split(",") if e.strip())


def _base_name(ing: K8sObject, name: str) -> str:
    """The frontend's key: host+path (or the Service name), prefixed by its entry points and priority."""
    eps = _entry_points(ing)
    if eps:
        name = "-".join(eps) + "_" + name
    priority = _priority(ing)
    return f"{priority}-{name}" if priority > 0 else name


def _service_ref(raw: dict[str, Any]) -> tuple[str, int | str]:
    if raw.get("serviceName"):
        port = raw.get("servicePort")
    else:
        # A networking.k8s.io/v1 Ingress as 1.7 reads it through extensions/v1beta1 (the API server converts it).
        svc = _mapping(raw.get("service"))
        raw_port = _mapping(svc.get("port"))
        port = raw_port.get("number") if raw_port.get("number") is not None else raw_port.get("name")
        raw = {"serviceName": svc.get("name")}
    number = as_int(port)
    return str(raw.get("serviceName") or ""), number if number is not None else str(port or "")


def _rule_for_path(ing: K8sObject, path: str) -> str | RuleError:
    """getRuleForPath (traefik#T38, #T39): the rule-type matcher plus rewrite-target and request-modifier."""
    if not path:
        return ""
    rule_type = (annotation(ing, "rule-type") or "PathPrefix").strip()
    if rule_type not in RULE_TYPES:
        return RuleError(f"rule-type {rule_type} is not one of {', '.join(RULE_TYPES[:4])}")
    rules = [f"{rule_type}:{path}"]
    target = annotation(ing, "rewrite-target") or ""
    if target:
        if rule_type == "ReplacePath":
            return RuleError("rewrite-target cannot be combined with rule-type ReplacePath")
        trimmed = target.rstrip("/")
        rules.append(f"ReplacePathRegex: ^(.*) {trimmed}$1" if path == "/" else
                     f"ReplacePathRegex: ^{path}(.*) {trimmed}$1")
    modifier = (annotation(ing, "request-modifier") or "").rstrip(" :")
    if modifier:
        kind, sep, value = modifier.partition(":")
        if not sep or kind.strip() not in ("AddPrefix", "ReplacePath", "ReplacePathRegex"):
            return RuleError(f"request-modifier {modifier} is not AddPrefix, ReplacePath or ReplacePathRegex")
        if rule_type == "ReplacePath":
            return RuleError("request-modifier cannot be combined with rule-type ReplacePath")
        rules.append(f"{kind.strip()}:{value.split(':')[0].strip()}")
    return ";".join(rules)


def _redirect(ing: K8sObject, base: str, path: str) -> V1Redirect | None:
    """getFrontendRedirect (traefik#T43): app-root (built for the path / or an empty path only, but its regex is
    tried on every URL of the frontend), else redirect-entry-point, else redirect-regex and -replacement."""
    permanent = _bool(ing, "redirect-permanent", False)
    app_root = annotation(ing, "app-root") or ""
    if app_root and path in ("/", ""):
        return V1Redirect(regex=f"{base}/$" if path == "" else f"{base}$",
                          replacement=f"{base.rstrip('/')}/{app_root.lstrip('/')}", permanent=permanent, app_root=True)
    entry = annotation(ing, "redirect-entry-point") or ""
    if entry:
        return V1Redirect(entry_point=entry, permanent=permanent)
    regex, replacement = annotation(ing, "redirect-regex") or "", annotation(ing, "redirect-replacement") or ""
    if regex and replacement:
        return V1Redirect(regex=regex, replacement=replacement, permanent=permanent)
    return None


__all__ = ["Frontend", "FrontendBuilder", "V1Backend", "V1Redirect", "annotation"]
