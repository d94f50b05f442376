"""First run: create a user when there is none, and load examples/ as a demo snapshot when there is none."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from tracer.models import Snapshot, default_workspace


class Command(BaseCommand):
    help = "Create a first user (random password, printed) and a demo snapshot from examples/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--url", default="", help="Where the app is served, for the printed message.")
        parser.add_argument("--examples", default=str(Path(settings.BASE_DIR) / "examples"))

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"] or (
            settings.TRACER_BASE_URL + "/" if settings.TRACER_BASE_URL else "http://127.0.0.1:8000/"
        )
        users = get_user_model().objects
        if not users.exists():
            password = secrets.token_urlsafe(12)
            users.create_superuser(options["username"], f"{options['username']}@localhost", password)
            self.stdout.write(f"Log in at {url} as {options['username']} / {password}")
        else:
            self.stdout.write(f"Log in at {url} (users exist already; `manage.py changepassword` resets a password)")
        user = users.filter(username=options["username"]).first() or users.order_by("pk").first()
        if user is None or Snapshot.objects.exists():
            return
        examples = Path(options["examples"])
        if not examples.is_dir():
            return
        snap = self.load_examples(examples, user)
        if snap is not None:
            self.stdout.write(
                f"Demo snapshot “{snap.name}”: {snap.object_count} objects, {url.rstrip('/')}{snap.get_absolute_url()}"
            )

    def load_examples(self, examples: Path, user: Any) -> Snapshot | None:
        from tracer.engine import LoadError, TracerError
        from tracer.uploads import load

        workspace = default_workspace(user)
        # One snapshot per example folder would be nicer to browse; the first (alphabetical) folder with
        # manifests becomes the demo, the rest stay one upload away.
        folders = sorted(p for p in examples.iterdir() if p.is_dir()) or [examples]
        stored = None
        for folder in folders:
            files = sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml", ".json") and p.is_file())
            if not files:
                continue
            items = [(str(p.relative_to(examples)), p.read_bytes()) for p in files]
            try:
                engine_snapshot = load(items)
            except (LoadError, TracerError) as exc:
                self.stderr.write(f"examples/{folder.name}: {exc}")
                continue
            snap = Snapshot.create_from_engine(
                engine_snapshot,
                workspace=workspace,
                name=f"demo: {folder.name}",
                created_by=user,
                files=[n for n, _ in items],
            )
            stored = stored or snap
        return stored
