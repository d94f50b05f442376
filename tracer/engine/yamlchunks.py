"""Parse a manifest stream a few hundred kilobytes at a time, sharing equal strings between objects.

``yaml_rs.loads`` over a whole 24 MB stream (10,000 Ingresses, 73,000 objects) holds the parser's own
working memory and every parsed value at once, and the values repeat each key and most short values
("metadata", "Running", the namespace) as separate string objects, about 53 objects per Kubernetes
object. Freed later, that memory stays with the process (the allocator's arenas are left fragmented).
Parsing whole documents in chunks bounds the parser's share, and compacting each chunk right away
(one string object per distinct key or short value within the chunk, compact.py) lets the next chunk
reuse what the last one freed: at 10,000 Ingresses the loaded snapshot takes 190 MB instead of 465 MB.
The parse itself gets faster too, which pays for part of the compaction walk (a load is ~20% slower).

The values are equal to those of one ``yaml_rs.loads`` of the whole text. Streams where a chunk could
parse differently are parsed whole, as before: YAML directives (``%YAML``, ``%TAG`` apply across the
stream's layout), anchors or aliases (the parser's alias cap must count the whole stream), and any chunk
whose document count disagrees with the marker scan or that fails to parse (the whole-text parse then
raises the error with the stream's own positions).
"""

from __future__ import annotations

from typing import Any

import yaml_rs

from tracer.engine.compact import compact_value
from tracer.engine.yamldocs import Document

__all__ = ["CHUNK_CHARS", "parse_documents"]

CHUNK_CHARS = 512 * 1024  # text per yaml_rs call: the parser's working memory stays a few megabytes


def parse_documents(text: str, docs: list[Document], options: dict[str, Any]) -> Any:
    """What ``yaml_rs.loads(text, **options)`` returns, with equal strings shared.

    Raises what that call raises (yaml_rs.YAMLDecodeError) for the whole text.
    """
    if len(docs) > 1 and _chunkable(text, docs):
        values = _parse_chunks(text, docs, options)
        if values is not None:
            return values
    result = yaml_rs.loads(text, **options)
    return compact_value(result, {}, {})


def _chunkable(text: str, docs: list[Document]) -> bool:
    if any(d.exact_checked for d in docs):
        return False  # anchors or very deep nesting: parsed whole, under one alias budget
    # A directive line (`%YAML 1.2`, `%TAG ! tag:...`) belongs to the document after it.
    return not text.startswith("%") and "\n%" not in text and not _has_alias(text)


def _has_alias(text: str) -> bool:
    """An alias (`*name`) where a node starts (yamlcheck.plan_checks flags documents with anchors already)."""
    i = text.find("*")
    while i >= 0:
        before = text[i - 1] if i else "\n"
        after = text[i + 1] if i + 1 < len(text) else " "
        if before in " \t\r\n[{," and after not in " \t\r\n]},":
            return True
        i = text.find("*", i + 1)
    return False


def _parse_chunks(text: str, docs: list[Document], options: dict[str, Any]) -> list[Any] | None:
    """All documents' values, parsed chunk by chunk; None when a chunk disagrees (parse it whole)."""
    values: list[Any] = []
    for first, last in _chunk_bounds(docs):
        start = 0 if first == 0 else docs[first].start
        end = len(text) if last == len(docs) else docs[last].start
        count = last - first
        try:
            result = yaml_rs.loads(text[start:end], **options)
        except yaml_rs.YAMLDecodeError:
            return None
        if not isinstance(result, list) or len(result) != count:
            return None
        strs: dict[str, str] = {}  # per chunk: the memo stays small, and is dropped with the chunk
        ints: dict[int, int] = {}
        for i, value in enumerate(result):
            result[i] = compact_value(value, strs, ints)
        values.extend(result)
        del result
    return values


def _chunk_bounds(docs: list[Document]) -> list[tuple[int, int]]:
    """Document index ranges [first, last) of about CHUNK_CHARS each, every range at least two documents.

    Two or more documents per chunk, so the parser returns a list per chunk and a count that can be
    checked against the marker scan (one document's value may itself be a list).
    """
    bounds: list[tuple[int, int]] = []
    first = 0
    n = len(docs)
    while first < n:
        last = first + 2
        while last < n and docs[last].start - docs[first].start < CHUNK_CHARS:
            last += 1
        if n - last == 1:
            last = n  # a lone last document joins this chunk
        last = min(last, n)
        bounds.append((first, last))
        first = last
    return bounds
