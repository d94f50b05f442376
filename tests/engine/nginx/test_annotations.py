"""parse_annotations: risk levels, strict and lenient parsers, location-denied problems (ingress-nginx#1.4, #11)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tracer.engine.dataplanes.ingress_nginx.annotations import RISK, IngressAnnotations, parse_annotations
from tracer.engine.dataplanes.ingress_nginx.config import ControllerConfig
from tracer.engine.snapshot import K8sObject, Snapshot, Source

P = "nginx.ingress.kubernetes.io/"
DEFAULT = ControllerConfig()
CRITICAL = replace(DEFAULT, annotations_risk_level="Critical")
SNIPPETS_ON = replace(CRITICAL, allow_snippet_annotations=True)


def obj(body: dict[str, Any]) -> K8sObject:
    return K8sObject(body=body, source=Source("t.yaml", 0, 1))


def ingress(annotations: dict[str, str], *, ns: str = "default", name: str = "web") -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": ns, "annotations": {P + k: v for k, v in annotations.items()}},
        "spec": {"rules": [{"host": "a.example.com"}]},
    }


def secret(name: str, ns: str = "default") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns}, "type": "Opaque"}


def service(name: str, ns: str = "default") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"ports": [{"port": 80}]},
    }


def parse(
    annotations: dict[str, str], config: ControllerConfig = DEFAULT, *extra: dict[str, Any]
) -> IngressAnnotations:
    ing = obj(ingress(annotations))
    snapshot = Snapshot.from_objects([ing, *(obj(e) for e in extra)])
    return parse_annotations(ing, config, snapshot)


def codes(ann: IngressAnnotations) -> set[str]:
    return {d.code for d in ann.diagnoses}


def invalid(suffix: str, value: str, why: str) -> str:
    """The reason a strict validator gives when it drops the Ingress (ingress-nginx#1.4)."""
    return f'{P}{suffix}: "{value}" {why}'


INVALID = "INGRESS_DROPPED_INVALID_ANNOTATION"


# ---- 11.1 / 11.2 risk levels and snippets ----


def test_11_1_risk_table_levels() -> None:
    for key in ("configuration-snippet", "server-snippet", "auth-snippet", "modsecurity-snippet", "stream-snippet"):
        assert RISK[key] == "Critical"
    for key in (
        "server-alias",
        "auth-url",
        "auth-signin",
        "auth-tls-error-page",
        "auth-tls-match-cn",
        "mirror-target",
        "mirror-host",
        "modsecurity-transaction-id",
        "proxy-ssl-name",
        "upstream-hash-by",
    ):
        assert RISK[key] == "High"
    assert RISK["rewrite-target"] == "Medium" and RISK["allowlist-source-range"] == "Medium"
    assert RISK["whitelist-source-range"] == "Medium"
    assert RISK["ssl-redirect"] == "Low" and RISK["backend-protocol"] == "Low" and RISK["upstream-vhost"] == "Low"


def test_11_2_snippet_with_level_high_drops_ingress() -> None:
    ann = parse({"configuration-snippet": "more_set_headers 'X: y';"})
    assert ann.dropped == f"annotation risk above annotations-risk-level High: {P}configuration-snippet (Critical)"
    assert "INGRESS_DROPPED_SNIPPET" in codes(ann)
    fix = next(d.fix for d in ann.diagnoses if d.code == "INGRESS_DROPPED_SNIPPET")
    assert "allow-snippet-annotations" in fix and "Critical" in fix


def test_11_2_snippet_with_level_critical_but_not_allowed_is_dropped_silently() -> None:
    ann = parse({"configuration-snippet": "more_set_headers 'X: y';", "ssl-redirect": "false"}, CRITICAL)
    assert ann.dropped is None
    assert ann.snippets.configuration is None
    assert ann.redirect.ssl is False
    assert "SNIPPET_DROPPED" in codes(ann)


def test_11_2_snippet_kept_when_allowed_and_critical() -> None:
    ann = parse({"server-snippet": "location /x { return 200; }"}, SNIPPETS_ON)
    assert ann.dropped is None and ann.snippets.server == "location /x { return 200; }"


def test_11_2_high_annotation_with_level_medium_drops() -> None:
    ann = parse({"auth-url": "http://auth.example.com/"}, replace(DEFAULT, annotations_risk_level="Medium"))
    assert ann.dropped == f"annotation risk above annotations-risk-level Medium: {P}auth-url (High)"
    assert "INGRESS_DROPPED_RISKY_ANNOTATION" in codes(ann)
    assert any('"High"' in d.fix for d in ann.diagnoses)


def test_11_2_high_annotation_allowed_at_default_level() -> None:
    ann = parse({"auth-url": "http://auth.example.com/verify"})
    assert ann.dropped is None and ann.external_auth.url == "http://auth.example.com/verify"


def test_11_2_alias_counts_for_risk() -> None:
    ann = parse({"whitelist-source-range": "10.0.0.0/8"}, replace(DEFAULT, annotations_risk_level="Low"))
    assert ann.dropped == f"annotation risk above annotations-risk-level Low: {P}whitelist-source-range (Medium)"
    assert codes(ann) == {"INGRESS_DROPPED_RISKY_ANNOTATION"}


def test_1_4_word_blocklist_drops() -> None:
    cfg = replace(DEFAULT, annotation_value_word_blocklist="load_module,lua_package")
    ann = parse({"rewrite-target": "/lua_package"}, cfg)
    assert ann.dropped == f'{P}rewrite-target contains the blocked word "lua_package"'
    assert codes(ann) == {"INGRESS_DROPPED_BLOCKED_WORD"}


def test_11_1_custom_annotations_prefix() -> None:
    cfg = replace(DEFAULT, annotations_prefix="custom.io")
    ing = obj(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {
                "name": "x",
                "namespace": "default",
                "annotations": {"custom.io/ssl-redirect": "false", P + "force-ssl-redirect": "true"},
            },
        }
    )
    ann = parse_annotations(ing, cfg, Snapshot.from_objects([ing]))
    assert ann.redirect.ssl is False and ann.redirect.force_ssl is None


