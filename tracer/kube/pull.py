"""Live snapshot pull: list the objects the engine models from a cluster with the official client.

No Django here: the management command, the Celery task and the tests all call :func:`pull_objects`.

Secrets are the sensitive part. By default they are listed in the PartialObjectMetadata form, so the
API server never sends their data. With ``include_tls`` the ``kubernetes.io/tls`` Secrets are read in
full and reduced to their public certificates the moment each list page is parsed; private keys never
reach the result, the database or a YAML file.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3
import yaml
from kubernetes import client as kclient
from kubernetes import config as kconfig
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

ProgressFn = Callable[[str, int, int], None]

# No fallback media type: a server that cannot answer metadata-only returns 406 rather than full Secrets.
METADATA_ACCEPT = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
JSON_ACCEPT = "application/json"
TLS_SECRET_TYPE = "kubernetes.io/tls"
# Only the public parts of a TLS Secret; tls.key and anything else is dropped.
PUBLIC_SECRET_KEYS = ("tls.crt", "ca.crt")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
PAGE_SIZE = 500
# (connect, read) seconds: an unreachable server fails fast, a big list page still has time.
REQUEST_TIMEOUT = (10, 120)

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----\r?\n?", re.S)
_ENV_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


@dataclass(frozen=True, slots=True)
class Resource:
    """One listable kind. ``versions`` in preference order; the first one discovery shows served wins."""

    group: str
    versions: tuple[str, ...]
    plural: str
    kind: str
    namespaced: bool = True
    # Built-in kinds get a warning when not served; CRDs that are absent are simply skipped.
    builtin: bool = False

    @property
    def rbac_name(self) -> str:
        """kubectl/RBAC spelling, e.g. ``ingresses.networking.k8s.io``."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def label(self) -> str:
        """Kind, qualified by group for CRDs whose kind names collide (Istio vs Gateway API ``Gateway``)."""
        return self.kind if self.builtin else f"{self.kind}.{self.group}"


def _builtin(group: str, version: str, plural: str, kind: str, namespaced: bool = True) -> Resource:
    return Resource(group, (version,), plural, kind, namespaced, builtin=True)


