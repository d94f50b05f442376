"""pull_objects with the real kubernetes client against a loopback server answering from recordings."""

from __future__ import annotations

import base64
import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from kube_apiserver import RecordedAPIServer, write_kubeconfig

from tracer.kube import pull
from tracer.kube.pull import METADATA_ACCEPT, PullError, PullResult, pull_objects

FIXTURES = Path(__file__).parent / "fixtures"
CERT_PEM = (FIXTURES / "frontend-tls.crt.pem").read_bytes()
ROOT = Path(__file__).resolve().parents[2]


def run(kubeconfig: Path, **kwargs: Any) -> PullResult:
    kwargs.setdefault("context", None)
    kwargs.setdefault("namespaces", None)
    return pull_objects(kubeconfig=str(kubeconfig), in_cluster=False, **kwargs)


def by_name(result: PullResult, kind: str) -> dict[str, dict[str, Any]]:
    return {
        f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}": o for o in result.objects if o["kind"] == kind
    }


def test_pulls_the_engine_kinds_with_api_version_and_kind_set(apiserver: RecordedAPIServer, kubeconfig: Path) -> None:
    result = run(kubeconfig)

    assert result.server == apiserver.url
    assert result.context == "kind-tracer"
    kinds = {(o["apiVersion"], o["kind"]) for o in result.objects}
    assert kinds == {
        ("v1", "Namespace"), ("v1", "Node"), ("v1", "Service"), ("v1", "Endpoints"), ("v1", "Pod"),
        ("v1", "ConfigMap"), ("v1", "Secret"), ("discovery.k8s.io/v1", "EndpointSlice"),
        ("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"),
        ("networking.k8s.io/v1", "Ingress"), ("networking.k8s.io/v1", "IngressClass"),
        ("gateway.networking.k8s.io/v1", "GatewayClass"), ("gateway.networking.k8s.io/v1", "Gateway"),
        ("gateway.networking.k8s.io/v1", "HTTPRoute"),
        # Served only in v1beta1 by this cluster: the per-resource version choice picks it there.
        ("gateway.networking.k8s.io/v1beta1", "ReferenceGrant"),
    }
    assert result.counts["Pod"] == 3
    assert result.counts["HTTPRoute.gateway.networking.k8s.io"] == 1
    assert "Secret" in result.counts
    paths = apiserver.paths()
    # Served Gateway API kinds are listed (empty GRPCRoute list included); unserved CRD groups are not asked for.
    assert "/apis/gateway.networking.k8s.io/v1/grpcroutes" in paths
    assert not [p for p in paths if "traefik" in p or "istio" in p or "knative" in p]
    # Cluster-wide lists, paged.
    services = [r for r in apiserver.requests if r.path == "/api/v1/services"]
    assert services and services[0].query["limit"] == str(pull.PAGE_SIZE)
    assert all(r.headers["authorization"] == "Bearer tracer-test-token" for r in apiserver.requests)


def test_secrets_are_listed_as_partial_object_metadata_only(apiserver: RecordedAPIServer, kubeconfig: Path) -> None:
    result = run(kubeconfig)

    secret_requests = [r for r in apiserver.requests if r.path.endswith("/secrets")]
    assert len(secret_requests) == 2
    assert {r.headers["accept"] for r in secret_requests} == {METADATA_ACCEPT}
    assert secret_requests[1].query["fieldSelector"] == "type=kubernetes.io/tls"
    secrets = by_name(result, "Secret")
    assert set(secrets) == {"web/db-credentials", "web/frontend-tls", "web/bundle-tls", "ingress-nginx/ingress-nginx-admission"}
    for secret in secrets.values():
        assert set(secret) <= {"apiVersion", "kind", "metadata", "type"}
        assert secret["apiVersion"] == "v1" and secret["kind"] == "Secret"
    assert secrets["web/frontend-tls"]["type"] == "kubernetes.io/tls"
    assert "type" not in secrets["web/db-credentials"]
    dumped = json.dumps(result.objects)
    # The recorded last-applied annotation carries the Secret's data: it must not survive either.
    assert "last-applied-configuration" not in dumped
    assert base64.b64encode(b"s3cr3t-password").decode() not in dumped
    assert "PRIVATE KEY" not in dumped and "LS0tLS1CRUdJTiBQUklWQVRF" not in dumped


