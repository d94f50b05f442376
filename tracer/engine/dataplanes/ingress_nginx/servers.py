"""Virtual hosts: server blocks, the catch-all, certificates and from-to-www servers (ingress-nginx#2, #5.3).

Servers are indexed for O(1) selection: exact names (hosts, aliases, redirect servers) in one dict,
``*.parent`` wildcards in another keyed by parent, then the catch-all ``_``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from ...certs import certificate_info
from ...snapshot import K8sObject, Snapshot
from .annotations import IngressAnnotations
from .config import ControllerConfig
from .locations import add_location, finalise
from .model import CATCH_ALL, Location, Server, TlsConfig, ingress_backend
from .selection import Selection

FAKE_CERT = "Kubernetes Ingress Controller Fake Certificate"
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


@dataclass(slots=True)
class DefaultCertificate:
    name: str  # "ns/name" of --default-ssl-certificate, or the fake certificate's subject
    secret: K8sObject | None
    fake: bool


@dataclass(slots=True)
class ServerTable:
    exact: dict[str, Server] = field(default_factory=dict)  # hostnames, aliases, from-to-www servers
    wildcards: dict[str, Server] = field(default_factory=dict)  # "example.com" -> server "*.example.com"
    catch_all: Server = field(default_factory=lambda: Server(CATCH_ALL))
    certs: dict[str, TlsConfig] = field(default_factory=dict)  # certificate store by name (incl. "*.parent")
    by_parent: dict[str, list[str]] = field(default_factory=dict)  # "example.com" -> a few hosts under it
    default_cert: DefaultCertificate = field(default_factory=lambda: DefaultCertificate(FAKE_CERT, None, True))
    skipped: list[str] = field(default_factory=list)

    def servers(self) -> list[Server]:
        seen: dict[int, Server] = {id(self.catch_all): self.catch_all}
        for server in (*self.exact.values(), *self.wildcards.values()):
            seen.setdefault(id(server), server)
        return list(seen.values())


def wildcard_parent(host: str) -> str | None:
    """The parent a ``*.parent`` server would need: exactly one extra label of ``[\\w-]+`` (#2.2)."""
    label, dot, parent = host.partition(".")
    if not dot or not label or not parent or any(c not in _LABEL_CHARS for c in label):
        return None
    return parent


def select_server(table: ServerTable, host: str) -> tuple[Server, str]:
    """(server, how): exact name, then wildcard, then the catch-all (#2.1, #2.2)."""
    server = table.exact.get(host)
    if server is not None:
        if server.redirect_to is not None:
            return server, "from-to-www"
        return server, "exact" if server.hostname == host else "alias"
    parent = wildcard_parent(host)
    if parent is not None:
        server = table.wildcards.get(parent)
        if server is not None:
            return server, "wildcard"
    return table.catch_all, "catch-all"


def certificate_for(table: ServerTable, name: str | None) -> TlsConfig | None:
    """Lua certificate lookup: exact name, then ``*.parent`` (certificate.lua, #2.6, #5.1)."""
    if not name:
        return None
    tls = table.certs.get(name)
    if tls is None and "." in name:
        tls = table.certs.get("*." + name.split(".", 1)[1])
    return tls


def _root_location(ing: K8sObject | None, ann: IngressAnnotations | None) -> Location:
    backend = ingress_backend(ing, ing.spec.get("defaultBackend")) if ing is not None else None
    return Location(
        path="/",
        ingress_path="/",
        path_type="Prefix",
        declared_type="",
        ingress=ing,
        ann=ann,
        rule="spec.defaultBackend" if backend else None,
        backend=backend,
        root_default=True,
    )


def _tls_for_host(
    host: str, ingresses: list[K8sObject], snapshot: Snapshot, now: datetime
) -> TlsConfig | None:
    """The first Ingress naming the host that has any spec.tls decides (controller.go createServers, #2.6)."""
    for ing in ingresses:
        entries = [t for t in ing.spec.get("tls") or [] if isinstance(t, dict)]
        if not entries:
            continue
        secret_name: str | None = None
        for entry in entries:
            if host in {str(h).lower() for h in entry.get("hosts") or []}:
                secret_name = str(entry.get("secretName") or "") or None
                break
        else:
            for entry in entries:
                name = str(entry.get("secretName") or "")
                secret = snapshot.get("Secret", ing.namespace, name) if name else None
                info = certificate_info(secret) if secret is not None else None
                if info is not None and info.covers(host):
                    secret_name = name
                    break
        if secret_name is None:
            return TlsConfig(
                ing, None, None, "no-secret-name", True,
                f"Ingress {ing.namespace}/{ing.name} has spec.tls but no entry with a secretName for {host}; "
                "the default certificate is served (HTTPS redirect still applies)",
            )
        secret = snapshot.get("Secret", ing.namespace, secret_name)
        ref = f"{ing.namespace}/{secret_name}"
        if secret is None:
            return TlsConfig(
                ing, secret_name, None, "missing-secret", True,
                f"Secret {ref} is not in the snapshot; the controller serves the default certificate for {host}",
            )
        info = certificate_info(secret)
        if info is None:
            return TlsConfig(
                ing, secret_name, secret, "assumed", False,
                f"Secret {ref}: certificate contents unknown (not in the snapshot); assumed valid for {host}",
            )
        if not info.covers(host):
            return TlsConfig(
                ing, secret_name, secret, "not-valid-for-host", True,
                f"the certificate in Secret {ref} does not cover {host}; the default certificate is served",
            )
        if not info.valid_at(now):
            return TlsConfig(
                ing, secret_name, secret, "expired", False,
                f"the certificate in Secret {ref} is not valid now (expired or not yet valid); nginx still serves it",
            )
        return TlsConfig(ing, secret_name, secret, "ok", False, f"Secret {ref} covers {host}")
    return None


def _server_tls_settings(server: Server, anns: dict[tuple, IngressAnnotations]) -> None:
    """#2.7/#9.7: the first auth-tls error and the first usable CA win; #2.8: any Ingress turns on passthrough."""
    for ing in server.ingresses:
        ann = anns[ing.key]
        auth = ann.client_cert
        if auth.error and server.client_cert_error is None:
            server.client_cert_error = (ing, auth.error)
        if auth.secret is not None and not auth.no_ca and server.client_cert is None:
            server.client_cert = (ing, auth)
        if ann.backend.ssl_passthrough and server.passthrough is None:
            server.passthrough = ing


def _default_certificate(config: ControllerConfig, snapshot: Snapshot) -> DefaultCertificate:
    if config.default_ssl_certificate:
        ns, _, name = config.default_ssl_certificate.rpartition("/")
        secret = snapshot.get("Secret", ns or "default", name)
        if secret is not None:
            return DefaultCertificate(config.default_ssl_certificate, secret, False)
    return DefaultCertificate(FAKE_CERT, None, True)


def build_servers(selection: Selection, config: ControllerConfig, snapshot: Snapshot) -> ServerTable:
    table = ServerTable(default_cert=_default_certificate(config, snapshot))
    anns = selection.annotations
    primaries = [i for i in selection.accepted if anns[i.key].canary is None]
    catch_all = table.catch_all
    catch_all.locations.append(_root_location(None, None))
    servers: dict[str, Server] = {CATCH_ALL: catch_all}

    # #2.4: the first Ingress with a defaultBackend and no rules becomes the catch-all's "/".
    for ing in primaries:
        if ing.spec.get("defaultBackend") and not ing.spec.get("rules"):
            catch_all.locations[0] = _root_location(ing, anns[ing.key])
            catch_all.ingresses.append(ing)
            catch_all.first, catch_all.first_ann = ing, anns[ing.key]
            break

    # createServers (#2.1, #3.2.1): one server per host; its "/" comes from the first Ingress naming it.
    for ing in primaries:
        for rule in ing.spec.get("rules") or []:
            if not isinstance(rule, dict):
                continue
            host = str(rule.get("host") or "").rstrip(".").lower() or CATCH_ALL
            server = servers.get(host)
            if server is None:
                server = Server(host, first=ing, first_ann=anns[ing.key])
                server.locations.append(_root_location(ing, anns[ing.key]))
                servers[host] = server
            if not server.ingresses or server.ingresses[-1] is not ing:
                server.ingresses.append(ing)

    # getBackendServers (#3.2.2): every Service path, first wins on duplicates.
    for ing in primaries:
        ann = anns[ing.key]
        for r, rule in enumerate(ing.spec.get("rules") or []):
            if not isinstance(rule, dict):
                continue
            server = servers[str(rule.get("host") or "").rstrip(".").lower() or CATCH_ALL]
            paths = ((rule.get("http") or {}).get("paths")) or []
            for p, entry in enumerate(paths):
                if not isinstance(entry, dict):
                    continue
                path = str(entry.get("path") or "") or "/"
                declared = str(entry.get("pathType") or "")
                rule_ref = f"spec.rules[{r}].http.paths[{p}]"
                backend = ingress_backend(ing, entry.get("backend"))
                if backend is None:
                    server.skipped.append(
                        f"{rule_ref} of Ingress {ing.namespace}/{ing.name} ({path}) has a non-Service backend; "
                        "it gets no location, so the host default (404) answers it (ingress-nginx#6.4)"
                    )
                    continue
                loc = Location(
                    path=path,
                    ingress_path=path,
                    path_type="Exact" if declared == "Exact" else "Prefix",  # #3.1
                    declared_type=declared,
                    ingress=ing,
                    ann=ann,
                    rule=rule_ref,
                    backend=backend,
                )
                why = add_location(server, loc)
                if why:
                    server.skipped.append(f"{rule_ref} of Ingress {ing.namespace}/{ing.name}: {why}")

    now = datetime.now(UTC)
    for host, server in servers.items():
        if host != CATCH_ALL:
            server.tls = _tls_for_host(host, server.ingresses, snapshot, now)
            # #2.7: server-level settings come from the first Ingress that sets them.
            for ing in server.ingresses:
                aliases = anns[ing.key].backend.server_alias
                if aliases:
                    server.aliases = tuple(a.lower() for a in aliases if a.lower() not in servers)
                    break
            _server_tls_settings(server, anns)
        finalise(server)
        if host == CATCH_ALL:
            continue
        if host.startswith("*."):
            table.wildcards[host[2:]] = server
        else:
            table.exact[host] = server
            siblings = table.by_parent.setdefault(host.partition(".")[2], [])
            if len(siblings) < 4:
                siblings.append(host)
        if server.tls is not None:
            table.certs[host] = server.tls
        for alias in server.aliases:
            table.exact.setdefault(alias, server)
            if server.tls is not None:
                table.certs.setdefault(alias, server.tls)

    # #5.3 from-to-www: a redirect server for the counterpart name unless an Ingress defines it.
    for host, server in list(servers.items()):
        if host == CATCH_ALL or host.startswith("*."):
            continue
        origin = next((i for i in server.ingresses if anns[i.key].redirect.from_to_www), None)
        if origin is None:
            continue
        counterpart = host[4:] if host.startswith("www.") else "www." + host
        if counterpart in table.exact:
            continue
        table.exact[counterpart] = Server(counterpart, redirect_to=host, redirect_origin=origin, first=origin)
    return table


def server_near_misses(table: ServerTable, host: str, chosen: Server, limit: int = 3) -> list[str]:
    """Servers a user probably meant: same parent domain, or the www./bare counterpart."""
    if chosen.hostname == host:
        return []
    candidates: list[str] = []
    base = host[4:] if host.startswith("www.") else host
    for name in (base, "www." + base):
        if name != host and name in table.exact and table.exact[name] is not chosen:
            candidates.append(f"server {name}: Host {host} did not match")
    parent = host.split(".", 1)[1] if "." in host else ""
    wild = table.wildcards.get(host)
    if wild is not None:
        candidates.append(f"server *.{host}: a wildcard needs exactly one extra label; {host} has none")
    if parent:
        grand = parent.split(".", 1)[1] if "." in parent else ""
        if grand and grand in table.wildcards and table.wildcards[grand] is not chosen:
            candidates.append(f"server *.{grand}: matches exactly one label, {host} has more")
        for sibling in table.by_parent.get(parent, []):
            text = f"server {sibling}: Host {host} did not match"
            if sibling != host and text not in candidates:
                candidates.append(text)
    if base in table.by_parent:
        candidates.extend(f"server {h}: Host {host} did not match" for h in table.by_parent[base][:2])
    return list(dict.fromkeys(candidates))[:limit]


__all__ = [
    "DefaultCertificate",
    "ServerTable",
    "build_servers",
    "certificate_for",
    "select_server",
    "server_near_misses",
    "wildcard_parent",
]
