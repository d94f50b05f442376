"""`manage.py explain`: what a rule id or a diagnosis code on a trace means (reads the rule catalog).

    manage.py explain dataplane#R21        the rule's title and text
    manage.py explain SERVICE_MISSING      the diagnosis: title, severity, related rules, text
    manage.py explain --list [FAMILY]      ids and titles (FAMILY: a rule family or "diagnoses")

Exit status 2 for an unknown id, code or family; the error names close matches.
"""

from __future__ import annotations

import difflib
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tracer.engine import catalog

DIAGNOSES_FAMILY = "diagnoses"


def _suggest(wanted: str, candidates: list[str]) -> str:
    """Close matches: ids whose section is exactly what was typed (``R21``), then difflib's picks."""
    by_section = [c for c in candidates if c.lower().endswith("#" + wanted.lower())]
    close = difflib.get_close_matches(wanted, candidates, n=5, cutoff=0.6)
    upper = difflib.get_close_matches(wanted.upper(), candidates, n=5, cutoff=0.6)
    picks = list(dict.fromkeys(by_section + close + upper))[:5]
    return f"; did you mean {', '.join(picks)}?" if picks else ""


def _all_ids() -> list[str]:
    return [key for family in catalog.RULE_FAMILIES for key in catalog.load_rules(family)] + list(catalog.DIAGNOSES)


def _rule_label(rule_id: str) -> str:
    rule = catalog.find_rule(rule_id)
    return f"{rule_id} ({rule.title})" if rule else rule_id


def _without_rules_line(body: str) -> str:
    return "\n".join(line for line in body.splitlines() if not line.startswith("Rules:")).strip()


class Command(BaseCommand):
    help = "Explain a rule id (e.g. dataplane#R21) or a diagnosis code (e.g. SERVICE_MISSING) from a trace."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("target", nargs="?", help="a rule id such as ingress-nginx#3.5, or a diagnosis code")
        parser.add_argument(
            "--list", dest="list_family", nargs="?", const="", default=None, metavar="FAMILY",
            help=f"list ids and titles: all, or one of {', '.join([*catalog.RULE_FAMILIES, DIAGNOSES_FAMILY])}",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target: str | None = options["target"]
        family: str | None = options["list_family"]
        if family is not None:
            if target:
                raise CommandError("give either an id to explain or --list, not both", returncode=2)
            self._list(family)
        elif not target:
            raise CommandError("name a rule id or a diagnosis code, or use --list", returncode=2)
        elif catalog.split_rule(target) is not None:
            self._rule(target)
        elif target.upper() in catalog.DIAGNOSES:
            self._diagnosis(target.upper())
        else:
            raise CommandError(f"{target!r} is neither a rule id nor a diagnosis code{_suggest(target, _all_ids())}",
                               returncode=2)

    def _rule(self, rule_id: str) -> None:
        rule = catalog.find_rule(rule_id)
        if rule is None:
            raise CommandError(f"rule {rule_id} is not documented{_suggest(rule_id, _all_ids())}", returncode=2)
        self.stdout.write(f"{rule.id} — {rule.title}")
        self.stdout.write(f"Family: {catalog.RULE_FAMILIES[rule.family]}")
        self.stdout.write("")
        self.stdout.write(rule.body)

    def _diagnosis(self, code: str) -> None:
        kind = catalog.DIAGNOSES[code]
        doc = catalog.diagnosis_doc(code)
        self.stdout.write(f"{kind.code} — {kind.title}")
        self.stdout.write(f"Severity: {kind.severity}")
        self.stdout.write(f"Rules: {', '.join(_rule_label(r) for r in kind.rules)}")
        self.stdout.write("")
        self.stdout.write(_without_rules_line(doc.body) if doc else "(not documented yet)")

    def _list(self, family: str) -> None:
        families = [*catalog.RULE_FAMILIES, DIAGNOSES_FAMILY]
        if family and family not in families:
            raise CommandError(f"unknown family {family!r}{_suggest(family, families)} (families: "
                               f"{', '.join(families)})", returncode=2)
        indent = "" if family else "  "  # one family: bare rows; all: a heading per family
        for name in [family] if family else families:
            if name == DIAGNOSES_FAMILY:
                heading = "Diagnosis codes"
                rows = [(k.code, f"{k.title} ({k.severity})") for k in catalog.DIAGNOSES.values()]
            else:
                heading = catalog.RULE_FAMILIES[name]
                rows = [(r.id, r.title) for r in catalog.load_rules(name).values()]
            if not family:
                self.stdout.write(f"{heading} ({len(rows)}):")
            width = max((len(key) for key, _ in rows), default=0)
            for key, title in rows:
                self.stdout.write(f"{indent}{key.ljust(width)}  {title}")
