"""The ingress-nginx side of a translation: each installation, the Ingresses it serves (as the controller selects
them: class, watched namespaces, dropped Ingresses; ingress-nginx#1) with their parsed annotations, the hosts with
a certificate, the hosts in regex mode (ingress-nginx#3.3) and the address clients use to reach it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..dataplanes.ingress_nginx.annotations import IngressAnnotations
from ..dataplanes.ingress_nginx.config import ControllerConfig, read_controller_config
from ..dataplanes.ingress_nginx.selection import Selection, rule_hosts, select_ingresses
from ..installations import Installation, find_installations
from ..k8s import selector, selector_matches, template_labels
from ..snapshot import K8sObject, Snapshot


def ingress_key(ing: K8sObject) -> str:
    return f"{ing.namespace}/{ing.name}"


@dataclass(slots=True)
class NginxSource:
    installation: Installation
    config: ControllerConfig
    selection: Selection
    ingresses: list[K8sObject] = field(default_factory=list)  # accepted, not canary, in #1.5 order
    canaries: list[K8sObject] = field(default_factory=list)
    tls_hosts: dict[str, tuple[K8sObject, str | None]] = field(default_factory=dict)  # host -> (Ingress, secret)
    regex_causes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # host -> [(Ingress, annotation)]
    addresses: list[tuple[str, str]] = field(default_factory=list)  # (type, value) for Gateway status.addresses
    namespace: str = "default"

    def annotations(self, ing: K8sObject) -> IngressAnnotations:
        return self.selection.annotations[ing.key]

    def regex_host(self, host: str) -> bool:
        return bool(self.regex_causes.get(host))

    def has_certificate(self, host: str) -> bool:
        """A certificate is configured for the host: exact name, then ``*.parent`` (ingress-nginx#5.1)."""
        if host in self.tls_hosts:
            return True
        parent = host.partition(".")[2]
        return bool(parent) and f"*.{parent}" in self.tls_hosts


def effective_rewrite(ann: IngressAnnotations, path: str) -> bool:
    """rewrite-target acts on a location when it is set and differs from the path (ingress-nginx#4.1)."""
    target = ann.rewrite.target
    return bool(target) and target != path


def paths_of(ing: K8sObject) -> list[tuple[int, int, str | None, dict]]:
    """(rule index, path index, host or None, path entry) of every HTTP path of the Ingress."""
    out = []
    for i, rule in enumerate(ing.spec.get("rules") or []):
        if not isinstance(rule, dict):
            continue
        host = str(rule["host"]).lower().rstrip(".") if rule.get("host") else None
        for j, entry in enumerate(((rule.get("http") or {}).get("paths")) or []):
            if isinstance(entry, dict):
                out.append((i, j, host, entry))
    return out


def _regex_causes(src: NginxSource) -> None:
    for ing in src.ingresses:
        ann = src.annotations(ing)
        for _i, _j, host, entry in paths_of(ing):
            key = host or "_"
            path = str(entry.get("path") or "/")
            if ann.rewrite.use_regex:
                src.regex_causes.setdefault(key, []).append((ingress_key(ing), "use-regex"))
            elif effective_rewrite(ann, path):
                src.regex_causes.setdefault(key, []).append((ingress_key(ing), "rewrite-target"))
    for host, causes in src.regex_causes.items():
        src.regex_causes[host] = list(dict.fromkeys(causes))


def _tls(src: NginxSource) -> None:
    for ing in src.ingresses:
        for entry in ing.spec.get("tls") or []:
            if not isinstance(entry, dict):
                continue
            secret = str(entry.get("secretName") or "") or None
            for host in entry.get("hosts") or []:
                src.tls_hosts.setdefault(str(host).lower().rstrip("."), (ing, secret))  # the first Ingress wins (#2.6)


def _addresses(snapshot: Snapshot, inst: Installation) -> list[tuple[str, str]]:
    """The controller's entry addresses: its Services' load-balancer status and external IPs."""
    workload = inst.workload
    if workload is None:
        return []
    labels = template_labels(workload)
    found: list[tuple[str, str]] = []
    for svc in snapshot.of_kind("Service", workload.namespace):
        wanted = selector(svc)
        if not wanted or not selector_matches(wanted, labels):
            continue
        for entry in (svc.status.get("loadBalancer") or {}).get("ingress") or []:
            if isinstance(entry, dict) and (entry.get("ip") or entry.get("hostname")):
                found.append(("IPAddress", str(entry["ip"])) if entry.get("ip") else ("Hostname", str(entry["hostname"])))
        found += [("IPAddress", str(ip)) for ip in svc.spec.get("externalIPs") or []]
    return list(dict.fromkeys(found))


def nginx_sources(snapshot: Snapshot) -> list[NginxSource]:
    """One source per ingress-nginx installation of the snapshot (tracer.engine.installations)."""
    out = []
    for inst in find_installations(snapshot):
        if inst.family != "ingress-nginx":
            continue
        config = read_controller_config(snapshot, inst.controller or None)
        selection = select_ingresses(snapshot, config)
        src = NginxSource(inst, config, selection)
        for ing in selection.accepted:
            (src.canaries if selection.annotations[ing.key].canary is not None else src.ingresses).append(ing)
        src.namespace = inst.workload.namespace or "default" if inst.workload is not None else (
            config.controller_namespace or "default")
        _tls(src)
        _regex_causes(src)
        src.addresses = _addresses(snapshot, inst)
        out.append(src)
    return out


__all__ = ["NginxSource", "effective_rewrite", "ingress_key", "nginx_sources", "paths_of", "rule_hosts"]
