"""`manage.py snapshot pull`: list a live cluster's routing objects into a snapshot (or a YAML file).

Exit status: 0 on success (warnings included), 2 when the pull cannot start or finish.
"""

from __future__ import annotations

import sys
import uuid
from argparse import ArgumentParser
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError

from tracer.kube.pull import PullError, PullResult, pull_objects, to_yaml


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    help = "Pull a snapshot of the objects tracer models from a live cluster."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="pull")
        pull = actions.add_parser("pull", help="list the cluster's objects into a snapshot or a YAML file")
        pull.add_argument("--kubeconfig", metavar="PATH", help="kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
        pull.add_argument("--context", metavar="NAME", help="kubeconfig context (default: the current context)")
        pull.add_argument(
            "--in-cluster", action="store_true",
            help="use the pod's service account (automatic when no kubeconfig exists inside a pod)",
        )
        pull.add_argument(
            "-n", "--namespace", dest="namespaces", action="append", metavar="NS",
            help="only this namespace (repeatable; default: all namespaces)",
        )
        secrets = pull.add_mutually_exclusive_group()
        secrets.add_argument(
            "--include-tls-secrets", action="store_true",
            help="read kubernetes.io/tls Secrets and keep their public certificates (keys are dropped)",
        )
        secrets.add_argument("--no-secrets", action="store_true", help="do not list Secrets at all")
        pull.add_argument("-o", "--output", metavar="FILE", help="write multi-document YAML here (- for stdout)")
        pull.add_argument("--name", help="snapshot name (default: context and time)")
        pull.add_argument("--workspace", metavar="UUID-or-NAME", help="workspace to store the snapshot in")
        pull.add_argument("--user", metavar="USERNAME", help="recorded as creator; default workspace is theirs")

    def handle(self, *args: Any, **options: Any) -> None:
        to_stdout = options.get("output") == "-"
        # With YAML on stdout, progress and the summary go to stderr so the YAML stays clean.
        log: TextIO = sys.stderr if to_stdout else self.stdout  # type: ignore[assignment]
        target = None if options.get("output") else self._target(options)

        def progress(message: str, done: int, total: int) -> None:
            log.write(f"[{done}/{total}] {message}\n" if total else f"{message}\n")

        try:
            result = pull_objects(
                kubeconfig=options.get("kubeconfig"),
                context=options.get("context"),
                namespaces=options.get("namespaces"),
                include_tls=bool(options.get("include_tls_secrets")),
                include_secrets=not options.get("no_secrets"),
                in_cluster=True if options.get("in_cluster") else None,
                progress=progress if options.get("verbosity", 1) >= 1 else None,
            )
        except PullError as exc:
            raise _fail(str(exc)) from None
        self._summary(result, log)
        if options.get("output"):
            self._write(result, options["output"], log)
            return
        assert target is not None
        from tracer.engine import TracerError
        from tracer.kube.store import store_pull

        workspace, user = target
        try:
            snap = store_pull(result, workspace=workspace, user=user, name=options.get("name") or "")
        except TracerError as exc:
            raise _fail(f"cannot store the snapshot: {exc}") from None
        log.write(f"Stored snapshot {snap.name!r} ({snap.id}) in workspace {workspace.name!r}\n")

    def _target(self, options: dict[str, Any]) -> tuple[Any, Any]:
        """(workspace, user) for storing; resolved before the pull so a typo fails fast."""
        from django.contrib.auth import get_user_model

        from tracer.models import Workspace, default_workspace

        user = None
        if options.get("user"):
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise _fail(f"no user named {options['user']!r}")
        ref = options.get("workspace")
        if ref:
            try:
                workspace = Workspace.objects.filter(pk=uuid.UUID(ref)).first()
            except ValueError:
                matches = list(Workspace.objects.filter(name=ref)[:2])
                if len(matches) > 1:
                    raise _fail(f"more than one workspace is named {ref!r}; pass its UUID") from None
                workspace = matches[0] if matches else None
            if workspace is None:
                raise _fail(f"no workspace {ref!r}")
            return workspace, user
        if user is None:
            raise _fail("pass --workspace or --user to store the snapshot, or --output FILE to write YAML")
        return default_workspace(user), user

    def _summary(self, result: PullResult, log: TextIO) -> None:
        where = f"context {result.context}, " if result.context else ""
        log.write(f"Pulled {len(result.objects)} objects ({where}{result.server})\n")
        for kind, count in sorted(result.counts.items()):
            log.write(f"  {kind:<44} {count:>6}\n")
        if result.warnings:
            log.write(f"{len(result.warnings)} warning(s):\n")
            for warning in result.warnings:
                log.write(f"  - {warning}\n")

    def _write(self, result: PullResult, output: str, log: TextIO) -> None:
        header = [
            f"# tracer snapshot pull from {result.server}" + (f" (context {result.context})" if result.context else ""),
            f"# at {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}; {len(result.objects)} objects",
            *(f"# warning: {w}" for w in result.warnings),
        ]
        text = "\n".join(header) + "\n" + to_yaml(result.objects)
        if output == "-":
            sys.stdout.write(text)
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot write {output}: {exc.strerror}") from None
        log.write(f"Wrote {output}\n")
