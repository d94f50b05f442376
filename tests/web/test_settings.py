from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_check(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECURE_SSL_REDIRECT", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy() -> None:
    r = run_check(SECRET_KEY="k" * 60 + "Zq9-x_Yt", ALLOWED_HOSTS="tracer.example.com")
    assert r.returncode == 0, r.stdout + r.stderr


def test_check_deploy_flags_a_missing_secret() -> None:
    r = run_check(ALLOWED_HOSTS="tracer.example.com")
    assert r.returncode != 0


def test_env_helpers(monkeypatch: object) -> None:
    import pytest
    from django.core.exceptions import ImproperlyConfigured

    from tracer.settings import env_bool, env_int

    mp = pytest.MonkeyPatch()
    mp.setenv("X_BOOL", "off")
    mp.setenv("X_INT", "7")
    try:
        assert env_bool("X_BOOL", True) is False
        assert env_int("X_INT", 1) == 7
        mp.setenv("X_BOOL", "maybe")
        with pytest.raises(ImproperlyConfigured):
            env_bool("X_BOOL")
    finally:
        mp.undo()
