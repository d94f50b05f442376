"""The hosts Knative gives a Service's route (istio#S20, #S21): the domain from config-domain, the domain and
tag templates from config-network, and cluster-local visibility.

Upstream: knative/serving pkg/reconciler/route/config/domain.go (LookupDomainForLabels),
pkg/reconciler/route/domains/domains.go, pkg/reconciler/route/visibility/visibility.go;
https://knative.dev/docs/serving/using-a-custom-domain/ and
https://knative.dev/docs/serving/services/private-services/
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from ....snapshot import K8sObject, Snapshot

SYSTEM_NS = "knative-serving"
VISIBILITY_LABEL = "networking.knative.dev/visibility"
CLUSTER_LOCAL = "cluster-local"
DEFAULT_TEMPLATE = "{{.Name}}.{{.Namespace}}.{{.Domain}}"
DEFAULT_TAG_TEMPLATE = "{{.Tag}}-{{.Name}}"
# Without config-domain in the snapshot tracer assumes the domain Knative's documentation uses; a config-domain
# without a selector-less entry means the cluster-local default (Knative 1.8 and later).
ASSUMED_DOMAIN = "example.com"
LOCAL_DOMAIN = "svc.cluster.local"


@dataclass(slots=True)
class DomainConfig:
    entries: list[tuple[str, dict[str, str]]]  # (domain, label selector), from config-domain
    template: str
    tag_template: str
    autocreate_claims: bool
    source: str  # where the domain comes from, for people

    def domain_for(self, labels: dict[str, str]) -> str:
        """The most specific selector that matches wins, ties go to the lexically smaller domain (domain.go)."""
        best: tuple[int, str] | None = None
        for domain, sel in self.entries:
            if all(labels.get(k) == v for k, v in sel.items()):
                key = (-len(sel), domain)
                if best is None or key < best:
                    best = key
        if best is not None:
            return best[1]
        return LOCAL_DOMAIN if self.entries or self.source != "assumed" else ASSUMED_DOMAIN

    def host(self, name: str, namespace: str, labels: dict[str, str]) -> str:
        return render(self.template, name, namespace, self.domain_for(labels))

    def tag_name(self, tag: str, name: str) -> str:
        return self.tag_template.replace("{{.Tag}}", tag).replace("{{.Name}}", name)


def render(template: str, name: str, namespace: str, domain: str) -> str:
    """The Go template with its three documented fields (annotations in templates are not modelled)."""
    return template.replace("{{.Name}}", name).replace("{{.Namespace}}", namespace).replace("{{.Domain}}", domain)


def _data(cm: K8sObject | None) -> dict[str, str]:
    raw = cm.body.get("data") if cm is not None else None
    return {str(k): str(v or "") for k, v in raw.items()} if isinstance(raw, dict) else {}


def read_config(snapshot: Snapshot) -> DomainConfig:
    domain_cm = snapshot.get("ConfigMap", SYSTEM_NS, "config-domain")
    network = _data(snapshot.get("ConfigMap", SYSTEM_NS, "config-network"))
    entries: list[tuple[str, dict[str, str]]] = []
    for key, value in _data(domain_cm).items():
        if key.startswith("_"):
            continue  # _example holds documentation only
        try:
            parsed = yaml.safe_load(value) if value.strip() else None
        except yaml.YAMLError:
            parsed = None
        sel = parsed.get("selector") if isinstance(parsed, dict) else None
        entries.append((key, {str(k): str(v) for k, v in sel.items()} if isinstance(sel, dict) else {}))
    return DomainConfig(
        entries, network.get("domain-template") or network.get("domain.template") or DEFAULT_TEMPLATE,
        network.get("tag-template") or network.get("tag.template") or DEFAULT_TAG_TEMPLATE,
        (network.get("autocreate-cluster-domain-claims") or "").lower() == "true",
        "ConfigMap knative-serving/config-domain" if domain_cm is not None else "assumed",
    )


def cluster_local(labels: dict[str, str], host_domain: str) -> bool:
    """The visibility label, or a domain that only resolves inside the cluster (visibility.go)."""
    return labels.get(VISIBILITY_LABEL) == CLUSTER_LOCAL or host_domain == LOCAL_DOMAIN
