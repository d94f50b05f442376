"""The trace page's iterate controls: edit and trace again, follow the redirect, and where the trace came from
(and what was traced from it), as one dict for templates/tracer/_trace_iterate.html."""

from __future__ import annotations

from typing import Any

from django import template

from tracer.compare import ORIGIN_WORDS, pair_relation
from tracer.engine.http_status import status_text
from tracer.families import FAMILY_TITLES, trace_family
from tracer.models import Snapshot, Trace
from tracer.scenario_prefill import follow_redirect

register = template.Library()

LATER_WORDS = {"fix": "after a fix", "rerun": "re-run", "edit": "edited", "redirect": "redirect followed",
               "dataplane": "on another data plane"}


@register.simple_tag(takes_context=True)
def trace_iterate(context: template.Context, trace: Trace) -> dict[str, Any]:
    can_write = context.get("can_write")
    if can_write is None:  # a page whose view did not say: ask the workspace
        user = getattr(context.get("request"), "user", None)
        can_write = user is not None and trace.workspace.can_write(user)
    imported = trace.snapshot.source == Snapshot.Source.IMPORT
    follow = None if imported else follow_redirect(trace)
    original = trace.before
    relation = pair_relation(original, trace) if original is not None else ""
    later = [
        {"trace": t, "words": LATER_WORDS.get(pair_relation(trace, t), "traced again")}
        for t in trace.after.select_related("scenario", "snapshot").order_by("-queued_at")[:5]
    ]
    family = "" if imported else trace_family(trace)
    return {
        "can_write": bool(can_write),
        # The families this request can be traced on besides the one that handled it (a compare action).
        "families": [] if imported else [{"family": f, "title": t} for f, t in FAMILY_TITLES.items() if f != family],
        "follow": follow,
        "follow_status": status_text(follow.status) if follow else "",
        "original": original,
        "relation": relation,
        "origin_words": ORIGIN_WORDS.get(relation, "Compared with"),
        "later": later,
        "empty": not (can_write or follow or original or later),
    }
