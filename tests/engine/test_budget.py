"""The per-trace time budget (tracer/engine/budget.py): a regex-bomb trace ends with budget-exceeded, on time, with the
slow rule named; traces within their budget are unchanged; the option and the CLI flag."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from regex_bomb import ATTACK_URL, HOST, PATTERN, bomb_manifests

from tracer.engine import Engine, OptionError, load_manifests
from tracer.engine.budget import Budget, BudgetExceeded, limit, locate
from tracer.engine.options import Options

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tracer/engine/schema/trace-v1.schema.json").read_text())
SHOP = ROOT / "examples" / "shop"


@pytest.fixture(scope="module")
def bomb() -> Engine:
    # 60 slow regexes: about 3 s unbounded (60 x 50 ms), so a 0.4 s budget must cut it short.
    return Engine(load_manifests(bomb_manifests(60)), budget_seconds=0.4)


def test_bomb_ends_with_budget_exceeded_on_time(bomb: Engine) -> None:
    started = time.monotonic()
    trace = bomb.trace(ATTACK_URL)
    elapsed = time.monotonic() - started
    assert elapsed < 0.4 + 0.25, elapsed  # the deadline plus at most one regex timeout and the report
    data = trace.to_dict()
    jsonschema.validate(data, SCHEMA)
    req = data["requests"][0]
    assert req["status"] is None and req["error"] == "budget-exceeded"
    assert [d["code"] for d in req["diagnoses"]] == ["TRACE_BUDGET_EXCEEDED"]
    message = req["diagnoses"][0]["message"]
    assert "time budget of 0.4 s" in message and "(a|aa)+$" in message
    assert "Ingress bomb/bomb-" in message and "field spec.rules[0].http.paths[0].path" in message
    assert "line " in message
    objects = req["diagnoses"][0]["objects"]
    assert objects and objects[0]["kind"] == "Ingress" and objects[0]["line"]
    hop = req["hops"][-1]
    assert hop["component"] == "controller" and hop["outcome"] == "unknown" and hop["verdict"] == "assumed"
    assert not trace.ok


def test_later_requests_of_the_trace_end_at_once(bomb: Engine) -> None:
    started = time.monotonic()
    trace = bomb.trace_many([ATTACK_URL, f"http://{HOST}/", ATTACK_URL])
    assert time.monotonic() - started < 0.4 + 0.25
    assert [r.error for r in trace.requests] == ["budget-exceeded"] * 3


def test_without_a_budget_each_regex_only_times_out() -> None:
    engine = Engine(load_manifests(bomb_manifests(3)))
    assert engine.options.budget_seconds is None
    req = engine.trace(ATTACK_URL).to_dict()["requests"][0]
    assert req["error"] is None and req["status"] == 404
    assert {d["code"] for d in req["diagnoses"]} >= {"REGEX_TIMEOUT"}


def test_a_trace_within_its_budget_is_unchanged() -> None:
    url = "GET https://shop.example.com/api/items?id=3"
    plain = Engine(str(SHOP)).trace(url).to_dict()
    bounded = Engine(str(SHOP), budget_seconds=5).trace(url).to_dict()
    assert bounded["options"].pop("budget_seconds") == 5.0
    assert bounded == plain


def test_journeys_share_one_budget() -> None:
    engine = Engine(load_manifests(bomb_manifests(60)), budget_seconds=0.3)
    started = time.monotonic()
    trace = engine.journey({"journey": {"start": ATTACK_URL}})
    assert time.monotonic() - started < 0.3 + 0.25
    assert trace.requests[0].error == "budget-exceeded"


def test_an_inner_limit_keeps_the_outer_deadline() -> None:
    with limit(0.05) as outer:
        assert isinstance(outer, Budget)
        with limit(100) as inner:
            assert inner is outer
        time.sleep(0.06)
        with pytest.raises(BudgetExceeded):
            outer.check()
    with limit(None) as none:
        assert none is None


def test_locate_names_the_field_holding_the_pattern() -> None:
    snapshot = load_manifests(bomb_manifests(3))
    found = locate(snapshot, "^" + PATTERN + "|/x2")
    assert [(ref["name"], where) for ref, where in found] == [("bomb-2", "spec.rules[0].http.paths[0].path")]


@pytest.mark.parametrize("value", ["abc", -1, 0, float("inf"), float("nan"), True])
def test_bad_budgets_are_option_errors(value: object) -> None:
    with pytest.raises(OptionError, match="budget_seconds"):
        Options.from_kwargs(budget_seconds=value)


def test_budget_option_reads_numbers() -> None:
    assert Options.from_kwargs(budget_seconds="2.5").budget_seconds == 2.5
    assert Options.from_kwargs().budget_seconds is None


def test_cli_budget_flag(tmp_path: Path) -> None:
    manifest = tmp_path / "bomb.yaml"
    manifest.write_text(bomb_manifests(60))
    out = subprocess.run(
        [sys.executable, "manage.py", "trace", "-f", str(manifest), "--request", f"GET {ATTACK_URL}",
         "--budget", "0.3", "-o", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    assert data["options"]["budget_seconds"] == 0.3
    assert data["requests"][0]["error"] == "budget-exceeded"
    bad = subprocess.run(
        [sys.executable, "manage.py", "trace", "-f", str(manifest), "--request", f"GET {ATTACK_URL}", "--budget", "-1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert bad.returncode == 2 and "budget_seconds" in bad.stderr
