"""tracer.engine.regexes: PCRE-flavoured, cached, time-bounded."""

import time

from tracer.engine.regexes import CompiledPattern, RegexProblem, compile_pcre, match, search


def test_compile_is_cached_and_case_insensitive_on_request():
    a = compile_pcre("^/API", ignore_case=True)
    assert a is compile_pcre("^/API", ignore_case=True)
    assert isinstance(a, CompiledPattern)
    assert a.search("/api/v1")
    assert not search("^/API", "/api/v1")


def test_pcre_named_groups_both_spellings():
    m = search(r"^(?<sub>[\w-]+)\.example\.com$", "shop.example.com")
    assert m and m.group("sub") == "shop"
    m = search(r"^(?'sub'[a-z]+)$", "shop")
    assert m and m.group("sub") == "shop"


def test_invalid_pattern_is_a_problem_not_an_exception():
    problem = compile_pcre("/foo(", ignore_case=False)
    assert isinstance(problem, RegexProblem)
    assert problem.code == "REGEX_INVALID"
    assert not problem


def test_catastrophic_backtracking_times_out():
    start = time.monotonic()
    result = search(r"(a|aa)+$", "a" * 60 + "b", timeout=0.05)
    assert isinstance(result, RegexProblem)
    assert result.code == "REGEX_TIMEOUT"
    assert time.monotonic() - start < 1.0


def test_match_is_anchored_search_is_not():
    assert match("foo", "xfoo") is None
    assert search("foo", "xfoo")
