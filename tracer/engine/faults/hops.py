"""How faults show on hops: the entry hops on a flushed node or in front of a controller that is down, the
pod hop behind a deny-all NetworkPolicy, the diagnoses of those hops, and the trace's "if enforced" branch.

Hops that a fault changed carry ``details["fault"]`` (the fault's label) and ``details["fault_kind"]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..node_outcomes import finish_node_cases
from ..result import Diagnosis, Hop, RequestTrace
from ..services.hops import DENY_ALL_NOT_ENFORCED
from .model import Fault, Faults, sync_period

if TYPE_CHECKING:
    from ..entry import EntryPlan

# What an HTTP proxy answers when its connect to the upstream times out (dataplane#R30).
GATEWAY_TIMEOUT = 504


def _mark(hop: Hop, fault: Fault, **details: object) -> None:
    hop.details = {**hop.details, "fault": fault.label, "fault_kind": fault.kind, **details}


def _refuse(hop: Hop, fault: Fault, summary: str, rules: list[str], **details: object) -> Hop:
    out = hop.copy()
    out.summary = summary
    out.outcome = "refused"
    out.status = None
    out.rules = [*dict.fromkeys([*rules, *hop.rules])]
    out.confidence = "inferred"
    _mark(out, fault, **details)
    return out


def entry_with_faults(plan: EntryPlan, hops: list[Hop]) -> list[Hop]:
    """The entry hops after DNS as the plan's faults leave them (the hops themselves when there are none)."""
    faults: Faults = plan.context.faults
    if not faults or not hops:
        return hops
    last = hops[-1]
    down = faults.controller_down
    if down is not None and last.outcome == "forward" and last.component != "kube-proxy":
        # hostNetwork, hostPort or an assumed entry: no Service readiness on the way, the process is gone.
        what = f"hostPort {last.details['hostPort']}" if "hostPort" in last.details else "the entry"
        return [*hops[:-1], _refuse(
            last, down, f"{last.summary} -- but the controller is down ({down.label}): nothing accepts the "
            f"connection on {what}, connection refused. If its pods were only unready and still running, traffic "
            "that does not go through a Service would still reach them", ["dataplane#R21", "dataplane#R25"])]
    flush = faults.flush_on(plan.entry_node)
    if flush is not None:
        hops = [_flushed(plan, h, flush) for h in hops]
        last = hops[-1]
    deny = faults.deny_all.get(plan.workload.namespace or "default") if plan.workload is not None else None
    if deny is not None and last.outcome == "forward" and (last.component == "kube-proxy" or "hostPort" in last.details):
        out = last.copy()
        out.summary = (f"{last.summary}; {deny.label}: if the network plugin enforces NetworkPolicy the packet to "
                       "the controller pod is dropped and the client times out; if it does not, it goes on")
        out.outcome = "timeout"
        out.rules = [*out.rules, "dataplane#R26"]
        _mark(out, deny)
        hops = [*hops[:-1], out]
    return hops


def _flushed(plan: EntryPlan, hop: Hop, fault: Fault) -> Hop:
    """One entry hop on a node whose iptables a firewalld restart flushed (dataplane#R28, #R50, #R52)."""
    after = fault.after_seconds or 0.0
    if "hostPort" in hop.details:
        return _refuse(
            hop, fault, f"hostPort {hop.details['hostPort']}: the CNI portmap rules (CNI-HOSTPORT-DNAT, CNI-DN-…) "
            f"were flushed ({fault.label}) and nothing writes them again until the controller pod is recreated, "
            f"so nothing answers on the node's port {hop.details['hostPort']}: connection refused (firewalld's own "
            "rules are back and reject it, or the kernel resets it)",
            ["dataplane#R50", "dataplane#R58", "dataplane#R49"], rules_back="when the pod is recreated")
    if hop.component == "node" and "dataplane#R51" in hop.rules:
        out = hop.copy()
        out.decision = (f"{fault.label}: a hostNetwork socket needs no NAT rule, so the flush does not touch it; "
                        "firewalld's own rules are back and must still allow the port")
        _mark(out, fault)
        return out
    if hop.component != "kube-proxy" or hop.outcome != "forward":
        return hop
    seconds, where = sync_period(plan.context.snapshot, plan.proxy_mode)
    if plan.proxy_mode == "nftables":
        out = hop.copy()
        out.decision = (f"{fault.label}: kube-proxy's nftables table is its own and a firewalld restart leaves it "
                        "alone, so these rules survive (hostPort rules written with iptables would not)")
        out.rules = [*out.rules, "dataplane#R57"]
        _mark(out, fault)
        return out
    if after >= seconds:
        out = hop.copy()
        out.decision = (f"{fault.label}: {after:g} s after the flush, past the {seconds:g} s sync period ({where}): "
                        "kube-proxy saw its canary chain gone and rewrote every rule, so this works again; hostPort "
                        "rules stay gone until their pods are recreated")
        out.rules = [*out.rules, "dataplane#R52", "dataplane#R56" if plan.proxy_mode == "ipvs" else "dataplane#R55"]
        _mark(out, fault, rules_back=f"after at most {seconds:g} s")
        return out
    if plan.proxy_mode == "ipvs":
        out = hop.copy()
        out.decision = (f"{fault.label}: the IPVS virtual servers survive an iptables flush, but the marking and "
                        f"masquerade rules around them are gone until the next sync (at most {seconds:g} s, {where}); "
                        "replies from pods on other nodes may not find their way back until then")
        out.rules = [*out.rules, "dataplane#R56", "dataplane#R47"]
        out.confidence = "assumed"
        _mark(out, fault, rules_back=f"after at most {seconds:g} s")
        return out
    return _refuse(
        hop, fault, f"{fault.label}: the node's KUBE-SERVICES, KUBE-NODEPORTS and KUBE-EXT chains are gone, so no "
        "rule DNATs the packet: nothing listens on the node port and firewalld's own rules (back after its restart) "
        f"reject it, connection refused. kube-proxy notices the missing canary chain and rewrites its rules within "
        f"{seconds:g} s ({where}; ask with afterSeconds: {seconds:g} or more)",
        ["dataplane#R28", "dataplane#R52", "dataplane#R55"], rules_back=f"after at most {seconds:g} s",
    )


