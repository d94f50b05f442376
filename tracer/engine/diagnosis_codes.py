"""Every diagnosis code the engine can emit: title, default severity and the rules it relates to.

The registry is Python, not parsed Markdown, so a code cannot vanish from it by a doc edit; each code
is documented under a heading of the same name in docs/rules/diagnoses.md (the catalog test keeps the
two, and the engine's call sites, in step). The severity is the usual one: a few call sites lower it
(for example a named port that only some pods lack, or anything under ``assume_endpoints``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DiagnosisKind:
    code: str
    title: str
    severity: str  # error | warning | info (result.SEVERITIES)
    rules: tuple[str, ...]


def _kinds(*kinds: DiagnosisKind) -> dict[str, DiagnosisKind]:
    return {k.code: k for k in kinds}


_K = DiagnosisKind

DIAGNOSES: dict[str, DiagnosisKind] = _kinds(
    # -- the way in: load balancer, kube-proxy (entry.py) ------------------------------------------
    _K("ENTRY_PORT_CLOSED", "The controller's Service does not expose the requested port", "error",
       ("dataplane#R4", "dataplane#R2")),
    _K("LB_SOURCE_RANGE_DROPPED", "The client is outside loadBalancerSourceRanges", "error",
       ("dataplane#R27", "dataplane#R38")),
    _K("CONTROLLER_NO_ENDPOINTS", "The controller's Service has no ready endpoints", "error",
       ("dataplane#R21", "dataplane#R39")),
    # -- what-if faults (faults/) -----------------------------------------------------------------------
    _K("CONTROLLER_DOWN", "The controller does not accept connections", "error", ("dataplane#R21", "dataplane#R25")),
    _K("NODE_RULES_FLUSHED", "kube-proxy's rules were flushed from the entry node", "error",
       ("dataplane#R52", "dataplane#R28", "dataplane#R55")),
    _K("HOSTPORT_RULES_FLUSHED", "The controller's hostPort rules were flushed", "error",
       ("dataplane#R50", "dataplane#R58", "dataplane#R49")),
    _K("NETWORKPOLICY_DENY_ALL", "A deny-all NetworkPolicy selects the pod", "error", ("dataplane#R26", "dataplane#R30")),
    # -- the node side: traffic policies, NetworkPolicies, session affinity (traffic_policy.py, services/nodeplane.py)
    _K("ETP_LOCAL_NO_LOCAL_ENDPOINT", "externalTrafficPolicy Local drops clients on nodes without a controller pod",
       "error", ("dataplane#R23", "dataplane#R37", "dataplane#R41")),
    _K("ITP_LOCAL_NO_LOCAL_ENDPOINT", "internalTrafficPolicy Local drops the controller's connection", "error",
       ("dataplane#R22", "dataplane#R39", "dataplane#R30")),
    _K("NETWORKPOLICY_BLOCKS_CONTROLLER", "NetworkPolicies on the backend pod do not allow the controller", "error",
       ("dataplane#R66", "dataplane#R26", "dataplane#R67", "dataplane#R30")),
    _K("SESSION_AFFINITY_BEHIND_INGRESS", "sessionAffinity ClientIP behind an ingress controller", "warning",
       ("dataplane#R68", "dataplane#R31", "dataplane#R35")),
    # -- Services and endpoints (services.py) ------------------------------------------------------
    _K("SERVICE_MISSING", "The Service does not exist", "error", ("k8s-routing#C-4", "k8s-routing#I-8")),
    _K("SERVICE_PORT_MISMATCH", "The Service has no such port", "error",
       ("k8s-routing#I-22", "k8s-routing#C-4", "ingress-nginx#6.2")),
    _K("EXTERNAL_NAME_EMPTY", "An ExternalName Service without externalName", "error", ("dataplane#R6",)),
    _K("EXTERNAL_NAME_BACKEND", "The backend is an ExternalName Service", "info", ("dataplane#R6",)),
    _K("SERVICE_WITHOUT_ENDPOINTS", "A Service without selector has no EndpointSlice", "error", ("dataplane#R14",)),
    _K("SELECTOR_MATCHES_NOTHING", "The Service selector matches no pod", "error", ("dataplane#R13",)),
    _K("NAMED_PORT_UNRESOLVED", "Pods lack the named targetPort", "warning", ("dataplane#R10", "dataplane#R9")),
    _K("ENDPOINTSLICE_PORT_UNMATCHED", "EndpointSlice ports do not match the Service port name", "error",
       ("dataplane#R12",)),
    _K("NO_READY_ENDPOINTS", "The Service has no ready endpoints", "error",
       ("dataplane#R21", "dataplane#R15", "dataplane#R16", "dataplane#R13")),
    # -- portable Ingress v1 (ingress-spec) --------------------------------------------------------
    _K("INGRESS_NOT_SERVED", "The Ingress is not served by this controller", "warning",
       ("k8s-routing#I-1", "k8s-routing#I-2", "k8s-routing#I-3", "k8s-routing#I-4", "k8s-routing#I-5",
        "k8s-routing#I-6", "k8s-routing#I-7", "k8s-routing#I-8")),
    _K("NO_INGRESS_RULE_MATCHES", "No Ingress rule matches the host and path", "error",
       ("k8s-routing#I-19", "k8s-routing#I-18", "k8s-routing#I-13")),
    _K("RESOURCE_BACKEND", "The route points at a resource backend", "warning",
       ("k8s-routing#I-23", "ingress-nginx#6.4")),
    _K("PLAIN_HTTP_TO_TLS_HOST", "Plain HTTP to a host with TLS", "info", ("k8s-routing#I-27", "k8s-routing#U-6")),
    _K("TLS_HOST_NOT_COVERED", "No TLS entry covers the host", "warning", ("k8s-routing#I-27", "k8s-routing#I-25")),
    _K("TLS_SECRET_MISSING", "The TLS Secret is missing", "warning", ("k8s-routing#I-25",)),
    _K("TLS_SECRET_WRONG_TYPE", "The TLS Secret has the wrong type", "warning", ("k8s-routing#I-25",)),
    # -- Gateway API v1 (dataplanes/gateway_api) ---------------------------------------------------------
    _K("GATEWAY_NO_LISTENER", "No Gateway listener for the port and protocol", "error",
       ("k8s-routing#G-6", "k8s-routing#G-1")),
    _K("GATEWAY_LISTENER_HOST_MISMATCH", "No Gateway listener covers the host", "error",
       ("k8s-routing#G-7", "k8s-routing#G-8", "k8s-routing#G-9")),
    _K("GATEWAY_MISDIRECTED_REQUEST", "421: the Host belongs to another listener than the SNI", "error",
       ("k8s-routing#G-9",)),
    _K("GATEWAY_TLS_CERT_INVALID", "The HTTPS listener's certificate is unusable or does not cover the name", "error",
       ("k8s-routing#G-2",)),
    _K("GATEWAY_NO_ROUTE_MATCHES", "No HTTPRoute rule matches on the listener", "error",
       ("k8s-routing#G-27", "k8s-routing#G-17", "k8s-routing#G-24")),
    _K("GATEWAY_ROUTE_NOT_ACCEPTED", "An HTTPRoute for the host is not attached", "error",
       ("k8s-routing#G-15", "k8s-routing#G-11", "k8s-routing#G-12", "k8s-routing#G-13", "k8s-routing#G-5")),
    _K("GATEWAY_RULE_WITHOUT_BACKENDS", "The matching rule has nothing to forward to", "error",
       ("k8s-routing#G-31", "k8s-routing#G-28", "k8s-routing#G-32")),
    _K("GATEWAY_BACKEND_REF_INVALID", "The picked backendRef is invalid", "error",
       ("k8s-routing#G-29", "k8s-routing#G-30", "k8s-routing#G-31")),
    _K("GATEWAY_FEATURE_UNSUPPORTED", "The implementation's conformance report does not list a feature used", "warning",
       ("k8s-routing#G-35",)),
    # -- ingress-nginx: which Ingresses are served (selection.py, annotations.py) -----------------------
    _K("INGRESS_CLASS_NOT_SERVED", "The Ingress class is not this controller's", "error",
       ("ingress-nginx#1.1", "ingress-nginx#1.2")),
    _K("INGRESS_NAMESPACE_NOT_WATCHED", "The Ingress's namespace is not watched", "error", ("ingress-nginx#1.3",)),
    _K("INGRESS_DROPPED", "The controller drops the whole Ingress", "error", ("ingress-nginx#1.4",)),
    _K("INGRESS_DROPPED_INVALID_ANNOTATION", "An invalid annotation value drops the Ingress", "error",
       ("ingress-nginx#1.4", "ingress-nginx#11.2")),
    _K("INGRESS_DROPPED_BLOCKED_WORD", "A blocklisted word drops the Ingress", "error", ("ingress-nginx#1.4",)),
    _K("INGRESS_DROPPED_RISKY_ANNOTATION", "An annotation above the risk level drops the Ingress", "error",
       ("ingress-nginx#11.2", "ingress-nginx#11.1", "ingress-nginx#1.4")),
    _K("INGRESS_DROPPED_SNIPPET", "A snippet annotation drops the Ingress", "error",
       ("ingress-nginx#11.2", "ingress-nginx#11.1", "ingress-nginx#14.7")),
    _K("SNIPPETS_DISABLED", "Snippet annotations are disabled", "error",
       ("ingress-nginx#14.7", "ingress-nginx#11.2")),
    # -- ingress-nginx: annotation values (annotations.py) --------------------------------------------
    _K("UNKNOWN_ANNOTATION", "Not an ingress-nginx annotation", "info", ("ingress-nginx#11.1",)),
    _K("ANNOTATION_VALUE_IGNORED", "An annotation value is ignored", "warning", ("ingress-nginx#11.2",)),
    _K("SNIPPET_DROPPED", "A snippet annotation is dropped", "warning", ("ingress-nginx#11.2", "ingress-nginx#11.1")),
    _K("REWRITE_TARGET_INVALID", "rewrite-target is invalid and ignored", "warning", ("ingress-nginx#4.1",)),
    _K("DEFAULT_BACKEND_SERVICE_MISSING", "The default-backend annotation names a missing Service", "warning",
       ("ingress-nginx#6.7",)),
    _K("TIMEOUT_WITH_UNITS_IGNORED", "A timeout with a unit is ignored", "warning",
       ("ingress-nginx#8.1", "ingress-nginx#14.5")),
    _K("CANARY_ANNOTATIONS_WITHOUT_CANARY", "Canary settings without canary: \"true\"", "warning",
       ("ingress-nginx#7.1",)),
    _K("CORS_ORIGIN_INVALID", "cors-allow-origin is invalid", "warning", ("ingress-nginx#9.6",)),
    _K("PROXY_SSL_WITHOUT_SECRET", "Upstream TLS settings without proxy-ssl-secret", "warning",
       ("ingress-nginx#10.2",)),
    _K("AUTH_SECRET_MISSING", "The basic-auth Secret is missing or unusable", "error",
       ("ingress-nginx#9.2", "ingress-nginx#11.2")),
    _K("AUTH_SECRET_TYPE_INVALID", "auth-secret-type is invalid", "error", ("ingress-nginx#9.2", "ingress-nginx#11.2")),
    _K("AUTH_URL_INVALID", "An external-auth setting is invalid", "error", ("ingress-nginx#9.3", "ingress-nginx#11.2")),
    _K("CIDR_LIST_INVALID", "An IP range list is invalid", "error", ("ingress-nginx#9.1", "ingress-nginx#11.2")),
    _K("PROXY_SSL_SECRET_MISSING", "The proxy-ssl-secret is missing or unusable", "error",
       ("ingress-nginx#10.2", "ingress-nginx#11.2")),
    _K("CLIENT_CERT_SECRET_MISSING", "The auth-tls-secret is missing or unusable", "error",
       ("ingress-nginx#9.7", "ingress-nginx#11.2")),
    _K("CLIENT_CERT_NO_CA", "The auth-tls-secret has no ca.crt", "warning", ("ingress-nginx#9.7",)),
    # -- ingress-nginx: servers, locations, regexes (pipeline.py, regexes.py) ----------------------------
    _K("CLIENT_CERT_PLAIN_HTTP", "Plain HTTP skips client-certificate auth", "warning", ("ingress-nginx#9.7",)),
    _K("SSL_PASSTHROUGH_DISABLED", "ssl-passthrough without --enable-ssl-passthrough", "warning",
       ("ingress-nginx#2.8",)),
    _K("SSL_PASSTHROUGH_NO_ENDPOINTS", "The passthrough Service has no ready endpoints", "error",
       ("ingress-nginx#2.8",)),
    _K("DEFAULT_CERTIFICATE", "nginx serves its default certificate", "warning", ("ingress-nginx#2.6",)),
    _K("DUPLICATE_LOCATION", "Two paths render the same nginx location", "error", ("ingress-nginx#3.10",)),
    _K("REGEX_INVALID", "A path regex does not compile", "error", ("ingress-nginx#3.4",)),
    _K("REGEX_TIMEOUT", "A path regex backtracks catastrophically", "error", ("ingress-nginx#3.4",)),
    _K("TRACE_BUDGET_EXCEEDED", "The trace ran out of its time budget", "error", ("ingress-nginx#3.4",)),
    # -- ingress-nginx: policies decided per request (policies.py) ------------------------------------
    _K("BODY_TOO_LARGE", "The request body exceeds proxy-body-size", "error", ("ingress-nginx#8.6", "ingress-nginx#0")),
    _K("CLIENT_BLOCKED", "The client is in block-cidrs", "error", ("ingress-nginx#9.1",)),
    _K("DENYLIST_DENIED", "The client matches the denylist", "error", ("ingress-nginx#9.1",)),
    _K("ALLOWLIST_DENIED", "The client is outside the allowlist", "error", ("ingress-nginx#9.1",)),
    _K("AUTH_REQUIRED", "The path requires authentication", "info", ("ingress-nginx#9.2", "ingress-nginx#9.3")),
    _K("AUTH_SERVICE_MISSING", "The external auth Service does not exist", "error", ("ingress-nginx#9.3",)),
    _K("PLAIN_HTTP_TO_HTTPS_PORT", "Plain HTTP sent to a TLS port", "error",
       ("ingress-nginx#10.3", "ingress-nginx#14.10")),
    _K("HTTPS_TO_PLAIN_PORT", "TLS sent to a plain-HTTP port", "error", ("ingress-nginx#10.3", "ingress-nginx#10.1")),
    _K("GRPC_TO_HTTP1_BACKEND", "gRPC sent to an HTTP/1 port", "error", ("ingress-nginx#10.3", "ingress-nginx#10.1")),
    _K("BACKEND_MAY_EXPECT_TLS", "The backend port may expect TLS", "warning", ("ingress-nginx#10.3",)),
    # -- ingress-nginx: common misunderstandings (misunderstandings.py) ---------------------------------
    _K("REWRITE_WITHOUT_CAPTURE_GROUP", "rewrite-target without a capture group", "warning",
       ("ingress-nginx#14.1", "ingress-nginx#4.1")),
    _K("HOST_REGEX_MODE", "The whole host is in regex mode", "warning", ("ingress-nginx#14.2", "ingress-nginx#3.3")),
    _K("REGEX_ORDER_BY_LENGTH", "Regex locations are tried by length", "info", ("ingress-nginx#14.3", "ingress-nginx#3.5")),
    _K("NOT_FOUND_VS_UNAVAILABLE", "404 or 503: what the status says", "info", ("ingress-nginx#14.4", "ingress-nginx#6.4")),
    _K("WEBSOCKET_IDLE_TIMEOUT", "WebSockets close after the read timeout", "warning",
       ("ingress-nginx#14.5", "ingress-nginx#8.1")),
    # -- Istio ingress gateway (dataplanes/istio) --------------------------------------------------------------
    _K("HTTP10_UPGRADE_REQUIRED", "Envoy refuses HTTP/1.0 with 426 Upgrade Required", "error", ("istio#S14",)),
    _K("ISTIO_NO_SERVER", "No Gateway server for the port and protocol", "error", ("istio#S1", "istio#S15")),
    _K("ISTIO_MUTUAL_GATEWAY", "The Gateway server expects Istio mutual TLS", "error", ("istio#S15",)),
    _K("ISTIO_NO_ROUTE", "404 NR: no VirtualService route for the host and path", "error",
       ("istio#S13", "istio#S4", "istio#S5")),
    _K("ISTIO_CLUSTER_NOT_FOUND", "503 NC: the route's destination cluster does not exist", "error",
       ("istio#S13", "istio#S7", "istio#S12")),
    _K("ISTIO_NO_HEALTHY_UPSTREAM", "503 UH: the destination has no ready endpoint", "error",
       ("istio#S13", "istio#S12")),
    _K("ISTIO_UNREACHABLE_RULE", "A VirtualService rule after a rule without match is unreachable", "warning",
       ("istio#S16", "istio#S5")),
    _K("ISTIO_GATEWAY_NOT_FOUND", "A VirtualService binds to a Gateway that does not exist", "warning",
       ("istio#S17", "istio#S3")),
    _K("ISTIO_HOST_NOT_IN_GATEWAY", "A VirtualService host matches no server of its Gateway", "warning",
       ("istio#S18", "istio#S2")),
    _K("KNATIVE_HOST_NOT_EXPOSED", "The Knative host is not served by the external gateway", "error",
       ("istio#S21", "istio#S23")),
    # -- Traefik 1.7 and v2/v3 (dataplanes/traefik) ---------------------------------------------------------
    _K("TRAEFIK_NO_ROUTER_MATCHES", "No Traefik router matches the request", "error", ("traefik#T32", "traefik#T40")),
    _K("TRAEFIK_NO_ENTRYPOINT", "No Traefik entry point listens on the port", "error", ("traefik#T9", "traefik#T42")),
    _K("TRAEFIK_ROUTER_OTHER_ENTRYPOINT", "The matching router is on another entry point or TLS mode", "error",
       ("traefik#T9", "traefik#T10")),
    _K("TRAEFIK_ROUTER_SKIPPED", "Traefik does not create or install the router", "error",
       ("traefik#T16", "traefik#T19", "traefik#T7", "traefik#T4", "traefik#T6", "traefik#T12")),
    _K("TRAEFIK_NO_SERVERS", "The router's Service has no ready endpoint, so the route is skipped", "error",
       ("traefik#T16",)),
    _K("TRAEFIK_EXTERNAL_NAME_REFUSED", "An ExternalName Service without allowExternalNameServices", "error",
       ("traefik#T15", "traefik#T16")),
    _K("TRAEFIK_CROSS_NAMESPACE_REFUSED", "A reference to another namespace without allowCrossNamespace", "error",
       ("traefik#T14", "traefik#T12")),
    _K("TRAEFIK_INGRESS_IGNORED", "Traefik does not read the Ingress or IngressRoute", "warning",
       ("traefik#T1", "traefik#T13", "traefik#T35")),
    _K("TRAEFIK_PRIORITY_TIE", "Two matching routers have the same priority", "warning", ("traefik#T8", "traefik#T40")),
    _K("TRAEFIK_PREFIX_CHARACTER_MATCH", "PathPrefix matched across a path segment", "info", ("traefik#T3", "traefik#T7")),
    _K("TRAEFIK_MIDDLEWARE_NOT_MODELLED", "A middleware tracer does not model is assumed to pass", "info",
       ("traefik#T27",)),
    _K("TRAEFIK_BACKEND_CERT_UNTRUSTED", "Traefik does not trust the HTTPS backend's certificate", "error",
       ("traefik#T30", "traefik#T48", "traefik#T31")),
    _K("TRAEFIK_V1_SSL_REDIRECT_LOSES_PATH", "ssl-redirect drops the stripped prefix from Location", "warning",
       ("traefik#T49", "traefik#T38")),
    # -- journeys: what the browser meets between requests (journey/runner.py, journey/idle.py) ----------
    _K("WEBSOCKET_CLOSED_IDLE", "An idle WebSocket is closed by a proxy on its path", "error",
       ("ingress-nginx#14.5", "dataplane#R38")),
    _K("STRICT_TLS_REFUSED", "The browser refuses a certificate that does not cover the host", "error",
       ("ingress-nginx#2.6", "k8s-routing#I-27")),
    _K("REDIRECT_CHAIN_ABANDONED", "The browser stops following redirects", "error", ("ingress-nginx#5",)),
    _K("STRICT_PATH_VALIDATION", "A regex path with pathType Exact or Prefix", "warning",
       ("ingress-nginx#14.6", "ingress-nginx#3.8")),
    _K("HTTPS_REDIRECT_LOOP", "HTTPS redirect loop behind a TLS load balancer", "error",
       ("ingress-nginx#14.8", "ingress-nginx#5.1")),
    _K("HOSTLESS_NOT_FALLBACK", "Host-less rules are not a fallback", "warning", ("ingress-nginx#14.9", "ingress-nginx#2.3")),
    _K("PROXY_SSL_IGNORED", "proxy-ssl-name without proxy-ssl-secret does nothing", "warning",
       ("ingress-nginx#14.10", "ingress-nginx#10.2")),
    _K("CONTROLLER_NOT_SIMULATED", "The request reaches a controller tracer does not simulate yet", "warning",
       ("k8s-routing#I-1",)),
    _K("PREFIX_TRAILING_SLASH_301", "A Prefix path with a trailing slash redirects", "info",
       ("ingress-nginx#3.6", "ingress-nginx#3.5")),
    _K("EXACT_TRAILING_SLASH_301", "An Exact path with a trailing slash redirects the path without it", "info",
       ("ingress-nginx#3.5",)),
    # -- fixes that re-trace: failure patterns of the field reports, each with manifest patches (fixes/) ----
    _K("PREFIX_NOT_STRIPPED", "The app got the path with the Ingress prefix still on it", "error",
       ("ingress-nginx#4.1", "ingress-nginx#3.5")),
    _K("REDIRECT_ESCAPES_PREFIX", "The app's redirect leaves the prefix it is served under", "error",
       ("ingress-nginx#8.3", "browser#B1")),
    _K("ASSETS_OUTSIDE_PREFIX", "The page loads assets from outside its prefix", "error",
       ("ingress-nginx#3.5", "browser#B4")),
    _K("COOKIE_PATH_NOT_COVERING", "A cookie's path does not cover the requests that need it", "error",
       ("browser#B2", "ingress-nginx#8.4")),
    _K("SECURE_COOKIE_OVER_HTTP", "A Secure cookie set over plain HTTP is dropped", "error",
       ("browser#B3", "ingress-nginx#5.1")),
    _K("WEBSOCKET_PATH_NOT_MATCHED", "The WebSocket URL matches no Ingress path", "error",
       ("ingress-nginx#3.5", "browser#B6")),
    _K("HTTPS_BACKEND_AS_HTTP", "An HTTPS-only backend is spoken to in plain HTTP", "error",
       ("ingress-nginx#10.3", "ingress-nginx#10.1")),
    _K("RELATIVE_ASSETS_NO_TRAILING_SLASH", "Relative asset URLs resolve outside the prefix without a trailing slash",
       "error", ("browser#B4", "ingress-nginx#3.5")),
)


def diagnosis_kind(code: str) -> DiagnosisKind | None:
    return DIAGNOSES.get(code)


__all__ = ["DIAGNOSES", "DiagnosisKind", "diagnosis_kind"]
