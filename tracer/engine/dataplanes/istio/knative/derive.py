"""The Istio objects net-istio programs for Knative Services (istio#S20..#S23, #S25), derived at compile time
when the snapshot holds the Knative Service but not what Knative made of it.

A Knative Service S gets a Route S, a KIngress S and, from net-istio, a VirtualService S-ingress bound to
knative-serving/knative-ingress-gateway: one rule per host with an authority prefix match and the revisions'
Services as weighted destinations, with the Knative-Serving-Revision/-Namespace request headers and retries
off. When the snapshot already holds the Route, the KIngress or S-ingress, those are taken as given.

Upstream: knative/serving pkg/reconciler/route/resources/ingress.go (makeIngressSpec),
pkg/reconciler/route/traffic/traffic.go, pkg/reconciler/domainmapping/reconciler.go;
knative-extensions/net-istio pkg/reconciler/ingress/resources/virtual_service.go, config/202-gateway.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ....k8s import as_int
from ....snapshot import K8sObject, Snapshot
from .domains import SYSTEM_NS, DomainConfig, cluster_local, read_config

KSVC = "serving.knative.dev/Service"
GATEWAY = ("knative-serving", "knative-ingress-gateway")
ISTIO_GATEWAY = "networking.istio.io/Gateway"
MIN_SCALE = ("autoscaling.knative.dev/min-scale", "autoscaling.knative.dev/minScale")


@dataclass(slots=True)
class Revision:
    """A revision's pods as the activator and the profiles see them (istio#S24)."""

    ksvc: K8sObject
    name: str
    namespace: str
    labels: dict[str, str]
    min_scale: int
    port: int


@dataclass(slots=True)
class Derived:
    gateways: list[K8sObject] = field(default_factory=list)
    virtual_services: list[K8sObject] = field(default_factory=list)
    revisions: dict[tuple[str, str], Revision] = field(default_factory=dict)  # (namespace, revision) ->
    warnings: list[str] = field(default_factory=list)
    hosts: dict[str, str] = field(default_factory=dict)  # host -> why it answers 404 (cluster-local, unclaimed)


def _object(source: K8sObject, kind: str, namespace: str, name: str, spec: dict[str, Any]) -> K8sObject:
    body = {"apiVersion": "networking.istio.io/v1", "kind": kind,
            "metadata": {"name": name, "namespace": namespace, "creationTimestamp": source.creation_timestamp,
                         "labels": {"serving.knative.dev/route": source.name}}, "spec": spec}
    return K8sObject(body, source.source)


def _has_derived(snapshot: Snapshot, ns: str, name: str) -> bool:
    """Knative already programmed this Service: its Route, KIngress or net-istio VirtualService is present."""
    return (snapshot.get("serving.knative.dev/Route", ns, name) is not None
            or snapshot.get("networking.internal.knative.dev/Ingress", ns, name) is not None
            or snapshot.get("VirtualService", ns, f"{name}-ingress") is not None)


def _revisions(ksvc: K8sObject, ns: str) -> tuple[str, Revision]:
    template = ksvc.spec.get("template") or {}
    meta = template.get("metadata") or {}
    latest = str(meta.get("name") or ksvc.status.get("latestReadyRevisionName") or f"{ksvc.name}-00001")
    ann = {str(k): str(v) for k, v in (meta.get("annotations") or {}).items()}
    min_scale = next((as_int(ann[k]) for k in MIN_SCALE if k in ann), None) or 0
    containers = ((template.get("spec") or {}).get("containers")) or [{}]
    ports = (containers[0] or {}).get("ports") or [{}]
    port = as_int((ports[0] or {}).get("containerPort")) or 8080
    labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    labels |= {"serving.knative.dev/service": ksvc.name, "serving.knative.dev/configuration": ksvc.name,
               "serving.knative.dev/revision": latest}
    return latest, Revision(ksvc, latest, ns, labels, min_scale, port)


def _destinations(targets: list[tuple[str, int]], ns: str) -> list[dict[str, Any]]:
    return [{"destination": {"host": f"{rev}.{ns}.svc.cluster.local", "port": {"number": 80}}, "weight": pct,
             "headers": {"request": {"set": {"Knative-Serving-Revision": rev, "Knative-Serving-Namespace": ns}}}}
            for rev, pct in targets]


def _rule(host: str, targets: list[tuple[str, int]], ns: str, **extra: Any) -> dict[str, Any]:
    return {"match": [{"authority": {"prefix": host}, "gateways": [f"{GATEWAY[0]}/{GATEWAY[1]}"]}],
            "route": _destinations(targets, ns), "retries": {}, **extra}


