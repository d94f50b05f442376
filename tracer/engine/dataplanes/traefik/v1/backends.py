"""Traefik 1.7 backends (traefik#T44): the servers of a frontend's Services, and their protocol.

The Service must exist (checked when the frontend is built); its port is matched by number or name. An ExternalName
Service gives one server, ``<protocol>://<externalName>`` (the port written only when it is not 80 or 443);
otherwise the ready addresses of its Endpoints, on the endpoint port of the same name. The protocol is https when
the Service port is 443 or named https*, unless the protocol annotation says http, https or h2c (any other value
leaves the backend without servers). No server: 503.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ....request import Request
from ....result import Diagnosis
from ....services import BackendResolution, resolve_backend
from ..backends import ServerSet, pick_weighted
from ..routers import BackendRef
from .frontends import Frontend, V1Backend

if TYPE_CHECKING:
    from .route import V1Routing

PROTOCOLS = ("http", "https", "h2c")


@dataclass(slots=True)
class Chosen:
    res: BackendResolution | None
    ok: bool
    protocol: str = "http"
    protocol_why: str = ""
    port: int | str = ""
    why: str = ""
    diagnoses: list[Diagnosis] = field(default_factory=list)


def _resolve(routing: V1Routing, backend: V1Backend) -> Chosen:
    ns = backend.ingress.namespace or "default"
    res = resolve_backend(routing.services, ns, backend.service, backend.port or 0,
                          assume_endpoints=routing.options.assume_endpoints, port_match="service-port")
    chosen = Chosen(res, False, port=backend.port, diagnoses=list(res.diagnoses))
    sp = res.service_port
    if sp is None:
        chosen.why = f"Service {ns}/{backend.service} has no port {backend.port}"
        return chosen
    name, number = str(sp.get("name") or ""), res.port_number
    https = number == 443 or name.startswith("https")
    chosen.protocol = "https" if https else "http"
    chosen.protocol_why = f"Service port {number}{' (' + name + ')' if name else ''} " + (
        "is 443 or named https*" if https else "is neither 443 nor named https*")
    if backend.protocol:
        if backend.protocol not in PROTOCOLS:
            chosen.why = f"the protocol annotation {backend.protocol} is not http, https or h2c"
            return chosen
        chosen.protocol = backend.protocol
        chosen.protocol_why = f"annotation protocol: {backend.protocol}"
    if res.kind == "external-name":
        chosen.ok = bool(res.external_name)
        chosen.why = "" if chosen.ok else "the ExternalName Service has no externalName"
        return chosen
    chosen.ok = bool(res.ready_endpoints())
    chosen.why = "" if chosen.ok else f"Service {ns}/{backend.service} has no ready endpoint"
    return chosen


def pick_backend(routing: V1Routing, fe: Frontend, request: Request) -> Chosen:
    """The Service a request goes to; several (Ingresses sharing the host and path) share the load evenly."""
    resolved = [_resolve(routing, b) for b in fe.backends]
    usable = [c for c in resolved if c.ok]
    if not usable:
        first = resolved[0] if resolved else Chosen(None, False, why="no backend")
        return first
    if len(usable) == 1:
        return usable[0]
    sets = [ServerSet(BackendRef(c.res.namespace if c.res else "", c.res.service_name if c.res else "", None), c.res)
            for c in usable]
    picked = pick_weighted(sets, routing.options.seed, f"{request.client_ip}|{request.path}")
    return usable[sets.index(picked)]


__all__ = ["Chosen", "pick_backend"]
