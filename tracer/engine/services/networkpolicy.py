"""NetworkPolicy on a backend pod: do the policies that select it allow the controller's connection?

Evaluated as docs/rules/dataplane.md R66 and R67 describe (the upstream concept page
https://kubernetes.io/docs/concepts/services-networking/network-policies/ and the NetworkPolicy API
reference): a pod is isolated for ingress once a policy of its namespace selects it with ``Ingress`` among
its policy types, and then accepts only what the union of those policies' ingress rules allows. Whether the
network plugin enforces policies at all is not in a snapshot (dataplane#R26); the caller shows both cases.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ..k8s import as_int
from ..snapshot import K8sObject, Snapshot
from . import labelselector
from .peers import ControllerClient
from .ports import container_port

POLICY_GROUP = "networking.k8s.io"  # other groups' kinds named NetworkPolicy (Calico's) have other semantics
METADATA_NAME = "kubernetes.io/metadata.name"  # set on every Namespace by the API server (Kubernetes 1.22+)
# The policy a networkpolicy-deny-all fault adds (tracer.engine.faults.apply.DENY_ALL_POLICY; a test keeps the
# two equal: the fault package imports this one, so it cannot be imported from here).
FAULT_POLICY = "tracer-fault-deny-all"
MAX_REASONS = 3


@dataclass(slots=True)
class Target:
    """The backend pod a connection goes to, as far as the snapshot shows it."""

    namespace: str
    pod: str | None
    labels: dict[str, str]
    labels_from: str  # where the labels come from, for text
    node: str | None
    port: int | None
    containers: list[Any] | None  # None: not in the snapshot (named policy ports cannot be resolved)


@dataclass(slots=True)
class Verdict:
    state: str  # "not-isolated" | "allowed" | "denied" | "unknown"
    policies: list[K8sObject]  # the policies that select the pod for ingress
    reason: str
    notes: list[str] = field(default_factory=list)

    def names(self) -> list[str]:
        return [f"{p.namespace}/{p.name}" for p in self.policies]


def _ingress_policy(spec: dict[str, Any]) -> bool:
    """Unset policyTypes means Ingress (plus Egress when egress rules exist): dataplane#R66."""
    types = spec.get("policyTypes")
    if isinstance(types, list) and types:
        return "Ingress" in [str(t) for t in types]
    return True


