"""The rows of an ingress-nginx table: servers and locations as nginx tries them, and the paths that never win."""

from __future__ import annotations

from typing import Any

from ..dataplanes.ingress_nginx import IngressNginxTable
from ..dataplanes.ingress_nginx.model import BackendRef, Location, Server, ingress_backend
from ..installations import Installation
from ..regexes import RegexProblem
from ..snapshot import K8sObject
from .rows import (
    REGEX_CHARS,
    Backends,
    Route,
    declared_match,
    ingress_paths,
    problem,
    raw_backend,
    route_url,
    sample_host,
    sample_path,
    service_text,
)


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
    return declared_match(loc.declared_type, "ingress-nginx"), ""


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


class NginxRows:
    def __init__(self, inst: Installation, table: IngressNginxTable, any_host: str, backends: Backends) -> None:
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
        row.sample_url = route_url(
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
        row.backend_text = service_text(ref.namespace, ref.service, ref.port)
        alt = self.table.alternatives.get(ref.upstream_name)
        if alt is not None:  # the canary belongs to the upstream, so every path to it has it (#7.2)
            row.canary = f"{service_text(alt.backend.namespace, alt.backend.service, alt.backend.port)} (canary Ingress {alt.ingress.namespace}/{alt.ingress.name})"
        row.problems.extend(self.backends.problems(self.table.backends.resolve(ref)))

    def unplaced(self, ing: K8sObject, placed: dict[tuple[int, str], tuple[Server, int, Location]]) -> None:
        """Paths of an accepted Ingress that got no location: a duplicate (first wins), a non-Service backend,
        or a defaultBackend no host uses."""
        for host, path, path_type, raw, rule in ingress_paths(ing):
            if (id(ing), rule) in placed:
                continue
            if rule == "spec.defaultBackend":
                self.unused_default(ing, raw)
                continue
            server = self.server_of(host)
            if server is None:
                continue
            row = self.route(server, ing, path, rule, len(server.locations))
            row.match = declared_match(path_type, "ingress-nginx") if not server.regex_mode else "regex"
            row.sample_url = route_url(row.tls is not None, sample_host(row.host, self.any_host, self.taken),
                                  sample_path(path, server.regex_mode))
            row.backend, row.backend_text = raw_backend(ing, raw)
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
        row.sample_url = route_url(False, self.any_host, "/")
        ref = ingress_backend(ing, raw)
        if ref is not None:
            self.set_backend(row, ref)
        else:
            row.backend, row.backend_text = raw_backend(ing, raw)
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
