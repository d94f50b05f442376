"""Submit to visible: from clicking Trace in a real headless Chromium to the finished result on the page.

Not a test. It starts the stack the way tests/integration does (redis-server, a temporary SQLite file or
--database-url, the web server, one Celery worker), logs in as a browser would, uploads examples/shop through
the API, then submits the scenario form N times and measures, per submit, the time from the click to the
result being visible (the status partial's data-state turning "done"), and the engine's own time, so the gap
(queue, worker, page polling) shows. Needs Playwright for Python and Debian's chromium.

    .venv/bin/python bench/bench_submit_visible.py [--runs 20] [--database-url postgresql://...]

Results are printed and merged into test-output/metrics.json (section "bench_submit_visible") unless --no-record.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conftest_live import OWNER, LiveStack, example_files, measure_on_stack, record_metrics

CHROMIUM = os.environ.get("TRACER_CHROMIUM", "/usr/bin/chromium")
URL = "https://shop.example.com/api/items?id=3"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(stack: LiveStack, runs: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    token = stack.api_token(OWNER[0])
    snapshot = str(stack.upload_snapshot(token, example_files("shop"), "shop")["id"])
    visible: list[float] = []
    after_finish: list[float] = []
    loaded: list[float] = []
    engine_ms: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"], headless=True)
        page = browser.new_context(base_url=stack.base).new_page()
        page.goto("/login/")
        page.get_by_test_id("login-username").fill(OWNER[0])
        page.get_by_test_id("login-password").fill(OWNER[1])
        page.get_by_test_id("login-submit").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        for _ in range(runs):
            page.goto(f"/snapshots/{snapshot}/")
            page.get_by_test_id("scenario-url").fill(URL)
            t0 = time.perf_counter()
            page.get_by_test_id("scenario-submit").click()
            page.wait_for_url(lambda url: "/traces/" in url)
            loaded.append(time.time())
            page.wait_for_selector('[data-testid="trace-status"][data-state="done"]', timeout=60_000)
            visible.append(time.perf_counter() - t0)
            seen_at = time.time()
            trace_id = page.url.rstrip("/").rsplit("/", 1)[-1]
            done = stack.trace(token, trace_id)
            engine_ms.append(float(done.get("engine_ms") or 0))
            # Same machine, same clock: how long after the worker stored the result the page showed it.
            finished = datetime.fromisoformat(str(done["finished_at"])).timestamp()
            after_finish.append(max(0.0, seen_at - finished))
            if os.environ.get("BENCH_DEBUG"):
                print(f"page loaded {loaded[-1] - finished:+.3f} s from finish, visible {seen_at - finished:+.3f} s",
                      file=sys.stderr)
        browser.close()
    return {
        "runs": runs,
        "submit_to_visible_p50_s": round(statistics.median(visible), 3),
        "submit_to_visible_p95_s": round(_pct(visible, 0.95), 3),
        "submit_to_visible_max_s": round(max(visible), 3),
        "finished_to_visible_p50_s": round(statistics.median(after_finish), 3),
        "finished_to_visible_p95_s": round(_pct(after_finish, 0.95), 3),
        "engine_ms_median": round(statistics.median(engine_ms), 3),
        "database": stack.database_url.split(":", 1)[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", help="an empty PostgreSQL database instead of a temporary SQLite file")
    parser.add_argument("--no-record", action="store_true", help="do not write test-output/metrics.json")
    args = parser.parse_args(argv)
    out = measure_on_stack("bench-visible-", args.database_url, lambda stack: measure(stack, args.runs))
    print(
        f"submit -> visible over {out['runs']} submits ({out['database']}): p50 {out['submit_to_visible_p50_s']} s, "
        f"p95 {out['submit_to_visible_p95_s']} s, max {out['submit_to_visible_max_s']} s; result stored -> visible "
        f"p50 {out['finished_to_visible_p50_s']} s, p95 {out['finished_to_visible_p95_s']} s; "
        f"engine {out['engine_ms_median']} ms"
    )
    if not args.no_record:
        record_metrics("bench_submit_visible", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
