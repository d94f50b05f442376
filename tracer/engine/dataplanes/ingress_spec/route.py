"""Routing one request through the compiled portable Ingress table (docs/rules/k8s-routing.md I-9..I-24):
host and path choice, near misses, the defaultBackend or 404, and the hops to the Service.

:class:`SpecRouter` is the routing half of the table; ``IngressSpecTable`` (table.py) fills the
state it reads when it compiles a snapshot.
"""

from __future__ import annotations

from typing import Any

from ...context import EngineContext
from ...options import Options
from ...profiles import Answer, merge_headers, profile_pod_hop
from ...request import Request, combined_headers
from ...result import Diagnosis, Hop, RequestTrace
from ...services import BackendResolution, backend_hops, pick_endpoint, resolve_backend
from ...snapshot import K8sObject, Snapshot
from ..base import RouteTable
from .index import Backend, HostBucket, HostIndex, PathEntry, Unserved
from .paths import prefix_key
from .tls import TlsIndex

MAX_NEAR_MISSES = 12
MAX_PATHS_EXAMINED = 200  # near-miss reporting only; matching itself never scans
HOST_CLASS_RULES = {"precise": "k8s-routing#I-10", "wildcard": "k8s-routing#I-11", "any": "k8s-routing#I-12"}


class SpecRouter(RouteTable):
    """Routes requests through the indexes a compiled ``IngressSpecTable`` holds."""

    snapshot: Snapshot
    options: Options
    context: EngineContext
    index: HostIndex
    unserved_index: dict[str | None, list[Unserved]]
    tls: TlsIndex
    default_backends: list[tuple[K8sObject, Backend]]
    notes: dict[tuple[str | None, str], str]
    _sample: list[str] | None

    def route(self, request: Request) -> RequestTrace:
        trace = RequestTrace(request=request.to_dict(), controller=self.family)
        host = request.server_name  # port stripped before matching (U-5)
        path = request.path
        near: list[str] = []
        rules_cited = ["k8s-routing#I-9"]
        tls_info = self.tls.check(request, host, self.snapshot, trace, rules_cited)
        buckets = self.index.lookup(host)
        chosen: PathEntry | None = None
        bucket: HostBucket | None = buckets[0] if buckets else None
        if bucket is not None:
            rules_cited.append(HOST_CLASS_RULES[bucket.host_class])
            if len(buckets) > 1:
                rules_cited.append("k8s-routing#I-13")
                for other in buckets[1:]:
                    near.append(
                        f"rules for host {other.label} also cover {host}, but {bucket.label} is more specific; "
                        "no fall-through to less specific hosts (I-13; U-1 controller-specific)"
                    )
            candidates = bucket.candidates(path)
            rules_cited += ["k8s-routing#I-14", "k8s-routing#I-15", "k8s-routing#I-17"]
            if candidates:
                chosen = candidates[0]
                for loser in candidates[1:4]:
                    near.append(f"{_where(loser)} {loser.label} also matched, but {self._why_lost(chosen, loser)}")
            near += self._path_near_misses(bucket, path, {id(c) for c in candidates})
            for ing, i in bucket.no_http[:3]:
                near.append(
                    f"Ingress {ing.namespace}/{ing.name} rules[{i}] has host {bucket.label} but no http block; "
                    "its effect is controller-specific (I-21)"
                )
        else:
            near += self._host_near_misses(host)
        for rec in (self.unserved_index.get(host) or [])[:3] + (self.unserved_index.get(None) or [])[:2]:
            near.append(f"Ingress {rec.ingress.namespace}/{rec.ingress.name} would apply but is ignored: {rec.reason}")
            trace.add_diagnosis(rec.diagnosis)
        if chosen is not None:
            self._route_to(trace, request, chosen, bucket, near, rules_cited, tls_info)
        else:
            self._no_match(trace, request, bucket, near, rules_cited, tls_info)
        return trace


    def _why_lost(self, winner: PathEntry, loser: PathEntry) -> str:
        if len(winner.path) != len(loser.path):
            return f"{winner.path} is longer (longest path wins, I-17)"
        if winner.effective_type == "Exact" and loser.effective_type != "Exact":
            return "Exact beats Prefix at equal length (I-17)"
        return (
            f"{_where(winner)} is older or sorts first; which of several Ingresses wins an identical path is "
            "controller-specific (U-2)"
        )

    def _path_near_misses(self, bucket: HostBucket, path: str, matched: set[int]) -> list[str]:
        out = []
        for entry in bucket.entries[:MAX_PATHS_EXAMINED]:
            if id(entry) in matched:
                continue
            why = _path_mismatch_reason(entry, path)
            out.append(f"Host matched, path {path} did not match {entry.label} in {_where(entry)}: {why}")
            if len(out) >= MAX_NEAR_MISSES:
                break
        return out

    def _host_near_misses(self, host: str) -> list[str]:
        out = []
        labels = host.split(".")
        # Wildcards higher up cover exactly one label (I-11).
        for k in range(2, len(labels)):
            parent = ".".join(labels[k:])
            b = self.index.wildcard.get(parent)
            if b is not None:
                out.append(f"{b.label} covers exactly one label; {host} has {k} labels before {parent} (I-11)")
        b = self.index.wildcard.get(host)
        if b is not None:
            out.append(f"{b.label} does not match the apex {host} (I-11)")
        alt = host[4:] if host.startswith("www.") else "www." + host
        if alt in self.index.exact:
            out.append(f"host {alt} has rules, but the request is for {host} (I-10: hosts must be equal)")
        if not out and self._host_sample():
            out.append(f"no rule has host {host} (hosts configured include {', '.join(self._host_sample())})")
        return out[:MAX_NEAR_MISSES]

    def _host_sample(self) -> list[str]:
        """A few configured hosts for 'no rule has host' messages, computed once (sorting 10k hosts per
        request would dominate the cost of a 404)."""
        if self._sample is None:
            self._sample = sorted(self.index.exact)[:3] + sorted(b.label for b in self.index.wildcard.values())[:2]
        return self._sample

    def _controller_hop(
        self,
        summary: str,
        *,
        outcome: str,
        status: int | None,
        objects: list[dict[str, Any]],
        decision: str,
        near: list[str],
        rules_cited: list[str],
        details: dict[str, Any],
    ) -> Hop:
        return Hop(
            "controller",
            "ingress-spec",
            summary,
            outcome=outcome,
            status=status,
            objects=objects,
            decision=decision,
            near_misses=near[:MAX_NEAR_MISSES],
            details=details,
            rules=list(dict.fromkeys(rules_cited)),
        )

    def _route_to(
        self,
        trace: RequestTrace,
        request: Request,
        entry: PathEntry,
        bucket: HostBucket | None,
        near: list[str],
        rules_cited: list[str],
        tls_info: dict[str, Any] | None,
    ) -> None:
        ing = entry.ingress
        trace.route = {"kind": "Ingress", "namespace": ing.namespace, "name": ing.name, "rule": entry.rule_ref}
        host_desc = f"host {bucket.label}" if bucket is not None and bucket.host_class != "any" else "any host"
        decision = (
            f"{host_desc} ({bucket.host_class if bucket else 'any'}), {entry.label} is the best matching path "
            f"for {request.path}; class: {self.notes.get((ing.namespace, ing.name), '')}"
        )
        details: dict[str, Any] = {"host_class": bucket.host_class if bucket else "any", "path_type": entry.path_type}
        if tls_info is not None:
            details["tls"] = tls_info
        if entry.path_type == "ImplementationSpecific":
            rules_cited.append("k8s-routing#I-16")
            details["warning"] = (
                "pathType ImplementationSpecific is treated as Prefix here; its real meaning depends on the "
                "IngressClass (I-16, U-3)"
            )
            decision += "; ImplementationSpecific treated as Prefix"
        self._to_backend(trace, request, ing, entry.backend, entry.rule_ref, decision, near, rules_cited, details)

    def _no_match(
        self,
        trace: RequestTrace,
        request: Request,
        bucket: HostBucket | None,
        near: list[str],
        rules_cited: list[str],
        tls_info: dict[str, Any] | None,
    ) -> None:
        host = request.server_name
        why = (
            f"no path of host {bucket.label} matches {request.path}"
            if bucket is not None
            else f"no rule matches host {host}"
        )
        details: dict[str, Any] = {}
        if tls_info is not None:
            details["tls"] = tls_info
        if self.default_backends:
            ing, backend = self.default_backends[0]
            rules_cited.append("k8s-routing#I-18")
            if len(self.default_backends) > 1:
                rules_cited.append("k8s-routing#I-20")
                others = ", ".join(f"{i.namespace}/{i.name}" for i, _ in self.default_backends[1:4])
                near.append(
                    f"Ingress(es) {others} also define a defaultBackend; which one applies is controller-specific "
                    f"(I-20); the oldest, {ing.namespace}/{ing.name}, is used"
                )
            trace.route = {"kind": "Ingress", "namespace": ing.namespace, "name": ing.name, "rule": "defaultBackend"}
            decision = f"{why}; using spec.defaultBackend of Ingress {ing.namespace}/{ing.name}"
            self._to_backend(trace, request, ing, backend, "defaultBackend", decision, near, rules_cited, details)
            return
        rules_cited.append("k8s-routing#I-19")
        trace.status = 404
        trace.add_diagnosis(
            Diagnosis(
                "NO_INGRESS_RULE_MATCHES",
                "error",
                f"No served Ingress routes {host}{request.path}: {why}, and no Ingress has a defaultBackend, "
                "so the controller answers 404." + (f" Nearest: {near[0]}." if near else ""),
                f"Add a rule with host {host} and a path covering {request.path} "
                "(pathType Prefix matches whole path elements), or set spec.defaultBackend.",
                "k8s-routing#I-19",
            )
        )
        trace.hops.append(
            self._controller_hop(
                f"no Ingress rule matches {host}{request.path}: 404",
                outcome="respond",
                status=404,
                objects=[],
                decision=f"{why}; no defaultBackend, so 404 (I-19)",
                near=near,
                rules_cited=rules_cited,
                details=details,
            )
        )

    def _to_backend(
        self,
        trace: RequestTrace,
        request: Request,
        ing: K8sObject,
        backend: Backend,
        rule_ref: str,
        decision: str,
        near: list[str],
        rules_cited: list[str],
        details: dict[str, Any],
    ) -> None:
        ns = ing.namespace or "default"
        where = f"Ingress {ns}/{ing.name} {rule_ref}"
        objects = [ing.ref()]
        if backend.service is None:
            # Resource backends: the portable spec only reports the reference (I-23). The only controller
            # documented here answers 404 for a non-Service backend (ingress-nginx#6.4); use that.
            rules_cited.append("k8s-routing#I-23")
            r = backend.resource or {}
            target = self.snapshot.get(str(r.get("kind") or ""), ns, str(r.get("name") or ""))
            if target is not None:
                objects.append(target.ref())
            trace.status = 404
            trace.add_diagnosis(
                Diagnosis(
                    "RESOURCE_BACKEND",
                    "warning",
                    f"{where} routes to {backend.describe()}"
                    + ("" if target is not None else " (not in the snapshot)")
                    + ", not a Service; what happens is controller-specific. Simulated as 404 (the answer "
                    "ingress-nginx gives for non-Service backends).",
                    "Use a Service backend unless your controller documents support for this resource kind.",
                    "k8s-routing#I-23",
                    [ing.ref()],
                )
            )
            trace.hops.append(
                self._controller_hop(
                    f"{where} -> {backend.describe()}: no Service to forward to, 404 (controller-specific)",
                    outcome="respond",
                    status=404,
                    objects=objects,
                    decision=decision,
                    near=near,
                    rules_cited=rules_cited,
                    details=details,
                )
            )
            return
        rules_cited.append("k8s-routing#I-22")
        res = resolve_backend(
            self.context.services,
            ns,
            backend.service,
            backend.port if backend.port is not None else 0,
            assume_endpoints=self.options.assume_endpoints,
            port_match="service-port",
        )
        trace.backend = {"namespace": ns, "service": backend.service, "port": res.port_number}
        for d in res.diagnoses:
            trace.add_diagnosis(d)
        picked = None
        ok = res.ok()
        if ok:
            picked = pick_endpoint(
                res.endpoints, self.options.seed, f"{request.client_ip}|{request.server_name}{request.path}"
            )
        status = 200 if ok else 503
        if ok:
            trace.upstream = {
                "host": request.host_header,  # no portable header or path rewriting (I-24)
                "path": request.request_uri,
                "headers": {
                    "Host": request.host_header,
                    **{k: v for k, v in combined_headers(request.headers).items() if k.lower() != "host"},
                },
            }
            rules_cited.append("k8s-routing#I-24")
        answer = None
        profiles = self.context.profiles
        if profiles is not None and picked is not None and trace.upstream is not None:
            answer = profiles.answer_for(res, picked, request.method, request.request_uri, trace.upstream["headers"],
                                         upstream_tls=False)  # the portable spec has no backend TLS setting
            if answer is not None:
                status = _app_status(trace, answer)
        trace.status = status
        if picked is not None and res.kind != "external-name":
            trace.pod = {"namespace": ns, "name": picked.pod_name, "ip": picked.ip or None, "port": picked.port}
        if res.kind == "external-name" and res.external_name:
            trace.add_diagnosis(
                Diagnosis(
                    "EXTERNAL_NAME_BACKEND",
                    "info",
                    f"Service {ns}/{backend.service} is ExternalName ({res.external_name}); the request keeps the "
                    f"client's Host {request.host_header}, which the external server may answer with 404/421 or "
                    "a certificate error.",
                    "Make sure the external server accepts this Host, or point the route at an in-cluster Service.",
                    "dataplane#R6",
                )
            )
        summary = f"{where} -> Service {backend.service}:{backend.port}"
        if not ok:
            summary += f": {_failure(res)}, the controller answers 503"
        trace.hops.append(
            self._controller_hop(
                summary,
                outcome="forward",
                status=status,
                objects=objects,
                decision=decision,
                near=near,
                rules_cited=rules_cited,
                details=details,
            )
        )
        hops = backend_hops(res, picked, via="direct", status=status)
        if hops and hops[0].component == "service":
            hops[0].details["via"] = (
                "the portable spec does not say whether the controller connects to pods or to the Service VIP; "
                "most controllers read endpoints and connect to pods directly (controller-specific)"
            )
        if not ok and hops:
            hops[-1].summary += f"; the controller answers {status} itself"
        if answer is not None and hops and hops[-1].component == "pod":
            profile_pod_hop(hops[-1], answer)
        trace.hops.extend(hops)


