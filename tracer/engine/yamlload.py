"""Parse a YAML/JSON manifest stream into documents with provenance, under hard limits.

The heavy lifting is done by yaml-rs (Rust, YAML 1.2): it is ~15x faster than PyYAML's
CSafeLoader on kubectl dumps, rejects duplicate keys and caps alias replay itself. What it
lacks is handled here with cheap text scans so the common case stays close to bare parse time:

* document start lines: a scan for ``---``/``...`` marker lines (no Python-level composing);
* nesting depth and key types: one Python walk per document after parsing (exact depth with
  the path to the offending node; non-string keys such as ``80:`` become strings, as
  sigs.k8s.io/yaml does). yaml-rs overflows the C stack on very deep block nesting (segfault at
  a few thousand levels, fewer in small thread stacks), so a regex scan first sends documents
  with very deeply indented lines to an exact libyaml event check instead;
* aliases: documents that contain an anchor are checked with libyaml's event stream, computing
  expanded sizes and depths per anchor arithmetically, so a billion-laughs document fails in
  milliseconds without ever being expanded;
* error locations: yaml-rs reports no line for duplicate keys or alias limits; those rare error
  paths re-parse document by document and use libyaml's composer to find the line and key path.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml
import yaml_rs

from tracer.engine.errors import LoadError

if TYPE_CHECKING:
    from tracer.engine.loader import Limits

# Beyond this many leading indent/indicator characters a line could nest deep enough to overflow
# yaml-rs's recursion (observed crash: ~600 levels in a 256 KiB thread stack); such documents are
# vetted with libyaml events (iterative, heap-allocated) before yaml-rs sees them.
_CRASH_PREFIX = 128
# Hard ceiling on max_depth whatever the caller asks for, for the same reason.
HARD_MAX_DEPTH = 256

_MARKER = re.compile(r"\n(---|\.\.\.)(?=[ \t\r\n]|\Z)")
_LEADING = re.compile(r"[ \t?:\-]*")
_YAMLRS_LOCATION = re.compile(r"line (\d+), column (\d+)")


@functools.lru_cache(maxsize=16)
def _prefix_pattern(min_len: int) -> re.Pattern[str]:
    # A line whose leading run of indentation/indicator characters is at least min_len long.
    return re.compile(rf"\n[ \t?:\-]{{{min_len},}}")


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


def _doc_at(docs: list[Document], starts: list[int], offset: int) -> Document:
    return docs[max(0, bisect.bisect_right(starts, offset) - 1)]


def _plan_checks(text: str, docs: list[Document]) -> None:
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


def _event_check(pt: ParsedText, doc: Document, limits: Limits) -> None:
    """Exact depth and alias-expansion check of one document from libyaml's event stream.

    Nothing is expanded: each anchor's expanded height and node count are computed once and
    reused at every alias, so an exponential alias bomb costs time linear in its text.
    """
    max_depth = min(limits.max_depth, HARD_MAX_DEPTH)
    cap = limits.max_alias_expansion
    loader = yaml.CSafeLoader(pt.text[doc.start : doc.end])
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


def _yamlrs_options(limits: Limits) -> dict[str, Any]:
    # Replayed events ~ 2 per collection + 1 per scalar; backstop for anchors the scan missed.
    return {
        "parse_datetime": False,  # Kubernetes treats timestamps as strings
        "alias_limits": yaml_rs.AliasLimits(
            max_total_replayed_events=2 * limits.max_alias_expansion + 16,
            max_replay_stack_depth=min(limits.max_depth, HARD_MAX_DEPTH),
        ),
        "duplicate_key_policy": yaml_rs.DuplicateKeyPolicy.Error,
    }


def parse_text(text: str, file: str, limits: Limits) -> ParsedText:
    """Parse one manifest file's text. Raises LoadError naming file, document, line, field."""
    pt = ParsedText(file, text)
    nul = text.find("\x00")
    if nul >= 0:
        raise LoadError(
            "contains a NUL character; is this a binary file?", file=file, line=text.count("\n", 0, nul) + 1
        )
    docs = scan_documents(text)
    if len(docs) > limits.max_documents:
        extra = docs[limits.max_documents]
        raise LoadError(f"more than {limits.max_documents} documents", file=file, document=extra.index, line=extra.line)
    pt.documents = docs
    _plan_checks(text, docs)
    for doc in docs:
        if doc.exact_checked:
            _event_check(pt, doc, limits)
    options = _yamlrs_options(limits)
    try:
        result = yaml_rs.loads(text, **options)
    except yaml_rs.YAMLDecodeError as exc:
        result = _json_fallback(pt, str(exc))
        if result is _NOTHING:
            raise _translate(pt, exc, options, limits) from None
    _attach(pt, result)
    max_depth = min(limits.max_depth, HARD_MAX_DEPTH)
    for doc in pt.documents:
        if doc.value is None:
            continue
        try:
            doc.value = normalise(doc.value, max_depth)
        except TreeProblem as problem:
            raise LoadError(
                problem.message, file=file, document=doc.index, line=doc.line, field=format_path(problem.path)
            ) from None
        if doc.has_merge_keys:
            doc.value = apply_merge_keys(doc.value)
    return pt


