"""Seed report 003 (Knative 0.14 on Istio, a company domain in front of the gateway), stage by stage.

examples/knative-003-0-http10: HTTP/1.0 reaches the ingress gateway, whose Envoy answers 426 (istio#S14);
examples/knative-003-1-custom-domain: with ISTIO_META_HTTP10="1" the request is routed, and the company domain is
in no VirtualService host: 404 NR (istio#S13); examples/knative-003-2-green: a DomainMapping with its
ClusterDomainClaim routes the domain to the hello-world revision (istio#S23): 200. Each stage's diagnosis carries
the patch that the next stage's folder holds, and `trace --fix all` walks stage 0 to green.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tracer.engine import Engine, load_manifests
from tracer.engine.fixes import apply_patches, patches_of
from tracer.engine.snapshot import Snapshot

ROOT = Path(__file__).resolve().parents[2]
STAGES = [ROOT / "examples" / f"knative-003-{s}" for s in ("0-http10", "1-custom-domain", "2-green")]
DOMAIN = "api-test.sls.intra.kaku.com"
GATEWAY = "istio-system/istio-ingressgateway"


def stage(n: int) -> tuple[Snapshot, dict[str, Any]]:
    """The stage's snapshot and its one journey request as trace-v1 JSON."""
    snap = load_manifests(str(STAGES[n]))
    (request,) = Engine(snap).journeys().to_dict()["requests"]
    return snap, request


def deciding_hop(request: dict[str, Any]) -> dict[str, Any]:
    hop: dict[str, Any] = request["hops"][request["decided_by"]]
    return hop


def diagnosis(request: dict[str, Any], code: str) -> dict[str, Any]:
    return next(d for d in request["diagnoses"] if d["code"] == code)


def test_stage0_http10_gets_426_from_the_gateway_and_the_fix_is_stage1() -> None:
    snap, req = stage(0)
    assert req["request"]["http_version"] == "1.0" and req["request"]["url"] == f"http://{DOMAIN}/"
    assert req["status"] == 426 and req["controller"] == "istio" and req["route"] is None
    hop = deciding_hop(req)
    assert (hop["component"], hop["name"], hop["verdict"], hop["status"]) == ("controller", GATEWAY, "answered", 426)
    assert hop["rules"] == ["istio#S14"]
    assert [d["code"] for d in req["diagnoses"]] == ["HTTP10_UPGRADE_REQUIRED"]
    diag = diagnosis(req, "HTTP10_UPGRADE_REQUIRED")
    assert diag["rule"] == "istio#S14" and "ISTIO_META_HTTP10=1" in diag["fix"]
    (patch,) = diag["patches"]
    assert patch["target"] == {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "istio-system",
                               "name": "istio-ingressgateway"}
    # The fix proposed is exactly the change stage 1 made: the same objects, byte for byte.
    fixed = apply_patches(snap, patches_of(diag))
    assert fixed.content_hash == load_manifests(str(STAGES[1])).content_hash != snap.content_hash


def test_stage1_custom_domain_is_in_no_virtualservice_host_404_nr_and_the_fix_is_stage2() -> None:
    snap, req = stage(1)
    assert req["status"] == 404 and req["route"] is None and req["backend"] is None
    hop = deciding_hop(req)
    assert (hop["component"], hop["name"], hop["verdict"]) == ("controller", GATEWAY, "answered")
    assert hop["details"]["response_flags"] == "NR" and "istio#S13" in hop["rules"] and "istio#S14" not in hop["rules"]
    assert f"covers {DOMAIN}" in hop["summary"]
    assert [d["code"] for d in req["diagnoses"]] == ["ISTIO_NO_ROUTE"]
    # Knative gave the Service its own host only; the company domain is not among the routed hosts.
    assert Engine(snap).route("GET http://helloworld-go.default.example.com/ HTTP/1.0").status == 200
    diag = diagnosis(req, "ISTIO_NO_ROUTE")
    assert diag["rule"] == "istio#S13"
    assert "DomainMapping" in diag["fix"] and "ClusterDomainClaim" in diag["fix"] and "helloworld-go" in diag["fix"]
    assert [(p["op"], p["target"]["kind"], p["target"]["name"]) for p in diag["patches"]] == [
        ("create", "DomainMapping", DOMAIN), ("create", "ClusterDomainClaim", DOMAIN)]
    fixed = apply_patches(snap, patches_of(diag))
    assert fixed.content_hash == load_manifests(str(STAGES[2])).content_hash != snap.content_hash


def test_stage2_domain_mapping_routes_the_company_domain_to_the_helloworld_revision() -> None:
    _, req = stage(2)
    assert req["status"] == 200 and req["diagnoses"] == []
    assert req["route"] == {"kind": "VirtualService", "namespace": "default", "name": f"{DOMAIN}-ingress",
                            "rule": "http[0]"}
    assert req["backend"] == {"namespace": "default", "service": "helloworld-go-00001", "port": 80}
    # Knative rewrites the Host to the Service's cluster-local name and keeps the original in K-Original-Host.
    assert req["upstream"]["host"] == "helloworld-go.default.svc.cluster.local"
    assert req["upstream"]["headers"]["K-Original-Host"] == DOMAIN
    components = [h["component"] for h in req["hops"]]
    assert components[-3:] == ["controller", "activator", "pod"]
    gateway = req["hops"][-3]
    assert gateway["verdict"] == "forwarded" and gateway["details"]["virtual_host"] == DOMAIN
    assert "istio#S20" in gateway["rules"] and "istio#S14" not in gateway["rules"]
    hop = deciding_hop(req)
    assert hop["component"] == "pod" and hop["details"]["app_profile"] == "default/helloworld-go"
    assert hop["status"] == 200


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "trace", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DATABASE_URL": "sqlite:////nonexistent/dir/db.sqlite3"},
    )


def test_fix_all_walks_stage0_to_green_through_stage1(tmp_path: Path) -> None:
    out = tmp_path / "fixed"
    proc = cli("-f", str(STAGES[0]), "--fix", "all", "--write-fixed", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"before: request 1 GET http://{DOMAIN}/ fails: 426 Upgrade Required"
    assert lines[1].startswith("fix 1: HTTP10_UPGRADE_REQUIRED")
    assert lines[3] == f"after fix 1: request 1 GET http://{DOMAIN}/ fails: 404 Not Found"
    assert lines[4].startswith("fix 2: ISTIO_NO_ROUTE")
    assert "after fix 2: the request succeeds" in lines
    assert "None" not in proc.stdout and "True" not in proc.stdout
    # The written files are stage 2's objects.
    assert load_manifests(str(out)).content_hash == load_manifests(str(STAGES[2])).content_hash


def test_fix_walk_json_names_the_two_fixes_in_order() -> None:
    proc = cli("-f", str(STAGES[0]), "--fix", "all", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    steps = json.loads(proc.stdout)["steps"]
    assert [s["applied"] and s["applied"]["code"] for s in steps] == [None, "HTTP10_UPGRADE_REQUIRED", "ISTIO_NO_ROUTE"]
    assert [s["trace"]["requests"][0]["status"] for s in steps] == [426, 404, 200]
