"""The route's destination: weighted pick, Service and port, DestinationRule subset, then the cluster's
endpoints (istio#S7, #S8, #S10, #S12, #S13). A missing Service, port or subset is a cluster Envoy does not
have (503 NC); a cluster without ready endpoints answers 503 UH.
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

from ...k8s import selector_matches, template_labels
from ...profiles import merge_headers, profile_pod_hop
from ...request import Request, combined_headers
from ...result import Diagnosis, RequestTrace
from ...services import Endpoint, backend_hops, pick_endpoint, resolve_backend
from .knative.activator import to_revision
from .matching import rewrite_path
from .model import Destination, Server, ns_of, service_of_host
from .vhosts import RouteEntry

if TYPE_CHECKING:
    from .route import IstioRouter


def pick_destination(dests: list[Destination], seed: int | None, key: str) -> Destination | None:
    """A weighted pick, deterministic for the same seed and request (istio#S7); weight-0 entries never win."""
    live = [d for d in dests if d.weight > 0]
    if not live:
        return None
    total = sum(d.weight for d in live)
    point = zlib.crc32(f"{seed or 0}|{key}".encode()) % total
    for d in live:
        if point < d.weight:
            return d
        point -= d.weight
    return live[-1]


def _labels(router: IstioRouter, ns: str, ep: Endpoint) -> dict[str, str] | None:
    """The labels of the pod behind an endpoint (a Pod, else the workload it was inferred from)."""
    if ep.pod_name:
        pod = router.snapshot.get("Pod", ns, ep.pod_name)
        if pod is not None:
            return pod.labels
    for ref in ep.objects:
        obj = router.snapshot.get(str(ref.get("kind") or ""), ns, str(ref.get("name") or ""))
        if obj is not None and obj.kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
            return template_labels(obj)
    return None


def _apply_headers(target: dict[str, Any], ops: dict[str, Any]) -> None:
    for name, value in (ops.get("set") or {}).items():
        target[str(name)] = str(value)
    for name, value in (ops.get("add") or {}).items():
        target[str(name)] = f"{target[name]}, {value}" if name in target else str(value)
    for name in ops.get("remove") or []:
        target.pop(str(name), None)


def forward(router: IstioRouter, trace: RequestTrace, request: Request, hit: RouteEntry, server: Server,
            objects: list[dict[str, Any]], decision: str, rules: list[str], details: dict[str, Any]) -> None:
    rule = hit.rule
    key = f"{request.client_ip}|{request.server_name}{request.request_uri}"
    dest = pick_destination(rule.destinations, router.options.seed, key)
    rules.append("istio#S7")
    if dest is None:
        _fail(router, trace, objects, decision, rules, details, "NC", f"{rule.label} has no destination with weight")
        return
    if len(rule.destinations) > 1:
        details["weights"] = {f"{d.host}{'/' + d.subset if d.subset else ''}": d.weight for d in rule.destinations}
    vs_ns = ns_of(rule.vs)
    svc_key = service_of_host(dest.host, vs_ns)
    svc = router.snapshot.get("Service", *svc_key) if svc_key is not None else None
    cluster = f"outbound|{dest.port or ''}|{dest.subset}|{dest.host}"
    details["cluster"] = cluster
    revision = router.knative.revisions.get(svc_key) if svc_key is not None and svc is None else None
    if revision is not None:  # a Knative revision without its Service in the snapshot (istio#S24)
        headers, uri = _upstream(request, hit, dest, rules)
        trace.upstream = {"host": headers.get("Host", request.host_header), "path": uri, "headers": headers}
        hop = router._hop(f"{rule.label} -> {cluster}", "forward", None, objects, decision, [*rules, "istio#S24"],
                          details)
        to_revision(router, trace, request, revision, headers, uri, hop)
        return
    if svc_key is None or svc is None:
        _fail(router, trace, objects, decision, rules, details, "NC",
              f"destination host {dest.host} is not a Service in the snapshot, so cluster {cluster} does not exist")
        return
    ports = [p for p in svc.spec.get("ports") or [] if isinstance(p, dict)]
    port = dest.port or (int(ports[0].get("port") or 0) if len(ports) == 1 else server.port)
    res = resolve_backend(router.context.services, svc_key[0], svc_key[1], port,
                          assume_endpoints=router.options.assume_endpoints, port_match="service-port")
    trace.backend = {"namespace": svc_key[0], "service": svc_key[1], "port": res.port_number}
    if res.service_port is None:
        _fail(router, trace, objects, decision, rules, details, "NC",
              f"Service {svc_key[0]}/{svc_key[1]} has no port {port}"
              + ("" if dest.port else " (no destination port: the listener port is used)"))
        return
    if dest.subset:
        rules.append("istio#S12")
        labels = router.subsets.get(svc_key, {}).get(dest.subset)
        if labels is None:
            _fail(router, trace, objects, decision, rules, details, "NC",
                  f"no DestinationRule defines subset {dest.subset} for {dest.host}")
            return
        details["subset"] = f"{dest.subset}: " + ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
        kept = []
        for ep in res.endpoints:
            have = _labels(router, svc_key[0], ep)
            if have is None or selector_matches(labels, have):
                kept.append(ep)
        res.endpoints = kept
    picked = pick_endpoint(res.endpoints, router.options.seed, key)
    if picked is None:
        for d in res.diagnoses:
            trace.add_diagnosis(d)
        _fail(router, trace, objects, decision, rules, details, "UH",
              f"cluster {cluster} has no ready endpoint" + (f" with the labels of subset {dest.subset}" if dest.subset else ""),
              res=res)
        return
    headers, uri = _upstream(request, hit, dest, rules)
    trace.upstream = {"host": headers.get("Host", request.host_header), "path": uri, "headers": headers}
    status = 200
    answer = None
    if router.context.profiles is not None:
        answer = router.context.profiles.answer_for(res, picked, request.method, uri, headers, upstream_tls=False)
        if answer is not None:
            if answer.refused:
                status = 503  # Envoy: upstream connect error, flag UF (istio#S13)
                details["response_flags"] = "UF"
            else:
                merge_headers(trace.response_headers, answer.headers)
                trace.page = answer.page()
                status = answer.status or 200
    for ops in (rule.headers.get("response"), dest.headers.get("response")):
        if isinstance(ops, dict):
            _apply_headers(trace.response_headers, ops)
    trace.status = status
    trace.pod = {"namespace": svc_key[0], "name": picked.pod_name, "ip": picked.ip or None, "port": picked.port}
    changes = {k: v for k, v in (("path", uri if uri != request.request_uri else None),
                                 ("host", headers["Host"] if headers["Host"] != request.host_header else None)) if v}
    hop = router._hop(f"{rule.label} -> {cluster}", "forward", status, objects, decision, rules, details)
    hop.changes = changes
    trace.hops.append(hop)
    hops = backend_hops(res, picked, via="direct", status=status)
    if answer is not None and hops and hops[-1].component == "pod":
        profile_pod_hop(hops[-1], answer)
    trace.hops.extend(hops)


def _upstream(request: Request, hit: RouteEntry, dest: Destination, rules: list[str]) -> tuple[dict[str, str], str]:
    """The request as the gateway sends it upstream: rewrites and header operations (istio#S8, #S10)."""
    rule = hit.rule
    headers = {"Host": request.host_header,
               **{k: v for k, v in combined_headers(request.headers).items() if k.lower() != "host"}}
    path = request.path
    if rule.rewrite.get("uri") is not None:
        path = rewrite_path(path, hit.match, str(rule.rewrite["uri"]))
        headers["x-envoy-original-path"] = request.path
        rules.append("istio#S8")
    if rule.rewrite.get("authority"):
        headers["Host"] = str(rule.rewrite["authority"])
        rules.append("istio#S8")
    for ops in (rule.headers.get("request"), dest.headers.get("request")):
        if isinstance(ops, dict):
            _apply_headers(headers, ops)
            rules.append("istio#S10")
    return headers, path + (f"?{request.query}" if request.query else "")


def _fail(router: IstioRouter, trace: RequestTrace, objects: list[dict[str, Any]], decision: str, rules: list[str],
          details: dict[str, Any], flag: str, why: str, res: Any = None) -> None:
    code, fix = {
        "NC": ("ISTIO_CLUSTER_NOT_FOUND", "Point the destination at an existing Service and port, and define the "
               "subset in a DestinationRule for that host."),
        "UH": ("ISTIO_NO_HEALTHY_UPSTREAM", "Make sure pods with the Service's (and the subset's) labels are ready."),
    }[flag]
    trace.status = 503
    details["response_flags"] = flag
    trace.add_diagnosis(Diagnosis(code, "error", f"The ingress gateway answers 503 with response flag {flag}: {why}.",
                                  fix, "istio#S13", objects))
    trace.hops.append(router._hop(f"{why}: 503 {flag}", "respond", 503, objects, decision, [*rules, "istio#S13"],
                                  details))
    if res is not None:
        hops = backend_hops(res, None, via="direct", status=503)
        if hops:
            hops[-1].summary += "; the gateway answers 503 itself"
        trace.hops.extend(hops)
