"""The route list of a compiled snapshot: one row per (controller installation, host, path).

Each row says how the controller applies the path (Exact, Prefix, regex, ImplementationSpecific read as
Prefix), where it goes (a Service port, a resource reference, or a default backend), which TLS Secret the
host serves, and the problems that show without sending a request: a backend that cannot answer
(tracer.engine.services diagnoses), a path that can never win, an Ingress its controller drops, and an
Ingress class no installation serves. Rows are read from the compiled route tables, never recomputed
from the manifests, so they say what the traces say; ``Engine.routes()`` is the public entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .context import EngineContext
from .dataplanes.base import RouteTable
from .dataplanes.ingress_nginx import IngressNginxTable
from .dataplanes.ingress_nginx.model import BackendRef, Location, Server, ingress_backend
from .dataplanes.ingress_spec import IngressSpecTable
from .dataplanes.ingress_spec.index import Backend, HostBucket, PathEntry
from .entry import EntryPlan, lb_addresses
from .installations import Installation
from .k8s import default_ingress_class
from .options import Options
from .regexes import RegexProblem
from .result import Diagnosis
from .services import BackendResolution
from .snapshot import K8sObject, Snapshot

# Short names of the problem kinds, for filters and table cells; each problem also carries its full message.
PROBLEM_TITLES: dict[str, str] = {
    "service": "no such Service",
    "service-port": "no such Service port",
    "selector": "selector matches nothing",
    "endpoints": "no ready endpoints",
    "shadowed": "never wins",
    "class": "class not served",
    "dropped": "dropped by the controller",
    "resource-backend": "not a Service backend",
    "regex": "regex does not compile",
}
# The resolution diagnoses (services/diagnoses.py) by kind; every other one is about endpoints.
BACKEND_KINDS = {
    "SERVICE_MISSING": "service",
    "EXTERNAL_NAME_EMPTY": "service",
    "SERVICE_PORT_MISMATCH": "service-port",
    "SELECTOR_MATCHES_NOTHING": "selector",
}
REGEX_CHARS = frozenset(".^$*+?()[]{}|\\")
# A host for hostless rules when the controller's address is unknown: .example is reserved (RFC 2606), so no
# rule of the snapshot can name it and the request lands where hostless rules live.
ANY_HOST = "any-host.example"
WILDCARD_LABEL = "any"


@dataclass(slots=True)
class Route:
    """One row: a path of an Ingress as one controller installation applies it."""

    installation: str | None  # None: no installation of the snapshot serves the Ingress
    controller: str | None
    host: str | None  # None: any host (a rule without host, or a default backend)
    path: str
    match: str
    backend: dict[str, Any] | None  # {"namespace", "service", "port"}; None for a resource reference
    backend_text: str
    ingress: K8sObject
    rule: str  # "spec.rules[0].http.paths[1]" or "spec.defaultBackend"
    tls: dict[str, Any] | None = None  # {"secret": "ns/name" or None, "status"}
    default_backend: bool = False
    simulated: bool = True
    match_note: str = ""
    canary: str | None = None
    sample_url: str = ""
    problems: list[dict[str, Any]] = field(default_factory=list)
    # Sort key within the installation: hostless last, the host, then the place in the controller's own order.
    order: tuple[bool, str, float] = (False, "", 0.0)

    def to_dict(self) -> dict[str, Any]:
        ing = self.ingress
        return {
            "installation": self.installation,
            "controller": self.controller,
            "simulated": self.simulated,
            "host": self.host,
            "path": self.path,
            "match": self.match,
            "match_note": self.match_note,
            "backend": self.backend,
            "backend_text": self.backend_text,
            "default_backend": self.default_backend,
            "tls": self.tls,
            "canary": self.canary,
            "ingress": {**ing.ref(), "group": ing.group},
            "rule": self.rule,
            "sample_url": self.sample_url,
            "problems": self.problems,
        }


def problem(kind: str, severity: str, message: str, rule: str, *, code: str | None = None, fix: str = "") -> dict[str, Any]:
    return {
        "kind": kind,
        "title": PROBLEM_TITLES[kind],
        "code": code,
        "severity": severity,
        "message": message,
        "fix": fix,
        "rule": rule,
    }


def _from_diagnosis(kind: str, d: Diagnosis) -> dict[str, Any]:
    return problem(kind, d.severity, d.message, d.rule, code=d.code, fix=d.fix)


class _Backends:
    """Problems of each resolved backend, computed once per resolution (many rows share a Service)."""

    def __init__(self) -> None:
        self._seen: dict[int, list[dict[str, Any]]] = {}

    def problems(self, res: BackendResolution) -> list[dict[str, Any]]:
        found = self._seen.get(id(res))
        if found is None:
            found = self._seen[id(res)] = [
                _from_diagnosis(BACKEND_KINDS.get(d.code, "endpoints"), d)
                for d in res.diagnoses
                if d.severity in ("error", "warning")
            ]
        return list(found)


# -- shared helpers ---------------------------------------------------------------------------------------


def _service_text(ns: str, name: str, port: int | str | None) -> str:
    return f"Service {ns}/{name}:{port}" if port not in (None, "") else f"Service {ns}/{name}"


def _raw_backend(ing: K8sObject, raw: Any) -> tuple[dict[str, Any] | None, str]:
    """(backend, text) of a backend as written (v1 ``service``/``resource``, v1beta1 ``serviceName``)."""
    ref = ingress_backend(ing, raw)
    if ref is not None:
        return {"namespace": ref.namespace, "service": ref.service, "port": ref.port}, _service_text(
            ref.namespace, ref.service, ref.port
        )
    res = raw.get("resource") if isinstance(raw, dict) else None
    if isinstance(res, dict):
        group = f"{res.get('apiGroup')}/" if res.get("apiGroup") else ""
        return None, f"resource {group}{res.get('kind') or '?'} {res.get('name') or '?'}"
    return None, "no backend"


def _declared_match(path_type: str, family: str | None) -> str:
    """The pathType as the family reads it when no compiled table says more (an Ingress it does not serve)."""
    if family in ("ingress-nginx", "ingress-spec"):
        if path_type in ("Exact", "Prefix"):
            return path_type
        # ingress-nginx#3.1; k8s-routing#I-16 (the portable model reads it as Prefix too)
        return f"{path_type or 'no pathType'} as Prefix"
    return path_type or "no pathType"


def _ingress_paths(ing: K8sObject) -> Iterator[tuple[str | None, str, str, Any, str]]:
    """(host, path, pathType, backend, rule) of every path of an Ingress as written, then its defaultBackend."""
    for r, rule in enumerate(ing.spec.get("rules") or []):
        if not isinstance(rule, dict):
            continue
        host = str(rule.get("host") or "").rstrip(".").lower() or None
        http = rule.get("http")
        for p, entry in enumerate((http.get("paths") if isinstance(http, dict) else None) or []):
            if isinstance(entry, dict):
                path = str(entry.get("path") or "") or "/"
                yield host, path, str(entry.get("pathType") or ""), entry.get("backend"), f"spec.rules[{r}].http.paths[{p}]"
    raw = ing.spec.get("defaultBackend") or ing.spec.get("backend")
    if raw:
        yield None, "/", "", raw, "spec.defaultBackend"


def _spec_tls(ing: K8sObject, host: str | None) -> dict[str, Any] | None:
    """The spec.tls entry of the Ingress itself that lists the host (for Ingresses no table holds)."""
    if host is None:
        return None
    for entry in ing.spec.get("tls") or []:
        if isinstance(entry, dict) and host in {str(h).lower() for h in entry.get("hosts") or []}:
            name = str(entry.get("secretName") or "")
            return {"secret": f"{ing.namespace}/{name}" if name else None, "status": "as written"}
    return None


def sample_path(path: str, regex: bool) -> str:
    """A request path the route answers: the path itself, or for a regex its literal beginning."""
    if not regex:
        return path or "/"
    out: list[str] = []
    i = 0
    while i < len(path):
        c = path[i]
        if c == "\\" and i + 1 < len(path) and not path[i + 1].isalnum():
            c, step = path[i + 1], 2  # an escaped punctuation character stands for itself
        elif c in REGEX_CHARS and c != ".":
            break
        else:
            step = 1  # "." matches any character, itself included
        if i + step < len(path) and path[i + step] in "?*{":
            break  # the character is optional: leave it out
        out.append(c)
        i += step
    return "".join(out) or "/"


def sample_host(host: str | None, any_host: str, taken: set[str]) -> str:
    """A Host the rule's host covers: itself, one label for a wildcard (k8s-routing#I-11, ingress-nginx#2.2)."""
    if host is None:
        return any_host
    if host.startswith("*."):
        candidate = f"{WILDCARD_LABEL}.{host[2:]}"
        n = 1
        while candidate in taken:  # an exact host would take the request instead of the wildcard
            candidate = f"{WILDCARD_LABEL}-{n}.{host[2:]}"
            n += 1
        return candidate
    return host


