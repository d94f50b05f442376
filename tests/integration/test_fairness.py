"""Issue 11, "one tenant can stall all": a regex-bomb workspace and a normal workspace on one live stack (Redis, the
web server, Celery workers as scripts/run should start them: two slots for the light queues, one slot for
traces.heavy). The bomb's traces each run into the trace budget (5 s, the default) and end with budget-exceeded,
none lost; the normal workspace's traces, submitted while the bomb's are queued and running, each finish within
2 s of submission. Loopback only, bounded (3 bomb traces, 6 normal ones).

Run: .venv/bin/python -m pytest -p no:cacheprovider -q tests/integration/test_fairness.py
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest_live import LiveStack, example_files, record_metrics, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from regex_bomb import ATTACK_URL, bomb_manifests

pytestmark = pytest.mark.integration

BOMB_INGRESSES = 200  # 200 x 50 ms of regex timeouts: well past a 5 s budget, and about a second to load
BOMB_TRACES = 3
NORMAL_TRACES = 6
NORMAL_LIMIT = 2.0  # seconds from submission to a finished trace
NORMAL = ("bea", "bea-pw-4Xk8s2")
NORMAL_URL = "https://shop.example.com/api/items?id=3"


def _submit(live: LiveStack, token: str, snapshot: str, url: str) -> str:
    resp = live.submit_trace(token, snapshot, url)
    assert resp.status in (200, 201, 202), resp
    return str(resp.json()["id"])


def _finish_time(live: LiveStack, token: str, trace_id: str, timeout: float) -> tuple[float, dict[str, Any]]:
    """Poll until the trace is finished; the monotonic time it was first seen finished, and the trace."""
    def done() -> dict[str, Any] | None:
        got = live.trace(token, trace_id)
        return got if got["state"] in ("done", "failed") else None

    found = wait_for(done, timeout=timeout, interval=0.05, what=f"trace {trace_id}")
    return time.monotonic(), dict(found)


def test_a_regex_bomb_workspace_does_not_delay_a_normal_one(live: LiveStack, token: str) -> None:
    live.create_users(dict([NORMAL]))
    normal_token = live.api_token(NORMAL[0])
    bomb_file = live.dir / "bomb.yaml"
    bomb_file.write_text(bomb_manifests(BOMB_INGRESSES))
    bomb = live.upload_snapshot(token, [bomb_file], "regex bomb", root=live.dir)
    assert any(w["message"].startswith("unbounded regex") for w in bomb["warnings"]), bomb["warnings"][:3]
    shop = live.upload_snapshot(normal_token, example_files("shop"), "shop")

    live.start_worker(name="light", concurrency=2, args=["-X", "traces.heavy"])
    live.start_worker(name="heavy", concurrency=1, args=["-Q", "traces.heavy"])

    bomb_ids = [_submit(live, token, bomb["id"], ATTACK_URL) for _ in range(BOMB_TRACES)]
    time.sleep(0.5)  # the first bomb trace is running, the others wait

    latencies: dict[int, float] = {}
    errors: list[BaseException] = []

    def one_normal(i: int) -> None:
        try:
            time.sleep(0.25 * i)  # spread over the bomb's run
            started = time.monotonic()
            trace_id = _submit(live, normal_token, shop["id"], NORMAL_URL)
            finished, trace = _finish_time(live, normal_token, trace_id, timeout=30)
            assert trace["state"] == "done", trace
            latencies[i] = finished - started
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=one_normal, args=(i,)) for i in range(NORMAL_TRACES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    bomb_states_then = [live.trace(token, t)["state"] for t in bomb_ids]

    bomb_results = []
    for trace_id in bomb_ids:
        _, trace = _finish_time(live, token, trace_id, timeout=BOMB_TRACES * 10 + 30)
        bomb_results.append(trace)

    record_metrics(
        "fairness",
        {
            "normal_latency_s": [round(latencies[i], 3) for i in sorted(latencies)],
            "normal_latency_max_s": round(max(latencies.values()), 3),
            "bomb_states_when_normal_done": bomb_states_then,
            "bomb_engine_ms": [t.get("engine_ms") for t in bomb_results],
        },
    )
    print(f"normal trace latencies (s): {[round(latencies[i], 3) for i in sorted(latencies)]}")
    # The bomb was still queued or running while the normal traces ran: they did not just go after it.
    assert any(state in ("queued", "running") for state in bomb_states_then), bomb_states_then
    assert len(latencies) == NORMAL_TRACES and max(latencies.values()) <= NORMAL_LIMIT, latencies
    # None lost: every bomb trace finished, each request ended by the budget, the slow rule named.
    for trace in bomb_results:
        assert trace["state"] == "done", trace
        request = trace["trace"]["requests"][0]
        assert request["error"] == "budget-exceeded", request
        diagnosis = next(d for d in request["diagnoses"] if d["code"] == "TRACE_BUDGET_EXCEEDED")
        assert "(a|aa)+$" in diagnosis["message"] and "Ingress bomb/bomb-" in diagnosis["message"]
