"""Engine benchmark: synthetic snapshots of 100, 1,000 and 10,000 Ingresses.

Each size has 2 paths per Ingress, one Service per Ingress and 5 Pods per Service (10,000 Ingresses:
20,000 paths, 10,000 Services, 50,000 Pods), with a mix of exact hosts, wildcard hosts, regex-mode hosts
and canaries. For each size it reports: YAML load time, compile time, the Service index build on its own
(EndpointSlices, Pods by label, workloads: part of compile for ingress-nginx, of the first route for
ingress-spec), routes/s on one core after compile (Engine.route, i.e. the full hop list), trace-v1
serialisation cost, and memory.

Memory is measured honestly: a first child process generates the snapshot's YAML file and exits, then a second
one, which has only imported the engine, loads the file and compiles it. It reports its resident set size
(VmRSS) after the imports, after the load and after the compile (the compiled snapshot's memory: what a
worker holding the Engine keeps), and its peak over the whole run (routing and serialising included).

Times are CPU time (time.process_time; routes: best of 3 passes), since the machine may be shared;
routes also report wall time. Targets (issues 2 and 11): per-trace cost at 10,000 Ingresses within 2x of 100;
>= 10,000 traces/s at 10,000; compiled snapshot <= 300 MB at 10,000.

The nginx anchor (bench/nginx_anchor.py; skipped with --no-nginx): a real nginx (Debian's nginx-light, one
worker process) serves a route table of the same shape, and ``wrk -t2 -c20 -d10s`` sends it the same request
mix; the bench prints tracer's route decisions/s (one core) as a fraction of nginx's requests/s, after checking
that nginx answers a sample of the mix with the status tracer decided. nginx-light and wrk are installed with
apt-get when missing.

With --controller ingress-spec the same snapshots go through the portable Ingress data plane instead
(its hosts and paths are indexed too, so the same per-trace target applies).

    .venv/bin/python bench/bench_engine.py [--sizes 100,1000,10000] [--requests 20000] [--controller ingress-nginx]
        [--no-nginx] [--nginx-duration 10]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def synthetic_objects(n_ingresses: int, pods_per_service: int = 5) -> list[dict[str, Any]]:
    objs: list[dict[str, Any]] = [
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass", "metadata": {"name": "nginx"},
         "spec": {"controller": "k8s.io/ingress-nginx"}},
    ]
    for i in range(n_ingresses):
        ns = f"team-{i % 50}"
        svc = f"svc-{i}"
        kind = i % 10
        if kind == 7:
            host = f"*.wild-{i}.example.com"
        else:
            host = f"app-{i}.example.com"
        annotations: dict[str, str] = {}
        paths = [
            {"path": "/", "pathType": "Prefix"},
            {"path": f"/api/v{i % 3}", "pathType": "Prefix"},
        ]
        if kind == 3:  # regex-mode host
            annotations = {"nginx.ingress.kubernetes.io/use-regex": "true",
                           "nginx.ingress.kubernetes.io/rewrite-target": "/$2"}
            paths[1] = {"path": r"/api/v[0-9]+(/|$)(.*)", "pathType": "ImplementationSpecific"}
        objs.append({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": f"ing-{i}", "namespace": ns, "annotations": annotations,
                         "creationTimestamp": f"2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z"},
            "spec": {"ingressClassName": "nginx", "rules": [{"host": host, "http": {"paths": [
                {**p, "backend": {"service": {"name": svc, "port": {"number": 80}}}} for p in paths]}}]},
        })
        if kind == 5:  # canary on the same host
            objs.append({
                "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": {"name": f"ing-{i}-canary", "namespace": ns, "annotations": {
                    "nginx.ingress.kubernetes.io/canary": "true",
                    "nginx.ingress.kubernetes.io/canary-weight": "10"}},
                "spec": {"ingressClassName": "nginx", "rules": [{"host": host, "http": {"paths": [
                    {"path": "/", "pathType": "Prefix",
                     "backend": {"service": {"name": f"{svc}-canary", "port": {"number": 80}}}}]}}]},
            })
        services = [svc, f"{svc}-canary"] if kind == 5 else [svc]
        for name in services:
            objs.append({
                "apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
            })
        for p in range(pods_per_service + (1 if kind == 5 else 0)):
            name = f"{svc}-canary" if p == pods_per_service else svc
            objs.append({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": f"{name}-{p}", "namespace": ns, "labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "app:1", "ports": [
                    {"name": "http", "containerPort": 8080}]}]},
                "status": {"phase": "Running", "podIP": f"10.{i // 250 % 250}.{i % 250}.{p + 1}",
                           "conditions": [{"type": "Ready", "status": "True"}]},
            })
    return objs


def request_mix(n_ingresses: int, count: int, rng: random.Random) -> list[str]:
    out = []
    for _ in range(count):
        i = rng.randrange(n_ingresses)
        kind = i % 10
        host = f"t{rng.randrange(100)}.wild-{i}.example.com" if kind == 7 else f"app-{i}.example.com"
        path = rng.choice(["/", f"/api/v{i % 3}/items", "/static/app.js", f"/api/v{i % 3}"])
        if rng.random() < 0.05:
            host = f"missing-{i}.example.org"
        out.append(f"GET http://{host}{path}")
    return out


def rss_mb() -> float:
    """This process's resident set size now (VmRSS), in MB (MiB, as ru_maxrss is reported)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def generate(size: int, path: Path) -> None:
    """Write the synthetic snapshot's YAML (run in its own process, so the measured one never holds it)."""
    path.write_text(yaml.dump_all(synthetic_objects(size), Dumper=yaml.CSafeDumper, sort_keys=False))


