"""Which controller installation a request reaches, when a snapshot holds several.

In order (docs/controller-choice.md): the entry the request names with ``via``; the address the URL's host
is (an IP) or resolves to through the Ingresses' and the controllers' load-balancer status; the
installation that claims the Ingresses serving the host. Never list order. When several still qualify,
the first (the owner of the default IngressClass, then simulated before not) answers and the others are
traced as branches, each with the reason it qualified.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .entry import EntryPlan, lb_addresses
from .installations import Installation
from .k8s import default_ingress_class
from .request import Request
from .route_claims import route_claims
from .snapshot import K8sObject, Snapshot


@dataclass(slots=True)
class Choice:
    chosen: Installation
    reason: str
    others: list[tuple[Installation, str]]  # further candidates, traced as branches


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _ingress_hosts(ing: K8sObject) -> list[str]:
    hosts = [str(r.get("host") or "").rstrip(".").lower() for r in ing.spec.get("rules") or [] if isinstance(r, dict)]
    return hosts or [""]


def _entry_addresses(plan: EntryPlan) -> set[str]:
    svc = plan.service
    out = set(plan.node_addresses) if plan.host_network or plan.host_ports else set()
    if svc is None:
        return out
    out.update(lb_addresses(svc))
    out.update(str(ip) for ip in svc.spec.get("externalIPs") or [])
    cluster_ip = str(svc.spec.get("clusterIP") or "")
    if cluster_ip and cluster_ip != "None":
        out.add(cluster_ip)
    return out


class Chooser:
    """Answers :meth:`choose` for one Engine; the claims by host are built once, on first use."""

    def __init__(
        self, snapshot: Snapshot, installations: list[Installation], entry_for: Callable[[Installation], EntryPlan]
    ) -> None:
        self.snapshot = snapshot
        self.installations = installations
        self.entry_for = entry_for
        self._claims: dict[str, list[tuple[Installation, K8sObject, str]]] | None = None
        self._addresses: dict[str, Installation] | None = None

    # -- indexes -------------------------------------------------------------------------------------

    def claims(self) -> dict[str, list[tuple[Installation, K8sObject, str]]]:
        """host ("" for rules without a host, "*.x" for wildcards) -> (installation, Ingress or route, why)."""
        if self._claims is None:
            default = default_ingress_class(self.snapshot)
            claims: dict[str, list[tuple[Installation, K8sObject, str]]] = {}
            for ing in self.snapshot.of_kind("Ingress"):
                for inst in self.installations:
                    why = inst.claims(ing, default)
                    if why is not None:
                        for host in _ingress_hosts(ing):
                            claims.setdefault(host, []).append((inst, ing, why))
            for host, inst, obj, why in route_claims(self.snapshot, self.installations):
                claims.setdefault(host, []).append((inst, obj, why))
            self._claims = claims
        return self._claims

    def addresses(self) -> dict[str, Installation]:
        """Entry address (load balancer, external or cluster IP, host-network node) -> installation."""
        if self._addresses is None:
            found: dict[str, Installation] = {}
            for inst in self.installations:
                for address in sorted(_entry_addresses(self.entry_for(inst))):
                    found.setdefault(address, inst)
            self._addresses = found
        return self._addresses

    def _host_claims(self, host: str) -> list[tuple[Installation, K8sObject, str]]:
        claims = self.claims()
        if host in claims:
            return claims[host]
        parent = host.partition(".")[2]
        if parent and f"*.{parent}" in claims:
            return claims[f"*.{parent}"]
        return claims.get("", [])

    # -- the choice ----------------------------------------------------------------------------------

    def _by_via(self, via: dict[str, Any] | str) -> Choice | None:
        if isinstance(via, str):
            inst = self.addresses().get(via)
            return Choice(inst, f"the request names entry {via}, the address of {inst.name}", []) if inst else None
        kind, ns, name = str(via.get("kind") or "Service"), via.get("namespace"), str(via.get("name") or "")
        for inst in self.installations:
            svc = self.entry_for(inst).service
            if kind == "Service" and svc is not None and svc.name == name and (ns is None or svc.namespace == ns):
                return Choice(inst, f"the request names entry Service {svc.namespace}/{svc.name} of {inst.name}", [])
            if any(o.kind == kind and o.name == name and (ns is None or o.namespace == ns) for o in inst.objects):
                return Choice(inst, f"the request names entry {kind} {name} of {inst.name}", [])
        return None

    def choose(self, request: Request) -> Choice:
        if len(self.installations) == 1:
            return Choice(self.installations[0], "the only controller installation in the snapshot", [])
        if request.via is not None:
            found = self._by_via(request.via)
            if found is not None:
                return found
        host = request.host
        if _is_ip(host):
            inst = self.addresses().get(host.strip("[]"))
            if inst is not None:
                return Choice(inst, f"{host} is the entry address of {inst.name}", [])
        claims = self._host_claims(host)
        addresses = self.addresses()
        for _inst, ing, _why in claims:
            for address in lb_addresses(ing):
                owner = addresses.get(address)
                if owner is not None:
                    return Choice(
                        owner,
                        f"{host} resolves to {address} (status of Ingress {ing.namespace}/{ing.name}), the entry "
                        f"address of {owner.name}",
                        [],
                    )
        claimants: dict[str, tuple[Installation, list[str]]] = {}
        for inst, ing, why in claims:
            claimants.setdefault(inst.name, (inst, []))[1].append(f"{ing.kind} {ing.namespace}/{ing.name} ({why})")
        ordered = [claimants[i.name] for i in self.installations if i.name in claimants]
        shown = host or "a request without a matching host"
        if not ordered:
            first = self.installations[0]
            return Choice(first, f"no controller serves {shown}; {first.name} answers (it is listed first)", [])
        (chosen, refs), rest = ordered[0], ordered[1:]
        reason = f"{chosen.name} serves {shown}: {'; '.join(refs)}"
        if rest:
            default = default_ingress_class(self.snapshot)
            why_first = (
                f"it owns the default IngressClass {default.name}"
                if default is not None and default.name in chosen.classes
                else "it is listed first"
            )
            reason += (
                f". {len(ordered)} controllers serve this host and the snapshot does not say which address the "
                f"client's DNS gives; {chosen.name} answers because {why_first} (set `via` to pick another)"
            )
        return Choice(chosen, reason, [(inst, f"it also serves {shown}: {'; '.join(r)}") for inst, r in rest])
