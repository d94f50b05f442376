"""The rule catalog: what the rule ids on hops and diagnoses mean, and every diagnosis code.

Rule ids look like ``<family>#<section>`` (``ingress-nginx#3.5``, ``k8s-routing#I-22``,
``dataplane#R21``). Each family is documented in ``docs/rules/<family>.md``, one level-3 heading per
rule: ``### ingress-nginx#3.5 — Location matching``, the behaviour below it. This module parses those
files (once per family) so the web UI, ``manage.py explain`` and the tests read a single source.
Diagnosis codes are registered in Python (``diagnosis_codes``) and documented the same way, with
the code as the heading id, in ``docs/rules/diagnoses.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .diagnosis_codes import DIAGNOSES, DiagnosisKind, diagnosis_kind

RULES_DIR = Path(__file__).resolve().parents[2] / "docs" / "rules"
DIAGNOSES_FILE = RULES_DIR / "diagnoses.md"

RULE_FAMILIES: dict[str, str] = {
    "ingress-nginx": "ingress-nginx controller",
    "k8s-routing": "Kubernetes Ingress and Gateway API routing (portable)",
    "dataplane": "Kubernetes dataplane",
    "browser": "What the browser does between requests",
    "traefik": "Traefik 1.7, v2 and v3",
    "istio": "Istio ingress gateway (Gateway, VirtualService, DestinationRule)",
}

# The section part of an id in each family: "3.5" or "0"; "I-22", "C-4" or "U-1"; "R21".
SECTION_PATTERNS: dict[str, str] = {
    "ingress-nginx": r"\d+(?:\.\d+)*",
    "k8s-routing": r"[A-Z]-\d+",
    "dataplane": r"R\d+",
    "browser": r"B\d+",
    "traefik": r"T\d+",
    "istio": r"S\d+",
}
_SECTION = {family: re.compile(pattern) for family, pattern in SECTION_PATTERNS.items()}
_HEADING = re.compile(r"^###\s+(\S+)\s+—\s+(.+?)\s*$")
_BODY_END = re.compile(r"^#{1,3}\s")  # the next heading of level 1 to 3 ends a body


@dataclass(frozen=True)
class Rule:
    id: str
    family: str
    title: str
    body: str  # the Markdown under the heading, stripped


def split_rule(rule_id: str) -> tuple[str, str] | None:
    """``"ingress-nginx#3.5"`` -> ``("ingress-nginx", "3.5")``; None for text that is not a rule id."""
    family, sep, section = rule_id.partition("#")
    pattern = _SECTION.get(family)
    if not sep or pattern is None or not pattern.fullmatch(section):
        return None
    return family, section


def rule_anchor(rule_id: str) -> str:
    """The HTML id of the rule's heading: ``ingress-nginx#3.5`` -> ``ingress-nginx-3.5``."""
    return rule_id.replace("#", "-")


def parse_headings(text: str) -> list[tuple[str, str, str]]:
    """``(id, title, body)`` for every ``### <id> — <title>`` heading, in file order (duplicates kept).

    A body runs to the next heading of level 1 to 3; ``#`` lines inside fenced code blocks are text.
    """
    found: list[tuple[str, str, list[str]]] = []
    in_fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
        elif not in_fence and _BODY_END.match(line):
            m = _HEADING.match(line)
            found.append((m.group(1), m.group(2), []) if m else ("", "", []))
            continue
        if found:
            found[-1][2].append(line)
    return [(key, title, "\n".join(lines).strip()) for key, title, lines in found if key]


def _parse_file(path: Path, family: str) -> dict[str, Rule]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}  # an installation without docs/ explains nothing, but must not fail
    return {key: Rule(key, family, title, body) for key, title, body in parse_headings(text)}


@cache
def load_rules(family: str) -> dict[str, Rule]:
    """The rules documented in ``docs/rules/<family>.md``, by id (parsed once per process)."""
    if family not in RULE_FAMILIES:
        raise ValueError(f"unknown rule family {family!r}; families: {', '.join(RULE_FAMILIES)}")
    rules = _parse_file(RULES_DIR / f"{family}.md", family)
    return {key: rule for key, rule in rules.items() if key.startswith(family + "#")}


def find_rule(rule_id: str) -> Rule | None:
    parts = split_rule(rule_id)
    return load_rules(parts[0]).get(rule_id) if parts else None


@cache
def load_diagnosis_docs() -> dict[str, Rule]:
    """The documentation of each diagnosis code in ``docs/rules/diagnoses.md`` (family "diagnoses")."""
    return _parse_file(DIAGNOSES_FILE, "diagnoses")


def diagnosis_doc(code: str) -> Rule | None:
    return load_diagnosis_docs().get(code)


__all__ = [
    "DIAGNOSES",
    "RULES_DIR",
    "RULE_FAMILIES",
    "DiagnosisKind",
    "Rule",
    "diagnosis_doc",
    "diagnosis_kind",
    "find_rule",
    "load_diagnosis_docs",
    "load_rules",
    "parse_headings",
    "rule_anchor",
    "split_rule",
]
