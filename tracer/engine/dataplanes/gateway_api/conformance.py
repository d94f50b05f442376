"""Which extended Gateway API features each implementation supports (docs/gateway-api.md, the support matrix).

Taken from the Gateway API v1.4.0 conformance reports each project published in kubernetes-sigs/gateway-api
under ``conformance/reports/v1.4.0/``: the ``supportedFeatures`` and ``unsupportedFeatures`` of the GATEWAY-HTTP
profile. A feature the report does not list as supported is flagged on the hop that uses it
(GATEWAY_FEATURE_UNSUPPORTED): the implementation either did not claim it or failed its tests. Features the
v1.4.0 suite did not know yet (the 303/307/308 redirect codes, 421 for misdirected HTTPS requests) are newer
than every report here, which the warning says.
"""

from __future__ import annotations

from dataclasses import dataclass

REPORTS = "kubernetes-sigs/gateway-api conformance/reports/v1.4.0"
CONFORMANCE_VERSION = "v1.4.0"

# Every extended GATEWAY-HTTP feature the v1.4.0 reports name (supported or not): what that suite tested.
V1_4_FEATURES = frozenset({
    "GatewayAddressEmpty", "GatewayHTTPListenerIsolation", "GatewayInfrastructurePropagation", "GatewayPort8080",
    "GatewayStaticAddresses", "HTTPRouteBackendProtocolH2C", "HTTPRouteBackendProtocolWebSocket",
    "HTTPRouteBackendRequestHeaderModification", "HTTPRouteBackendTimeout", "HTTPRouteCORS",
    "HTTPRouteDestinationPortMatching", "HTTPRouteHostRewrite", "HTTPRouteMethodMatching", "HTTPRouteNamedRouteRule",
    "HTTPRouteParentRefPort", "HTTPRoutePathRedirect", "HTTPRoutePathRewrite", "HTTPRoutePortRedirect",
    "HTTPRouteQueryParamMatching", "HTTPRouteRequestMirror", "HTTPRouteRequestMultipleMirrors",
    "HTTPRouteRequestPercentageMirror", "HTTPRouteRequestTimeout", "HTTPRouteResponseHeaderModification",
    "HTTPRouteSchemeRedirect",
})
# Named in kubernetes-sigs/gateway-api pkg/features after v1.4.0: no v1.4.0 report can list them.
NEWER_FEATURES = frozenset({
    "HTTPRoute303RedirectStatusCode", "HTTPRoute307RedirectStatusCode", "HTTPRoute308RedirectStatusCode",
    "GatewayHTTPSListenerDetectMisdirectedRequests",
})


@dataclass(frozen=True, slots=True)
class Implementation:
    key: str
    title: str
    version: str
    controller: str  # GatewayClass spec.controllerName
    report: str  # the report file, under REPORTS
    supported: frozenset[str]

    def support(self, feature: str) -> str:
        """"supported", "unsupported" (listed as such, or not claimed), or "newer" (not in the v1.4.0 suite)."""
        if feature in self.supported:
            return "supported"
        return "newer" if feature in NEWER_FEATURES else "unsupported"

    def label(self) -> str:
        return f"{self.title} {self.version}"


def _impl(key: str, title: str, version: str, controller: str, report: str, *supported: str) -> Implementation:
    unknown = set(supported) - V1_4_FEATURES
    assert not unknown, unknown  # a typo would silently flag a supported feature
    return Implementation(key, title, version, controller, report, frozenset(supported))


