"""What the winning rule does with the request (k8s-routing#G-28..G-41, G-43): its filters in order, the weighted
choice of a backendRef, the 500 for an invalid one, and the hops to the Service and pod.

A chosen rule is final: when it cannot forward, the Gateway answers 500 (or 503 for a Service without ready
endpoints) and no lower-precedence rule is tried (G-28).
"""

from __future__ import annotations

import hashlib
import random
from typing import TYPE_CHECKING, Any

from ...profiles import merge_headers, profile_pod_hop
from ...request import combined_headers
from ...result import Diagnosis
from ...services import BackendResolution, backend_hops, pick_endpoint, resolve_backend
from .filters import modify_headers, new_path, redirect_location
from .flow import Flow
from .model import BackendChoice, Rule

if TYPE_CHECKING:
    from .route import GatewayRouter

APP_PROTOCOL_FEATURES = {"kubernetes.io/h2c": "HTTPRouteBackendProtocolH2C", "kubernetes.io/ws": "HTTPRouteBackendProtocolWebSocket"}


def weighted_pick(seed: int | None, key: str, weights: list[int]) -> tuple[int, int, int]:
    """(index, roll, total): random(1..total) landing in a weight's range; seeded like ingress-nginx's canary roll
    (random.Random with the seed), else a hash of the request so the same request always lands the same way."""
    total = sum(weights)
    if seed is not None:
        roll = random.Random(f"{seed}:{key}").randint(1, total)
    else:
        roll = int.from_bytes(hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()[:8], "big") % total + 1
    upto = 0
    for i, w in enumerate(weights):
        upto += w
        if roll <= upto:
            return i, roll, total
    return len(weights) - 1, roll, total


class Upstream:
    """The request as the backend will receive it, changed by filters."""

    def __init__(self, flow: Flow) -> None:
        req = flow.request
        self.host = req.host_header  # forwarded unmodified unless a filter rewrites it (C-2)
        self.path = req.path
        self.headers = {k: v for k, v in combined_headers(req.headers).items() if k.lower() != "host"}
        self.changes: list[str] = []
        self.response: list[Any] = []  # ResponseHeaderModifier configurations, applied to the answer

    def rewrite(self, conf: Any, prefix: str | None) -> None:
        if not isinstance(conf, dict):
            return
        if conf.get("hostname"):
            self.host = str(conf["hostname"])
            self.changes.append(f"Host rewritten to {self.host}")
        path, how = new_path(conf, self.path, prefix)
        if how:
            self.changes.append(f"path {self.path} -> {path} ({how})")
            self.path = path

    def apply(self, filters: list[dict[str, Any]], flow: Flow, prefix: str | None, where: str) -> bool:
        """Filters in list order (G-34); False when a redirect answered."""
        for f in filters:
            kind = f.get("type")
            if kind == "RequestHeaderModifier":
                flow.cite("k8s-routing#G-36")
                self.changes += [f"request header {c}" for c in modify_headers(self.headers, f.get("requestHeaderModifier"))]
            elif kind == "ResponseHeaderModifier":
                flow.cite("k8s-routing#G-36")
                self.response.append(f.get("responseHeaderModifier"))
            elif kind == "URLRewrite":
                flow.cite("k8s-routing#G-39", "k8s-routing#G-40")
                self.rewrite(f.get("urlRewrite"), prefix)
            elif kind == "RequestRedirect":
                _redirect(flow, f.get("requestRedirect") or {}, prefix, where)
                return False
        return True


def _redirect(flow: Flow, conf: dict[str, Any], prefix: str | None, where: str) -> None:
    req = flow.request
    assert flow.listener is not None
    flow.cite("k8s-routing#G-37", "k8s-routing#G-38")
    code, location, steps = redirect_location(conf, scheme=req.scheme, host=req.server_name,
                                              listener_port=flow.listener.port, path=req.path, query=req.query,
                                              prefix=prefix)
    flow.trace.response_headers["location"] = location
    flow.details["redirect"] = {"status": code, "location": location, "built_from": steps}
    flow.decision.append(f"{where} RequestRedirect: {'; '.join(steps)}")
    flow.end(f"{where} RequestRedirect: {code} to {location}", code, outcome="redirect")


