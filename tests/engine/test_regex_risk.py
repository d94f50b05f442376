"""Regexes that cannot be bounded are flagged at load (tracer/engine/regex_risk.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from regex_bomb import bomb_manifests

from tracer.engine import load_manifests
from tracer.engine.regex_risk import MAX_WARNINGS, WARNING_PREFIX, probe, suspects


@pytest.mark.parametrize(
    ("pattern", "group", "shape"),
    [
        ("/(a|aa)+$", "(a|aa)+", "overlapping alternatives"),
        ("/(a+)+$", "(a+)+", "nested quantifier"),
        (r"^(\d+)*$", r"(\d+)*", "nested quantifier"),
        (r"/(\w+\s?)*$", r"(\w+\s?)*", "nested quantifier"),
        ("/([a-z]+/)*end", "([a-z]+/)*", "nested quantifier"),
        ("(?:a|a?)+b", "(?:a|a?)+", "overlapping alternatives"),
        ("/(?P<x>a|aa){2,}$", "(?P<x>a|aa){2,}", "overlapping alternatives"),
    ],
)
def test_evil_shapes_are_suspects(pattern: str, group: str, shape: str) -> None:
    found = list(suspects(pattern))
    assert [(s.group, s.shape) for s in found] == [(group, shape)]


@pytest.mark.parametrize(
    "pattern",
    [
        "/api/v[0-9]+(/|$)(.*)",  # bench and examples: one quantifier per group
        "/stable-[0-9a-f]+(/?|$)",  # examples/vscode-6-green
        "/(x|y)+$",  # exclusive alternatives
        "/(a|ab)*c",  # one way only: no branch starts with the rest "b"
        "/(?>a+)+$",  # atomic group: no backtracking into it
        "/(a++)+$",  # possessive
        r"/\(a+\)+",  # escaped parentheses are literals
        "/[(a+)]+",  # so are parentheses in a class
        "/x{2,}",
    ],
)
def test_bounded_shapes_are_not(pattern: str) -> None:
    assert list(suspects(pattern)) == []


def test_probe_sees_the_blow_up() -> None:
    (suspect,) = suspects("/(a|aa)+$")
    assert probe(suspect) is True
    (fine,) = suspects("/(a|ab)*c|/(a|aa)+")  # no $ after the group: the first "a" already matches
    assert probe(fine) is False


def test_load_flags_regex_mode_paths_with_file_line_and_field() -> None:
    snapshot = load_manifests(bomb_manifests(2))
    flagged = [w for w in snapshot.warnings if w.message.startswith(WARNING_PREFIX)]
    assert len(flagged) == 2
    first = flagged[0]
    assert first.field == "spec.rules[0].http.paths[0].path" and first.line and first.document == 3
    assert "Ingress bomb/bomb-0" in first.message and "(a|aa)+" in first.message
    assert "did not finish within 20 ms" in first.message


def test_prefix_paths_without_regex_mode_are_not_flagged() -> None:
    text = bomb_manifests(1).replace('annotations: {nginx.ingress.kubernetes.io/use-regex: "true"}', "annotations: {}")
    assert not [w for w in load_manifests(text).warnings if w.message.startswith(WARNING_PREFIX)]


def test_gateway_api_regular_expressions_are_checked() -> None:
    route = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r, namespace: default}
spec:
  rules:
  - matches:
    - path: {type: RegularExpression, value: "/(a+)+$"}
"""
    (warning,) = [w for w in load_manifests(route).warnings if w.message.startswith(WARNING_PREFIX)]
    assert warning.field == "spec.rules[0].matches[0].path.value" and "nested quantifier" in warning.message


def test_many_patterns_are_capped_and_counted() -> None:
    flagged = [w.message for w in load_manifests(bomb_manifests(40)).warnings if w.message.startswith(WARNING_PREFIX)]
    assert len(flagged) == MAX_WARNINGS + 1
    assert flagged[-1] == f"{WARNING_PREFIX}: {40 - MAX_WARNINGS} more regexes of the same shapes"
