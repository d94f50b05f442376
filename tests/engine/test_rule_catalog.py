"""The rule catalog stays complete: every rule id and diagnosis code the engine uses is documented.

Rule ids are found twice: statically in the source of tracer/ (literal ids, the short forms that
follow one on the same line such as ``dataplane#R21, #R27``, and ``spec_rule("I-9")`` calls) and
dynamically on the hops and diagnoses of the golden traces (ids built at run time). Diagnosis codes
are found in the engine's code contexts (``Diagnosis(...)`` and the helpers that pass a code along),
cross-checked against every code-like string literal in the engine and the codes in the golden traces.
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tracer.engine import catalog
from tracer.engine.catalog import DIAGNOSES, RULE_FAMILIES, RULES_DIR, SECTION_PATTERNS, find_rule, parse_headings
from tracer.engine.result import SEVERITIES

ROOT = Path(__file__).resolve().parents[2]
TRACER = ROOT / "tracer"
ENGINE = TRACER / "engine"
GOLDEN = Path(__file__).with_name("golden")
DIAGNOSES_MD = RULES_DIR / "diagnoses.md"

CODE_LIKE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
# Upper-case literals in the engine that are not diagnosis codes (checked by test_no_unregistered_code_literal).
NOT_CODES = {"AUTO_HTTP"}  # an ingress-nginx backend-protocol value
# Callables that take a diagnosis code among their arguments (the engine's helpers pass codes along).
CODE_CALLS = {"Diagnosis", "Dropped", "RegexProblem", "diag", "deny", "warn"}
# Helpers that turn a k8s-routing section into a full id.
SPEC_RULE_CALLS = {"spec_rule", "_rule"}
# Built from parts so this file does not itself mention a path outside the repository.
FORBIDDEN = ("/" + "work/", "../" + "shared", "DESIGN" + ".md")


# -- collecting ids and codes ---------------------------------------------------------------------


def _short_form(family: str) -> re.Pattern[str]:
    """``, #R27`` / ``/R7`` / ``, C-4`` after a full id; a bare number needs its ``#`` (``, #0``)."""
    section = SECTION_PATTERNS[family]
    prefix = "#" if section.startswith(r"\d") else "#?"
    return re.compile(rf"\s*[,/]\s*{prefix}({section}){END}")


END = r"(?![\w-]|\.\w)"  # an id ends at a word boundary; a sentence's full stop may follow
FULL_IDS = {family: re.compile(rf"{re.escape(family)}#({section}){END}") for family, section in SECTION_PATTERNS.items()}
SHORT_IDS = {family: _short_form(family) for family in SECTION_PATTERNS}


def ids_in_line(line: str) -> Iterator[str]:
    for family, full in FULL_IDS.items():
        for m in full.finditer(line):
            yield f"{family}#{m.group(1)}"
            pos = m.end()
            while short := SHORT_IDS[family].match(line, pos):
                yield f"{family}#{short.group(1)}"
                pos = short.end()


def _python_files(top: Path) -> list[Path]:
    return sorted(p for p in top.rglob("*.py") if "migrations" not in p.parts)


def _spec_rule_calls(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) in SPEC_RULE_CALLS and node.args:
            arg = node.args[0]
            value = arg.value if isinstance(arg, ast.Constant) else None
            if isinstance(value, str) and re.fullmatch(SECTION_PATTERNS["k8s-routing"], value):
                yield f"k8s-routing#{value}"


def static_rule_ids() -> dict[str, set[str]]:
    """Rule id -> the files citing it, over every .py file under tracer/."""
    found: dict[str, set[str]] = {}
    for path in _python_files(TRACER):
        text = path.read_text(encoding="utf-8")
        rel = str(path.relative_to(ROOT))
        for line in text.splitlines():
            for rule_id in ids_in_line(line):
                found.setdefault(rule_id, set()).add(rel)
        for rule_id in _spec_rule_calls(ast.parse(text)):
            found.setdefault(rule_id, set()).add(rel)
    return found


def golden_traces() -> Iterator[dict[str, Any]]:
    """Every request trace in the golden equivalence files."""
    for path in sorted((GOLDEN / "equivalence").glob("*.json")):
        if path.name == "inputs.json":
            continue
        for trace in json.loads(path.read_text(encoding="utf-8")):
            yield from trace["requests"]


def golden_rule_ids() -> set[str]:
    out: set[str] = set()
    for req in golden_traces():
        for hop in req["hops"]:
            out.update(hop["rules"])
        out.update(d["rule"] for d in req["diagnoses"] if d["rule"])
    return out


