"""The behaviours users most often misunderstand (ingress-nginx#14), detected when they apply.

Each detector looks at what happened to *this* request on *this* snapshot and returns a Diagnosis
with a stable code, a message naming the objects involved, and a concrete fix, or None.
"""

from __future__ import annotations

from ...regexes import CompiledPattern, RegexProblem, compile_pcre
from ...request import Request
from ...result import Diagnosis
from ...snapshot import K8sObject
from .model import Location, Server
from .selection import Dropped

PREFIX = "nginx.ingress.kubernetes.io/"
_PLAIN_PATH = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/")


def _name(ing: K8sObject | None) -> str:
    return f"{ing.namespace}/{ing.name}" if ing is not None else "(none)"


def _refs(*objs: K8sObject | None) -> list[dict]:
    seen: dict[tuple, dict] = {}
    for o in objs:
        if o is not None:
            seen.setdefault(o.key, o.ref())
    return list(seen.values())


def rewrite_without_capture_group(loc: Location, uri: str, rewritten: str) -> Diagnosis | None:
    """#14.1: a fixed rewrite-target swallows everything under the path."""
    if not loc.rewrite or loc.ann is None or loc.ingress is None:
        return None
    pattern = compile_pcre(loc.path, ignore_case=True)
    if not isinstance(pattern, CompiledPattern) or pattern.compiled.groups > 0:
        return None
    target = loc.ann.rewrite.target
    if not target or "$" in target or uri == rewritten:
        return None
    found = pattern.search(uri)
    if found is None or isinstance(found, RegexProblem) or not uri[found.end() :].strip("/"):
        return None  # nothing under the path was swallowed for this request (or the match gave up)
    base = loc.path.rstrip("/") or ""
    return Diagnosis(
        "REWRITE_WITHOUT_CAPTURE_GROUP",
        "warning",
        f"rewrite-target {target} on Ingress {_name(loc.ingress)} has no capture group, so nginx replaces the "
        f"whole URI: {uri} reaches the backend as {rewritten}; the sub-path is lost. rewrite-target also put "
        "this host in regex mode.",
        f"Capture the rest of the path and reuse it: path: {base}(/|$)(.*) with pathType: ImplementationSpecific, "
        f"and annotation {PREFIX}rewrite-target: \"{target.rstrip('/')}/$2\".",
        "ingress-nginx#14.1",
        _refs(loc.ingress),
    )


def host_regex_mode(server: Server, loc: Location | None) -> Diagnosis | None:
    """#14.2: use-regex/rewrite-target on one Ingress changed matching for another Ingress on the host."""
    if not server.regex_mode or loc is None or loc.ingress is None:
        return None
    others = [(ing, why) for ing, why in server.regex_causes if ing.key != loc.ingress.key]
    if not others:
        return None
    cause, why = others[0]
    kind = loc.declared_type or "Prefix"
    return Diagnosis(
        "HOST_REGEX_MODE",
        "warning",
        f"{why} on Ingress {_name(cause)} puts every location of host {server.hostname} in regex mode, including "
        f"Ingress {_name(loc.ingress)}: its {kind} path {loc.ingress_path} became the case-insensitive, "
        f"start-anchored regex ~* \"^{loc.path}\" (Prefix /foo then matches /foobar; Exact is no longer exact; "
        "the first regex in length order wins).",
        f"Move the Ingress using {why} to its own host, or anchor the other paths explicitly (e.g. path: "
        f"{loc.ingress_path.rstrip('/') or ''}(/|$) with pathType: ImplementationSpecific), or remove "
        f"{PREFIX}{why} from Ingress {_name(cause)}.",
        "ingress-nginx#14.2",
        _refs(cause, loc.ingress),
    )


def regex_order_by_length(server: Server, loc: Location | None, uri: str) -> Diagnosis | None:
    """#14.3: in regex mode a longer path string wins, whatever a user considers more specific."""
    if not server.regex_mode or loc is None:
        return None
    index = server.locations.index(loc)
    for later in server.locations[index + 1 :]:
        if later.root_default or later.exact_copy or later.ingress_path == loc.ingress_path:
            continue
        pattern = later.pattern
        if isinstance(pattern, CompiledPattern):
            found = pattern.search(uri)
            if found:
                return Diagnosis(
                    "REGEX_ORDER_BY_LENGTH",
                    "info",
                    f"both ^{loc.path} (Ingress {_name(loc.ingress)}) and ^{later.path} (Ingress "
                    f"{_name(later.ingress)}) match {uri}; nginx tries regex locations in the order the controller "
                    "writes them (longest path string first, ties in reverse string order) and the first match "
                    f"wins, so ^{loc.path} serves it.",
                    "Make the intended path the longer string or anchor the other one (add $ or a "
                    "(/|$) suffix) so only one regex matches.",
                    "ingress-nginx#14.3",
                    _refs(loc.ingress, later.ingress),
                )
    return None


