"""Traefik 1.7's route rules, ``Type:value[,value];Type:value`` (traefik#T37, #T38, #T39).

The Kubernetes provider writes a path route (``PathPrefixStrip:/k8s``, with ``ReplacePathRegex``/``AddPrefix``
modifiers from rewrite-target and request-modifier after ``;``) and a host route (``Host:a.com``, or
``HostRegexp:{subdomain:[A-Za-z0-9-_]+}.a.com`` for a wildcard). Matchers decide whether the frontend matches;
modifiers change the path afterwards, in a fixed order (traefik#T39). Source: traefik/traefik@v1.7
``rules/rules.go``, ``server/server_configuration.go`` (buildMatcherMiddlewares).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..gotext import GoRegexError, compile_regex, search
from ..rules import RuleError, RuleRequest, gorilla_pattern

Matcher = Callable[[RuleRequest], bool]
MATCHERS = ("Host", "HostRegexp", "Path", "PathStrip", "PathPrefix", "PathPrefixStrip")
MODIFIERS = ("AddPrefix", "ReplacePath", "ReplacePathRegex")


@dataclass(slots=True)
class V1Rule:
    """The matchers and modifiers of one frontend (all its routes together)."""

    texts: list[str] = field(default_factory=list)
    matchers: list[Matcher] = field(default_factory=list)
    host: str | None = None  # the exact host a Host route requires
    paths: list[tuple[str, str]] = field(default_factory=list)
    strip: list[str] = field(default_factory=list)  # PathStrip / PathPrefixStrip prefixes, longest first
    add_prefix: str = ""
    replace_path: str = ""
    replace_path_regex: str = ""

    def matches(self, r: RuleRequest) -> bool:
        return all(m(r) for m in self.matchers)

    @property
    def priority(self) -> int:
        """The sum of the lengths of the frontend's route rules (traefik#T40)."""
        return sum(len(t.encode()) for t in self.texts)


def add_route(rule: V1Rule, text: str) -> None:
    """Parse one route rule into ``rule``; raises RuleError for what Traefik 1.7 refuses."""
    if not text:
        raise RuleError("empty rule")
    rule.texts.append(text)
    for part in (p for p in text.split(";") if p.strip()):
        name, _, rest = part.partition(":")
        name = name.strip()
        args = [a.strip() for a in rest.split(",") if a.strip()]
        if not args:
            raise RuleError(f"error parsing args from rule: {part!r}")
        if name in ("Host", "HostRegexp"):
            _host(rule, name, args)
        elif name in ("Path", "PathStrip", "PathPrefix", "PathPrefixStrip"):
            _path(rule, name, args)
        elif name == "AddPrefix":
            rule.add_prefix = args[-1]
        elif name == "ReplacePath":
            rule.replace_path = args[-1]
        elif name == "ReplacePathRegex":
            rule.replace_path_regex = args[-1]
        else:
            raise RuleError(f"unknown function {name!r}")


def _host(rule: V1Rule, name: str, args: list[str]) -> None:
    if name == "Host":
        hosts = {a.lower() for a in args}
        rule.matchers.append(lambda r: r.host in hosts)
        rule.host = next(iter(hosts)) if len(hosts) == 1 else None
        return
    try:
        patterns = [compile_regex(f"^{gorilla_pattern(a, '[^.]+')}$", ignore_case=True) for a in args]
    except GoRegexError as exc:
        raise RuleError(str(exc)) from exc
    rule.matchers.append(lambda r: any(search(p, r.host) for p in patterns))


def _path(rule: V1Rule, name: str, args: list[str]) -> None:
    prefix = name.startswith("PathPrefix")
    tests = [_path_test(a, prefix) for a in args]
    rule.matchers.append(lambda r: any(t(r.path) for t in tests))
    rule.paths.extend((name, a) for a in args)
    if name.endswith("Strip"):
        rule.strip = sorted(args, key=len, reverse=True)


def _path_test(value: str, prefix: bool) -> Callable[[str], bool]:
    if "{" not in value:
        # 1.7's own prefix matcher is a plain string prefix; Path is gorilla/mux's exact match.
        return (lambda p: p.startswith(value)) if prefix else (lambda p: p == value)
    try:
        pattern = compile_regex("^" + gorilla_pattern(value, "[^/]+") + ("" if prefix else "$"))
    except GoRegexError as exc:
        raise RuleError(str(exc)) from exc
    return lambda p: search(pattern, p)


__all__ = ["MATCHERS", "MODIFIERS", "V1Rule", "add_route"]
