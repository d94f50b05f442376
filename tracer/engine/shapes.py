"""The container types the API server's decoding requires of the object fields tracer walks without looking.

The API server decodes a Deployment's ``spec.template.spec`` into a PodSpec struct, so a string there is
refused ("cannot unmarshal string into Go struct field PodTemplateSpec.spec of type v1.PodSpec",
k8s.io/apimachinery/pkg/runtime/serializer/json). tracer reads manifests, not a cluster, so such an object
can reach it; the loader refuses it here, naming the field, instead of letting a reader of pod templates
fail on it later (controller detection runs on every stored upload).
"""

from __future__ import annotations

from typing import Any

from tracer.engine.k8s import POD_MAKERS

__all__ = ["shape_problem"]

_POD_SPEC: tuple[tuple[tuple[str, ...], type], ...] = (
    ((), dict),
    (("containers",), list),
    (("initContainers",), list),
)


def _pod_paths(template_at: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], type], ...]:
    # Every level down to the template, its metadata and spec, and the spec's container lists.
    levels = tuple((("spec", *template_at[:i]), dict) for i in range(len(template_at) + 1))
    template = ("spec", *template_at)
    return (
        *levels,
        ((*template, "metadata"), dict),
        *(((*template, "spec", *path), kind) for path, kind in _POD_SPEC),
    )


# By kind alone, whatever the API group: controller detection looks workloads up by kind.
_SHAPES: dict[str, tuple[tuple[tuple[str, ...], type], ...]] = {
    kind: _pod_paths(maker.template_at) for kind, maker in POD_MAKERS.items()
}
_SHAPES["Pod"] = tuple((("spec", *path), kind) for path, kind in _POD_SPEC)

_TYPE_WORD: dict[type, str] = {dict: "mapping", list: "sequence"}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "mapping", list: "sequence", str: "string", bool: "boolean"}.get(type(value), "number")


# Inside each container (a v1.Container): the fields readers of pod templates walk.
_CONTAINER: tuple[tuple[tuple[str, ...], type], ...] = (
    (("args",), list),
    (("command",), list),
    (("ports",), list),
    (("env",), list),
)
_ENV_VAR: tuple[tuple[tuple[str, ...], type], ...] = (
    (("valueFrom",), dict),
    (("valueFrom", "fieldRef"), dict),
)


def _first_wrong(node: Any, paths: tuple[tuple[tuple[str, ...], type], ...]) -> tuple[str, str] | None:
    for path, want in paths:
        value: Any = node
        for part in path:
            value = value.get(part) if type(value) is dict else None
            if value is None:
                break
        if value is not None and type(value) is not want:
            field = ".".join(path)
            return field, f"must be a {_TYPE_WORD[want]}, not a {_type_name(value)}"
    return None


def _items_wrong(items: list[Any], at: str, paths: tuple[tuple[tuple[str, ...], type], ...]) -> tuple[str, str] | None:
    for i, item in enumerate(items):
        if type(item) is not dict:
            return f"{at}[{i}]", f"must be a mapping, not a {_type_name(item)}"
        wrong = _first_wrong(item, paths)
        if wrong is not None:
            return f"{at}[{i}].{wrong[0]}", wrong[1]
    return None


def shape_problem(body: dict[str, Any], kind: str) -> tuple[str, str] | None:
    """The first field of ``body`` (as ``spec.template.spec``) whose type decoding would refuse: the field
    and the message naming it."""
    paths = _SHAPES.get(kind)
    if paths is None:
        return None
    wrong = _first_wrong(body, paths)
    if wrong is None:
        wrong = _containers_wrong(body, paths)
    return None if wrong is None else (wrong[0], f"{wrong[0]} {wrong[1]}")


def _containers_wrong(body: dict[str, Any], paths: tuple[tuple[tuple[str, ...], type], ...]) -> tuple[str, str] | None:
    for path, _ in paths:
        if path[-1] not in ("containers", "initContainers"):
            continue
        node: Any = body
        for part in path:
            node = node.get(part) if type(node) is dict else None
        if not node:
            continue
        at = ".".join(path)
        wrong = _items_wrong(node, at, _CONTAINER)
        if wrong is not None:
            return wrong
        for i, container in enumerate(node):
            env = container.get("env")
            if env:
                wrong = _items_wrong(env, f"{at}[{i}].env", _ENV_VAR)
                if wrong is not None:
                    return wrong
    return None