def _app_status(trace: RequestTrace, answer: Answer) -> int:
    """The app's status and headers; a refused connection is the controller's 502 (dataplane#R25, the answer
    of most controllers; the portable spec does not say)."""
    if answer.refused:
        return 502
    merge_headers(trace.response_headers, answer.headers)
    trace.page = answer.page()
    return answer.status or 200


def _where(entry: PathEntry) -> str:
    return f"Ingress {entry.ingress.namespace}/{entry.ingress.name} {entry.rule_ref}"


def _path_mismatch_reason(entry: PathEntry, path: str) -> str:
    rule = entry.path
    if entry.effective_type == "Exact":
        if rule.rstrip("/") == path.rstrip("/"):
            return "Exact compares the whole string, trailing slash included (I-14)"
        if rule.lower() == path.lower():
            return "paths are case-sensitive (C-3)"
        return "Exact needs the same path (I-14)"
    key = prefix_key(rule)
    if path.startswith(key):
        return f"Prefix matches whole path elements only: {path} does not continue {key} with / (I-15)"
    if path.lower().startswith(key.lower()):
        return "paths are case-sensitive (C-3)"
    return "not a prefix of the request path (I-15)"


def _failure(res: BackendResolution) -> str:
    if res.service is None:
        return "Service does not exist"
    if res.service_port is None and res.kind != "external-name":
        return f"Service has no port {res.requested_port!r}"
    if res.kind == "external-name":
        return "ExternalName Service without externalName"
    return "no ready endpoints"