# Everything the engine reads. ConfigMaps are listed in full: the engine finds the ingress-nginx controller
# ConfigMap through the controller's --configmap flag (with $(POD_NAMESPACE) expansion) or fallback names,
# follows proxy-set-headers to further ConfigMaps, and reads kube-system/kube-proxy; guessing that set
# before the workloads are known would lose traces. See docs/snapshot-pull.md.
RESOURCES: tuple[Resource, ...] = (
    _builtin("", "v1", "namespaces", "Namespace", namespaced=False),
    _builtin("", "v1", "nodes", "Node", namespaced=False),
    _builtin("", "v1", "services", "Service"),
    _builtin("", "v1", "endpoints", "Endpoints"),
    _builtin("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
    _builtin("", "v1", "pods", "Pod"),
    _builtin("", "v1", "configmaps", "ConfigMap"),
    _builtin("apps", "v1", "deployments", "Deployment"),
    _builtin("apps", "v1", "statefulsets", "StatefulSet"),
    _builtin("apps", "v1", "daemonsets", "DaemonSet"),
    _builtin("apps", "v1", "replicasets", "ReplicaSet"),
    _builtin("networking.k8s.io", "v1", "ingresses", "Ingress"),
    _builtin("networking.k8s.io", "v1", "ingressclasses", "IngressClass", namespaced=False),
    _builtin("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy"),
    # Gateway API: GRPCRoute reached v1 later than HTTPRoute, ReferenceGrant is v1beta1 in most releases.
    Resource("gateway.networking.k8s.io", ("v1", "v1beta1"), "gatewayclasses", "GatewayClass", namespaced=False),
    Resource("gateway.networking.k8s.io", ("v1", "v1beta1"), "gateways", "Gateway"),
    Resource("gateway.networking.k8s.io", ("v1", "v1beta1"), "httproutes", "HTTPRoute"),
    Resource("gateway.networking.k8s.io", ("v1", "v1alpha2"), "grpcroutes", "GRPCRoute"),
    Resource("gateway.networking.k8s.io", ("v1", "v1beta1"), "referencegrants", "ReferenceGrant"),
    # Traefik v3 (traefik.io) and v2 (traefik.containo.us); a cluster mid-migration serves both.
    *(
        Resource(group, ("v1alpha1",), plural, kind)
        for group in ("traefik.io", "traefik.containo.us")
        for plural, kind in (
            ("ingressroutes", "IngressRoute"),
            ("middlewares", "Middleware"),
            ("serverstransports", "ServersTransport"),
            ("tlsoptions", "TLSOption"),
        )
    ),
    Resource("networking.istio.io", ("v1", "v1beta1", "v1alpha3"), "gateways", "Gateway"),
    Resource("networking.istio.io", ("v1", "v1beta1", "v1alpha3"), "virtualservices", "VirtualService"),
    Resource("networking.istio.io", ("v1", "v1beta1", "v1alpha3"), "destinationrules", "DestinationRule"),
    Resource("networking.istio.io", ("v1alpha3",), "envoyfilters", "EnvoyFilter"),
    Resource("security.istio.io", ("v1", "v1beta1"), "peerauthentications", "PeerAuthentication"),
    # Knative Serving: the user-facing Service/Route and the KIngress its networking layer programs.
    Resource("serving.knative.dev", ("v1",), "services", "Service"),
    Resource("serving.knative.dev", ("v1",), "routes", "Route"),
    Resource("networking.internal.knative.dev", ("v1alpha1",), "ingresses", "Ingress"),
)
SECRETS = _builtin("", "v1", "secrets", "Secret")


class PullError(Exception):
    """The pull cannot start or cannot go on (config, auth, network). The message is one line for users."""


@dataclass(slots=True)
class PullResult:
    objects: list[dict[str, Any]]
    warnings: list[str]
    server: str
    counts: dict[str, int] = field(default_factory=dict)
    context: str | None = None


@dataclass(frozen=True, slots=True)
class _Op:
    """One list (or, for namespaces under a namespace filter, one get) call."""

    resource: Resource
    version: str
    namespace: str | None = None
    mode: str = "list"  # list | get | secret-meta | secret-tls-meta | secret-tls

    @property
    def api_version(self) -> str:
        return f"{self.resource.group}/{self.version}" if self.resource.group else self.version

    def path(self) -> str:
        r = self.resource
        base = f"/apis/{r.group}/{self.version}" if r.group else f"/api/{self.version}"
        if self.mode == "get":
            return f"{base}/{r.plural}/{self.namespace}"
        if r.namespaced and self.namespace:
            return f"{base}/namespaces/{self.namespace}/{r.plural}"
        return f"{base}/{r.plural}"


def resolve_kubeconfig(kubeconfig: str | None) -> str:
    """Explicit path, else $KUBECONFIG (read now, not at import like the client does), else ~/.kube/config."""
    return kubeconfig or os.environ.get("KUBECONFIG") or str(Path("~/.kube/config").expanduser())


def _in_cluster_available() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and Path(
        "/var/run/secrets/kubernetes.io/serviceaccount/token"
    ).is_file()


def list_contexts(kubeconfig: str | None = None) -> tuple[list[str], str | None]:
    """Context names in the kubeconfig and the current one; raises PullError when it cannot be read."""
    path = resolve_kubeconfig(kubeconfig)
    try:
        contexts, current = kconfig.list_kube_config_contexts(config_file=path)
    except (ConfigException, OSError, ValueError) as exc:
        raise PullError(_config_message(path, exc)) from None
    return [str(c["name"]) for c in contexts or []], (current or {}).get("name")


def _config_message(path: str, exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if "No configuration found" in text or "does not exist" in text or isinstance(exc, FileNotFoundError):
        return f"no kubeconfig at {path} (pass --kubeconfig or set KUBECONFIG)"
    return f"cannot use kubeconfig {path}: {text}"


def load_configuration(
    kubeconfig: str | None, context: str | None, in_cluster: bool | None
) -> tuple[kclient.Configuration, str | None]:
    """Client configuration and the context name used (None in-cluster)."""
    cfg = kclient.Configuration()
    explicit = kubeconfig or os.environ.get("KUBECONFIG")
    if in_cluster is None:
        # Deployed in a pod with no kubeconfig around: use the service account, as client-go does.
        in_cluster = (
            not explicit and not Path(resolve_kubeconfig(None)).exists() and context is None and _in_cluster_available()
        )
    if in_cluster:
        if context:
            raise PullError("--context cannot be used with the in-cluster service account")
        try:
            kconfig.load_incluster_config(client_configuration=cfg)
        except ConfigException as exc:
            raise PullError(f"in-cluster config unavailable: {exc}") from None
        return cfg, None
    path = resolve_kubeconfig(kubeconfig)
    names, current = list_contexts(path)
    if context is not None and context not in names:
        available = ", ".join(names) or "none"
        raise PullError(f"context {context!r} not found in kubeconfig {path} (available: {available})")
    if context is None and not current:
        raise PullError(f"kubeconfig {path} has no current-context; pass --context")
    try:
        # persist_config=False: never write refreshed tokens back into the user's kubeconfig.
        kconfig.load_kube_config(config_file=path, context=context, client_configuration=cfg, persist_config=False)
    except (ConfigException, OSError, ValueError) as exc:
        raise PullError(_config_message(path, exc)) from None
    return cfg, context or current


# ---------------------------------------------------------------------------------------------------------------
# Reducing objects before they are kept


def _strip_metadata(meta: dict[str, Any]) -> None:
    meta.pop("managedFields", None)
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        # kubectl's copy of the last applied manifest: noise, and a full copy of the data of an applied Secret.
        annotations.pop(LAST_APPLIED, None)
        if not annotations:
            meta.pop("annotations", None)


def _public_certificates(value: str) -> tuple[str | None, bool]:
    """Keep only CERTIFICATE PEM blocks of a base64 Secret value; (new value or None, private key seen)."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None, False
    if b"-----BEGIN" not in raw:
        # DER or empty: a certificate in DER cannot also carry a PEM key; drop anything that names a key.
        return (value, False) if b"PRIVATE KEY" not in raw else (None, True)
    blocks = [m.group(0) for m in _PEM_BLOCK.finditer(raw) if m.group(1) in (b"CERTIFICATE", b"TRUSTED CERTIFICATE")]
    saw_key = b"PRIVATE KEY" in raw
    if not blocks:
        return None, saw_key
    kept = b"".join(b if b.endswith(b"\n") else b + b"\n" for b in blocks)
    return base64.b64encode(kept).decode("ascii"), saw_key


def _reduce_tls_secret(item: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """A TLS Secret with nothing but metadata, type and its public certificates."""
    meta = item.get("metadata") or {}
    data = item.get("data") or {}
    kept: dict[str, str] = {}
    for key in PUBLIC_SECRET_KEYS:
        value = data.get(key)
        if not isinstance(value, str):
            continue
        public, saw_key = _public_certificates(value)
        if saw_key:
            warnings.append(
                f"Secret {meta.get('namespace')}/{meta.get('name')}: {key} contains a private key; only its "
                "certificates were kept"
            )
        if public is not None:
            kept[key] = public
    out: dict[str, Any] = {"metadata": meta, "type": item.get("type") or TLS_SECRET_TYPE}
    # Release the parsed key material now rather than when the list page goes out of scope.
    data.clear()
    item.clear()
    if kept:
        out["data"] = kept
    return out


def _redact_env(pod_spec: Any) -> None:
    """Drop literal env values the container command/args do not reference.

    The engine only expands $(VAR) in controller flags; other literal values are often passwords.
    """
    if not isinstance(pod_spec, dict):
        return
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for container in pod_spec.get(key) or []:
            if not isinstance(container, dict) or not container.get("env"):
                continue
            words = [str(w) for w in (container.get("command") or []) + (container.get("args") or [])]
            referenced = {m.group(1) for w in words for m in _ENV_REF.finditer(w)}
            for env in container["env"]:
                if isinstance(env, dict) and "value" in env and env.get("name") not in referenced:
                    del env["value"]


def _clean(item: dict[str, Any], op: _Op, warnings: list[str]) -> dict[str, Any]:
    """apiVersion/kind set (list items omit them), noise and sensitive fields removed."""
    kind = op.resource.kind
    if op.mode in ("secret-meta", "secret-tls-meta"):
        # Whatever the server sent, keep metadata only: tracer's metadata-only promise does not depend on it.
        item = {"metadata": item.get("metadata") or {}}
        if op.mode == "secret-tls-meta":
            item["type"] = TLS_SECRET_TYPE
    elif op.mode == "secret-tls":
        item = _reduce_tls_secret(item, warnings)
    elif kind == "Node":
        # Routing needs a node's identity and addresses; the rest (images, conditions, capacity) is bulk.
        meta = item.get("metadata") or {}
        status = item.get("status") or {}
        item = {
            "metadata": {k: meta[k] for k in ("name", "uid", "labels", "annotations", "creationTimestamp") if k in meta},
            "spec": {k: v for k, v in (item.get("spec") or {}).items() if k in ("podCIDR", "podCIDRs", "unschedulable")},
            "status": {"addresses": status.get("addresses") or []},
        }
    elif kind == "Pod":
        _redact_env(item.get("spec"))
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet") and op.resource.builtin:
        _redact_env(((item.get("spec") or {}).get("template") or {}).get("spec"))
    meta = item.setdefault("metadata", {})
    _strip_metadata(meta)
    return {"apiVersion": op.api_version, "kind": kind, **item}


# ---------------------------------------------------------------------------------------------------------------
# The pull


class _Puller:
    def __init__(self, api: kclient.ApiClient) -> None:
        self.api = api

    def get(self, path: str, query: list[tuple[str, str]] | None = None, accept: str = JSON_ACCEPT) -> tuple[int, Any]:
        """(status, parsed JSON or None). Transport failures become PullError."""
        method, url, headers, _, _ = self.api.param_serialize(
            "GET", path, query_params=query or [], header_params={"Accept": accept}, auth_settings=["BearerToken"]
        )
        host = self.api.configuration.host
        try:
            resp = self.api.call_api(method, url, header_params=headers, _request_timeout=REQUEST_TIMEOUT)
            raw = resp.read()
        except ApiException as exc:  # the client wraps TLS failures as status 0
            raise PullError(f"cannot reach {host}: {' '.join(str(exc.reason).split())}") from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise PullError(f"cannot reach {host}: {' '.join(str(reason).split())}") from None
        if resp.status == 401:
            raise PullError(f"{host} rejected the credentials (401 Unauthorized)")
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        return resp.status, body

    def discover(self) -> dict[tuple[str, str], set[str]]:
        """{(group, version): resource plurals} for the group/versions tracer may list."""
        host = self.api.configuration.host
        status, core = self.get("/api/v1")
        if status == 403:
            raise PullError(f"{host} forbids API discovery (GET /api/v1: 403); the system:discovery role is missing")
        if status != 200 or not isinstance(core, dict):
            raise PullError(f"{host} does not look like a Kubernetes API server (GET /api/v1: HTTP {status})")
        served: dict[tuple[str, str], set[str]] = {("", "v1"): _plurals(core)}
        status, groups = self.get("/apis")
        if status != 200 or not isinstance(groups, dict):
            raise PullError(f"API discovery failed on {host} (GET /apis: HTTP {status})")
        wanted: dict[str, set[str]] = {}
        for r in (*RESOURCES, SECRETS):
            wanted.setdefault(r.group, set()).update(r.versions)
        for group in groups.get("groups") or []:
            name = group.get("name")
            for v in group.get("versions") or []:
                version = v.get("version")
                if name in wanted and version in wanted[name]:
                    status, doc = self.get(f"/apis/{name}/{version}")
                    if status == 200 and isinstance(doc, dict):
                        served[(name, version)] = _plurals(doc)
        return served

    def pages(self, op: _Op, extra: list[tuple[str, str]]) -> Iterator[tuple[int, Any]]:
        """Each list page as (status, body); a non-200 ends the iteration after being yielded."""
        accept = METADATA_ACCEPT if op.mode in ("secret-meta", "secret-tls-meta") else JSON_ACCEPT
        token = ""
        while True:
            query = [("limit", str(PAGE_SIZE)), *extra]
            if token:
                query.append(("continue", token))
            status, body = self.get(op.path(), query, accept)
            yield status, body
            if status != 200 or not isinstance(body, dict):
                return
            token = (body.get("metadata") or {}).get("continue") or ""
            if not token:
                return


def _plurals(doc: dict[str, Any]) -> set[str]:
    return {str(r.get("name")) for r in doc.get("resources") or [] if "/" not in str(r.get("name"))}


def _plan(
    served: dict[tuple[str, str], set[str]],
    namespaces: list[str] | None,
    include_secrets: bool,
    include_tls: bool,
    warnings: list[str],
) -> list[_Op]:
    ops: list[_Op] = []
    scopes: list[str | None] = list(namespaces) if namespaces else [None]
    for r in RESOURCES:
        version = next((v for v in r.versions if r.plural in served.get((r.group, v), set())), None)
        if version is None:
            if r.builtin:
                warnings.append(f"{r.kind}: {r.rbac_name} is not served by this cluster; skipped")
            continue
        if r.kind == "Namespace" and namespaces:
            # A namespace-scoped pull reads just those namespaces (get), which a namespaced user may do.
            ops.extend(_Op(r, version, ns, "get") for ns in namespaces)
        elif r.namespaced:
            ops.extend(_Op(r, version, ns) for ns in scopes)
        else:
            ops.append(_Op(r, version))
    if include_secrets:
        for ns in scopes:
            ops.append(_Op(SECRETS, "v1", ns, "secret-meta"))
            # Metadata of the TLS Secrets only, to record their type without reading them.
            ops.append(_Op(SECRETS, "v1", ns, "secret-tls" if include_tls else "secret-tls-meta"))
    return ops


def _describe(op: _Op) -> str:
    what = {
        "secret-meta": "Secret metadata",
        "secret-tls-meta": "TLS Secret metadata",
        "secret-tls": "TLS Secret certificates",
    }.get(op.mode, op.resource.label)
    where = f" in {op.namespace}" if op.namespace and op.mode != "get" else ""
    if op.mode == "get":
        return f"Namespace {op.namespace}"
    return f"{what}{where}"


def _forbidden(op: _Op) -> str:
    verb = "get" if op.mode == "get" else "list"
    group = op.resource.group or '""'
    scope = f"namespace {op.namespace}" if op.namespace and op.mode != "get" else "cluster-wide"
    return (
        f"{_describe(op)}: forbidden (403); snapshot is partial. RBAC needs verb {verb} on resource "
        f"{op.resource.plural} in apiGroup {group} ({scope})"
    )


def pull_objects(
    *,
    kubeconfig: str | None,
    context: str | None,
    namespaces: list[str] | None,
    include_tls: bool = False,
    include_secrets: bool = True,
    in_cluster: bool | None = None,
    progress: ProgressFn | None = None,
) -> PullResult:
    """List every kind the engine models from a live cluster. Raises PullError when it cannot proceed.

    Forbidden kinds become warnings (partial snapshot); kinds the cluster does not serve are skipped.
    """
    if include_tls and not include_secrets:
        raise PullError("TLS Secrets cannot be included when Secrets are skipped")
    report = progress or (lambda _message, _done, _total: None)
    namespaces = sorted(set(namespaces)) if namespaces else None
    cfg, used_context = load_configuration(kubeconfig, context, in_cluster)
    warnings: list[str] = []
    objects: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    with kclient.ApiClient(cfg) as api:
        puller = _Puller(api)
        report("Discovering API groups", 0, 0)
        served = puller.discover()
        ops = _plan(served, namespaces, include_secrets, include_tls, warnings)
        total = len(ops)
        secrets: dict[tuple[str, str], dict[str, Any]] = {}
        forbidden: set[tuple[str, str | None]] = set()
        for done, op in enumerate(ops):
            report(f"Listing {_describe(op)}", done, total)
            if op.mode.startswith("secret") and (op.resource.plural, op.namespace) in forbidden:
                continue  # one 403 warning per namespace for the three Secret lists
            extra = [("fieldSelector", f"type={TLS_SECRET_TYPE}")] if op.mode.startswith("secret-tls") else []
            if op.mode == "get":
                status, body = puller.get(op.path())
                pages: Iterator[tuple[int, Any]] = iter([(status, {"items": [body]} if status == 200 else body)])
            else:
                pages = puller.pages(op, extra)
            for status, body in pages:
                if status == 403:
                    forbidden.add((op.resource.plural, op.namespace))
                    warnings.append(_forbidden(op))
                    break
                if status == 404:
                    break  # group removed since discovery, or a namespace that does not exist: nothing to list
                if status == 406 and op.mode in ("secret-meta", "secret-tls-meta"):
                    warnings.append(f"{_describe(op)}: server cannot list metadata only (406); Secrets skipped")
                    break
                if status == 410:
                    warnings.append(f"{_describe(op)}: list changed while paging (410 Gone); kind is incomplete")
                    break
                if status != 200 or not isinstance(body, dict):
                    message = body.get("message") if isinstance(body, dict) else None
                    warnings.append(f"{_describe(op)}: HTTP {status}{f' ({message})' if message else ''}; skipped")
                    break
                for raw in body.get("items") or []:
                    if not isinstance(raw, dict):
                        continue
                    item = _clean(raw, op, warnings)
                    if op.resource is SECRETS:
                        meta = item["metadata"]
                        # Later, richer forms (TLS type, certificates) replace the bare metadata entry.
                        secrets[(str(meta.get("namespace")), str(meta.get("name")))] = item
                    else:
                        objects.append(item)
                        counts[op.resource.label] = counts.get(op.resource.label, 0) + 1
        if secrets:
            objects.extend(secrets.values())
            counts[SECRETS.label] = len(secrets)
        report("Done", total, total)
    return PullResult(objects=objects, warnings=warnings, server=str(cfg.host), counts=counts, context=used_context)


def to_yaml(objects: list[dict[str, Any]]) -> str:
    """Multi-document YAML, one object per document, in pull order."""
    return yaml.safe_dump_all(objects, sort_keys=False, default_flow_style=False, allow_unicode=True)