def _any_host(plan: EntryPlan) -> str:
    """The controller's LoadBalancer address (what a client without a name uses), else a name no rule can match.
    (A node address is no use here: without the NodePort in the URL the request would miss the controller.)"""
    addresses = lb_addresses(plan.service) if plan.service is not None else []
    address = (addresses or [ANY_HOST])[0]
    return f"[{address}]" if ":" in address else address


def _url(scheme_tls: bool, host: str, path: str) -> str:
    return f"{'https' if scheme_tls else 'http'}://{host}{path if path.startswith('/') else '/' + path}"


# -- ingress-nginx ------------------------------------------------------------------------------------------


def _nginx_tls(server: Server) -> dict[str, Any] | None:
    tls = server.tls
    if tls is None or server.is_catch_all:
        return None
    secret = f"{tls.ingress.namespace}/{tls.secret_name}" if tls.ingress is not None and tls.secret_name else None
    return {"secret": secret, "status": tls.status}


def _nginx_match(server: Server, loc: Location) -> tuple[str, str]:
    if server.regex_mode:
        # ingress-nginx#3.4: every location of the host, Exact ones included, is a case-insensitive ^ regex.
        return "regex", server.regex_reason()
    if loc.path_type == "Exact":
        return "Exact", ""
    return _declared_match(loc.declared_type, "ingress-nginx"), ""


