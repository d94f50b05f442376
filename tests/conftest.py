"""Shared pytest hooks."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Keep each phase's report on the item so live-stack fixtures can print process logs after a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
