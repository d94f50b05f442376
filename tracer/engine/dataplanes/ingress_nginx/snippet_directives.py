"""The directives of a snippet that tracer applies, and nginx variables in their values (ingress-nginx#11.4).

A snippet is nginx configuration text copied into the generated configuration (ingress-nginx#11.3). It is
read here as nginx's configuration parser reads it (``ngx_conf_read_token``: words, quoted strings with
backslash escapes, ``;``, ``{ }`` blocks, ``#`` comments) and sorted into what one request can show:

- response headers: headers-more ``more_set_headers`` / ``more_clear_headers``, nginx ``add_header``
  (ingress-nginx#11.5);
- request headers: ``proxy_set_header``, headers-more ``more_set_input_headers`` /
  ``more_clear_input_headers`` (ingress-nginx#11.6);
- ``return`` (ingress-nginx#11.7).

Anything else, blocks such as ``if`` or ``location`` included, is kept as written so the controller hop can
list it as not simulated. A directive nginx would refuse (wrong arguments, bad syntax) is listed the same way
with the reason: nginx -t fails and the controller keeps its previous configuration.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# nginx add_header: only these statuses unless "always" (ngx_http_headers_filter_module).
ADD_HEADER_STATUSES = frozenset({200, 201, 204, 206, 301, 302, 303, 304, 307, 308})
# ngx_http_rewrite_module return: the codes whose second argument is a URL (Location).
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "t": "\t", "r": "\r", "n": "\n"}
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_TEXT_MAX = 160


@dataclass(frozen=True, slots=True)
class HeaderEdit:
    """One header of a header directive: set (value) or clear (value None)."""

    directive: str  # more_set_headers, more_clear_headers, add_header, proxy_set_header, more_*_input_headers
    name: str  # as written; a clear may end in "*" (every header with that prefix)
    value: str | None  # nginx value with variables; None clears
    text: str  # the directive as written, for the hop
    statuses: frozenset[int] = frozenset()  # headers-more -s (empty: any status)
    types: tuple[str, ...] = ()  # headers-more -t, lower-case media types (empty: any)
    append: bool = False  # more_set_headers -a
    always: bool = False  # add_header ... always
    replace_only: bool = False  # more_set_input_headers -r


@dataclass(frozen=True, slots=True)
class Return:
    code: int
    value: str | None  # the URL of a redirect code, else the body text (variables not yet expanded)
    text: str


@dataclass(frozen=True, slots=True)
class SnippetDirectives:
    """A snippet's directives by what they act on, in the order written."""

    response: tuple[HeaderEdit, ...] = ()  # more_set_headers / more_clear_headers
    add_headers: tuple[HeaderEdit, ...] = ()
    input_headers: tuple[HeaderEdit, ...] = ()
    proxy_headers: tuple[HeaderEdit, ...] = ()
    first_return: Return | None = None  # ends the rewrite phase: a later return never runs
    not_simulated: tuple[str, ...] = ()  # directives as written (with a reason when nginx refuses them)

    @property
    def empty(self) -> bool:
        return not (self.response or self.add_headers or self.input_headers or self.proxy_headers
                    or self.first_return or self.not_simulated)


NO_DIRECTIVES = SnippetDirectives()


@dataclass(slots=True)
class _Statement:
    words: list[str]
    text: str
    block: bool = False


class SnippetSyntaxError(ValueError):
    pass


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _TEXT_MAX else text[: _TEXT_MAX - 1] + "…"


def _word(text: str, i: int) -> tuple[str, int]:
    """An unquoted word from i: up to whitespace, ``;`` or a brace (``${name}`` stays in the word)."""
    out: list[str] = []
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace() or ch in ";}":
            break
        if ch == "{":
            if not out or out[-1] != "$":
                break
            end = text.find("}", i)
            if end < 0:
                raise SnippetSyntaxError('unbalanced "{" in a variable name')
            out.append(text[i : end + 1])
            i = end + 1
            continue
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out), i


def _quoted(text: str, i: int) -> tuple[str, int]:
    quote = text[i]
    out: list[str] = []
    i += 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        if ch == quote:
            i += 1
            if i < n and not (text[i].isspace() or text[i] in ";{}"):
                raise SnippetSyntaxError(f'unexpected "{text[i]}" after a quoted string')
            return "".join(out), i
        out.append(ch)
        i += 1
    raise SnippetSyntaxError("a quoted string is not closed")


def _statements(text: str) -> list[_Statement]:
    """Top-level statements of configuration text; a block is one statement (its body is not read)."""
    found: list[_Statement] = []
    words: list[str] = []
    start = None
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if start is None:
            start = i
        if ch == ";":
            if not words:
                raise SnippetSyntaxError('unexpected ";"')
            found.append(_Statement(words, _clip(text[start:i])))
            words, start, i = [], None, i + 1
            continue
        if ch == "{":
            if not words:
                raise SnippetSyntaxError('unexpected "{"')
            depth, j = 1, i + 1
            while j < n and depth:
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            if depth:
                raise SnippetSyntaxError('unexpected end of text, expecting "}"')
            found.append(_Statement(words, _clip(text[start:j]), block=True))
            words, start, i = [], None, j
            continue
        if ch == "}":
            raise SnippetSyntaxError('unexpected "}"')
        word, i = _quoted(text, i) if ch in "\"'" else _word(text, i)
        words.append(word)
    if words:
        raise SnippetSyntaxError('unexpected end of text, expecting ";" or "}"')
    return found


