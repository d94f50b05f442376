"""Fixes on the Istio ingress gateway and for Knative Services behind it (seed report 003).

- ``HTTP10_UPGRADE_REQUIRED`` (istio#S14): the gateway's Envoy accepts HTTP/1.0 when the proxy's node metadata
  ``HTTP10`` is ``"1"``, which the environment variable ``ISTIO_META_HTTP10`` sets; the patch adds it to the
  proxy container of the gateway workload (istio pilot/pkg/networking/core/listener.go, enableHTTP10).
- ``ISTIO_NO_ROUTE`` for a host that no Knative Service has, when the snapshot holds exactly one Knative Service
  that tracer derives routes for: a DomainMapping named after the host, pointing at that Service, with the
  ClusterDomainClaim that gives the domain to its namespace (istio#S23; knative/serving
  pkg/reconciler/domainmapping/reconciler.go, https://knative.dev/docs/serving/services/custom-domains/).
  Several Knative Services leave the choice to a person: no patch.
- ``KNATIVE_HOST_NOT_EXPOSED`` for a DomainMapping without its ClusterDomainClaim: the claim. A claim that
  belongs to another namespace is that namespace's domain, so no patch takes it away.

Each Knative patch is checked before it is offered: with it applied, the routes tracer derives must cover the
host (dataplanes/istio/knative/derive.py).
"""

from __future__ import annotations

import copy
import ipaddress
import re
from typing import Any

from ..dataplanes.istio.knative import derive
from ..dataplanes.istio.knative.derive import GATEWAY as KNATIVE_GATEWAY
from ..dataplanes.istio.knative.derive import KSVC
from ..dataplanes.istio.knative.domains import read_config
from ..errors import TracerError
from ..k8s import pod_template
from ..request import parse_request
from ..result import Diagnosis, RequestTrace
from ..snapshot import K8sObject, Snapshot
from .context import FixContext
from .patch import Patch, apply_patches

# The proxy passes every ISTIO_META_<KEY> environment variable to istiod as node metadata KEY
# (istio pkg/bootstrap/config.go, IstioMetaPrefix); the key that enables HTTP/1.0 is HTTP10.
HTTP10_ENV = "ISTIO_META_" + "HTTP10"
WORKLOADS = ("Deployment", "DaemonSet", "StatefulSet")
DOMAIN_MAPPING_API = "serving.knative.dev/v1beta1"
CLAIM_API = "networking.internal.knative.dev/v1alpha1"
# A DomainMapping is named after one DNS name (RFC 1123 subdomain): no wildcard, no port, no IP address.
_DNS_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$")


def _pending(rt: RequestTrace, code: str) -> Diagnosis | None:
    return next((d for d in rt.diagnoses if d.code == code and not d.patches), None)


def _proxy_index(containers: list[Any]) -> int | None:
    """The Envoy container of a gateway pod: istio-proxy by name, else the proxyv2 image, else the only one."""
    for i, c in enumerate(containers):
        if isinstance(c, dict) and c.get("name") == "istio-proxy":
            return i
    for i, c in enumerate(containers):
        if isinstance(c, dict) and "proxyv2" in str(c.get("image") or ""):
            return i
    return 0 if len(containers) == 1 and isinstance(containers[0], dict) else None


def http10_gateway_env(ctx: FixContext, rt: RequestTrace) -> None:
    """Give HTTP10_UPGRADE_REQUIRED the patch that sets ISTIO_META_HTTP10="1" on the gateway's proxy container."""
    diag = _pending(rt, "HTTP10_UPGRADE_REQUIRED")
    if diag is None:
        return
    ref = next((o for o in diag.objects if o.get("kind") in WORKLOADS), None)
    obj = ctx.snapshot.get(str(ref["kind"]), ref.get("namespace"), str(ref.get("name"))) if ref else None
    if obj is None:
        return  # the gateway workload is assumed, not in the snapshot: nothing to patch
    spec = pod_template(obj).get("spec") or {}
    containers = copy.deepcopy(spec.get("containers") or [])
    at = _proxy_index(containers)
    if at is None:
        return
    proxy = containers[at]
    env = [e for e in proxy.get("env") or [] if not (isinstance(e, dict) and e.get("name") == HTTP10_ENV)]
    proxy["env"] = [*env, {"name": HTTP10_ENV, "value": "1"}]
    # A JSON merge patch replaces the containers list whole: every container is carried as written.
    body = {"spec": {"template": {"spec": {"containers": containers}}}}
    diag.patches = [Patch("merge", obj.api_version, obj.kind, obj.namespace, obj.name, obj.source.file, body,
                          f'{obj.kind} {obj.namespace}/{obj.name}: env {HTTP10_ENV}="1" on container '
                          f'{proxy.get("name") or at}').to_dict()]


