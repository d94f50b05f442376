"""Load measurement of the trace page: N concurrent clients for D seconds, p50/p95/max latency and requests/s.

Not a test. By default it starts the stack the way tests/integration does (redis-server, a temporary SQLite
file, gunicorn, one Celery worker), creates a user and a finished trace of examples/shop, then measures the
trace page with a logged-in session cookie and the same trace through a public share link.

    .venv/bin/python bench/bench_web.py                      # start a stack, 20 clients, 10 s per page
    .venv/bin/python bench/bench_web.py --server runserver   # the development server instead of gunicorn
    .venv/bin/python bench/bench_web.py --url http://127.0.0.1:8000/t/TOKEN   # an existing page
    .venv/bin/python bench/bench_web.py --url http://127.0.0.1:8000/traces/ID/ --cookie sessionid=...

Results are printed and merged into test-output/metrics.json (section "bench_web") unless --no-record.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from conftest_live import OWNER, LiveStack, WebSession, example_files, record_metrics, start_stack

TRACE_URL = "https://shop.example.com/api/items?id=3"


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        n = len(lat)

        def pct(p: float) -> float:
            return round(lat[min(n - 1, int(p * n))] * 1000, 1) if n else float("nan")

        return {
            "requests": n,
            "errors": len(self.errors),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "requests_per_s": round(n / self.elapsed, 1) if self.elapsed else 0.0,
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "max_ms": round(lat[-1] * 1000, 1) if n else float("nan"),
            "mean_ms": round(statistics.fmean(lat) * 1000, 1) if n else float("nan"),
        }


def load(url: str, clients: int, duration: float, cookie: str = "", expect: bytes = b"") -> Result:
    """``clients`` threads, each with its own keep-alive connection, GET ``url`` until ``duration`` is over."""
    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"Cookie": cookie} if cookie else {}
    result = Result()
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        mine: list[float] = []
        statuses: dict[int, int] = {}
        errors: list[str] = []
        start.wait()
        while time.perf_counter() < stop_at[0]:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                resp = conn.getresponse()
                body = resp.read()
                took = time.perf_counter() - t0
                statuses[resp.status] = statuses.get(resp.status, 0) + 1
                if resp.status != 200 or (expect and expect not in body):
                    errors.append(f"HTTP {resp.status}")
                else:
                    mine.append(took)
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
        conn.close()
        with lock:
            result.latencies += mine
            result.errors += errors
            for k, v in statuses.items():
                result.statuses[k] = result.statuses.get(k, 0) + v

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    stop_at[0] = t0 + duration
    start.wait()
    for t in threads:
        t.join()
    result.elapsed = time.perf_counter() - t0
    return result


def prepare(stack: LiveStack) -> tuple[str, str, str]:
    """A finished trace; returns (trace page URL, its session cookie, a public share link)."""
    token = stack.api_token(OWNER[0])
    snapshot = stack.upload_snapshot(token, example_files("shop"), "shop")["id"]
    resp = stack.submit_trace(token, snapshot, TRACE_URL)
    assert resp.status == 202, resp
    trace_id = resp.json()["id"]
    done = stack.wait_state(token, trace_id)
    assert done["state"] == "done", done
    session = WebSession(stack.base)
    session.login(*OWNER)
    page = session.post_form(f"/traces/{trace_id}/share/", {"visibility": "public", "understood": "yes"})
    match = re.search(r'data-visibility="public".*?value="([^"]+/t/[A-Za-z0-9_-]+)"', page.text, re.S)
    assert match, "no public share link on the trace page"
    cookie = f"sessionid={session.cookie('sessionid')}"
    return f"{stack.base}/traces/{trace_id}/", cookie, match.group(1)


def report(name: str, url: str, res: Result, clients: int) -> dict[str, Any]:
    s = res.summary()
    print(
        f"{name}: {clients} clients, {res.elapsed:.1f} s, {s['requests']} requests ({s['requests_per_s']}/s), "
        f"p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, p99 {s['p99_ms']} ms, max {s['max_ms']} ms, "
        f"errors {s['errors']} {sorted(set(res.errors))[:3]}"
    )
    return {"url": url, "clients": clients, "duration_s": round(res.elapsed, 2), **s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="measure this page of a running server instead of starting a stack")
    parser.add_argument("--cookie", default="", help="Cookie header for --url (e.g. sessionid=...)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured page")
    parser.add_argument("--server", choices=("gunicorn", "runserver"), default="gunicorn")
    parser.add_argument("--web-workers", type=int, default=os.cpu_count() or 2, help="gunicorn processes")
    parser.add_argument("--no-record", action="store_true", help="do not write test-output/metrics.json")
    args = parser.parse_args(argv)

    if args.url:
        res = load(args.url, args.clients, args.duration, args.cookie)
        out = {"external": report("page", args.url, res, args.clients)}
    else:
        with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
            stack = start_stack(Path(tmp), dict([OWNER]), server=args.server, web_workers=args.web_workers)
            try:
                stack.start_worker()
                trace_url, cookie, public_url = prepare(stack)
                load(trace_url, 2, 1.0, cookie)  # warm-up
                res = load(trace_url, args.clients, args.duration, cookie, expect=b'data-state="done"')
                out = {
                    "server": f"{args.server} ({args.web_workers} processes x 4 threads)"
                    if args.server == "gunicorn"
                    else "runserver",
                    "database": "sqlite",
                    "cpus": os.cpu_count(),
                    "trace_page": report("trace page (logged in)", trace_url, res, args.clients),
                }
                res = load(public_url, args.clients, args.duration, expect=b"flow-svg")
                out["public_share_page"] = report("public share link", public_url, res, args.clients)
            except BaseException:
                print(stack.logs(), file=sys.stderr)
                raise
            finally:
                stack.close()
    if not args.no_record:
        record_metrics("bench_web", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
