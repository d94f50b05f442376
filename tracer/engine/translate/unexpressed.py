"""The ingress-nginx annotations the translation does not express, each with the note it leaves (never silently
dropped). Grouped by the ingress-nginx rule they implement (docs/rules/ingress-nginx.md); the verification looks
for that rule on the ingress-nginx hops of a changed request."""

from __future__ import annotations

from ..dataplanes.ingress_nginx.annotations import IngressAnnotations
from ..snapshot import K8sObject
from .model import Notification

# Annotations some translator module handles (it adds its own notes where it cannot say everything).
HANDLED = frozenset({
    "use-regex", "rewrite-target", "app-root", "ssl-redirect", "force-ssl-redirect", "permanent-redirect",
    "permanent-redirect-code", "temporal-redirect", "temporal-redirect-code", "from-to-www-redirect", "canary",
    "canary-weight", "canary-weight-total", "canary-by-header", "canary-by-header-value", "canary-by-header-pattern",
    "canary-by-cookie", "upstream-vhost", "x-forwarded-prefix", "custom-headers", "backend-protocol",
    "proxy-read-timeout", "proxy-send-timeout",
})

_W, _I = "warning", "info"
# suffix prefix (or full suffix) -> (level, rule id, what it did in ingress-nginx, where Gateway API stands)
GROUPS: tuple[tuple[tuple[str, ...], str, str, str], ...] = (
    (("whitelist-source-range", "allowlist-source-range", "denylist-source-range"), _W, "ingress-nginx#9.1",
     "client address allow/deny list (403 for others); Gateway API v1 has no field for it (implementations have "
     "their own policies, e.g. Envoy Gateway's SecurityPolicy)"),
    (("auth-type", "auth-secret", "auth-secret-type", "auth-realm"), _W, "ingress-nginx#9.2",
     "basic/digest authentication; Gateway API v1 has no field for it"),
    (("auth-url", "auth-signin", "auth-method", "auth-response-headers", "auth-request-redirect", "auth-cache-key",
      "auth-cache-duration", "auth-proxy-set-headers", "auth-snippet", "auth-always-set-cookie", "auth-keepalive",
      "auth-keepalive-requests", "auth-keepalive-share-vars", "auth-keepalive-timeout", "auth-signin-redirect-param",
      "enable-global-auth"), _W, "ingress-nginx#9.3",
     "external authentication; the HTTPRoute ExternalAuth filter is experimental and not in Gateway API v1"),
    (("satisfy",), _W, "ingress-nginx#9.4", "how authentication and allowlists combine; no Gateway API field"),
    (("limit-",), _W, "ingress-nginx#9.5", "rate and connection limits (503 above them); Gateway API v1 has no field "
     "for them"),
    (("enable-cors", "cors-"), _W, "ingress-nginx#9.6",
     "CORS answers; not translated (Gateway API's CORS filter is Extended, HTTPRouteCORS)"),
    (("auth-tls-",), _W, "ingress-nginx#9.7",
     "client-certificate authentication; Gateway API v1 has no per-route field for it"),
    (("configuration-snippet", "server-snippet", "stream-snippet", "modsecurity-snippet"), _W, "ingress-nginx#11.3",
     "raw nginx configuration; it has no Gateway API equivalent and must be rebuilt by hand"),
    (("enable-modsecurity", "enable-owasp-core-rules", "modsecurity-transaction-id"), _W, "ingress-nginx#11.3",
     "the ModSecurity web application firewall; no Gateway API equivalent"),
    (("affinity", "session-cookie-"), _W, "ingress-nginx#12.2",
     "cookie session affinity; Gateway API v1 has no field for it (session persistence is experimental)"),
    (("load-balance", "upstream-hash-by"), _I, "ingress-nginx#12.1",
     "the load-balancing algorithm; implementation-specific in Gateway API"),
    (("custom-http-errors", "default-backend", "disable-proxy-intercept-errors"), _W, "ingress-nginx#6.7",
     "custom error pages from another backend; no Gateway API equivalent"),
    (("proxy-body-size", "client-body-buffer-size"), _W, "ingress-nginx#8.6",
     "the request body limit (413 above it); implementation-specific in Gateway API"),
    (("proxy-connect-timeout", "proxy-next-upstream"), _I, "ingress-nginx#8.1",
     "connect timeout and retries to the next endpoint; HTTPRoute has no connect timeout, and retries are "
     "experimental"),
    (("proxy-redirect-from", "proxy-redirect-to"), _W, "ingress-nginx#8.3",
     "rewriting of the backend's Location headers; no Gateway API equivalent"),
    (("proxy-cookie-domain", "proxy-cookie-path"), _W, "ingress-nginx#8.4",
     "rewriting of the backend's Set-Cookie attributes; no Gateway API equivalent"),
    (("proxy-buffer", "proxy-buffers-number", "proxy-busy-buffers-size", "proxy-max-temp-file-size",
      "proxy-request-buffering", "proxy-http-version", "connection-proxy-header", "client-header-buffer-size"), _I,
     "ingress-nginx#8.7", "nginx buffering settings; implementation-specific in Gateway API"),
    (("proxy-ssl-",), _W, "ingress-nginx#10.2",
     "upstream TLS settings (CA, client certificate, SNI); express them in a BackendTLSPolicy by hand"),
    (("ssl-passthrough",), _W, "ingress-nginx#2.8",
     "TLS passthrough to the backend; needs a TLS listener in Passthrough mode and a TLSRoute"),
    (("server-alias",), _W, "ingress-nginx#2.1", "extra host names of the server; add them to the HTTPRoute hostnames"),
    (("service-upstream",), _I, "ingress-nginx#6.6",
     "proxying to the Service's cluster IP instead of the endpoints; implementation-specific in Gateway API"),
    (("mirror-",), _W, "", "request mirroring; not translated (Gateway API has RequestMirror, "
     "Extended)"),
    (("preserve-trailing-slash", "use-port-in-redirects", "relative-redirects"), _I, "ingress-nginx#5.1",
     "how ingress-nginx writes its redirect Locations; Gateway API's RequestRedirect keeps the path and leaves "
     "default ports out"),
    (("ssl-ciphers", "ssl-prefer-server-ciphers"), _I, "ingress-nginx#2.6",
     "TLS cipher settings; implementation-specific in Gateway API"),
    (("enable-access-log", "enable-rewrite-log", "enable-opentelemetry", "opentelemetry-", "http2-push-preload",
      "fastcgi-"), _I, "ingress-nginx#8.5", "nginx logging, tracing and FastCGI settings; "
     "not translated"),
)


