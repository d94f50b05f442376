from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kube_apiserver import RecordedAPIServer, write_kubeconfig


@pytest.fixture
def apiserver() -> Iterator[RecordedAPIServer]:
    server = RecordedAPIServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kubeconfig(apiserver: RecordedAPIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Keep the developer's own kubeconfig and any in-cluster environment out of the tests.
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return write_kubeconfig(tmp_path / "kubeconfig", apiserver.url)
