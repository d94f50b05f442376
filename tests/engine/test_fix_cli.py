"""`manage.py trace --fix`, `--write-fixed` and `--fault` (the contract's CLI), run as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tracer.engine import load_manifests, trace

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "trace", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DATABASE_URL": "sqlite:////nonexistent/dir/db.sqlite3"},
    )


def test_fix_all_walks_report_000_to_green_and_exits_0(tmp_path: Path) -> None:
    out = tmp_path / "fixed"
    proc = cli("-f", str(EXAMPLES / "vscode-1-prefix"), "--fix", "all", "--write-fixed", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout
    assert text.startswith("before: request 1 GET http://198.51.100.20/vscode/?tkn=eomdZNpW fails: 404 Not Found")
    for n, code in enumerate(["PREFIX_NOT_STRIPPED", "REDIRECT_ESCAPES_PREFIX", "ASSETS_OUTSIDE_PREFIX",
                              "COOKIE_PATH_NOT_COVERING"], 1):
        assert f"fix {n}: {code}" in text
    assert "after fix 4: all 5 request(s) succeed" in text
    assert "None" not in text and "True" not in text
    # The written files are a complete snapshot that traces green on its own; the originals are untouched.
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in (EXAMPLES / "vscode-1-prefix").iterdir())
    assert trace(load_manifests(str(out))).ok
    assert "rewrite-target" not in (EXAMPLES / "vscode-1-prefix" / "ingress.yaml").read_text()


def test_fix_with_one_code_applies_that_fix_only_and_json_lists_the_steps() -> None:
    proc = cli("-f", str(EXAMPLES / "vscode-1-prefix"), "--fix", "PREFIX_NOT_STRIPPED", "-o", "json")
    assert proc.returncode == 1  # one fix is not enough for this story
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "tracer/fix-walk-v1"
    assert [s["applied"] and s["applied"]["code"] for s in doc["steps"]] == [None, "PREFIX_NOT_STRIPPED"]
    assert doc["steps"][1]["trace"]["requests"][0]["status"] == 302


def test_write_fixed_needs_fix() -> None:
    proc = cli("-f", str(EXAMPLES / "vscode-1-prefix"), "--write-fixed", "/tmp/x")
    assert proc.returncode == 2 and "--write-fixed needs --fix" in proc.stderr


def test_fault_spec_from_the_command_line() -> None:
    proc = cli("-f", str(EXAMPLES / "vscode-6-green"), "--fault", "endpoint-removed:default/vscode-01", "-o", "json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["requests"][0]["status"] == 503
    bad = cli("-f", str(EXAMPLES / "vscode-6-green"), "--fault", "pod-not-ready")
    assert bad.returncode == 2 and "pod-not-ready needs its pod" in bad.stderr
    unknown = cli("-f", str(EXAMPLES / "vscode-6-green"), "--fault", "disk-full:x")
    assert unknown.returncode == 2 and "the fault kinds are" in unknown.stderr


def test_compare_two_snapshots_names_the_changed_request_and_where_the_paths_part() -> None:
    """Issue 10 item 6: report 000 stage 5 against the green setup; only the WebSocket changes outcome."""
    proc = cli("-f", str(EXAMPLES / "vscode-5-regex"), "--compare", str(EXAMPLES / "vscode-6-green"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    changed = [line for line in lines if "CHANGED" in line]
    assert len(changed) == 1 and "ws://" in changed[0] and "A: 404 Not Found  B: 101 Switching Protocols" in changed[0]
    assert any(line.strip().startswith("first different hop #5: A controller") for line in lines)
    assert lines[-1] == "1 of 5 request(s) change outcome."


def test_compare_two_data_planes_of_one_snapshot_as_json() -> None:
    proc = cli("-f", str(EXAMPLES / "shop"), "-r", "GET https://shop.example.com/api/items?id=3",
               "--compare", "controller=ingress-spec", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "tracer/compare-v1"
    (row,) = doc["rows"]
    assert row["changed"] is False and row["a"] == row["b"] == "200 OK"
    assert doc["traces"]["b"]["requests"][0]["controller"] == "ingress-spec"


def test_compare_and_fix_do_not_mix() -> None:
    proc = cli("-f", str(EXAMPLES / "shop"), "--compare", "controller=ingress-spec", "--fix", "all")
    assert proc.returncode == 2 and "not both" in proc.stderr
