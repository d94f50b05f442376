"""The controller workload and its command-line flags (defaults: ``pkg/flags/flags.go``).

Finds the ingress-nginx controller container among the workloads of the snapshot, expands its
``$(VAR)`` references, parses Go-style flags, and turns the flags the simulator models into
ControllerConfig attribute values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...snapshot import K8sObject, Snapshot
from .values import parse_bool, split_list

# Controller binary and image, as shipped by the project and the Helm chart.
CONTROLLER_BINARY = "/nginx-ingress-controller"
CONTROLLER_IMAGE_MARKER = "ingress-nginx/controller"
# Kinds that run the controller itself. Their ReplicaSets are left out on purpose: a Deployment and
# its ReplicaSet would otherwise count as two controllers.
CONTROLLER_KINDS = ("Deployment", "DaemonSet", "StatefulSet")
DEFAULT_CONTROLLER_CLASS = "k8s.io/ingress-nginx"

# Flags that take no value; any other bare flag consumes the next argument.
_BOOL_FLAGS = frozenset(
    {
        "ingress-class-by-name",
        "watch-ingress-without-class",
        "disable-catch-all",
        "enable-ssl-passthrough",
        "disable-svc-external-name",
        "enable-topology-aware-routing",
        "update-status",
        "enable-metrics",
        "enable-ssl-chain-completion",
        "v",
    }
)


@dataclass(slots=True)
class ControllerWorkload:
    """A workload running the controller, with its expanded arguments and parsed flags."""

    workload: K8sObject
    container: dict[str, Any]
    args: list[str]
    flags: dict[str, str | None] = field(default_factory=dict)


def _container_args(container: dict[str, Any]) -> list[str]:
    command = container.get("command") or []
    args = container.get("args") or []
    return [str(a) for a in [*command, *args]]


def _expand_env(arg: str, container: dict[str, Any], workload: K8sObject) -> str:
    """Kubernetes $(VAR) expansion, as used by the Helm chart (--configmap=$(POD_NAMESPACE)/...)."""
    if "$(" not in arg:
        return arg
    env: dict[str, str] = {}
    for item in container.get("env") or []:
        if not isinstance(item, dict) or "name" not in item:
            continue
        if "value" in item:
            env[str(item["name"])] = str(item["value"])
        else:
            ref = ((item.get("valueFrom") or {}).get("fieldRef") or {}).get("fieldPath")
            if ref == "metadata.namespace":
                env[str(item["name"])] = workload.namespace or "default"
    out = []
    i = 0
    while i < len(arg):
        if arg.startswith("$$(", i):  # escaped reference stays literal
            out.append("$(")
            i += 3
            continue
        if arg.startswith("$(", i):
            end = arg.find(")", i + 2)
            if end != -1 and arg[i + 2 : end] in env:
                out.append(env[arg[i + 2 : end]])
                i = end + 1
                continue
        out.append(arg[i])
        i += 1
    return "".join(out)


def _parse_flags(args: list[str]) -> dict[str, str | None]:
    """--name=value, --name value (Go flag syntax, one or two dashes); a bare --name is None (boolean true)."""
    flags: dict[str, str | None] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-") or arg in ("-", "--"):
            continue
        body = arg.lstrip("-")
        if "=" in body:
            name, value = body.split("=", 1)
            flags[name] = value
        elif i < len(args) and not args[i].startswith("-") and body not in _BOOL_FLAGS:
            flags[body] = args[i]
            i += 1
        else:
            flags[body] = None
    return flags


def _is_controller_container(container: dict[str, Any]) -> bool:
    image = str(container.get("image") or "")
    args = _container_args(container)
    return CONTROLLER_IMAGE_MARKER in image or bool(args and args[0].startswith(CONTROLLER_BINARY))


def find_controllers(snapshot: Snapshot) -> list[ControllerWorkload]:
    """Every workload with a controller container, by namespace/name."""
    found: list[ControllerWorkload] = []
    for kind in CONTROLLER_KINDS:
        for obj in snapshot.of_kind(kind):
            pod_spec = ((obj.spec.get("template") or {}).get("spec")) or {}
            for container in pod_spec.get("containers") or []:
                if isinstance(container, dict) and _is_controller_container(container):
                    args = [_expand_env(a, container, obj) for a in _container_args(container)]
                    found.append(ControllerWorkload(obj, container, args, _parse_flags(args)))
                    break
    found.sort(key=lambda c: (c.workload.namespace or "", c.workload.name))
    return found


def choose_controller(
    snapshot: Snapshot, controller_class: str | None, warn: Callable[[str], None]
) -> ControllerWorkload | None:
    """The controller serving ``controller_class`` (by --controller-class), else the first one found."""
    controllers = find_controllers(snapshot)
    if controller_class is not None:
        for c in controllers:
            if (c.flags.get("controller-class") or DEFAULT_CONTROLLER_CLASS) == controller_class:
                return c
    if not controllers:
        return None
    chosen = controllers[0]
    if len(controllers) > 1:
        warn(
            f"{len(controllers)} ingress-nginx controller workloads found; using {chosen.workload.display()}"
            " (pass the controller class to pick another)"
        )
    return chosen


def _flag_bool(flags: dict[str, str | None], name: str, default: bool, warn: Callable[[str], None]) -> bool:
    if name not in flags:
        return default
    raw = flags[name]
    if raw is None:
        return True
    b = parse_bool(raw)
    if b is None:
        warn(f"flag --{name}={raw} is not a boolean; using the default {str(default).lower()}")
        return default
    return b


def _parse_selector(raw: str, warn: Callable[[str], None]) -> dict[str, str] | None:
    selector: dict[str, str] = {}
    for part in split_list(raw):
        if "!=" in part or " in " in part or " notin " in part or "=" not in part:
            warn(f"--watch-namespace-selector term {part!r} is not an equality term; the simulator ignores it")
            continue
        key, _, value = part.partition("==") if "==" in part else part.partition("=")
        selector[key.strip()] = value.strip()
    return selector or None


def flag_values(chosen: ControllerWorkload, warn: Callable[[str], None]) -> dict[str, Any]:
    """ControllerConfig attribute values set by the controller's flags (absent flags keep their defaults)."""
    f = chosen.flags
    controller_ns = chosen.workload.namespace or "default"
    values: dict[str, Any] = {"controller_found": True, "controller_namespace": controller_ns}
    for flag, attr in (
        ("controller-class", "controller_class"),
        ("ingress-class", "ingress_class"),
        ("watch-namespace", "watch_namespace"),
        ("default-backend-service", "default_backend_service"),
        ("default-ssl-certificate", "default_ssl_certificate"),
    ):
        if f.get(flag):
            values[attr] = str(f[flag]).strip()
    if f.get("annotations-prefix"):
        values["annotations_prefix"] = str(f["annotations-prefix"]).strip().rstrip("/")
    for flag, attr in (
        ("ingress-class-by-name", "ingress_class_by_name"),
        ("watch-ingress-without-class", "watch_ingress_without_class"),
        ("disable-catch-all", "disable_catch_all"),
        ("enable-ssl-passthrough", "enable_ssl_passthrough"),
        ("disable-svc-external-name", "disable_svc_external_name"),
        ("enable-topology-aware-routing", "enable_topology_aware_routing"),
    ):
        values[attr] = _flag_bool(f, flag, False, warn)
    for flag, attr, default in (("http-port", "http_port", 80), ("https-port", "https_port", 443)):
        if f.get(flag):
            try:
                values[attr] = int(str(f[flag]))
            except ValueError:
                warn(f"flag --{flag}={f[flag]} is not a port number; using {default}")
    if f.get("watch-namespace-selector"):
        if f.get("watch-namespace"):
            # flags.go refuses to start with both; keep --watch-namespace and say so (ingress-nginx#1.3).
            warn(
                "--watch-namespace and --watch-namespace-selector are mutually exclusive; the controller "
                "would not start. Using --watch-namespace only"
            )
        else:
            values["watch_namespace_selector"] = _parse_selector(str(f["watch-namespace-selector"]), warn)
    return values
