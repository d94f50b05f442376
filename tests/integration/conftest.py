"""Fixtures for the integration tests: one live stack per session (Redis, SQLite file, web, API token)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conftest_live import OWNER, LiveStack, example_files, port_open, start_stack


@pytest.fixture(scope="session")
def live_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    stack = start_stack(tmp_path_factory.mktemp("live-integration"), dict([OWNER]))
    try:
        yield stack
    finally:
        stack.close()


@pytest.fixture
def live(request: pytest.FixtureRequest, live_session: LiveStack) -> Iterator[LiveStack]:
    """The session's stack; workers started by the test are stopped after it, Redis is brought back."""
    yield live_session
    failed = any(getattr(getattr(request.node, f"rep_{when}", None), "failed", False) for when in ("setup", "call"))
    if failed:
        print(f"\n===== subprocess logs ({live_session.dir}) =====\n{live_session.logs()}")
    for worker in list(live_session.workers):
        live_session.stop_worker(worker)
    if live_session.redis is None or not port_open(live_session.redis_port):
        live_session.start_redis()


@pytest.fixture(scope="session")
def token(live_session: LiveStack) -> str:
    return live_session.api_token(OWNER[0])


@pytest.fixture(scope="session")
def snapshot_id(live_session: LiveStack, token: str) -> str:
    return str(live_session.upload_snapshot(token, example_files("shop"), "shop")["id"])
