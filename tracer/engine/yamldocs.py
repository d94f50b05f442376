"""A manifest stream split into YAML documents by its marker lines, with offsets and lines.

Scanning for ``---``/``...`` marker lines finds each document's text and provenance line without
composing anything in Python; the parser's values are attached to these documents afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_MARKER = re.compile(r"\n(---|\.\.\.)(?=[ \t\r\n]|\Z)")


@dataclass(slots=True)
class Document:
    """One YAML document of a stream: where its text is and, once parsed, its value."""

    index: int
    start: int  # offset where the document's text begins (its --- marker, or first content line)
    content: int  # offset of the line holding the document's first node (== start when empty)
    end: int = 0
    start_line: int = 1
    line: int = 1  # 1-based line of `content`: the provenance line of the object
    value: Any = None
    exact_checked: bool = False  # vetted with libyaml events (anchors, or nesting that could crash yaml-rs)
    has_merge_keys: bool = False


@dataclass(slots=True)
class ParsedText:
    """A parsed manifest file: its text, display name and documents."""

    file: str
    text: str
    documents: list[Document] = field(default_factory=list)

    def first_char(self, doc: Document) -> str:
        """First significant character of a document (``[`` marks a JSON array)."""
        text = self.text
        i = doc.content
        if text.startswith("---", i):
            i += 3
        n = min(doc.end, len(text))
        while i < n and text[i] in " \t\r\n":
            i += 1
        return text[i] if i < n else ""

    def item_lines(self, doc: Document, count: int, in_key: bool) -> list[int] | None:
        """Best-effort start line of each item of a List (``in_key``) or top-level array.

        Items of one sequence all start at the same indentation with the same marker (``- `` in
        YAML, ``{`` in pretty-printed JSON), and anything nested inside them is indented further,
        so counting lines with exactly that prefix finds them. If the count does not match
        (flow style, minified JSON, unusual layout) the caller falls back to the document line.
        """
        text = self.text
        end = min(doc.end, len(text))
        pos = doc.content
        if in_key:
            if text.startswith("items:", pos):
                k = pos
            else:
                k = text.find('"items"', pos, end) if text[pos] in "{[" else text.find("\nitems:", pos, end)
            if k < 0:
                return None
            pos = text.find(":", k, end) + 1
        elif text.startswith("---", pos):
            pos += 3
        # The first item: skip to the first character of the sequence's first entry.
        while pos < end and text[pos] in " \t\r\n:":
            pos += 1
        if pos < end and text[pos] == "[":
            pos += 1
            while pos < end and text[pos] in " \t\r\n":
                pos += 1
        if pos >= end:
            return None
        line_start = text.rfind("\n", 0, pos) + 1
        indent = text[line_start:pos]
        if indent.strip(" "):
            return None  # item shares its line with something else (flow / minified): no per-item lines
        marker = text[pos]
        if marker not in "-{":
            return None
        needle = "\n" + indent + marker
        offsets = [line_start]
        i = text.find(needle, pos, end)
        while i >= 0:
            after = i + len(needle)
            if marker != "-" or after >= end or text[after] in " \t\r\n":
                offsets.append(i + 1)
            if len(offsets) > count:
                return None
            i = text.find(needle, after, end)
        if len(offsets) != count:
            return None
        return _lines_of(text, offsets)


def _lines_of(text: str, offsets: list[int]) -> list[int]:
    """1-based line numbers of ascending offsets, counting newlines incrementally (C speed)."""
    lines = []
    line, last = 1, 0
    for off in offsets:
        line += text.count("\n", last, off)
        last = off
        lines.append(line)
    return lines


def _first_content(text: str, pos: int, end: int) -> int:
    """Offset of the first line in [pos, end) holding YAML content (not blank/comment/directive)."""
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        i = pos
        while i < stop and text[i] in " \t\r":
            i += 1
        if i < stop and text[i] not in "#%":
            return pos
        if nl < 0:
            break
        pos = nl + 1
    return -1


def scan_documents(text: str) -> list[Document]:
    """Split a stream into documents by its marker lines, as a YAML parser would count them."""
    n = len(text)
    markers = [m.start() + 1 for m in _MARKER.finditer(text)]
    if text.startswith(("---", "...")) and (n == 3 or text[3] in " \t\r\n"):
        markers.insert(0, 0)
    markers.append(n)
    docs: list[Document] = []
    first = _first_content(text, 0, markers[0])
    if first >= 0:
        docs.append(Document(0, 0, first))
    find = text.find
    for idx in range(len(markers) - 1):
        off, nxt = markers[idx], markers[idx + 1]
        eol = find("\n", off, nxt)
        if eol < 0:
            eol = nxt
        if text[off] == "-":
            if eol > off + 3 and (rest := text[off + 3 : eol].strip()) and rest[0] != "#":
                content = off  # `--- {inline: doc}` / `--- |`
            elif eol + 1 < nxt and text[eol + 1] not in " \t\r\n#%":
                content = eol + 1  # the usual case: content on the next line
            else:
                content = _first_content(text, eol + 1, nxt)
                if content < 0:
                    content = off
            docs.append(Document(len(docs), off, content))
        else:  # `...` ends a document; content after it starts a bare one
            content = _first_content(text, eol + 1, nxt)
            if content >= 0:
                docs.append(Document(len(docs), eol + 1, content))
    line, last = 1, 0
    count = text.count
    for i, doc in enumerate(docs):
        doc.end = docs[i + 1].start if i + 1 < len(docs) else n
        line += count("\n", last, doc.start)
        doc.start_line = line
        line += count("\n", doc.start, doc.content)
        doc.line = line
        last = doc.content
    return docs

