"""Caps on text shown from manifests: a value longer than VALUE_CHARS is shown cut (the whole object stays a
download away on its page, tracer.object_page), so one 30 MB ConfigMap value cannot make a 30 MB page."""

from __future__ import annotations

from typing import Any

NAME_CHARS = 200  # names, hosts and paths shown in full up to this
VALUE_CHARS = 2000  # a string value in YAML shown: longer ones are cut


def cut_values(node: Any, cut: list[int] | None = None) -> Any:
    """``node`` with string keys and values over VALUE_CHARS cut; ``cut`` collects the lengths of those cut.

    Copy-on-write: the same object comes back when nothing is long."""
    if isinstance(node, str):
        if len(node) <= VALUE_CHARS:
            return node
        if cut is not None:
            cut.append(len(node))
        return f"{node[:VALUE_CHARS]}… [{len(node) - VALUE_CHARS:,} more characters: download the YAML for all]"
    if isinstance(node, dict):
        pairs = [(cut_values(k, cut), cut_values(v, cut)) for k, v in node.items()]
        if all(a is k and b is v for (a, b), (k, v) in zip(pairs, node.items(), strict=True)):
            return node
        return dict(pairs)
    if isinstance(node, list):
        items = [cut_values(v, cut) for v in node]
        return node if all(a is b for a, b in zip(items, node, strict=True)) else items
    return node
