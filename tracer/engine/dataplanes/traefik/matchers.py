"""The matchers of Traefik's rule language (traefik#T7): each builds a closure over the request view, and says
which exact hosts it requires (for the router index). v3 matchers take one value; v2 ones several, with
gorilla/mux templates. Sources: traefik/traefik ``pkg/muxer/http/matcher.go`` (v3) and ``mux.go`` (v2.11)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from .gotext import GoRegexError, compile_regex, search
from .workload import Version

Matcher = Callable[["RuleRequest"], bool]
V3_ARITY = {"ClientIP": (1,), "Method": (1,), "Host": (1,), "HostRegexp": (1,), "Path": (1,), "PathRegexp": (1,),
            "PathPrefix": (1,), "Header": (2,), "HeaderRegexp": (2,), "Query": (1, 2), "QueryRegexp": (1, 2)}
V2_FUNCS = frozenset({"Host", "HostHeader", "HostRegexp", "ClientIP", "Path", "PathPrefix", "Method", "Headers",
                      "HeadersRegexp", "Query"})


class RuleError(ValueError):
    """A rule Traefik refuses: the router is not created (traefik#T7)."""


@dataclass(slots=True)
class RuleRequest:
    """What rules look at, computed once per request."""

    host: str  # lower-case, without port
    path: str
    method: str
    headers: dict[str, list[str]]  # lower-case names
    query: dict[str, list[str]]
    client_ip: str


def _searcher(pattern: str, *, ignore_case: bool = False) -> Callable[[str], bool]:
    try:
        compiled = compile_regex(pattern, ignore_case=ignore_case)
    except GoRegexError as exc:
        raise RuleError(str(exc)) from exc
    return lambda text: search(compiled, text)


def _host_equal(host: str) -> Matcher:
    host = host.lower()
    bare = host.rstrip(".")
    return lambda r: r.host == host or (bool(r.host) and r.host.rstrip(".") == bare)


def _check_ascii(name: str, value: str) -> None:
    if not value.isascii():
        raise RuleError(f"{name} value {value!r} has non-ASCII characters, which Traefik refuses")


def v3_matcher(name: str, args: list[str], version: Version, paths: list[tuple[str, str]]) -> tuple[Matcher, frozenset[str] | None]:
    value = args[0]
    if name == "Host":
        _check_ascii(name, value)
        if version >= (3, 7, 0) and value == "*":
            return (lambda r: True), None
        if version >= (3, 7, 0) and value.startswith("*."):
            parent = value[2:].lower()
            return (lambda r: r.host.partition(".")[2] == parent and bool(r.host.partition(".")[0])), None
        return _host_equal(value), frozenset({value.lower().rstrip(".")})
    if name == "HostRegexp":
        _check_ascii(name, value)
        search = _searcher(value)
        return (lambda r: search(r.host)), None
    if name in ("Path", "PathPrefix", "PathRegexp"):
        paths.append((name, value))
        if name == "PathRegexp":
            search = _searcher(value)
            return (lambda r: search(r.path)), None
        if not value.startswith("/"):
            raise RuleError(f"{name} value {value!r} does not start with /")
        if name == "Path":
            return (lambda r: r.path == value), None
        return (lambda r: r.path.startswith(value)), None
    if name in ("Header", "HeaderRegexp"):
        key = args[0].lower()
        if name == "Header":
            want = args[1]
            return (lambda r: want in r.headers.get(key, ())), None
        search = _searcher(args[1])
        return (lambda r: any(search(v) for v in r.headers.get(key, ()))), None
    if name in ("Query", "QueryRegexp"):
        key, want = args[0], args[1] if len(args) == 2 else ""
        if name == "Query" or len(args) == 1:
            return (lambda r: want in r.query.get(key, ())), None
        search = _searcher(want)
        return (lambda r: any(search(v) for v in r.query.get(key, ()))), None
    if name == "Method":
        method = value.upper()
        return (lambda r: r.method == method), None
    return _client_ip(args), None


def _client_ip(args: list[str]) -> Matcher:
    nets = []
    for a in args:
        try:
            nets.append(ipaddress.ip_network(a.strip(), strict=False))
        except ValueError as exc:
            raise RuleError(f"ClientIP value {a!r} is not an IP address or range") from exc

    def match(r: RuleRequest) -> bool:
        try:
            ip = ipaddress.ip_address(r.client_ip)
        except ValueError:
            return False
        return any(ip in n for n in nets)

    return match


def gorilla_pattern(template: str, default: str) -> str:
    """A gorilla/mux template (``/api/{id:[0-9]+}``, ``{sub:[a-z]+}.example.com``) as a regex body."""
    out, i, depth, start, literal_from = [], 0, 0, 0, 0
    while i < len(template):
        c = template[i]
        if c == "{":
            if depth == 0:
                out.append(re.escape(template[literal_from:i]))
                start = i
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                raise RuleError(f"unbalanced braces in {template!r}")
            if depth == 0:
                _, colon, pattern = template[start + 1 : i].partition(":")
                out.append(f"(?:{pattern if colon else default})")
                literal_from = i + 1
        i += 1
    if depth:
        raise RuleError(f"unbalanced braces in {template!r}")
    out.append(re.escape(template[literal_from:]))
    return "".join(out)


def v2_matcher(name: str, args: list[str], paths: list[tuple[str, str]]) -> tuple[Matcher, frozenset[str] | None]:
    if name in ("Host", "HostHeader"):
        for a in args:
            _check_ascii(name, a)
        hosts = [_host_equal(a) for a in args]
        return (lambda r: any(h(r) for h in hosts)), frozenset(a.lower().rstrip(".") for a in args)
    if name == "HostRegexp":
        host_tests = [_searcher(f"^{gorilla_pattern(a, '[^.]+')}$", ignore_case=True) for a in args]
        return (lambda r: any(t(r.host) for t in host_tests)), None
    if name in ("Path", "PathPrefix"):
        paths.extend((name, a) for a in args)
        tests = [_v2_path(name, a) for a in args]
        return (lambda r: any(t(r.path) for t in tests)), None
    if name == "Method":
        methods = {a.upper() for a in args}
        return (lambda r: r.method in methods), None
    if name in ("Headers", "HeadersRegexp"):
        if len(args) % 2:
            raise RuleError(f"{name} takes name and value pairs")
        pairs = [(args[i].lower(), args[i + 1]) for i in range(0, len(args), 2)]
        if name == "Headers":
            return (lambda r: all(v in r.headers.get(k, ()) for k, v in pairs)), None
        by_name = [(k, _searcher(v)) for k, v in pairs]
        return (lambda r: all(any(s(v) for v in r.headers.get(k, ())) for k, s in by_name)), None
    if name == "Query":
        wanted = [a.partition("=") for a in args]
        return (lambda r: all(v in r.query.get(k, ()) for k, _, v in wanted)), None
    return _client_ip(args), None


def _v2_path(name: str, template: str) -> Callable[[str], bool]:
    if "{" not in template:
        if name == "Path":
            return lambda p: p == template
        return lambda p: p.startswith(template)
    body = gorilla_pattern(template, "[^/]+")
    return _searcher(f"^{body}$" if name == "Path" else f"^{body}")


__all__ = ["V2_FUNCS", "V3_ARITY", "Matcher", "RuleError", "RuleRequest", "gorilla_pattern", "v2_matcher",
           "v3_matcher"]
