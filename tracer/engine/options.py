"""Engine options (the keyword arguments of :func:`tracer.engine.trace`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .budget import budget_seconds
from .errors import OptionError

CONTROLLERS = ("ingress-nginx", "ingress-spec", "traefik-v1", "traefik", "istio", "knative", "gateway-api")


@dataclass(frozen=True, slots=True)
class Options:
    controller: str | None = None
    controller_class: str | None = None
    assume_endpoints: bool = False
    seed: int | None = None
    # AppProfile documents (tracer.engine.profiles), or the path of a file or folder of them.
    app_profiles: list[dict[str, Any]] | str = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    # Seconds one trace may spend routing, all its requests and regexes together (tracer.engine.budget); None:
    # unbounded. A request the budget stops ends with error "budget-exceeded".
    budget_seconds: float | None = None

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> Options:
        unknown = set(kwargs) - set(cls.__dataclass_fields__)
        if unknown:
            raise OptionError(f"unknown option(s): {', '.join(sorted(unknown))}")
        controller = kwargs.get("controller")
        if controller is not None and controller not in CONTROLLERS:
            raise OptionError(f"controller {controller!r} is not one of {', '.join(CONTROLLERS)}")
        seed = kwargs.get("seed")
        if seed is not None and not isinstance(seed, int):
            try:
                kwargs["seed"] = int(seed)
            except (TypeError, ValueError) as exc:
                raise OptionError(f"seed {seed!r} is not an integer") from exc
        kwargs["assume_endpoints"] = bool(kwargs.get("assume_endpoints", False))
        kwargs["app_profiles"] = _app_profiles(kwargs.get("app_profiles"))
        kwargs["faults"] = list(kwargs.get("faults") or [])
        kwargs["budget_seconds"] = budget_seconds(kwargs.get("budget_seconds"))
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, False, {}, [])}


def _app_profiles(value: Any) -> list[dict[str, Any]] | str:
    """A list of AppProfile documents or a path (str or Path) to a file or folder of them."""
    if not value:
        return []
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str):
        if not Path(value).exists():
            raise OptionError(f"app_profiles: {value} does not exist (give a list of AppProfile documents or a path)")
        return value
    if isinstance(value, dict) and value.get("kind"):
        value = [value]  # one document
    if not isinstance(value, list | tuple):
        raise OptionError("app_profiles must be a list of AppProfile documents or a path to a file or folder of them")
    for i, doc in enumerate(value):
        if not isinstance(doc, dict):
            raise OptionError(f"app_profiles[{i}] is not a document (a mapping with apiVersion, kind, metadata, spec)")
    return list(value)
