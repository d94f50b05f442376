"""What the Kubernetes API server would say about an object, checked once per object at load time.

tracer reads manifests, not a live cluster, so an object ``kubectl apply`` would refuse can reach
it. Such objects still load (a trace of what the author meant is useful), but never silently: each
finding becomes a LoadWarning naming the field. Values no API object can hold (non-finite or huge
numbers) are refused earlier, by the YAML walk in ``tracer.engine.yamlload``.

Every check is cheap on the common case (a dict lookup, a set test, one compiled regex) because it
runs on each of up to 100,000 objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Finding", "admit", "valid_namespace"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem with an object: the field path (from the object's root) and what is wrong."""

    path: tuple[str | int, ...]
    message: str
    line_path: tuple[str | int, ...] | None = None  # a field to find the line by, when `path` is missing


def valid_namespace(name: str) -> bool:
    """Whether ``name`` can name a namespace (a DNS-1123 label)."""
    return len(name) <= 63 and _DNS1123_LABEL.fullmatch(name) is not None


# Removed API versions, from the Kubernetes deprecated API migration guide
# (kubernetes.io/docs/reference/using-api/deprecation-guide/): (apiVersion, kind) -> (removed in, use).
_REMOVED: dict[tuple[str, str], tuple[str, str]] = {}
for _versions, _kinds, _removed, _use in (
    (("extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"), ("Deployment", "ReplicaSet"), "1.16", "apps/v1"),
    (("extensions/v1beta1", "apps/v1beta2"), ("DaemonSet",), "1.16", "apps/v1"),
    (("apps/v1beta1", "apps/v1beta2"), ("StatefulSet",), "1.16", "apps/v1"),
    (("extensions/v1beta1",), ("NetworkPolicy",), "1.16", "networking.k8s.io/v1"),
    (("extensions/v1beta1", "networking.k8s.io/v1beta1"), ("Ingress",), "1.22", "networking.k8s.io/v1"),
    (("networking.k8s.io/v1beta1",), ("IngressClass",), "1.22", "networking.k8s.io/v1"),
    (("apiextensions.k8s.io/v1beta1",), ("CustomResourceDefinition",), "1.22", "apiextensions.k8s.io/v1"),
    (
        ("admissionregistration.k8s.io/v1beta1",),
        ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"),
        "1.22",
        "admissionregistration.k8s.io/v1",
    ),
    (("apiregistration.k8s.io/v1beta1",), ("APIService",), "1.22", "apiregistration.k8s.io/v1"),
    (
        ("rbac.authorization.k8s.io/v1beta1",),
        ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"),
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    (("batch/v1beta1",), ("CronJob",), "1.25", "batch/v1"),
    (("discovery.k8s.io/v1beta1",), ("EndpointSlice",), "1.25", "discovery.k8s.io/v1"),
    (("policy/v1beta1",), ("PodDisruptionBudget",), "1.25", "policy/v1"),
    (("autoscaling/v2beta1",), ("HorizontalPodAutoscaler",), "1.25", "autoscaling/v2"),
    (("autoscaling/v2beta2",), ("HorizontalPodAutoscaler",), "1.26", "autoscaling/v2"),
):
    for _version in _versions:
        for _kind in _kinds:
            _REMOVED[(_version, _kind)] = (_removed, _use)
# PodSecurityPolicy has no replacement API (removed in 1.25; Pod Security Admission took over).
_REMOVED[("extensions/v1beta1", "PodSecurityPolicy")] = ("1.16", "")
_REMOVED[("policy/v1beta1", "PodSecurityPolicy")] = ("1.25", "")

# Name formats from k8s.io/apimachinery/pkg/util/validation (validation.go): IsDNS1123Subdomain,
# IsDNS1123Label and IsDNS1035Label.
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_PLACEHOLDER = re.compile(r"[<>{}$]|__|REPLACE|CHANGEME|example-placeholder", re.IGNORECASE)

# metadata.name formats per kind, as kubernetes/kubernetes pkg/apis/*/validation sets them (Service:
# ValidateServiceName is DNS-1035; Namespace: DNS-1123 label; the rest here use DNS-1123 subdomains).
# Kinds not listed (RBAC path-segment names, CRDs with their own rules) are not checked.
_LABEL, _SUBDOMAIN, _DNS1035 = "label", "subdomain", "1035"
_NAME_FORMAT: dict[str, str] = {
    "Service": _DNS1035,
    "Namespace": _LABEL,
    **dict.fromkeys(
        (
            "Ingress",
            "IngressClass",
            "Deployment",
            "StatefulSet",
            "DaemonSet",
            "ReplicaSet",
            "Pod",
            "ConfigMap",
            "Secret",
            "Endpoints",
            "EndpointSlice",
            "Job",
            "CronJob",
            "NetworkPolicy",
            "Node",
        ),
        _SUBDOMAIN,
    ),
}

# Namespaces seen valid: most objects share a handful, so skip the regex for repeats.
_GOOD_NAMESPACES: set[str] = {"default", "kube-system"}
_STRING_TYPES = frozenset({str, type(None)})  # a null annotation reads as empty, as it decodes on the server
_NAME_RULES: dict[str, tuple[re.Pattern[str], int, str]] = {
    kind: {
        _LABEL: (_DNS1123_LABEL, 63, _LABEL),
        _SUBDOMAIN: (_DNS1123_SUBDOMAIN, 253, _SUBDOMAIN),
        _DNS1035: (_DNS1035_LABEL, 63, _DNS1035),
    }[fmt]
    for kind, fmt in _NAME_FORMAT.items()
}


def admit(
    body: dict[str, Any], kind: str, api_version: str, cluster_scoped: bool
) -> tuple[list[Finding] | None, dict[str, Any]]:
    """What the API server would reject or no longer serve in ``body`` (None when nothing), and the
    body tracer keeps: a copy whose non-string annotation and label values became the strings YAML
    would have given had they been quoted, or ``body`` itself (never mutated).

    Written for the common case of nothing to report: up to 100,000 objects pass through here.
    """
    found: list[Finding] = []
    removed = _REMOVED.get((api_version, kind))
    if removed is not None:
        since, use = removed
        advice = f"use {use}" if use else "it has no replacement"
        message = f"{api_version} {kind} was removed in Kubernetes {since}; {advice} (tracer reads it as that version defined it)"
        found.append(Finding(("apiVersion",), message))
    meta = body["metadata"]
    # ObjectMeta validation (pkg/apis/core/validation ValidateObjectMeta): namespace is a DNS-1123 label.
    ns = meta.get("namespace")
    if ns and not cluster_scoped and (type(ns) is not str or ns not in _GOOD_NAMESPACES):
        if type(ns) is str and len(ns) <= 63 and _DNS1123_LABEL.fullmatch(ns):
            _GOOD_NAMESPACES.add(ns)
        else:
            found.append(Finding(("metadata", "namespace"), _bad_name(ns, _LABEL)))
    rule = _NAME_RULES.get(kind)
    name = meta.get("name")
    # generateName alone is a prefix, checked by the server after it adds a suffix.
    if rule is not None and type(name) is str and (len(name) > rule[1] or rule[0].fullmatch(name) is None):
        found.append(Finding(("metadata", "name"), _bad_name(name, rule[2])))
    for section in ("annotations", "labels"):
        values = meta.get(section)
        if values and type(values) is dict and not _STRING_TYPES.issuperset(map(type, values.values())):
            fixed = _check_string_values(section, values, found)
            meta = {**meta, section: fixed}
            body = {**body, "metadata": meta}
    if kind == "Ingress":
        spec = body.get("spec")
        if type(spec) is dict:
            _check_ingress(spec, api_version, found)
    elif kind == "Service" and "/" not in api_version:
        spec = body.get("spec")
        if type(spec) is dict:
            ports = spec.get("ports")
            if type(ports) is list:
                _check_service_ports(ports, found)
    return found or None, body


def _bad_name(value: Any, fmt: str) -> str:
    what = {
        _LABEL: "a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters)",
        _SUBDOMAIN: "a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', at most 253 characters)",
        _DNS1035: "a DNS-1035 label (starts with a letter; lower-case letters, digits and '-', at most 63 characters)",
    }[fmt]
    hint = _placeholder_hint(value)
    return f"the API server rejects {_show(value)}: it must be {what}{hint}"


def _placeholder_hint(value: Any) -> str:
    if isinstance(value, str) and _PLACEHOLDER.search(value):
        return "; it looks like a template placeholder that was never filled in"
    return ""


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 80 else f'"{value[:77]}..."'
    return _yaml_text(value)


def _yaml_text(value: Any) -> str:
    """The string a YAML scalar would have been had it been quoted (as near as its value allows)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return str(value)


def _check_string_values(section: str, values: dict[str, Any], found: list[Finding]) -> dict[str, Any]:
    # ObjectMeta annotations and labels are map[string]string: an unquoted `false` or `0` fails
    # decoding on the server ("cannot unmarshal bool into Go struct field ... of type string").
    fixed = dict(values)
    for key, value in values.items():
        if type(value) is str or value is None:
            continue
        if type(value) in (dict, list):
            message = f"the API server rejects an {section[:-1]} value that is not a string; tracer ignores it"
            found.append(Finding(("metadata", section, key), message))
            text = ""
        else:
            text = _yaml_text(value)
            found.append(
                Finding(
                    ("metadata", section, key),
                    f"the API server rejects an {section[:-1]} value that is not a string; quote it "
                    f'("{text}"); tracer reads it as the string "{text}"',
                )
            )
        fixed[key] = text
    return fixed


def _check_ingress(spec: dict[str, Any], api_version: str, found: list[Finding]) -> None:
    # pkg/apis/networking/validation/validation.go (ValidateIngressSpec, validateHTTPIngressPath) and
    # the networking.k8s.io/v1 Ingress schema: v1beta1's spec.backend, serviceName and servicePort
    # are unknown fields in v1, and v1 requires pathType on every path.
    v1 = api_version == "networking.k8s.io/v1"
    if v1 and "backend" in spec:
        message = "the API server rejects spec.backend in networking.k8s.io/v1; it was renamed spec.defaultBackend"
        found.append(Finding(("spec", "backend"), message))
    if v1:
        default = spec.get("defaultBackend")
        if type(default) is dict:
            _check_v1_backend(default, ("spec", "defaultBackend"), found)
    rules = spec.get("rules")
    if type(rules) is not list:
        return
    for i, rule in enumerate(rules):
        if type(rule) is not dict:
            continue
        host = rule.get("host")
        if host:
            _check_host(host, ("spec", "rules", i, "host"), found)
        http = rule.get("http")
        paths = http.get("paths") if type(http) is dict else None
        if not v1 or type(paths) is not list:
            continue
        for j, path in enumerate(paths):
            if type(path) is not dict:
                continue
            backend = path.get("backend")
            if path.get("pathType") is not None and (
                type(backend) is not dict or ("serviceName" not in backend and "servicePort" not in backend)
            ):
                continue  # the usual case: nothing to report
            where = ("spec", "rules", i, "http", "paths", j)
            if path.get("pathType") is None:
                message = (
                    "the API server rejects a networking.k8s.io/v1 path without pathType "
                    "(Exact, Prefix or ImplementationSpecific)"
                )
                found.append(Finding((*where, "pathType"), message, (*where, next(iter(path), "pathType"))))
            if type(backend) is dict:
                _check_v1_backend(backend, (*where, "backend"), found)


def _check_v1_backend(backend: dict[str, Any], where: tuple[str | int, ...], found: list[Finding]) -> None:
    for legacy, modern in (("serviceName", "service.name"), ("servicePort", "service.port.number or .name")):
        if legacy in backend:
            found.append(
                Finding(
                    (*where, legacy),
                    f"the API server rejects {legacy} in networking.k8s.io/v1 (it is a v1beta1 field); "
                    f"use backend.{modern}",
                )
            )


def _check_host(host: Any, where: tuple[str | int, ...], found: list[Finding]) -> None:
    # validation.go validateIngressRules: a DNS-1123 subdomain, optionally with a leading "*." wildcard.
    if isinstance(host, str):
        bare = host[2:] if host.startswith("*.") else host
        if len(bare) <= 253 and _DNS1123_SUBDOMAIN.fullmatch(bare):
            return
    found.append(Finding(where, _bad_name(host, _SUBDOMAIN).replace("must be a", "must be a (wildcard)", 1)))


def _check_service_ports(ports: list[Any], found: list[Finding]) -> None:
    # pkg/apis/core/validation/validation.go validateServicePort: port and targetPort 1-65535; the
    # service REST storage refuses a nodePort outside --service-node-port-range (30000-32767 unless
    # the cluster changed it; 0 or absent means "allocate one").
    for i, port in enumerate(ports):
        if type(port) is not dict:
            continue
        for key in ("port", "targetPort"):
            value = port.get(key)
            if type(value) is int and not 1 <= value <= 65535:
                message = f"the API server rejects {key} {value}: it must be between 1 and 65535"
                found.append(Finding(("spec", "ports", i, key), message))
        node_port = port.get("nodePort")
        if node_port is None:
            continue
        if type(node_port) is int and node_port and not 30000 <= node_port <= 32767:
            message = (
                f"the API server rejects nodePort {node_port}: it is outside the default node port range "
                "30000-32767 (unless the cluster's --service-node-port-range allows it)"
            )
            found.append(Finding(("spec", "ports", i, "nodePort"), message))
