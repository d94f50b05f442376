"""The trace page under load from Debian's ``wrk``: a load generator outside the Python process under test.

Not a test. For each mode it starts the real stack (redis-server, a temporary SQLite file, gunicorn with 3 sync
workers as scripts/run starts it, one Celery worker: tests/conftest_live.py), makes a finished trace of examples/shop
with a public share link (bench/bench_web.py's ``prepare``), logs in, and runs

    wrk -t2 -c20 -d15s --latency -H "Cookie: sessionid=..." <trace page>
    wrk -t2 -c20 -d15s --latency <public share page>

printing requests/s and p50/p95/p99 (wrk's own table has 50/75/90/99; a small Lua ``done`` hook prints p95).
The modes: ``off`` runs the stack with TRACER_PAGE_CACHE=0 (every request renders the trace body), ``on`` with the
rendered-body cache (tracer/page_cache.py). wrk is installed with apt-get (scripts/_setup.sh) when missing.

    .venv/bin/python bench/bench_web_wrk.py                        # off then on, 20 connections, 15 s each
    .venv/bin/python bench/bench_web_wrk.py --modes on --duration 30

Results are printed and merged into test-output/metrics.json (section "bench_web_wrk") unless --no-record.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bench_web import prepare
from conftest_live import OWNER, ROOT, record_metrics, start_stack

# wrk calls done() once with the merged statistics; latency values are in microseconds.
# https://github.com/wg/wrk/blob/master/SCRIPTING
LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("TRACER-WRK requests=%d duration_us=%d bytes=%d p50=%d p75=%d p90=%d p95=%d p99=%d max=%d "
    .. "connect=%d read=%d write=%d status=%d timeout=%d\\n",
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian (apt-get through scripts/_setup.sh) when it is not on the PATH."""
    exe = shutil.which("wrk")
    if exe is None:
        subprocess.run(["bash", "-c", "source scripts/_setup.sh && apt_install wrk"], cwd=ROOT, check=True)
        exe = shutil.which("wrk")
    if exe is None:
        raise RuntimeError("wrk is not installed and apt-get could not install it")
    return exe


def run_wrk(
    wrk: str, url: str, script: Path, threads: int, connections: int, duration: int, cookie: str = ""
) -> dict[str, Any]:
    cmd = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script)]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    match = re.search(r"^TRACER-WRK (.*)$", out, re.M)
    if match is None:
        raise RuntimeError(f"no statistics from wrk:\n{out}")
    raw = {k: int(v) for k, v in (pair.split("=") for pair in match.group(1).split())}
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        **{f"p{p}_ms": round(raw[f"p{p}"] / 1000, 1) for p in (50, 75, 90, 95, 99)},
        "max_ms": round(raw["max"] / 1000, 1),
        "errors": errors,
        "non_2xx_3xx": raw["status"],
        "mb_per_s": round(raw["bytes"] / seconds / 1e6, 2) if seconds else 0.0,
    }


def check_page(get: Any, url: str, cookie: str, expect: bytes) -> None:
    """One request outside wrk: the page answers 200 with the finished result (wrk counts only status codes)."""
    resp = get(url, cookie)
    if resp.status != 200 or expect not in resp.body:
        raise RuntimeError(f"{url} did not answer the finished page: {resp!r}")


def measure_mode(mode: str, wrk: str, args: argparse.Namespace, script: Path) -> dict[str, Any]:
    env = {"TRACER_PAGE_CACHE": "1" if mode == "on" else "0"}
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        stack = start_stack(Path(tmp), dict([OWNER]), server="gunicorn", web_workers=args.web_workers,
                            web_threads=args.web_threads, env=env)
        try:
            stack.start_worker()
            trace_url, cookie, public_url = prepare(stack)

            def get(url: str, cookie: str) -> Any:
                path = url.removeprefix(stack.base)
                return stack.get(path, headers={"Cookie": cookie} if cookie else None)

            check_page(get, trace_url, cookie, b'data-state="done"')
            check_page(get, public_url, "", b"flow-svg")
            out: dict[str, Any] = {"mode": mode, "load_before": os.getloadavg()[0]}
            for name, url, cook in (("trace_page", trace_url, cookie), ("public_share_page", public_url, "")):
                run_wrk(wrk, url, script, 1, 2, 2, cook)  # warm-up: imports, template loaders, the cache
                res = run_wrk(wrk, url, script, args.threads, args.connections, args.duration, cook)
                out[name] = res
                print(
                    f"[{mode}] {name}: {res['requests_per_s']} req/s, p50 {res['p50_ms']} ms, p95 {res['p95_ms']} ms, "
                    f"p99 {res['p99_ms']} ms, max {res['max_ms']} ms, errors {res['errors']} "
                    f"(load {os.getloadavg()[0]:.2f})",
                    flush=True,
                )
            return out
        except BaseException:
            print(stack.logs(), file=sys.stderr)
            raise
        finally:
            stack.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modes", nargs="+", choices=("off", "on"), default=["off", "on"])
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (-t)")
    parser.add_argument("--connections", type=int, default=20, help="wrk connections (-c): concurrent clients")
    parser.add_argument("--duration", type=int, default=15, help="seconds per page (-d)")
    parser.add_argument("--web-workers", type=int, default=3,
                        help="gunicorn processes (3 sync workers: what scripts/run starts)")
    parser.add_argument("--web-threads", type=int, default=0, help="threads per process (0: sync workers)")
    parser.add_argument("--no-record", action="store_true", help="do not write test-output/metrics.json")
    args = parser.parse_args(argv)

    wrk = ensure_wrk()
    version = subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.splitlines()[:1]
    results: dict[str, Any] = {
        "wrk": version[0] if version else "wrk",
        "command": f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency",
        "server": f"gunicorn ({args.web_workers} processes"
                  + (f" x {args.web_threads} threads)" if args.web_threads else ", sync workers)"),
        "database": "sqlite",
        "cpus": os.cpu_count(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-wrk-lua-") as tmp:
        script = Path(tmp) / "done.lua"
        script.write_text(LUA_DONE)
        for mode in args.modes:
            results[f"cache_{mode}"] = measure_mode(mode, wrk, args, script)
    if not args.no_record:
        record_metrics("bench_web_wrk", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
