"""Data shaping for templates: snapshot diffs, YAML rendering, trace pages. No request handling here."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from tracer.engine.printable import printable, printable_tree

from .diagram import (
    LOOKED_UP,
    hop_words,
    layout,
    layout_vertical,
    looked_up,
    request_verdicts,
    status_text,
)
from .journey_table import is_journey_trace, journey_rows
from .markdown_export import markdown_summary
from .models import Snapshot, SnapshotObject, Trace
from .rule_pages import rule_ref
from .value_caps import cut_values

YAML_EXCERPT_LINES = 60


def to_yaml(body: Any) -> str:
    return yaml.safe_dump(body, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)


def yaml_lines(body: Any, limit: int | None = None) -> tuple[list[str], bool]:
    """YAML lines for display: long values cut (value_caps), control characters visible (printable)."""
    lines = to_yaml(cut_values(body)).splitlines()
    if limit is not None and len(lines) > limit:
        return [printable(line) for line in lines[:limit]], True
    return [printable(line) for line in lines], False


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


# What the words on a hop mean (the legend next to the hop list, docs/engine.md trace-v1).
VERDICT_HELP: tuple[tuple[str, str], ...] = (
    ("forwarded", "passed the request on, and the answer back"),
    ("answered", "produced the answer itself: the controller's own 404 or 503, or the pod's answer"),
    ("redirected", "answered with a redirect (301, 302, 303, 307 or 308)"),
    ("dropped", "the connection ended here below HTTP: timeout, refused, reset, TLS error"),
    ("assumed", "what it answered is assumed, not known: a pod without an app profile, a controller tracer "
                "does not simulate"),
    ("looked up", "a lookup the deciding hop made (the Service and Endpoints the controller reads itself, an auth "
                  "service it asks); the request did not pass through it"),
    ("decided here", "the hop whose decision determined the answer; only it carries the status colour"),
)
CONFIDENCE_HELP: tuple[tuple[str, str], ...] = (
    ("from the snapshot", "read from the manifests (no tag)"),
    ("inferred", "worked out from what the snapshot holds, e.g. pods inferred from a Deployment without pod status"),
    ("assumed", "the snapshot cannot tell, so tracer assumes the usual case (dashed in the diagram)"),
)
CONFIDENCE_WORDS = {"from-snapshot": "from the snapshot", "inferred": "inferred", "assumed": "assumed"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
# Abbreviations kept in capitals when a key becomes words.
ACRONYMS = {"ip": "IP", "ips": "IPs", "tls": "TLS", "url": "URL", "uri": "URI", "http": "HTTP", "https": "HTTPS",
            "id": "ID", "sni": "SNI", "cors": "CORS", "hsts": "HSTS", "dns": "DNS", "tcp": "TCP", "udp": "UDP",
            "vip": "VIP", "lb": "LB", "nat": "NAT", "sep": "SEP", "svc": "Service", "ns": "namespace"}
UNITS = {"ms": "(ms)", "s": "(s)", "seconds": "(s)", "bytes": "(bytes)"}
_IDENTIFIER = re.compile(r"[a-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
MAX_VALUE_DEPTH = 5


def human_label(key: Any) -> str:
    """A details key as words: ``headers_added`` -> "Headers added", ``clusterIP`` -> "Cluster IP",
    ``latency_ms`` -> "Latency (ms)". Keys that are not identifiers (header names, annotations) stay as written."""
    text = str(key)
    if not _IDENTIFIER.fullmatch(text):
        return text
    words = [w for part in text.split("_") for w in _CAMEL.findall(part)]
    out = []
    for n, word in enumerate(words):
        low = word.lower()
        if n == len(words) - 1 and n > 0 and low in UNITS:
            out.append(UNITS[low])
        elif low in ACRONYMS:
            out.append(ACRONYMS[low])
        else:
            out.append(low)
    label = " ".join(out)
    return label[:1].upper() + label[1:]


def present_value(value: Any, depth: int = 0) -> dict[str, Any]:
    """A JSON value as nodes the hop partial renders: text, a definition list (a dict, keys in words), a bullet
    list (a list), or a table (a list of dicts with the same keys). Never JSON, never a Python literal."""
    if isinstance(value, dict):
        if not value:
            return {"kind": "text", "text": "none"}
        if depth >= MAX_VALUE_DEPTH:
            return {"kind": "text", "text": "; ".join(f"{human_label(k)}: {_flat(v)}" for k, v in value.items())}
        return {"kind": "dl", "items": [{"label": human_label(k), "value": present_value(v, depth + 1)}
                                        for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        if not value:
            return {"kind": "text", "text": "none"}
        if depth >= MAX_VALUE_DEPTH:
            return {"kind": "text", "text": "; ".join(_flat(v) for v in value)}
        if len(value) > 1 and all(isinstance(v, dict) and v for v in value):
            keys = list(value[0])
            if all(list(v) == keys for v in value) and not any(isinstance(x, (dict, list)) for v in value
                                                                 for x in v.values()):
                return {"kind": "table", "columns": [human_label(k) for k in keys],
                        "rows": [[_scalar(v[k]) for k in keys] for v in value]}
        return {"kind": "list", "items": [present_value(v, depth + 1) for v in value]}
    return {"kind": "text", "text": _scalar(value)}


def _scalar(value: Any) -> str:
    if value is None:
        return "—"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, (dict, list, tuple)):
        return _flat(value)
    return str(value)


def _flat(value: Any) -> str:
    """A nested value on one line, in words (for the deepest levels and table cells)."""
    if isinstance(value, dict):
        return "; ".join(f"{human_label(k)}: {_flat(v)}" for k, v in value.items()) or "none"
    if isinstance(value, (list, tuple)):
        return ", ".join(_flat(v) for v in value) or "none"
    return _scalar(value)


def _rule_items(rules: list[Any]) -> list[dict[str, str]]:
    """Each rule id with its title from the rule catalog (the id links to its rules page in the template)."""
    out = []
    for rule in rules:
        ref = rule_ref(str(rule))
        out.append({"id": str(rule), "title": ref.title if ref is not None else ""})
    return out


def hop_link(r: int, i: int) -> str:
    """The trace page's own URL for one hop (?hop=R.I): the deep link, pushed to the address bar on open."""
    return f"?hop={r}.{i}"