def _host(rt: RequestTrace) -> str | None:
    try:
        return parse_request(rt.request).server_name
    except TracerError:
        return None


def _domain(host: str | None) -> bool:
    """A name a DomainMapping can carry: a DNS name, not an IP address, no wildcard, no port."""
    if host is None or not _DNS_NAME.match(host):
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True
    return False


def _claim(domain: str, namespace: str, file: str) -> Patch:
    body = {"apiVersion": CLAIM_API, "kind": "ClusterDomainClaim", "metadata": {"name": domain},
            "spec": {"namespace": namespace}}
    return Patch("create", CLAIM_API, "ClusterDomainClaim", None, domain, file, body,
                 f"new ClusterDomainClaim {domain}: the domain belongs to namespace {namespace}")


def _serves(snapshot: Snapshot, patches: list[Patch], host: str) -> bool:
    """With the patches applied, a VirtualService tracer derives for Knative has the host."""
    derived = derive(apply_patches(snapshot, patches))
    return any(host in (vs.spec.get("hosts") or []) for vs in derived.virtual_services)


def knative_custom_domain(ctx: FixContext, rt: RequestTrace) -> None:
    """Map a custom domain that reaches the gateway without a route to the snapshot's one Knative Service."""
    if rt.controller != "istio" or rt.status != 404 or rt.route is not None:
        return
    if any(d.code == "KNATIVE_HOST_NOT_EXPOSED" for d in rt.diagnoses):
        _claim_for_mapping(ctx, rt)
        return
    diag = _pending(rt, "ISTIO_NO_ROUTE")
    host = _host(rt)
    ksvcs = ctx.snapshot.of_kind(KSVC)
    if diag is None or host is None or not _domain(host) or len(ksvcs) != 1 or not _on_knative_gateway(rt):
        return
    if any(dm.name == host for dm in ctx.snapshot.of_kind("DomainMapping")):
        return  # mapped already, yet not routed: not a missing mapping
    ksvc = ksvcs[0]
    ns = ksvc.namespace or "default"
    claims = {c.name: str(c.spec.get("namespace") or "") for c in ctx.snapshot.of_kind("ClusterDomainClaim")}
    if claims.get(host, ns) != ns:
        return  # another namespace owns the domain
    patches = [_mapping(host, ksvc, ns)]
    if host not in claims and not read_config(ctx.snapshot).autocreate_claims:
        patches.append(_claim(host, ns, ksvc.source.file))
    if not _serves(ctx.snapshot, patches, host):
        return
    diag.fix = (f"{host} is no Knative Service's host. Map it to Knative Service {ns}/{ksvc.name} with a "
                f"DomainMapping named {host} in namespace {ns}" + (" and the ClusterDomainClaim that gives the "
                "domain to that namespace" if len(patches) > 1 else "") + "; Knative then writes the route itself "
                "(net-istio reverts edits to the VirtualService it generated). To change the domain of every "
                "Service instead, set it in config-domain.")
    diag.patches = [p.to_dict() for p in patches]


def _on_knative_gateway(rt: RequestTrace) -> bool:
    """The request reached a server of Knative's Gateway (so Knative, not a hand-written route, owns the host)."""
    hop = next((h for h in reversed(rt.hops) if h.component == "controller"), None)
    return hop is not None and any(o.get("kind") == "Gateway" and (o.get("namespace"), o.get("name")) == KNATIVE_GATEWAY
                                   for o in hop.objects)


def _mapping(host: str, ksvc: K8sObject, ns: str) -> Patch:
    body = {"apiVersion": DOMAIN_MAPPING_API, "kind": "DomainMapping", "metadata": {"name": host, "namespace": ns},
            "spec": {"ref": {"name": ksvc.name, "kind": "Service", "apiVersion": ksvc.api_version}}}
    return Patch("create", DOMAIN_MAPPING_API, "DomainMapping", ns, host, ksvc.source.file, body,
                 f"new DomainMapping {ns}/{host} -> Knative Service {ns}/{ksvc.name}")


def _claim_for_mapping(ctx: FixContext, rt: RequestTrace) -> None:
    """KNATIVE_HOST_NOT_EXPOSED for a DomainMapping with no ClusterDomainClaim: create the claim."""
    diag = _pending(rt, "KNATIVE_HOST_NOT_EXPOSED")
    host = _host(rt)
    dm = next((d for d in ctx.snapshot.of_kind("DomainMapping") if d.name == host), None)
    if diag is None or host is None or dm is None:
        return
    if any(c.name == host for c in ctx.snapshot.of_kind("ClusterDomainClaim")):
        return  # claimed by another namespace: not ours to take
    patches = [_claim(host, dm.namespace or "default", dm.source.file)]
    if _serves(ctx.snapshot, patches, host):
        diag.patches = [p.to_dict() for p in patches]