def run_one(size: int, n_requests: int, controller: str, path: Path, sample: int) -> dict[str, Any]:
    from tracer.engine import Engine, load_manifests
    from tracer.engine.dataplanes import ingress_nginx, ingress_spec  # noqa: F401  (imported before the baseline)
    from tracer.engine.services import ServiceIndex

    gc.collect()
    rss_start = rss_mb()
    t0 = time.process_time()
    snapshot = load_manifests(path)
    load_s = time.process_time() - t0
    rss_load = rss_mb()
    t0 = time.process_time()
    engine = Engine(snapshot, controller=controller, seed=1)
    compile_s = time.process_time() - t0
    rss_compile = rss_mb()
    requests = request_mix(size, n_requests, random.Random(42))
    for r in requests[:200]:  # warm caches the same way at every size
        engine.route(r)
    statuses: dict[int | None, int] = {}
    for r in requests:
        st = engine.route(r).status
        statuses[st] = statuses.get(st, 0) + 1
    # The machine may be shared: report CPU time (best of a few runs) as the headline, wall time beside it.
    route_s, route_wall_s = float("inf"), float("inf")
    for _ in range(3):
        c0, t0 = time.process_time(), time.perf_counter()
        for r in requests:
            engine.route(r)
        route_s = min(route_s, time.process_time() - c0)
        route_wall_s = min(route_wall_s, time.perf_counter() - t0)
    rss_routed = rss_mb()
    t0 = time.process_time()
    _ = engine.snapshot.content_hash  # computed once, on the first trace (sha256 of every object): timed on its own
    hash_s = time.process_time() - t0
    t0 = time.process_time()
    for r in requests[:2000]:
        json.dumps(engine.trace(r).to_dict())
    full_s = (time.process_time() - t0) / min(2000, len(requests))
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sample_statuses = [engine.route(r).status for r in requests[:sample]]  # what nginx must answer (the anchor)
    # After the peak RSS is read (a second index would otherwise count in it), and with the cyclic GC off, as
    # Engine compiles.
    gc.disable()
    t0 = time.process_time()
    ServiceIndex(snapshot)
    index_s = time.process_time() - t0
    gc.enable()
    return {
        "ingresses": size,
        "objects": len(snapshot),
        "yaml_mb": round(path.stat().st_size / 1e6, 1),
        "load_s": round(load_s, 3),
        "compile_s": round(compile_s, 3),
        "service_index_s": round(index_s, 3),
        "routes_per_s": round(n_requests / route_s),
        "us_per_route": round(route_s / n_requests * 1e6, 1),
        "us_per_route_wall": round(route_wall_s / n_requests * 1e6, 1),
        "us_per_trace_json": round(full_s * 1e6, 1),
        "content_hash_s": round(hash_s, 3),
        "rss_start_mb": round(rss_start, 1),
        "rss_load_mb": round(rss_load, 1),
        "rss_compile_mb": round(rss_compile, 1),
        "rss_routed_mb": round(rss_routed, 1),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
        "sample_statuses": sample_statuses,
    }


