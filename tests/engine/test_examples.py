"""Golden traces of the examples/ snapshots: the outcome users read, hop by hop, must not drift.

Regenerate after an intended behaviour change with TRACER_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tracer.engine import Engine

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden" / "examples.json"
SCHEMA = json.loads((ROOT / "tracer/engine/schema/trace-v1.schema.json").read_text())
VSCODE = "/stable-487e0b6eb726a84faf6b1a95c68a092fba078fd1"
CASES: list[tuple[str, str, Any, dict[str, Any]]] = [
    ("stage1-prefix-unchanged", "vscode-1-prefix", "GET http://198.51.100.20/vscode/?tkn=eomdZNpW", {}),
    ("stage2-rewrite-to-root", "vscode-2-rewrite", "GET http://198.51.100.20/vscode/?tkn=eomdZNpW", {}),
    ("stage2-redirect-target-404", "vscode-2-rewrite", "GET http://198.51.100.20/", {}),
    ("stage3-location-rewritten", "vscode-3-location", "GET http://198.51.100.20/vscode/?tkn=eomdZNpW", {}),
    ("stage4-static-assets", "vscode-4-static", f"GET http://198.51.100.20{VSCODE}/static/out/vs/workbench.js", {}),
    ("stage5-regex-prefix", "vscode-5-regex", f"GET http://198.51.100.20{VSCODE}/?tkn=eomdZNpW", {}),
    ("stage5-websocket-no-slash", "vscode-5-regex", f"GET ws://198.51.100.20{VSCODE}?reconnectionToken=1", {}),
    ("stage6-websocket", "vscode-6-green", {"method": "GET", "url": f"ws://198.51.100.20{VSCODE}?reconnectionToken=1",
                                            "headers": {"Cookie": "vscode-tkn=eomdZNpW"}}, {}),
    ("shop-https-redirect", "shop", "GET http://shop.example.com/cart", {}),
    ("shop-api-rewrite", "shop", "GET https://shop.example.com/api/items?id=3", {}),
    ("shop-canary-header", "shop", {"method": "GET", "url": "https://shop.example.com/", "headers": {"X-Canary": "always"}}, {}),
    ("shop-canary-weight", "shop", "GET https://shop.example.com/", {"seed": 3}),
    ("shop-wildcard-no-endpoints", "shop", "GET https://acme.shop.example.com/", {}),
    ("shop-hostless-landing", "shop", "GET http://unknown.example.org/", {}),
    ("shop-body-too-large", "shop", {"method": "POST", "url": "https://shop.example.com/checkout", "body_bytes": 20_000_000}, {}),
    # One or more per controller family beside ingress-nginx (issue 10).
    ("gateway-https-shop", "gateway-api-basic", "GET https://shop.example.com/", {}),
    ("gateway-http-redirect", "gateway-api-basic", "GET http://shop.example.com/", {}),
    ("traefik-v1-dashboard-no-slash", "traefik-dashboard-004", "GET https://10.0.0.11/k8s", {}),
    ("traefik-v1-dashboard-api", "traefik-dashboard-004", "GET https://10.0.0.11/k8s/api/v1/login", {}),
    ("knative-cold-start", "knative-helloworld", "GET http://helloworld-go.default.example.com/", {}),
    ("report003-http10-426", "knative-003-0-http10",
     {"method": "GET", "url": "http://api-test.sls.intra.kaku.com/", "http_version": "1.0"}, {}),
    ("report003-custom-domain-404", "knative-003-1-custom-domain",
     {"method": "GET", "url": "http://api-test.sls.intra.kaku.com/", "http_version": "1.0"}, {}),
    ("report003-domain-mapping", "knative-003-2-green",
     {"method": "GET", "url": "http://api-test.sls.intra.kaku.com/", "http_version": "1.0"}, {}),
    ("migration-nginx-regex-case", "migration-nginx-to-gateway", "GET http://api.example.com/V0/ITEMS",
     {"controller": "ingress-nginx"}),
    ("migration-gateway-regex-case", "migration-nginx-to-gateway", "GET http://api.example.com/V0/ITEMS",
     {"controller": "gateway-api"}),
    ("ingress-spec-shop", "shop", "GET https://shop.example.com/api/items?id=3", {"controller": "ingress-spec"}),
]


def summarise(req: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": req["status"],
        "route": req["route"],
        "backend": req["backend"],
        "pod": req["pod"],
        "upstream_path": req["upstream"] and req["upstream"]["path"],
        "location": req["response_headers"].get("location"),
        "hops": [f"{h['component']}:{h['status']}:{h['outcome']}" for h in req["hops"]],
        "diagnoses": [d["code"] for d in req["diagnoses"]],
        "split": req["split"],
    }


def current() -> dict[str, Any]:
    out = {}
    for name, example, request, options in CASES:
        data = Engine(str(ROOT / "examples" / example), **options).trace(request).to_dict()
        jsonschema.validate(data, SCHEMA)
        out[name] = summarise(data["requests"][0])
    return out


def test_examples_match_golden_traces() -> None:
    got = current()
    if os.environ.get("TRACER_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    want = json.loads(GOLDEN.read_text())
    for name in want:
        assert got[name] == want[name], name
    assert set(got) == set(want)


# examples/profiles holds AppProfiles for the snapshots beside it, not a snapshot of its own.
@pytest.mark.parametrize(
    "example", sorted(p.name for p in (ROOT / "examples").iterdir() if p.is_dir() and p.name != "profiles")
)
def test_every_example_loads_without_warnings_about_errors(example: str) -> None:
    engine = Engine(str(ROOT / "examples" / example))
    # Examples of other families: the Traefik 1.7 replay of report 004 (tests/engine/test_traefik.py) and the
    # Gateway API example (tests/engine/test_gateway_api.py).
    families = {"traefik-": "traefik-v1", "gateway-api-": "gateway-api", "knative-": "istio"}
    assert engine.family == next((f for prefix, f in families.items() if example.startswith(prefix)), "ingress-nginx")
    assert not [w for w in engine.snapshot.warnings if "error" in str(w).lower()]