def _owner(loc: Location) -> str:
    return f"Ingress {loc.ingress.namespace}/{loc.ingress.name}" if loc.ingress is not None else "the host's default"


def _regex_key(path: str) -> tuple[str, str]:
    # ~* is case-insensitive: two literal paths that differ only in case render the same location.
    return ("literal", path.lower()) if not any(c in REGEX_CHARS for c in path) else ("regex", path)


def _nginx_shadow(server: Server, loc: Location, first_by_key: dict[tuple[str, str], Location]) -> dict[str, Any] | None:
    """A location nginx never picks: a duplicate of an earlier one (ingress-nginx#3.10, #3.5)."""
    if server.regex_mode:
        # Regex locations are tried in list order and the first match wins (#3.5): an earlier location with the
        # same pattern takes every request this one matches.
        winner = first_by_key.get(_regex_key(loc.path))
        if winner is None or winner is loc:
            return None
        return problem(
            "shadowed", "warning",
            f'location ~* "^{loc.path}" comes after the same pattern, {winner.describe()}; in regex mode the first '
            "matching location wins, so this path never does",
            "ingress-nginx#3.5",
        )
    index = server.exact if loc.path_type == "Exact" else server.prefixes
    winner = index.get(loc.path)
    if winner is None or winner is loc:
        return None
    return problem(
        "shadowed", "error",
        f"it renders the same nginx location as {winner.describe()}; nginx refuses duplicate locations, so the "
        "reload fails and the controller keeps serving its previous configuration",
        "ingress-nginx#3.10",
        code="DUPLICATE_LOCATION",
        fix="Remove one of the two paths, or write both the same way (Prefix /foo and /foo/ both become /foo/).",
    )


