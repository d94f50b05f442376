"""IngressRoutes as Traefik v2/v3's kubernetescrd provider turns them into routers (traefik#T12).

Each ``spec.routes`` entry of kind Rule becomes one router with the IngressRoute's entry points and TLS; an error
in one route (a refused cross-namespace reference, an unknown TraefikService) skips only that route. Source:
traefik/traefik ``pkg/provider/kubernetes/crd/kubernetes_http.go`` (loadIngressRouteConfiguration, nameAndService).
"""

from __future__ import annotations

from typing import Any

from ...k8s import LEGACY_CLASS_ANNOTATION, as_int
from ...snapshot import K8sObject
from .crd import CrdIndex, Problem, Resolved, resolve_reference
from .ingress_v2 import Ignored
from .labelsel import selector_matches_text
from .routers import BackendRef, Router
from .rules import RuleError, parse_rule, rule_priority
from .settings import Settings

SCHEMES = ("http", "https", "h2c")


def match_hosts(match: str) -> tuple[str, ...]:
    """The literal hosts of ``Host(...)`` in a match, for the hosts an ignored IngressRoute would have served."""
    out = []
    for part in match.split("Host(")[1:]:
        value = part.split(")")[0].strip().strip("`\"")
        if value and "," not in value:
            out.append(value.lower())
    return tuple(out)


def _weight(value: Any) -> int:
    number = as_int(value)
    return 1 if number is None else number


