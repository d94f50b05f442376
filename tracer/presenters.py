"""Data shaping for templates: snapshot diffs, YAML rendering, trace pages. No request handling here."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from .diagram import layout, markdown_summary, outcome_class, status_text
from .journey_table import is_journey_trace, journey_rows
from .models import Snapshot, SnapshotObject, Trace

YAML_EXCERPT_LINES = 60


def to_yaml(body: Any) -> str:
    return yaml.safe_dump(body, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)


def yaml_lines(body: Any, limit: int | None = None) -> tuple[list[str], bool]:
    lines = to_yaml(body).splitlines()
    if limit is not None and len(lines) > limit:
        return lines[:limit], True
    return lines, False


# -- snapshot diff -------------------------------------------------------------------------------------


@dataclass
class SnapshotDiff:
    added: list[tuple[str, str, str, str]] = field(default_factory=list)
    removed: list[tuple[str, str, str, str]] = field(default_factory=list)
    changed: list[tuple[str, str, str, str]] = field(default_factory=list)
    unchanged: int = 0
    patches: dict[tuple[str, str, str, str], str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    @property
    def changed_rows(self) -> list[dict[str, Any]]:
        return [{"key": key, "patch": self.patches.get(key, "")} for key in self.changed]


def _hashes(snapshot: Snapshot) -> dict[tuple[str, str, str, str], str]:
    rows = snapshot.k8s_objects.values_list("group", "kind", "namespace", "name", "body_hash").iterator(chunk_size=5000)
    return {(g, k, ns, n): h for g, k, ns, n, h in rows}


def diff_snapshots(before: Snapshot, after: Snapshot, max_patches: int = 25) -> SnapshotDiff:
    """Objects added, removed and changed by key (group, kind, namespace, name); YAML patches for the first few."""
    a, b = _hashes(before), _hashes(after)
    diff = SnapshotDiff(
        added=sorted(set(b) - set(a), key=lambda k: (k[1], k[2], k[3])),
        removed=sorted(set(a) - set(b), key=lambda k: (k[1], k[2], k[3])),
        changed=sorted((k for k in set(a) & set(b) if a[k] != b[k]), key=lambda k: (k[1], k[2], k[3])),
    )
    diff.unchanged = len(set(a) & set(b)) - len(diff.changed)
    for key in diff.changed[:max_patches]:
        g, k, ns, n = key
        old = before.k8s_objects.filter(group=g, kind=k, namespace=ns, name=n).values_list("body", flat=True).first()
        new = after.k8s_objects.filter(group=g, kind=k, namespace=ns, name=n).values_list("body", flat=True).first()
        diff.patches[key] = "".join(
            difflib.unified_diff(
                to_yaml(old).splitlines(keepends=True),
                to_yaml(new).splitlines(keepends=True),
                fromfile=f"{before.name}",
                tofile=f"{after.name}",
                n=2,
            )
        )
    return diff


# -- trace pages ---------------------------------------------------------------------------------------

HopUrl = Callable[[int, int], str]


def option_words(options: dict[str, Any] | None) -> list[str]:
    """Engine options as people read them ("endpoints assumed", "seed 0"), never as ``key=True``; options
    left unset or off are not shown."""
    words = []
    for key, value in (options or {}).items():
        if value is None or value is False or value in ("", {}, []):
            continue
        if key == "assume_endpoints":
            words.append("endpoints assumed")
        elif key == "app_profiles" and isinstance(value, dict):
            words.append(f"app profiles for {', '.join(map(str, value))}")
        elif key == "app_profiles" and isinstance(value, list):
            names = [str((d.get("metadata") or {}).get("name")) for d in value if isinstance(d, dict)]
            words.append(f"app profiles {', '.join(names)}")
        elif key == "app_profiles" and isinstance(value, str):
            words.append(f"app profiles from {value}")
        elif key == "faults" and isinstance(value, list):
            words.append(f"{len(value)} fault{'' if len(value) == 1 else 's'} injected")
        elif value is True:
            words.append(key.replace("_", " "))
        else:
            words.append(f"{key.replace('_', ' ')} {value}")
    return words


def backend_text(backend: dict[str, Any] | None) -> str:
    """``ns/service:port``, or words when the port reference resolved to no Service port."""
    if not backend:
        return ""
    where = f"{backend.get('namespace')}/{backend.get('service')}"
    port = backend.get("port")
    return f"{where}:{port}" if port is not None else f"{where} (port not resolved)"


def pod_text(pod: dict[str, Any] | None) -> str:
    """The pod's name; its address when the endpoint names no pod; words when the snapshot gives neither."""
    if not pod:
        return ""
    if pod.get("name"):
        return str(pod["name"])
    if pod.get("ip"):
        port = pod.get("port")
        return f"{pod['ip']}:{port if port is not None else '?'}"
    return "name not in the snapshot"


