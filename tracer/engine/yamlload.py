"""Parse a YAML/JSON manifest stream into documents with provenance, under hard limits.

The heavy lifting is done by yaml-rs (Rust, YAML 1.2): it is ~15x faster than PyYAML's
CSafeLoader on kubectl dumps, rejects duplicate keys and caps alias replay itself. What it
lacks is handled here with cheap text scans so the common case stays close to bare parse time:

* document start lines: a scan for ``---``/``...`` marker lines (no Python-level composing;
  yamldocs.py);
* nesting depth and key types: one Python walk per document after parsing (exact depth with
  the path to the offending node; non-string keys such as ``80:`` become strings, as
  sigs.k8s.io/yaml does). yaml-rs overflows the C stack on very deep block nesting (segfault at
  a few thousand levels, fewer in small thread stacks), so a regex scan first sends documents
  with very deeply indented lines to an exact libyaml event check instead (yamlcheck.py);
* aliases: documents that contain an anchor are checked with libyaml's event stream, computing
  expanded sizes and depths per anchor arithmetically, so a billion-laughs document fails in
  milliseconds without ever being expanded;
* error locations: yaml-rs reports no line for duplicate keys or alias limits; those rare error
  paths re-parse document by document and use libyaml's composer to find the line and key path.
"""

from __future__ import annotations

import bisect
import json
import re
from typing import Any

import yaml_rs

from tracer.engine.errors import LoadError
from tracer.engine.fieldlines import field_line
from tracer.engine.jsonconstants import bare_constant
from tracer.engine.limits import Limits
from tracer.engine.yamlcheck import event_check, find_duplicate, libyaml_documents, plan_checks
from tracer.engine.yamlchunks import parse_documents
from tracer.engine.yamldocs import Document, ParsedText, scan_documents

__all__ = ["ParsedText", "TreeProblem", "apply_merge_keys", "format_path", "normalise", "parse_text"]

_YAMLRS_LOCATION = re.compile(r"line (\d+), column (\d+)")


