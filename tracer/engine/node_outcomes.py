"""How the node side shows on a whole trace: the cases the snapshot cannot decide become branches, a backend
connection the node drops turns the controller's answer into 504, and the diagnoses that go with them.

It reads only what tracer.engine.traffic_policy and tracer.engine.services.nodeplane wrote under one key of
the hop details, ``dataplane`` (``cases``, ``networkPolicy``, ``sessionAffinity``, ``internalTrafficPolicy``,
``source``), so a trace without those features costs three dictionary look-ups. ``finish_trace`` (tracer.engine.faults.hops) calls it for every routed
request; a request dropped before the controller gets its diagnosis from ``entry_failure_diagnosis``.
"""

from __future__ import annotations

from typing import Any

from .result import Diagnosis, Hop, RequestTrace

# What an HTTP proxy answers when its connect to the upstream times out (dataplane#R30).
GATEWAY_TIMEOUT = 504
# The hop details key holding the node side's facts.
FACTS = "dataplane"


def facts_of(hop: Hop) -> dict[str, Any]:
    found = hop.details.get(FACTS)
    return found if isinstance(found, dict) else {}


def add_fact(hop: Hop, key: str, value: Any) -> None:
    """Set one fact on a hop without touching the details other copies of it share."""
    hop.details = {**hop.details, FACTS: {**facts_of(hop), key: value}}


def finish_node_cases(result: RequestTrace) -> None:
    """The trace-level side of the node plane for one routed request.

    Entry facts sit on the hops right after the browser and DNS hops; backend facts are flagged on the trace's
    last hop (the node plane always gives it the connection's ``source``), so a trace without any costs three
    look-ups."""
    hops = result.hops
    try:
        if FACTS not in hops[-1].details and FACTS not in hops[2].details and FACTS not in hops[3].details:
            return
    except IndexError:  # a short trace: look at every hop
        pass
    marked = [h for h in hops if FACTS in h.details]
    if not marked:
        return
    before, error = result.status, result.error
    last = result.hops[-1]
    last_facts = facts_of(last)
    failed: Hop | None = None
    if last.component == "kube-proxy" and last.outcome == "timeout" and "internalTrafficPolicy" in last_facts:
        failed = last
        result.add_diagnosis(itp_local_diagnosis(last, "error"))
    np = last_facts.get("networkPolicy") if last.component == "pod" else None
    if isinstance(np, dict) and np.get("verdict") == "denied":
        failed = last
        last.outcome, last.status = "timeout", None  # an app profile may have filled in its answer after the drop
        result.add_diagnosis(networkpolicy_diagnosis(last, np))
    if failed is not None and error is None and before is not None:
        result.status = GATEWAY_TIMEOUT
        for hop in result.hops:
            if hop.status == before:
                hop.status = GATEWAY_TIMEOUT
        if failed.component == "pod":
            result.branches.append({
                "kind": "networkpolicy",
                "policies": list(np.get("policies") or []) if isinstance(np, dict) else [],
                "status": before,
                "error": None,
                "reason": "if the network plugin does not enforce NetworkPolicy, the connection goes through and the "
                          "pod answers",
            })
    for hop in marked:
        facts = facts_of(hop)
        local = facts.get("internalTrafficPolicy") if hop.component == "kube-proxy" else None
        if isinstance(local, dict) and result.pod is not None:
            # kube-proxy on the controller's node chose among the local endpoints only (or dropped the packet).
            picked = local.get("picked")
            result.pod = None if picked is None else {"namespace": result.pod.get("namespace"), **picked}
        for case in facts.get("cases") or []:
            result.branches.append(_branch(case, before, error, result))
        _case_diagnoses(hop, result)
        affinity = facts.get("sessionAffinity")
        if isinstance(affinity, dict):
            result.add_diagnosis(affinity_diagnosis(hop, affinity, result.controller or ""))


def _branch(case: dict[str, Any], before: int | None, error: str | None, result: RequestTrace) -> dict[str, Any]:
    outcome = case.get("outcome")
    status: int | None
    if case.get("where") == "entry":
        status, err = (None, "timeout") if outcome == "timeout" else (result.status, result.error)
    elif outcome == "timeout":
        status, err = GATEWAY_TIMEOUT, None
    else:
        status, err = before, error
    return {"kind": "node", "node": case.get("node"), "status": status, "error": err, "reason": case.get("reason")}


def _case_diagnoses(hop: Hop, result: RequestTrace) -> None:
    """A warning when some case the trace did not take fails (the request itself went through)."""
    drops = [c for c in facts_of(hop).get("cases") or [] if c.get("outcome") == "timeout"]
    if not drops:
        return
    nodes = [str(c["node"]) for c in drops if c.get("node")]
    if drops[0].get("where") == "entry":
        result.add_diagnosis(etp_local_diagnosis(hop, nodes=nodes))
    else:
        result.add_diagnosis(itp_local_diagnosis(hop, "warning", nodes=nodes))


def _service(hop: Hop) -> str:
    ref = next((o for o in hop.objects if o.get("kind") == "Service"), None)
    return f"Service {ref.get('namespace')}/{ref.get('name')}" if ref else f"Service {hop.name.partition(':')[0]}"


def _node_list(nodes: list[str]) -> str:
    return ", ".join(nodes) if nodes else "nodes without one"


