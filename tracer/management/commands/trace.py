"""`manage.py trace`: trace requests through manifests from the shell or CI, without a database.

Without --request or --scenario it traces the Journey documents of the snapshot; --journey URL traces one
browser journey from that URL (docs/journeys.md).

Exit status: 0 when the final response is below 400 (for journeys: when every request of every journey
succeeded), 1 otherwise, 2 on bad input.
"""

from __future__ import annotations

import json
import shutil
import sys
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError

from tracer.engine import Engine, Snapshot, TracerError
from tracer.engine.comparison import Side, compare_traces, parse_sides, render_comparison
from tracer.engine.faults.model import TARGETS
from tracer.engine.fixes import FixStep, walk
from tracer.engine.fixes.files import write_snapshot
from tracer.engine.fixes.text import render_walk
from tracer.engine.journey.spec import JourneySpec, parse_spec
from tracer.engine.loader import load_manifests
from tracer.engine.profiles.parse import parse_profile
from tracer.engine.profiles.registry import option_objects
from tracer.engine.request import split_request_line
from tracer.engine.result import Trace
from tracer.engine.textreport import render_text


def read_scenario(path: str) -> tuple[list[Any], dict[str, Any]]:
    """A scenario file: YAML/JSON with `requests:` (strings or request dicts) and optional `options:`."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        data = yaml.load(text, Loader=yaml.CSafeLoader)
    except OSError as exc:
        raise CommandError(f"{path}: cannot read scenario: {exc.strerror}", returncode=2) from exc
    except yaml.YAMLError as exc:
        raise CommandError(f"{path}: scenario is not valid YAML/JSON: {exc}", returncode=2) from exc
    if isinstance(data, (str, dict)) and not (isinstance(data, dict) and "requests" in data):
        data = {"requests": [data]}
    if not isinstance(data, dict) or not isinstance(data.get("requests"), list) or not data["requests"]:
        raise CommandError(f"{path}: field requests: expected a non-empty list of requests", returncode=2)
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise CommandError(f"{path}: field options: expected a mapping", returncode=2)
    return data["requests"], options


def _via(value: str) -> dict[str, str] | str:
    """``ns/name`` (a controller's entry Service) or an IP address, as the request's ``via``."""
    if "/" in value:
        namespace, _, name = value.partition("/")
        return {"kind": "Service", "namespace": namespace, "name": name}
    return value


def _app_profiles(paths: list[str]) -> list[dict[str, Any]] | str:
    """The app_profiles option for --app-profile files: one path as it is; several are validated file by file
    (so an error names its file) and then given as documents."""
    if len(paths) == 1:
        return paths[0]
    docs: list[dict[str, Any]] = []
    for path in paths:
        objects = option_objects(path)
        for obj in objects:
            parse_profile(obj)
        docs.extend(obj.body for obj in objects)
    return docs


def _fault(spec: str) -> dict[str, Any]:
    """``KIND[:TARGET][@SECONDS]`` as a faults option entry (pod-not-ready:shop/web-1, node-rules-flushed:n1@300)."""
    head, at, seconds = spec.partition("@")
    kind, _, target = head.partition(":")
    if kind not in TARGETS:
        raise ArgumentTypeError(f"{spec!r}: the fault kinds are {', '.join(TARGETS)}")
    fault: dict[str, Any] = {"kind": kind}
    field = TARGETS[kind]
    if field is not None:
        if not target:
            raise ArgumentTypeError(f"{spec!r}: {kind} needs its {field}, as {kind}:{field.upper()}")
        fault[field] = target
    elif target:
        raise ArgumentTypeError(f"{spec!r}: {kind} takes no target")
    if at:
        try:
            fault["afterSeconds"] = float(seconds)
        except ValueError as exc:
            raise ArgumentTypeError(f"{spec!r}: after @ comes a number of seconds") from exc
    return fault


def _journey(url: str, opts: dict[str, Any]) -> JourneySpec:
    """--journey URL with the request flags that apply to a journey's start request."""
    spec: dict[str, Any] = {"start": url, "headers": list(opts["headers"])}
    for flag, name in (("http_version", "httpVersion"), ("client_ip", "clientIP")):
        if opts[flag] is not None:
            spec[name] = opts[flag]
    if opts["via"]:
        spec["via"] = _via(opts["via"])
    return parse_spec(spec, prefix="journey")


class Command(BaseCommand):
    help = "Trace a request hop by hop through Kubernetes manifests (no database needed)."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "-f", "--filename", dest="files", action="append", metavar="PATH",
            help="manifest file, folder, .zip/.tar.gz archive, or - for stdin (repeatable; required unless both "
            "--compare values are snapshot=PATH)",
        )
        parser.add_argument("--request", "-r", help='the request, e.g. "GET https://shop.example.com/cart"')
        parser.add_argument("--scenario", help="YAML/JSON file with `requests:` and optional `options:`")
        parser.add_argument(
            "--journey", metavar="URL",
            help="trace a browser journey from this URL: redirects, assets, WebSockets (docs/journeys.md)",
        )
        parser.add_argument(
            "--app-profile", dest="app_profiles", action="append", default=[], metavar="FILE",
            help="AppProfile file or folder: what the backends answer (repeatable; docs/app-profiles.md)",
        )
        parser.add_argument(
            "-H", "--header", dest="headers", action="append", default=[], metavar="'Name: value'",
            help="request header (repeatable)",
        )
        parser.add_argument("--http-version", choices=["1.0", "1.1", "2", "3"], help="HTTP version (default 1.1)")
        parser.add_argument("--client-ip", help="client source address (for allowlists and X-Forwarded-For)")
        parser.add_argument("--body-bytes", type=int, help="request body size in bytes (Content-Length)")
        parser.add_argument("--sni", help="TLS server name when it differs from the URL host")
        parser.add_argument(
            "--client-cert", choices=["none", "valid", "invalid"],
            help="the client certificate presented in the TLS handshake (for auth-tls; default none)",
        )
        parser.add_argument("--controller", help="force the controller family (ingress-nginx, ingress-spec, ...)")
        parser.add_argument(
            "--controller-class", help="only the installation claiming this IngressClass name or spec.controller value"
        )
        parser.add_argument(
            "--via", metavar="NAMESPACE/SERVICE|IP",
            help="the entry the client connects to when the snapshot has several controllers (docs/controller-choice.md)",
        )
        parser.add_argument("--assume-endpoints", action="store_true", help="treat every Service as having ready endpoints")
        parser.add_argument(
            "--namespace", "-n", help="namespace for objects without one, as `kubectl apply -n` (default: default)"
        )
        parser.add_argument("--seed", type=int, help="seed for reproducible canary and load-balancing picks")
        parser.add_argument(
            "--budget", dest="budget_seconds", type=float, metavar="SECONDS",
            help="time budget of the whole trace; a request it stops ends with error budget-exceeded (default: none)",
        )
        parser.add_argument(
            "--fault", dest="faults", action="append", default=[], metavar="SPEC", type=_fault,
            help="what-if fault, e.g. pod-not-ready:NS/POD, endpoint-removed:NS/SERVICE, node-rules-flushed:NODE@300, "
            "networkpolicy-deny-all:NS, controller-down (repeatable; docs/faults.md)",
        )
        parser.add_argument(
            "--fix", metavar="CODE|all",
            help="apply the fix of the first failed request (of diagnosis CODE, or each in turn with 'all') to a copy "
            "of the snapshot and trace again (docs/fixes.md)",
        )
        parser.add_argument(
            "--write-fixed", metavar="DIR", help="with --fix: write the fixed manifests to DIR, one file per input file"
        )
        parser.add_argument(
            "--compare", nargs="+", metavar="SIDE",
            help="trace the same scenario on two sides and show, request by request, whether the outcome changes "
            "and the first hop that differs; exit 1 when any outcome changes. A side is controller=NAME (the -f "
            "snapshot through that data plane), snapshot=PATH (a file, folder or archive) or a bare PATH. One "
            "value is side B and side A is the -f snapshot as traced without --compare; two values are A and B",
        )
        parser.add_argument("-o", "--output", choices=["text", "json"], default="text")

    def handle(self, *args: Any, **opts: Any) -> None:
        if sum(bool(opts[k]) for k in ("request", "scenario", "journey")) > 1:
            raise CommandError("give at most one of --request, --scenario or --journey", returncode=2)
        requests: list[Any] = []
        journeys: list[JourneySpec] | None = None  # None: requests; []: the snapshot's Journey documents
        scenario_options: dict[str, Any] = {}
        if opts["scenario"]:
            requests, scenario_options = read_scenario(opts["scenario"])
        elif opts["journey"]:
            try:
                journeys = [_journey(opts["journey"], opts)]
            except TracerError as exc:
                raise CommandError(str(exc), returncode=2) from exc
        elif not opts["request"]:
            journeys = []
        else:
            try:
                req: dict[str, Any] = {**split_request_line(opts["request"]), "headers": opts["headers"]}
            except TracerError as exc:
                raise CommandError(f"--request {opts['request']!r}: {exc}", returncode=2) from exc
            for key in ("http_version", "client_ip", "body_bytes", "sni", "client_cert"):
                if opts[key] is not None:
                    req[key] = opts[key]
            if opts["via"]:
                req["via"] = _via(opts["via"])
            requests = [req]
        options = dict(scenario_options)
        for key in ("controller", "controller_class", "seed", "budget_seconds"):
            if opts[key] is not None:
                options[key] = opts[key]
        if opts["assume_endpoints"]:
            options["assume_endpoints"] = True
        if opts["faults"]:
            options["faults"] = [*(options.get("faults") or []), *opts["faults"]]
        if opts["write_fixed"] and not opts["fix"]:
            raise CommandError("--write-fixed needs --fix", returncode=2)
        if opts["compare"] and opts["fix"]:
            raise CommandError("give --compare or --fix, not both", returncode=2)

        sources = [sys.stdin.read() if f == "-" else Path(f) for f in opts["files"] or []]
        try:
            sides = parse_sides(opts["compare"]) if opts["compare"] else None
            manifests: Any = sources[0] if len(sources) == 1 else sources
            if opts["app_profiles"]:
                options["app_profiles"] = _app_profiles(opts["app_profiles"])
            if sides is None and not sources:
                raise CommandError("give -f PATH: the manifests to trace", returncode=2)
            main = load_manifests(manifests, namespace=opts["namespace"]) if sources else None

            self._requests, self._journeys = requests, journeys

            def run(snap: Snapshot) -> Trace:
                engine = Engine(snap, **options)
                return engine.trace_many(requests) if journeys is None else engine.journeys(journeys or None)

            if sides is not None:
                return self._compare(opts, sides, main, options, run)
            assert main is not None  # -f is required without --compare (checked above)
            snapshot = main
            if opts["fix"]:
                steps = walk(snapshot, run, None if opts["fix"] == "all" else opts["fix"])
            else:
                steps = [FixStep(None, snapshot, run(snapshot))]
        except TracerError as exc:
            raise CommandError(str(exc), returncode=2) from exc

        result = steps[-1].trace
        width = shutil.get_terminal_size((100, 24)).columns  # 100 columns when the output is not a terminal
        if opts["fix"]:
            if opts["write_fixed"]:
                written = write_snapshot(steps[-1].snapshot, Path(opts["write_fixed"]))
                self.stderr.write(f"wrote {len(written)} fixed file(s) to {opts['write_fixed']}")
            if opts["output"] == "json":
                self.stdout.write(json.dumps(
                    {"schema": "tracer/fix-walk-v1",
                     "steps": [{"applied": s.applied, "trace": s.trace.to_dict()} for s in steps]}, indent=2))
            else:
                self.stdout.write(render_walk(steps, opts["fix"], width))
        elif opts["output"] == "json":
            self.stdout.write(result.to_json())
        else:
            self.stdout.write(render_text(result, width=width))
        if not result.ok:
            # Exit 1 without Django's "CommandError:" noise: the output already says what happened.
            self.stdout.flush()
            sys.exit(1)

    def _compare(self, opts: dict[str, Any], sides: tuple[Side, Side], main: Snapshot | None,
                 options: dict[str, Any], run: Callable[[Snapshot], Trace]) -> None:
        """--compare: the scenario traced on side A and on side B (docs/engine.md, CLI)."""
        two_snapshots = all(s.kind == "snapshot" for s in sides)  # only with two values: one value is B
        if two_snapshots and main is not None:
            raise CommandError("--compare with two snapshot=PATH values traces those two: leave out -f", returncode=2)
        if not two_snapshots and main is None:
            raise CommandError("give -f PATH: the snapshot --compare traces as side A (and through controller=NAME)",
                               returncode=2)
        a, label_a = self._compare_side(sides[0], main, options, run, opts)
        b, label_b = self._compare_side(sides[1], main, options, run, opts)
        rows = compare_traces(a.to_dict(), b.to_dict())
        if opts["output"] == "json":
            self.stdout.write(json.dumps({"schema": "tracer/compare-v1", "a": label_a, "b": label_b, "rows": rows,
                                          "traces": {"a": a.to_dict(), "b": b.to_dict()}}, indent=2))
        else:
            self.stdout.write(render_comparison(rows, label_a, label_b))
        if any(r["changed"] for r in rows):
            self.stdout.flush()
            sys.exit(1)

    def _compare_side(self, side: Side, main: Snapshot | None, options: dict[str, Any],
                      run: Callable[[Snapshot], Trace], opts: dict[str, Any]) -> tuple[Trace, str]:
        """One side's trace and its label: the -f snapshot as given, through another data plane, or another snapshot."""
        files = ", ".join(opts["files"] or [])
        if side.kind == "snapshot":
            return run(load_manifests(Path(side.value), namespace=opts["namespace"])), side.value
        assert main is not None  # _compare checked that -f was given
        if side.kind == "current":
            trace = run(main)
            family = trace.snapshot.get("controller")
            return trace, f"{files} ({family})" if family else files
        engine = Engine(main, **dict(options, controller=side.value))
        trace = engine.trace_many(self._requests) if self._journeys is None else engine.journeys(self._journeys or None)
        return trace, f"{files} through {side.value}"