def test_11_1_unknown_annotation_is_reported() -> None:
    ann = parse({"rewrite-targets": "/"})
    assert ann.dropped is None and "UNKNOWN_ANNOTATION" in codes(ann)


# ---- 1.4 strict validators ----


@pytest.mark.parametrize("value", ["https://example.com/a b", "https://example.com/%20", "https://example.com/#frag"])
def test_1_4_permanent_redirect_bad_charset_drops(value: str) -> None:
    ann = parse({"permanent-redirect": value})
    assert ann.dropped == invalid(
        "permanent-redirect", value, "fails validation (characters outside A-Za-z0-9-._~/:,?&=)"
    )
    assert codes(ann) == {INVALID}


def test_1_4_upstream_vhost_invalid_drops() -> None:
    ann = parse({"upstream-vhost": "bad host!"})
    assert ann.dropped == invalid("upstream-vhost", "bad host!", "fails validation (not a valid server name)")
    assert codes(ann) == {INVALID}


def test_1_4_x_forwarded_prefix_invalid_drops() -> None:
    ann = parse({"x-forwarded-prefix": "/api?x=1"})
    why = "fails validation (only A-Za-z0-9-._~/:$ are allowed)"
    assert ann.dropped == invalid("x-forwarded-prefix", "/api?x=1", why)
    assert codes(ann) == {INVALID}
    assert parse({"x-forwarded-prefix": "/api"}).rewrite.x_forwarded_prefix == "/api"


def test_1_4_auth_type_capitalised_drops() -> None:
    # authTypeRegex is case-sensitive; its validation error propagates.
    ann = parse({"auth-type": "Basic", "auth-secret": "s"}, DEFAULT, secret("s"))
    assert ann.dropped == invalid("auth-type", "Basic", 'is not "basic" or "digest" (lower case)')
    assert codes(ann) == {INVALID}


# ---- 5.2 redirects ----


def test_5_2_permanent_redirect_default_code() -> None:
    ann = parse({"permanent-redirect": "https://www.example.com/new"})
    assert ann.redirect.permanent == ("https://www.example.com/new", 301)


def test_5_2_permanent_redirect_custom_and_out_of_range_code() -> None:
    assert parse({"permanent-redirect": "/x", "permanent-redirect-code": "308"}).redirect.permanent == ("/x", 308)
    assert parse({"permanent-redirect": "/x", "permanent-redirect-code": "309"}).redirect.permanent == ("/x", 301)


def test_5_2_temporal_redirect_wins_and_code_range() -> None:
    ann = parse(
        {"permanent-redirect": "https://a.com/", "temporal-redirect": "https://b.com/", "temporal-redirect-code": "308"}
    )
    assert ann.redirect.temporal == ("https://b.com/", 302)
    assert ann.redirect.permanent is None
    assert parse({"temporal-redirect": "https://b.com/", "temporal-redirect-code": "307"}).redirect.temporal == (
        "https://b.com/",
        307,
    )


