"""Two traces side by side (before and after a fix, a re-run on another snapshot, an edit, a followed
redirect, or any two of a workspace): request by request, then hop by hop; and the saved scenarios whose
outcome changes between two snapshots.

Requests are aligned by position (a journey's step order); the first request whose method, URL, status,
error or refusal differs is marked, and its hops are laid side by side with the first differing hop marked.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from tracer.engine import TracerError
from tracer.engine.comparison import same_hop
from tracer.engine.fixes import request_failed
from tracer.engine.http_status import status_text

from .families import family_title, trace_family
from .journey_table import is_journey_trace
from .models import Scenario, Snapshot, Trace
from .presenters import option_words
from .runner import get_engine
from .scenario_prefill import follow_redirect, header_lines

Json = dict[str, Any]
logger = logging.getLogger(__name__)


def _key(r: Json | None) -> tuple[Any, ...] | None:
    if r is None:
        return None
    req = r.get("request") or {}
    return (req.get("method"), req.get("url"), r.get("status"), r.get("error"), r.get("blocked"))


def _line(r: Json | None, i: int) -> Json | None:
    if r is None:
        return None
    req = r.get("request") or {}
    step = r.get("step") or {}
    status = status_text(r.get("status"), r.get("error"))
    if r.get("blocked"):
        status += f" (blocked: {r['blocked']})"
    return {
        "index": step.get("index", i + 1),
        "cause": step.get("cause", "request"),
        "method": req.get("method", ""),
        "url": req.get("url", ""),
        "status": status,
        "ok": not request_failed(r),
    }


def _hop(h: Json | None) -> Json | None:
    if h is None:
        return None
    status = h.get("status")
    return {"component": h.get("component", ""), "name": h.get("name", ""),
            "status": "" if status is None else str(status), "outcome": h.get("outcome", ""),
            "summary": h.get("summary", "")}


def outcome(result: Json | None) -> Json:
    """One line for a whole trace: a single request's status, or a journey's success or first failure."""
    requests = (result or {}).get("requests") or []
    bad = next((i for i, r in enumerate(requests) if request_failed(r)), None)
    if not requests:
        return {"ok": False, "text": "no result yet"}
    if not is_journey_trace(requests):
        final = requests[-1]
        return {"ok": not request_failed(final), "text": status_text(final.get("status"), final.get("error"))}
    if bad is None:
        return {"ok": True, "text": f"all {len(requests)} requests succeed" if len(requests) > 1 else "succeeds"}
    line = _line(requests[bad], bad)
    assert line is not None
    return {"ok": False, "text": f"request {line['index']} {line['method']} {line['url']}: {line['status']}"}


def _hop_rows(rb: Json | None, ra: Json | None) -> tuple[list[Json], int | None]:
    """The hops of two requests side by side, and the position of the first that differs (None: the same)."""
    hb, ha = (rb or {}).get("hops") or [], (ra or {}).get("hops") or []
    rows: list[Json] = []
    first: int | None = None
    for j in range(max(len(ha), len(hb))):
        rawb, rawa = (hb[j] if j < len(hb) else None), (ha[j] if j < len(ha) else None)
        xb, xa = _hop(rawb), _hop(rawa)
        same = same_hop(rawb, rawa)  # a forwarding hop only passes back the status the deciding hop chose
        if not same and first is None:
            first = j
        rows.append({"before": xb, "after": xa, "differs": not same, "first": not same and first == j})
    return rows, first


def compare(before: Json | None, after: Json | None) -> Json:
    """Request rows (a row differs in its method, URL, status, error or refusal, or else in its path of hops:
    a canary header that picks another Service answers 200 on both sides), and the hops of the first row
    that differs."""
    b = (before or {}).get("requests") or []
    a = (after or {}).get("requests") or []
    rows = []
    first: int | None = None
    hops: list[Json] = []
    for i in range(max(len(a), len(b))):
        rb, ra = (b[i] if i < len(b) else None), (a[i] if i < len(a) else None)
        pair_hops, first_hop = _hop_rows(rb, ra)
        differs = _key(rb) != _key(ra) or first_hop is not None
        if differs and first is None:
            first, hops = i, pair_hops
        rows.append({"before": _line(rb, i), "after": _line(ra, i), "differs": differs, "first": differs and first == i})
    return {"rows": rows, "first": first, "hops": hops, "before": outcome(before), "after": outcome(after)}


def outcome_key(result: Json | None) -> tuple[Any, ...]:
    """What two outcomes are compared on: a single request's final status and error; a journey's success,
    or its first failing request (position, method, URL, status, error, refusal)."""
    requests = (result or {}).get("requests") or []
    if not requests:
        return ("none",)
    if not is_journey_trace(requests):
        final = requests[-1]
        return ("request", final.get("status"), final.get("error"))
    bad = next((i for i, r in enumerate(requests) if request_failed(r)), None)
    return ("ok",) if bad is None else ("failed", bad, *(_key(requests[bad]) or ()))


# -- a pair of traces ----------------------------------------------------------------------------------

# How the right-hand trace came from the left-hand one, and what each side is called.
TITLES = {
    "fix": ("Before", "After"),
    "rerun": ("Original", "Re-run"),
    "edit": ("Original", "Edited"),
    "redirect": ("Redirect", "Followed"),
    "other": ("Other trace", "This trace"),
    "dataplane": ("One data plane", "Another data plane"),  # named after the families on the page
}
ORIGIN_WORDS = {
    "fix": "Re-traced after a fix of",
    "rerun": "Re-run of",
    "edit": "Edited from",
    "redirect": "Redirected from",
    "dataplane": "Traced on another data plane from",
}


def pair_relation(left: Trace, right: Trace) -> str:
    """How ``right`` came from ``left`` (a key of TITLES); "other" for two traces compared by choice."""
    if str((right.snapshot.derivation or {}).get("trace") or "") == str(left.pk):
        return "fix"  # tracer/fixing.py records the trace a fix was derived from
    if is_dataplane_pair(left, right):
        return "dataplane"
    if right.before_id != left.pk:
        return "other"
    if right.scenario_id == left.scenario_id:
        return "rerun"
    nxt = follow_redirect(left) if right.snapshot_id == left.snapshot_id else None
    req = right.scenario.request
    if nxt is not None and nxt.request and (nxt.method, nxt.url) == (req.get("method"), req.get("url")):
        return "redirect"
    return "edit"


def _without_controller(options: Json) -> Json:
    return {k: v for k, v in (options or {}).items() if k not in ("controller", "controller_class")}


def is_dataplane_pair(left: Trace, right: Trace) -> bool:
    """The same request on the same snapshot, forced onto different controller families."""
    a, b = left.scenario, right.scenario
    return (left.snapshot_id == right.snapshot_id and a.request == b.request
            and (a.options or {}).get("controller") != (b.options or {}).get("controller")
            and _without_controller(a.options) == _without_controller(b.options))


# Scenario fields (a request's and a journey spec's) as people name them.
FIELD_LABELS = {
    "method": "Method", "url": "URL", "start": "URL", "headers": "Headers", "http_version": "HTTP version",
    "httpVersion": "HTTP version", "client_ip": "Client IP", "clientIP": "Client IP", "body_bytes": "Body size",
    "sni": "TLS server name", "via": "Via", "cookies": "Cookies", "idleSeconds": "WebSocket idle (s)",
    "followRedirects": "Follow redirects", "loadAssets": "Load assets", "openWebSockets": "Open WebSockets",
    "favicon": "Favicon", "strictTLS": "Strict TLS",
}
# The values a field has when the scenario does not say (tracer/engine/request.py, journey/spec.py).
FIELD_DEFAULTS = {"http_version": "1.1", "httpVersion": "1.1", "method": "GET", "followRedirects": "on",
                  "loadAssets": "on", "openWebSockets": "on", "favicon": "off", "strictTLS": "off"}


def _words(value: Any) -> str:
    """A stored value as people read it: switches on/off, headers as 'Name: value', mappings as name=value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_words(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(_words(v) for v in value)
    return str(value)


def _fields(scenario: Scenario) -> dict[str, str]:
    spec = scenario.journey
    raw = spec if spec is not None else scenario.request
    out = {"Kind": "browser journey" if spec is not None else "single request"}
    for key, value in raw.items():
        label = FIELD_LABELS.get(key, key)
        text = "; ".join(header_lines(value).splitlines()) if key == "headers" else _words(value)
        if text and text != FIELD_DEFAULTS.get(key):
            out[label] = text
    out["Options"] = ", ".join(option_words(scenario.options))
    return out


def scenario_differences(left: Scenario, right: Scenario) -> list[Json]:
    """What two scenarios ask differently, field by field ("" where one does not say)."""
    a, b = _fields(left), _fields(right)
    return [{"label": k, "left": a.get(k, ""), "right": b.get(k, "")} for k in dict.fromkeys([*a, *b])
            if a.get(k, "") != b.get(k, "")]


def _family_titles(left: Trace, right: Trace) -> tuple[str, str]:
    return family_title(trace_family(left)), family_title(trace_family(right))


def compare_traces(left: Trace, right: Trace) -> Json:
    """The comparison of two traces (left the earlier or chosen one, right this one) for the compare page."""
    kind = pair_relation(left, right)
    return {
        **compare(left.result if left.state == Trace.State.DONE else None,
                  right.result if right.state == Trace.State.DONE else None),
        "relation": kind,
        "titles": _family_titles(left, right) if kind == "dataplane" else TITLES[kind],
        "same_scenario": left.scenario_id == right.scenario_id,
        "differences": [] if left.scenario_id == right.scenario_id else scenario_differences(left.scenario,
                                                                                              right.scenario),
        "same_snapshot": left.snapshot_id == right.snapshot_id,
    }


# -- outcomes that change between two snapshots ---------------------------------------------------------

# Scenarios run in the web process for a snapshot diff: at most this many, within about this long.
OUTCOME_SCENARIO_LIMIT = 50
OUTCOME_SECONDS = 5.0


def scenario_outcome(snapshot: Snapshot, scenario: Scenario) -> Json:
    """The scenario traced on the snapshot with the engine here and now: ``ok``, ``text`` and ``key``."""
    try:
        result = get_engine(snapshot, scenario.options).trace(dict(scenario.request)).to_dict()
    except TracerError as exc:  # refused input or options: an outcome as the worker records it
        return {"ok": False, "text": f"the trace fails: {exc}", "key": ("refused", str(exc))}
    except Exception as exc:  # an engine bug must not take the diff page down
        logger.exception("scenario %s on snapshot %s", scenario.pk, snapshot.pk)
        return {"ok": False, "text": f"internal error in the engine: {type(exc).__name__}",
                "key": ("internal", type(exc).__name__)}
    return {**outcome(result), "key": outcome_key(result)}


@dataclass
class OutcomeChange:
    scenario: Scenario
    before: Json  # the outcome on the first snapshot
    after: Json  # on the second
    before_trace: Trace | None  # the latest stored trace of the scenario on each snapshot, if any
    after_trace: Trace | None

    @property
    def asked(self) -> str:
        """What the label (method and URL) leaves out: the other fields and options, as the compare page says."""
        fields = _fields(self.scenario)
        return " · ".join(f"{k}: {v}" for k, v in fields.items() if k not in ("Kind", "Method", "URL") and v)


@dataclass
class OutcomeChanges:
    total: int = 0  # distinct scenarios traced on either snapshot
    compared: int = 0
    changes: list[OutcomeChange] = field(default_factory=list)
    note: str = ""  # why nothing could be run
    limit: int = OUTCOME_SCENARIO_LIMIT  # the budget it ran under
    seconds: float = OUTCOME_SECONDS

    @property
    def skipped(self) -> int:
        return self.total - self.compared


def latest_trace(scenario: Scenario, snapshot: Snapshot) -> Trace | None:
    return Trace.objects.filter(scenario=scenario, snapshot=snapshot).order_by("-queued_at").first()


def recent_scenarios(snapshots: list[Snapshot], limit: int) -> tuple[int, list[Scenario]]:
    """The distinct scenarios traced on ``snapshots``, newest trace first: how many there are, and the first
    ``limit`` of them (what the outcome checks run within their budget)."""
    order: dict[Any, None] = {}
    rows = Trace.objects.filter(snapshot__in=snapshots).order_by("-queued_at").values_list("scenario_id", flat=True)
    for scenario_id in rows.iterator(chunk_size=2000):
        order.setdefault(scenario_id, None)
    chosen = list(order)[:limit]
    scenarios = Scenario.objects.in_bulk(chosen)
    return len(order), [scenarios[i] for i in chosen]


def outcome_changes(
    before: Snapshot, after: Snapshot, *, limit: int | None = None, seconds: float | None = None
) -> OutcomeChanges:
    """Run every scenario traced on either snapshot (newest first) on both, within the budget, and list those
    whose outcome differs. The first scenario always runs; the others only while time is left."""
    limit = OUTCOME_SCENARIO_LIMIT if limit is None else limit
    seconds = OUTCOME_SECONDS if seconds is None else seconds
    if Snapshot.Source.IMPORT in (before.source, after.source):
        return OutcomeChanges(note="An imported trace's snapshot holds no objects, so nothing can be run on it.")
    total, chosen = recent_scenarios([before, after], limit)
    found = OutcomeChanges(total=total, limit=limit, seconds=seconds)
    deadline = time.monotonic() + seconds
    for scenario in chosen:
        if found.compared and time.monotonic() >= deadline:
            break
        a, b = scenario_outcome(before, scenario), scenario_outcome(after, scenario)
        found.compared += 1
        if a["key"] != b["key"]:
            found.changes.append(OutcomeChange(scenario, a, b, latest_trace(scenario, before),
                                               latest_trace(scenario, after)))
    return found
