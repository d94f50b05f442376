"""ControllerConfig: controller flags and ConfigMap (ingress-nginx#1, #5, #8, #11 defaults)."""

from __future__ import annotations

from typing import Any

from tracer.engine.dataplanes.ingress_nginx.config import ControllerConfig, read_controller_config
from tracer.engine.dataplanes.ingress_nginx.values import parse_duration_seconds, parse_size
from tracer.engine.snapshot import K8sObject, Snapshot, Source


def obj(body: dict[str, Any]) -> K8sObject:
    return K8sObject(body=body, source=Source("t.yaml", 0, 1))


def controller(
    args: list[str],
    *,
    ns: str = "ingress-nginx",
    name: str = "ingress-nginx-controller",
    kind: str = "Deployment",
    image: str = "registry.k8s.io/ingress-nginx/controller:v1.15.1",
    env: list[dict] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "controller", "image": image, "args": args, "env": env or []}]}
            }
        },
    }


def configmap(data: dict[str, Any], *, ns: str = "ingress-nginx", name: str = "ingress-nginx-controller") -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": data}


def snap(*bodies: dict[str, Any]) -> Snapshot:
    return Snapshot.from_objects([obj(b) for b in bodies])


def test_11_1_defaults_without_controller() -> None:
    cfg = read_controller_config(snap())
    assert cfg == ControllerConfig()
    assert cfg.allow_snippet_annotations is False
    assert cfg.annotations_risk_level == "High"
    assert cfg.ssl_redirect is True and cfg.http_redirect_code == 308
    assert (cfg.proxy_connect_timeout, cfg.proxy_read_timeout, cfg.proxy_send_timeout) == (5, 60, 60)
    assert cfg.proxy_body_size == 1024 * 1024
    assert cfg.hsts and cfg.hsts_include_subdomains and not cfg.hsts_preload and cfg.hsts_max_age == 31536000
    assert cfg.controller_found is False