def hop_rows(req: dict[str, Any], r: int, hop_url: HopUrl) -> list[dict[str, Any]]:
    rows = []
    for i, hop in enumerate(req.get("hops") or []):
        status, outcome = hop.get("status"), str(hop.get("outcome") or "forward")
        rows.append(
            {
                "index": i,
                "number": i + 1,
                "hop": hop,
                "text": status_text(status, outcome),
                "css": outcome_class(status, outcome),
                "url": hop_url(r, i),
            }
        )
    return rows


def trace_context(trace: Trace, hop_url: HopUrl, *, title_url: str = "") -> dict[str, Any]:
    """Everything the result partial needs: per request its diagram, hop rows, diagnoses; the Markdown."""
    result = trace.result or {}
    requests = []
    for r, req in enumerate(result.get("requests") or []):
        diagram = layout(req)
        for arrow in diagram.arrows:
            if arrow.hop >= 0:
                arrow.url = hop_url(r, arrow.hop)
                arrow.href = f"?hop={r}.{arrow.hop}#hop-details-{r}"
                arrow.target = f"#hop-details-{r}"
        requests.append(
            {
                "index": r,
                "req": req,
                "diagram": diagram,
                "hops": hop_rows(req, r, hop_url),
                "final_text": diagram.final_label,
                "final_css": diagram.final_css,
                "diagnoses": req.get("diagnoses") or [],
                "backend": backend_text(req.get("backend")),
                "installation": (req.get("installation") or {}).get("reason", ""),
                "other_controllers": [
                    {**b, "text": status_text(b.get("status"), "respond", b.get("error"))}
                    for b in req.get("branches") or []
                    if b.get("kind") == "controller"
                ],
                "pod": pod_text(req.get("pod")),
            }
        )
    raw_requests = result.get("requests") or []
    journey = journey_rows(raw_requests) if is_journey_trace(raw_requests) else []
    return {
        "requests": requests,
        "journey": journey,
        "journey_failure": next((row for row in journey if row["first_failure"]), None),
        "markdown": markdown_summary(result, title=trace.scenario.label, url=title_url) if result else "",
        "engine_warnings": result.get("warnings") or [],
    }


def _same_object(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a.get("kind"), a.get("namespace") or "", a.get("name")) == (
        b.get("kind"),
        b.get("namespace") or "",
        b.get("name"),
    )


def hop_context(trace: Trace, r: int, i: int) -> dict[str, Any] | None:
    """The hop's details with each object's stored YAML excerpt; None when the indexes are out of range."""
    requests = (trace.result or {}).get("requests") or []
    if not (0 <= r < len(requests)):
        return None
    req = requests[r]
    hops = req.get("hops") or []
    if not (0 <= i < len(hops)):
        return None
    hop = hops[i]
    objects = []
    for ref in hop.get("objects") or []:
        row = (
            SnapshotObject.objects.filter(
                snapshot=trace.snapshot,
                kind=ref.get("kind") or "",
                namespace=ref.get("namespace") or "",
                name=ref.get("name") or "",
            )
            .only("group", "kind", "namespace", "name", "file", "line", "body", "snapshot_id")
            .first()
        )
        lines, truncated = yaml_lines(row.body, YAML_EXCERPT_LINES) if row else ([], False)
        objects.append({"ref": ref, "row": row, "lines": lines, "truncated": truncated})
    diagnoses = [
        d
        for d in req.get("diagnoses") or []
        if any(_same_object(o, ref) for o in d.get("objects") or [] for ref in hop.get("objects") or [])
    ]
    if i == len(hops) - 1:
        diagnoses += [d for d in req.get("diagnoses") or [] if d not in diagnoses and not d.get("objects")]
    changes = []
    for key, value in (hop.get("changes") or {}).items():
        if isinstance(value, dict) and ("before" in value or "after" in value):
            changes.append({"key": key, "before": _text(value.get("before")), "after": _text(value.get("after"))})
        else:
            changes.append({"key": key, "value": _text(value)})
    details = [{"key": k, "value": _text(v)} for k, v in (hop.get("details") or {}).items()]
    status, outcome = hop.get("status"), str(hop.get("outcome") or "forward")
    return {
        "r": r,
        "i": i,
        "number": i + 1,
        "hop": hop,
        "text": status_text(status, outcome),
        "css": outcome_class(status, outcome),
        "objects": objects,
        "diagnoses": diagnoses,
        "changes": changes,
        "details": details,
        "upstream": req.get("upstream") if hop.get("component") == "pod" else None,
    }


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
