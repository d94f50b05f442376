"""Compiling a snapshot into the ingress gateway's route tables (istio#S1..#S5).

Which Gateways the ingress gateway workload runs, which VirtualServices bind to them, and one virtual host
per (route configuration, domain) with its routes in Envoy's order. A request costs a few dict look-ups to
find its virtual host; only that host's routes are tried, in order, as Envoy does.
"""

from __future__ import annotations

from typing import Any

from ...context import EngineContext
from ...k8s import LEGACY_CLASS_ANNOTATION, as_int, pod_template, selector, selector_matches, template_labels
from ...options import Options
from ...snapshot import K8sObject, Snapshot
from .analyze import analyze, full_host
from .knative import derive
from .matching import intersect
from .model import Server, gateway_refs, is_istio, ns_of, read_rules, read_servers, service_of_host, subsets
from .route import IstioRouter
from .vhosts import VHost, entries, route_config

DEFAULT_GATEWAY = ("istio-system", "istio-ingressgateway")
DEFAULT_SELECTOR = {"istio": "ingressgateway"}
INGRESS_CONTROLLER = "istio.io/ingress-controller"
ISTIO_GATEWAY = "networking.istio.io/Gateway"  # the snapshot keeps Gateway for the Gateway API kind
WORKLOAD_KINDS = ("Deployment", "DaemonSet", "StatefulSet")


def _age(obj: K8sObject) -> tuple[str, str, str]:
    return (str(obj.metadata.get("creationTimestamp") or ""), obj.name, ns_of(obj))


