"""The engine's public contract: no Django, trace-v1 JSON valid against the schema, the CLI's exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tracer.engine import trace

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tracer/engine/schema/trace-v1.schema.json").read_text())
MANIFEST = """
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: nginx
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {name: http}}}}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec:
  selector: {app: api}
  ports: [{name: http, port: 80, targetPort: web}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: api:1, ports: [{name: web, containerPort: 8080}]}]
"""


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)


def test_engine_has_no_django_or_celery_import() -> None:
    offenders = []
    for path in (ROOT / "tracer/engine").rglob("*.py"):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith(("import django", "from django", "import celery", "from celery")):
                offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert offenders == []


def test_engine_works_with_django_unimportable() -> None:
    code = (
        "import sys; sys.modules['django'] = None; sys.modules['celery'] = None\n"
        "from tracer.engine import trace\n"
        f"t = trace({MANIFEST!r}, 'GET http://shop.example.com/api/items?id=3').to_dict()\n"
        "r = t['requests'][0]\n"
        "print(r['status'], r['backend']['port'], r['pod']['port'], r['upstream']['path'])\n"
    )
    # `import tracer` would load tracer/__init__.py (Celery app): the engine must be importable without it.
    out = run_python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["200", "80", "8080", "/api/items?id=3"]


def test_trace_validates_against_schema() -> None:
    data = trace(MANIFEST, "GET http://shop.example.com/api/items?id=3").to_dict()
    jsonschema.validate(data, SCHEMA)
    miss = trace(MANIFEST, "GET http://shop.example.com/other").to_dict()
    jsonschema.validate(miss, SCHEMA)
    assert miss["requests"][0]["status"] == 404


def test_schema_rejects_a_trace_without_hops() -> None:
    data = trace(MANIFEST, "GET http://shop.example.com/api").to_dict()
    data["requests"][0]["hops"] = []
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, SCHEMA)


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "trace", *args], cwd=ROOT, capture_output=True, text=True, input=stdin,
        timeout=120, env={**os.environ, "DATABASE_URL": "sqlite:////nonexistent/dir/db.sqlite3"},
    )


def test_cli_exit_codes_and_json(tmp_path: Path) -> None:
    m = tmp_path / "m.yaml"
    m.write_text(MANIFEST)
    ok = cli("-f", str(m), "--request", "GET http://shop.example.com/api/x", "-o", "json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["requests"][0]["status"] == 200
    miss = cli("-f", str(m), "--request", "GET http://shop.example.com/nope")
    assert miss.returncode == 1
    assert "->  404 Not Found" in miss.stdout and "COMPONENT" in miss.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [unclosed\n")
    err = cli("-f", str(bad), "--request", "GET http://x/")
    assert err.returncode == 2
    assert "bad.yaml" in err.stderr


def test_cli_reads_stdin_and_scenarios(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("requests:\n- GET http://shop.example.com/api/a\n- {method: POST, url: http://shop.example.com/api/b}\n")
    out = cli("-f", "-", "--scenario", str(scenario), "-o", "json", stdin=MANIFEST)
    assert out.returncode == 0, out.stderr
    reqs = json.loads(out.stdout)["requests"]
    assert [r["request"]["method"] for r in reqs] == ["GET", "POST"]
    bad = cli("-f", "-", "--request", "FETCH http://shop.example.com/", stdin=MANIFEST)
    assert bad.returncode == 2 and "FETCH" in bad.stderr
