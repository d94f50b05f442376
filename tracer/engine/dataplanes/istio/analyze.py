"""What ``istioctl analyze`` reports about VirtualServices, as diagnoses a trace carries (istio#S16..#S18).

Found once at compile time and indexed by VirtualService host, so a request for a host shows the
problems of the VirtualServices written for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...result import Diagnosis
from ...snapshot import K8sObject
from .matching import domain_keys, intersect
from .model import gateway_refs, ns_of, read_rules, read_servers

MAX_PER_HOST = 5


@dataclass(slots=True)
class Analysis:
    by_vs: dict[tuple[str, str], list[Diagnosis]] = field(default_factory=dict)
    by_host: dict[str, list[Diagnosis]] = field(default_factory=dict)

    def for_host(self, host: str) -> list[Diagnosis]:
        out: list[Diagnosis] = []
        for key in domain_keys(host):
            out += self.by_host.get(key, [])
        return list({id(d): d for d in out}.values())[:MAX_PER_HOST]


def analyze(vs_list: list[K8sObject], gateways: dict[tuple[str, str], K8sObject]) -> Analysis:
    out = Analysis()
    for vs in vs_list:
        found = _unreachable(vs) + _gateways(vs, gateways)
        if not found:
            continue
        out.by_vs[(ns_of(vs), vs.name)] = found
        for host in vs.spec.get("hosts") or []:
            out.by_host.setdefault(str(host).lower(), []).extend(found)
    return out


def _unreachable(vs: K8sObject) -> list[Diagnosis]:
    """A rule after a rule without match can never be reached (IST0130, istio#S16)."""
    rules = read_rules(vs)
    ref = vs.ref()
    for rule in rules:
        if rule.matches:
            continue
        later = [r for r in rules if r.index > rule.index]
        if later:
            names = ", ".join(f"http[{r.index}]" for r in later[:5])
            return [Diagnosis(
                "ISTIO_UNREACHABLE_RULE", "warning",
                f"{rule.label} has no match, so it takes every request; {names} after it can never be reached "
                "(istioctl analyze IST0130).",
                "Move the rule without match to the end, or give it a match.", "istio#S16", [ref],
            )]
        break
    return []


def _gateways(vs: K8sObject, gateways: dict[tuple[str, str], K8sObject]) -> list[Diagnosis]:
    """A bound Gateway that does not exist (IST0101, istio#S17), or that serves none of the hosts (IST0132,
    istio#S18)."""
    out = []
    ref = vs.ref()
    vs_ns = ns_of(vs)
    hosts = [str(h).lower() for h in vs.spec.get("hosts") or []]
    for key in gateway_refs(vs):
        if key == ("", "mesh"):
            continue
        gw = gateways.get(key)
        name = f"{key[0]}/{key[1]}"
        if gw is None:
            out.append(Diagnosis(
                "ISTIO_GATEWAY_NOT_FOUND", "warning",
                f"VirtualService {vs_ns}/{vs.name} binds to Gateway {name}, which is not in the snapshot; its routes "
                "are on no gateway (istioctl analyze IST0101).",
                f"Create Gateway {name}, or fix spec.gateways (namespace/name, or a name in {vs_ns}).",
                "istio#S17", [ref],
            ))
            continue
        served = [h for s in read_servers(gw) for h in s.admits(vs_ns)]
        missing = [h for h in hosts if not any(intersect(sh, full_host(h, vs_ns)) for sh in served)]
        if missing:
            out.append(Diagnosis(
                "ISTIO_HOST_NOT_IN_GATEWAY", "warning",
                f"VirtualService {vs_ns}/{vs.name} host(s) {', '.join(missing)} match no server host of Gateway "
                f"{name} that admits namespace {vs_ns}; the gateway ignores them (istioctl analyze IST0132).",
                f"Add the host to a server of Gateway {name} (with a namespace prefix that admits {vs_ns}), or "
                "fix the VirtualService hosts.",
                "istio#S18", [ref, gw.ref()],
            ))
    return out


def full_host(host: str, ns: str) -> str:
    """A short VirtualService host is a Service name in the VirtualService's namespace (istio#S4)."""
    return host if "." in host or host == "*" else f"{host}.{ns}.svc.cluster.local"
