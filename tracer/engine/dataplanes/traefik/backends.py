"""The servers of a v2/v3 router: Services resolved the way each Kubernetes provider does it, with their scheme and
servers transport (traefik#T15, #T16, #T29, #T30).

The providers drop a path or a route whose Service cannot give servers: it does not exist, lacks the port, is an
ExternalName while allowExternalNameServices is off, or has no ready endpoint while allowEmptyServices is off. The
router is then never created, so a request falls to another router or gets the 404 (traefik#T32). Computed on
first use per router and kept: the answer depends only on the snapshot.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ...options import Options
from ...services import BackendResolution, ServiceIndex, resolve_backend
from ...snapshot import K8sObject, Snapshot
from .crd import CrdIndex, Problem, Resolved, resolve_key, resolve_reference
from .ingress_v2 import service_config
from .routers import BackendRef, Router
from .settings import Settings
from .workload import truthy


@dataclass(slots=True)
class ServerSet:
    """One Service of a router, resolved, with how Traefik talks to it."""

    ref: BackendRef
    res: BackendResolution | None  # None: another provider's service, not in the snapshot
    scheme: str = "http"
    scheme_why: str = ""
    skip_verify: bool = False
    trust: str = ""  # where the certificate check is decided
    root_cas: bool = False
    pass_host: bool = True
    transport: K8sObject | None = None
    native_lb: bool = False


@dataclass(slots=True)
class BackendState:
    problem: Problem | None = None
    servers: list[ServerSet] = field(default_factory=list)
    empty: bool = False  # kept by allowEmptyServices although no server is ready: 503 (traefik#T16)


class Backends:
    def __init__(self, snapshot: Snapshot, settings: Settings, crds: CrdIndex, services: ServiceIndex,
                 options: Options) -> None:
        self.snapshot = snapshot
        self.settings = settings
        self.crds = crds
        self.services = services
        self.options = options
        self._memo: dict[int, BackendState] = {}

    def state(self, router: Router) -> BackendState:
        found = self._memo.get(id(router))
        if found is None:
            found = self._memo[id(router)] = self._state(router)
        return found

    def _state(self, router: Router) -> BackendState:
        crd = router.provider == "kubernetescrd"
        opts = self.settings.crd if crd else self.settings.ingress
        state = BackendState()
        for ref in router.backends:
            if ref.name and not ref.namespace:  # another provider's service (api@internal)
                state.servers.append(ServerSet(ref, None, trust="another provider's service"))
                continue
            server = self._server(ref, crd)
            if isinstance(server, Problem):
                return BackendState(problem=server)
            res = server.res
            assert res is not None
            if not res.ready_endpoints() and res.kind != "external-name":
                if not opts.allow_empty_services:
                    return BackendState(problem=Problem(
                        "TRAEFIK_NO_SERVERS",
                        f"{ref.label()} has no ready endpoint, so the provider skips "
                        f"{'the route' if crd else 'the path'} and no router exists for it",
                        "traefik#T16",
                        "Make the Service's pods ready (or fix its selector); with allowEmptyServices the router "
                        "would stay and answer 503 instead of 404.",
                    ))
                state.empty = True
            state.servers.append(server)
        return state

    def _server(self, ref: BackendRef, crd: bool) -> ServerSet | Problem:
        svc = self.snapshot.get("Service", ref.namespace, ref.name)
        if svc is None:
            return Problem("TRAEFIK_ROUTER_SKIPPED", f"Service {ref.namespace}/{ref.name} does not exist, so the "
                           f"provider skips {'the route' if crd else 'the path'}", "traefik#T16",
                           f"Create Service {ref.namespace}/{ref.name}, or fix the name.")
        external = str(svc.spec.get("type") or "") == "ExternalName"
        opts = self.settings.crd if crd else self.settings.ingress
        if crd and ref.health_check and not external:
            return Problem("TRAEFIK_ROUTER_SKIPPED", f"healthCheck is allowed only for ExternalName Services, and "
                           f"{ref.label()} is not one", "traefik#T16")
        if external and not opts.allow_external_name:
            flag = "kubernetescrd" if crd else "kubernetesingress"
            return Problem(
                "TRAEFIK_EXTERNAL_NAME_REFUSED",
                f"Service {ref.namespace}/{ref.name} is of type ExternalName and allowExternalNameServices is off, so "
                f"the provider skips {'the route' if crd else 'the path'}",
                "traefik#T15",
                f"Start Traefik with --providers.{flag}.allowExternalNameServices=true, or point the route at the "
                "Service behind the ExternalName (an IngressRoute can name a Service in another namespace with "
                "allowCrossNamespace).",
            )
        port = ref.port
        if port in (None, "", 0) and crd:
            return Problem("TRAEFIK_ROUTER_SKIPPED", f"{ref.label()} has no port, which an IngressRoute service "
                           "needs", "traefik#T16", "Set port on the route's service.")
        res = resolve_backend(self.services, ref.namespace, ref.name, port if port not in (None, "") else 0,
                              assume_endpoints=self.options.assume_endpoints, port_match="service-port")
        # An IngressRoute may name any number on an ExternalName Service; the Ingress provider needs a listed port.
        if res.service_port is None and not (crd and external and isinstance(port, int)):
            return Problem("TRAEFIK_ROUTER_SKIPPED", f"Service {ref.namespace}/{ref.name} has no port {port}, so the "
                           f"provider skips {'the route' if crd else 'the path'}", "traefik#T16",
                           f"Use one of the Service's ports (by number or name) in the {'route' if crd else 'Ingress'}.")
        server = ServerSet(ref, res, pass_host=True)
        problem = self._scheme_and_transport(server, svc, crd)
        if problem is not None:
            return problem
        if server.native_lb and res.kind == "headless":
            return Problem("TRAEFIK_ROUTER_SKIPPED", f"nativeLB needs a ClusterIP, and Service {ref.namespace}/"
                           f"{ref.name} is headless", "traefik#T16")
        return server

    def _scheme_and_transport(self, server: ServerSet, svc: K8sObject, crd: bool) -> Problem | None:
        """traefik#T29 (scheme), #T30 (transport), #T33 (passHostHeader)."""
        ref, res = server.ref, server.res
        assert res is not None
        sp = res.service_port or {}
        port_name, port_number = str(sp.get("name") or ""), res.port_number
        transport_ref = ref.transport
        if crd:
            server.scheme = ref.scheme
            server.scheme_why = f"scheme {ref.scheme} on the route's service" if ref.scheme else ""
            server.pass_host = ref.pass_host if ref.pass_host is not None else True
            server.native_lb = ref.native_lb
        else:
            notes = service_config(svc)
            server.scheme = notes.get("serversscheme", "")
            server.scheme_why = f"annotation service.serversscheme: {server.scheme}" if server.scheme else ""
            transport_ref = notes.get("serverstransport", "")
            server.pass_host = truthy(notes.get("passhostheader"), True)
            server.native_lb = truthy(notes.get("nativelb"), False)
        if not server.scheme:
            https = port_number == 443 or port_name.startswith("https")
            server.scheme = "https" if https else "http"
            server.scheme_why = (f"Service port {port_number}{' (' + port_name + ')' if port_name else ''} "
                                 + ("is 443 or named https*" if https else "is neither 443 nor named https*"))
        if not transport_ref:
            server.skip_verify, server.root_cas = self.settings.insecure_skip_verify, self.settings.root_cas
            server.trust = ("the static serversTransport.insecureSkipVerify" if server.skip_verify
                            else "the default servers transport, which verifies certificates")
            return None
        found: Resolved | Problem
        if crd:
            found = resolve_reference(self.crds, "ServersTransport", ref.namespace, "", transport_ref,
                                      self.settings.crd.allow_cross_namespace)
        else:
            found = resolve_key(self.crds, "ServersTransport", transport_ref, self.settings.crd.enabled)
        if isinstance(found, Problem):
            return found
        if found.obj is None:
            server.trust = f"servers transport {found.key} (another provider's, not in the snapshot)"
            return None
        spec = found.obj.spec
        server.transport = found.obj
        server.skip_verify = spec.get("insecureSkipVerify") is True
        server.root_cas = bool(spec.get("rootCAs") or spec.get("rootCAsSecrets"))
        server.trust = f"ServersTransport {found.obj.namespace}/{found.obj.name}" + (
            " (insecureSkipVerify)" if server.skip_verify else " (rootCAs)" if server.root_cas else "")
        return None


def pick_weighted(servers: list[ServerSet], seed: int | None, key: str) -> ServerSet:
    """Weighted round robin between a router's Services (traefik#T17): the heaviest without a seed, else a
    deterministic draw by weight from (seed, key)."""
    usable = [s for s in servers if s.ref.weight > 0] or servers
    if seed is None or len(usable) == 1:
        return max(usable, key=lambda s: s.ref.weight)
    digest = hashlib.sha256(f"{seed}\x00{key}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") % sum(max(s.ref.weight, 1) for s in usable)
    for s in usable:
        point -= max(s.ref.weight, 1)
        if point < 0:
            return s
    return usable[-1]


__all__ = ["BackendState", "Backends", "ServerSet", "pick_weighted"]