_IMPLEMENTATIONS = (
    # conformance/reports/v1.4.0/istio-istio/1.28.0-default-report.yaml
    _impl("istio", "Istio", "1.28", "istio.io/gateway-controller", "istio-istio/1.28.0-default-report.yaml",
          "GatewayAddressEmpty", "GatewayHTTPListenerIsolation", "GatewayInfrastructurePropagation", "GatewayPort8080",
          "GatewayStaticAddresses", "HTTPRouteBackendProtocolH2C", "HTTPRouteBackendProtocolWebSocket",
          "HTTPRouteBackendRequestHeaderModification", "HTTPRouteBackendTimeout", "HTTPRouteCORS",
          "HTTPRouteDestinationPortMatching", "HTTPRouteHostRewrite", "HTTPRouteMethodMatching",
          "HTTPRouteNamedRouteRule", "HTTPRouteParentRefPort", "HTTPRoutePathRedirect", "HTTPRoutePathRewrite",
          "HTTPRoutePortRedirect", "HTTPRouteQueryParamMatching", "HTTPRouteRequestMirror",
          "HTTPRouteRequestMultipleMirrors", "HTTPRouteRequestPercentageMirror", "HTTPRouteRequestTimeout",
          "HTTPRouteResponseHeaderModification", "HTTPRouteSchemeRedirect"),
    # conformance/reports/v1.4.0/envoy-gateway/experimental-v1.6.0-default-report.yaml
    _impl("envoy-gateway", "Envoy Gateway", "v1.6.0", "gateway.envoyproxy.io/gatewayclass-controller",
          "envoy-gateway/experimental-v1.6.0-default-report.yaml",
          "GatewayAddressEmpty", "GatewayHTTPListenerIsolation", "GatewayPort8080", "HTTPRouteBackendProtocolH2C",
          "HTTPRouteBackendProtocolWebSocket", "HTTPRouteBackendRequestHeaderModification", "HTTPRouteBackendTimeout",
          "HTTPRouteCORS", "HTTPRouteDestinationPortMatching", "HTTPRouteHostRewrite", "HTTPRouteMethodMatching",
          "HTTPRouteNamedRouteRule", "HTTPRouteParentRefPort", "HTTPRoutePathRedirect", "HTTPRoutePathRewrite",
          "HTTPRoutePortRedirect", "HTTPRouteQueryParamMatching", "HTTPRouteRequestMirror",
          "HTTPRouteRequestMultipleMirrors", "HTTPRouteRequestPercentageMirror", "HTTPRouteRequestTimeout",
          "HTTPRouteResponseHeaderModification", "HTTPRouteSchemeRedirect"),
    # conformance/reports/v1.4.0/cilium/experimental-v1.19.0-pre.2-default-report.yaml
    _impl("cilium", "Cilium", "1.19.0-pre.2", "io.cilium/gateway-controller",
          "cilium/experimental-v1.19.0-pre.2-default-report.yaml",
          "GatewayAddressEmpty", "GatewayHTTPListenerIsolation", "GatewayInfrastructurePropagation", "GatewayPort8080",
          "GatewayStaticAddresses", "HTTPRouteBackendProtocolH2C", "HTTPRouteBackendProtocolWebSocket",
          "HTTPRouteBackendRequestHeaderModification", "HTTPRouteBackendTimeout", "HTTPRouteDestinationPortMatching",
          "HTTPRouteHostRewrite", "HTTPRouteMethodMatching", "HTTPRouteNamedRouteRule", "HTTPRoutePathRedirect",
          "HTTPRoutePathRewrite", "HTTPRoutePortRedirect", "HTTPRouteQueryParamMatching", "HTTPRouteRequestMirror",
          "HTTPRouteRequestMultipleMirrors", "HTTPRouteRequestPercentageMirror", "HTTPRouteRequestTimeout",
          "HTTPRouteResponseHeaderModification", "HTTPRouteSchemeRedirect"),
    # conformance/reports/v1.4.0/nginx-nginx-gateway-fabric/experimental-2.3.0-default-report.yaml
    _impl("nginx-gateway-fabric", "NGINX Gateway Fabric", "v2.3.0", "gateway.nginx.org/nginx-gateway-controller",
          "nginx-nginx-gateway-fabric/experimental-2.3.0-default-report.yaml",
          "GatewayAddressEmpty", "GatewayHTTPListenerIsolation", "GatewayInfrastructurePropagation", "GatewayPort8080",
          "GatewayStaticAddresses", "HTTPRouteBackendProtocolWebSocket", "HTTPRouteDestinationPortMatching",
          "HTTPRouteHostRewrite", "HTTPRouteMethodMatching", "HTTPRouteParentRefPort", "HTTPRoutePathRedirect",
          "HTTPRoutePathRewrite", "HTTPRoutePortRedirect", "HTTPRouteQueryParamMatching", "HTTPRouteRequestMirror",
          "HTTPRouteRequestMultipleMirrors", "HTTPRouteRequestPercentageMirror", "HTTPRouteResponseHeaderModification",
          "HTTPRouteSchemeRedirect"),
    # conformance/reports/v1.4.0/kgateway/v2.1.0-report.yaml
    _impl("kgateway", "kgateway", "v2.1.0", "kgateway.dev/kgateway", "kgateway/v2.1.0-report.yaml",
          "GatewayAddressEmpty", "HTTPRouteBackendProtocolH2C", "HTTPRouteBackendProtocolWebSocket",
          "HTTPRouteBackendRequestHeaderModification", "HTTPRouteBackendTimeout", "HTTPRouteDestinationPortMatching",
          "HTTPRouteHostRewrite", "HTTPRouteMethodMatching", "HTTPRouteNamedRouteRule", "HTTPRouteParentRefPort",
          "HTTPRoutePathRedirect", "HTTPRoutePathRewrite", "HTTPRoutePortRedirect", "HTTPRouteQueryParamMatching",
          "HTTPRouteRequestMirror", "HTTPRouteRequestTimeout", "HTTPRouteResponseHeaderModification",
          "HTTPRouteSchemeRedirect"),
    # conformance/reports/v1.4.0/traefik-traefik/experimental-v3.6.0-default-report.yaml
    _impl("traefik", "Traefik", "v3.6", "traefik.io/gateway-controller",
          "traefik-traefik/experimental-v3.6.0-default-report.yaml",
          "GatewayPort8080", "HTTPRouteBackendProtocolH2C", "HTTPRouteBackendProtocolWebSocket",
          "HTTPRouteDestinationPortMatching", "HTTPRouteHostRewrite", "HTTPRouteMethodMatching", "HTTPRoutePathRedirect",
          "HTTPRoutePathRewrite", "HTTPRoutePortRedirect", "HTTPRouteQueryParamMatching",
          "HTTPRouteResponseHeaderModification", "HTTPRouteSchemeRedirect"),
)
IMPLEMENTATIONS: dict[str, Implementation] = {impl.controller: impl for impl in _IMPLEMENTATIONS}

