"""`manage.py translate --to gateway-api`: the snapshot's ingress-nginx Ingresses as Gateway API v1 objects, and with
--verify the same requests traced through both (docs/translate.md). No database is needed.

Output: the objects as multi-document YAML on stdout, headed by the notes as comments; the notes also go to stderr.
With --verify the comparison follows the notes on stderr (``-o json``: the tracer/translation-v1 JSON on stdout
instead of YAML). Exit status: 0; with --verify 1 when any request changes outcome; 2 on bad input.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tracer.engine import TracerError
from tracer.engine.fixes.files import write_snapshot
from tracer.engine.loader import load_manifests
from tracer.engine.request import split_request_line
from tracer.engine.translate import translate, verify
from tracer.engine.translate.gateway import implementation_keys
from tracer.management.commands.trace import read_scenario

TARGETS = ("gateway-api",)


class Command(BaseCommand):
    help = "Translate the ingress-nginx Ingresses of manifests into Gateway API objects, and verify the move."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "-f", "--filename", dest="files", action="append", required=True, metavar="PATH",
            help="manifest file, folder, .zip/.tar.gz archive, or - for stdin (repeatable)",
        )
        parser.add_argument("--to", dest="target", required=True, metavar="TARGET",
                            help=f"what to translate to: {', '.join(TARGETS)}")
        parser.add_argument("--implementation", metavar="KEY",
                            help=f"the Gateway API implementation to target ({', '.join(implementation_keys())}); "
                            "default: the specification only")
        parser.add_argument("--verify", action="store_true",
                            help="trace the snapshot's journeys, the given requests and probes through ingress-nginx "
                            "and through the translation; exit 1 when any outcome changes")
        parser.add_argument("--request", "-r", action="append", default=[],
                            help='an extra request for --verify, e.g. "GET https://shop.example.com/cart" (repeatable)')
        parser.add_argument("--scenario", help="YAML/JSON file with `requests:` for --verify")
        parser.add_argument("--write", metavar="DIR",
                            help="write the translated snapshot to DIR: the kept manifests one file per input file, "
                            "the new objects in gateway-api.yaml (trace it with --controller gateway-api)")
        parser.add_argument("-o", "--output", choices=["yaml", "json"], default="yaml")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["target"] not in TARGETS:
            raise CommandError(f"--to {opts['target']}: the supported targets are {', '.join(TARGETS)}", returncode=2)
        if (opts["request"] or opts["scenario"]) and not opts["verify"]:
            raise CommandError("--request and --scenario need --verify", returncode=2)
        if opts["output"] == "json" and not opts["verify"]:
            raise CommandError("-o json needs --verify (without it the output is the YAML of the objects)", returncode=2)
        requests: list[Any] = []
        for line in opts["request"]:
            try:
                requests.append(split_request_line(line))
            except TracerError as exc:
                raise CommandError(f"--request {line}: {exc}", returncode=2) from exc
        if opts["scenario"]:
            requests += read_scenario(opts["scenario"])[0]
        sources = [sys.stdin.read() if f == "-" else Path(f) for f in opts["files"]]
        try:
            snapshot = load_manifests(sources[0] if len(sources) == 1 else sources)
            result = translate(snapshot, implementation=opts["implementation"])
            checked = verify(snapshot, result, requests=requests) if opts["verify"] else None
        except TracerError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        for note in result.notes:
            self.stderr.write(note.line())
        if opts["write"]:
            assert result.snapshot is not None
            written = write_snapshot(result.snapshot, Path(opts["write"]))
            target = Path(opts["write"]) / "gateway-api.yaml"
            target.write_text(result.to_yaml(), encoding="utf-8")  # with the notes as comments, as on stdout
            self.stderr.write(f"wrote {len(written)} file(s) to {opts['write']}")
        if checked is not None:
            self.stderr.write("")
            self.stderr.write(checked.render().rstrip("\n"))
        if opts["output"] == "json" and checked is not None:
            self.stdout.write(json.dumps(checked.to_dict(), indent=2))
        else:
            self.stdout.write(result.to_yaml(), ending="")
        if checked is not None and any(r["changed"] for r in checked.rows):
            self.stdout.flush()
            sys.exit(1)