def not_found_vs_unavailable(status: int, cause: str, objects: list[dict]) -> Diagnosis | None:
    """#14.4: say why this is a 404 rather than a 503, or the other way round."""
    if status == 404:
        return Diagnosis(
            "NOT_FOUND_VS_UNAVAILABLE",
            "info",
            f"404 means nothing routed the request: {cause}. A 503 would instead mean a location matched but its "
            "Service is missing or has no ready endpoints.",
            "Add a rule for this host and path to an Ingress this controller serves (check the near misses on the "
            "controller hop).",
            "ingress-nginx#14.4",
            objects,
        )
    if status == 503:
        return Diagnosis(
            "NOT_FOUND_VS_UNAVAILABLE",
            "info",
            f"503 means a location matched but could not be served: {cause}. A 404 would instead mean no host or "
            "path matched.",
            "Fix the backend: create the Service, make its port match the Ingress, and check the pods are Ready.",
            "ingress-nginx#14.4",
            objects,
        )
    return None


def websocket_idle_timeout(request: Request, read_timeout: int, ingress: K8sObject | None) -> Diagnosis | None:
    """#14.5: WebSockets through ingress-nginx close after proxy-read-timeout seconds of silence."""
    if (request.header("upgrade") or "").lower() != "websocket" or read_timeout > 60:
        return None
    return Diagnosis(
        "WEBSOCKET_IDLE_TIMEOUT",
        "warning",
        f"this WebSocket is proxied with proxy-read-timeout {read_timeout}s: nginx closes the tunnel when the "
        f"backend sends nothing for {read_timeout}s (the browser sees close code 1006), and on config reloads "
        "after worker-shutdown-timeout (240s).",
        f"On Ingress {_name(ingress)} set {PREFIX}proxy-read-timeout: \"3600\" and {PREFIX}proxy-send-timeout: "
        "\"3600\" (plain seconds: values like \"3600s\" are ignored), or send pings more often than the timeout.",
        "ingress-nginx#14.5",
        _refs(ingress),
    )


def strict_path_validation(server: Server) -> Diagnosis | None:
    """#14.6: regex characters in Exact/Prefix paths are rejected by the admission webhook."""
    for loc in server.locations:
        if loc.ingress is None or loc.exact_copy or loc.declared_type not in ("Exact", "Prefix"):
            continue
        path = loc.ingress_path
        if path.startswith("/") and all(c in _PLAIN_PATH for c in path):
            continue
        return Diagnosis(
            "STRICT_PATH_VALIDATION",
            "warning",
            f"Ingress {_name(loc.ingress)} uses path {path} with pathType {loc.declared_type}; it contains regex "
            "characters, which the admission webhook rejects (\"path ... cannot be used with pathType "
            f"{loc.declared_type}\") when strict-validate-path-type is on (the default). Without the webhook it "
            "is treated as " + ("a regex in regex mode." if server.regex_mode else "a literal prefix."),
            f"Use pathType: ImplementationSpecific for {path} (with {PREFIX}use-regex: \"true\" if it is a regex).",
            "ingress-nginx#14.6",
            _refs(loc.ingress),
        )
    return None


def snippets_disabled(dropped: Dropped) -> Diagnosis:
    """#14.7: snippet annotations need allow-snippet-annotations and annotations-risk-level Critical."""
    return Diagnosis(
        "SNIPPETS_DISABLED",
        "error",
        f"{dropped.label} is ignored as a whole: {dropped.reason}. With the admission webhook the apply is "
        "rejected; without it, the controller silently skips the Ingress and its hosts answer 404.",
        dropped.fix,
        "ingress-nginx#14.7",
        _refs(dropped.ingress),
    )


def https_redirect_loop(request: Request, use_forwarded_headers: bool, ingress: K8sObject | None) -> Diagnosis | None:
    """#14.8: behind a TLS-terminating LB, the controller sees http and redirects forever."""
    proto = (request.header("x-forwarded-proto") or "").lower()
    if proto != "https" or use_forwarded_headers:
        return None
    return Diagnosis(
        "HTTPS_REDIRECT_LOOP",
        "error",
        "the request says X-Forwarded-Proto: https (TLS ended at a load balancer) but the controller does not "
        "trust forwarded headers, so it sees plain http and redirects to https again: an endless redirect loop. "
        "HTTPS redirects also use 308 and drop a trailing slash.",
        "In the controller ConfigMap set use-forwarded-headers: \"true\" (only if the LB overwrites those headers), "
        "or terminate TLS at the controller; or on Ingress "
        f"{_name(ingress)} set {PREFIX}ssl-redirect: \"false\" and {PREFIX}force-ssl-redirect: \"false\".",
        "ingress-nginx#14.8",
        _refs(ingress),
    )


