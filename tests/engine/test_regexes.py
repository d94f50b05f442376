"""tracer.engine.regexes: PCRE-flavoured, cached, time-bounded."""

import pytest

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


@pytest.mark.timeout(10)  # only a guard against a hang: the property is the problem reported below
def test_catastrophic_backtracking_times_out():
    # (a|aa)+$ against a run of a's and a b backtracks through Fibonacci(60) splits: it cannot finish.
    text = "a" * 60 + "b"
    result = search(r"(a|aa)+$", text, timeout=0.05)
    assert isinstance(result, RegexProblem)
    assert (result.pattern, result.code) == ("(a|aa)+$", "REGEX_TIMEOUT")
    assert "did not finish within 50 ms" in result.message and repr(text[:57] + "...") in result.message
    assert not result  # a timed-out pattern never counts as a match


def test_timeout_is_reported_for_compiled_patterns_and_match_too():
    compiled = compile_pcre(r"(a|aa)+$", ignore_case=False)
    assert isinstance(compiled, CompiledPattern)
    for result in (compiled.search("a" * 60 + "b", timeout=0.01), match(compiled, "a" * 60 + "b", timeout=0.01)):
        assert isinstance(result, RegexProblem)
        assert result.code == "REGEX_TIMEOUT" and "within 10 ms" in result.message


def test_match_is_anchored_search_is_not():
    assert match("foo", "xfoo") is None
    assert search("foo", "xfoo")