def test_5_2_temporal_redirect_must_be_http() -> None:
    ann = parse({"temporal-redirect": "/relative"})
    assert ann.dropped is None and ann.redirect.temporal is None and ann.warnings


def test_5_2_redirect_code_not_a_number_drops() -> None:
    ann = parse({"permanent-redirect": "/x", "permanent-redirect-code": "abc"})
    assert ann.dropped == invalid("permanent-redirect-code", "abc", "is not a whole number")
    assert codes(ann) == {INVALID}


def test_5_2_relative_redirects_and_www() -> None:
    ann = parse({"relative-redirects": "true", "from-to-www-redirect": "true"})
    assert ann.redirect.relative and ann.redirect.from_to_www


# ---- 4 rewrite family (lenient) ----


def test_4_1_rewrite_target_valid() -> None:
    ann = parse({"rewrite-target": "/$2", "use-regex": "true"})
    assert ann.rewrite.target == "/$2" and ann.rewrite.use_regex


def test_4_1_invalid_rewrite_target_ignored_with_warning() -> None:
    ann = parse({"rewrite-target": "/new?x=1"})
    assert ann.dropped is None and ann.rewrite.target is None
    assert "REWRITE_TARGET_INVALID" in codes(ann)


def test_4_3_app_root_absolute_url_ignored() -> None:
    assert parse({"app-root": "/app1"}).rewrite.app_root == "/app1"
    ann = parse({"app-root": "https://x.com/app"})
    assert ann.rewrite.app_root is None and ann.dropped is None


def test_5_1_ssl_redirect_invalid_bool_falls_back() -> None:
    ann = parse({"ssl-redirect": "nope", "force-ssl-redirect": "true"})
    assert ann.redirect.ssl is None and ann.redirect.force_ssl is True
    assert "ANNOTATION_VALUE_IGNORED" in codes(ann)


# ---- 8.1 timeouts, 8.6 body size ----


def test_8_1_timeout_with_units_falls_back() -> None:
    ann = parse({"proxy-read-timeout": "3600s", "proxy-send-timeout": "3600"})
    assert ann.proxy.read_timeout is None and ann.proxy.send_timeout == 3600
    diag = next(d for d in ann.diagnoses if d.code == "TIMEOUT_WITH_UNITS_IGNORED")
    assert "web" in diag.message and "proxy-read-timeout" in diag.message
    assert f'{P}proxy-read-timeout: "3600"' in diag.fix


def test_8_6_proxy_body_size() -> None:
    assert parse({"proxy-body-size": "8m"}).proxy.body_size == 8 * 1024 * 1024
    assert parse({"proxy-body-size": "0"}).proxy.body_size == 0
    ann = parse({"proxy-body-size": "lots"})
    assert ann.proxy.body_size is None and ann.warnings


# ---- 7 canary ----


def test_7_1_canary_annotations_without_canary_ignored() -> None:
    ann = parse({"canary-weight": "50", "canary-by-header": "X-Canary"})
    assert ann.canary is None and ann.dropped is None
    assert "CANARY_ANNOTATIONS_WITHOUT_CANARY" in codes(ann)


def test_7_3_canary_weight_total() -> None:
    ann = parse({"canary": "true", "canary-weight": "100", "canary-weight-total": "200"})
    assert ann.canary is not None and ann.canary.weight == 100 and ann.canary.weight_total == 200
    small = parse({"canary": "true", "canary-weight": "5", "canary-weight-total": "50"})
    assert small.canary is not None and small.canary.weight_total == 100


def test_7_3_canary_header_fields() -> None:
    ann = parse(
        {
            "canary": "true",
            "canary-by-header": "X-C",
            "canary-by-header-value": "yes",
            "canary-by-header-pattern": "^a.*",
            "canary-by-cookie": "c",
        }
    )
    assert ann.canary is not None
    assert (ann.canary.by_header, ann.canary.by_header_value, ann.canary.by_header_pattern, ann.canary.by_cookie) == (
        "X-C",
        "yes",
        "^a.*",
        "c",
    )


# ---- 9 access annotations ----


def test_9_1_allowlist_alias_and_normalisation() -> None:
    ann = parse({"whitelist-source-range": "10.1.2.3/8, 192.168.0.5"})
    assert ann.access.allowlist == ("10.0.0.0/8", "192.168.0.5")