def _group(suffix: str) -> tuple[str, str, str] | None:
    for names, level, rule, words in GROUPS:
        if any(suffix == n or (n.endswith("-") and suffix.startswith(n)) for n in names):
            return level, rule, words
    return None


def unexpressed_notes(ing: K8sObject, ann: IngressAnnotations, *, canary: bool) -> list[Notification]:
    """A note for every annotation of the controller's prefix that no translator module handles."""
    obj = f"Ingress {ing.namespace}/{ing.name}"
    out = []
    for key, value in ing.annotations.items():
        if not key.startswith(ann.prefix):
            continue
        suffix = key[len(ann.prefix):]
        if canary and not suffix.startswith(("canary", "affinity", "session-cookie-", "load-balance",
                                             "upstream-hash-by")):
            out.append(Notification("info", obj, key, "ingress-nginx ignores it on a canary Ingress (the primary "
                                    "Ingress's settings apply to canary traffic); not translated", "translation",
                                    ("ingress-nginx#7.4",)))
            continue
        if suffix in HANDLED:
            continue
        found = _group(suffix)
        if found is None:
            out.append(Notification("warning", obj, key, f"value {value}: an annotation the translation does not know; "
                                    "not translated", "translation"))
            continue
        level, rule, words = found
        # The rule id is the evidence the verification looks for on the ingress-nginx hops; none for behaviour
        # that no hop cites (mirroring), so it is never blamed for a changed outcome.
        out.append(Notification(level, obj, key, f"value {value}: {words}; not translated", "translation",
                                (rule,) if rule else ()))
    return out
