"""A burst of 200 API trace submissions at once on a live stack (gunicorn, Redis, two Celery workers), on SQLite
and, when TRACER_TEST_DATABASE_URL names one, on PostgreSQL: every answer is 2xx, every trace finishes, and the
database holds exactly one trace, one scenario and one workspace link per submission (nothing lost, nothing
duplicated). Loopback only; the burst is bounded (200 threads, each one request).

Run: .venv/bin/python -m pytest -p no:cacheprovider -q tests/integration/test_burst.py
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest_live import (
    OWNER,
    LiveStack,
    Response,
    example_files,
    fresh_postgres_database,
    postgres_test_url,
    record_metrics,
    start_stack,
    wait_for,
)

pytestmark = pytest.mark.integration

BURST = 200
URL = "https://shop.example.com/api/items?id=3"

# Row counts and states, read straight from the database the stack uses.
COUNT_ROWS = """
import json
from collections import Counter
from tracer.models import Scenario, ShareLink, Trace
traces = list(Trace.objects.values_list("id", "state", "attempts"))
print(json.dumps({
    "ids": [str(pk) for pk, _, _ in traces],
    "states": dict(Counter(state for _, state, _ in traces)),
    "max_attempts": max((a for _, _, a in traces), default=0),
    "scenarios": Scenario.objects.count(),
    "links": ShareLink.objects.count(),
    "traces_with_links": ShareLink.objects.values("trace").distinct().count(),
}))
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def burst_stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveStack]:
    """A fresh stack on gunicorn (3 workers x 4 threads: more requests at once than scripts/run's server takes)
    with two Celery workers, on a new SQLite file or a new PostgreSQL database."""
    with contextlib.ExitStack() as cleanup:
        database_url = None
        if request.param == "postgresql":
            server = postgres_test_url()
            if server is None:
                pytest.skip("set TRACER_TEST_DATABASE_URL to a PostgreSQL URL to run the burst on PostgreSQL")
            database_url = cleanup.enter_context(fresh_postgres_database(server, prefix="tracer_burst"))
        stack = start_stack(tmp_path / request.param, dict([OWNER]), database_url, server="gunicorn", web_workers=3)
        cleanup.callback(stack.close)
        stack.start_worker(name="w1")
        stack.start_worker(name="w2")
        yield stack
        failed = any(getattr(getattr(request.node, f"rep_{w}", None), "failed", False) for w in ("setup", "call"))
        if failed:
            print(f"\n===== subprocess logs ({stack.dir}) =====\n{stack.logs()}")


def submit_burst(stack: LiveStack, token: str, snapshot: str) -> list[Response | OSError]:
    """BURST submissions released together by a barrier, each on its own connection."""
    barrier = threading.Barrier(BURST)
    body = json.dumps({"snapshot": snapshot, "request": {"method": "GET", "url": URL}}).encode()
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

    def one(_: int) -> Response | OSError:
        barrier.wait(timeout=60)
        try:
            return stack.request("POST", "/api/v1/traces", body, headers, timeout=120)
        except OSError as exc:  # a refused or reset connection counts as an error, not a test crash
            return exc

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        return list(pool.map(one, range(BURST)))


def rows(stack: LiveStack) -> dict[str, Any]:
    return dict(json.loads(stack.shell(COUNT_ROWS).strip().splitlines()[-1]))


def test_burst_of_200_submissions_no_error_none_lost_none_duplicated(burst_stack: LiveStack) -> None:
    stack = burst_stack
    token = stack.api_token(OWNER[0])
    snapshot = str(stack.upload_snapshot(token, example_files("shop"), "shop")["id"])

    answers = submit_burst(stack, token, snapshot)
    statuses = Counter(a.status if isinstance(a, Response) else type(a).__name__ for a in answers)
    errors = [a for a in answers if not (isinstance(a, Response) and 200 <= a.status < 300)]
    record_metrics(
        f"burst_{stack.database_url.split(':')[0]}",
        {"submissions": BURST, "answers": {str(k): v for k, v in statuses.items()}},
    )
    assert not errors, f"{len(errors)} of {BURST} submissions failed: {dict(statuses)}; first: {errors[0]!r}"

    ids = [a.json()["id"] for a in answers if isinstance(a, Response)]
    assert len(set(ids)) == BURST, "two submissions were answered with the same trace"

    def all_finished() -> dict[str, Any] | None:
        seen = rows(stack)
        return seen if sum(seen["states"].get(s, 0) for s in ("done", "failed")) >= BURST else None

    seen = wait_for(all_finished, timeout=240, interval=1.0, what=f"all {BURST} traces to finish")
    assert sorted(seen["ids"]) == sorted(ids), "the stored traces are not exactly the submitted ones"
    assert seen["states"] == {"done": BURST}, seen["states"]
    assert seen["scenarios"] == BURST, f"{seen['scenarios']} scenarios stored for {BURST} submissions"
    assert seen["links"] == BURST and seen["traces_with_links"] == BURST, seen
    sample = stack.trace(token, ids[-1])
    assert sample["trace"]["requests"][0]["status"] == 200, sample