def test_9_1_unparsable_cidr_denies_locations() -> None:
    ann = parse({"allowlist-source-range": "10.0.0.0/8,not-an-ip"})
    assert ann.dropped is None and ann.denied is not None
    assert "CIDR_LIST_INVALID" in codes(ann)


def test_9_1_configmap_allowlist_is_default() -> None:
    ann = parse({}, replace(DEFAULT, whitelist_source_range=("10.0.0.0/8",)))
    assert ann.access.allowlist == ("10.0.0.0/8",)
    assert parse(
        {"allowlist-source-range": "1.2.3.4"}, replace(DEFAULT, whitelist_source_range=("10.0.0.0/8",))
    ).access.allowlist == ("1.2.3.4",)


def test_9_2_missing_auth_secret_denies() -> None:
    ann = parse({"auth-type": "basic", "auth-secret": "basic-auth"})
    assert ann.denied is not None and "AUTH_SECRET_MISSING" in codes(ann)


def test_9_2_auth_secret_present() -> None:
    ann = parse(
        {"auth-type": "basic", "auth-secret": "basic-auth", "auth-realm": "Auth Required"},
        DEFAULT,
        secret("basic-auth"),
    )
    assert ann.denied is None
    auth = ann.basic_auth
    assert (auth.type, auth.secret, auth.realm) == ("basic", "default/basic-auth", "Auth Required")


def test_9_2_cross_namespace_secret_denied_by_default() -> None:
    ann = parse({"auth-type": "basic", "auth-secret": "other/basic-auth"}, DEFAULT, secret("basic-auth", "other"))
    assert ann.denied == f"{P}auth-secret: refers to Secret other/basic-auth in another namespace, which is not allowed"
    assert codes(ann) == {"AUTH_SECRET_MISSING"}
    allowed = parse(
        {"auth-type": "basic", "auth-secret": "other/basic-auth"},
        replace(DEFAULT, allow_cross_namespace_resources=True),
        secret("basic-auth", "other"),
    )
    assert allowed.denied is None


def test_9_3_invalid_auth_url_denies() -> None:
    ann = parse({"auth-url": "https://invalid..auth.url"})
    assert ann.denied is not None and ann.dropped is None
    assert "AUTH_URL_INVALID" in codes(ann)


def test_9_3_auth_url_bad_characters_drop() -> None:
    ann = parse({"auth-url": 'http://auth/"x'})
    why = "fails validation (characters outside A-Za-z0-9-._~/:,?&=$)"
    assert ann.dropped == invalid("auth-url", 'http://auth/"x', why)
    assert codes(ann) == {INVALID}


def test_9_3_auth_fields() -> None:
    ann = parse(
        {
            "auth-url": "http://oauth2-proxy.auth.svc.cluster.local/oauth2/auth",
            "auth-signin": "https://login.example.com/oauth2/start?rd=$escaped_request_uri",
            "auth-response-headers": "X-Auth-Request-User, X-Auth-Request-Email",
            "auth-method": "POST",
        }
    )
    assert ann.external_auth.signin == "https://login.example.com/oauth2/start?rd=$escaped_request_uri"
    assert ann.external_auth.response_headers == ("X-Auth-Request-User", "X-Auth-Request-Email")
    assert ann.external_auth.method == "POST"


# ---- 9.6 CORS ----


def test_9_6_cors_defaults() -> None:
    ann = parse({"enable-cors": "true"})
    assert ann.cors.enabled and ann.cors.allow_origin == ("*",) and ann.cors.max_age == 1728000
    assert ann.cors.allow_methods == "GET, PUT, POST, DELETE, PATCH, OPTIONS" and ann.cors.allow_credentials


def test_9_6_cors_origin_list_and_invalid_entries() -> None:
    ann = parse({"enable-cors": "true", "cors-allow-origin": "https://a.com, https://*.b.com:8443, null"})
    assert ann.cors.allow_origin == ("https://a.com", "https://*.b.com:8443", "null")
    star = parse({"enable-cors": "true", "cors-allow-origin": "https://a.com, *"})
    assert star.cors.allow_origin == ("*",)
    broken = parse({"enable-cors": "true", "cors-allow-origin": "https://a.com/path"})
    assert broken.cors.allow_origin == ("*",) and "CORS_ORIGIN_INVALID" in codes(broken)


def test_9_6_cors_methods_validated() -> None:
    assert parse({"enable-cors": "true", "cors-allow-methods": "GET, POST"}).cors.allow_methods == "GET, POST"
    assert parse({"cors-allow-methods": "GET;rm"}).cors.allow_methods == "GET, PUT, POST, DELETE, PATCH, OPTIONS"