def hop_rows(req: dict[str, Any], r: int, hop_url: HopUrl) -> list[dict[str, Any]]:
    """The hop list: each hop's verdict in words; the status and its colour only on the hop that decided."""
    verdicts, decided_by = request_verdicts(req)
    consulted = looked_up(verdicts, decided_by)
    rows = []
    for i, hop in enumerate(req.get("hops") or []):
        decided = i == decided_by
        words, css = hop_words(hop, verdicts[i], decided=decided, consulted=i in consulted)
        rows.append(
            {
                "index": i,
                "number": i + 1,
                "hop": hop,
                "verdict": verdicts[i],
                "verdict_text": LOOKED_UP if i in consulted else verdicts[i],
                "decided": decided,
                "consulted": i in consulted,
                "text": words,
                "css": css,
                "confidence": CONFIDENCE_WORDS.get(str(hop.get("confidence") or "from-snapshot"), "assumed"),
                "url": hop_url(r, i),
                "link": hop_link(r, i),
            }
        )
    return rows


def _same_object(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a.get("kind"), a.get("namespace") or "", a.get("name")) == (
        b.get("kind"),
        b.get("namespace") or "",
        b.get("name"),
    )


def _touches(diagnosis: dict[str, Any], hop: dict[str, Any]) -> bool:
    return any(_same_object(o, ref) for o in diagnosis.get("objects") or [] for ref in hop.get("objects") or [])


def diagnosis_hop(diagnosis: dict[str, Any], hops: list[dict[str, Any]], decided_by: int | None) -> int | None:
    """The hop a diagnosis explains: one whose objects it names (the deciding hop first), else one that applies its
    rule, else, for a diagnosis that names no object, the deciding hop; None when none fits."""
    for matches in (
        [i for i, h in enumerate(hops) if _touches(diagnosis, h)],
        [i for i, h in enumerate(hops) if diagnosis.get("rule") and diagnosis.get("rule") in (h.get("rules") or [])],
    ):
        if matches:
            return decided_by if decided_by in matches else matches[0]
    return decided_by if not diagnosis.get("objects") else None


def diagnosis_rows(req: dict[str, Any], r: int, hop_url: HopUrl, decided_by: int | None) -> list[dict[str, Any]]:
    """The diagnoses errors first, then warnings, then info (each kind in the engine's order), each with the hop it
    explains; ``index`` stays the diagnosis's place in the trace (what Apply fix posts)."""
    hops = req.get("hops") or []
    rows = []
    for k, d in enumerate(req.get("diagnoses") or []):
        at = diagnosis_hop(d, hops, decided_by)
        hop = None
        if at is not None:
            h = hops[at]
            hop = {"index": at, "number": at + 1, "component": h.get("component"), "name": h.get("name"),
                   "url": hop_url(r, at), "link": hop_link(r, at)}
        rows.append({"d": d, "index": k, "hop": hop})
    return sorted(rows, key=lambda row: SEVERITY_ORDER.get(str(row["d"].get("severity")), len(SEVERITY_ORDER)))