def test_tls_mode_keeps_public_certificates_and_drops_keys(apiserver: RecordedAPIServer, kubeconfig: Path) -> None:
    result = run(kubeconfig, include_tls=True)

    requests = [r for r in apiserver.requests if r.path == "/api/v1/secrets"]
    assert [(r.headers["accept"], r.query.get("fieldSelector")) for r in requests] == [
        (METADATA_ACCEPT, None),
        ("application/json", "type=kubernetes.io/tls"),
    ]
    secrets = by_name(result, "Secret")
    tls = secrets["web/frontend-tls"]
    assert tls["type"] == "kubernetes.io/tls"
    assert set(tls["data"]) == {"tls.crt", "ca.crt"}
    assert base64.b64decode(tls["data"]["tls.crt"]) == CERT_PEM
    assert tls["metadata"]["annotations"] == {
        "cert-manager.io/certificate-name": "frontend",
        "cert-manager.io/issuer-name": "selfsigned",
    }
    # A tls.crt that bundles the key: certificate blocks kept, the key dropped, and the user told.
    bundle = secrets["web/bundle-tls"]
    assert base64.b64decode(bundle["data"]["tls.crt"]) == CERT_PEM
    assert any("web/bundle-tls" in w and "private key" in w for w in result.warnings)
    # Non-TLS Secrets stay metadata-only even in this mode.
    assert "data" not in secrets["ingress-nginx/ingress-nginx-admission"]
    assert "data" not in secrets["web/db-credentials"]
    decoded = [base64.b64decode(v) for s in secrets.values() for v in (s.get("data") or {}).values()]
    assert not any(b"PRIVATE KEY" in d for d in decoded)
    assert "tls.key" not in json.dumps(result.objects)


def test_no_secrets_mode_never_touches_secrets(apiserver: RecordedAPIServer, kubeconfig: Path) -> None:
    result = run(kubeconfig, include_secrets=False)

    assert not [p for p in apiserver.paths() if "secrets" in p]
    assert "Secret" not in result.counts
    with pytest.raises(PullError, match="TLS Secrets"):
        run(kubeconfig, include_secrets=False, include_tls=True)


def test_forbidden_kind_is_a_warning_and_the_rest_is_pulled(apiserver: RecordedAPIServer, kubeconfig: Path) -> None:
    result = run(kubeconfig)

    [warning] = [w for w in result.warnings if "NetworkPolicy" in w]
    assert "403" in warning
    assert "list" in warning and "networkpolicies" in warning and "networking.k8s.io" in warning
    assert "NetworkPolicy" not in result.counts
    assert result.counts["Ingress"] == 1


def test_other_http_errors_are_warnings_naming_the_kind(apiserver: RecordedAPIServer, kubeconfig: Path) -> None:
    apiserver.overrides["/apis/apps/v1/daemonsets"] = {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "etcdserver: request timed out", "reason": "InternalError", "code": 500,
    }
    result = run(kubeconfig)

    assert any(w.startswith("DaemonSet: HTTP 500") and "etcdserver" in w for w in result.warnings)
    assert result.counts["Deployment"] == 2