def _traffic(ksvc: K8sObject, latest: str) -> tuple[list[tuple[str, int]], dict[str, str]]:
    """The percent split and the tag -> revision map of spec.traffic (default: 100% to the latest revision)."""
    split: list[tuple[str, int]] = []
    tags: dict[str, str] = {}
    for t in ksvc.spec.get("traffic") or [{"latestRevision": True, "percent": 100}]:
        if not isinstance(t, dict):
            continue
        rev = str(t.get("revisionName") or latest)
        pct = as_int(t.get("percent")) or 0
        if pct > 0:
            split.append((rev, pct))
        if t.get("tag"):
            tags[str(t["tag"])] = rev
    return split, tags


def derive(snapshot: Snapshot) -> Derived:
    out = Derived()
    ksvcs = snapshot.of_kind(KSVC)
    if not ksvcs:
        return out
    config = read_config(snapshot)
    if snapshot.get(ISTIO_GATEWAY, *GATEWAY) is None:
        out.gateways.append(_object(ksvcs[0], "Gateway", GATEWAY[0], GATEWAY[1], {
            "selector": {"istio": "ingressgateway"},
            "servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]}))
    splits: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for ksvc in ksvcs:
        ns = ksvc.namespace or "default"
        latest, rev = _revisions(ksvc, ns)
        split, tags = _traffic(ksvc, latest)
        for name in {latest, *(r for r, _ in split), *tags.values()}:
            # older revisions keep the template as tracer knows it, under their own revision label
            out.revisions[(ns, name)] = replace(rev, name=name,
                                                labels=rev.labels | {"serving.knative.dev/revision": name})
        if _has_derived(snapshot, ns, ksvc.name):
            continue
        splits[(ns, ksvc.name)] = split
        rules = _ksvc_rules(ksvc, ns, split, tags, config, out)
        if rules:
            out.virtual_services.append(_vs(ksvc, ns, f"{ksvc.name}-ingress", rules))
    _domain_mappings(snapshot, config, splits, out)
    return out


def _vs(source: K8sObject, ns: str, name: str, rules: list[dict[str, Any]]) -> K8sObject:
    hosts = sorted({str(r["match"][0]["authority"]["prefix"]) for r in rules})
    return _object(source, "VirtualService", ns, name,
                   {"hosts": hosts, "gateways": [f"{GATEWAY[0]}/{GATEWAY[1]}"], "http": rules})


def _ksvc_rules(ksvc: K8sObject, ns: str, split: list[tuple[str, int]], tags: dict[str, str], config: DomainConfig,
                out: Derived) -> list[dict[str, Any]]:
    labels = ksvc.labels
    domain = config.domain_for(labels)
    host = config.host(ksvc.name, ns, labels)
    if cluster_local(labels, domain):
        out.hosts[host] = (f"Knative Service {ns}/{ksvc.name} is cluster-local (visibility label or domain "
                           f"{domain}): only the local gateway serves it")
        return []
    rules = [_rule(host, split, ns)] if split else []
    for tag, rev in sorted(tags.items()):
        rules.append(_rule(config.host(config.tag_name(tag, ksvc.name), ns, labels), [(rev, 100)], ns))
    return rules


def _domain_mappings(snapshot: Snapshot, config: DomainConfig, splits: dict[tuple[str, str], list[tuple[str, int]]],
                     out: Derived) -> None:
    """A DomainMapping serves its name when its ClusterDomainClaim names its namespace (or claims are created
    automatically); it forwards to the Service's cluster-local host, which reaches the same revisions."""
    claims = {c.name: str(c.spec.get("namespace") or "") for c in snapshot.of_kind("ClusterDomainClaim")}
    for dm in snapshot.of_kind("DomainMapping"):
        ns = dm.namespace or "default"
        ref = dm.spec.get("ref") or {}
        target = str(ref.get("name") or "")
        owner = claims.get(dm.name)
        if owner != ns and not (owner is None and config.autocreate_claims):
            out.hosts[dm.name] = (f"DomainMapping {ns}/{dm.name} is not Ready (DomainClaimNotOwned): "
                                  + (f"ClusterDomainClaim {dm.name} belongs to namespace {owner}" if owner else
                                     f"no ClusterDomainClaim {dm.name} exists and autocreate-cluster-domain-claims "
                                     "is off"))
            continue
        split = splits.get((ns, target))
        if not split:
            out.warnings.append(f"DomainMapping {ns}/{dm.name} refers to {target}, which is not a Knative Service "
                                "derived here, so its domain has no route (istio#S23)")
            continue
        local = f"{target}.{ns}.svc.cluster.local"
        rule = _rule(dm.name, split, ns, rewrite={"authority": local},
                     headers={"request": {"set": {"K-Original-Host": dm.name}}})
        out.virtual_services.append(_vs(dm, ns, f"{dm.name}-ingress", [rule]))


__all__ = ["SYSTEM_NS", "Derived", "Revision", "derive"]