def trace_context(trace: Trace, hop_url: HopUrl, *, title_url: str = "") -> dict[str, Any]:
    """Everything the result partial needs: per request its diagram, hop rows, diagnoses; the Markdown."""
    result = printable_tree(trace.result or {})  # control characters and bidi overrides shown as \x1b, \u202e
    requests = []
    for r, req in enumerate(result.get("requests") or []):
        diagram = layout(req)
        vertical = layout_vertical(req)
        for arrow in diagram.arrows:
            if arrow.hop >= 0:
                arrow.url = hop_url(r, arrow.hop)
                arrow.href = f"{hop_link(r, arrow.hop)}#hop-details-{r}"
                arrow.push = hop_link(r, arrow.hop)
                arrow.target = f"#hop-details-{r}"
        for box in vertical.boxes:
            if box.hop >= 0:
                box.url = hop_url(r, box.hop)
                box.href = f"{hop_link(r, box.hop)}#hop-details-{r}"
                box.push = hop_link(r, box.hop)
                box.target = f"#hop-details-{r}"
        requests.append(
            {
                "index": r,
                "req": req,
                "diagram": diagram,
                "vdiagram": vertical,
                "hops": hop_rows(req, r, hop_url),
                "decided_by": diagram.decided_by,
                "final_text": diagram.final_label,
                "final_css": diagram.final_css,
                "diagnoses": diagnosis_rows(req, r, hop_url, diagram.decided_by),
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
        "markdown": markdown_summary(result, title=trace.title, url=title_url) if result else "",
        "engine_warnings": result.get("warnings") or [],
        "verdict_help": VERDICT_HELP,
        "confidence_help": CONFIDENCE_HELP,
    }


def final_words(req: dict[str, Any]) -> str:
    """What the client gets, as the diagram's response arrow says it."""
    status, error = req.get("status"), req.get("error")
    return status_text(status, "respond", error) if (status is not None or error) else "no response"


def _changes(changes: dict[str, Any]) -> list[dict[str, Any]]:
    """A hop's changes in words: a before/after pair as its two sides, anything else as a value node."""
    out = []
    for key, value in changes.items():
        if isinstance(value, dict) and set(value) <= {"before", "after"} and value:
            out.append({"label": human_label(key), "before": present_value(value.get("before")),
                        "after": present_value(value.get("after"))})
        else:
            out.append({"label": human_label(key), "value": present_value(value)})
    return out


def hop_context(trace: Trace, r: int, i: int) -> dict[str, Any] | None:
    """The hop's details with each object's stored YAML excerpt; None when the indexes are out of range."""
    requests = printable_tree(trace.result or {}).get("requests") or []
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
    verdicts, decided_by = request_verdicts(req)
    consulted = i in looked_up(verdicts, decided_by)
    diagnoses = [
        d for d in req.get("diagnoses") or []
        if _touches(d, hop) or diagnosis_hop(d, hops, decided_by) == i
    ]
    diagnoses.sort(key=lambda d: SEVERITY_ORDER.get(str(d.get("severity")), len(SEVERITY_ORDER)))
    decided = i == decided_by
    words, css = hop_words(hop, verdicts[i], decided=decided, consulted=consulted)
    status, outcome = hop.get("status"), str(hop.get("outcome") or "forward")
    return {
        "r": r,
        "i": i,
        "number": i + 1,
        "hop": hop,
        "text": words,
        "css": css,
        "status_text": status_text(status, outcome),
        "final_text": final_words(req),
        "verdict": verdicts[i],
        "verdict_text": LOOKED_UP if consulted else verdicts[i],
        "verdict_help": dict(VERDICT_HELP).get(LOOKED_UP if consulted else verdicts[i], ""),
        "decided": decided,
        "decided_by": decided_by,
        "decider": (hops[decided_by].get("component") if decided_by is not None else ""),
        "confidence": CONFIDENCE_WORDS.get(str(hop.get("confidence") or "from-snapshot"), "assumed"),
        "link": hop_link(r, i),
        "objects": objects,
        "diagnoses": diagnoses,
        "changes": _changes(hop.get("changes") or {}),
        "details": present_value(hop.get("details") or {}) if hop.get("details") else None,
        "rules": _rule_items(hop.get("rules") or []),
        "upstream": req.get("upstream") if hop.get("component") == "pod" else None,
    }