class CrdRouters:
    def __init__(self, settings: Settings, crds: CrdIndex) -> None:
        self.settings = settings
        self.crds = crds
        self.routers: list[Router] = []
        self.ignored: list[Ignored] = []
        self.read: list[K8sObject] = []

    def build(self) -> None:
        for obj, reason in self.crds.unread:
            if obj.kind == "IngressRoute":
                hosts = tuple(h for r in obj.spec.get("routes") or [] if isinstance(r, dict)
                              for h in match_hosts(str(r.get("match") or "")))
                self.ignored.append(Ignored(obj, reason, "traefik#T13", hosts))
        if not self.settings.crd.enabled:
            return
        opts = self.settings.crd
        for ir in sorted(self.crds.of_kind("IngressRoute"), key=lambda o: (o.namespace or "", o.name)):
            hosts = tuple(h for r in ir.spec.get("routes") or [] if isinstance(r, dict)
                          for h in match_hosts(str(r.get("match") or "")))
            value = ir.annotations.get(LEGACY_CLASS_ANNOTATION, "")
            if not (value == opts.ingress_class or (not opts.ingress_class and value == "traefik")):
                self.ignored.append(Ignored(ir, f"annotation {LEGACY_CLASS_ANNOTATION}: {value} does not equal the "
                                            f"kubernetescrd provider's ingressClass {opts.ingress_class or 'traefik'}",
                                            "traefik#T13", hosts, "info"))
                continue
            if opts.namespaces and (ir.namespace or "default") not in opts.namespaces:
                self.ignored.append(Ignored(ir, f"namespace {ir.namespace} is not among the provider's namespaces",
                                            "traefik#T13", hosts))
                continue
            if opts.label_selector and not selector_matches_text(opts.label_selector, ir.labels):
                self.ignored.append(Ignored(ir, f"its labels do not match the provider's labelSelector "
                                            f"{opts.label_selector}", "traefik#T13", hosts))
                continue
            self.read.append(ir)
            self._ingress_route(ir)

    def _ingress_route(self, ir: K8sObject) -> None:
        ns = ir.namespace or "default"
        eps = tuple(str(e) for e in ir.spec.get("entryPoints") or []) or tuple(self.settings.default_entry_points())
        tls_raw = ir.spec.get("tls")
        tls = isinstance(tls_raw, dict)
        tls_details, tls_problem = self._tls(ir, tls_raw) if isinstance(tls_raw, dict) else ({}, None)
        for i, route in enumerate(ir.spec.get("routes") or []):
            if not isinstance(route, dict):
                continue
            where = f"spec.routes[{i}]"
            kind = str(route.get("kind") or "Rule")
            match = str(route.get("match") or "")
            if kind != "Rule" or not match:
                why = f"kind {kind} is not Rule" if kind != "Rule" else "its match is empty"
                self.ignored.append(Ignored(ir, f"{where}: {why}, so Traefik skips the route", "traefik#T12", ()))
                continue
            explicit = as_int(route.get("priority")) or 0
            syntax = str(route.get("syntax") or "") or self.settings.default_rule_syntax
            router = Router(
                name=f"{ns}-{ir.name}-{i}", source=ir, where=where, provider="kubernetescrd", rule_text=match,
                rule=None, priority=explicit or rule_priority(match), explicit_priority=bool(explicit),
                entry_points=eps, tls=tls, tls_details=tls_details, order=(ns, ir.name, f"{i:05d}"),
            )
            try:
                router.rule = parse_rule(match, "v2" if syntax == "v2" else "v3", self.settings.version)
            except RuleError as exc:
                router.problem = Problem("TRAEFIK_ROUTER_SKIPPED", f"rule {match} is refused: {exc}", "traefik#T7")
            router.problem = router.problem or tls_problem or self._middlewares(router, ns, route.get("middlewares"))
            router.problem = router.problem or self._services(router, ns, route.get("services"))
            self.routers.append(router)

    def _tls(self, ir: K8sObject, raw: dict[str, Any]) -> tuple[dict[str, Any], Problem | None]:
        details: dict[str, Any] = {k: raw[k] for k in ("secretName", "certResolver", "domains") if raw.get(k)}
        options = raw.get("options")
        if isinstance(options, dict) and options.get("name"):
            found = resolve_reference(self.crds, "TLSOption", ir.namespace or "default",
                                      str(options.get("namespace") or ""), str(options["name"]),
                                      self.settings.crd.allow_cross_namespace)
            if isinstance(found, Problem) and found.code == "TRAEFIK_CROSS_NAMESPACE_REFUSED":
                return details, found
            details["options"] = found.key if isinstance(found, Resolved) else f"{options['name']} (not found)"
            if isinstance(found, Resolved) and found.obj is not None:
                details["options_spec"] = {k: v for k, v in found.obj.spec.items() if k in ("minVersion", "maxVersion",
                                                                                            "sniStrict")}
        return details, None

    def _middlewares(self, router: Router, ns: str, raw: Any) -> Problem | None:
        for ref in raw or []:
            if not isinstance(ref, dict):
                continue
            found = resolve_reference(self.crds, "Middleware", ns, str(ref.get("namespace") or ""),
                                      str(ref.get("name") or ""), self.settings.crd.allow_cross_namespace)
            if isinstance(found, Problem):
                return found
            router.middlewares.append(found)
        return None

    def _services(self, router: Router, ns: str, raw: Any, via: str = "") -> Problem | None:
        services = [s for s in raw or [] if isinstance(s, dict)]
        if not services and not via:
            return Problem("TRAEFIK_ROUTER_SKIPPED", f"{router.where} names no service, so its router has none "
                           "and Traefik does not install it", "traefik#T12")
        for svc in services:
            name = str(svc.get("name") or "")
            svc_ns = str(svc.get("namespace") or "") or ns
            if "@" not in name and svc_ns != ns and not self.settings.crd.allow_cross_namespace:
                return Problem("TRAEFIK_CROSS_NAMESPACE_REFUSED",
                               f"Service {svc_ns}/{name} is in another namespace than {router.source.kind} "
                               f"{ns}/{router.source.name}, and allowCrossNamespace is off, so Traefik skips the route",
                               "traefik#T14",
                               f"Move the route to namespace {svc_ns} (or bring the Service into {ns}), or start "
                               "Traefik with --providers.kubernetescrd.allowCrossNamespace=true.")
            kind = str(svc.get("kind") or "Service")
            if kind == "TraefikService":
                if via.count("TraefikService") >= 3:
                    return Problem("TRAEFIK_ROUTER_SKIPPED", f"TraefikServices nest too deep at {via}", "traefik#T17")
                problem = self._traefik_service(router, ns, svc_ns, name, via)
                if problem is not None:
                    return problem
                continue
            if kind != "Service":
                return Problem("TRAEFIK_ROUTER_SKIPPED", f"service kind {kind} is not supported", "traefik#T12")
            scheme = str(svc.get("scheme") or "")
            if scheme and scheme not in SCHEMES:
                return Problem("TRAEFIK_ROUTER_SKIPPED", f"scheme {scheme} of Service {svc_ns}/{name} is not one of "
                               f"{', '.join(SCHEMES)}", "traefik#T29")
            port = svc.get("port")
            router.backends.append(BackendRef(
                svc_ns, name, as_int(port) if as_int(port) is not None else (str(port) if port else None),
                weight=_weight(svc.get("weight")), scheme=scheme,
                transport=str(svc.get("serversTransport") or ""),
                pass_host=svc.get("passHostHeader") if isinstance(svc.get("passHostHeader"), bool) else None,
                native_lb=svc.get("nativeLB") is True, health_check=isinstance(svc.get("healthCheck"), dict), via=via,
            ))
        return None

    def _traefik_service(self, router: Router, ns: str, svc_ns: str, name: str, via: str) -> Problem | None:
        found = resolve_reference(self.crds, "TraefikService", ns, svc_ns if svc_ns != ns else "", name,
                                  self.settings.crd.allow_cross_namespace)
        if isinstance(found, Problem):
            return found
        if found.obj is None:  # another provider's service (api@internal, x@file): not in the snapshot
            router.backends.append(BackendRef("", found.key, None, via="TraefikService"))
            return None
        spec = found.obj.spec
        inner = (spec.get("weighted") or {}).get("services")
        if inner is None and isinstance(spec.get("mirroring"), dict):
            inner = [spec["mirroring"]]  # the main service answers; mirrors get copies (traefik#T17)
        if inner is None:
            inner = (spec.get("highestRandomWeight") or {}).get("services")
        if inner is None:
            return Problem("TRAEFIK_ROUTER_SKIPPED", f"TraefikService {found.obj.namespace}/{name} has no weighted, "
                           "mirroring or highestRandomWeight spec", "traefik#T17")
        here = f"TraefikService {found.obj.namespace}/{name}"
        return self._services(router, found.obj.namespace or ns, inner, via=f"{via} > {here}" if via else here)


__all__ = ["CrdRouters", "match_hosts"]