class _NginxRows:
    def __init__(self, inst: Installation, table: IngressNginxTable, any_host: str, backends: _Backends) -> None:
        self.inst = inst
        self.table = table
        self.any_host = any_host
        self.backends = backends
        self.taken = set(table.servers.exact)
        self.rows: list[Route] = []

    def server_of(self, host: str | None) -> Server | None:
        servers = self.table.servers
        if host is None:
            return servers.catch_all
        if host.startswith("*."):
            return servers.wildcards.get(host[2:])
        return servers.exact.get(host)

    def build(self) -> list[Route]:
        placed: dict[tuple[int, str], tuple[Server, int, Location]] = {}
        for server in self.table.servers.servers():
            first_by_key: dict[tuple[str, str], Location] = {}
            for pos, loc in enumerate(server.locations):
                if server.regex_mode:
                    first_by_key.setdefault(_regex_key(loc.path), loc)
                if loc.exact_copy or loc.ingress is None or loc.rule is None:
                    continue
                placed[(id(loc.ingress), loc.rule)] = (server, pos, loc)
                self.rows.append(self.location_row(server, pos, loc, first_by_key))
        anns = self.table.selection.annotations
        for ing in self.table.selection.accepted:
            if anns[ing.key].canary is None:
                self.unplaced(ing, placed)
        return self.rows

    def route(self, server: Server, ing: K8sObject, path: str, rule: str, order: float) -> Route:
        host = None if server.is_catch_all else server.hostname
        return Route(
            self.inst.name, self.inst.family, host, path, "", None, "", ing, rule, tls=_nginx_tls(server),
            order=(host is None, host or "", order),
        )

    def location_row(self, server: Server, pos: int, loc: Location, first: dict[tuple[str, str], Location]) -> Route:
        assert loc.ingress is not None
        row = self.route(server, loc.ingress, loc.ingress_path, str(loc.rule), pos)
        row.match, row.match_note = _nginx_match(server, loc)
        row.sample_url = _url(
            row.tls is not None,
            sample_host(row.host, self.any_host, self.taken),
            sample_path(loc.ingress_path, server.regex_mode),
        )
        if loc.root_default:
            row.default_backend = True  # spec.defaultBackend as the host's "/" (#3.2) or the catch-all's (#2.4)
            row.match = "regex" if server.regex_mode else "Prefix"
        if loc.backend is not None:
            self.set_backend(row, loc.backend)
        if isinstance(loc.pattern, RegexProblem):
            row.problems.append(problem("regex", "error", loc.pattern.message, "ingress-nginx#3.4", code=loc.pattern.code))
        shadow = _nginx_shadow(server, loc, first)
        if shadow is not None:
            row.problems.append(shadow)
        return row

    def set_backend(self, row: Route, ref: BackendRef) -> None:
        row.backend = {"namespace": ref.namespace, "service": ref.service, "port": ref.port}
        row.backend_text = _service_text(ref.namespace, ref.service, ref.port)
        alt = self.table.alternatives.get(ref.upstream_name)
        if alt is not None:  # the canary belongs to the upstream, so every path to it has it (#7.2)
            row.canary = f"{_service_text(alt.backend.namespace, alt.backend.service, alt.backend.port)} (canary Ingress {alt.ingress.namespace}/{alt.ingress.name})"
        row.problems.extend(self.backends.problems(self.table.backends.resolve(ref)))

    def unplaced(self, ing: K8sObject, placed: dict[tuple[int, str], tuple[Server, int, Location]]) -> None:
        """Paths of an accepted Ingress that got no location: a duplicate (first wins), a non-Service backend,
        or a defaultBackend no host uses."""
        for host, path, path_type, raw, rule in _ingress_paths(ing):
            if (id(ing), rule) in placed:
                continue
            if rule == "spec.defaultBackend":
                self.unused_default(ing, raw)
                continue
            server = self.server_of(host)
            if server is None:
                continue
            row = self.route(server, ing, path, rule, len(server.locations))
            row.match = _declared_match(path_type, "ingress-nginx") if not server.regex_mode else "regex"
            row.sample_url = _url(row.tls is not None, sample_host(row.host, self.any_host, self.taken),
                                  sample_path(path, server.regex_mode))
            row.backend, row.backend_text = _raw_backend(ing, raw)
            ref = ingress_backend(ing, raw)
            if ref is None:
                row.problems.append(problem(
                    "resource-backend", "warning",
                    f"{rule} of Ingress {ing.namespace}/{ing.name} has a non-Service backend; ingress-nginx gives it no "
                    "location, so the host's default answers it (404)",
                    "ingress-nginx#6.4", code="RESOURCE_BACKEND",
                ))
                self.rows.append(row)
                continue
            self.set_backend(row, ref)
            ptype = "Exact" if path_type == "Exact" else "Prefix"
            winner = next(
                (
                    (pos, loc) for pos, loc in enumerate(server.locations)
                    if not loc.exact_copy and not loc.root_default and loc.ingress_path == path and loc.path_type == ptype
                ),
                None,
            )
            if winner is not None:
                row.order = (row.order[0], row.order[1], winner[0] + 0.5)  # right after the path that wins
            owner = _owner(winner[1]) if winner is not None else "an earlier path"
            row.problems.append(problem(
                "shadowed", "warning",
                f"{ptype} {path} on {row.host or 'any host'} is already defined by {owner}; ingress-nginx keeps the "
                "first (oldest Ingress, then namespace/name) and ignores this one",
                "ingress-nginx#3.2",
                fix="Remove the duplicate path, or give it another host or path (the admission webhook refuses it "
                "when it comes from another Ingress, ingress-nginx#3.9).",
            ))
            self.rows.append(row)

    def unused_default(self, ing: K8sObject, raw: Any) -> None:
        catch_all = self.table.servers.catch_all
        row = self.route(catch_all, ing, "/", "spec.defaultBackend", len(catch_all.locations))
        row.match, row.default_backend = "Prefix", True
        row.sample_url = _url(False, self.any_host, "/")
        ref = ingress_backend(ing, raw)
        if ref is not None:
            self.set_backend(row, ref)
        else:
            row.backend, row.backend_text = _raw_backend(ing, raw)
        if ing.spec.get("rules"):
            why = (
                "an Ingress with rules sets the default of its hosts only where it is the first Ingress naming the "
                "host and no / path takes it over, and it never changes the catch-all; here no host uses it"
            )
        else:
            first = catch_all.first
            owner = f"Ingress {first.namespace}/{first.name}" if first is not None else "an earlier Ingress"
            why = f"the defaultBackend of {owner} already serves hosts no rule matches (the first one wins)"
        row.problems.append(problem("shadowed", "warning", f"spec.defaultBackend is not used: {why}", "ingress-nginx#2.4"))
        self.rows.append(row)