def _yamlrs_options(limits: Limits) -> dict[str, Any]:
    # Replayed events ~ 2 per collection + 1 per scalar; backstop for anchors the scan missed.
    return {
        "parse_datetime": False,  # Kubernetes treats timestamps as strings
        "alias_limits": yaml_rs.AliasLimits(
            max_total_replayed_events=2 * limits.max_alias_expansion + 16,
            max_replay_stack_depth=limits.depth_cap,
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
    plan_checks(text, docs)
    for doc in docs:
        if doc.exact_checked:
            event_check(pt, doc, limits)
    options = _yamlrs_options(limits)
    try:
        result = parse_documents(text, docs, options)  # in chunks, equal strings shared (yamlchunks.py)
    except yaml_rs.YAMLDecodeError as exc:
        result = _json_fallback(pt, str(exc))
        if result is _NOTHING:
            raise _translate(pt, exc, options, limits) from None
    except (TypeError, ValueError) as exc:  # not a YAML error: a value Python cannot build (see _unbuildable)
        raise _unbuildable(pt, options, exc) from None
    _attach(pt, result)
    max_depth = limits.depth_cap
    nul_escapes = _NUL_ESCAPE.search(text) is not None
    for doc in pt.documents:
        if doc.value is None:
            continue
        if pt.first_char(doc) in ("{", "["):
            _refuse_json_constants(pt, doc)
        try:
            doc.value = normalise(doc.value, max_depth)
        except TreeProblem as problem:
            line = field_line(text, doc, tuple(problem.path), doc.line)
            raise LoadError(
                problem.message, file=file, document=doc.index, line=line, field=format_path(problem.path)
            ) from None
        if nul_escapes:
            _refuse_nul(pt, doc)
        if doc.has_merge_keys:
            doc.value = apply_merge_keys(doc.value)
    return pt


_NOTHING: Any = object()

# Escapes that put a NUL character in a double-quoted YAML or JSON string (a raw NUL is refused in
# parse_text). PostgreSQL stores neither NUL in text nor \u0000 in jsonb, so such a snapshot could not be
# stored (https://www.postgresql.org/docs/current/datatype-json.html).
_NUL_ESCAPE = re.compile(r"\\(?:0|x00|u0000|U00000000)")


def _refuse_nul(pt: ParsedText, doc: Document) -> None:
    """Name the key or value of a document that holds a NUL character, if any (rare: only escapes make one)."""
    if not _NUL_ESCAPE.search(pt.text, doc.start, doc.end or len(pt.text)):
        return
    path = _nul_path(doc.value, [])
    if path is None:
        return
    shown = [p.replace("\x00", "\\0") if isinstance(p, str) else p for p in path]
    raise LoadError(
        "the text holds a NUL character (an escaped \\0 or \\u0000), which tracer cannot store",
        file=pt.file,
        document=doc.index,
        line=field_line(pt.text, doc, tuple(path), doc.line),
        field=format_path(shown) or None,
    )


def _nul_path(node: Any, path: list[Any]) -> list[Any] | None:
    # Depth is bounded by normalise() before this runs.
    if isinstance(node, str):
        return path if "\x00" in node else None
    if isinstance(node, dict):
        for key, value in node.items():
            if "\x00" in key:
                return [*path, key]
            found = _nul_path(value, [*path, key])
            if found is not None:
                return found
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found = _nul_path(value, [*path, i])
            if found is not None:
                return found
    return None


def _refuse_json_constants(pt: ParsedText, doc: Document) -> None:
    """A JSON document with a bare Infinity or NaN, which YAML would have read as a string (jsonconstants.py)."""
    text = pt.text[doc.content : min(doc.end, len(pt.text))]
    found = bare_constant(text)
    if found is not None:
        word, line, path = found
        raise LoadError(
            f"{word} is not a JSON number; Kubernetes objects are JSON, which cannot hold it",
            file=pt.file,
            document=doc.index,
            line=doc.line + line - 1,
            field=format_path(path) or None,
        )


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
        docs = libyaml_documents(pt.text) or []
        if len(docs) != len(values):
            docs = [Document(i, 0, 0, end=len(pt.text)) for i in range(len(values))]
        pt.documents = docs
    for doc, value in zip(docs, values, strict=True):
        doc.value = value


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
                f"nesting deeper than {limits.depth_cap} levels",
                file=pt.file,
                document=doc_index,
                line=line,
            )
        return LoadError(f"YAML syntax error: {reason} (column {column})", file=pt.file, document=doc_index, line=line)
    # No location: find the failing document by parsing them one at a time (error path only).
    for doc in docs:
        try:
            yaml_rs.loads(pt.text[doc.start : doc.end], **options)
        except TypeError as build_exc:  # an earlier document Python cannot build (see _unbuildable)
            if "unhashable" not in str(build_exc):
                raise
            return _unbuildable(pt, options, build_exc)
        except yaml_rs.YAMLDecodeError as doc_exc:
            doc_msg = str(doc_exc).splitlines()[-1].strip()
            if doc_msg.startswith("duplicate mapping key"):
                return _duplicate_error(pt, doc, doc_msg)
            if "alias" in doc_msg:
                event_check(pt, doc, limits)  # raises with the alias's line if it can
                return LoadError(
                    f"aliases expand to more than {limits.max_alias_expansion} nodes (alias bomb?)",
                    file=pt.file,
                    document=doc.index,
                    line=doc.line,
                )
            return LoadError(f"YAML error: {doc_msg}", file=pt.file, document=doc.index, line=doc.line)
    if reason.startswith("duplicate mapping key"):  # no document failed alone: name the key anyway
        return _duplicate_error(pt, Document(0, 0, 0, end=len(pt.text)), reason)
    return LoadError(f"YAML error: {reason}", file=pt.file)


def _unbuildable(pt: ParsedText, options: dict[str, Any], exc: Exception) -> LoadError:
    """yaml-rs builds a complex mapping key (``? {a: {b: c}}``) as a frozenset, and raises TypeError
    when the key holds a mapping or sequence (unhashable). Name the document (error path only)."""
    message = (
        "a mapping key is itself a mapping or sequence; Kubernetes objects are JSON, whose keys are strings"
        if "unhashable" in str(exc)
        else "the YAML parser could not build this document's values"
    )
    for doc in pt.documents:
        try:
            yaml_rs.loads(pt.text[doc.start : doc.end], **options)
        except yaml_rs.YAMLDecodeError:
            continue  # a slice that does not parse on its own: not the document that raised
        except (TypeError, ValueError):
            return LoadError(message, file=pt.file, document=doc.index, line=doc.line)
    return LoadError(message, file=pt.file)


def _duplicate_error(pt: ParsedText, doc: Document, message: str) -> LoadError:
    """Locate a duplicate key with libyaml's composer: its full path (the field) and its line."""
    raw = message.partition(":")[2].strip()
    if raw.startswith(("frozenset(", "(")):  # a complex key (? {a: b}), which yaml-rs prints as Python does
        return LoadError(
            "a mapping key is itself a mapping or sequence; Kubernetes objects are JSON, whose keys are strings",
            file=pt.file,
            document=doc.index,
            line=doc.line,
        )
    # yaml-rs names a null or boolean key as Python prints it (``None``); say it as YAML does.
    key = {"None": "null", "True": "true", "False": "false"}.get(raw) or raw.strip("'\"")
    found = find_duplicate(pt.text[doc.start : doc.end])
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


# What an API object can hold: Kubernetes encodes objects as JSON, which has no infinity or NaN
# (Go's encoding/json refuses them: "json: unsupported value: +Inf"), and integer fields are at most
# int64 (k8s.io/apimachinery/pkg/util/json). A 5,000-digit integer would also break Python's own
# int-to-text conversion when the snapshot is hashed or stored.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def _bad_scalar(value: Any, kind: type) -> bool:
    """A leaf JSON cannot hold: a number out of range, or a type the parser makes for YAML-only tags
    (``!!set`` gives a Python set)."""
    if kind is int:
        return not _INT_MIN <= value <= _INT_MAX
    if kind is float:
        return value - value != 0
    return kind is not bool and value is not None


def _scalar_problem(value: Any) -> TreeProblem:
    if isinstance(value, (set, frozenset)):
        return TreeProblem("the value is a YAML set (!!set); Kubernetes objects are JSON, which has no sets")
    if not isinstance(value, (int, float)):
        return TreeProblem("the value is not a string, number, boolean, null, mapping or sequence")
    if isinstance(value, float):
        what = "not a number (NaN)" if value != value else "infinite"
        return TreeProblem(f"the value is {what}; Kubernetes objects are JSON, which cannot hold it")
    digits = len(str(abs(value))) if abs(value) < 10**4000 else "thousands of"
    return TreeProblem(f"the integer has {digits} digits; Kubernetes stores at most 64-bit integers")


def normalise(node: Any, max_depth: int) -> Any:
    """Check nesting depth, refuse numbers no API object can hold and make every mapping key a string, in one walk.

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
            elif kind is not str and _bad_scalar(value, kind):
                bad = _scalar_problem(value)
                bad.path.append(key)
                raise bad
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
            elif kind is not str and _bad_scalar(value, kind):
                bad = _scalar_problem(value)
                bad.path.append(i)
                raise bad
    return node if changed is None else changed


def _string_keys(node: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        if type(key) is not str:
            text = _key_text(key)
            if text is None:
                raise TreeProblem("a mapping key is itself a mapping or sequence; Kubernetes objects are JSON, whose "
                                  "keys are strings")
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