def forward(router: GatewayRouter, flow: Flow) -> None:
    m = flow.match
    assert m is not None and flow.listener is not None
    rule = m.rule
    route = rule.route
    flow.trace.route = {"kind": "HTTPRoute", "namespace": route.obj.namespace, "name": route.obj.name,
                        "rule": f"rules[{rule.index}]" + (f" ({rule.name})" if rule.name else "")}
    flow.objects.append(route.obj.ref())
    flow.decision.append(f"{m.where} ({m.describe()}) under hostname {flow.hostname or 'any'} wins")
    flow.details["match"] = {"route": route.key, "rule": rule.index, "match": m.index, "conditions": m.describe(),
                             "hostname": flow.hostname or "any"}
    flow.features += [(feature, rule.where) for feature in rule.features]
    for parent in route.parents:
        if parent.ref.get("port") is not None and any(lis is flow.listener for lis, _ in parent.listeners):
            flow.features.append(("HTTPRouteParentRefPort", f"HTTPRoute {route.key} {parent.label()}"))
    if rule.timeouts:
        flow.cite("k8s-routing#G-43")
        flow.details["timeouts"] = dict(rule.timeouts)
    if rule.notes:
        flow.details["not_simulated"] = list(rule.notes)
    if rule.mirrors:
        flow.cite("k8s-routing#G-41")
        flow.details["mirrors"] = [{"backend": mi.backend.label, "percent": mi.percent,
                                    "problem": mi.backend.problem.reason if mi.backend.problem else None}
                                   for mi in rule.mirrors]
    up = Upstream(flow)
    prefix = m.path if m.path_type == "PathPrefix" else None
    if rule.filters:
        flow.cite("k8s-routing#G-34")
    if not up.apply(rule.filters, flow, prefix, rule.where):
        return
    backend = _choose(router, flow, rule)
    if backend is None:
        return
    if backend.filters and not up.apply(backend.filters, flow, prefix, f"{rule.where}.backendRefs[{backend.index}]"):
        return
    _to_service(router, flow, rule, backend, up)


def _choose(router: GatewayRouter, flow: Flow, rule: Rule) -> BackendChoice | None:
    """The backendRef this request goes to (G-32), or None after answering 500 (G-29, G-31)."""
    flow.cite("k8s-routing#G-28", "k8s-routing#G-31")
    gw = flow.gateway
    assert gw is not None
    refs = rule.backends
    total = sum(b.weight for b in refs)
    if total == 0:
        why = "has no backendRefs" if not refs else "gives every backendRef weight 0"
        flow.end(f"{rule.where} {why}: 500", 500, diagnosis=Diagnosis(
            "GATEWAY_RULE_WITHOUT_BACKENDS", "error",
            f"{rule.where} matched the request but {why}, so the Gateway answers 500; lower-precedence rules are not "
            "tried.", "Add a backendRef with a weight above 0 (or a RequestRedirect filter).", "k8s-routing#G-31",
            [rule.route.obj.ref()]))
        return None
    req = flow.request
    key = f"{req.client_ip}|{req.server_name}{req.path}"
    index, roll, total = weighted_pick(router.options.seed, key, [b.weight for b in refs])
    picked = refs[index]
    if len(refs) > 1:
        flow.cite("k8s-routing#G-32")
        flow.trace.split = [{"backend": b.label, "weight": b.weight, "percent": round(100.0 * b.weight / total, 4),
                             **({"invalid": b.problem.reason} if b.problem else {})} for b in refs]
        how = "seeded" if router.options.seed is not None else "hash of the request"
        flow.decision.append(f"weights {'/'.join(str(b.weight) for b in refs)}: random(1..{total}) = {roll} ({how}) -> "
                             f"backendRefs[{index}] {picked.label}")
    if picked.problem is not None:
        flow.cite("k8s-routing#G-29")
        if picked.problem.reason == "RefNotPermitted":
            flow.cite("k8s-routing#G-30")
        share = f" ({round(100.0 * picked.weight / total, 1):g}% of the rule's traffic)" if len(refs) > 1 else ""
        flow.details["resolved_refs"] = picked.problem.to_dict()
        flow.end(f"{rule.where} -> backendRefs[{index}] {picked.label}: {picked.problem.reason}, the Gateway answers 500",
                 500, diagnosis=Diagnosis(
                     "GATEWAY_BACKEND_REF_INVALID", "error",
                     f"{rule.where} backendRefs[{index}]: {picked.problem.message} (route condition ResolvedRefs, "
                     f"reason {picked.problem.reason}); requests sent to it{share} get 500.",
                     _ref_fix(picked), "k8s-routing#G-29", [rule.route.obj.ref(), gw.obj.ref()]))
        return None
    return picked


