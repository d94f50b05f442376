"""Go standard-library behaviour Traefik inherits, written once: regexps (RE2, evaluated here with the engine's
time-bounded regex module), ``Regexp.ReplaceAllString`` templates, ``path.Clean``, and the redirect statuses of
Traefik's redirect handler (traefik#T24)."""

from __future__ import annotations

import re

from ...regexes import CompiledPattern, RegexProblem, compile_pcre

_GROUP = re.compile(r"\$(?:\{([A-Za-z0-9_]*)\}|([A-Za-z0-9_]+)|(\$))")


class GoRegexError(ValueError):
    """A pattern Go's regexp package would refuse to compile."""


def compile_regex(pattern: str, *, ignore_case: bool = False) -> CompiledPattern:
    compiled = compile_pcre(pattern, ignore_case=ignore_case)
    if isinstance(compiled, RegexProblem):
        raise GoRegexError(compiled.message)
    return compiled


def search(pattern: CompiledPattern, text: str) -> bool:
    """Go's ``MatchString``: anywhere in the text; a pattern that runs out of time is no match."""
    found = pattern.search(text)
    return bool(found) and not isinstance(found, RegexProblem)


def go_expand(template: str, match: object) -> str:
    """``$1``, ``${1}``, ``$name``, ``${name}`` and ``$$`` as Go expands them; ``$1x`` means the group named
    ``1x`` (empty when there is none), as in Go."""

    def group(m: re.Match[str]) -> str:
        if m.group(3):
            return "$"
        name = m.group(1) if m.group(1) is not None else m.group(2)
        try:
            value = match.group(int(name) if name.isdigit() else name)  # type: ignore[attr-defined]
        except (IndexError, KeyError, ValueError, TypeError):
            return ""
        return value or ""

    return _GROUP.sub(group, template)


def go_clean(path: str) -> str:
    """Go's ``path.Clean`` as ``URL.JoinPath`` applies it: duplicate slashes and dot segments removed, a trailing
    slash kept."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = ("/" if rooted else "") + "/".join(parts)
    if not cleaned:
        cleaned = "/" if rooted else "."
    if path.endswith("/") and not cleaned.endswith("/"):
        cleaned += "/"
    return cleaned


def redirect_status(method: str, permanent: bool) -> int:
    """Traefik's redirect handler: GET gets 302 (301 when permanent), any other method 307 (308), traefik#T24."""
    if permanent:
        return 301 if method == "GET" else 308
    return 302 if method == "GET" else 307


__all__ = ["GoRegexError", "compile_regex", "go_clean", "go_expand", "redirect_status", "search"]
