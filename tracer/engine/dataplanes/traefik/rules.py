"""Traefik's router rule language (traefik#T7): ``Host(`a`) && (PathPrefix(`/x`) || !Method(`GET`))``.

A rule is parsed once into a matcher tree of closures. Both syntaxes are read: v3 (one value per matcher,
``Header``, ``Query(k, v)``, regexps in Go syntax) and v2 (several values per matcher, ``Headers``,
``HostHeader``, gorilla/mux ``{name:regexp}`` templates in ``Host``, ``Path`` and ``PathPrefix``). Priority is the
rule's length as written (traefik#T8), which :func:`rule_priority` computes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .matchers import V2_FUNCS, V3_ARITY, Matcher, RuleError, RuleRequest, gorilla_pattern, v2_matcher, v3_matcher
from .workload import Version

_TOKEN = re.compile(r"\s*(?:(&&|\|\||!|\(|\)|,)|([A-Za-z_][A-Za-z0-9_]*)|(`[^`]*`)|(\"(?:[^\"\\]|\\.)*\"))")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a", "b": "\b", "f": "\f",
            "v": "\v"}


@dataclass(slots=True)
class Rule:
    text: str
    syntax: str
    match: Matcher
    hosts: frozenset[str] | None  # the exact hosts a request must have to match; None: any host can
    paths: list[tuple[str, str]] = field(default_factory=list)  # (matcher, value) of the path matchers


def rule_priority(text: str) -> int:
    """A router's default priority: the length of its rule as written, in bytes (traefik#T8)."""
    return len(text.encode())


def parse_rule(text: str, syntax: str, version: Version) -> Rule:
    tokens = _tokens(text)
    parser = _Parser(tokens, syntax, version)
    match, hosts = parser.expr()
    if parser.pos != len(tokens):
        raise RuleError(f"unexpected {tokens[parser.pos][1]!r} in rule")
    return Rule(text, syntax, match, hosts, parser.paths)


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise RuleError(f"cannot read the rule from {text[pos:pos + 12]!r}")
        op, ident, raw, quoted = m.groups()
        if op:
            out.append(("op", op))
        elif ident:
            out.append(("ident", ident))
        elif raw:
            out.append(("str", raw[1:-1]))
        else:
            out.append(("str", _unquote(quoted)))
        pos = m.end()
    if not out:
        raise RuleError("empty rule")
    return out


def _unquote(quoted: str) -> str:
    body, out, i = quoted[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], syntax: str, version: Version) -> None:
        self.tokens = tokens
        self.pos = 0
        self.syntax = syntax
        self.version = version
        self.paths: list[tuple[str, str]] = []

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, value: str) -> bool:
        tok = self._peek()
        if tok is not None and tok == ("op", value):
            self.pos += 1
            return True
        return False

    def expr(self) -> tuple[Matcher, frozenset[str] | None]:
        left, hosts = self._and()
        while self._take("||"):
            right, rhosts = self._and()
            left = _or(left, right)
            hosts = hosts | rhosts if hosts is not None and rhosts is not None else None
        return left, hosts

    def _and(self) -> tuple[Matcher, frozenset[str] | None]:
        left, hosts = self._unary()
        while self._take("&&"):
            right, rhosts = self._unary()
            left = _and(left, right)
            hosts = hosts if hosts is not None else rhosts
        return left, hosts

    def _unary(self) -> tuple[Matcher, frozenset[str] | None]:
        if self._take("!"):
            inner, _ = self._unary()
            return (lambda r: not inner(r)), None
        if self._take("("):
            inner, hosts = self.expr()
            if not self._take(")"):
                raise RuleError("missing closing parenthesis")
            return inner, hosts
        tok = self._peek()
        if tok is None or tok[0] != "ident":
            raise RuleError("expected a matcher such as Host or PathPrefix")
        self.pos += 1
        name = tok[1]
        if not self._take("("):
            raise RuleError(f"{name} must be followed by its values in parentheses")
        args: list[str] = []
        while not self._take(")"):
            if args and not self._take(","):
                raise RuleError(f"values of {name} must be separated by commas")
            arg = self._peek()
            if arg is None or arg[0] != "str":
                raise RuleError(f"{name} takes quoted values (backticks or double quotes)")
            args.append(arg[1])
            self.pos += 1
        return self._matcher(name, args)

    def _matcher(self, name: str, args: list[str]) -> tuple[Matcher, frozenset[str] | None]:
        if self.syntax == "v2":
            if name not in V2_FUNCS:
                raise RuleError(f"{name} is not a matcher of the v2 rule syntax")
            if not args:
                raise RuleError(f"{name} needs at least one value")
            return v2_matcher(name, args, self.paths)
        arity = V3_ARITY.get(name)
        if arity is None:
            raise RuleError(f"{name} is not a matcher of the v3 rule syntax")
        if len(args) not in arity:
            raise RuleError(f"{name} takes {' or '.join(str(a) for a in arity)} value(s), got {len(args)}")
        return v3_matcher(name, args, self.version, self.paths)


def _or(a: Matcher, b: Matcher) -> Matcher:
    return lambda r: a(r) or b(r)


def _and(a: Matcher, b: Matcher) -> Matcher:
    return lambda r: a(r) and b(r)


__all__ = ["Rule", "RuleError", "RuleRequest", "gorilla_pattern", "parse_rule", "rule_priority"]