def fault_diagnosis(hop: Hop) -> Diagnosis | None:
    """The diagnosis of an entry hop a fault ended, or None when no fault did."""
    kind = hop.details.get("fault_kind")
    label = hop.details.get("fault")
    if kind is None:
        return None
    if kind == "node-rules-flushed" and "dataplane#R50" in hop.rules:
        return Diagnosis(
            "HOSTPORT_RULES_FLUSHED", "error",
            f"{label}: the controller's hostPort worked through CNI portmap NAT rules, which the flush removed and "
            "nothing rewrites: the node refuses the port until the controller pod is recreated.",
            "Recreate the controller pod on that node (kubectl delete pod), stop restarting firewalld on Kubernetes "
            "nodes, or expose the controller with hostNetwork or a Service instead of hostPort.",
            "dataplane#R50", hop.objects,
        )
    if kind == "node-rules-flushed":
        return Diagnosis(
            "NODE_RULES_FLUSHED", "error",
            f"{label}: kube-proxy's NAT rules are gone from the node, so the NodePort is refused until kube-proxy "
            f"rewrites them ({hop.details.get('rules_back', 'at its next sync')}).",
            "Wait for kube-proxy's next sync (or restart kube-proxy on the node), and keep firewalld from managing "
            "the iptables of Kubernetes nodes.",
            "dataplane#R52", hop.objects,
        )
    if kind == "networkpolicy-deny-all":
        return _deny_all_diagnosis(str(label), hop)
    return Diagnosis(
        "CONTROLLER_DOWN", "error",
        f"{label}: the controller does not accept connections on its entry, so the client sees connection refused "
        "before any HTTP.",
        "Bring the controller pods back (kubectl get pods, describe, logs) before looking at routing.",
        "dataplane#R21", hop.objects,
    )


def _deny_all_diagnosis(label: str, hop: Hop) -> Diagnosis:
    return Diagnosis(
        "NETWORKPOLICY_DENY_ALL", "error",
        f"{label}: a NetworkPolicy selects every pod of the namespace and allows no ingress. If the network plugin "
        "enforces NetworkPolicy the connection is dropped and times out; if it does not (flannel alone, for "
        "example), nothing changes. The snapshot cannot tell which.",
        "Add a NetworkPolicy allowing ingress from the controller's namespace (namespaceSelector) to the pods, or "
        "remove the deny-all policy.",
        "dataplane#R26", hop.objects,
    )


def finish_trace(result: RequestTrace) -> None:
    """The trace-level side of a fault: a request that reached a pod behind a deny-all policy answers as if the
    policy is enforced (the proxy's connect times out: 504, dataplane#R30), with the other case as a branch."""
    finish_node_cases(result)  # the snapshot's own NetworkPolicies, traffic policies and session affinity
    pod = result.hops[-1] if result.hops else None
    if pod is None or pod.component != "pod" or pod.details.get("fault_kind") != "networkpolicy-deny-all":
        return
    pod.outcome, pod.status = "timeout", None  # an AppProfile may have filled in its answer after the drop
    before, error = result.status, result.error
    result.add_diagnosis(_deny_all_diagnosis(str(pod.details.get("fault")), pod))
    if error is not None or before is None:
        return
    result.status = GATEWAY_TIMEOUT
    for hop in result.hops:
        if hop.status == before:
            hop.status = GATEWAY_TIMEOUT
    result.branches.append({
        "kind": "fault",
        "fault": pod.details.get("fault"),
        "status": before,
        "error": None,
        "reason": f"{DENY_ALL_NOT_ENFORCED}, the pod answers as without the fault",
    })
