"""`manage.py trace --compare A B` (issue 10 item 6): each side is controller=NAME, snapshot=PATH or a bare PATH;
with one value, side A is the -f snapshot as traced without --compare. Run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracer.engine.comparison import Side, parse_sides
from tracer.engine.errors import OptionError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
STAGE5 = str(EXAMPLES / "vscode-5-regex")
GREEN = str(EXAMPLES / "vscode-6-green")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "trace", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DATABASE_URL": "sqlite:////nonexistent/dir/db.sqlite3"},
    )


def test_sides_parse_as_the_contract_says() -> None:
    assert parse_sides(["controller=traefik"]) == (Side("current"), Side("controller", "traefik"))
    assert parse_sides(["some/dir"]) == (Side("current"), Side("snapshot", "some/dir"))
    assert parse_sides(["snapshot=a=b.yaml", "controller=ingress-spec"]) == (
        Side("snapshot", "a=b.yaml"), Side("controller", "ingress-spec"))
    assert parse_sides(["./x=y"]) == (Side("current"), Side("snapshot", "./x=y"))  # a path, not a key
    for bad, words in ((["a", "b", "c"], "one or two values"), (["contoller=traefik"], "contoller= is not known"),
                       (["controller="], "needs a value"), ([""], "empty value")):
        with pytest.raises(OptionError, match=words):
            parse_sides(bad)


def test_two_controllers_of_one_snapshot_side_by_side() -> None:
    """Report 000 stage 5 through ingress-nginx and through the portable Ingress semantics: the regex path with
    its query works on ingress-nginx (302 to the page) and matches no portable path (404)."""
    proc = cli("-f", STAGE5, "--compare", "controller=ingress-nginx", "controller=ingress-spec", "-o", "json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["schema"] == "tracer/compare-v1"
    assert (doc["a"], doc["b"]) == (f"{STAGE5} through ingress-nginx", f"{STAGE5} through ingress-spec")
    a, b = doc["traces"]["a"]["requests"], doc["traces"]["b"]["requests"]
    assert {r["controller"] for r in a} == {"ingress-nginx"} and {r["controller"] for r in b} == {"ingress-spec"}
    first = doc["rows"][0]
    assert (first["a"], first["b"], first["changed"]) == ("302 Found", "404 Not Found", True)
    diff = first["first_hop_difference"]
    assert diff["b"]["component"] == "controller" and diff["b"]["status"] == 404
    # The order given is the order compared: swapped, the sides swap.
    swapped = json.loads(cli("-f", STAGE5, "--compare", "controller=ingress-spec", "controller=ingress-nginx",
                             "-o", "json").stdout)
    assert (swapped["rows"][0]["a"], swapped["rows"][0]["b"]) == ("404 Not Found", "302 Found")


def test_two_snapshots_without_f() -> None:
    proc = cli("--compare", f"snapshot={STAGE5}", f"snapshot={GREEN}")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:2] == [f"A: {STAGE5}", f"B: {GREEN}"]
    changed = [line for line in lines if "CHANGED" in line]
    assert len(changed) == 1 and "ws://" in changed[0] and "A: 404 Not Found  B: 101 Switching Protocols" in changed[0]
    assert lines[-1] == "1 of 5 request(s) change outcome."


def test_one_value_keeps_side_a_as_traced_and_a_bare_path_means_snapshot() -> None:
    keyed = cli("-f", STAGE5, "--compare", f"snapshot={GREEN}")
    bare = cli("-f", STAGE5, "--compare", GREEN)
    assert keyed.returncode == bare.returncode == 1
    assert keyed.stdout == bare.stdout
    assert keyed.stdout.splitlines()[:2] == [f"A: {STAGE5} (ingress-nginx)", f"B: {GREEN}"]
    same = cli("-f", GREEN, "--compare", "controller=ingress-nginx")
    assert same.returncode == 0, same.stdout + same.stderr
    assert same.stdout.splitlines()[-1] == "No request changes outcome (5 compared)."


def test_a_controller_side_against_a_snapshot_side() -> None:
    """Seed report 003: stage 0 as traced (426) against the green stage through the same data plane."""
    stage0, green = str(EXAMPLES / "knative-003-0-http10"), str(EXAMPLES / "knative-003-2-green")
    proc = cli("-f", stage0, "--compare", "controller=istio", f"snapshot={green}", "-o", "json")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (row,) = json.loads(proc.stdout)["rows"]
    assert (row["a"], row["b"], row["changed"]) == ("426 Upgrade Required", "200 OK", True)
    assert row["first_hop_difference"]["a"]["component"] == "controller"


def test_bad_compare_values_exit_2_with_the_reason() -> None:
    cases = [
        (["-f", STAGE5, "--compare", "a", "b", "c"], "one or two values"),
        (["-f", STAGE5, "--compare", f"snapshot={STAGE5}", f"snapshot={GREEN}"], "leave out -f"),
        (["--compare", "controller=ingress-spec", f"snapshot={GREEN}"], "give -f PATH"),
        (["-f", STAGE5, "--compare", "controller=nginx-plus"], "not one of"),
        ([], "give -f PATH"),
    ]
    for args, words in cases:
        proc = cli(*args)
        assert proc.returncode == 2 and words in proc.stderr, (args, proc.stderr)