_NOTHING: Any = object()


def _attach(pt: ParsedText, result: Any) -> None:
    """Give each scanned document its parsed value; rescan with libyaml if the counts disagree."""
    docs = pt.documents
    if len(docs) == 1:
        docs[0].value = result
        return
    values = result if isinstance(result, list) and len(docs) > 1 else ([] if result is None else [result])
    if len(values) != len(docs):
        # The marker scan and the parser disagree (exotic stream syntax): use libyaml's document
        # events for positions, or give up on lines and number documents as the parser does.
        docs = _libyaml_documents(pt.text) or []
        if len(docs) != len(values):
            docs = [Document(i, 0, 0, end=len(pt.text)) for i in range(len(values))]
        pt.documents = docs
    for doc, value in zip(docs, values, strict=True):
        doc.value = value


def _libyaml_documents(text: str) -> list[Document] | None:
    loader = yaml.CSafeLoader(text)
    docs: list[Document] = []
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.DocumentStartEvent):
                node = loader.peek_event()
                doc = Document(len(docs), event.start_mark.index, node.start_mark.index)
                doc.start_line, doc.line = event.start_mark.line + 1, node.start_mark.line + 1
                docs.append(doc)
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    for i, doc in enumerate(docs):
        doc.end = docs[i + 1].start if i + 1 < len(docs) else len(text)
    return docs


def _json_fallback(pt: ParsedText, message: str) -> Any:
    """JSON that YAML rejects (a tab after ':' ...) still loads; JSON errors read better for JSON."""
    docs = pt.documents
    if len(docs) != 1 or not message.startswith("YAML parse error") or message.endswith("recursion limit exceeded"):
        return _NOTHING
    if pt.text[docs[0].content : docs[0].content + 200].lstrip()[:1] not in ("{", "["):
        return _NOTHING
    try:
        value = json.loads(pt.text, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as dup:
        raise LoadError(f"duplicate key {dup.key!r}", file=pt.file, document=0, line=1, field=dup.key) from None
    except json.JSONDecodeError as jexc:
        raise LoadError(
            f"JSON syntax error: {jexc.msg} (column {jexc.colno})", file=pt.file, document=0, line=jexc.lineno
        ) from None
    except RecursionError:
        return _NOTHING
    return value


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateKey(k)
            seen.add(k)
    return out


def _translate(pt: ParsedText, exc: Exception, options: dict[str, Any], limits: Limits) -> LoadError:
    """Turn a yaml-rs error into a LoadError with document, line and (for duplicates) field."""
    msg = str(exc)
    lines = msg.splitlines() or [""]
    # Only the first and last lines: the middle quotes the source, which may hold secret values.
    reason = lines[-1].strip()
    loc = _YAMLRS_LOCATION.search(lines[0]) if lines[0].startswith("YAML parse error") else None
    docs = pt.documents
    if loc:
        line, column = int(loc.group(1)), int(loc.group(2))
        idx = max(0, bisect.bisect_right([d.start_line for d in docs], line) - 1)
        doc_index = docs[idx].index if docs else 0
        if reason == "recursion limit exceeded":
            return LoadError(
                f"nesting deeper than {min(limits.max_depth, HARD_MAX_DEPTH)} levels",
                file=pt.file,
                document=doc_index,
                line=line,
            )
        return LoadError(f"YAML syntax error: {reason} (column {column})", file=pt.file, document=doc_index, line=line)
    # No location: find the failing document by parsing them one at a time (error path only).
    for doc in docs:
        try:
            yaml_rs.loads(pt.text[doc.start : doc.end], **options)
        except yaml_rs.YAMLDecodeError as doc_exc:
            doc_msg = str(doc_exc).splitlines()[-1].strip()
            if doc_msg.startswith("duplicate mapping key"):
                return _duplicate_error(pt, doc, doc_msg)
            if "alias" in doc_msg:
                _event_check(pt, doc, limits)  # raises with the alias's line if it can
                return LoadError(
                    f"aliases expand to more than {limits.max_alias_expansion} nodes (alias bomb?)",
                    file=pt.file,
                    document=doc.index,
                    line=doc.line,
                )
            return LoadError(f"YAML error: {doc_msg}", file=pt.file, document=doc.index, line=doc.line)
    return LoadError(f"YAML error: {reason}", file=pt.file)


def _duplicate_error(pt: ParsedText, doc: Document, message: str) -> LoadError:
    """Locate a duplicate key with libyaml's composer: its full path (the field) and its line."""
    key = message.partition(":")[2].strip().strip("'\"")
    found = _find_duplicate(pt.text[doc.start : doc.end])
    if found is None:
        return LoadError(f"duplicate key {key!r}", file=pt.file, document=doc.index, line=doc.line, field=key)
    path, line = found
    return LoadError(
        f"duplicate key {path[-1]!r}",
        file=pt.file,
        document=doc.index,
        line=doc.start_line + line,
        field=format_path(path),
    )


def _find_duplicate(text: str) -> tuple[list[Any], int] | None:
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


def format_path(path: list[Any], limit: int = 12) -> str:
    """``['spec', 'rules', 0, 'host']`` -> ``spec.rules[0].host`` (long paths end in ``...``)."""
    out = ""
    for part in path[:limit]:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out + "..." if len(path) > limit else out


class TreeProblem(Exception):
    """Raised by normalise(); ``path`` leads from the document root to the offending node."""

    def __init__(self, message: str, path: list[Any] | None = None) -> None:
        self.message = message
        self.path: list[Any] = path or []


def _key_text(key: Any) -> str | None:
    # As sigs.k8s.io/yaml does when it turns YAML into JSON: scalar keys become strings.
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, (int, float)):
        return str(key)
    return None