class IstioTable(IstioRouter):
    family = "istio"

    def __init__(self, snapshot: Snapshot, options: Options, context: EngineContext) -> None:
        self.snapshot = snapshot
        self.options = options
        self.context = context
        self.warnings: list[str] = []
        # Knative Services without their Route/KIngress/VirtualService in the snapshot: what net-istio would
        # program for them joins the snapshot's Istio objects (istio#S20..#S25).
        self.knative = derive(snapshot)
        self.warnings += self.knative.warnings
        gateways = [g for g in snapshot.of_kind(ISTIO_GATEWAY) if is_istio(g)] + self.knative.gateways
        self.workload, self.service = self._find_gateway_workload(gateways)
        labels = template_labels(self.workload) if self.workload is not None else DEFAULT_SELECTOR
        self.gateways: dict[tuple[str, str], K8sObject] = {(ns_of(g), g.name): g for g in gateways}
        self.served: dict[tuple[str, str], K8sObject] = {}
        for key, gw in self.gateways.items():
            sel = {str(k): str(v) for k, v in (gw.spec.get("selector") or {}).items()}
            if selector_matches(sel, labels):
                self.served[key] = gw
            else:
                self.warnings.append(f"Istio Gateway {key[0]}/{key[1]} selects {_labels_text(sel)}, not this ingress gateway's "
                                     "pods; its servers are not on this gateway (istio#S1)")
        self.port_alias = self._port_alias()
        self.http10 = self._http10()
        self.servers: dict[int, list[Server]] = {}
        for gw in self.served.values():
            for server in read_servers(gw):
                self.servers.setdefault(server.port, []).append(server)
        # route configuration key -> domain -> virtual host; plain HTTP servers of a port share one
        # configuration ("http.<port>"), each TLS server has its own (istio#S4).
        self.vhosts: dict[str, dict[str, VHost]] = {}
        self.vs_list = sorted([*(v for v in snapshot.of_kind("VirtualService") if is_istio(v)),
                               *self.knative.virtual_services], key=_age)
        for vs in self.vs_list:
            self._bind(vs)
        for table in self.vhosts.values():
            for vh in table.values():
                vh.routes.sort(key=lambda r: r.catch_all)  # stable: catch-alls last, in order (istio#S5)
        self.subsets = self._subsets()
        self.analysis = analyze(self.vs_list, self.gateways)
        self.ingress_hosts = self._istio_ingress_hosts()

    def _bind(self, vs: K8sObject) -> None:
        vs_ns = ns_of(vs)
        refs = set(gateway_refs(vs))
        rules = read_rules(vs)
        for key in refs:
            gw = self.served.get(key)
            if gw is None:
                continue
            gw_name = f"{key[0]}/{key[1]}"
            for server in (s for ss in self.servers.values() for s in ss if s.gateway is gw):
                allowed = server.admits(vs_ns)
                for host in vs.spec.get("hosts") or []:
                    for sh in allowed:
                        domain = intersect(sh, full_host(str(host), vs_ns))
                        if domain is None:
                            continue
                        table = self.vhosts.setdefault(route_config(server), {})
                        vh = table.setdefault(domain, VHost(domain, server))
                        vh.routes += entries(rules, server.port, gw_name, vs_ns)

    def _find_gateway_workload(self, gateways: list[K8sObject]) -> tuple[K8sObject | None, K8sObject | None]:
        """The ingress gateway's workload and Service: istio-system/istio-ingressgateway when present, else a
        workload running the proxy image that a Gateway selects (istio#S1)."""
        snap = self.snapshot
        service = snap.get("Service", DEFAULT_GATEWAY[0], DEFAULT_GATEWAY[1])
        workloads = [w for kind in WORKLOAD_KINDS for w in snap.of_kind(kind)]
        proxies = [w for w in workloads if any("proxyv2" in str(c.get("image") or "") for c in _containers(w))]
        selectors = [{str(k): str(v) for k, v in (g.spec.get("selector") or {}).items()} for g in gateways]
        if service is not None:
            sel = selector(service)
            workload = next((w for w in workloads if sel and ns_of(w) == ns_of(service)
                             and selector_matches(sel, template_labels(w))), None)
            return workload, service
        workload = next((w for w in proxies if any(s and selector_matches(s, template_labels(w)) for s in selectors)),
                        None)
        if workload is None:
            return None, None
        labels = template_labels(workload)
        service = next((s for s in snap.of_kind("Service", workload.namespace)
                        if selector(s) and selector_matches(selector(s), labels)), None)
        return workload, service

    def _port_alias(self) -> dict[int, int]:
        """Service port -> targetPort of the gateway Service: a server port equal to a Service port means the
        Service's targetPort on the pod (istio#S1)."""
        out: dict[int, int] = {}
        if self.service is None:
            return {80: 8080, 443: 8443}  # the stock istio-ingressgateway Service
        for p in self.service.spec.get("ports") or []:
            port, target = as_int((p or {}).get("port")), as_int((p or {}).get("targetPort"))
            if port is not None and target is not None:
                out[port] = target
        return out

    def _http10(self) -> str:
        """Why HTTP/1.0 is accepted, or "" when Envoy answers 426 (istio#S14)."""
        if self.workload is not None:
            for c in _containers(self.workload):
                for env in c.get("env") or []:
                    if isinstance(env, dict) and str(env.get("name")).lower() == "istio_meta_http10" and str(env.get("value")) == "1":
                        return f"{self.workload.kind} {ns_of(self.workload)}/{self.workload.name} sets ISTIO_META_HTTP10=1"
        for w in self.snapshot.of_kind("Deployment"):
            if w.name != "istiod":
                continue
            for c in _containers(w):
                for env in c.get("env") or []:
                    if isinstance(env, dict) and str(env.get("name")).lower() == "pilot_http10" and \
                            str(env.get("value")).lower() in ("1", "true"):
                        return f"istiod ({ns_of(w)}/{w.name}) sets PILOT_HTTP10={env.get('value')}"
        return ""

    def _subsets(self) -> dict[tuple[str, str], dict[str, dict[str, str]]]:
        """(namespace, Service name) -> subset name -> labels, from every DestinationRule (istio#S12)."""
        out: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
        for dr in sorted((d for d in self.snapshot.of_kind("DestinationRule") if is_istio(d)), key=_age):
            svc = service_of_host(str(dr.spec.get("host") or ""), ns_of(dr))
            if svc is not None:
                for name, labels in subsets(dr).items():
                    out.setdefault(svc, {}).setdefault(name, labels)
        return out

    def _istio_ingress_hosts(self) -> set[str]:
        """Hosts of Ingresses of Istio's IngressClass: Istio translates them itself (istio#S19, not modelled)."""
        classes = {c.name for c in self.snapshot.of_kind("IngressClass") if c.spec.get("controller") == INGRESS_CONTROLLER}
        out = set()
        for ing in self.snapshot.of_kind("Ingress"):
            cls = str(ing.spec.get("ingressClassName") or ing.annotations.get(LEGACY_CLASS_ANNOTATION) or "")
            if cls in classes or cls == "istio":
                out |= {str((r or {}).get("host") or "*").lower() for r in ing.spec.get("rules") or [{}]}
        return out

    def controller_objects(self) -> list[K8sObject]:
        return [o for o in (self.service, self.workload) if o is not None]

    def describe(self) -> dict[str, Any]:
        return {
            "gateways": [f"{ns}/{name}" for ns, name in self.served],
            "virtual_hosts": sum(len(t) for t in self.vhosts.values()),
            "warnings": self.warnings + [d.message for ds in self.analysis.by_vs.values() for d in ds],
        }


def _containers(w: K8sObject) -> list[dict[str, Any]]:
    spec = pod_template(w).get("spec") or {}
    return [c for c in spec.get("containers") or [] if isinstance(c, dict)]


def _labels_text(labels: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "every pod"