# ---- 10 backend protocol and upstream TLS ----


def test_10_1_backend_protocol_case_insensitive_and_invalid() -> None:
    assert parse({"backend-protocol": "https"}).backend.protocol == "HTTPS"
    ann = parse({"backend-protocol": "h2"})
    assert ann.backend.protocol == "HTTP" and ann.warnings


def test_10_2_proxy_ssl_settings_ignored_without_secret() -> None:
    ann = parse({"proxy-ssl-server-name": "on", "proxy-ssl-verify": "on"})
    assert ann.proxy_ssl.server_name is False and ann.proxy_ssl.verify is False
    assert "PROXY_SSL_WITHOUT_SECRET" in codes(ann)


def test_10_2_missing_proxy_ssl_secret_denies() -> None:
    ann = parse({"proxy-ssl-secret": "default/ca"})
    assert ann.denied is not None and "PROXY_SSL_SECRET_MISSING" in codes(ann)
    ok = parse(
        {"proxy-ssl-secret": "default/ca", "proxy-ssl-verify": "on", "proxy-ssl-server-name": "on"},
        DEFAULT,
        secret("ca"),
    )
    assert ok.denied is None and ok.proxy_ssl.verify and ok.proxy_ssl.server_name


def test_10_2_proxy_ssl_secret_needs_namespace() -> None:
    ann = parse({"proxy-ssl-secret": "ca"}, DEFAULT, secret("ca"))
    assert ann.denied == f'{P}proxy-ssl-secret: value "ca" is not in the form namespace/name'
    assert codes(ann) == {"PROXY_SSL_SECRET_MISSING"}


# ---- 6 backends ----


def test_6_7_default_backend_annotation() -> None:
    assert parse({"default-backend": "errors"}, DEFAULT, service("errors")).backend.default_backend == "errors"
    missing = parse({"default-backend": "errors"})
    assert missing.backend.default_backend is None and "DEFAULT_BACKEND_SERVICE_MISSING" in codes(missing)
    bad = parse({"default-backend": "Bad_Name"})
    assert bad.dropped == invalid("default-backend", "Bad_Name", "fails validation (not a Service name)")
    assert codes(bad) == {INVALID}


def test_6_7_custom_http_errors() -> None:
    assert parse({"custom-http-errors": "404, 503"}).backend.custom_http_errors == (404, 503)
    ann = parse({"custom-http-errors": "200"})
    assert ann.dropped == invalid("custom-http-errors", "200", "fails validation (not a list of 4xx/5xx codes)")
    assert codes(ann) == {INVALID}


def test_6_6_service_upstream() -> None:
    assert parse({"service-upstream": "true"}).backend.service_upstream is True
    assert parse({}, replace(DEFAULT, service_upstream=True)).backend.service_upstream is True
    not_boolean = parse({"service-upstream": "maybe"}, replace(DEFAULT, service_upstream=True))
    assert not_boolean.backend.service_upstream is False


def test_12_1_load_balance_invalid_drops() -> None:
    assert parse({"load-balance": "ewma"}).backend.load_balance == "ewma"
    ann = parse({"load-balance": "least_conn"})
    assert ann.dropped == invalid(
        "load-balance",
        "least_conn",
        "is not one of round_robin, chash, chashsubset, sticky_balanced, sticky_persistent, ewma",
    )
    assert codes(ann) == {INVALID}


# ---- 12 affinity ----


def test_12_2_affinity_defaults() -> None:
    ann = parse({"affinity": "cookie"})
    assert ann.affinity is not None
    assert (ann.affinity.cookie_name, ann.affinity.mode, ann.affinity.cookie_path) == (
        "INGRESSCOOKIE",
        "balanced",
        None,
    )


def test_12_2_affinity_attributes() -> None:
    ann = parse(
        {
            "affinity": "cookie",
            "affinity-mode": "persistent",
            "session-cookie-name": "route",
            "session-cookie-path": "/app",
            "session-cookie-max-age": "3600",
            "session-cookie-samesite": "Lax",
            "session-cookie-secure": "true",
        }
    )
    a = ann.affinity
    assert a is not None
    assert (a.mode, a.cookie_name, a.cookie_path, a.max_age, a.samesite, a.secure) == (
        "persistent",
        "route",
        "/app",
        "3600",
        "Lax",
        True,
    )


def test_2_7_server_alias() -> None:
    ann = parse({"server-alias": "b.example.com, c.example.com"})
    assert ann.backend.server_alias == ("b.example.com", "c.example.com")
