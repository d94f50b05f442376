"""Loader benchmark: a synthetic 50,000-object multi-document YAML dump (~15 MB).

Times, best of N, in a fresh process each (so peak RSS is per mode):
  csafe   bare ``list(yaml.load_all(text, Loader=yaml.CSafeLoader))`` on the file's text
  yamlrs  bare ``yaml_rs.loads(text)`` (the parser the loader uses)
  loader  ``load_manifests(path)``: read + decode + parse + provenance + checks + Snapshot
and prints the loader/csafe ratio (target: <= 1.3).

With --hostile it instead times how fast the loader refuses hostile input (best of N, this process):
  alias   a billion-laughs document (9**9 nodes if expanded), refused by the alias check
  zip     a 20 MiB zip bomb member under a 1 MiB total-size limit
Both are refused in milliseconds; seconds would mean the input is being expanded first.

    .venv/bin/python bench/bench_load.py [--objects 50000] [--repeat 3] [--hostile]
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def synthetic_dump(n: int) -> str:
    """Services, Deployments, Ingresses and Pods in rotation, as `kubectl get -o yaml` would lay them out."""
    docs = []
    for i in range(n):
        ns = f"team-{i % 50}"
        match i % 4:
            case 0:
                docs.append(
                    f"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i}\n  namespace: {ns}\n"
                    f"  labels:\n    app: app-{i}\nspec:\n  type: ClusterIP\n  selector:\n    app: app-{i}\n"
                    "  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n    protocol: TCP\n"
                )
            case 1:
                docs.append(
                    f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: dep-{i}\n  namespace: {ns}\n"
                    f"spec:\n  replicas: {1 + i % 5}\n  selector:\n    matchLabels:\n      app: app-{i}\n"
                    f"  template:\n    metadata:\n      labels:\n        app: app-{i}\n    spec:\n      containers:\n"
                    f"      - name: main\n        image: registry.example.com/app:{i % 99}.0\n        ports:\n"
                    "        - containerPort: 8080\n"
                )
            case 2:
                docs.append(
                    f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ing-{i}\n  namespace: {ns}\n"
                    f"spec:\n  ingressClassName: nginx\n  rules:\n  - host: app{i}.example.com\n    http:\n"
                    "      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n"
                    f"            name: svc-{i - 2}\n            port:\n              number: 80\n"
                )
            case _:
                docs.append(
                    f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\n  namespace: {ns}\n  labels:\n"
                    f"    app: app-{i - 3}\nspec:\n  containers:\n  - name: main\n    image: app:1.0\n"
                    f"status:\n  phase: Running\n  podIP: 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n"
                )
    return "---\n".join(docs)


def child(mode: str, path: str, repeat: int) -> None:
    """Run one mode in this (fresh) process and print its best time and peak RSS as JSON."""
    best = float("inf")
    count = 0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        if mode == "csafe":
            import yaml

            text = Path(path).read_text()
            count = len(list(yaml.load_all(text, Loader=yaml.CSafeLoader)))
        elif mode == "yamlrs":
            import yaml_rs

            text = Path(path).read_text()
            count = len(yaml_rs.loads(text, parse_datetime=False))
        else:
            from tracer.engine.loader import load_manifests

            count = len(load_manifests(path))
        best = min(best, time.perf_counter() - start)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"mode": mode, "best": best, "objects": count, "peak_mib": peak_mib}))


def billion_laughs() -> str:
    """A ConfigMap whose anchors nest nine levels of nine aliases each."""
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: lol}", "data:", '  a: &a ["lol"' + ',"lol"' * 8 + "]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"  {name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def zip_bomb() -> bytes:
    """A zip whose one manifest member inflates to 20 MiB of comment lines."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("huge.yaml", b"#" * (20 * 1024 * 1024))
    return buf.getvalue()


def hostile(repeat: int) -> None:
    """Print the best time the loader takes to refuse each hostile input, and the error it gives."""
    from tracer.engine.errors import LoadError
    from tracer.engine.loader import Limits, load_manifests

    cases = [
        ("alias", billion_laughs(), Limits()),
        ("zip", zip_bomb(), Limits(max_total_bytes=1024 * 1024)),
    ]
    for name, source, limits in cases:
        best, message = float("inf"), ""
        for _ in range(repeat):
            start = time.perf_counter()
            try:
                load_manifests(source, name=f"{name}-bomb", limits=limits)
            except LoadError as exc:
                message = exc.message
            else:
                raise SystemExit(f"{name}: hostile input was loaded, not refused")
            best = min(best, time.perf_counter() - start)
        print(f"  {name:6s} refused in {best * 1000:8.1f} ms: {message}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hostile", action="store_true", help="time refusing hostile input instead")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.repeat)
        return 0
    if args.hostile:
        print(f"hostile input, best of {args.repeat}")
        hostile(args.repeat)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dump.yaml"
        path.write_text(synthetic_dump(args.objects))
        size_mb = path.stat().st_size / 1e6
        print(f"{args.objects} objects, {size_mb:.1f} MB, best of {args.repeat}, one process per mode")
        results = {}
        for mode in ("csafe", "yamlrs", "loader"):
            proc = subprocess.run(
                [sys.executable, __file__, "--repeat", str(args.repeat), "--child", mode, str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
            r = results[mode]
            print(f"  {mode:7s} {r['best']:8.3f} s   {r['objects']:6d} objects   peak RSS {r['peak_mib']:7.1f} MiB")
        ratio = results["loader"]["best"] / results["csafe"]["best"]
        print(f"load_manifests / bare CSafeLoader = {ratio:.2f} (target <= 1.30)")
        print(f"load_manifests / bare yaml-rs     = {results['loader']['best'] / results['yamlrs']['best']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
