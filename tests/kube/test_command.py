"""`manage.py snapshot pull` end to end against the recorded API server."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from kube_apiserver import RecordedAPIServer

from tracer.models import Snapshot, SnapshotObject, Workspace, default_workspace

ROOT = Path(__file__).resolve().parents[2]
CERT_PEM = (Path(__file__).parent / "fixtures" / "frontend-tls.crt.pem").read_bytes()


def pull(*args: str) -> str:
    out = io.StringIO()
    call_command("snapshot", "pull", *args, stdout=out)
    return out.getvalue()


def test_output_writes_multi_document_yaml(apiserver: RecordedAPIServer, kubeconfig: Path, tmp_path: Path) -> None:
    target = tmp_path / "snap.yaml"
    out = pull("--kubeconfig", str(kubeconfig), "--output", str(target), "--include-tls-secrets")

    docs = list(yaml.safe_load_all(target.read_text()))
    assert len(docs) == 29
    assert all(d["apiVersion"] and d["kind"] and d["metadata"]["name"] for d in docs)
    text = target.read_text()
    assert text.startswith(f"# tracer snapshot pull from {apiserver.url} (context kind-tracer)\n")
    assert "# warning: NetworkPolicy: forbidden (403)" in text
    assert "tls.key" not in text and "PRIVATE KEY" not in text
    [tls] = [d for d in docs if d["kind"] == "Secret" and d["metadata"]["name"] == "frontend-tls"]
    assert base64.b64decode(tls["data"]["tls.crt"]) == CERT_PEM
    # Progress, per-kind summary and warnings on stdout.
    assert "Discovering API groups" in out
    assert "Pulled 29 objects (context kind-tracer, " in out
    assert "  Pod " in out and "HTTPRoute.gateway.networking.k8s.io" in out
    assert "2 warning(s):" in out and "web/bundle-tls: tls.crt contains a private key" in out
    assert f"Wrote {target}" in out


def test_output_to_stdout_keeps_yaml_clean(
    apiserver: RecordedAPIServer, kubeconfig: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("snapshot", "pull", "--kubeconfig", str(kubeconfig), "-n", "web", "--no-secrets", "-o", "-")

    captured = capsys.readouterr()
    docs = list(yaml.safe_load_all(captured.out))
    assert {d["metadata"].get("namespace", "web") for d in docs if d["kind"] not in ("Node", "IngressClass", "GatewayClass")} == {"web"}
    assert not [d for d in docs if d["kind"] == "Secret"]
    assert "Pulled" in captured.err and "Pulled" not in captured.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--context", "nope"], "context 'nope' not found in kubeconfig"),
        (["--kubeconfig", "/nonexistent/kubeconfig"], "no kubeconfig at /nonexistent/kubeconfig"),
    ],
)
def test_config_errors_exit_2(apiserver: RecordedAPIServer, kubeconfig: Path, args: list[str], message: str) -> None:
    if "--kubeconfig" not in args:
        args = ["--kubeconfig", str(kubeconfig), *args]
    with pytest.raises(CommandError, match=message) as info:
        pull(*args, "-o", "-")
    assert info.value.returncode == 2


def test_command_line_error_is_one_line_with_exit_status_2(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "KUBECONFIG": str(tmp_path / "missing")}
    env.pop("KUBERNETES_SERVICE_HOST", None)
    proc = subprocess.run(
        [sys.executable, "manage.py", "snapshot", "pull", "-o", "-"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"CommandError: no kubeconfig at {tmp_path / 'missing'} (pass --kubeconfig or set KUBECONFIG)"
    ]


@pytest.mark.django_db
def test_pull_stores_a_snapshot_in_the_users_workspace(apiserver: RecordedAPIServer, kubeconfig: Path) -> None:
    user = get_user_model().objects.create_user("alice")
    out = pull("--kubeconfig", str(kubeconfig), "--user", "alice", "--name", "kind before upgrade")

    snap = Snapshot.objects.get()
    assert snap.workspace == default_workspace(user)
    assert snap.name == "kind before upgrade"
    assert snap.source == Snapshot.Source.CLUSTER_PULL
    assert snap.created_by == user
    assert snap.files == ["cluster:kind-tracer"]
    assert snap.object_count == 29 == SnapshotObject.objects.filter(snapshot=snap).count()
    assert snap.counts_by_kind["Secret"] == 4
    assert any("NetworkPolicy: forbidden (403)" in w["message"] for w in snap.warnings)
    secrets = SnapshotObject.objects.filter(snapshot=snap, kind="Secret")
    assert all("data" not in s.body for s in secrets)
    route = SnapshotObject.objects.get(snapshot=snap, kind="HTTPRoute")
    assert route.group == "gateway.networking.k8s.io" and route.file == "cluster:kind-tracer"
    assert f"Stored snapshot 'kind before upgrade' ({snap.id})" in out
    # The engine reads it back like any upload.
    engine = snap.to_engine()
    assert engine.get("Ingress", "web", "frontend") is not None


@pytest.mark.django_db
def test_pull_into_named_workspace_and_target_errors(apiserver: RecordedAPIServer, kubeconfig: Path) -> None:
    workspace = Workspace.objects.create(name="platform")
    pull("--kubeconfig", str(kubeconfig), "--workspace", "platform", "-n", "web")
    pull("--kubeconfig", str(kubeconfig), "--workspace", str(workspace.pk), "--no-secrets")
    assert Snapshot.objects.filter(workspace=workspace, created_by=None).count() == 2
    for args, message in (
        ([], "pass --workspace or --user"),
        (["--user", "nobody"], "no user named 'nobody'"),
        (["--workspace", "nope"], "no workspace 'nope'"),
    ):
        requests_before = len(apiserver.requests)
        with pytest.raises(CommandError, match=message) as info:
            pull("--kubeconfig", str(kubeconfig), *args)
        assert info.value.returncode == 2
        assert len(apiserver.requests) == requests_before  # resolved before contacting the cluster
