"""User-supplied regexes evaluated in the controller's flavour, with a time bound.

nginx and its Lua modules use PCRE; the third-party ``regex`` module is close enough to PCRE
(possessive quantifiers, atomic groups, ``(?<name>...)``) and, unlike Python's ``re``, can be
stopped after a timeout. A pathological pattern therefore yields a :class:`RegexProblem` instead
of hanging the trace. Python's ``re`` is never used on user patterns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from time import monotonic

import regex

from .budget import SLOW_EVALUATION, Budget, BudgetExceeded, active

DEFAULT_TIMEOUT = 0.05  # seconds; far above any sane pattern, far below a user-visible hang


@dataclass(frozen=True, slots=True)
class RegexProblem:
    """A pattern that could not be compiled (REGEX_INVALID) or did not finish in time (REGEX_TIMEOUT)."""

    pattern: str
    code: str
    message: str

    def __bool__(self) -> bool:  # a problem is never a match
        return False


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    source: str
    ignore_case: bool
    compiled: regex.Pattern

    def search(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> regex.Match | RegexProblem | None:
        return self._run(self.compiled.search, text, timeout)

    def match(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> regex.Match | RegexProblem | None:
        return self._run(self.compiled.match, text, timeout)

    def fullmatch(self, text: str, timeout: float = DEFAULT_TIMEOUT) -> regex.Match | RegexProblem | None:
        """Anchored at both ends (Gateway API RegularExpression matches)."""
        return self._run(self.compiled.fullmatch, text, timeout)

    def _run(self, run: Callable[..., regex.Match | None], text: str, timeout: float) -> regex.Match | RegexProblem | None:
        """One evaluation within the trace's budget when one is running, else within ``timeout``."""
        budget = active()
        if budget is not None:
            return _budgeted(budget, run, self.source, text, timeout)
        try:
            return run(text, timeout=timeout)
        except TimeoutError:
            return _timeout(self.source, text, timeout)


def _budgeted(
    budget: Budget, run: Callable[..., regex.Match | None], source: str, text: str, timeout: float
) -> regex.Match | RegexProblem | None:
    """One evaluation under the trace's budget (tracer.engine.budget): refused once the deadline has passed, its
    timeout capped at what is left, and timed so that the rule that used the budget up can be named."""
    start = monotonic()
    left = budget.deadline - start
    if left <= 0:
        budget.exceeded = True
        raise BudgetExceeded(budget)
    try:
        found = run(text, timeout=min(timeout, left))
    except TimeoutError:
        end = monotonic()
        budget.note(source, end - start)
        if end >= budget.deadline:
            budget.exceeded = True
            raise BudgetExceeded(budget) from None
        return _timeout(source, text, timeout)
    spent = monotonic() - start
    if spent >= SLOW_EVALUATION:
        budget.note(source, spent)
    return found


def _timeout(pattern: str, text: str, timeout: float) -> RegexProblem:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return RegexProblem(
        pattern,
        "REGEX_TIMEOUT",
        f"regex {pattern!r} did not finish within {timeout * 1000:.0f} ms on {shown!r} "
        "(catastrophic backtracking); PCRE in nginx would hit its backtracking limit and treat it as no match",
    )


def _to_python_flavour(pattern: str) -> str:
    """Translate PCRE-only named-group spellings: ``(?'name'...)`` -> ``(?P<name>...)``."""
    if "(?'" not in pattern:
        return pattern
    return regex.sub(r"\(\?'([A-Za-z_][A-Za-z0-9_]*)'", r"(?P<\1>", pattern)


@lru_cache(maxsize=16384)
def compile_pcre(pattern: str, *, ignore_case: bool) -> CompiledPattern | RegexProblem:
    """Compile a PCRE-flavoured pattern once (cached); invalid patterns give REGEX_INVALID."""
    try:
        flags = regex.V0 | (regex.IGNORECASE if ignore_case else 0)
        return CompiledPattern(pattern, ignore_case, regex.compile(_to_python_flavour(pattern), flags))
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        return RegexProblem(pattern, "REGEX_INVALID", f"regex {pattern!r} does not compile: {exc}")


def _compiled(pattern: CompiledPattern | str, ignore_case: bool) -> CompiledPattern | RegexProblem:
    return pattern if isinstance(pattern, CompiledPattern) else compile_pcre(pattern, ignore_case=ignore_case)


def search(
    pattern: CompiledPattern | str, text: str, timeout: float = DEFAULT_TIMEOUT, *, ignore_case: bool = False
) -> regex.Match | RegexProblem | None:
    """Unanchored search; a RegexProblem when the pattern is invalid or too slow."""
    compiled = _compiled(pattern, ignore_case)
    if isinstance(compiled, RegexProblem):
        return compiled
    return compiled.search(text, timeout)


def match(
    pattern: CompiledPattern | str, text: str, timeout: float = DEFAULT_TIMEOUT, *, ignore_case: bool = False
) -> regex.Match | RegexProblem | None:
    """Match anchored at the start of ``text``."""
    compiled = _compiled(pattern, ignore_case)
    if isinstance(compiled, RegexProblem):
        return compiled
    return compiled.match(text, timeout)