def etp_local_diagnosis(hop: Hop, nodes: list[str] | None = None) -> Diagnosis:
    """externalTrafficPolicy Local: the client (or a client the trace did not take) lands on a node without a ready
    controller pod and is dropped (dataplane#R23)."""
    svc = _service(hop)
    fix = (f"Send clients only to nodes that run a controller pod (a cloud load balancer does so by health-checking "
           f"healthCheckNodePort), run the controller on every node that receives traffic (a DaemonSet), or set "
           f"externalTrafficPolicy: Cluster on {svc} (the pods then see a node address instead of the client's).")
    if nodes is None:
        node = hop.details.get("no_local_endpoint") or "the client's node"
        message = (f"externalTrafficPolicy Local on {svc}: the client reaches node {node}, which runs no ready "
                   "controller pod, so kube-proxy drops the connection there and the client times out, with no HTTP "
                   "status at all.")
        return Diagnosis("ETP_LOCAL_NO_LOCAL_ENDPOINT", "error", message, fix, "dataplane#R23", hop.objects)
    message = (f"externalTrafficPolicy Local on {svc}: a client that reaches {_node_list(nodes)} (no ready controller "
               "pod there) is dropped and times out. The snapshot does not say which node clients reach; this trace "
               "took one that runs a controller pod, and the branches show the others.")
    return Diagnosis("ETP_LOCAL_NO_LOCAL_ENDPOINT", "warning", message, fix, "dataplane#R23", hop.objects)


def itp_local_diagnosis(hop: Hop, severity: str, nodes: list[str] | None = None) -> Diagnosis:
    """internalTrafficPolicy Local on a backend Service reached through its ClusterIP (dataplane#R22)."""
    svc = _service(hop)
    facts = facts_of(hop).get("internalTrafficPolicy") or {}
    fix = (f"Remove internalTrafficPolicy: Local from {svc} (it suits node-local agents such as a DaemonSet's "
           "pods), run a backend pod on every node that runs a controller pod, or let the controller connect to pod "
           "IPs itself instead of the ClusterIP (without service-upstream).")
    if severity == "error":
        message = (f"internalTrafficPolicy Local on {svc}: the controller reaches it through its ClusterIP from node "
                   f"{facts.get('node')}, where the Service has no ready endpoint, so kube-proxy drops the connection; "
                   f"the controller's connect times out and it answers {GATEWAY_TIMEOUT}.")
    else:
        message = (f"internalTrafficPolicy Local on {svc}: through a controller pod on {_node_list(nodes or [])}, "
                   "where the Service has no ready endpoint, kube-proxy drops the connection and the controller "
                   f"answers {GATEWAY_TIMEOUT}; this trace went through another controller pod (see the branches).")
    return Diagnosis("ITP_LOCAL_NO_LOCAL_ENDPOINT", severity, message, fix, "dataplane#R22", hop.objects)


def networkpolicy_diagnosis(hop: Hop, facts: dict[str, Any]) -> Diagnosis:
    """NetworkPolicies select the backend pod and none allows the controller (dataplane#R26, R66)."""
    ns = hop.name.partition("/")[0]
    ctrl_ns = facts.get("controller_namespace")
    port = f" on port {facts['port']}" if facts.get("port") is not None else ""
    if facts.get("host_network"):
        allow = ("an ingress rule whose from is an ipBlock with the addresses of the nodes running the controller (a "
                 "hostNetwork controller's traffic is node traffic, dataplane#R67)")
    elif ctrl_ns:
        allow = (f"an ingress rule from namespaceSelector matchLabels kubernetes.io/metadata.name: {ctrl_ns} (the "
                 "controller's namespace; add a podSelector for its pods to narrow it)")
    else:
        allow = "an ingress rule from the controller's namespace (namespaceSelector)"
    message = (f"{facts.get('reason')}. If the network plugin enforces NetworkPolicy, the connection is dropped at the "
               f"pod and times out, and the controller answers {GATEWAY_TIMEOUT}; if it does not (flannel alone, for "
               "example), the request goes through. The snapshot cannot tell which.")
    fix = f"Add a NetworkPolicy in namespace {ns} that selects the backend pods with {allow}{port}."
    return Diagnosis("NETWORKPOLICY_BLOCKS_CONTROLLER", "error", message, fix, "dataplane#R66", hop.objects)


def affinity_diagnosis(hop: Hop, facts: dict[str, Any], family: str) -> Diagnosis:
    """sessionAffinity ClientIP on a Service behind an ingress controller (dataplane#R68)."""
    svc = f"Service {hop.name.partition(':')[0]}"
    seconds = facts.get("timeoutSeconds")
    if facts.get("applied"):
        message = (f"{svc} has sessionAffinity: ClientIP, but the address kube-proxy keys it on is the controller "
                   f"pod's ({facts.get('sourceSeen') or 'its pod IP'}), not the browser's: every browser whose "
                   f"requests go through one controller pod sticks to one endpoint for {seconds} s, and a browser "
                   "whose requests go through several controller pods does not stick at all.")
    else:
        message = (f"{svc} has sessionAffinity: ClientIP, but {facts.get('controller')} connects to the pods itself, "
                   "so kube-proxy's affinity never applies: the controller balances each request on its own.")
    if family == "ingress-nginx":
        fix = (f"For per-browser stickiness use cookie affinity on the Ingress (nginx.ingress.kubernetes.io/affinity: "
               f"cookie, without service-upstream) and drop sessionAffinity from {svc}.")
    else:
        fix = f"Use the controller's own session affinity (a cookie) and drop sessionAffinity from {svc}."
    return Diagnosis("SESSION_AFFINITY_BEHIND_INGRESS", "warning", message, fix, "dataplane#R68", hop.objects)


__all__ = [
    "FACTS",
    "add_fact",
    "affinity_diagnosis",
    "etp_local_diagnosis",
    "facts_of",
    "finish_node_cases",
    "itp_local_diagnosis",
    "networkpolicy_diagnosis",
]