# -- the portable Ingress semantics ---------------------------------------------------------------------------


def _spec_winner(bucket: HostBucket, entry: PathEntry) -> PathEntry:
    """The entry that takes the requests ``entry`` matches (I-17). A Prefix entry competes only with entries of
    the same element prefix: a shorter one is always shorter (whole elements), so it loses."""
    if entry.effective_type == "Exact":
        return bucket.candidates(entry.path)[0]
    return min(bucket.prefix.get(_prefix_key(entry.path), [entry]), key=PathEntry.sort_key)


def _prefix_key(path: str) -> str:
    return path.rstrip("/") or "/"


def _spec_lost(winner: PathEntry, loser: PathEntry) -> str:
    if len(winner.path) != len(loser.path):
        return f"{winner.path} is longer (the longest path wins)"
    if winner.effective_type == "Exact" and loser.effective_type != "Exact":
        return "Exact beats Prefix at equal length"
    return "the older Ingress wins an identical path here; which one wins is controller-specific (U-2)"


def _spec_tls_of(table: IngressSpecTable, snapshot: Snapshot, bucket: HostBucket) -> dict[str, Any] | None:
    if bucket.host_class == "any":
        return None
    entries = table.tls.wildcard.get(bucket.label[2:]) if bucket.host_class == "wildcard" else table.tls.exact.get(bucket.label)
    if not entries:
        return None
    te = entries[0]  # the first entry listing the host (I-25)
    if te.secret is None:
        return {"secret": None, "status": "no-secret-name"}
    found = snapshot.get("Secret", te.ingress.namespace, te.secret) is not None
    return {"secret": f"{te.ingress.namespace}/{te.secret}", "status": "ok" if found else "missing-secret"}