def test_namespace_filter_uses_namespaced_paths(apiserver: RecordedAPIServer, kubeconfig: Path) -> None:
    result = run(kubeconfig, namespaces=["web", "ingress-nginx", "web"])

    paths = apiserver.paths()
    for plural in ("services", "pods", "configmaps", "secrets", "endpoints"):
        assert f"/api/v1/{plural}" not in paths
        assert f"/api/v1/namespaces/web/{plural}" in paths
        assert f"/api/v1/namespaces/ingress-nginx/{plural}" in paths
    assert "/apis/apps/v1/namespaces/web/deployments" in paths
    assert "/apis/gateway.networking.k8s.io/v1/namespaces/web/httproutes" in paths
    # Namespaces are read one by one (get), not listed.
    assert "/api/v1/namespaces/web" in paths and "/api/v1/namespaces" not in paths
    assert {o["metadata"]["name"] for o in result.objects if o["kind"] == "Namespace"} == {"ingress-nginx", "web"}
    namespaced = [o for o in result.objects if o["kind"] not in ("Namespace", "Node", "IngressClass", "GatewayClass")]
    assert namespaced and {o["metadata"]["namespace"] for o in namespaced} == {"web", "ingress-nginx"}
    # One 403 warning per namespace, naming it.
    assert sorted(w.split(":")[0] for w in result.warnings if "NetworkPolicy" in w) == [
        "NetworkPolicy in ingress-nginx",
        "NetworkPolicy in web",
    ]


def test_noise_and_sensitive_fields_are_stripped(apiserver: RecordedAPIServer, kubeconfig: Path) -> None:
    result = run(kubeconfig)

    for obj in result.objects:
        assert "managedFields" not in obj["metadata"], obj["kind"]
        assert "kubectl.kubernetes.io/last-applied-configuration" not in (obj["metadata"].get("annotations") or {})
    ingress = by_name(result, "Ingress")["web/frontend"]
    assert ingress["metadata"]["annotations"] == {"nginx.ingress.kubernetes.io/rewrite-target": "/"}
    assert ingress["spec"]["tls"] == [{"hosts": ["frontend.example.com"], "secretName": "frontend-tls"}]
    node = by_name(result, "Node")["/kind-control-plane"]
    assert node["status"] == {
        "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}, {"type": "Hostname", "address": "kind-control-plane"}]
    }
    assert node["spec"] == {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]}
    # Literal env values the container does not reference go; $(PORT) and fieldRefs stay for the engine.
    pod = by_name(result, "Pod")["web/frontend-5d8f7c9b4-x2x7q"]
    env = {e["name"]: e for e in pod["spec"]["containers"][0]["env"]}
    assert env["PORT"]["value"] == "8080"
    assert "value" not in env["DATABASE_PASSWORD"]
    assert "hunter2" not in json.dumps(result.objects)
    controller = by_name(result, "Deployment")["ingress-nginx/ingress-nginx-controller"]
    container = controller["spec"]["template"]["spec"]["containers"][0]
    assert "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller" in container["args"]
    assert {e["name"]: e for e in container["env"]}["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == (
        "metadata.namespace"
    )
    assert by_name(result, "ConfigMap")["ingress-nginx/ingress-nginx-controller"]["data"]["proxy-body-size"] == "8m"


def test_lists_follow_continue_tokens(
    apiserver: RecordedAPIServer, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pull, "PAGE_SIZE", 2)
    result = run(kubeconfig)

    pods = [r for r in apiserver.requests if r.path == "/api/v1/pods"]
    assert [r.query.get("continue") for r in pods] == [None, "2"]
    assert all(r.query["limit"] == "2" for r in pods)
    assert result.counts["Pod"] == 3
    assert len(by_name(result, "Secret")) == 4


