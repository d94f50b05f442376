"""Which annotations an Ingress may carry at all: the risk table, the value blocklist, unknown names.

These checks run before any group is parsed. A known annotation riskier than annotations-risk-level,
or a value containing a word of annotation-value-word-blocklist, drops the whole Ingress
(ingress-nginx#1.4, #11.1-11.2); an unknown name is only reported.
"""

from __future__ import annotations

from ..config import RISK_LEVELS
from .parser import IngressDropped, Parser

# Annotation risk (docs/user-guide/nginx-configuration/annotations-risk.md; ingress-nginx#11.1).
RISK: dict[str, str] = {
    "server-alias": "High",
    "allowlist-source-range": "Medium",
    "whitelist-source-range": "Medium",  # alias of allowlist-source-range
    "backend-protocol": "Low",
    "auth-realm": "Medium",
    "auth-secret": "Medium",
    "auth-secret-type": "Low",
    "auth-type": "Low",
    "canary": "Low",
    "canary-by-cookie": "Medium",
    "canary-by-header": "Medium",
    "canary-by-header-pattern": "Medium",
    "canary-by-header-value": "Medium",
    "canary-weight": "Low",
    "canary-weight-total": "Low",
    "auth-tls-error-page": "High",
    "auth-tls-match-cn": "High",
    "auth-tls-pass-certificate-to-upstream": "Low",
    "auth-tls-secret": "Medium",
    "auth-tls-verify-client": "Medium",
    "auth-tls-verify-depth": "Low",
    "client-body-buffer-size": "Low",
    "configuration-snippet": "Critical",
    "connection-proxy-header": "Low",
    "cors-allow-credentials": "Low",
    "cors-allow-headers": "Medium",
    "cors-allow-methods": "Medium",
    "cors-allow-origin": "Medium",
    "cors-expose-headers": "Medium",
    "cors-max-age": "Low",
    "enable-cors": "Low",
    "custom-http-errors": "Low",
    "custom-headers": "Medium",
    "default-backend": "Low",
    "denylist-source-range": "Medium",
    "disable-proxy-intercept-errors": "Low",
    "enable-global-auth": "Low",
    "auth-always-set-cookie": "Low",
    "auth-cache-duration": "Medium",
    "auth-cache-key": "Medium",
    "auth-keepalive": "Low",
    "auth-keepalive-requests": "Low",
    "auth-keepalive-share-vars": "Low",
    "auth-keepalive-timeout": "Low",
    "auth-method": "Low",
    "auth-proxy-set-headers": "Medium",
    "auth-request-redirect": "Medium",
    "auth-response-headers": "Medium",
    "auth-signin": "High",
    "auth-signin-redirect-param": "Medium",
    "auth-snippet": "Critical",
    "auth-url": "High",
    "fastcgi-index": "Medium",
    "fastcgi-params-configmap": "Medium",
    "http2-push-preload": "Low",
    "load-balance": "Low",
    "enable-access-log": "Low",
    "enable-rewrite-log": "Low",
    "mirror-host": "High",
    "mirror-request-body": "Low",
    "mirror-target": "High",
    "enable-modsecurity": "Low",
    "enable-owasp-core-rules": "Low",
    "modsecurity-snippet": "Critical",
    "modsecurity-transaction-id": "High",
    "enable-opentelemetry": "Low",
    "opentelemetry-operation-name": "Medium",
    "opentelemetry-trust-incoming-span": "Low",
    "proxy-body-size": "Medium",
    "proxy-buffer-size": "Low",
    "proxy-busy-buffers-size": "Low",
    "proxy-buffering": "Low",
    "proxy-buffers-number": "Low",
    "proxy-connect-timeout": "Low",
    "proxy-cookie-domain": "Medium",
    "proxy-cookie-path": "Medium",
    "proxy-http-version": "Low",
    "proxy-max-temp-file-size": "Low",
    "proxy-next-upstream": "Medium",
    "proxy-next-upstream-timeout": "Low",
    "proxy-next-upstream-tries": "Low",
    "proxy-read-timeout": "Low",
    "proxy-redirect-from": "Medium",
    "proxy-redirect-to": "Medium",
    "proxy-request-buffering": "Low",
    "proxy-send-timeout": "Low",
    "proxy-ssl-ciphers": "Medium",
    "proxy-ssl-name": "High",
    "proxy-ssl-protocols": "Low",
    "proxy-ssl-secret": "Medium",
    "proxy-ssl-server-name": "Low",
    "proxy-ssl-verify": "Low",
    "proxy-ssl-verify-depth": "Low",
    "limit-allowlist": "Low",
    "limit-whitelist": "Low",  # alias of limit-allowlist
    "limit-burst-multiplier": "Low",
    "limit-connections": "Low",
    "limit-rate": "Low",
    "limit-rate-after": "Low",
    "limit-rpm": "Low",
    "limit-rps": "Low",
    "from-to-www-redirect": "Low",
    "permanent-redirect": "Medium",
    "permanent-redirect-code": "Low",
    "temporal-redirect": "Medium",
    "temporal-redirect-code": "Low",
    "relative-redirects": "Low",
    "app-root": "Medium",
    "force-ssl-redirect": "Medium",
    "preserve-trailing-slash": "Medium",
    "rewrite-target": "Medium",
    "ssl-redirect": "Low",
    "use-regex": "Low",
    "ssl-ciphers": "Low",
    "ssl-prefer-server-ciphers": "Low",
    "ssl-passthrough": "Low",
    "satisfy": "Low",
    "server-snippet": "Critical",
    "service-upstream": "Low",
    "affinity": "Low",
    "affinity-canary-behavior": "Low",
    "affinity-mode": "Medium",
    "session-cookie-change-on-failure": "Low",
    "session-cookie-conditional-samesite-none": "Low",
    "session-cookie-domain": "Medium",
    "session-cookie-expires": "Medium",
    "session-cookie-max-age": "Medium",
    "session-cookie-name": "Medium",
    "session-cookie-path": "Medium",
    "session-cookie-samesite": "Low",
    "session-cookie-secure": "Low",
    "stream-snippet": "Critical",
    "upstream-hash-by": "High",
    "upstream-hash-by-subset": "Low",
    "upstream-hash-by-subset-size": "Low",
    "upstream-vhost": "Low",
    "use-port-in-redirects": "Low",
    "x-forwarded-prefix": "Medium",
}