class PolicyIndex:
    """The snapshot's NetworkPolicies by namespace and the Namespaces' labels, built once per ServiceIndex."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.by_namespace: dict[str, list[K8sObject]] = {}
        for p in snapshot.of_kind("NetworkPolicy"):
            if p.group == POLICY_GROUP:
                self.by_namespace.setdefault(p.namespace or "default", []).append(p)
        self._namespaces = {n.name: n.labels for n in snapshot.of_kind("Namespace")}
        self._nodes: dict[str, list[str]] = {}
        for n in snapshot.of_kind("Node"):
            addrs = [str(a["address"]) for a in n.status.get("addresses") or []
                     if isinstance(a, dict) and a.get("type") in ("InternalIP", "ExternalIP") and a.get("address")]
            self._nodes[n.name] = addrs

    def namespace_labels(self, namespace: str) -> tuple[dict[str, str], set[str] | None]:
        """The namespace's labels and the keys known for certain (None: all; only the automatic name label
        when the Namespace object is not in the snapshot)."""
        labels = dict(self._namespaces.get(namespace, {}))
        labels[METADATA_NAME] = namespace
        return labels, (None if namespace in self._namespaces else {METADATA_NAME})

    def node_address(self, node: str | None) -> str | None:
        addrs = self._nodes.get(node or "")
        return addrs[0] if addrs else None

    # -- evaluation ---------------------------------------------------------------------------------

    def evaluate(self, target: Target, client: ControllerClient, *, skip: frozenset[str] = frozenset()) -> Verdict:
        """The verdict for a connection from ``client`` to ``target``; policies named in ``skip`` are left out."""
        selecting = [
            p for p in self.by_namespace.get(target.namespace, [])
            if p.name not in skip and _ingress_policy(p.spec) and labelselector.matches(
                p.spec.get("podSelector") if isinstance(p.spec.get("podSelector"), dict) else {}, target.labels)
        ]
        if not selecting:
            return Verdict("not-isolated", [], f"no NetworkPolicy of namespace {target.namespace} selects "
                           f"{_pod_words(target)} for ingress, so it accepts every connection")
        if client.host_network and client.pod.node and target.node == client.pod.node:
            return Verdict("allowed", selecting, f"the connection comes from {_pod_words(target)}'s own node "
                           f"{target.node}, which NetworkPolicy never blocks (dataplane#R67)")
        failures: list[str] = []
        unknowns: list[str] = []
        for policy in selecting:
            name = f"{policy.namespace}/{policy.name}"
            rules = [r for r in policy.spec.get("ingress") or [] if isinstance(r, dict)]
            if not rules:
                failures.append(f"{name} has no ingress rule")
                continue
            for i, rule in enumerate(rules):
                ports_ok, ports_text = self._ports(rule, target)
                from_ok, from_text = self._from(rule, policy, client)
                where = f"{name} ingress[{i}]"
                if ports_ok is True and from_ok is True:
                    verdict = Verdict("allowed", selecting, f"NetworkPolicy {where} allows it: {from_text}, "
                                      f"{ports_text}")
                    if unknowns:
                        verdict.notes.append("; ".join(unknowns[:MAX_REASONS]))
                    return verdict
                if ports_ok is False:
                    failures.append(f"{where}: {ports_text}")
                elif from_ok is False:
                    failures.append(f"{where}: {from_text}")
                else:
                    unknowns.append(f"{where} allows it if {from_text if from_ok is None else ports_text}")
        source = client.source_phrase()
        if unknowns:
            return Verdict("unknown", selecting, f"NetworkPolicy {', '.join(_names(selecting))} select "
                           f"{_pod_words(target)}; whether they allow {source} the snapshot cannot tell: "
                           + "; ".join(unknowns[:MAX_REASONS]), failures[:MAX_REASONS])
        verdict = Verdict("denied", selecting, f"NetworkPolicy {', '.join(_names(selecting))} select "
                          f"{_pod_words(target)} for ingress and no rule of theirs allows {source}: "
                          + "; ".join(failures[:MAX_REASONS]))
        if client.host_network:
            verdict.notes.append("to most network plugins a hostNetwork pod's traffic is node traffic, which only "
                                 "an ipBlock with the node's address (or no from at all) allows (dataplane#R67)")
        return verdict

    def _ports(self, rule: dict[str, Any], target: Target) -> tuple[bool | None, str]:
        ports = [p for p in rule.get("ports") or [] if isinstance(p, dict)]
        if not ports:
            return True, "on every port"
        want = target.port
        shown = ", ".join(_port_words(p) for p in ports)
        for p in ports:
            if str(p.get("protocol") or "TCP") != "TCP":
                continue
            value = p.get("port")
            if value is None:
                return True, "on every TCP port"
            number = as_int(value)
            if want is None:
                return None, f"port {want_words(want)} is among {shown}"
            if number is not None:
                end = as_int(p.get("endPort"))
                if number == want or (end is not None and number <= want <= end):
                    return True, f"port {_port_words(p)}"
                continue
            if target.containers is None:
                return None, f"the pod's container port named {value} is {want}"
            if container_port(target.containers, str(value)) == want:
                return True, f"port {value} (= {want})"
        named = any(p.get("port") is not None and as_int(p.get("port")) is None for p in ports)
        hint = " (a port name stands for the pod's container port of that name)" if named else ""
        return False, f"ports {shown} do not include {want}/TCP{hint}"

    def _from(self, rule: dict[str, Any], policy: K8sObject, client: ControllerClient) -> tuple[bool | None, str]:
        peers = rule.get("from")
        if not isinstance(peers, list) or not peers:
            return True, "from every source (no from)"
        unknown = ""
        first_miss = ""
        for j, peer in enumerate(peers):
            ok, text = self._peer(peer if isinstance(peer, dict) else {}, policy, client)
            if ok is True:
                return True, f"from[{j}] {text}"
            if ok is None and not unknown:
                unknown = f"from[{j}] {text}"
            if ok is False and not first_miss:
                first_miss = f"from[{j}] {text}"
        if unknown:
            return None, unknown
        more = f" (and {len(peers) - 1} more)" if len(peers) > 1 else ""
        return False, first_miss + more

    def _peer(self, peer: dict[str, Any], policy: K8sObject, client: ControllerClient) -> tuple[bool | None, str]:
        if isinstance(peer.get("ipBlock"), dict):
            return self._ip_block(peer["ipBlock"], client)
        ns_sel = peer.get("namespaceSelector")
        pod_sel = peer.get("podSelector")
        if not isinstance(ns_sel, dict) and not isinstance(pod_sel, dict):
            return False, "selects nothing (a peer needs a podSelector, namespaceSelector or ipBlock)"
        words = _peer_words(ns_sel, pod_sel, policy.namespace or "default")
        if client.host_network:
            return False, f"{words} does not match a hostNetwork controller"
        if client.labels is None or client.namespace is None:
            return None, f"{words} matches the controller, whose pods are not in the snapshot"
        if isinstance(ns_sel, dict):
            labels, known = self.namespace_labels(client.namespace)
            ns_ok = labelselector.matches_partly_known(ns_sel, labels, known)
            if ns_ok is None:
                return None, (f"{words} matches namespace {client.namespace}, whose labels are not in the snapshot "
                              "(no Namespace object)")
            if not ns_ok:
                return False, f"{words} does not match namespace {client.namespace}"
        elif client.namespace != (policy.namespace or "default"):
            return False, f"{words} does not match: the controller runs in namespace {client.namespace}"
        if isinstance(pod_sel, dict) and not labelselector.matches(pod_sel, client.labels):
            return False, f"{words} does not match the controller pods' labels"
        return True, f"{words} matches {client.name}"

    def _ip_block(self, block: dict[str, Any], client: ControllerClient) -> tuple[bool | None, str]:
        cidr = str(block.get("cidr") or "")
        excepts = [str(e) for e in block.get("except") or []]
        words = f"ipBlock {cidr}" + (f" except {', '.join(excepts)}" if excepts else "")
        ip = client.pod.ip
        if client.host_network and client.pod.node:
            ip = self.node_address(client.pod.node) or ip
        if not ip:
            return None, f"{words} contains the controller's address, which the snapshot does not give"
        try:
            addr = ipaddress.ip_address(ip)
            inside = addr in ipaddress.ip_network(cidr, strict=False) and not any(
                addr in ipaddress.ip_network(e, strict=False) for e in excepts)
        except ValueError:
            return False, f"{words} is not a valid range"
        if not inside:
            return False, f"{words} does not contain {ip}"
        if not client.host_network:
            # ipBlock is meant for addresses outside the cluster; plugins differ on pod addresses (dataplane#R67).
            return None, f"{words} contains the controller pod's {ip} and the network plugin applies ipBlock to pod " \
                         "addresses"
        return True, f"{words} contains the node address {ip}"


def want_words(port: int | None) -> str:
    return str(port) if port is not None else "(not in the snapshot)"


def _names(policies: list[K8sObject]) -> list[str]:
    return [f"{p.namespace}/{p.name}" for p in policies]


def _pod_words(target: Target) -> str:
    return f"pod {target.pod}" if target.pod else f"the pods ({target.labels_from})"


def _port_words(p: dict[str, Any]) -> str:
    proto = str(p.get("protocol") or "TCP")
    if p.get("port") is None:
        return f"every {proto} port"
    end = as_int(p.get("endPort"))
    return f"{p.get('port')}{'-' + str(end) if end is not None else ''}/{proto}"


def _peer_words(ns_sel: Any, pod_sel: Any, policy_ns: str) -> str:
    parts = []
    if isinstance(ns_sel, dict):
        parts.append("namespaceSelector " + labelselector.describe(ns_sel, "(every namespace)"))
    if isinstance(pod_sel, dict):
        where = "" if isinstance(ns_sel, dict) else f" in namespace {policy_ns}"
        parts.append("podSelector " + labelselector.describe(pod_sel, "(every pod)") + where)
    return " and ".join(parts)


__all__ = ["FAULT_POLICY", "POLICY_GROUP", "PolicyIndex", "Target", "Verdict"]