def test_1_1_flags_from_helm_style_args() -> None:
    dep = controller(
        [
            "/nginx-ingress-controller",
            "--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller",
            "--controller-class=example.com/nginx",
            "--ingress-class=internal",
            "--ingress-class-by-name",
            "--watch-ingress-without-class=true",
            "--configmap=$(POD_NAMESPACE)/custom-config",
            "--default-backend-service=ingress-nginx/default-http-backend",
            "--default-ssl-certificate=ingress-nginx/wildcard",
            "--disable-catch-all=true",
            "--enable-ssl-passthrough",
            "--disable-svc-external-name",
        ],
        env=[{"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}}],
    )
    cfg = read_controller_config(snap(dep, configmap({"use-forwarded-headers": "true"}, name="custom-config")))
    assert cfg.controller_found and cfg.controller_namespace == "ingress-nginx"
    assert cfg.controller_class == "example.com/nginx"
    assert cfg.ingress_class == "internal"
    assert cfg.ingress_class_by_name is True
    assert cfg.watch_ingress_without_class is True
    assert cfg.default_backend_service == "ingress-nginx/default-http-backend"
    assert cfg.default_ssl_certificate == "ingress-nginx/wildcard"
    assert cfg.disable_catch_all and cfg.enable_ssl_passthrough and cfg.disable_svc_external_name
    assert cfg.configmap == "ingress-nginx/custom-config"
    assert cfg.use_forwarded_headers is True
    assert [o["kind"] for o in cfg.objects] == ["Deployment", "ConfigMap"]


def test_1_1_controller_class_argument_overrides_flag() -> None:
    dep = controller(["/nginx-ingress-controller", "--controller-class=a/b"])
    assert read_controller_config(snap(dep), controller_class="x/y").controller_class == "x/y"


def test_1_1_controller_found_by_binary_with_custom_image() -> None:
    dep = controller(
        ["/nginx-ingress-controller", "--ingress-class=foo"], image="mirror.local/ctrl:1", kind="DaemonSet"
    )
    cfg = read_controller_config(snap(dep))
    assert cfg.controller_found and cfg.ingress_class == "foo"


def test_1_1_space_separated_flag_value() -> None:
    dep = controller(["/nginx-ingress-controller", "--ingress-class", "other", "--watch-ingress-without-class"])
    cfg = read_controller_config(snap(dep))
    assert cfg.ingress_class == "other" and cfg.watch_ingress_without_class is True


def test_1_3_watch_namespace_and_selector() -> None:
    cfg = read_controller_config(snap(controller(["/nginx-ingress-controller", "--watch-namespace=apps"])))
    assert cfg.watch_namespace == "apps"
    cfg = read_controller_config(
        snap(controller(["/nginx-ingress-controller", "--watch-namespace-selector=team=a,env==prod"]))
    )
    assert cfg.watch_namespace_selector == {"team": "a", "env": "prod"}


def test_1_3_watch_namespace_and_selector_conflict_warns() -> None:
    dep = controller(["/nginx-ingress-controller", "--watch-namespace=apps", "--watch-namespace-selector=a=b"])
    cfg = read_controller_config(snap(dep))
    assert cfg.watch_namespace == "apps" and cfg.watch_namespace_selector is None
    assert any("mutually exclusive" in w for w in cfg.warnings)


def test_11_1_fallback_configmap_name_in_controller_namespace() -> None:
    dep = controller(["/nginx-ingress-controller"])
    cm = configmap({"allow-snippet-annotations": "true", "annotations-risk-level": "Critical"})
    cfg = read_controller_config(snap(dep, cm))
    assert cfg.allow_snippet_annotations is True and cfg.annotations_risk_level == "Critical"
    assert cfg.configmap == "ingress-nginx/ingress-nginx-controller"


def test_11_1_legacy_configmap_name() -> None:
    dep = controller(["/nginx-ingress-controller"])
    cfg = read_controller_config(snap(dep, configmap({"ssl-redirect": "false"}, name="nginx-configuration")))
    assert cfg.ssl_redirect is False


def test_8_1_configmap_timeout_with_units_falls_back_with_warning() -> None:
    dep = controller(["/nginx-ingress-controller"])
    cfg = read_controller_config(snap(dep, configmap({"proxy-read-timeout": "3600s", "proxy-send-timeout": "120"})))
    assert cfg.proxy_read_timeout == 60
    assert cfg.proxy_send_timeout == 120
    assert any("ingress-nginx/ingress-nginx-controller" in w and "proxy-read-timeout" in w for w in cfg.warnings)


def test_5_1_bad_redirect_code_falls_back() -> None:
    cfg = read_controller_config(
        snap(controller(["/nginx-ingress-controller"]), configmap({"http-redirect-code": "303"}))
    )
    assert cfg.http_redirect_code == 308
    assert any("http-redirect-code" in w for w in cfg.warnings)


def test_8_5_booleans_accept_go_spellings() -> None:
    data = {"use-forwarded-headers": "True", "compute-full-forwarded-for": "1", "hsts": "FALSE", "ssl-redirect": "yes"}
    cfg = read_controller_config(snap(controller(["/nginx-ingress-controller"]), configmap(data)))
    assert cfg.use_forwarded_headers is True and cfg.compute_full_forwarded_for is True
    assert cfg.hsts is False
    assert cfg.ssl_redirect is True  # "yes" is not a Go boolean: default kept
    assert any("ssl-redirect" in w for w in cfg.warnings)


def test_11_1_unknown_risk_level_counts_as_low() -> None:
    cfg = read_controller_config(
        snap(controller(["/nginx-ingress-controller"]), configmap({"annotations-risk-level": "x"}))
    )
    assert cfg.annotations_risk_level == "Low" and cfg.risk_rank == 0
    assert any("annotations-risk-level" in w for w in cfg.warnings)


def test_9_1_lists_and_sizes() -> None:
    data = {
        "whitelist-source-range": "10.0.0.0/8, 192.168.0.0/16",
        "block-cidrs": "1.2.3.4",
        "proxy-body-size": "8m",
        "custom-http-errors": "404,503,abc",
        "large-client-header-buffers": "4 16k",
        "worker-shutdown-timeout": "300s",
    }
    cfg = read_controller_config(snap(controller(["/nginx-ingress-controller"]), configmap(data)))
    assert cfg.whitelist_source_range == ("10.0.0.0/8", "192.168.0.0/16")
    assert cfg.block_cidrs == ("1.2.3.4",)
    assert cfg.proxy_body_size == 8 * 1024 * 1024
    assert cfg.custom_http_errors == (404, 503)
    assert cfg.large_client_header_buffer_size == 16 * 1024
    assert cfg.worker_shutdown_timeout == 300
    assert any("abc" in w for w in cfg.warnings)


def test_1_1_missing_named_configmap_warns() -> None:
    cfg = read_controller_config(snap(controller(["/nginx-ingress-controller", "--configmap=ingress-nginx/nope"])))
    assert cfg.configmap == ""
    assert any("nope" in w for w in cfg.warnings)


def test_1_1_two_controllers_pick_by_class() -> None:
    a = controller(["/nginx-ingress-controller", "--controller-class=k8s.io/a", "--ingress-class=a"], name="a")
    b = controller(["/nginx-ingress-controller", "--controller-class=k8s.io/b", "--ingress-class=b"], name="b")
    assert read_controller_config(snap(a, b), controller_class="k8s.io/b").ingress_class == "b"
    first = read_controller_config(snap(a, b))
    assert first.ingress_class == "a" and any("2 ingress-nginx controller" in w for w in first.warnings)


def test_1_1_annotations_prefix_flag() -> None:
    cfg = read_controller_config(snap(controller(["/nginx-ingress-controller", "--annotations-prefix=custom.io"])))
    assert cfg.annotations_prefix == "custom.io"


def test_8_6_parse_size() -> None:
    assert parse_size("1m") == 1048576
    assert parse_size("8K") == 8192
    assert parse_size("0") == 0
    assert parse_size("512") == 512
    assert parse_size("1.5m") is None
    assert parse_size("10mb") is None
    assert parse_size("") is None


def test_8_2_parse_duration() -> None:
    assert parse_duration_seconds("240s") == 240
    assert parse_duration_seconds("1m30s") == 90
    assert parse_duration_seconds("10") == 10
    assert parse_duration_seconds("abc") is None