def test_progress_reports_every_list(apiserver: RecordedAPIServer, kubeconfig: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    run(kubeconfig, progress=lambda message, done, total: calls.append((message, done, total)))

    assert calls[0] == ("Discovering API groups", 0, 0)
    total = calls[-1][2]
    assert calls[-1] == ("Done", total, total)
    assert [c[1] for c in calls[1:]] == list(range(total + 1))
    assert "Listing HTTPRoute.gateway.networking.k8s.io" in [c[0] for c in calls]


def test_context_selection(apiserver: RecordedAPIServer, kubeconfig: Path) -> None:
    assert run(kubeconfig, context="other").context == "other"
    with pytest.raises(PullError, match=r"context 'nope' not found in kubeconfig .* \(available: kind-tracer, other\)"):
        run(kubeconfig, context="nope")


def test_kubeconfig_from_environment(
    apiserver: RecordedAPIServer, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    result = pull_objects(kubeconfig=None, context=None, namespaces=["web"], include_secrets=False)
    assert result.counts["Service"] == 1


def test_missing_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(PullError, match=r"^no kubeconfig at .*/\.kube/config \(pass --kubeconfig or set KUBECONFIG\)$"):
        pull_objects(kubeconfig=None, context=None, namespaces=None)
    with pytest.raises(PullError, match="in-cluster config unavailable"):
        pull_objects(kubeconfig=None, context=None, namespaces=None, in_cluster=True)


def test_unreachable_server_fails_fast_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    with pytest.raises(PullError) as info:
        run(kubeconfig)
    assert str(info.value).startswith(f"cannot reach http://127.0.0.1:{port}:")
    assert "\n" not in str(info.value)
    assert time.monotonic() - started < 10


def test_rejected_credentials(apiserver: RecordedAPIServer, tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", apiserver.url, token="expired")
    with pytest.raises(PullError, match=r"rejected the credentials \(401 Unauthorized\)"):
        run(kubeconfig)


def test_to_yaml_round_trips(apiserver: RecordedAPIServer, kubeconfig: Path) -> None:
    result = run(kubeconfig)
    assert list(yaml.safe_load_all(pull.to_yaml(result.objects))) == result.objects


@pytest.mark.parametrize("name", ["rbac-metadata-only.yaml", "rbac-with-tls.yaml"])
def test_rbac_manifests_grant_exactly_what_the_pull_lists(name: str) -> None:
    docs = list(yaml.safe_load_all((ROOT / "deploy" / name).read_text()))
    granted: dict[tuple[str, str], set[str]] = {}
    for doc in docs:
        if doc["kind"] != "ClusterRole":
            continue
        for rule in doc["rules"]:
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    granted.setdefault((group, resource), set()).update(rule["verbs"])
    needed = {(r.group, r.plural) for r in (*pull.RESOURCES, pull.SECRETS)}
    assert set(granted) == needed
    assert granted.pop(("", "namespaces")) == {"get", "list"}
    assert all(verbs == {"list"} for verbs in granted.values())
    secret_roles = [d["metadata"]["name"] for d in docs if d["kind"] == "ClusterRole" and "secrets" in str(d["rules"])]
    # --no-secrets mode: the main role alone holds no Secret access.
    assert secret_roles == ["tracer-snapshot-secrets"]


def test_public_certificates_filter() -> None:
    key_pem = b"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n"
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    assert pull._public_certificates(b64(CERT_PEM)) == (b64(CERT_PEM), False)
    assert pull._public_certificates(b64(key_pem + CERT_PEM)) == (b64(CERT_PEM), True)
    assert pull._public_certificates(b64(key_pem)) == (None, True)
    assert pull._public_certificates("not base64!") == (None, False)


def test_discovery_forbidden_or_not_an_api_server(apiserver: RecordedAPIServer, kubeconfig: Path) -> None:
    apiserver.overrides["/api/v1"] = {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "Forbidden",
        "message": 'forbidden: User "system:anonymous" cannot get path "/api/v1"', "code": 403,
    }
    with pytest.raises(PullError, match=r"forbids API discovery \(GET /api/v1: 403\)"):
        run(kubeconfig)
    apiserver.overrides["/api/v1"] = {"kind": "Status", "code": 404}
    with pytest.raises(PullError, match=r"does not look like a Kubernetes API server \(GET /api/v1: HTTP 404\)"):
        run(kubeconfig)