def golden_codes() -> set[str]:
    codes = {d["code"] for req in golden_traces() for d in req["diagnoses"]}
    for summary in json.loads((GOLDEN / "examples.json").read_text(encoding="utf-8")).values():
        codes.update(summary["diagnoses"])
    return codes


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _code_literals(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and CODE_LIKE.match(sub.value):
            yield sub.value


def _is_code_target(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == "code") or (isinstance(node, ast.Attribute) and node.attr == "code")


def emitted_codes() -> dict[str, set[str]]:
    """Code -> files, from the contexts where the engine handles a diagnosis code.

    ``Diagnosis(...)`` and the helpers in CODE_CALLS (any argument), ``code=`` keywords, assignments to
    ``code``, defaults of ``code`` parameters and comparisons with ``.code``.
    """
    found: dict[str, set[str]] = {}
    for path in _python_files(ENGINE):
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            sources: list[ast.AST] = []
            if isinstance(node, ast.Call):
                if _call_name(node) in CODE_CALLS:
                    sources += node.args
                sources += [k.value for k in node.keywords if k.arg == "code" or _call_name(node) in CODE_CALLS]
            elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if node.value is not None and any(_is_code_target(t) for t in targets):
                    sources.append(node.value)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = node.args
                positional = args.posonlyargs + args.args
                defaults = list(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
                defaults += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None]
                sources += [d for a, d in defaults if a.arg == "code"]
            elif isinstance(node, ast.Compare) and any(_is_code_target(n) for n in [node.left, *node.comparators]):
                sources += [node.left, *node.comparators]
            for source in sources:
                for code in _code_literals(source):
                    found.setdefault(code, set()).add(rel)
    return found


def code_literals_in_engine() -> dict[str, set[str]]:
    """Every code-like string literal in the engine, wherever it appears (``__all__`` lists aside)."""
    found: dict[str, set[str]] = {}
    for path in _python_files(ENGINE):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        exported = {
            id(c)
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
            for c in ast.walk(node.value)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and id(node) not in exported:
                for code in _code_literals(node):
                    found.setdefault(code, set()).add(str(path.relative_to(ROOT)))
    return found


def headings(path: Path) -> list[tuple[str, str, str]]:
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing"
    return parse_headings(path.read_text(encoding="utf-8"))


def rules_line(body: str) -> list[str] | None:
    for line in body.splitlines():
        if line.startswith("Rules:"):
            return [part.strip() for part in line[len("Rules:") :].split(",") if part.strip()]
    return None


# -- (a) and (b): rule ids used by the engine have exactly one heading -----------------------------


def test_the_static_scan_finds_ids_of_every_family() -> None:
    found = static_rule_ids()
    for family in RULE_FAMILIES:
        assert any(i.startswith(family + "#") for i in found), family
    # the short forms: "dataplane#R21, #R27" (api.py) and "(k8s-routing#I-22, C-4)" (services.py)
    assert list(ids_in_line("(dataplane#R21, #R27)")) == ["dataplane#R21", "dataplane#R27"]
    assert list(ids_in_line("dataplane#R6/R7).")) == ["dataplane#R6", "dataplane#R7"]
    assert list(ids_in_line("(k8s-routing#I-22, C-4). A")) == ["k8s-routing#I-22", "k8s-routing#C-4"]
    assert list(ids_in_line("(ingress-nginx#8.6, #0)")) == ["ingress-nginx#8.6", "ingress-nginx#0"]
    assert list(ids_in_line("ingress-nginx#9.1, 2048 bytes")) == ["ingress-nginx#9.1"]
    assert list(ids_in_line("see ingress-nginx#3.10. Then ingress-nginx#1.4x")) == ["ingress-nginx#3.10"]


@pytest.mark.parametrize("family", list(RULE_FAMILIES))
def test_every_rule_id_used_in_the_code_has_exactly_one_heading(family: str) -> None:
    counts = Counter(key for key, _, _ in headings(RULES_DIR / f"{family}.md"))
    used = {i: files for i, files in static_rule_ids().items() if i.startswith(family + "#")}
    problems = [
        f"{rule_id} ({', '.join(sorted(files))}): {counts[rule_id]} headings"
        for rule_id, files in sorted(used.items())
        if counts[rule_id] != 1
    ]
    assert not problems, f"docs/rules/{family}.md needs exactly one heading for:\n" + "\n".join(problems)


@pytest.mark.parametrize("family", list(RULE_FAMILIES))
def test_every_rule_id_in_the_golden_traces_has_a_heading(family: str) -> None:
    ids = golden_rule_ids()
    malformed = sorted(i for i in ids if catalog.split_rule(i) is None)
    assert not malformed, f"not rule ids: {malformed}"
    documented = catalog.load_rules(family)
    missing = sorted(i for i in ids if i.startswith(family + "#") and i not in documented)
    assert not missing, f"docs/rules/{family}.md has no heading for {missing}"


# -- (c): diagnosis codes ---------------------------------------------------------------------------


def test_the_code_scan_sees_the_helpers() -> None:
    emitted = emitted_codes()
    # one code per kind of call site: Diagnosis(...), Dropped(...), p.deny(..., code), warn(code=...),
    # a `code = ...` assignment, a `code` parameter default, RegexProblem(...)
    for code in ("SERVICE_MISSING", "INGRESS_CLASS_NOT_SERVED", "AUTH_SECRET_MISSING", "CORS_ORIGIN_INVALID",
                 "INGRESS_DROPPED_SNIPPET", "ANNOTATION_VALUE_IGNORED", "REGEX_TIMEOUT"):
        assert code in emitted, code


def test_every_emitted_code_is_registered_and_documented() -> None:
    documented = {key for key, _, _ in headings(DIAGNOSES_MD)}
    used = emitted_codes()
    for code in golden_codes():
        used.setdefault(code, set()).add("golden traces")
    unregistered = sorted(f"{c} ({', '.join(sorted(f))})" for c, f in used.items() if c not in DIAGNOSES)
    undocumented = sorted(c for c in used if c not in documented)
    assert not unregistered, "not in tracer/engine/diagnosis_codes.py DIAGNOSES:\n" + "\n".join(unregistered)
    assert not undocumented, f"no heading in docs/rules/diagnoses.md: {undocumented}"


def test_no_unregistered_code_literal() -> None:
    """Belt and braces for code paths the context scan misses (a table of codes, a new helper)."""
    stray = sorted(
        f"{c} ({', '.join(sorted(f))})"
        for c, f in code_literals_in_engine().items()
        if c not in DIAGNOSES and c not in NOT_CODES
    )
    assert not stray, (
        "register these in DIAGNOSES (and document them), or add them to NOT_CODES if they are not codes:\n"
        + "\n".join(stray)
    )


def test_registry_and_docs_agree() -> None:
    docs = {key: (title, body) for key, title, body in headings(DIAGNOSES_MD)}
    counts = Counter(key for key, _, _ in headings(DIAGNOSES_MD))
    assert [k for k, n in counts.items() if n > 1] == []
    assert sorted(set(DIAGNOSES) - set(docs)) == [], "registered but not documented"
    assert sorted(set(docs) - set(DIAGNOSES)) == [], "documented but not registered"
    stale = sorted(set(DIAGNOSES) - set(code_literals_in_engine()))
    assert stale == [], f"registered but the engine never uses them: {stale}"
    for code, kind in DIAGNOSES.items():
        title, body = docs[code]
        assert kind.code == code and CODE_LIKE.match(code), code
        assert kind.severity in SEVERITIES, code
        assert kind.title == title, f"{code}: registry title {kind.title!r}, heading title {title!r}"
        assert rules_line(body) == list(kind.rules), f"{code}: the Rules: line differs from DIAGNOSES"


# -- (d), (e), (f): the files themselves --------------------------------------------------------------


@pytest.mark.parametrize("family", list(RULE_FAMILIES))
def test_family_file_shape(family: str) -> None:
    path = RULES_DIR / f"{family}.md"
    parsed = headings(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# ") and lines[2].strip(), "a level-1 title, then a paragraph on the family"
    assert parsed, "no rule headings"
    for key, title, body in parsed:
        assert catalog.split_rule(key) is not None and key.startswith(family + "#"), f"bad id {key!r}"
        assert title, key
        text = body.replace("\n", " ")
        assert text and not text.startswith("Source:"), f"{key}: no behaviour text"
        assert any(line.startswith("Source: ") and len(line) > 12 for line in body.splitlines()), f"{key}: no Source:"


def test_diagnoses_file_shape() -> None:
    parsed = headings(DIAGNOSES_MD)
    assert DIAGNOSES_MD.read_text(encoding="utf-8").startswith("# ")
    for code, title, body in parsed:
        assert title and body and not body.startswith("Rules:"), f"{code}: no text"
        ids = rules_line(body)
        assert ids, f"{code}: no Rules: line"
        missing = [i for i in ids if find_rule(i) is None]
        assert not missing, f"{code}: Rules: names undocumented ids {missing}"


def test_rule_anchors_are_unique() -> None:
    ids = [key for family in RULE_FAMILIES for key in catalog.load_rules(family)]
    anchors = Counter(catalog.rule_anchor(i) for i in ids)
    assert [a for a, n in anchors.items() if n > 1] == []
    assert not set(anchors) & set(DIAGNOSES)


def test_no_reference_outside_the_repository() -> None:
    paths = [
        *sorted(RULES_DIR.glob("*.md")),
        ENGINE / "catalog.py",
        ENGINE / "diagnosis_codes.py",
        TRACER / "management" / "commands" / "explain.py",
        Path(__file__),
        Path(__file__).parents[1] / "web" / "test_explain.py",
    ]
    hits = [
        f"{p.relative_to(ROOT)}: {needle}"
        for p in paths
        if p.is_file()
        for needle in FORBIDDEN
        if needle in p.read_text(encoding="utf-8")
    ]
    assert not hits, hits
