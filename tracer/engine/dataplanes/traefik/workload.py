"""The Traefik workload of a snapshot: its container, its arguments, the configuration file it mounts, its version.

Traefik reads its static configuration from one place (traefik#T34, #T46): a configuration file (traefik.toml or
traefik.yml, usually a ConfigMap mounted into the pod), or command-line arguments. Both are flattened here to
lower-case dotted keys (``entrypoints.web.address``), which is how Traefik itself treats option names: without
regard to case.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import yaml

from ...k8s import pod_template
from ...snapshot import K8sObject, Snapshot

WORKLOAD_KINDS = ("Deployment", "DaemonSet", "StatefulSet")
# The image's last path element names Traefik (traefik, rancher/mirrored-library-traefik); the tag gives the version.
_IMAGE = re.compile(r"(?:^|/)[a-z0-9._-]*traefik(?::(?P<tag>[^@/]+))?(?:@.*)?$")
_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")
DEFAULT_CONFIG_DIRS = ("/etc/traefik",)
CONFIG_NAMES = ("traefik.toml", "traefik.yml", "traefik.yaml")

Version = tuple[int, int, int]


@dataclass(slots=True)
class TraefikWorkload:
    """One workload running a Traefik container."""

    workload: K8sObject
    container: dict[str, Any]
    image: str
    version: Version | None  # None: the tag names no version (latest, a digest)
    args: list[str]
    config: dict[str, Any] = field(default_factory=dict)  # flattened static configuration from the file
    config_source: str = ""  # "ConfigMap ns/name, key traefik.toml" when a file was read
    config_object: K8sObject | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.workload.display()


def image_version(image: str) -> tuple[bool, Version | None]:
    """Whether ``image`` is a Traefik image, and the version its tag names."""
    m = _IMAGE.search(image.strip())
    if m is None:
        return False, None
    tag = m.group("tag") or ""
    v = _VERSION.match(tag)
    if v is None:
        return True, None
    return True, (int(v.group(1)), int(v.group(2) or 0), int(v.group(3) or 0))


def find_workloads(snapshot: Snapshot) -> list[TraefikWorkload]:
    """Every workload with a Traefik container, in snapshot order per kind."""
    found = []
    for kind in WORKLOAD_KINDS:
        for obj in snapshot.of_kind(kind):
            spec = pod_template(obj).get("spec") or {}
            for container in spec.get("containers") or []:
                if not isinstance(container, dict):
                    continue
                is_traefik, version = image_version(str(container.get("image") or ""))
                if is_traefik:
                    args = [str(a) for a in [*(container.get("command") or []), *(container.get("args") or [])]]
                    wl = TraefikWorkload(obj, container, str(container.get("image")), version, args)
                    _read_config_file(wl, snapshot, spec)
                    found.append(wl)
                    break
    return found


def flag_map(args: list[str]) -> dict[str, Any]:
    """``--a.b=c`` / ``--a.b c`` / bare ``--a.b`` (true) as lower-case dotted keys; repeated keys keep every value."""
    out: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i].strip()
        i += 1
        if not arg.startswith("-"):
            continue
        name, eq, value = arg.lstrip("-").partition("=")
        key = name.lower()
        if not eq:
            if i < len(args) and not args[i].startswith("-"):
                value = args[i]
                i += 1
            else:
                value = "true"
        previous = out.get(key)
        if previous is None:
            out[key] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            out[key] = [previous, value]
    return out


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """A parsed TOML/YAML tree as lower-case dotted keys; lists of scalars stay lists, mappings recurse."""
    out: dict[str, Any] = {}
    if isinstance(tree, dict):
        for k, v in tree.items():
            key = f"{prefix}.{str(k).lower()}" if prefix else str(k).lower()
            if isinstance(v, dict):
                out[key] = True  # a section that exists enables its feature (``[providers.kubernetesCRD]``)
                out.update(flatten(v, key))
            else:
                out[key] = v
    return out


def _config_path(args: list[str]) -> str | None:
    flags = flag_map(args)
    value = flags.get("configfile")
    return str(value[-1] if isinstance(value, list) else value) if value else None


def _read_config_file(wl: TraefikWorkload, snapshot: Snapshot, pod_spec: dict[str, Any]) -> None:
    """The static configuration file the container mounts from a ConfigMap (explicit --configfile, else the
    default /etc/traefik location), parsed and flattened."""
    explicit = _config_path(wl.args)
    wanted = [explicit] if explicit else [f"{d}/{n}" for d in DEFAULT_CONFIG_DIRS for n in CONFIG_NAMES]
    volumes = {str(v.get("name")): v for v in pod_spec.get("volumes") or [] if isinstance(v, dict)}
    ns = wl.workload.namespace
    for path in wanted:
        for mount in wl.container.get("volumeMounts") or []:
            if not isinstance(mount, dict):
                continue
            mount_path = str(mount.get("mountPath") or "").rstrip("/")
            if not mount_path or not path.startswith(mount_path + "/"):
                continue
            volume = volumes.get(str(mount.get("name")))
            cm_ref = (volume or {}).get("configMap")
            if not isinstance(cm_ref, dict):
                continue
            key = _configmap_key(cm_ref, mount, path[len(mount_path) + 1 :])
            cm = snapshot.get("ConfigMap", ns, str(cm_ref.get("name") or ""))
            text = ((cm.body.get("data") or {}) if cm is not None else {}).get(key)
            if cm is None or text is None:
                if explicit:
                    wl.problems.append(
                        f"the configuration file {path} comes from ConfigMap {ns}/{cm_ref.get('name')} (key {key}), "
                        "which the snapshot does not hold"
                    )
                continue
            parsed = _parse(str(text), key)
            if isinstance(parsed, str):
                wl.problems.append(f"ConfigMap {ns}/{cm.name} key {key}: {parsed}")
                continue
            wl.config = flatten(parsed)
            wl.config_source = f"ConfigMap {ns}/{cm.name} (key {key}, mounted as {path})"
            wl.config_object = cm
            return


def _configmap_key(cm_ref: dict[str, Any], mount: dict[str, Any], relative: str) -> str:
    sub = str(mount.get("subPath") or "")
    if sub:
        return sub
    for item in cm_ref.get("items") or []:
        if isinstance(item, dict) and str(item.get("path")) == relative:
            return str(item.get("key"))
    return relative


def _parse(text: str, key: str) -> dict[str, Any] | str:
    """The parsed file, or why it could not be parsed."""
    try:
        if key.endswith(".toml"):
            return tomllib.loads(text)
        loaded = yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        return f"does not parse ({str(exc).splitlines()[0]})"
    return loaded if isinstance(loaded, dict) else "is not a mapping"


def truthy(value: Any, default: bool = False) -> bool:
    """A boolean option as a flag or file writes it (``true``, ``"True"``, ``1``); a bare flag is true."""
    if value is None:
        return default
    if isinstance(value, list):
        value = value[-1]
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "t", "yes"):
        return True
    if text in ("false", "0", "f", "no"):
        return False
    return default


def text_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def port_of(address: Any) -> int | None:
    """The port of an entry point address: ``:80``, ``0.0.0.0:8000/tcp``, ``[::]:443``; None for UDP or garbage."""
    text = text_value(address).strip()
    if text.endswith("/udp"):
        return None
    text = text.removesuffix("/tcp")
    _, _, port = text.rpartition(":")
    return int(port) if port.isdigit() else None


__all__ = [
    "TraefikWorkload",
    "Version",
    "find_workloads",
    "flag_map",
    "flatten",
    "image_version",
    "port_of",
    "text_value",
    "truthy",
]
