"""Kubernetes label selectors with ``matchLabels`` and ``matchExpressions``, as NetworkPolicy uses them.

Semantics follow https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors and
``k8s.io/apimachinery/pkg/labels``: every requirement must hold; ``NotIn`` and ``DoesNotExist`` hold when the key
is absent; an empty selector selects everything. An unknown operator is rejected by the API server, so a selector
carrying one selects nothing here.
"""

from __future__ import annotations

from typing import Any

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def _requirements(sel: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(key, operator, values) for every requirement, matchLabels first (as ``key In (value)``)."""
    out: list[tuple[str, str, list[str]]] = []
    labels = sel.get("matchLabels")
    if isinstance(labels, dict):
        out += [(str(k), "In", ["" if v is None else str(v)]) for k, v in labels.items()]
    for expr in sel.get("matchExpressions") or []:
        if isinstance(expr, dict):
            values = [str(v) for v in expr.get("values") or []]
            out.append((str(expr.get("key") or ""), str(expr.get("operator") or ""), values))
    return out


def selector_keys(sel: Any) -> set[str]:
    """The label keys a selector reads."""
    return {key for key, _, _ in _requirements(sel)} if isinstance(sel, dict) else set()


def matches(sel: Any, labels: dict[str, str]) -> bool:
    """Whether ``labels`` satisfy the selector; a selector that is not a mapping (absent) selects everything."""
    if not isinstance(sel, dict):
        return True
    for key, op, values in _requirements(sel):
        present = key in labels
        if op == "In":
            ok = present and labels[key] in values
        elif op == "NotIn":
            ok = not present or labels[key] not in values
        elif op == "Exists":
            ok = present
        elif op == "DoesNotExist":
            ok = not present
        else:
            return False
        if not ok:
            return False
    return True


def matches_partly_known(sel: Any, labels: dict[str, str], known: set[str] | None) -> bool | None:
    """Like :func:`matches` for an object whose labels are only partly known: ``known`` is the set of keys whose
    presence or absence is certain (None: all of them). None when the answer depends on a key not known."""
    if known is not None and not selector_keys(sel) <= known:
        return None
    return matches(sel, labels)


def describe(sel: Any, everything: str) -> str:
    """A selector in words: ``app=web, tier in (a, b)``; ``everything`` for an empty one."""
    if not isinstance(sel, dict):
        return everything
    parts = []
    for key, op, values in _requirements(sel):
        if op == "In" and len(values) == 1:
            parts.append(f"{key}={values[0]}")
        elif op in ("In", "NotIn"):
            parts.append(f"{key} {op.lower()} ({', '.join(values)})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            parts.append(f"{key} {op or 'with no operator'} (selects nothing)")
    return ", ".join(parts) or everything


__all__ = ["OPERATORS", "describe", "matches", "matches_partly_known", "selector_keys"]
