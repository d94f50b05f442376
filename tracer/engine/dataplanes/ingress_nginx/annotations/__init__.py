"""Ingress annotations as ingress-nginx parses them (ingress-nginx#1.4, #11): one group per concern.

``parse_annotations`` first applies the checks that decide whether the Ingress may carry its
annotations at all (risk.py), then runs one parser per group, in a fixed order, through the shared
``Parser`` (parser.py). Each group is an immutable record; an Ingress that sets nothing of a group
shares that group's default record, so most Ingresses cost no allocation per group.
The failure modes (drop the Ingress, deny its locations, fall back leniently) are described in parser.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ....result import Diagnosis
from ....snapshot import K8sObject, Snapshot
from ..config import ControllerConfig
from .access import NO_ACCESS_RULES, IpAccess, parse_access
from .affinity import Affinity, parse_affinity
from .backend import NO_BACKEND, Backend, parse_backend
from .basic_auth import NO_BASIC_AUTH, BasicAuth, parse_basic_auth
from .canary import Canary, parse_canary
from .client_cert import NO_CLIENT_CERT, ClientCertAuth, parse_client_cert
from .cors import NO_CORS, Cors, parse_cors
from .external_auth import NO_EXTERNAL_AUTH, ExternalAuth, parse_external_auth
from .parser import PREFIX, IngressDropped, Parser
from .proxy import NO_PROXY, Proxy, parse_proxy
from .proxy_ssl import NO_PROXY_SSL, ProxySsl, parse_proxy_ssl
from .rate_limit import NO_RATE_LIMIT, RateLimit, parse_rate_limit
from .redirect import NO_REDIRECTS, Redirects, parse_redirects
from .rewrite import NO_REWRITE, Rewrite, parse_rewrite
from .risk import RISK, SNIPPET_ANNOTATIONS, check_blocklist, check_risk, check_unknown
from .snippets import NO_SNIPPETS, Snippets, parse_snippets


@dataclass(slots=True)
class IngressAnnotations:
    """Everything the controller takes from one Ingress's annotations."""

    ingress: K8sObject
    dropped: str | None = None  # the whole Ingress is ignored -> its hosts 404 (ingress-nginx#1.4, #11.2)
    denied: str | None = None  # its locations answer 503 (ingress-nginx#11.2 last row)
    warnings: list[str] = field(default_factory=list)
    used: dict[str, str] = field(default_factory=dict)  # annotation key -> raw value
    diagnoses: list[Diagnosis] = field(default_factory=list)
    prefix: str = PREFIX  # the annotation prefix in force (--annotations-prefix), with trailing "/"
    snippets: Snippets = NO_SNIPPETS
    rewrite: Rewrite = NO_REWRITE
    redirect: Redirects = NO_REDIRECTS
    backend: Backend = NO_BACKEND
    proxy: Proxy = NO_PROXY
    canary: Canary | None = None  # set only when canary: "true"
    access: IpAccess = NO_ACCESS_RULES
    basic_auth: BasicAuth = NO_BASIC_AUTH
    external_auth: ExternalAuth = NO_EXTERNAL_AUTH
    cors: Cors = NO_CORS
    affinity: Affinity | None = None  # set only with affinity: cookie
    proxy_ssl: ProxySsl = NO_PROXY_SSL
    rate_limit: RateLimit = NO_RATE_LIMIT
    client_cert: ClientCertAuth = NO_CLIENT_CERT

    @property
    def name(self) -> str:
        return f"{self.ingress.namespace}/{self.ingress.name}"


def parse_annotations(ingress: K8sObject, config: ControllerConfig, snapshot: Snapshot) -> IngressAnnotations:
    """Parse one Ingress's annotations the way the controller does (ingress-nginx#1.4, #11).

    A drop stops parsing: the groups not parsed yet keep their defaults, which nothing reads because
    the Ingress is not served.
    """
    p = Parser(ingress, config, snapshot)
    out = IngressAnnotations(
        ingress=ingress, warnings=p.warnings, used=p.used, diagnoses=p.diagnoses, prefix=p.prefix
    )
    try:
        check_blocklist(p)
        check_risk(p)
        check_unknown(p)
        out.snippets = parse_snippets(p)
        out.rewrite = parse_rewrite(p)
        out.redirect = parse_redirects(p)
        out.backend = parse_backend(p)
        out.proxy = parse_proxy(p)
        out.canary = parse_canary(p)
        out.access = parse_access(p)
        out.basic_auth = parse_basic_auth(p)
        out.external_auth = parse_external_auth(p)
        out.cors = parse_cors(p)
        out.affinity = parse_affinity(p)
        out.proxy_ssl = parse_proxy_ssl(p)
        out.rate_limit = parse_rate_limit(p)
        out.client_cert = parse_client_cert(p)
    except IngressDropped:
        pass
    out.dropped = p.dropped
    out.denied = p.denied
    return out


__all__ = [
    "PREFIX",
    "RISK",
    "SNIPPET_ANNOTATIONS",
    "Affinity",
    "Backend",
    "BasicAuth",
    "Canary",
    "ClientCertAuth",
    "Cors",
    "ExternalAuth",
    "IngressAnnotations",
    "IpAccess",
    "Proxy",
    "ProxySsl",
    "RateLimit",
    "Redirects",
    "Rewrite",
    "Snippets",
    "parse_annotations",
]
