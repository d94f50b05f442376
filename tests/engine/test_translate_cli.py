"""`manage.py translate --to gateway-api` run as a user runs it: YAML on stdout with the notes as comments and on
stderr, --verify with its exit status, --write, bad input, and the checked-in translation of the migration example."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "migration-nginx-to-gateway"


def cli(command: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", command, *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DATABASE_URL": "sqlite:////nonexistent/dir/db.sqlite3"},
    )


def test_stdout_is_yaml_with_the_notes_as_comments_and_on_stderr() -> None:
    proc = cli("translate", "-f", str(EXAMPLE), "--to", "gateway-api")
    assert proc.returncode == 0, proc.stderr
    docs = list(yaml.safe_load_all(proc.stdout))
    kinds = [d["kind"] for d in docs]
    assert kinds[:2] == ["GatewayClass", "Gateway"] and kinds.count("HTTPRoute") == 7
    warning = "whitelist-source-range: value 10.0.0.0/8"
    assert any(line.startswith("#") and warning in line for line in proc.stdout.splitlines())
    assert warning in proc.stderr
    for text in (proc.stdout, proc.stderr):
        assert "None" not in text and "True" not in text and "False" not in text


def test_the_example_holds_exactly_what_the_command_writes() -> None:
    proc = cli("translate", "-f", str(EXAMPLE), "--to", "gateway-api")
    assert proc.stdout == (EXAMPLE / "gateway-api" / "gateway-api.yaml").read_text()


def test_verify_exits_1_when_an_outcome_changes_and_json_has_the_classes() -> None:
    proc = cli("translate", "-f", str(EXAMPLE), "--to", "gateway-api", "--verify", "-o", "json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "tracer/translation-v1"
    assert {r["class"] for r in doc["requests"] if r["changed"]} == {"ingress-nginx-only", "translation-gap",
                                                                        "spec-gap"}
    assert "Why:" in proc.stderr and "trailing-slash 301" in proc.stderr


def test_verify_exits_0_when_nothing_changes(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("\n---\n".join([
        (EXAMPLE / "ingress-nginx.yaml").read_text(), (EXAMPLE / "apps.yaml").read_text(),
        yaml.safe_dump({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                        "metadata": {"name": "web", "namespace": "site"},
                        "spec": {"ingressClassName": "nginx", "rules": [{"host": "app.example.com", "http": {"paths": [
                            {"path": "/", "pathType": "Prefix",
                             "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}})]))
    proc = cli("translate", "-f", str(plain), "--to", "gateway-api", "--verify",
               "--request", "GET http://app.example.com/")
    assert proc.returncode == 0, proc.stderr
    assert "No request changes outcome" in proc.stderr


def test_bad_input_exits_2() -> None:
    wrong = cli("translate", "-f", str(EXAMPLE), "--to", "traefik")
    assert wrong.returncode == 2 and "supported targets are gateway-api" in wrong.stderr
    missing = cli("translate", "-f", str(EXAMPLE / "nope.yaml"), "--to", "gateway-api")
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr
    impl = cli("translate", "-f", str(EXAMPLE), "--to", "gateway-api", "--implementation", "nginx")
    assert impl.returncode == 2 and "envoy-gateway" in impl.stderr


def test_write_then_trace_the_written_folder(tmp_path: Path) -> None:
    out = tmp_path / "gw"
    proc = cli("translate", "-f", str(EXAMPLE), "--to", "gateway-api", "--write", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (out / "gateway-api.yaml").read_text() == proc.stdout
    assert not (out / "ingresses.yaml").exists()  # every Ingress of it was translated
    traced = cli("trace", "-f", str(out), "--controller", "gateway-api", "--request", "GET http://app.example.com/",
                 "-o", "json")
    assert traced.returncode == 0, traced.stdout + traced.stderr
    request = json.loads(traced.stdout)["requests"][0]
    assert request["status"] == 200 and request["route"]["kind"] == "HTTPRoute"