def normalise(node: Any, max_depth: int) -> Any:
    """Check nesting depth and make every mapping key a string, in one walk.

    Manifests are JSON objects underneath; a YAML key like ``80:`` or ``true:`` would otherwise
    break JSON encoding and key sorting further on. Copy-on-write: containers are only copied
    when something inside them changes, so callers' dicts are never mutated.
    """
    if not isinstance(node, (dict, list)):
        return node
    try:
        return _normalise(node, 1, max_depth)
    except TreeProblem as problem:
        problem.path.reverse()
        raise


def _normalise(node: Any, depth: int, limit: int) -> Any:
    if depth > limit:
        raise TreeProblem(f"nesting deeper than {limit} levels")
    changed: Any = None
    if type(node) is dict:
        odd = False
        for key, value in node.items():
            if type(key) is not str:
                odd = True
            kind = type(value)
            if kind is dict or kind is list:
                try:
                    new = _normalise(value, depth + 1, limit)
                except TreeProblem as problem:
                    problem.path.append(key)
                    raise
                if new is not value:
                    if changed is None:
                        changed = dict(node)
                    changed[key] = new
        if odd:
            changed = _string_keys(changed if changed is not None else node)
    else:
        for i, value in enumerate(node):
            kind = type(value)
            if kind is dict or kind is list:
                try:
                    new = _normalise(value, depth + 1, limit)
                except TreeProblem as problem:
                    problem.path.append(i)
                    raise
                if new is not value:
                    if changed is None:
                        changed = list(node)
                    changed[i] = new
    return node if changed is None else changed


def _string_keys(node: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        if type(key) is not str:
            text = _key_text(key)
            if text is None:
                raise TreeProblem(f"mapping key {key!r} is not a scalar")
            if text in node or text in out:
                raise TreeProblem(f"duplicate key {text!r}", [text])
            key = text
        out[key] = value
    return out


def apply_merge_keys(node: Any) -> Any:
    """Resolve YAML 1.1 ``<<`` merge keys, which Kubernetes' parser honours but YAML 1.2 dropped."""
    if isinstance(node, list):
        return [apply_merge_keys(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: apply_merge_keys(v) for k, v in node.items() if k != "<<"}
    if "<<" in node:
        sources = node["<<"]
        merged: dict[Any, Any] = {}
        for src in reversed(sources if isinstance(sources, list) else [sources]):
            if isinstance(src, dict):
                merged.update(apply_merge_keys(src))
        merged.update(out)
        out = merged
    return out
