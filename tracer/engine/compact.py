"""Share equal strings among parsed manifests: one object per distinct key or short value.

A parser or JSON decoder gives each occurrence of a key ("metadata", "name") and of a repeated value
("Running", "True", a namespace) its own string object, about 53 objects per Kubernetes object. Replacing
each by the first equal one seen in a run of objects cuts what 50,000 Pods hold by two fifths (3.3 kB to
1.8 kB each), without changing a single value: strings and ints are immutable, so sharing them is
invisible. Containers are never shared (callers may copy and change a body).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["SharedValues", "compact_value"]

_SHARED_STR_MAX = 200  # longer strings (certificates, scripts) rarely repeat: not worth a memo entry
_COMPACT_DEPTH = 48  # deeper than any Kubernetes object; deeper input is left as parsed (normalise reports it)


class SharedValues:
    """The memo for a run of bodies, started afresh every ``run`` bodies so that it stays small."""

    __slots__ = ("_count", "_ints", "_run", "_strs")

    def __init__(self, run: int = 2000) -> None:
        self._run = run
        self._count = 0
        self._strs: dict[str, str] = {}
        self._ints: dict[int, int] = {}

    def body(self, body: Any) -> Any:
        """``body`` with its strings and ints shared with the bodies before it (see compact_value).

        The body is changed in place: pass bodies nobody else holds (freshly decoded ones)."""
        self._count += 1
        if self._count > self._run:
            self._count = 1
            self._strs, self._ints = {}, {}
        return compact_value(body, self._strs, self._ints)


def compact_value(node: Any, strs: dict[str, str], ints: dict[int, int]) -> Any:
    """``node`` with each key and short string value replaced by the first equal one seen (``strs``),
    and each int likewise (``ints``). Lists and values are updated in place; a mapping is rebuilt (same
    order, same size) only when one of its keys was seen before. Returns the node to keep.
    """
    return _compact(node, strs.setdefault, ints.setdefault, 0)


def _compact(node: Any, share: Callable[[str, str], str], share_int: Callable[[int, int], int], depth: int) -> Any:
    kind = type(node)
    if kind is dict:
        if depth >= _COMPACT_DEPTH:
            return node
        rebuild = False
        for key, value in node.items():
            vkind = type(value)
            if vkind is str:
                if len(value) <= _SHARED_STR_MAX:
                    shared = share(value, value)
                    if shared is not value:
                        node[key] = shared  # same key: the mapping keeps its size and order
            elif vkind is dict or vkind is list:
                new = _compact(value, share, share_int, depth + 1)
                if new is not value:
                    node[key] = new
            elif vkind is int:
                shared_int = share_int(value, value)
                if shared_int is not value:
                    node[key] = shared_int
            # Only str keys are shared: an int or bool key is left for normalise to turn into text.
            if type(key) is str and share(key, key) is not key:
                rebuild = True
        if rebuild:
            return {(share(k, k) if type(k) is str else k): v for k, v in node.items()}
        return node
    if kind is list:
        if depth >= _COMPACT_DEPTH:
            return node
        for i, value in enumerate(node):
            vkind = type(value)
            if vkind is str:
                if len(value) <= _SHARED_STR_MAX:
                    shared = share(value, value)
                    if shared is not value:
                        node[i] = shared
            elif vkind is dict or vkind is list:
                new = _compact(value, share, share_int, depth + 1)
                if new is not value:
                    node[i] = new
            elif vkind is int:
                shared_int = share_int(value, value)
                if shared_int is not value:
                    node[i] = shared_int
        return node
    return node
