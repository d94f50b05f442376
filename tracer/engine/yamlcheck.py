"""Safety pre-checks and error locations that use libyaml's event stream (PyYAML's C binding).

yaml-rs parses manifests, but it overflows the C stack on very deep block nesting and reports no
line for duplicate keys or alias limits. libyaml is iterative and reports positions, so the few
documents that could hurt yaml-rs (deep indentation, anchors) are vetted here first, and the rare
error paths use it to name the line and key path.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator
from typing import Any

import yaml

from tracer.engine.errors import LoadError
from tracer.engine.limits import HARD_MAX_DEPTH, Limits
from tracer.engine.yamldocs import Document, ParsedText

# Beyond this many leading indent/indicator characters a line could nest deep enough to overflow
# yaml-rs's recursion (observed crash: ~600 levels in a 256 KiB thread stack); such documents are
# vetted with libyaml events (iterative, heap-allocated) before yaml-rs sees them.
_CRASH_PREFIX = 128

_LEADING = re.compile(r"[ \t?:\-]*")


@functools.lru_cache(maxsize=16)
def _prefix_pattern(min_len: int) -> re.Pattern[str]:
    # A line whose leading run of indentation/indicator characters is at least min_len long. A lone CR
    # ends a line too (YAML 1.2 b-break, https://yaml.org/spec/1.2.2/#54-line-break-characters): counting
    # only LF let a CR-only file nest 30,000 levels unvetted and crash yaml-rs.
    return re.compile(rf"[\r\n][ \t?:\-]{{{min_len},}}")


# libyaml follows YAML 1.1, where NEL, LS and PS end a line; YAML 1.2 (yaml-rs) reads them as ordinary
# characters (https://yaml.org/spec/1.2.2/#54-line-break-characters). Left as they are, libyaml could see a
# comment end and a block scalar begin (`k: # <NEL> |`) where yaml-rs sees deep nesting, pass the document,
# and let yaml-rs overflow its stack. A no-break space in their place makes both parsers see the same lines.
_YAML11_ONLY_BREAKS = str.maketrans(dict.fromkeys("\x85\u2028\u2029", "\xa0"))


def as_yaml12_lines(text: str) -> str:
    """``text`` with the YAML 1.1-only line breaks made ordinary characters, for libyaml to read."""
    if "\x85" in text or "\u2028" in text or "\u2029" in text:
        return text.translate(_YAML11_ONLY_BREAKS)
    return text


def _doc_at(docs: list[Document], starts: list[int], offset: int) -> Document:
    return docs[max(0, bisect.bisect_right(starts, offset) - 1)]


def plan_checks(text: str, docs: list[Document]) -> None:
    """Flag documents to vet with libyaml before yaml-rs parses them, and those with merge keys.

    yaml-rs recurses per nesting level and overflows the C stack on deep block nesting. Block
    collections must indent at least one column every two levels (``- - -`` counts as indent),
    so a document whose lines all have fewer than _CRASH_PREFIX leading ``space tab - ? :``
    characters nests less than 2 * _CRASH_PREFIX + 2 block levels; flow nesting is capped by
    yaml-rs itself. Documents with anchors are vetted too, as aliases multiply size and depth.
    """
    if not docs:
        return
    starts = [d.start for d in docs]
    if _LEADING.match(text).end() >= _CRASH_PREFIX:  # type: ignore[union-attr]  # always matches
        docs[0].exact_checked = True
    pos = 0
    while m := _prefix_pattern(_CRASH_PREFIX).search(text, pos):
        doc = _doc_at(docs, starts, m.start() + 1)
        doc.exact_checked = True
        pos = max(doc.end - 1, m.start() + 1)  # doc.end - 1 is the newline before the next document
    # Anchors: `&name` at the start of a node (after whitespace, line start or flow punctuation).
    # A `&` inside a URL or word does not qualify, so ordinary manifests are never flagged.
    i = text.find("&")
    while i >= 0:
        prev = text[i - 1] if i else "\n"
        nxt = text[i + 1] if i + 1 < len(text) else " "
        if prev in " \t\r\n[{," and nxt not in " \t\r\n":
            doc = _doc_at(docs, starts, i)
            doc.exact_checked = True
            i = text.find("&", max(doc.end, i + 1))
        else:
            i = text.find("&", i + 1)
    i = text.find("<<")
    while i >= 0:
        doc = _doc_at(docs, starts, i)
        doc.has_merge_keys = True
        i = text.find("<<", max(doc.end, i + 2))


def event_check(pt: ParsedText, doc: Document, limits: Limits) -> None:
    """Exact depth and alias-expansion check of one document from libyaml's event stream.

    Nothing is expanded: each anchor's expanded height and node count are computed once and
    reused at every alias, so an exponential alias bomb costs time linear in its text.
    """
    max_depth = limits.depth_cap
    cap = limits.max_alias_expansion
    loader = yaml.CSafeLoader(as_yaml12_lines(pt.text[doc.start : doc.end]))
    stack: list[list[Any]] = []  # open collections: [height below, expanded size, anchor]
    anchors: dict[str, tuple[int, int]] = {}
    expanded = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                stack.append([0, 1, event.anchor])
                if len(stack) > max_depth:
                    raise _located_error(pt, doc, event, f"nesting deeper than {max_depth} levels")
                continue
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                below, size, anchor = stack.pop()
                height = below + 1
                if anchor:
                    anchors[anchor] = (height, size)
            elif isinstance(event, yaml.AliasEvent):
                height, size = anchors.get(event.anchor or "", (0, 1))
                expanded += size
                if expanded > cap:
                    raise _located_error(pt, doc, event, f"aliases expand to more than {cap} nodes (alias bomb?)")
                if len(stack) + height > max_depth:
                    raise _located_error(pt, doc, event, f"alias expands deeper than {max_depth} levels")
            elif isinstance(event, yaml.ScalarEvent):
                height, size = 0, 1
                if event.anchor:
                    anchors[event.anchor] = (0, 1)
            else:
                continue
            if stack:
                parent = stack[-1]
                if height > parent[0]:
                    parent[0] = height
                parent[1] = min(parent[1] + size, cap + 1)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = doc.start_line + mark.line if mark else doc.line
        raise LoadError(
            f"YAML syntax error: {exc.problem or exc.context}", file=pt.file, document=doc.index, line=line
        ) from None
    except yaml.YAMLError as exc:  # libyaml's own limits
        raise LoadError(f"YAML error: {exc}", file=pt.file, document=doc.index, line=doc.line) from None
    finally:
        loader.dispose()


def _located_error(pt: ParsedText, doc: Document, event: Any, message: str) -> LoadError:
    return LoadError(message, file=pt.file, document=doc.index, line=doc.start_line + event.start_mark.line)


class _TooDeep(Exception):
    """libyaml's events nested deeper than the cap given to :func:`_bounded_events`."""


