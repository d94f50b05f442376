"""One pass of the stale-trace sweep: re-enqueue traces stuck in queued or running."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tracer.queue import requeue_stale_traces


class Command(BaseCommand):
    help = "Re-enqueue traces queued or running for longer than TRACER_STALE_SECONDS / TRACER_RUNNING_STALE_SECONDS."

    def handle(self, *args: Any, **options: Any) -> None:
        count = requeue_stale_traces()
        self.stdout.write(f"requeued {count} trace(s)")
