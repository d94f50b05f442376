"""P3-P4: the server block for the Host, and what the server answers before any location (ingress-nginx#2, #0).

Server selection (#2.2), Ingresses ignored for this host (#1), from-to-www redirect servers (#5.3),
block-user-agents / block-referers (#0 P4), the ``return`` of the annotation server-snippet, app-root (#4.3),
then the ``return`` of the ConfigMap server-snippet (ingress-nginx#11.7).
"""

from __future__ import annotations

from ....regexes import RegexProblem, search
from ..misunderstandings import dropped_ingress
from ..redirects import app_root, from_to_www
from ..servers import select_server, server_near_misses
from .client_cert_stage import client_cert_phase
from .passthrough_stage import passthrough_ignored
from .snippet_stage import server_return
from .state import RouteState


def choose_server(s: RouteState) -> int | None:
    """P3 then P4; a status when the server answers before location selection, else None."""
    req = s.req
    servers = s.ctx.servers
    # P3: server selection by Host.
    server, how = select_server(servers, s.host)
    s.server, s.server_how = server, how
    s.rules.append("ingress-nginx#2.2")
    _dropped_for_host(s)
    s.near.extend(server_near_misses(servers, s.host, server))

    if server.passthrough is not None and not s.config.enable_ssl_passthrough:
        passthrough_ignored(s, server)
    # P4: server-level rewrites.
    if server.redirect_to is not None:
        return s.redirect(from_to_www(server, req, s.config))
    if server.client_cert is not None or server.client_cert_error is not None:  # #9.7, hosts with auth-tls only
        status = client_cert_phase(s)
        if status is not None:
            return status
    blocked = _blocked_agent(s)
    if blocked:
        return s.respond(403, blocked, "ingress-nginx#0")
    status = server_return(s, configmap=False)  # written inside the server template, before app-root
    if status is not None:
        return status
    root = app_root(server, s.uri, req)
    if root is not None:
        return s.redirect(root)
    return server_return(s, configmap=True)  # written after the locations


def _dropped_for_host(s: RouteState) -> None:
    by_host = s.ctx.selection.dropped_by_host
    if not by_host:
        return  # the usual case: no Ingress was ignored
    dropped = list(by_host.get(s.host, []))
    if s.server is not None and s.server.is_catch_all:
        dropped += by_host.get("", [])
    for d in dropped[:4]:
        s.near.append(f"{d.label} ignored: {d.reason}")
        s.trace.add_diagnosis(dropped_ingress(d))
        s.rules.append(d.rule)


def _blocked_agent(s: RouteState) -> str | None:
    config = s.config
    if not config.block_user_agents and not config.block_referers:
        return None
    for header, entries in (("user-agent", config.block_user_agents), ("referer", config.block_referers)):
        value = s.hdrs.get(header)
        if value is None or not entries:
            continue
        for entry in entries:
            if _entry_matches(entry, value):
                return f"{header} {value!r} matches block-{header}s entry {entry!r} in the controller ConfigMap"
    return None


def _entry_matches(entry: str, value: str) -> bool:
    """A block-* entry as an nginx map key: ``~*`` case-insensitive regex, ``~`` regex, else the exact value."""
    if entry.startswith("~*"):
        found = search(entry[2:], value, ignore_case=True)
    elif entry.startswith("~"):
        found = search(entry[1:], value)
    else:
        return entry == value
    return found is not None and not isinstance(found, RegexProblem)