def measure(size: int, args: argparse.Namespace) -> dict[str, Any]:
    """One size: generate the YAML in a child, measure in a fresh child, then (optionally) the nginx anchor."""
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        path = Path(tmp) / "snapshot.yaml"
        subprocess.run([sys.executable, __file__, "--generate", str(size), "--file", str(path)], check=True)
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--file", str(path), "--requests", str(args.requests),
             "--controller", args.controller, "--sample", str(0 if args.no_nginx else args.nginx_sample)],
            capture_output=True, text=True, check=True,
        )
        res: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        if not args.no_nginx:
            import nginx_anchor

            workdir = Path(tmp) / "nginx"
            workdir.mkdir()
            requests = request_mix(size, args.requests, random.Random(42))
            res["nginx"] = nginx_anchor.run(synthetic_objects(size), requests, res["sample_statuses"], workdir,
                                            duration=args.nginx_duration)
    return res


def report(res: dict[str, Any]) -> None:
    print(
        f"{res['ingresses']:>6} ingresses ({res['objects']:>6} objects, {res['yaml_mb']} MB YAML): "
        f"load {res['load_s']:.2f} s, compile {res['compile_s']:.2f} s, Service index {res['service_index_s']:.2f} s, "
        f"{res['routes_per_s']:,} routes/s ({res['us_per_route']} us CPU, {res['us_per_route_wall']} us wall), "
        f"trace+JSON {res['us_per_trace_json']} us (+ {res['content_hash_s']:.2f} s once for the snapshot hash), "
        f"statuses {res['statuses']}"
    )
    print(
        f"        memory (RSS): {res['rss_start_mb']} MB after imports, {res['rss_load_mb']} MB after load, "
        f"{res['rss_compile_mb']} MB after compile (the compiled snapshot: "
        f"{res['rss_compile_mb'] - res['rss_start_mb']:.1f} MB over the imports), {res['rss_routed_mb']} MB after "
        f"routing, peak {res['peak_rss_mb']} MB"
    )
    ng = res.get("nginx")
    if ng:
        ratio = res["routes_per_s"] / ng["requests_per_s"] if ng["requests_per_s"] else 0.0
        print(
            f"        nginx {ng['nginx']} ({ng['servers']:,} server blocks, {ng['command']}): "
            f"{ng['requests_per_s']:,} requests/s ({ng['not_2xx']:,} answered 404, {ng['socket_errors']} socket "
            f"errors); agrees with tracer on {ng['sample_agree']}/{ng['sample_size']} sampled requests; "
            f"tracer/nginx = {ratio:.3f} ({res['routes_per_s']:,} route decisions/s on one core)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--controller", default="ingress-nginx", choices=("ingress-nginx", "ingress-spec"))
    parser.add_argument("--no-nginx", action="store_true", help="skip the nginx + wrk anchor")
    parser.add_argument("--nginx-duration", type=int, default=10, help="seconds of wrk per size")
    parser.add_argument("--nginx-sample", type=int, default=500, help=argparse.SUPPRESS)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sample", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.file)
        return
    if args.one:
        print(json.dumps(run_one(args.one, args.requests, args.controller, args.file, args.sample)))
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        res = measure(size, args)
        results.append(res)
        report(res)
    if len(results) > 1:
        ratio = results[-1]["us_per_route"] / results[0]["us_per_route"]
        print(f"per-route cost {results[-1]['ingresses']} vs {results[0]['ingresses']} Ingresses: {ratio:.2f}x "
              f"(target <= 2x); {results[-1]['routes_per_s']:,} routes/s at the largest size (target >= 10,000)")
    last = results[-1]
    print(f"compiled snapshot at {last['ingresses']:,} Ingresses: {last['rss_compile_mb']} MB RSS after load and "
          f"compile (target <= 300 MB)")


if __name__ == "__main__":
    main()
