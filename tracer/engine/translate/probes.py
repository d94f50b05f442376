"""Probe requests for a migration check, generated from the routes ingress-nginx serves (Engine.routes()).

For each host and path: the path itself, a sub-path, the path with and without a trailing slash, an upper-cased
variant, a string a regex path matches, and the URL-normalisation variants nginx folds before matching (a doubled
slash, a dot segment; ingress-nginx#3.5). The label says what each probe tries; the verification never reads it.
"""

from __future__ import annotations

import re
import re._parser as sre_parse  # type: ignore[import-not-found]  # the stdlib's own regex parser: walk a path regex to write a string it matches
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..regexes import CompiledPattern, compile_pcre

MAX_PROBES = 400
_CATEGORY_SAMPLES = {"category_digit": "0", "category_word": "a", "category_space": " ", "category_not_digit": "a",
                     "category_not_word": "-", "category_not_space": "a"}


@dataclass(frozen=True, slots=True)
class Probe:
    url: str
    label: str

    def request(self) -> dict[str, Any]:
        return {"method": "GET", "url": self.url}


class _Unsupported(Exception):
    pass


def _sample(items: Any) -> str:
    out = []
    for op, arg in items:
        name = str(op).lower()  # the parser's opcode names, compared in lower case
        if name == "literal":
            out.append(chr(arg))
        elif name == "any":
            out.append("a")
        elif name == "in":
            out.append(_in_sample(arg))
        elif name in ("max_repeat", "min_repeat", "possessive_repeat"):
            low, _high, sub = arg
            out.append(_sample(sub) * max(low, 0))
        elif name == "subpattern":
            out.append(_sample(arg[-1]))
        elif name == "atomic_group":
            out.append(_sample(arg))
        elif name == "branch":
            out.append(_sample(arg[1][0]))
        elif name == "at":
            continue
        elif name == "category":
            out.append(_CATEGORY_SAMPLES.get(str(arg).lower(), "a"))
        else:
            raise _Unsupported(name)
    return "".join(out)


def _in_sample(items: Any) -> str:
    if items and str(items[0][0]).lower() == "negate":
        raise _Unsupported("negate")
    op, arg = items[0]
    name = str(op).lower()  # the parser's opcode names, compared in lower case
    if name == "literal":
        return chr(arg)
    if name == "range":
        return chr(arg[0])
    if name == "category":
        return _CATEGORY_SAMPLES.get(str(arg).lower(), "a")
    raise _Unsupported(name)


def regex_sample(pattern: str) -> str | None:
    """A path the regex matches from its start (as nginx's ``~* ^pattern``), or None when none is found."""
    try:
        text = _sample(sre_parse.parse(pattern))
    except (_Unsupported, re.error, RecursionError, ValueError, OverflowError):
        return None
    compiled = compile_pcre(pattern, ignore_case=False)
    if not text.startswith("/") or not isinstance(compiled, CompiledPattern) or not compiled.match(text):
        return None
    return text


def _variants(path: str, regex: bool) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    base = path
    if regex:
        sample = regex_sample(path)
        if sample is None:
            return out
        out.append((sample, f"a string regex {path} matches"))
        base = sample
    else:
        out.append((path, "the path itself"))
    stem = base.rstrip("/") or "/"
    out.append(((stem if stem != "/" else "") + "/sub", "a sub-path"))
    if base != "/":
        out.append((stem if base.endswith("/") else base + "/",
                    "without its trailing slash" if base.endswith("/") else "with a trailing slash"))
    upper = base.upper()
    if upper != base:
        out.append((upper, "upper-cased"))
    if base != "/":
        out.append(("/" + base, "with a doubled leading slash (URL normalisation)"))
        out.append(("/." + base, "with a dot segment (URL normalisation)"))
    return out


def probes_from_routes(rows: list[dict[str, Any]]) -> list[Probe]:
    """Probes for every ingress-nginx route row (host, path, match), deduplicated, at most MAX_PROBES."""
    found: dict[str, Probe] = {}
    for row in rows:
        if row.get("controller") != "ingress-nginx" or not row.get("sample_url") or row.get("default_backend"):
            continue
        parts = urlsplit(str(row["sample_url"]))
        path = str(row.get("path") or "/")
        regex = row.get("match") == "regex" and any(c in path for c in "^$*+?()[]{}|\\")
        owner = row.get("ingress") or {}
        where = f"{row.get('match')} {path} (Ingress {owner.get('namespace')}/{owner.get('name')})"
        for probe_path, words in _variants(path, regex):
            url = f"{parts.scheme}://{parts.netloc}{probe_path}"
            found.setdefault(url, Probe(url, f"{words} of {where}"))
            if len(found) >= MAX_PROBES:
                return list(found.values())
    return list(found.values())