SNIPPET_ANNOTATIONS = (
    "configuration-snippet",
    "server-snippet",
    "auth-snippet",
    "modsecurity-snippet",
    "stream-snippet",
)


def check_blocklist(p: Parser) -> None:
    """annotation-value-word-blocklist: substring match on every prefixed annotation value (store.go)."""
    blocklist = p.config.annotation_value_word_blocklist
    if not blocklist:
        return
    words = blocklist.strip().split(",")  # like the controller: words are not trimmed individually
    for suffix, value in sorted(p.raw.items()):
        for word in words:
            if word in value:
                p.dropped = f'{p.key(suffix)} contains the blocked word "{word}"'
                p.diag(
                    "INGRESS_DROPPED_BLOCKED_WORD",
                    "error",
                    f'Ingress {p.name} is ignored: {p.key(suffix)} contains "{word}", which is in the '
                    f"ConfigMap annotation-value-word-blocklist. Its hosts answer 404.",
                    f'Remove "{word}" from {p.key(suffix)}, or remove it from annotation-value-word-blocklist '
                    f"in ConfigMap {p.config.configmap or 'ingress-nginx-controller'}.",
                    "ingress-nginx#1.4",
                )
                raise IngressDropped(p.dropped)


def check_risk(p: Parser) -> None:
    """Any known annotation with risk above annotations-risk-level drops the Ingress (ingress-nginx#11.1-11.2)."""
    level = p.config.risk_rank
    risky = sorted(s for s in p.raw if s in RISK and RISK_LEVELS.index(RISK[s]) > level)
    if not risky:
        return
    worst = max(RISK_LEVELS.index(RISK[s]) for s in risky)
    listed = ", ".join(f"{p.key(s)} ({RISK[s]})" for s in risky)
    p.dropped = f"annotation risk above annotations-risk-level {p.config.annotations_risk_level}: {listed}"
    snippets = [s for s in risky if s in SNIPPET_ANNOTATIONS]
    cm = p.config.configmap or "ingress-nginx/ingress-nginx-controller"
    if snippets:
        code = "INGRESS_DROPPED_SNIPPET"
        fix = (
            f"Remove {', '.join(p.key(s) for s in snippets)}, or (if you accept the risk) set both "
            f'allow-snippet-annotations: "true" and annotations-risk-level: "Critical" in ConfigMap {cm}.'
        )
    else:
        code = "INGRESS_DROPPED_RISKY_ANNOTATION"
        fix = (
            f"Remove {', '.join(p.key(s) for s in risky)}, or raise annotations-risk-level to "
            f'"{RISK_LEVELS[worst]}" in ConfigMap {cm}.'
        )
    p.diag(
        code,
        "error",
        f"Ingress {p.name} is silently ignored by the controller: {listed} exceeds annotations-risk-level "
        f'"{p.config.annotations_risk_level}". All its hosts answer 404 (the admission webhook, if enabled, '
        "would reject it instead).",
        fix,
        "ingress-nginx#11.2",
    )
    raise IngressDropped(p.dropped)


def check_unknown(p: Parser) -> None:
    """Names under the prefix that no parser reads: reported, never fatal (ingress-nginx#11.1)."""
    for suffix in sorted(p.raw):
        if suffix not in RISK:
            p.warnings.append(f"Ingress {p.name}: {p.key(suffix)} is not an ingress-nginx annotation; ignored")
            p.diag(
                "UNKNOWN_ANNOTATION",
                "info",
                f"Ingress {p.name}: {p.key(suffix)} is not an annotation ingress-nginx knows; it has no effect.",
                "Check the spelling against docs/user-guide/nginx-configuration/annotations.md.",
                "ingress-nginx#11.1",
            )