def _header_spec(spec: str) -> tuple[str, str | None]:
    """headers-more's ``Name: value``, ``Name:`` and ``Name``; the last two clear the header."""
    name, colon, value = spec.partition(":")
    value = value.strip()
    return name.strip(), (value if colon and value else None)


def _more_headers(st: _Statement, *, output: bool) -> tuple[list[HeaderEdit], str | None]:
    """more_set_headers / more_clear_headers (output) or the _input_ forms: options, then headers."""
    name, args = st.words[0], st.words[1:]
    clear = "clear" in name
    statuses: set[int] = set()
    types: list[str] = []
    append = replace_only = False
    specs: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in ("-s", "-t") and (output or arg == "-t"):
            if i + 1 >= len(args):
                return [], f"{arg} needs a value"
            for part in args[i + 1].split():
                if arg == "-t":
                    types.append(part.lower())
                elif part.isdigit():
                    statuses.add(int(part))
                else:
                    return [], f"-s takes status codes, not {part}"
            i += 2
            continue
        if arg == "-a" and output and not clear:
            append = True
        elif arg == "-r" and not output and not clear:
            replace_only = True
        else:
            specs.append(arg)
        i += 1
    if not specs:
        return [], "no header given"
    edits = []
    for spec in specs:
        header, value = (spec.strip().rstrip(":").strip(), None) if clear else _header_spec(spec)
        if not header:
            return [], f'header "{spec}" has no name'
        edits.append(HeaderEdit(name, header, value, st.text, frozenset(statuses), tuple(types), append,
                                replace_only=replace_only))
    return edits, None


def _return(st: _Statement) -> tuple[Return | None, str | None]:
    args = st.words[1:]
    if not 1 <= len(args) <= 2:
        return None, "return takes a code and an optional text or URL"
    first = args[0]
    if first.isdigit() and len(first) == 3:
        return Return(int(first), args[1] if len(args) == 2 else None, st.text), None
    if len(args) == 1 and first.startswith(("http://", "https://", "$scheme")):
        return Return(302, first, st.text), None  # "return URL": a temporary redirect
    return None, f"invalid return code {first}"


def parse_snippet(text: str) -> SnippetDirectives:
    """The directives of one snippet, sorted by what they act on (see the module docstring)."""
    try:
        statements = _statements(text)
    except SnippetSyntaxError as err:
        return SnippetDirectives(not_simulated=(f"{_clip(text)} (nginx refuses this snippet: {err})",))
    response: list[HeaderEdit] = []
    add: list[HeaderEdit] = []
    inputs: list[HeaderEdit] = []
    proxy: list[HeaderEdit] = []
    first_return: Return | None = None
    other: list[str] = []
    for st in statements:
        name = st.words[0]
        problem: str | None = None
        if st.block:
            other.append(st.text)
            continue
        if name in ("more_set_headers", "more_clear_headers"):
            edits, problem = _more_headers(st, output=True)
            response.extend(edits)
        elif name in ("more_set_input_headers", "more_clear_input_headers"):
            edits, problem = _more_headers(st, output=False)
            inputs.extend(edits)
        elif name == "add_header":
            args = st.words[1:]
            if len(args) == 2 or (len(args) == 3 and args[2] == "always"):
                add.append(HeaderEdit(name, args[0], args[1], st.text, always=len(args) == 3))
            else:
                problem = 'add_header takes a name, a value and optionally "always"'
        elif name == "proxy_set_header":
            if len(st.words) == 3:
                proxy.append(HeaderEdit(name, st.words[1], st.words[2], st.text))
            else:
                problem = "proxy_set_header takes a name and a value"
        elif name == "return":
            ret, problem = _return(st)
            if ret is not None and first_return is None:
                first_return = ret
            elif ret is not None:
                other.append(f"{st.text} (never runs: an earlier return ends the rewrite phase)")
        else:
            other.append(st.text)
        if problem is not None:
            other.append(f"{st.text} (nginx refuses it: {problem})")
    return SnippetDirectives(tuple(response), tuple(add), tuple(inputs), tuple(proxy), first_return, tuple(other))


def expand(value: str, lookup: Callable[[str], str | None]) -> tuple[str, list[str]]:
    """nginx variable expansion: ``$name`` and ``${name}`` replaced by ``lookup``; a variable it does not
    know stays as written and is returned in the second item."""
    unknown: list[str] = []

    def one(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        found = lookup(name)
        if found is None:
            unknown.append("$" + name)
            return m.group(0)
        return found

    return _VARIABLE.sub(one, value), unknown


def media_type(content_type: str | None) -> str | None:
    """The media type headers-more's -t compares with: the Content-Type before any parameter, lower-case."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


__all__ = [
    "ADD_HEADER_STATUSES",
    "NO_DIRECTIVES",
    "REDIRECT_CODES",
    "HeaderEdit",
    "Return",
    "SnippetDirectives",
    "expand",
    "media_type",
    "parse_snippet",
]