# What each feature means in a manifest, for the warning's text.
FEATURE_USES: dict[str, str] = {
    "GatewayHTTPListenerIsolation": "listener isolation (a request served only by the most specific listener)",
    "GatewayPort8080": "a listener on port 8080",
    "GatewayStaticAddresses": "spec.addresses on the Gateway",
    "HTTPRouteBackendProtocolH2C": "a backend Service port with appProtocol kubernetes.io/h2c",
    "HTTPRouteBackendProtocolWebSocket": "a backend Service port with appProtocol kubernetes.io/ws",
    "HTTPRouteBackendRequestHeaderModification": "a RequestHeaderModifier filter on a backendRef",
    "HTTPRouteBackendTimeout": "timeouts.backendRequest",
    "HTTPRouteCORS": "a CORS filter",
    "HTTPRouteHostRewrite": "URLRewrite hostname",
    "HTTPRouteMethodMatching": "a method match",
    "HTTPRouteNamedRouteRule": "a rule name",
    "HTTPRouteParentRefPort": "parentRefs[].port",
    "HTTPRoutePathRedirect": "RequestRedirect path",
    "HTTPRoutePathRewrite": "URLRewrite path",
    "HTTPRoutePortRedirect": "RequestRedirect port",
    "HTTPRouteQueryParamMatching": "a query parameter match",
    "HTTPRouteRequestMirror": "a RequestMirror filter",
    "HTTPRouteRequestMultipleMirrors": "several RequestMirror filters in one rule",
    "HTTPRouteRequestPercentageMirror": "RequestMirror percent or fraction",
    "HTTPRouteRequestTimeout": "timeouts.request",
    "HTTPRouteResponseHeaderModification": "a ResponseHeaderModifier filter",
    "HTTPRouteSchemeRedirect": "RequestRedirect scheme",
    "HTTPRoute303RedirectStatusCode": "RequestRedirect statusCode 303",
    "HTTPRoute307RedirectStatusCode": "RequestRedirect statusCode 307",
    "HTTPRoute308RedirectStatusCode": "RequestRedirect statusCode 308",
    "GatewayHTTPSListenerDetectMisdirectedRequests": "421 Misdirected Request for a Host another listener serves",
}


def implementation_for(controller: str) -> Implementation | None:
    return IMPLEMENTATIONS.get(controller)


def matrix() -> list[dict[str, object]]:
    """The table docs/gateway-api.md shows: one row per feature, one column per implementation."""
    return [
        {"feature": feature, **{impl.key: impl.support(feature) == "supported" for impl in _IMPLEMENTATIONS}}
        for feature in sorted(V1_4_FEATURES)
    ]
