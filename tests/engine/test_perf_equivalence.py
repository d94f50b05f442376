"""Refactors and optimisations of the engine must not change any output.

tests/engine/golden/equivalence/ holds the full trace-v1 output (``Engine.trace(r).to_dict()``), one
pretty-printed file per case, for a fixed set of requests on the benchmark's synthetic snapshot
(300 Ingresses, seed 1), the same snapshot with a real controller installation (so the load-balancer
and kube-proxy hops are exercised), and the shipped examples; ``inputs.json`` keeps the snapshots and
requests, so later edits to examples/ or bench/ do not change what is compared.

The files were written by the engine as it stood before the module restructure of the rule-catalog
work, in a commit that changed no engine code. Regenerate them only when an output change is intended,
and only in a commit of its own that touches no engine code (so the diff shows exactly what changed):

    .venv/bin/python tests/engine/test_perf_equivalence.py --write
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).with_name("golden") / "equivalence"
sys.path.insert(0, str(ROOT / "bench"))

from bench_engine import request_mix, synthetic_objects  # noqa: E402

from tracer.engine import Engine, load_manifests  # noqa: E402

EXTRA_REQUESTS: list[Any] = [
    "GET https://app-1.example.com/",
    "GET https://app-3.example.com/api/v7/x/y",
    "HEAD http://APP-5.example.com./api/v2?x=1",
    "GET http://app-5.example.com:8080/",
    "POST http://t1.wild-7.example.com/api/v1/items",
    "GET ws://app-13.example.com/api/v1/socket",
    "GET https://missing.example.org/",
    {"method": "GET", "url": "http://app-15.example.com/", "headers": {"Host": "app-25.example.com:80"}},
    {"method": "PUT", "url": "https://app-23.example.com/api/v[0-9]/z", "client_ip": "10.1.2.3",
     "body_bytes": 2048, "http_version": "2", "headers": ["X-Forwarded-For: 1.2.3.4", "Cookie: a=b; c=d"]},
    {"method": "GET", "url": "https://app-35.example.com/", "sni": "app-45.example.com"},
    {"method": "GET", "url": "http://[2001:db8::1]/", "client_ip": "2001:db8::2"},
]


def _run(objs: list[dict[str, Any]], requests: list[Any]) -> list[dict[str, Any]]:
    engine = Engine(load_manifests(objs), controller="ingress-nginx", seed=1)
    return [engine.trace(r).to_dict() for r in requests]


def inputs() -> dict[str, dict[str, Any]]:
    """The snapshots and requests; stored in the golden file so later edits to examples/ do not matter."""
    synthetic = synthetic_objects(300)
    mix = request_mix(300, 50, random.Random(1))
    out: dict[str, dict[str, Any]] = {"synthetic-300": {"objects": synthetic, "requests": mix + EXTRA_REQUESTS}}
    controller = list(yaml.safe_load_all((ROOT / "examples/shop/ingress-nginx.yaml").read_text()))
    controller = [o for o in controller if o and o.get("kind") != "IngressClass"]
    # "objects_before": the objects of another case come first (stored once).
    out["synthetic-300+controller"] = {"objects_before": "synthetic-300", "objects": controller,
                                       "requests": mix[:25] + EXTRA_REQUESTS}
    # examples/profiles holds app profiles only, not a snapshot.
    for example in sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir() and p.name != "profiles"):
        objs = [o for f in sorted(example.glob("*.yaml")) for o in yaml.safe_load_all(f.read_text()) if o]
        hosts = sorted({r.get("host") or "unknown.example" for o in objs if o.get("kind") == "Ingress"
                        for r in (o.get("spec") or {}).get("rules") or []})
        if not hosts:  # no Ingress (a Gateway API example): nothing for ingress-nginx to route
            continue
        paths = ["/", "/api/items?id=3", "/cart", "/vscode", "/vscode/x?y=1",
                 "/stable-487e0b6eb726a84faf6b1a95c68a092fba078fd1/static/a.js",
                 "/stable-487e0b6eb726a84faf6b1a95c68a092fba078fd1/", "/stable-487e0b6eb726a84faf6b1a95c68a092fba078fd1"]
        reqs: list[Any] = [f"GET {s}://{h}{p}" for h in hosts[:4] for s in ("http", "https") for p in paths]
        reqs += [{"method": "POST", "url": f"https://{hosts[0]}/api/x", "headers": {"Cookie": "canary=always"}},
                 f"GET http://a.{hosts[0]}/"]
        out[f"example-{example.name}"] = {"objects": objs, "requests": reqs}
    return out


def _objects(cases: dict[str, dict[str, Any]], case: dict[str, Any]) -> list[dict[str, Any]]:
    before = cases[case["objects_before"]]["objects"] if case.get("objects_before") else []
    return before + case["objects"]


def _dump(data: Any) -> str:
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def test_trace_output_unchanged() -> None:
    cases = json.loads((GOLDEN / "inputs.json").read_text())
    assert set(cases) == {p.stem for p in GOLDEN.glob("*.json")} - {"inputs"}
    for name, case in cases.items():
        actual = json.loads(json.dumps(_run(_objects(cases, case), case["requests"])))
        expected = json.loads((GOLDEN / f"{name}.json").read_text())
        assert len(actual) == len(expected), name
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert a == e, f"{name}[{i}]: {e['requests'][0]['request']}"


if __name__ == "__main__" and "--write" in sys.argv:
    cases = json.loads(json.dumps(inputs()))
    GOLDEN.mkdir(exist_ok=True)
    for old in GOLDEN.glob("*.json"):
        old.unlink()
    (GOLDEN / "inputs.json").write_text(_dump(cases))
    for name, case in cases.items():
        (GOLDEN / f"{name}.json").write_text(_dump(_run(_objects(cases, case), case["requests"])))
    print(f"wrote {GOLDEN}")


def test_fast_url_split_agrees_with_urlsplit() -> None:
    from tracer.engine.errors import RequestError
    from tracer.engine.request import _fast_split, _split_url

    rng = random.Random(7)
    alphabet = "aZ09.-/?%&=_~!$()*+,;:é"
    urls = ["http://a/", "http://a", "https://A.B./x?y", "http://a?b", "http://a./", "http://./", "http://a/b?c?d"]
    urls += [rng.choice(["http://", "https://"]) + "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
             for _ in range(5000)]
    for url in urls:
        fast = _fast_split(url)
        if fast is None:
            continue
        try:
            slow: Any = _split_url.__wrapped__(url)
        except RequestError as exc:
            slow = exc
        assert fast == slow, url
