"""The Istio objects the ingress gateway is configured from, read into plain records (docs/rules/istio.md).

Gateway servers (istio#S1, #S2, #S15), VirtualService http routes (istio#S3, #S5..#S11) and DestinationRule
subsets (istio#S12). Every networking.istio.io version (v1, v1beta1, v1alpha3) has the same shape for these
fields, so one reader serves all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...k8s import as_int, label_map
from ...snapshot import K8sObject

ISTIO_GROUP = "networking.istio.io"
CLUSTER_SUFFIX = ".svc.cluster.local"


def is_istio(obj: K8sObject) -> bool:
    return obj.api_version.startswith(ISTIO_GROUP + "/")


def ns_of(obj: K8sObject) -> str:
    return obj.namespace or "default"


@dataclass(slots=True)
class Server:
    """One entry of Gateway.spec.servers (istio#S1, #S2, #S15)."""

    gateway: K8sObject
    index: int
    port: int
    protocol: str  # HTTP, HTTPS, HTTP2, TLS, ...
    hosts: list[tuple[str, str]]  # (namespace filter: "*", "." or a name; host)
    tls_mode: str  # "" for plain HTTP servers
    https_redirect: bool

    @property
    def label(self) -> str:
        return f"Gateway {ns_of(self.gateway)}/{self.gateway.name} servers[{self.index}] ({self.protocol} {self.port})"

    @property
    def is_tls(self) -> bool:
        return self.protocol in ("HTTPS", "TLS") or (bool(self.tls_mode) and not self.https_redirect)

    def admits(self, vs_namespace: str) -> list[str]:
        """The server hosts a VirtualService of ``vs_namespace`` may bind to (istio#S2)."""
        gw_ns = ns_of(self.gateway)
        return [h for ns, h in self.hosts if ns == "*" or ns == vs_namespace or (ns == "." and gw_ns == vs_namespace)]


def read_servers(gw: K8sObject) -> list[Server]:
    out = []
    for i, raw in enumerate(gw.spec.get("servers") or []):
        if not isinstance(raw, dict):
            continue
        port = raw.get("port") or {}
        tls = raw.get("tls") or {}
        hosts = []
        for h in raw.get("hosts") or []:
            ns, slash, host = str(h).rpartition("/")
            hosts.append((ns if slash else "*", host.lower()))
        out.append(Server(
            gw, i, as_int(port.get("number")) or 0, str(port.get("protocol") or "HTTP").upper(), hosts,
            str(tls.get("mode") or "").upper() if isinstance(tls, dict) else "",
            bool(isinstance(tls, dict) and tls.get("httpsRedirect")),
        ))
    return out


@dataclass(slots=True)
class StringMatch:
    """Istio's StringMatch: exact, prefix or regex (a regex must match the whole value, istio#S6)."""

    kind: str  # exact | prefix | regex
    value: str

    def describe(self) -> str:
        return f"{self.kind} {self.value}"


def string_match(raw: Any) -> StringMatch | None:
    if not isinstance(raw, dict):
        return None
    for kind in ("exact", "prefix", "regex"):
        if kind in raw:
            return StringMatch(kind, str(raw[kind]))
    return None


def _match_map(raw: Any) -> dict[str, StringMatch | None]:
    """Header or query parameter conditions; an empty StringMatch means "present" (None)."""
    if not isinstance(raw, dict):
        return {}
    return {str(k): string_match(v) for k, v in raw.items()}


@dataclass(slots=True)
class Match:
    """One HTTPMatchRequest: its fields are ANDed; the entries of a rule's match list are ORed (istio#S6)."""

    uri: StringMatch | None = None
    ignore_case: bool = False
    method: StringMatch | None = None
    authority: StringMatch | None = None
    scheme: StringMatch | None = None
    headers: dict[str, StringMatch | None] = field(default_factory=dict)
    without_headers: dict[str, StringMatch | None] = field(default_factory=dict)
    query: dict[str, StringMatch | None] = field(default_factory=dict)
    port: int | None = None
    gateways: list[str] = field(default_factory=list)

    @property
    def catch_all(self) -> bool:
        """Prefix / or regex .* with nothing else (the routes Istio moves to the end of a vhost, istio#S5)."""
        uri_all = self.uri is None or (self.uri.kind, self.uri.value) in (("prefix", "/"), ("regex", ".*"))
        return uri_all and not (self.method or self.authority or self.scheme or self.headers or self.without_headers
                                or self.query or self.port)

    def describe(self) -> str:
        parts = [f"uri {self.uri.describe()}"] if self.uri else []
        parts += [f"method {self.method.describe()}"] if self.method else []
        parts += [f"header {k}" + (f" {v.describe()}" if v else " present") for k, v in self.headers.items()]
        parts += [f"query {k}" + (f" {v.describe()}" if v else " present") for k, v in self.query.items()]
        parts += [f"port {self.port}"] if self.port else []
        return ", ".join(parts) or "any request"


def read_match(raw: dict[str, Any]) -> Match:
    return Match(
        string_match(raw.get("uri")), bool(raw.get("ignoreUriCase")), string_match(raw.get("method")),
        string_match(raw.get("authority")), string_match(raw.get("scheme")), _match_map(raw.get("headers")),
        _match_map(raw.get("withoutHeaders")), _match_map(raw.get("queryParams")), as_int(raw.get("port")),
        [str(g) for g in raw.get("gateways") or []],
    )


@dataclass(slots=True)
class Destination:
    host: str
    subset: str
    port: int | None
    weight: int
    headers: dict[str, Any]


@dataclass(slots=True)
class HttpRule:
    """One entry of VirtualService.spec.http with what the gateway does once it matches (istio#S7..#S11)."""

    vs: K8sObject
    index: int
    name: str
    matches: list[Match]  # empty: the rule matches every request
    destinations: list[Destination]
    rewrite: dict[str, Any]
    redirect: dict[str, Any]
    direct: dict[str, Any]
    headers: dict[str, Any]
    timeout: str

    @property
    def label(self) -> str:
        named = f" ({self.name})" if self.name else ""
        return f"VirtualService {ns_of(self.vs)}/{self.vs.name} http[{self.index}]{named}"


def read_rules(vs: K8sObject) -> list[HttpRule]:
    out = []
    for i, raw in enumerate(vs.spec.get("http") or []):
        if not isinstance(raw, dict):
            continue
        dests = []
        for d in raw.get("route") or []:
            dest = (d or {}).get("destination") if isinstance(d, dict) else None
            if not isinstance(dest, dict):
                continue
            weight = as_int(d.get("weight"))
            dests.append(Destination(
                str(dest.get("host") or ""), str(dest.get("subset") or ""),
                as_int((dest.get("port") or {}).get("number")) if isinstance(dest.get("port"), dict) else None,
                100 if weight is None and len(raw.get("route") or []) == 1 else (weight or 0),
                d.get("headers") if isinstance(d.get("headers"), dict) else {},
            ))
        out.append(HttpRule(
            vs, i, str(raw.get("name") or ""),
            [read_match(m) for m in raw.get("match") or [] if isinstance(m, dict)],
            dests, _dict(raw.get("rewrite")), _dict(raw.get("redirect")), _dict(raw.get("directResponse")),
            _dict(raw.get("headers")), str(raw.get("timeout") or ""),
        ))
    return out


def _dict(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {}


def subsets(dr: K8sObject) -> dict[str, dict[str, str]]:
    """DestinationRule subset name -> its labels (istio#S12)."""
    out = {}
    for s in dr.spec.get("subsets") or []:
        if isinstance(s, dict) and s.get("name"):
            out[str(s["name"])] = label_map(s.get("labels"))
    return out


def service_of_host(host: str, namespace: str) -> tuple[str, str] | None:
    """(namespace, name) of the Service a destination host names: a short name is taken in ``namespace``;
    ``name.ns``, ``name.ns.svc`` and ``name.ns.svc.cluster.local`` name that namespace (istio#S7).
    None for a name outside the cluster domain (an external host)."""
    host = host.lower().rstrip(".")
    if host.endswith(CLUSTER_SUFFIX):
        host = host[: -len(CLUSTER_SUFFIX)]
    elif host.endswith(".svc"):
        host = host[:-4]
    parts = host.split(".")
    if len(parts) == 1:
        return namespace, parts[0]
    if len(parts) == 2:
        return parts[1], parts[0]
    return None


def gateway_refs(vs: K8sObject) -> list[tuple[str, str]]:
    """The (namespace, name) of each Gateway the VirtualService binds to; ("", "mesh") for the mesh.
    An empty list means the mesh only (istio#S3)."""
    out = []
    for g in vs.spec.get("gateways") or []:
        out.append(resolve_gateway(str(g), ns_of(vs)))
    return out


def resolve_gateway(ref: str, namespace: str) -> tuple[str, str]:
    if ref == "mesh":
        return "", "mesh"
    if "/" in ref:
        ns, _, name = ref.partition("/")
        return (namespace if ns == "." else ns), name
    if "." in ref:  # legacy name.namespace[.svc.cluster.local]
        name, _, rest = ref.partition(".")
        return rest.split(".")[0], name
    return namespace, ref