class _SpecRows:
    def __init__(
        self, inst: Installation, table: IngressSpecTable, options: Options, any_host: str, backends: _Backends
    ) -> None:
        self.inst = inst
        self.table = table
        self.options = options
        self.any_host = any_host
        self.backends = backends
        self.taken = set(table.index.exact)

    def build(self) -> list[Route]:
        index = self.table.index
        buckets = [*index.exact.values(), *index.wildcard.values(), *([index.hostless] if index.hostless else [])]
        rows = [
            self.entry_row(bucket, entry, pos)
            for bucket in buckets
            for pos, entry in enumerate(sorted(bucket.entries, key=PathEntry.sort_key))  # I-17 order
        ]
        for n, (ing, backend) in enumerate(self.table.default_backends):
            row = Route(self.inst.name, self.inst.family, None, "/", "no rule matches", None, "", ing,
                        "spec.defaultBackend", default_backend=True, order=(True, "", float("inf")))
            row.sample_url = _url(False, self.any_host, "/")
            self.set_backend(row, ing, backend)
            if n:
                first = self.table.default_backends[0][0]
                row.problems.append(problem(
                    "shadowed", "warning",
                    f"Ingress {first.namespace}/{first.name} also has a defaultBackend and is older; only one applies, "
                    "which one is controller-specific (the oldest is used here)",
                    "k8s-routing#I-20",
                ))
            rows.append(row)
        return rows

    def entry_row(self, bucket: HostBucket, entry: PathEntry, pos: int) -> Route:
        host = None if bucket.host_class == "any" else bucket.label
        match = _declared_match(entry.path_type, "ingress-spec")
        row = Route(self.inst.name, self.inst.family, host, entry.path, match, None, "", entry.ingress,
                    f"spec.{entry.rule_ref}", tls=_spec_tls_of(self.table, self.table.snapshot, bucket),
                    order=(host is None, host or "", pos))
        row.sample_url = _url(row.tls is not None, sample_host(host, self.any_host, self.taken), entry.path)
        self.set_backend(row, entry.ingress, entry.backend)
        winner = _spec_winner(bucket, entry)
        if winner is not entry:
            row.problems.append(problem(
                "shadowed", "warning",
                f"{winner.label} in Ingress {winner.ingress.namespace}/{winner.ingress.name} takes every request this "
                f"path matches: {_spec_lost(winner, entry)}",
                "k8s-routing#I-17",
            ))
        return row

    def set_backend(self, row: Route, ing: K8sObject, backend: Backend) -> None:
        ns = ing.namespace or "default"
        if backend.service is None:
            row.backend_text = backend.describe()
            row.problems.append(problem(
                "resource-backend", "warning",
                f"{row.rule} of Ingress {ns}/{ing.name} routes to {backend.describe()}, not a Service; what happens is "
                "controller-specific",
                "k8s-routing#I-23", code="RESOURCE_BACKEND",
            ))
            return
        row.backend = {"namespace": ns, "service": backend.service, "port": backend.port}
        row.backend_text = _service_text(ns, backend.service, backend.port)
        res = self.table.context.services.resolve_shared(
            ns, backend.service, backend.port if backend.port is not None else 0,
            assume_endpoints=self.options.assume_endpoints, port_match="service-port",
        )
        row.problems.extend(self.backends.problems(res))


# -- every installation ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Refused:
    """An Ingress an installation does not serve, and why."""

    ingress: K8sObject
    reason: str
    rule: str
    code: str
    fix: str = ""


