"""Strict reading of a trace request's JSON: no Infinity/NaN, bounded nesting and size, and the types and sizes
of tracer/schema/api_trace_request.json, each problem as ``{"field": "options.seed", "message": "..."}``.

Python's json module accepts ``Infinity``, ``NaN`` and ``1e999`` (RFC 8259 section 6 has no such numbers) and
recurses once per nesting level, so a deeply nested body raises RecursionError: both are refused here before
anything reads the values. The schema checks shapes only; the engine's own validators (tracer.request_spec)
then check meanings such as a known method or a valid IP address.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from tracer.engine.printable import printable

SCHEMA_FILE = Path(__file__).resolve().parent / "schema" / "api_trace_request.json"
MAX_BODY_BYTES = 2 * 1024 * 1024  # a request, a journey and some AppProfile documents fit easily
MAX_DEPTH = 64  # AppProfile documents nest about ten levels; Kubernetes-like objects rarely more than twenty
_MAX_INT_DIGITS = 30  # beyond int64 already; refused before int() spends time on thousands of digits
_SIZE_WORDS = {
    "maxLength": "is longer than {n} characters",
    "minLength": "must not be empty",
    "maxItems": "has more than {n} entries",
    "minItems": "has fewer than {n} entries",
    "maxProperties": "has more than {n} fields",
    "maximum": "must be at most {n}",
    "minimum": "must be at least {n}",
}


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str  # "options.seed", "headers[0]" (a request's own fields are named bare, as the API always did)
    message: str  # a sentence that starts with the field

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class InputErrors(ValueError):
    """The body or one of its parts is refused; ``errors`` holds every problem found (at least one)."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(errors[0].message)
        self.errors = errors

    def to_dict(self) -> dict[str, Any]:
        """The API's answer: the first problem as ``error``/``field`` (its shape since v1) and all as ``errors``."""
        first = self.errors[0]
        return {"error": first.message, "field": first.field, "errors": [e.to_dict() for e in self.errors]}


class _NonFinite:
    """Stands in for Infinity, -Infinity, NaN or an overflowing float while parsing, to be named by its field."""

    def __init__(self, text: str) -> None:
        self.text = text


class _HugeInt:
    def __init__(self, text: str) -> None:
        self.digits = len(text.lstrip("-"))


def _parse_float(text: str) -> float | _NonFinite:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def _parse_int(text: str) -> int | _HugeInt:
    return _HugeInt(text) if len(text) > _MAX_INT_DIGITS else int(text)


def check_size(length: int) -> None:
    """Refuse a body over MAX_BODY_BYTES (called with the Content-Length before reading, and after)."""
    if length > MAX_BODY_BYTES:
        raise InputErrors([FieldError("body", f"the body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB")])


def load_json(body: bytes) -> Any:
    """The body as JSON, or InputErrors naming the field of a non-finite or oversized number."""
    check_size(len(body))
    try:
        data = json.loads(body or b"{}", parse_constant=_NonFinite, parse_float=_parse_float, parse_int=_parse_int)
    except RecursionError:
        raise InputErrors([FieldError("body", f"the body nests deeper than {MAX_DEPTH} levels")]) from None
    except (ValueError, UnicodeDecodeError):
        raise InputErrors([FieldError("body", "the body must be JSON")]) from None
    problems = _tree_problems(data)
    if problems:
        raise InputErrors(problems)
    return data


def _tree_problems(data: Any) -> list[FieldError]:
    """Nesting deeper than MAX_DEPTH and the placeholders of refused numbers, walked without recursion."""
    problems: list[FieldError] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return [FieldError("body", f"the body nests deeper than {MAX_DEPTH} levels")]
        if isinstance(node, dict):
            stack.extend((v, (*path, k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(node))
        elif isinstance(node, _NonFinite):
            name = field_name(path)
            problems.append(FieldError(name, f"{name} must be a finite number, not {node.text} (JSON has no "
                                             "Infinity or NaN)"))
        elif isinstance(node, _HugeInt):
            name = field_name(path)
            problems.append(FieldError(name, f"{name} is a number of {node.digits} digits; at most 64-bit "
                                             "integers are accepted"))
    problems.sort(key=lambda p: p.field)
    return problems


def field_name(path: tuple[Any, ...] | list[Any]) -> str:
    """``("options", "app_profiles", 0)`` -> ``options.app_profiles[0]``; a request's fields are bare (``url``)."""
    parts = list(path)
    if len(parts) > 1 and parts[0] == "request":
        parts = parts[1:]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{printable(str(part))}" if out else printable(str(part)))
    return out or "body"


def describe(value: Any) -> str:
    """A value as people read it (never a Python literal): ``the text "no"``, ``true``, ``null``, ``a list``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        short = value if len(value) <= 40 else value[:40] + "…"
        return f'the text "{printable(short)}"'
    return "an object" if isinstance(value, dict) else "a list"


@cache
def _validator(part: str | None = None) -> jsonschema.protocols.Validator:
    """The whole body's validator, or one of its parts' (``$defs/request``...) with the same definitions."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    if part is not None:
        schema = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{part}"}
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _explain(error: ValidationError, path: tuple[Any, ...]) -> FieldError:
    """One sentence for one schema error; for oneOf, the problem inside the branch the value's type chose."""
    name = field_name(path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator in ("oneOf", "anyOf"):
        inner = [e for e in error.context or () if not (e.validator == "type" and not e.relative_path)]
        deeper = [e for e in inner if e.relative_path]
        if deeper:
            best = max(deeper, key=lambda e: len(e.relative_path))
            return _explain(best, (*path, *best.relative_path))
        if inner:  # the branch of the value's type refuses it as a whole (too long, an unknown field)
            return _explain(inner[0], path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(schema.get("properties") or {})
        extra = sorted(str(k) for k in error.instance if k not in known)
        if extra:
            unknown = field_name((*path, extra[0]))
            noun = schema.get("x-unknown", "field")
            return FieldError(unknown, f"{unknown} is an unknown {noun} (known: {', '.join(sorted(known))})")
    if error.validator in _SIZE_WORDS:
        limit = error.validator_value
        return FieldError(name, f"{name} {_SIZE_WORDS[str(error.validator)].format(n=limit)}")
    if error.validator == "propertyNames":
        return FieldError(name, f"{name} has a field name longer than the limit")
    message = schema.get("x-message")
    if not message:
        parent = error.parent.schema if error.parent is not None and isinstance(error.parent.schema, dict) else {}
        message = parent.get("x-message") or "has a value of the wrong kind"
    if message.startswith("the body"):
        return FieldError(name, message)
    return FieldError(name, f"{name} {message}, not {describe(error.instance)}")


def schema_problems(data: Any, part: str | None = None) -> list[FieldError]:
    """Every shape problem of a whole trace request body (``part`` None) or of one part of it as the web form
    builds them: ``"request_object"``, ``"journey"`` or ``"options"`` (a definition of the schema)."""
    data_path: tuple[Any, ...] = () if part is None else ("request",) if part.startswith("request") else (part,)
    found: dict[str, FieldError] = {}
    for error in _validator(part).iter_errors(data):
        problem = _explain(error, (*data_path, *error.absolute_path))
        found.setdefault(problem.field, problem)
    return sorted(found.values(), key=lambda p: p.field)


def check(data: Any, part: str | None = None) -> None:
    """Raise InputErrors with every shape problem of ``data`` (see :func:`schema_problems`)."""
    problems = schema_problems(data, part)
    if problems:
        raise InputErrors(problems)
