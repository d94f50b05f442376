"""The portable Ingress v1 semantics (docs/k8s-routing-spec.md section 2, rules I-1..I-27).

Only what the API text, docs and conformance features define is modelled; where they leave a
choice to the controller (U-1..U-6) the choice made here is named in the hop so users can tell a
portable outcome from an assumption. Compile builds host-keyed indexes (exact hosts, wildcard
parents, host-less) with per-host path dictionaries, so a request costs a few dict look-ups
however many Ingresses the snapshot holds.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ..options import Options
from ..request import Request
from ..result import Diagnosis, Hop, RequestTrace
from ..services import BackendResolution, backend_hops, pick_endpoint, resolve_backend
from ..snapshot import K8sObject, Snapshot
from .base import DataPlane, RouteTable

DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
PATH_TYPES = ("Exact", "Prefix", "ImplementationSpecific")
MAX_NEAR_MISSES = 12
MAX_PATHS_EXAMINED = 200  # near-miss reporting only; matching itself never scans


def spec_rule(rule_id: str) -> str:
    """Hop/diagnosis rule reference for docs/k8s-routing-spec.md (e.g. ``k8s-routing#I-15``)."""
    return f"k8s-routing#{rule_id}"


# --- path semantics (pure functions, also used by the property tests) ----------------------------


def prefix_key(path: str) -> str:
    """The Prefix path with a trailing ``/`` ignored; ``/`` stays ``/`` (I-15)."""
    stripped = path.rstrip("/")
    return stripped or "/"


def prefix_matches(rule_path: str, request_path: str) -> bool:
    """Element-wise prefix match (I-15): ``/foo`` matches ``/foo`` and ``/foo/bar``, not ``/foobar``."""
    p = prefix_key(rule_path)
    return p == "/" or request_path == p or request_path.startswith(p + "/")


def exact_matches(rule_path: str, request_path: str) -> bool:
    """Exact match, case-sensitive, trailing slash significant (I-14)."""
    return rule_path == request_path


def request_prefix_keys(request_path: str) -> list[str]:
    """Every prefix_key that matches ``request_path`` element-wise: ``/``, ``/a``, ``/a/b``..."""
    keys = ["/"]
    for i in range(1, len(request_path)):
        if request_path[i] == "/" and request_path[i - 1] != "/":
            keys.append(request_path[:i])
    if len(request_path) > 1 and not request_path.endswith("/"):
        keys.append(request_path)
    return keys


def path_priority(path: str, path_type: str) -> tuple[int, int]:
    """Sort key (smaller wins): longest path as written, then Exact before Prefix (I-17)."""
    return (-len(path), 0 if path_type == "Exact" else 1)


def host_matches(rule_host: str | None, host: str) -> bool:
    """Ingress host semantics: exact, or ``*.foo.com`` covering exactly one extra label (I-10..I-12)."""
    if not rule_host:
        return True
    if rule_host.startswith("*."):
        head, dot, parent = host.partition(".")
        return bool(head) and bool(dot) and parent == rule_host[2:]
    return rule_host == host


def _invalid_path(path: str) -> str | None:
    """I-6 validation for Exact and Prefix paths."""
    if not path.startswith("/"):
        return "must start with /"
    for bad in ("//", "/./", "/../", "%2f", "%2F"):
        if bad in path:
            return f"must not contain {bad}"
    if path.endswith("/..") or path.endswith("/."):
        return "must not end in /.. or /."
    return None


def _invalid_host(host: str) -> str | None:
    """I-7: a DNS name, not an IP; a wildcard only as the whole first label."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return "must be a DNS name, not an IP address"
    if host == "*":
        return "* alone is not allowed"
    if "*" in host and (not host.startswith("*.") or "*" in host[2:]):
        return "a wildcard is allowed only as the whole first label (*.example.com)"
    return None


# --- compiled structures -------------------------------------------------------------------------


@dataclass(slots=True)
class _Backend:
    service: str | None = None
    port: int | str | None = None
    resource: dict[str, Any] | None = None

    def describe(self) -> str:
        if self.service is not None:
            return f"Service {self.service}:{self.port}"
        r = self.resource or {}
        group = f"{r.get('apiGroup')}/" if r.get("apiGroup") else ""
        return f"resource {group}{r.get('kind')} {r.get('name')}"


@dataclass(slots=True)
class _PathEntry:
    ingress: K8sObject
    rule_index: int
    path_index: int
    host: str | None
    path: str
    path_type: str
    backend: _Backend
    order: tuple[str, str, str, int, int]

    @property
    def rule_ref(self) -> str:
        return f"rules[{self.rule_index}].http.paths[{self.path_index}]"

    @property
    def effective_type(self) -> str:
        return "Exact" if self.path_type == "Exact" else "Prefix"

    def sort_key(self) -> tuple[tuple[int, int], tuple[str, str, str, int, int]]:
        return (path_priority(self.path, self.effective_type), self.order)

    @property
    def label(self) -> str:
        return f"{self.path_type} {self.path}"


@dataclass(slots=True)
class _HostBucket:
    label: str  # "shop.example.com", "*.example.com" or "*" (host-less)
    host_class: str  # precise | wildcard | any
    exact: dict[str, list[_PathEntry]] = field(default_factory=dict)
    prefix: dict[str, list[_PathEntry]] = field(default_factory=dict)
    entries: list[_PathEntry] = field(default_factory=list)
    no_http: list[tuple[K8sObject, int]] = field(default_factory=list)  # I-21

    def add(self, entry: _PathEntry) -> None:
        self.entries.append(entry)
        if entry.effective_type == "Exact":
            self.exact.setdefault(entry.path, []).append(entry)
        else:
            self.prefix.setdefault(prefix_key(entry.path), []).append(entry)

    def candidates(self, path: str) -> list[_PathEntry]:
        found = list(self.exact.get(path, ()))
        for key in request_prefix_keys(path):
            found.extend(self.prefix.get(key, ()))
        found.sort(key=_PathEntry.sort_key)
        return found


@dataclass(slots=True)
class _Unserved:
    ingress: K8sObject
    reason: str
    diagnosis: Diagnosis


@dataclass(slots=True)
class _HostIndex:
    exact: dict[str, _HostBucket] = field(default_factory=dict)
    wildcard: dict[str, _HostBucket] = field(default_factory=dict)  # keyed by parent domain
    hostless: _HostBucket | None = None

    def bucket(self, host: str | None) -> _HostBucket:
        if not host:
            if self.hostless is None:
                self.hostless = _HostBucket("*", "any")
            return self.hostless
        if host.startswith("*."):
            parent = host[2:]
            if parent not in self.wildcard:
                self.wildcard[parent] = _HostBucket(host, "wildcard")
            return self.wildcard[parent]
        if host not in self.exact:
            self.exact[host] = _HostBucket(host, "precise")
        return self.exact[host]

    def lookup(self, host: str) -> list[_HostBucket]:
        """Matching buckets, most specific class first (I-13)."""
        out = []
        b = self.exact.get(host)
        if b is not None:
            out.append(b)
        head, dot, parent = host.partition(".")
        if head and dot:
            w = self.wildcard.get(parent)
            if w is not None:
                out.append(w)
        if self.hostless is not None:
            out.append(self.hostless)
        return out


@dataclass(slots=True)
class _TlsEntry:
    ingress: K8sObject
    index: int
    secret: str | None
    hosts: list[str]


# --- the data plane ------------------------------------------------------------------------------


class IngressSpec(DataPlane):
    family = "ingress-spec"
    title = "Ingress v1 (portable semantics)"

    def compile(self, snapshot: Snapshot, options: Options) -> IngressSpecTable:
        return IngressSpecTable(snapshot, options)


class IngressSpecTable(RouteTable):
    family = "ingress-spec"

    def __init__(self, snapshot: Snapshot, options: Options) -> None:
        self.snapshot = snapshot
        self.options = options
        self.index = _HostIndex()
        self.unserved_index: dict[str | None, list[_Unserved]] = {}  # host (None = host-less) -> ingresses
        self.unserved: list[_Unserved] = []
        self.tls_exact: dict[str, list[_TlsEntry]] = {}
        self.tls_wildcard: dict[str, list[_TlsEntry]] = {}
        self.default_backends: list[tuple[K8sObject, _Backend]] = []
        self.served: list[K8sObject] = []
        self._sample: list[str] | None = None
        self.notes: dict[tuple[str | None, str], str] = {}  # ingress key -> class note (assumed class...)
        self.classes = snapshot.of_kind("IngressClass")
        self.claimed = self._claimed_classes()
        self.default_class = self._default_class()
        for ing in sorted(snapshot.of_kind("Ingress"), key=_age_key):
            self._add_ingress(ing)

    # -- compile ---------------------------------------------------------------------------------

    def _claimed_classes(self) -> list[K8sObject]:
        wanted = self.options.controller_class
        if wanted is None:
            return list(self.classes)  # the portable model stands in for whatever controller owns them
        return [c for c in self.classes if str(c.spec.get("controller") or "") == wanted]

    def _default_class(self) -> K8sObject | None:
        """I-3: with several defaults the newest wins, ties broken by name ascending."""
        defaults = sorted(
            (c for c in self.classes if c.annotations.get(DEFAULT_CLASS_ANNOTATION, "").lower() == "true"),
            key=lambda c: c.name,
        )
        if not defaults:
            return None
        return max(defaults, key=lambda c: c.creation_timestamp)

    def _class_decision(self, ing: K8sObject) -> tuple[bool, str]:
        """Whether this controller serves ``ing`` (I-1..I-4), and why."""
        field_cls = ing.spec.get("ingressClassName")
        ann_cls = ing.annotations.get(LEGACY_CLASS_ANNOTATION)
        if field_cls and ann_cls is not None:
            return False, (
                f"sets both spec.ingressClassName and the {LEGACY_CLASS_ANNOTATION} annotation; "
                "the API server rejects it (I-2)"
            )
        name = str(field_cls or ann_cls or "")
        how = "spec.ingressClassName" if field_cls else (f"annotation {LEGACY_CLASS_ANNOTATION}" if ann_cls else "")
        if not name:
            if self.default_class is not None:
                name = self.default_class.name
                how = "the default IngressClass (admission defaulting, I-3)"
            elif not self.classes:
                return True, "no class and no IngressClass in the snapshot: class-less Ingress accepted (I-4)"
            else:
                return False, "names no class and no IngressClass is marked default (I-4)"
        claimed = {c.name for c in self.claimed}
        if not self.classes:
            return True, f"class {name!r} via {how}; IngressClass {name} is not in the snapshot, assumed served"
        if name in claimed:
            return True, f"class {name!r} via {how} (I-1)"
        cls = next((c for c in self.classes if c.name == name), None)
        if cls is None:
            return False, f"class {name!r} via {how} does not exist (I-1)"
        return False, (
            f"class {name!r} belongs to controller {cls.spec.get('controller')!r}, not "
            f"{self.options.controller_class!r} (I-1)"
        )

    def _validate(self, ing: K8sObject) -> tuple[list[tuple[int, str | None, list[Any] | None]], str | None]:
        """Rules as (index, host, paths or None), or the first I-5..I-8 validation error."""
        spec = ing.spec
        rules = spec.get("rules") or []
        if not rules and not (spec.get("defaultBackend") or spec.get("backend")):
            return [], "has neither spec.rules nor spec.defaultBackend (I-5)"
        out = []
        for i, rule in enumerate(rules):
            if not isinstance(rule, dict):
                return [], f"rules[{i}] is not a mapping"
            host = str(rule.get("host") or "").lower() or None
            if host:
                bad = _invalid_host(host)
                if bad:
                    return [], f"rules[{i}].host {host!r} {bad} (I-7)"
            http = rule.get("http")
            paths = None if not isinstance(http, dict) else list(http.get("paths") or [])
            out.append((i, host, paths))
        return out, None

    def _legacy(self, ing: K8sObject) -> bool:
        return ing.api_version in ("extensions/v1beta1", "networking.k8s.io/v1beta1")

    def _backend(self, raw: Any, ing: K8sObject) -> tuple[_Backend | None, str | None]:
        if not isinstance(raw, dict):
            return None, "backend is missing"
        if self._legacy(ing) and raw.get("serviceName"):
            port = raw.get("servicePort")
            return _Backend(service=str(raw["serviceName"]), port=port if isinstance(port, int) else str(port)), None
        svc, res = raw.get("service"), raw.get("resource")
        if bool(svc) == bool(res):
            return None, "a backend must be exactly one of service or resource (I-8)"
        if res:
            return _Backend(resource=dict(res)), None
        port = svc.get("port") or {}
        number, name = port.get("number"), port.get("name")
        if (number is None) == (name is None):
            return None, f"service {svc.get('name')!r} port needs exactly one of number or name (I-8)"
        return _Backend(service=str(svc.get("name") or ""), port=int(number) if number is not None else str(name)), None

    def _add_ingress(self, ing: K8sObject) -> None:
        rules, error = self._validate(ing)
        entries: list[_PathEntry] = []
        order = (ing.creation_timestamp or "~", ing.namespace or "", ing.name)
        no_http: list[tuple[str | None, int]] = []
        for i, host, paths in rules:
            if error:
                break
            if paths is None:
                no_http.append((host, i))
                continue
            for j, p in enumerate(paths):
                if not isinstance(p, dict):
                    error = f"rules[{i}].http.paths[{j}] is not a mapping"
                    break
                path_type = p.get("pathType") or ("ImplementationSpecific" if self._legacy(ing) else None)
                path = str(p.get("path") or "")
                if path_type not in PATH_TYPES:
                    error = (
                        f"rules[{i}].http.paths[{j}].pathType {path_type!r} is not one of {', '.join(PATH_TYPES)} (I-6)"
                    )
                    break
                if path_type != "ImplementationSpecific":
                    bad = _invalid_path(path)
                    if bad:
                        error = f"rules[{i}].http.paths[{j}].path {path!r} {bad} (I-6)"
                        break
                elif path and not path.startswith("/"):
                    error = f"rules[{i}].http.paths[{j}].path {path!r} must start with / (I-6)"
                    break
                backend, berr = self._backend(p.get("backend"), ing)
                if backend is None:
                    error = f"rules[{i}].http.paths[{j}]: {berr}"
                    break
                entries.append(_PathEntry(ing, i, j, host, path or "/", path_type, backend, (*order, i, j)))
        default = None
        raw_default = ing.spec.get("defaultBackend") or ing.spec.get("backend")
        if raw_default and not error:
            default, derr = self._backend(raw_default, ing)
            if default is None:
                error = f"defaultBackend: {derr}"
        served, reason = (False, f"is invalid: {error}") if error else self._class_decision(ing)
        if not served:
            diag = Diagnosis(
                "INGRESS_NOT_SERVED",
                "error" if error else "warning",
                f"Ingress {ing.namespace}/{ing.name} {reason}; this controller ignores it.",
                "Fix the validation error." if error else "Set spec.ingressClassName to a class this controller owns.",
                spec_rule(_cited(reason)),
                [ing.ref()],
            )
            rec = _Unserved(ing, reason, diag)
            self.unserved.append(rec)
            hosts = {
                str(r.get("host") or "").lower() or None for r in ing.spec.get("rules") or [] if isinstance(r, dict)
            } or {None}
            for h in hosts:
                self.unserved_index.setdefault(h, []).append(rec)
            return
        self.served.append(ing)
        self.notes[(ing.namespace, ing.name)] = reason
        for entry in entries:
            self.index.bucket(entry.host).add(entry)
        for host, i in no_http:
            self.index.bucket(host).no_http.append((ing, i))
        if default is not None:
            self.default_backends.append((ing, default))
        for t, tls in enumerate(ing.spec.get("tls") or []):
            if not isinstance(tls, dict):
                continue
            hosts = [str(h).lower() for h in tls.get("hosts") or []]
            te = _TlsEntry(ing, t, str(tls["secretName"]) if tls.get("secretName") else None, hosts)
            for h in hosts:
                if h.startswith("*."):
                    self.tls_wildcard.setdefault(h[2:], []).append(te)
                else:
                    self.tls_exact.setdefault(h, []).append(te)

    # -- RouteTable API --------------------------------------------------------------------------

    def controller_objects(self) -> list[K8sObject]:
        return list(self.claimed)

    def describe(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "served_ingresses": len(self.served),
            "ignored_ingresses": [
                {"namespace": u.ingress.namespace, "name": u.ingress.name, "reason": u.reason} for u in self.unserved
            ],
            "hosts": len(self.index.exact) + len(self.index.wildcard) + (1 if self.index.hostless else 0),
            "default_class": self.default_class.name if self.default_class else None,
            "default_backend": (
                f"{self.default_backends[0][0].namespace}/{self.default_backends[0][0].name}"
                if self.default_backends
                else None
            ),
        }

    def route(self, request: Request) -> RequestTrace:
        trace = RequestTrace(request=request.to_dict(), controller=self.family)
        host = request.server_name  # port stripped before matching (U-5)
        path = request.path
        near: list[str] = []
        rules_cited = [spec_rule("I-9")]
        tls_info = self._tls(request, host, trace, rules_cited)
        buckets = self.index.lookup(host)
        chosen: _PathEntry | None = None
        bucket: _HostBucket | None = buckets[0] if buckets else None
        if bucket is not None:
            rules_cited.append(spec_rule({"precise": "I-10", "wildcard": "I-11", "any": "I-12"}[bucket.host_class]))
            if len(buckets) > 1:
                rules_cited.append(spec_rule("I-13"))
                for other in buckets[1:]:
                    near.append(
                        f"rules for host {other.label} also cover {host}, but {bucket.label} is more specific; "
                        "no fall-through to less specific hosts (I-13; U-1 controller-specific)"
                    )
            candidates = bucket.candidates(path)
            rules_cited += [spec_rule("I-14"), spec_rule("I-15"), spec_rule("I-17")]
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

    # -- routing helpers -------------------------------------------------------------------------

    def _why_lost(self, winner: _PathEntry, loser: _PathEntry) -> str:
        if len(winner.path) != len(loser.path):
            return f"{winner.path} is longer (longest path wins, I-17)"
        if winner.effective_type == "Exact" and loser.effective_type != "Exact":
            return "Exact beats Prefix at equal length (I-17)"
        return (
            f"{_where(winner)} is older or sorts first; which of several Ingresses wins an identical path is "
            "controller-specific (U-2)"
        )

    def _path_near_misses(self, bucket: _HostBucket, path: str, matched: set[int]) -> list[str]:
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

    def _tls(self, request: Request, host: str, trace: RequestTrace, rules_cited: list[str]) -> dict[str, Any] | None:
        if request.scheme != "https":
            if host in self.tls_exact or host.partition(".")[2] in self.tls_wildcard:
                trace.add_diagnosis(
                    Diagnosis(
                        "PLAIN_HTTP_TO_TLS_HOST",
                        "info",
                        f"{host} has TLS configured but the request is plain HTTP; whether the controller "
                        "redirects to HTTPS is controller-specific (U-6, I-27).",
                        "Send the request over https, or check the controller's redirect setting.",
                        spec_rule("I-27"),
                    )
                )
            return None
        sni = (request.tls_server_name or host).lower()
        rules_cited += [spec_rule("I-25"), spec_rule("I-26")]
        entries = self.tls_exact.get(sni) or self.tls_wildcard.get(sni.partition(".")[2]) or []
        info: dict[str, Any] = {"sni": sni, "terminated": "at the controller; plain HTTP to the Service (I-25)"}
        if sni != host:
            info["note"] = "SNI and Host differ: SNI picks the certificate, Host picks the route (I-26)"
        if not entries:
            info["certificate"] = None
            trace.add_diagnosis(
                Diagnosis(
                    "TLS_HOST_NOT_COVERED",
                    "warning",
                    f"No spec.tls entry of a served Ingress lists {sni}; the controller presents its default "
                    "certificate, which browsers usually reject.",
                    f"Add {sni} to spec.tls[].hosts with a Secret holding a certificate for it.",
                    spec_rule("I-27"),
                )
            )
            return info
        te = entries[0]
        info.update(
            {
                "certificate": {"ingress": f"{te.ingress.namespace}/{te.ingress.name}", "tls": f"tls[{te.index}]"},
                "secret": te.secret,
                "hosts": te.hosts,
            }
        )
        secret = self.snapshot.get("Secret", te.ingress.namespace, te.secret) if te.secret else None
        if te.secret is None:
            trace.add_diagnosis(
                Diagnosis(
                    "TLS_SECRET_MISSING",
                    "warning",
                    f"Ingress {te.ingress.namespace}/{te.ingress.name} tls[{te.index}] has no secretName; the "
                    "controller serves its default certificate for " + sni + ".",
                    "Set secretName to a kubernetes.io/tls Secret in the Ingress's namespace.",
                    spec_rule("I-25"),
                    [te.ingress.ref()],
                )
            )
        elif secret is None:
            trace.add_diagnosis(
                Diagnosis(
                    "TLS_SECRET_MISSING",
                    "warning",
                    f"Secret {te.ingress.namespace}/{te.secret} named by Ingress {te.ingress.namespace}/"
                    f"{te.ingress.name} tls[{te.index}] is not in the snapshot; if it does not exist the "
                    "controller serves its default certificate.",
                    f"Create the kubernetes.io/tls Secret {te.secret} in namespace {te.ingress.namespace} "
                    "(or include it in the snapshot).",
                    spec_rule("I-25"),
                    [te.ingress.ref()],
                )
            )
        elif str(secret.body.get("type") or "") not in ("kubernetes.io/tls", ""):
            trace.add_diagnosis(
                Diagnosis(
                    "TLS_SECRET_WRONG_TYPE",
                    "warning",
                    f"Secret {te.ingress.namespace}/{te.secret} has type {secret.body.get('type')}, not kubernetes.io/tls.",
                    "Recreate it with kubectl create secret tls.",
                    spec_rule("I-25"),
                    [secret.ref()],
                )
            )
        return info

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
        entry: _PathEntry,
        bucket: _HostBucket | None,
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
            rules_cited.append(spec_rule("I-16"))
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
        bucket: _HostBucket | None,
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
            rules_cited.append(spec_rule("I-18"))
            if len(self.default_backends) > 1:
                rules_cited.append(spec_rule("I-20"))
                others = ", ".join(f"{i.namespace}/{i.name}" for i, _ in self.default_backends[1:4])
                near.append(
                    f"Ingress(es) {others} also define a defaultBackend; which one applies is controller-specific "
                    f"(I-20); the oldest, {ing.namespace}/{ing.name}, is used"
                )
            trace.route = {"kind": "Ingress", "namespace": ing.namespace, "name": ing.name, "rule": "defaultBackend"}
            decision = f"{why}; using spec.defaultBackend of Ingress {ing.namespace}/{ing.name}"
            self._to_backend(trace, request, ing, backend, "defaultBackend", decision, near, rules_cited, details)
            return
        rules_cited.append(spec_rule("I-19"))
        trace.status = 404
        trace.add_diagnosis(
            Diagnosis(
                "NO_INGRESS_RULE_MATCHES",
                "error",
                f"No served Ingress routes {host}{request.path}: {why}, and no Ingress has a defaultBackend, "
                "so the controller answers 404." + (f" Nearest: {near[0]}." if near else ""),
                f"Add a rule with host {host} and a path covering {request.path} "
                "(pathType Prefix matches whole path elements), or set spec.defaultBackend.",
                spec_rule("I-19"),
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
        backend: _Backend,
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
            rules_cited.append(spec_rule("I-23"))
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
                    spec_rule("I-23"),
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
        rules_cited.append(spec_rule("I-22"))
        res = resolve_backend(
            self.snapshot,
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
        trace.status = status
        if ok:
            trace.upstream = {
                "host": request.host_header,  # no portable header or path rewriting (I-24)
                "path": request.request_uri,
                "headers": {"Host": request.host_header, **{k: v for k, v in request.headers if k.lower() != "host"}},
            }
            rules_cited.append(spec_rule("I-24"))
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
        trace.hops.extend(hops)


# --- module helpers ------------------------------------------------------------------------------


def _age_key(ing: K8sObject) -> tuple[str, str, str]:
    # Missing timestamps sort last ("~" > digits): uploaded manifests usually have none.
    return (ing.creation_timestamp or "~", ing.namespace or "", ing.name)


def _cited(reason: str) -> str:
    """The last ``(I-n)`` rule id a reason text cites; I-1 (class selection) when none."""
    start = reason.rfind("(I-")
    end = reason.find(")", start)
    return reason[start + 1 : end] if start >= 0 and end > start else "I-1"


def _where(entry: _PathEntry) -> str:
    return f"Ingress {entry.ingress.namespace}/{entry.ingress.name} {entry.rule_ref}"


def _path_mismatch_reason(entry: _PathEntry, path: str) -> str:
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


__all__ = [
    "IngressSpec",
    "IngressSpecTable",
    "exact_matches",
    "host_matches",
    "path_priority",
    "prefix_key",
    "prefix_matches",
    "request_prefix_keys",
]