class _RouteList:
    def __init__(self, snapshot: Snapshot, options: Options, context: EngineContext) -> None:
        self.snapshot = snapshot
        self.options = options
        self.context = context
        self.backends = _Backends()
        self.rows: list[tuple[float, Route]] = []  # (installation's place, row)
        self.served: set[tuple[Any, ...]] = set()
        self.by_class: dict[tuple[Any, ...], _Refused] = {}  # refused for its class, by the first installation

    def add(self, n: float, inst: Installation, table: RouteTable | None, plan: EntryPlan) -> None:
        any_host = _any_host(plan)
        found: list[Route]
        if isinstance(table, IngressNginxTable):
            found = _NginxRows(inst, table, any_host, self.backends).build()
            self.served |= {i.key for i in table.selection.accepted}
            for d in table.selection.dropped:
                refused = _Refused(d.ingress, f"{d.label}: {d.reason}", d.rule, d.code, d.fix)
                if d.code == "INGRESS_CLASS_NOT_SERVED":
                    self.by_class.setdefault(d.ingress.key, refused)
                else:
                    found += self.refused_rows(inst, refused, "dropped", d.severity)
        elif isinstance(table, IngressSpecTable):
            found = _SpecRows(inst, table, self.options, any_host, self.backends).build()
            self.served |= {i.key for i in table.served}
            for u in table.unserved:
                refused = _Refused(u.ingress, u.diagnosis.message, u.diagnosis.rule, u.diagnosis.code, u.diagnosis.fix)
                if u.diagnosis.severity == "error":  # invalid: the API server or the controller refuses it (I-5..I-8)
                    found += self.refused_rows(inst, refused, "dropped", "error")
                else:
                    self.by_class.setdefault(u.ingress.key, refused)
        else:
            found = self.unsimulated_rows(inst, any_host)
        self.rows += [(n, row) for row in found]

    def refused_rows(self, inst: Installation | None, refused: _Refused, kind: str, severity: str) -> list[Route]:
        """Rows for the paths of an Ingress that takes no effect, with the reason as their problem."""
        ing = refused.ingress
        family = inst.family if inst is not None else None
        out: list[Route] = []
        for host, path, path_type, raw, rule in _ingress_paths(ing):
            backend, text = _raw_backend(ing, raw)
            default = rule == "spec.defaultBackend"
            tls = _spec_tls(ing, host)
            row = Route(
                inst.name if inst is not None else None, family, host, path,
                "Prefix" if default else _declared_match(path_type, family), backend, text, ing, rule, tls=tls,
                default_backend=default, simulated=inst is None or inst.simulated,
                order=(host is None, host or "", float("inf")),
            )
            row.sample_url = _url(tls is not None, host.replace("*", WILDCARD_LABEL, 1) if host else ANY_HOST, path)
            row.problems.append(problem(kind, severity, refused.reason, refused.rule, code=refused.code, fix=refused.fix))
            out.append(row)
        return out

    def unsimulated_rows(self, inst: Installation, any_host: str) -> list[Route]:
        """A controller tracer does not simulate (or whose table this list does not read): the paths of the Ingresses
        it claims as written, with their backends checked."""
        default_class = default_ingress_class(self.snapshot)
        note = (
            f"as written ({inst.family}'s own matching is not listed here)" if inst.simulated
            else f"{inst.family} is not simulated: the path as written"
        )
        out: list[Route] = []
        for ing in self.snapshot.of_kind("Ingress"):
            if inst.claims(ing, default_class) is None:
                continue
            self.served.add(ing.key)
            for host, path, path_type, raw, rule in _ingress_paths(ing):
                backend, text = _raw_backend(ing, raw)
                row = Route(
                    inst.name, inst.family, host, path, _declared_match(path_type, inst.family), backend, text, ing,
                    rule, tls=_spec_tls(ing, host), default_backend=rule == "spec.defaultBackend",
                    simulated=inst.simulated, match_note=note,
                    order=(host is None, host or "", len(out)),
                )
                row.sample_url = _url(row.tls is not None, sample_host(host, any_host, set()), path)
                if backend is not None:
                    res = self.context.services.resolve_shared(
                        backend["namespace"], backend["service"], backend["port"] or 0,
                        assume_endpoints=self.options.assume_endpoints, port_match="service-port",
                    )
                    row.problems += self.backends.problems(res)
                out.append(row)
        return out

    def unclaimed(self) -> None:
        """Ingresses no installation serves: refused for their class everywhere, or claimed by none (I-1)."""
        listed = {row.ingress.key for _, row in self.rows}
        for ing in self.snapshot.of_kind("Ingress"):
            if ing.key in self.served:
                continue
            refused = self.by_class.get(ing.key)
            if refused is None:
                if ing.key in listed:
                    continue  # dropped for another reason by the installation it belongs to: rows exist already
                name = ing.spec.get("ingressClassName") or ing.annotations.get("kubernetes.io/ingress.class") or ""
                refused = _Refused(
                    ing,
                    f"Ingress {ing.namespace}/{ing.name}: no controller installation in the snapshot claims "
                    + (f"its class {name}" if name else "Ingresses without a class"),
                    "k8s-routing#I-1", "INGRESS_CLASS_NOT_SERVED",
                )
            else:
                refused.reason = f"no controller installation in the snapshot serves it; {refused.reason}"
            self.rows += [(float("inf"), row) for row in self.refused_rows(None, refused, "class", "error")]


def list_routes(
    snapshot: Snapshot,
    options: Options,
    context: EngineContext,
    compiled: list[tuple[Installation, RouteTable | None, EntryPlan]],
) -> list[dict[str, Any]]:
    """The rows of every installation in order, then the Ingresses no installation serves; within an
    installation by host (hostless last), then in the order the controller tries its paths."""
    found = _RouteList(snapshot, options, context)
    for n, (inst, table, plan) in enumerate(compiled):
        found.add(n, inst, table, plan)
    found.unclaimed()
    found.rows.sort(key=lambda item: (item[0], *item[1].order))
    return [row.to_dict() for _, row in found.rows]


__all__ = ["PROBLEM_TITLES", "Route", "list_routes", "sample_host", "sample_path"]
