"""Regexes that cannot be bounded: a static check at load time, confirmed by a quick probe.

A backtracking matcher (PCRE in nginx, the ``regex`` module here) takes exponential time on a failing input
when a repeated group can match the same text in more than one way. The OWASP ReDoS page
(https://owasp.org/www-community/attacks/Regular_expression_Denial_of_Service_-_ReDoS) names the shape of
these "evil regexes": a repeated group that contains repetition, ``(a+)+``, or alternation whose branches
overlap, ``(a|aa)+``; ``safe-regex`` (https://github.com/davisjam/safe-regex, README) flags the first as
star height above one. The check below looks for exactly those two shapes (a heuristic: it has false
positives and misses polynomial shapes such as ``.*.*x``), then runs each suspect once against a pumped
input with a few milliseconds of timeout, so the warning can say whether the blow-up was seen.

The warnings go into the snapshot's load warnings (shown on the snapshot page and in the upload answer); the
web app's queue sends traces of a flagged snapshot to the heavy queue (tracer/queue.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import regex

from .snapshot import K8sObject, LoadWarning

# The message of every warning starts so (tracer/queue.py recognises a flagged snapshot by it).
WARNING_PREFIX = "unbounded regex"
PROBE_TIMEOUT = 0.02  # seconds: a bounded pattern answers a 40-character input in microseconds
PUMP = 40  # repetitions of the pumped text in the probe ((a|aa)+ needs about 30 to blow up)
MAX_PROBES = 16  # distinct suspects probed per snapshot (bounds the load-time cost to about 0.3 s)
MAX_WARNINGS = 5  # distinct suspects reported one by one; the rest are counted
# ingress-nginx turns a host's paths into regexes when an Ingress on it sets either annotation (ingress-nginx#3.3).
REGEX_ANNOTATIONS = ("nginx.ingress.kubernetes.io/use-regex", "nginx.ingress.kubernetes.io/rewrite-target")
UNBOUNDED = frozenset("*+")


@dataclass(frozen=True, slots=True)
class Suspect:
    """A repeated group that can match the same text in several ways."""

    pattern: str
    group: str  # the repeated group as written, e.g. "(a|aa)+"
    shape: str  # "nested quantifier" | "overlapping alternatives"
    pump: str  # text one repetition of the group matches, for the probe


@dataclass(slots=True)
class _Group:
    start: int
    atomic: bool
    branches: list[str]
    branch_start: int
    quantified: bool = False  # an unbounded quantifier somewhere inside


def _quantifier_at(pattern: str, i: int) -> tuple[bool, int]:
    """(unbounded, end) of the quantifier starting at ``i``, or (False, i) when there is none. ``{n,}`` and
    ``{n,m}`` with m > 1 count as repetition; a possessive ``+`` after it makes it bounded (no backtracking)."""
    n = len(pattern)
    if i >= n:
        return False, i
    ch = pattern[i]
    if ch in UNBOUNDED or ch == "?":
        end = i + 1
        unbounded = ch in UNBOUNDED
    elif ch == "{":
        close = pattern.find("}", i)
        body = pattern[i + 1 : close] if close > 0 else ""
        low, comma, high = body.partition(",")
        if close < 0 or not low.strip().isdigit() or (high.strip() and not high.strip().isdigit()):
            return False, i  # a literal brace
        end = close + 1
        unbounded = bool(comma) and (not high.strip() or int(high) > 1)
    else:
        return False, i
    if end < n and pattern[end] == "+":  # possessive: gives nothing back
        return False, end + 1
    if end < n and pattern[end] == "?":  # lazy: still backtracks
        end += 1
    return unbounded, end


def _skip_class(pattern: str, i: int) -> int:
    """The index after the character class starting at ``i`` (``[...]``, with escapes and a leading ``]``)."""
    j = i + 1
    if j < len(pattern) and pattern[j] == "^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 2 if pattern[j] == "\\" else 1
    return j + 1


def _first_text(branch: str) -> str:
    """A short text the branch matches, good enough to pump: its literal characters, classes as one member."""
    out = []
    i = 0
    while i < len(branch):
        ch = branch[i]
        if ch == "\\" and i + 1 < len(branch):
            nxt = branch[i + 1]
            out.append({"d": "1", "w": "a", "s": " "}.get(nxt, nxt if not nxt.isalnum() else "a"))
            i += 2
        elif ch == "[":
            end = _skip_class(branch, i)
            body = branch[i + 1 : end - 1]
            if body.startswith("^"):  # a negated class: a letter it does not exclude
                out.append(next((c for c in "abcdefghijklmnopqrstuvwxyz0" if c not in body), "0"))
            else:
                out.append(body[:1] if body[:1] not in ("", "\\", "-") else "a")
            i = end
        elif ch in "()|^$?*+{}":
            i += 1
        elif ch == ".":
            out.append("a")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out) or "a"


def _overlap(branches: list[str]) -> str | None:
    """Text two branches both match at the same position (one a prefix of another), or None."""
    if any(not b or _can_be_empty(b) for b in branches):
        return _first_text(next((b for b in branches if b), "a"))
    literal = [_first_text(b) for b in branches]
    starts = {t[:1].lower() for t in literal}
    for i, a in enumerate(literal):
        for b in literal[i + 1 :]:
            short, long = sorted((a, b), key=len)
            # One repetition can take the longer branch, or the shorter one and then another repetition that
            # matches the rest ((a|aa)+ on "aa"); when no branch starts the rest ((a|ab)+), there is one way only.
            if long.lower().startswith(short.lower()) and (long == short or long[len(short)].lower() in starts):
                return short
    return None


def _can_be_empty(branch: str) -> bool:
    return bool(regex.fullmatch(r"(?:\\.|[^\\()|])[?*](?:\?)?", branch))


def suspects(pattern: str) -> Iterator[Suspect]:
    """The repeated groups of ``pattern`` that can match one text in several ways (nested quantifiers,
    overlapping alternatives). Groups are tracked with a stack; escapes and character classes are skipped."""
    stack: list[_Group] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            unbounded, i = _quantifier_at(pattern, i + 2)
            if unbounded and stack:
                stack[-1].quantified = True
            continue
        if ch == "[":
            i = _skip_class(pattern, i)
            unbounded, i = _quantifier_at(pattern, i)
            if unbounded and stack:
                stack[-1].quantified = True
            continue
        if ch == "(":
            atomic = pattern.startswith("(?>", i)
            body = i + 1
            if pattern.startswith("(?", i):  # (?:, (?>, (?P<name>, (?<name>, (?i) ...
                close = pattern.find(")", i) if pattern.startswith(("(?i)", "(?-i)"), i) else -1
                if close > 0:
                    i = close + 1
                    continue
                j = i + 2
                if pattern.startswith(("P<", "<", "'"), j) and not pattern.startswith(("<=", "<!"), j):
                    j = pattern.find(">" if pattern[j] != "'" else "'", j + 1) + 1
                elif j < n:
                    j += 1
                body = max(j, i + 1)
            stack.append(_Group(i, atomic, [], body))
            i = body
            continue
        if ch == "|" and stack:
            g = stack[-1]
            g.branches.append(pattern[g.branch_start : i])
            g.branch_start = i + 1
            i += 1
            continue
        if ch == ")" and stack:
            g = stack.pop()
            g.branches.append(pattern[g.branch_start : i])
            unbounded, end = _quantifier_at(pattern, i + 1)
            if unbounded and not g.atomic:
                text = pattern[g.start : end]
                if g.quantified:
                    inner = _first_text("".join(g.branches))
                    yield Suspect(pattern, text, "nested quantifier", inner)
                elif len(g.branches) > 1:
                    pump = _overlap(g.branches)
                    if pump is not None:
                        yield Suspect(pattern, text, "overlapping alternatives", pump)
            if stack and (unbounded or g.quantified):
                stack[-1].quantified = True
            i = end
            continue
        unbounded, end = _quantifier_at(pattern, i + 1)
        if unbounded and stack:
            stack[-1].quantified = True
        i = max(end, i + 1)


def probe(suspect: Suspect, ignore_case: bool = True) -> bool | None:
    """Run the pattern once on the literal text before the group, the pumped text and a character that fails
    the match; True when it does not finish within PROBE_TIMEOUT, None when the pattern does not compile."""
    prefix = _first_text(suspect.pattern[: suspect.pattern.find(suspect.group)])
    text = prefix + suspect.pump * PUMP + "\x00!"
    try:
        compiled = regex.compile(suspect.pattern, regex.V0 | (regex.IGNORECASE if ignore_case else 0))
    except (regex.error, ValueError, OverflowError, RecursionError):
        return None
    try:
        compiled.search(text, timeout=PROBE_TIMEOUT)
    except TimeoutError:
        return True
    return False


# -- where regexes are written ----------------------------------------------------------------------


def _regex_fields(obj: K8sObject) -> Iterator[tuple[str, str]]:
    """(field, pattern) of the regexes an object carries for a controller tracer simulates."""
    spec = obj.body.get("spec")
    if not isinstance(spec, dict):
        return
    if obj.kind == "Ingress":
        annotations = (obj.body.get("metadata") or {}).get("annotations") or {}
        if not any(a in annotations for a in REGEX_ANNOTATIONS):
            return
        for r, rule in enumerate(spec.get("rules") or []):
            http = rule.get("http") if isinstance(rule, dict) else None
            for p, path in enumerate((http or {}).get("paths") or [] if isinstance(http, dict) else []):
                if isinstance(path, dict) and isinstance(path.get("path"), str):
                    yield f"spec.rules[{r}].http.paths[{p}].path", path["path"]
        return
    # Gateway API (type RegularExpression + value), Istio StringMatch (regex), Traefik middlewares (regex).
    yield from _walk(spec, "spec")


def _walk(value: object, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        if value.get("type") == "RegularExpression" and isinstance(value.get("value"), str):
            yield f"{where}.value", value["value"]
        for k, v in value.items():
            if k == "regex" and isinstance(v, str):
                yield f"{where}.regex", v
            elif isinstance(v, dict | list):
                yield from _walk(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{where}[{i}]")


ROUTE_KINDS = frozenset({"Ingress", "HTTPRoute", "GRPCRoute", "VirtualService", "Middleware", "IngressRoute"})


def regex_warnings(objects: list[K8sObject]) -> list[LoadWarning]:
    """One warning per distinct risky regex (its first place; how many other places hold it), probed once."""
    found: dict[str, tuple[K8sObject, str, Suspect, int]] = {}
    bounded: set[str] = set()
    for obj in objects:
        if obj.kind not in ROUTE_KINDS:
            continue
        for where, pattern in _regex_fields(obj):
            if pattern in bounded:
                continue
            if pattern in found:
                first = found[pattern]
                found[pattern] = (first[0], first[1], first[2], first[3] + 1)
                continue
            suspect = next(suspects(pattern), None)
            if suspect is None:
                bounded.add(pattern)
            else:
                found[pattern] = (obj, where, suspect, 0)
    out: list[LoadWarning] = []
    for index, (obj, where, suspect, more) in enumerate(found.values()):
        if index == MAX_WARNINGS:
            rest = len(found) - MAX_WARNINGS
            out.append(LoadWarning(f"{WARNING_PREFIX}: {rest} more regex{'es' if rest != 1 else ''} of the same shapes"))
            break
        seen = probe(suspect) if index < MAX_PROBES else None
        verdict = (
            f"a probe on a {len(suspect.pump) * PUMP + 2}-character input did not finish within "
            f"{PROBE_TIMEOUT * 1000:.0f} ms" if seen else "the shape can backtrack exponentially"
        )
        also = f"; {more} more place{'s' if more != 1 else ''} use the same regex" if more else ""
        out.append(
            LoadWarning(
                f"{WARNING_PREFIX}: {obj.display()} has {suspect.shape} {suspect.group} in {suspect.pattern!r} "
                f"({verdict}); each trace through it may use its whole time budget. Make the alternatives exclusive "
                f"or drop the inner repetition{also}",
                file=obj.source.file,
                document=obj.source.document,
                line=obj.source.line,
                field=where,
            )
        )
    return out
