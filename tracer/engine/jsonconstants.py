"""Bare ``Infinity``, ``-Infinity`` and ``NaN`` in a JSON manifest: refused, as Kubernetes refuses them.

JSON has no such numbers (RFC 8259 section 6) and kubectl's JSON decoder stops at them ("invalid character
'I' looking for beginning of value"). The YAML parser, which reads JSON manifests too, takes them as the plain
strings "Infinity" and "NaN" (YAML 1.2 spells its own ``.inf`` and ``.nan``), so a JSON file holding them
would load with a string where the author wrote a number. Only a document that is JSON apart from them is
refused: in YAML flow syntax (``{a: NaN}``) the word is a string by design.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["bare_constant"]

# A JSON string (skipped) or a bare constant; the alternatives cannot overlap, so there is no backtracking.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)\b')
_WORDS = ("Infinity", "NaN")


class _Constant:
    def __init__(self, word: str) -> None:
        self.word = word


def bare_constant(text: str) -> tuple[str, int, list[Any]] | None:
    """The first bare constant of a JSON document: (word, 1-based line, path to its value); None if it has none
    or the text is not JSON apart from such constants."""
    if not any(word in text for word in _WORDS):
        return None
    try:
        tree = json.loads(text, parse_constant=_Constant)
    except (ValueError, RecursionError):
        return None
    path = _first_path(tree)
    if path is None:
        return None
    for match in _TOKEN.finditer(text):
        if match.group(1):
            return match.group(1), text.count("\n", 0, match.start()) + 1, path
    return None


def _first_path(tree: Any) -> list[Any] | None:
    """Path to the first constant in document order, without recursion."""
    stack: list[tuple[Any, list[Any]]] = [(tree, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, _Constant):
            return path
        if isinstance(node, dict):
            stack.extend((v, [*path, k]) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((v, [*path, i]) for i, v in reversed(list(enumerate(node))))
    return None
