"""`manage.py explain`: rule ids and diagnosis codes from the catalog, close matches for typos."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tracer.engine import catalog


def explain(*args: str) -> str:
    out = io.StringIO()
    call_command("explain", *args, stdout=out)
    return out.getvalue()


def explain_error(*args: str) -> CommandError:
    with pytest.raises(CommandError) as info:
        explain(*args)
    assert info.value.returncode == 2
    return info.value


@pytest.mark.parametrize("rule_id", ["dataplane#R21", "k8s-routing#I-15", "ingress-nginx#3.5"])
def test_a_rule_prints_id_title_and_text(rule_id: str) -> None:
    rule = catalog.find_rule(rule_id)
    assert rule is not None
    text = explain(rule_id)
    assert text.startswith(f"{rule_id} — {rule.title}\n")
    assert rule.body in text and "Source:" in text


def test_a_diagnosis_prints_severity_rules_and_documented_text() -> None:
    kind = catalog.DIAGNOSES["SERVICE_MISSING"]
    doc = catalog.diagnosis_doc("SERVICE_MISSING")
    assert doc is not None
    text = explain("SERVICE_MISSING")
    lines = text.splitlines()
    assert lines[0] == f"SERVICE_MISSING — {kind.title}"
    assert lines[1] == f"Severity: {kind.severity}"
    first = catalog.find_rule(kind.rules[0])
    assert first is not None and lines[2].startswith(f"Rules: {kind.rules[0]} ({first.title})")
    assert doc.body.splitlines()[0] in text
    assert explain("service_missing") == text  # codes are matched case-insensitively


def test_unknown_code_names_close_matches() -> None:
    error = explain_error("SERVICE_MISING")
    assert "SERVICE_MISSING" in str(error)


def test_a_bare_section_suggests_the_full_id() -> None:
    assert "dataplane#R21" in str(explain_error("R21"))


def test_undocumented_rule_id_is_an_error() -> None:
    error = explain_error("dataplane#R999")
    assert "not documented" in str(error) and "dataplane#R9" in str(error)


def test_list_one_family() -> None:
    lines = explain("--list", "k8s-routing").splitlines()
    assert len(lines) == len(catalog.load_rules("k8s-routing"))
    assert lines[0].split()[0] == "k8s-routing#C-1"
    codes = explain("--list", "diagnoses").splitlines()
    assert {line.split()[0] for line in codes} == set(catalog.DIAGNOSES)


def test_list_everything_has_a_heading_per_family() -> None:
    text = explain("--list")
    for title in catalog.RULE_FAMILIES.values():
        assert f"{title} (" in text
    assert f"Diagnosis codes ({len(catalog.DIAGNOSES)}):" in text


def test_usage_errors() -> None:
    assert "k8s-routing" in str(explain_error("--list", "k8s-routin"))
    explain_error()
    explain_error("dataplane#R21", "--list")
