"""Admission at load time: what the Kubernetes API server would reject or no longer serve is loaded
with a warning naming file, document, line and field; values no API object can hold are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracer.engine.errors import LoadError
from tracer.engine.loader import load_manifests
from tracer.engine.snapshot import LoadWarning, Snapshot

FIXTURES = Path(__file__).parent / "fixtures" / "admission"


def warned(snap: Snapshot, field_part: str) -> list[LoadWarning]:
    return [w for w in snap.warnings if w.field and field_part in w.field]


def ingress(body: str, api: str = "networking.k8s.io/v1", meta: str = "name: web") -> str:
    return f"apiVersion: {api}\nkind: Ingress\nmetadata: {{{meta}}}\nspec:\n{body}"


# ----- networking.k8s.io/v1 Ingress with v1beta1 fields -----------------------------------
# kubernetes/kubernetes pkg/apis/networking/validation/validation.go (validateHTTPIngressPath:
# "pathType must be specified") and the networking.k8s.io/v1 schema, where serviceName,
# servicePort and spec.backend are unknown fields.


def test_v1_ingress_with_legacy_backend_fields_warns_naming_each_field() -> None:
    snap = load_manifests(FIXTURES / "r2-v1-legacy-fields.yaml")
    (service_name,) = warned(snap, "serviceName")
    assert service_name.field == "spec.rules[0].http.paths[0].backend.serviceName"
    assert "the API server rejects serviceName" in service_name.message
    assert "backend.service.name" in service_name.message
    assert service_name.line == 14  # the line that says serviceName
    assert service_name.document == 0 and service_name.file and service_name.file.endswith("r2-v1-legacy-fields.yaml")
    assert warned(snap, "servicePort")
    (path_type,) = warned(snap, "pathType")
    assert path_type.field == "spec.rules[0].http.paths[0].pathType"
    assert "without pathType" in path_type.message
    assert path_type.line == 12  # the path item's first line
    assert snap.get("Ingress", "default", "legacy-fields") is not None  # still loaded


def test_v1_ingress_spec_backend_warns_it_was_renamed_default_backend() -> None:
    text = ingress("  backend: {service: {name: web, port: {number: 80}}}\n")
    (w,) = load_manifests(text).warnings
    assert w.field == "spec.backend" and "defaultBackend" in w.message and w.line == 5


def test_v1_ingress_written_correctly_loads_without_warnings() -> None:
    text = ingress(
        "  rules:\n  - host: a.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n"
        "        backend: {service: {name: web, port: {number: 80}}}\n"
    )
    assert load_manifests(text).warnings == []


# ----- removed API versions ----------------------------------------------------------------
# https://kubernetes.io/docs/reference/using-api/deprecation-guide/: extensions/v1beta1 and
# networking.k8s.io/v1beta1 Ingress removed in 1.22; extensions/v1beta1 Deployment in 1.16.


def test_extensions_v1beta1_ingress_warns_removed_in_1_22_and_still_loads() -> None:
    snap = load_manifests(FIXTURES / "r3-extensions-v1beta1.yaml")
    (w,) = warned(snap, "apiVersion")
    assert "removed in Kubernetes 1.22" in w.message and "networking.k8s.io/v1" in w.message
    assert w.line == 2
    # The old API had neither pathType nor service.name: no v1 complaints about its own fields.
    assert not warned(snap, "serviceName") and not warned(snap, "pathType")
    assert snap.get("Ingress", "default", "legacy-fields") is not None


@pytest.mark.parametrize(
    ("api", "kind", "since", "use"),
    [
        ("networking.k8s.io/v1beta1", "Ingress", "1.22", "networking.k8s.io/v1"),
        ("extensions/v1beta1", "Deployment", "1.16", "apps/v1"),
        ("apps/v1beta2", "DaemonSet", "1.16", "apps/v1"),
        ("batch/v1beta1", "CronJob", "1.25", "batch/v1"),
    ],
)
def test_removed_api_version_warns_naming_the_version_to_use(api: str, kind: str, since: str, use: str) -> None:
    (w,) = load_manifests(f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: x}}\n").warnings
    assert f"removed in Kubernetes {since}; use {use}" in w.message and w.field == "apiVersion"


# ----- annotation values must be strings ---------------------------------------------------
# ObjectMeta.annotations is map[string]string (k8s.io/apimachinery ObjectMeta): the API server fails
# to decode an unquoted boolean or number there.


def test_unquoted_boolean_annotation_warns_and_reads_as_the_quoted_string() -> None:
    snap = load_manifests(FIXTURES / "boolann.yaml")
    (obj,) = snap.objects
    assert obj.annotations["nginx.ingress.kubernetes.io/ssl-redirect"] == "false"  # not Python's "False"
    assert obj.annotations["nginx.ingress.kubernetes.io/proxy-body-size"] == "0"
    fields = [w.field for w in snap.warnings]
    assert fields == [
        "metadata.annotations.nginx.ingress.kubernetes.io/ssl-redirect",
        "metadata.annotations.nginx.ingress.kubernetes.io/proxy-body-size",
    ]
    assert [w.line for w in snap.warnings] == [7, 8]


def test_annotation_fix_never_mutates_the_callers_dict() -> None:
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "annotations": {"a": True}}}
    (obj,) = load_manifests([body]).objects
    assert obj.annotations == {"a": "true"}
    assert body["metadata"]["annotations"] == {"a": True}


def test_string_port_number_is_left_to_the_data_plane() -> None:
    # strport.yaml: `port: {number: "80"}` - the loader keeps the value as written.
    (obj,) = load_manifests(FIXTURES / "strport.yaml").objects
    assert obj.spec["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["number"] == "80"


# ----- DNS names ---------------------------------------------------------------------------
# k8s.io/apimachinery/pkg/util/validation: IsDNS1123Subdomain (most names, Ingress hosts),
# IsDNS1123Label (namespaces), IsDNS1035Label (Service names).


def test_placeholder_host_warns_that_it_looks_like_a_template_placeholder() -> None:
    text = ingress(
        "  rules:\n  - host: registry.<your domain>\n    http:\n      paths:\n      - path: /\n"
        "        pathType: Prefix\n        backend: {service: {name: web, port: {number: 80}}}\n"
    )
    (w,) = load_manifests(text).warnings
    assert w.field == "spec.rules[0].host" and w.line == 6
    assert "registry.<your domain>" in w.message and "template placeholder" in w.message


@pytest.mark.parametrize(
    ("meta", "field"),
    [("name: Web", "metadata.name"), ("name: web, namespace: my_team", "metadata.namespace")],
)
def test_invalid_dns_names_in_metadata_warn(meta: str, field: str) -> None:
    (w,) = load_manifests(ingress("  ingressClassName: nginx\n", meta=meta)).warnings
    assert w.field == field and "the API server rejects" in w.message


def test_service_name_must_be_a_dns_1035_label_and_wildcard_hosts_are_fine() -> None:
    svc = "apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\nspec: {ports: [{port: 80}]}\n"
    (w,) = load_manifests(svc).warnings
    assert "DNS-1035" in w.message
    text = ingress("  rules:\n  - host: '*.example.com'\n")
    assert load_manifests(text).warnings == []


# ----- ports and numbers -------------------------------------------------------------------
# pkg/apis/core/validation/validation.go validateServicePort (1-65535); nodePort in the default
# --service-node-port-range 30000-32767. JSON (and Go's encoding/json) cannot hold NaN or infinity.


def test_service_ports_out_of_range_warn_naming_the_field() -> None:
    text = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: NodePort\n  ports:\n"
        "  - port: 70000\n    targetPort: 0\n    nodePort: 8080\n"
    )
    fields = {w.field: w for w in load_manifests(text).warnings}
    assert set(fields) == {"spec.ports[0].port", "spec.ports[0].targetPort", "spec.ports[0].nodePort"}
    assert "between 1 and 65535" in fields["spec.ports[0].port"].message
    assert "30000-32767" in fields["spec.ports[0].nodePort"].message
    assert fields["spec.ports[0].nodePort"].line == 9


@pytest.mark.parametrize(
    ("value", "words"), [(".inf", "infinite"), ("-.Inf", "infinite"), (".nan", "NaN"), ("9" * 5000, "digits")]
)
def test_values_no_api_object_can_hold_are_a_load_error(value: str, words: str) -> None:
    text = f"apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n  ports:\n  - port: {value}\n"
    with pytest.raises(LoadError) as info:
        load_manifests(text)
    err = info.value
    assert words in err.message
    assert (err.file, err.document, err.line, err.field) == ("<input>", 0, 6, "spec.ports[0].port")
