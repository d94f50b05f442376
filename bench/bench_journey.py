"""Journey benchmark: a 50-request browser journey on the synthetic snapshot of bench/bench_engine.py.

The snapshot has 10,000 Ingresses by default (synthetic_objects); a generated AppProfile makes one of its
backends serve a page that loads 48 assets (scripts, stylesheets, images) and opens one WebSocket, so the journey
is 1 page + 48 assets + 1 WebSocket = 50 requests. It reports CPU time per journey and per request of the journey,
next to a single Engine.route of the same kind of request, so the runner's own cost (cookie jar, URL resolution,
asset checks) shows as the difference.

    .venv/bin/python bench/bench_journey.py [--size 10000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_engine import synthetic_objects  # noqa: E402

from tracer.engine import Engine  # noqa: E402

HOST = "app-1.example.com"  # Ingress 1: a plain host, Service team-1/svc-1
EXTENSIONS = ("js", "css", "png")


def profile() -> dict[str, Any]:
    assets = [f"/static/asset-{n}.{EXTENSIONS[n % 3]}" for n in range(48)]
    types = {"js": "application/javascript", "css": "text/css", "png": "image/png"}
    return {
        "apiVersion": "tracer.dev/v1alpha1", "kind": "AppProfile",
        "metadata": {"name": "bench", "namespace": "team-1"},
        "spec": {
            "selector": {"service": "svc-1"},
            "routes": [
                {"path": {"exact": "/ws"}, "websocket": True, "respond": {"status": 101}},
                {"path": {"exact": "/"}, "respond": {"status": 200, "contentType": "text/html",
                                                    "html": {"assets": assets, "websockets": ["/ws"]}}},
                *({"path": {"regex": rf"/static/.*\.{ext}$"}, "respond": {"status": 200, "contentType": types[ext]}}
                  for ext in EXTENSIONS),
            ],
        },
    }


def best(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000, help="Ingresses in the synthetic snapshot")
    parser.add_argument("--repeat", type=int, default=20, help="runs of each measurement (the best is kept)")
    args = parser.parse_args()

    start = time.process_time()
    engine = Engine([*synthetic_objects(args.size), profile()])
    compile_s = time.process_time() - start
    spec = {"journey": {"start": f"http://{HOST}/"}}
    trace = engine.journey(spec)
    n = len(trace.requests)
    assert n == 50 and trace.ok, f"the journey should have 50 successful requests, got {n} (ok={trace.ok})"

    journey_s = best(lambda: engine.journey(spec), args.repeat)
    single = f"GET http://{HOST}/static/asset-1.css"
    route_s = best(lambda: [engine.route(single) for _ in range(n)], args.repeat) / n
    print(f"snapshot: {args.size} Ingresses, compiled in {compile_s:.2f} s CPU")
    print(f"journey: {n} requests in {journey_s * 1000:.2f} ms CPU (best of {args.repeat})")
    print(f"per request of the journey: {journey_s / n * 1e6:.0f} us")
    print(f"single Engine.route:        {route_s * 1e6:.0f} us")
    print(f"journey overhead per request: {(journey_s / n - route_s) * 1e6:.0f} us ({journey_s / n / route_s:.1f}x)")


if __name__ == "__main__":
    main()