def _ref_fix(ref: BackendChoice) -> str:
    if ref.problem is not None and ref.problem.reason == "RefNotPermitted":
        return (f"Create a ReferenceGrant in namespace {ref.namespace} allowing HTTPRoutes from the route's namespace "
                f"to reference Service {ref.name}.")
    if ref.problem is not None and ref.problem.reason == "InvalidKind":
        return "Point the backendRef at a Service (group empty, kind Service)."
    return f"Create Service {ref.namespace}/{ref.name} with port {ref.port}, or fix the backendRef."


def _to_service(router: GatewayRouter, flow: Flow, rule: Rule, ref: BackendChoice, up: Upstream) -> None:
    req = flow.request
    res = resolve_backend(router.context.services, ref.namespace, ref.name, ref.port or 0,
                          assume_endpoints=router.options.assume_endpoints, port_match="service-port")
    flow.trace.backend = {"namespace": ref.namespace, "service": ref.name, "port": res.port_number}
    flow.cite("k8s-routing#C-4")
    for d in res.diagnoses:
        flow.trace.add_diagnosis(d)
    app_protocol = str((res.service_port or {}).get("appProtocol") or "")
    if app_protocol in APP_PROTOCOL_FEATURES:
        flow.cite("k8s-routing#G-33")
        flow.features.append((APP_PROTOCOL_FEATURES[app_protocol], f"Service {ref.namespace}/{ref.name} port {ref.port}"))
    ok = res.ok()
    picked = pick_endpoint(res.endpoints, router.options.seed, f"{req.client_ip}|{req.server_name}{req.path}") if ok else None
    upgrade = (req.header("upgrade") or "").lower() == "websocket"
    status = (101 if upgrade else 200) if ok else 503
    uri = up.path + (f"?{req.query}" if req.query else "")
    if ok:
        flow.trace.upstream = {"host": up.host, "path": uri, "headers": {"Host": up.host, **up.headers}}
    if up.changes:
        flow.details["changes"] = list(up.changes)
    answer = None
    profiles = router.context.profiles
    if profiles is not None and picked is not None and flow.trace.upstream is not None:
        answer = profiles.answer_for(res, picked, req.method, uri, flow.trace.upstream["headers"], upstream_tls=False)
        if answer is not None:
            if answer.refused:
                status = 502  # the proxy's own answer to a refused connection (dataplane#R25)
            else:
                merge_headers(flow.trace.response_headers, answer.headers)
                flow.trace.page = answer.page()
                status = answer.status or 200
    if ok and (answer is None or not answer.refused):
        for conf in up.response:
            changed = modify_headers(flow.trace.response_headers, conf, lower=True)
            flow.details.setdefault("response_changes", []).extend(changed)
    if picked is not None and res.kind != "external-name":
        flow.trace.pod = {"namespace": ref.namespace, "name": picked.pod_name, "ip": picked.ip or None, "port": picked.port}
    if res.kind == "external-name" and res.external_name:
        flow.trace.add_diagnosis(Diagnosis(
            "EXTERNAL_NAME_BACKEND", "info",
            f"Service {ref.namespace}/{ref.name} is ExternalName ({res.external_name}); Gateway API implementations "
            "SHOULD NOT support such backends, and those that do send the client's Host.",
            "Point the backendRef at an in-cluster Service.", "dataplane#R6"))
    summary = f"listener {flow.listener.name if flow.listener else ''} -> {rule.where} -> Service {ref.label}"
    if not ok:
        summary += f": {_failure(res)}, the Gateway answers 503"
    flow.end(summary, status, outcome="forward")
    hops = backend_hops(res, picked, via="direct", status=status)
    if hops and hops[0].component == "service":
        hops[0].details["via"] = ("the Gateway's proxy reads the Service's endpoints and connects to a pod directly "
                                  "(Envoy-based implementations get them from EndpointSlices)")
    if not ok and hops:
        hops[-1].summary += f"; the Gateway answers {status} itself"
    if answer is not None and hops and hops[-1].component == "pod":
        profile_pod_hop(hops[-1], answer)
    flow.after = hops


def _failure(res: BackendResolution) -> str:
    if res.service is None:
        return "the Service does not exist"
    if res.service_port is None and res.kind != "external-name":
        return f"the Service has no port {res.requested_port}"
    return "no ready endpoints"
