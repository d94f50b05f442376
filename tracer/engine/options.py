"""Engine options (the keyword arguments of :func:`tracer.engine.trace`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import OptionError

CONTROLLERS = ("ingress-nginx", "ingress-spec", "traefik-v1", "traefik", "istio", "knative", "gateway-api")


@dataclass(frozen=True, slots=True)
class Options:
    controller: str | None = None
    controller_class: str | None = None
    assume_endpoints: bool = False
    seed: int | None = None
    app_profiles: dict[str, Any] = field(default_factory=dict)
    faults: list[dict[str, Any]] = field(default_factory=list)

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
        kwargs["app_profiles"] = dict(kwargs.get("app_profiles") or {})
        kwargs["faults"] = list(kwargs.get("faults") or [])
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, False, {}, [])}