def hostless_not_fallback(server: Server, hostless: Location, uri: str) -> Diagnosis:
    """#14.9: a host with its own Ingress never falls back to the hostless rules."""
    first = server.first
    return Diagnosis(
        "HOSTLESS_NOT_FALLBACK",
        "warning",
        f"Host {server.hostname} has its own server (from Ingress {_name(first)}), and no path there matches "
        f"{uri}, so that host's default answers. The hostless rule {hostless.ingress_path} of Ingress "
        f"{_name(hostless.ingress)} would match, but hostless rules only apply to Hosts that match no server. "
        "The first Ingress of the host also lends its annotations and defaultBackend to unmatched paths.",
        f"Add the path {hostless.ingress_path} under host: {server.hostname} (in Ingress {_name(first)} or a new "
        "Ingress for that host), or set spec.defaultBackend on the host's first Ingress.",
        "ingress-nginx#14.9",
        _refs(first, hostless.ingress),
    )


def plain_http_to_https_port(ingress: K8sObject | None, port_desc: str) -> Diagnosis:
    """#14.10: the backend speaks TLS but the controller speaks plain HTTP to it."""
    return Diagnosis(
        "PLAIN_HTTP_TO_HTTPS_PORT",
        "error",
        f"the backend port {port_desc} looks like TLS, but Ingress {_name(ingress)} proxies plain HTTP to it, so "
        "the backend answers 400 \"The plain HTTP request was sent to HTTPS port\" (Go servers: \"Client sent an "
        "HTTP request to an HTTPS server\").",
        f"On Ingress {_name(ingress)} set {PREFIX}backend-protocol: \"HTTPS\" (add proxy-ssl-secret to verify the "
        "certificate; proxy-ssl-name/server-name do nothing without it), or point the Ingress at a plain-HTTP port.",
        "ingress-nginx#14.10",
        _refs(ingress),
    )


def proxy_ssl_without_secret(ingress: K8sObject | None) -> Diagnosis:
    return Diagnosis(
        "PROXY_SSL_IGNORED",
        "warning",
        f"Ingress {_name(ingress)} sets proxy-ssl-name/proxy-ssl-server-name without proxy-ssl-secret; the parser "
        "returns early, so no SNI is sent and nothing is verified.",
        f"Add {PREFIX}proxy-ssl-secret: <namespace>/<secret with ca.crt> to Ingress {_name(ingress)}.",
        "ingress-nginx#14.10",
        _refs(ingress),
    )


def prefix_trailing_slash_301(loc: Location, uri: str) -> Diagnosis:
    if loc.path_type == "Exact":
        return Diagnosis(
            "EXACT_TRAILING_SLASH_301",
            "info",
            f"Exact {loc.ingress_path} (Ingress {_name(loc.ingress)}) becomes `location = \"{loc.path}\"`; nginx "
            f"redirects {uri}, the same name without the trailing slash, with a 301 to {loc.path} (its redirect "
            "for a location name minus its trailing slash covers exact locations too). The Kubernetes spec says "
            f"Exact {loc.ingress_path} does not match {uri}.",
            f"If the app should answer {uri} itself, add path: {uri}, pathType: Exact (or use pathType: Prefix "
            f"with path {uri}); otherwise expect the redirect.",
            "ingress-nginx#3.5",
            _refs(loc.ingress),
        )
    return Diagnosis(
        "PREFIX_TRAILING_SLASH_301",
        "info",
        f"Prefix {loc.ingress_path} (Ingress {_name(loc.ingress)}) becomes location \"{loc.path}\" with no "
        f"`location = {uri}`, so nginx answers {uri} with a 301 to {loc.path}. The Kubernetes spec says Prefix "
        f"{loc.ingress_path} matches {uri}; ingress-nginx differs.",
        f"Write the path without the trailing slash (path: {loc.ingress_path.rstrip('/')}, pathType: Prefix), which "
        "matches both forms with no redirect.",
        "ingress-nginx#3.6",
        _refs(loc.ingress),
    )


def dropped_ingress(dropped: Dropped) -> Diagnosis:
    """INGRESS_CLASS_NOT_SERVED, INGRESS_NAMESPACE_NOT_WATCHED, INGRESS_DROPPED (#1)."""
    if dropped.code == "SNIPPETS_DISABLED":
        return snippets_disabled(dropped)
    return Diagnosis(
        dropped.code,
        dropped.severity,
        f"{dropped.label} is ignored by this controller: {dropped.reason}. Its hosts and paths do not exist here.",
        dropped.fix,
        dropped.rule,
        _refs(dropped.ingress),
    )
