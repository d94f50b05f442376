"""Queue latency: from POST /api/v1/traces to the API answering done, through Redis and one Celery worker.

Not a test (the integration tests check outcomes only). It starts the stack the way tests/integration does
(redis-server, a temporary SQLite file or --database-url, the web server, one worker), uploads examples/shop
and submits traces one after the other, polling every 20 ms.

    .venv/bin/python bench/bench_queue.py                 # 20 traces on SQLite
    .venv/bin/python bench/bench_queue.py --runs 50 --database-url postgresql://postgres@127.0.0.1/bench

Results are printed and merged into test-output/metrics.json (section "bench_queue") unless --no-record.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conftest_live import OWNER, LiveStack, example_files, measure_on_stack, record_metrics

TRACE_URL = "https://shop.example.com/api/items?id=3"
POLL_S = 0.02


def measure(stack: LiveStack, runs: int) -> dict[str, Any]:
    token = stack.api_token(OWNER[0])
    snapshot = str(stack.upload_snapshot(token, example_files("shop"), "shop")["id"])
    to_done: list[float] = []
    to_202: list[float] = []
    engine_ms: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        resp = stack.submit_trace(token, snapshot, TRACE_URL)
        to_202.append(time.perf_counter() - t0)
        if resp.status != 202:
            raise RuntimeError(f"submit answered {resp!r}")
        done = stack.wait_state(token, resp.json()["id"], interval=POLL_S)
        to_done.append(time.perf_counter() - t0)
        if done["state"] != "done":
            raise RuntimeError(f"the trace ended {done['state']}: {done.get('error')}")
        engine_ms.append(float(done["engine_ms"] or 0))
    return {
        "runs": runs,
        "submit_to_done_first_s": round(to_done[0], 3),
        "submit_to_done_median_s": round(statistics.median(to_done), 3),
        "submit_to_done_max_s": round(max(to_done), 3),
        "post_202_median_s": round(statistics.median(to_202), 3),
        "engine_ms_median": round(statistics.median(engine_ms), 3),
        "database": stack.database_url.split(":", 1)[0],
        "poll_interval_s": POLL_S,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", help="an empty PostgreSQL database instead of a temporary SQLite file")
    parser.add_argument("--no-record", action="store_true", help="do not write test-output/metrics.json")
    args = parser.parse_args(argv)
    out = measure_on_stack("bench-queue-", args.database_url, lambda stack: measure(stack, args.runs))
    print(
        f"submit -> done over {out['runs']} traces ({out['database']}): first {out['submit_to_done_first_s']} s, "
        f"median {out['submit_to_done_median_s']} s, max {out['submit_to_done_max_s']} s; "
        f"202 in {out['post_202_median_s']} s; engine {out['engine_ms_median']} ms"
    )
    if not args.no_record:
        record_metrics("bench_queue", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