def _bounded_events(loader: Any, cap: int) -> Iterator[Any]:
    """libyaml's events, stopping with _TooDeep past ``cap`` open collections: its scanner revisits every open
    flow level per token (60,000 `[` took 14 s), and nothing that deep is loadable anyway."""
    depth = 0
    while loader.check_event():
        event = loader.get_event()
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > cap:
                raise _TooDeep
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        yield event


def libyaml_documents(text: str) -> list[Document] | None:
    """Documents as libyaml counts them, with offsets and lines; None when it cannot tell."""
    loader = yaml.CSafeLoader(as_yaml12_lines(text))
    docs: list[Document] = []
    try:
        for event in _bounded_events(loader, HARD_MAX_DEPTH):
            if isinstance(event, yaml.DocumentStartEvent):
                node = loader.peek_event()
                start, first = event.start_mark, node.start_mark if node is not None else None
                if start is None or first is None:
                    return None  # no positions: the caller numbers documents without lines
                doc = Document(len(docs), start.index, first.index)
                doc.start_line, doc.line = start.line + 1, first.line + 1
                docs.append(doc)
    except (yaml.YAMLError, _TooDeep):
        return None
    finally:
        loader.dispose()
    for i, doc in enumerate(docs):
        doc.end = docs[i + 1].start if i + 1 < len(docs) else len(text)
    return docs


def _depth_within(text: str, cap: int) -> bool:
    """Whether libyaml's events nest at most ``cap`` collections deep (iterative: no stack at risk)."""
    loader = yaml.CSafeLoader(text)
    try:
        for _ in _bounded_events(loader, cap):
            pass
    except (yaml.YAMLError, _TooDeep):
        return False
    finally:
        loader.dispose()
    return True


def find_duplicate(text: str) -> tuple[list[Any], int] | None:
    text = as_yaml12_lines(text)
    # PyYAML's C composer recurses per level: never compose what could overflow the C stack.
    if not _depth_within(text, HARD_MAX_DEPTH):
        return None
    loader = yaml.CSafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, list[Any]]] = [(root, [])] if root is not None else []
    while stack:
        node, path = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            children = []
            for knode, vnode in node.value:
                if isinstance(knode, yaml.ScalarNode):
                    if knode.value in keys:
                        return [*path, knode.value], knode.start_mark.line
                    keys.add(knode.value)
                    children.append((vnode, [*path, knode.value]))
            stack.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed([(v, [*path, i]) for i, v in enumerate(node.value)]))
    return None

