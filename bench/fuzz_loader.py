"""Fuzz the manifest loader the way the web upload calls it, in child processes, and count the outcomes.

Each input (bench/fuzz_inputs.py: mutated real manifests, synthetic objects, hostile archives) goes to
``tracer.uploads.load`` (the loader entry point of the upload form and the API) in a pool of worker
processes, so a segfault, a C stack overflow or a MemoryError in one input is counted, not fatal. Every
worker has an address-space limit (--memory-mib) and every input a wall-time limit (--timeout).

Outcomes: ``loaded`` (and storable: the objects serialise as strict JSON that PostgreSQL accepts, as
Snapshot.create_from_engine stores them), or ``rejected`` with a LoadError that names the input file and
shows no Python literal. Anything else is a failure: ``exception`` (any other exception), ``unclear`` (a
LoadError without the file, or with a Python literal in its text), ``unstorable``, ``memory``, ``crash``
(the worker died), ``hang`` (over the time limit). Failures are written to test-output/fuzz/ with the
command that replays them; the input is regenerated from (seed, index), so nothing else is needed.

    .venv/bin/python bench/fuzz_loader.py [--count 100000] [--seed 1] [--workers 2] [--timeout 20]
    .venv/bin/python bench/fuzz_loader.py --seed 1 --replay 4711      # one input, in this process
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import multiprocessing
import os
import re
import resource
import sys
import time
import traceback
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracer.settings")

from fuzz_inputs import Upload, make_upload  # noqa: E402

from tracer.engine.detect import detect_controller  # noqa: E402
from tracer.engine.errors import LoadError  # noqa: E402
from tracer.engine.snapshot import Snapshot  # noqa: E402
from tracer.uploads import load  # noqa: E402  # what store_upload calls: loader.load_files

OUT = ROOT / "test-output" / "fuzz"
FAILURES = ("exception", "unclear", "unstorable", "memory", "crash", "hang")
# The JSON escape of a NUL character: \u0000 after an even number of backslashes (\\u0000 is text).
_JSON_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_PY_LITERAL = re.compile(r"\b(None|True|False)\b|frozenset\(|\bset\(|object at 0x|<class ")


def judge_rejection(exc: LoadError, files: Upload) -> tuple[str, str]:
    """``rejected`` when the error names one of the uploaded files (or a member inside one) and reads as text
    for people; ``unclear`` otherwise."""
    names = [name.replace("\x00", "\ufffd") for name, _ in files]  # as load_files shows them
    if not exc.message.strip():
        return "unclear", f"empty message: {exc.to_dict()}"
    if not exc.file or not any(exc.file == n or exc.file.startswith(n + "!") for n in names):
        return "unclear", f"no input file named: {exc}"
    for m in _PY_LITERAL.finditer(exc.message):
        if not any(m.group(0).encode() in data for _, data in files):
            return "unclear", f"Python literal {m.group(0)!r} in: {exc.message[:300]}"
    return "rejected", exc.message


def storage_problem(snap: Snapshot) -> str | None:
    """Why Snapshot.create_from_engine could not store this snapshot (JSONField bodies, CharFields for kind,
    name, namespace, file; PostgreSQL refuses NUL in text and in jsonb), or None."""
    for obj in snap.objects:
        where = f" (in {obj.source.file}, line {obj.source.line})"
        try:
            text = json.dumps(obj.body, allow_nan=False)
            text.encode("utf-8")
        except (TypeError, ValueError) as exc:
            return f"body is not strict JSON: {type(exc).__name__}: {str(exc)[:200]}{where}"
        if "\\u0000" in text and _JSON_NUL.search(text):
            return f"body holds a NUL character (PostgreSQL jsonb refuses it){where}"
        for label, value in (("kind", obj.kind), ("name", obj.name), ("file", obj.source.file)):
            if not isinstance(value, str) or "\x00" in value:
                return f"{label} cannot be stored as text: {value!r}{where}"
        if obj.namespace is not None and not isinstance(obj.namespace, str):
            return f"namespace is not text: {obj.namespace!r}{where}"
    try:
        _ = snap.content_hash, snap.counts_by_kind(), detect_controller(snap)
        json.dumps([w.to_dict() for w in snap.warnings], allow_nan=False).encode("utf-8")
    except Exception as exc:  # any failure here is a 500 at upload
        return f"after load: {type(exc).__name__}: {str(exc)[:200]}"
    return None


def classify(files: Upload) -> tuple[str, str]:
    """The outcome of one upload and a detail line (the message, or what went wrong)."""
    try:
        snap = load(files)
    except LoadError as exc:
        return judge_rejection(exc, files)
    except MemoryError:
        return "memory", "MemoryError"
    except Exception as exc:  # the point: anything else is a finding
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return "exception", f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}: {str(exc)[:200]}"
    problem = storage_problem(snap)
    return ("loaded", f"{len(snap)} objects") if problem is None else ("unstorable", problem)


# ----- the pool ---------------------------------------------------------------------------------------


def _worker(conn: Connection, seed: int, memory_mib: int) -> None:
    limit = memory_mib * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    while (index := conn.recv()) is not None:
        files, _ = make_upload(seed, index)
        conn.send(None)  # made: the time limit runs from here, so slow generation is not counted as a hang
        start = time.perf_counter()
        outcome, detail = classify(files)
        conn.send((index, outcome, detail, time.perf_counter() - start, sum(len(d) for _, d in files)))


class Pool:
    """Worker processes fed one input index at a time, so a dead or stuck worker names its input."""

    def __init__(self, size: int, seed: int, memory_mib: int) -> None:
        self.ctx = multiprocessing.get_context("fork")  # the engine is imported once, before forking
        self.seed, self.memory_mib = seed, memory_mib
        self.slots: list[list[Any]] = [self._start() for _ in range(size)]  # [process, conn, index, started]

    def _start(self) -> list[Any]:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_worker, args=(child, self.seed, self.memory_mib), daemon=True)
        proc.start()
        child.close()
        return [proc, parent, None, 0.0]

    def replace(self, slot: list[Any]) -> None:
        proc = slot[0]
        if proc.is_alive():
            proc.kill()
        proc.join()
        slot[1].close()
        slot[:] = self._start()

    def close(self) -> None:
        for proc, conn, _, _ in self.slots:
            with contextlib.suppress(OSError):
                conn.send(None)
            proc.join(5)
            if proc.is_alive():
                proc.kill()


def run(count: int, seed: int, workers: int, timeout: float, memory_mib: int, first: int = 0) -> dict[str, Any]:
    pool = Pool(workers, seed, memory_mib)
    counts: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    signatures: collections.Counter[tuple[str, str]] = collections.Counter()
    slowest: list[tuple[float, int, int]] = []
    next_index, done, started = first, 0, time.perf_counter()
    last_print = started

    def record(index: int, outcome: str, detail: str, seconds: float, size: int) -> None:
        nonlocal done
        done += 1
        counts[outcome] += 1
        if outcome == "rejected":
            reasons[re.sub(r"\d+|'[^']*'|\"[^\"]*\"|\(column [^)]*\)", "…", detail)[:70]] += 1
        slowest.append((seconds, index, size))
        if len(slowest) > 50:
            slowest.sort(reverse=True)
            del slowest[10:]
        if outcome in FAILURES:
            signature = (outcome, re.sub(r"\d+", "N", detail.split(" (in ")[0])[:120])
            signatures[signature] += 1
            if signatures[signature] <= 3:
                save_failure(seed, index, outcome, detail)

    try:
        while done < count:
            for slot in pool.slots:
                if slot[2] is None and next_index < first + count:
                    slot[1].send(next_index)
                    slot[2], slot[3] = next_index, time.perf_counter()
                    next_index += 1
            busy = {slot[1]: slot for slot in pool.slots if slot[2] is not None}
            for ready in wait(list(busy), timeout=0.5):
                conn = cast(Connection, ready)
                slot = busy[conn]
                try:
                    message = conn.recv()
                    if message is None:  # the input is made; the load starts now
                        slot[3] = time.perf_counter()
                        continue
                    index, outcome, detail, seconds, size = message
                except (EOFError, OSError):
                    slot[0].join()
                    code = slot[0].exitcode
                    record(slot[2], "crash", f"worker died (exit code {code})", time.perf_counter() - slot[3], 0)
                    pool.replace(slot)
                    continue
                slot[2] = None
                record(index, outcome, detail, seconds, size)
            now = time.perf_counter()
            for slot in pool.slots:
                if slot[2] is not None and now - slot[3] > timeout:
                    record(slot[2], "hang", f"no answer within {timeout:g} s", now - slot[3], 0)
                    pool.replace(slot)
            if now - last_print > 30:
                last_print = now
                rate = done / (now - started)
                print(f"  {done:>7} inputs, {rate:6.0f}/s, {dict(counts)}", flush=True)
    finally:
        pool.close()
    elapsed = time.perf_counter() - started
    slowest.sort(reverse=True)
    return {
        "seed": seed, "first": first, "inputs": done, "seconds": round(elapsed, 1),
        "inputs_per_second": round(done / elapsed, 1), "outcomes": dict(counts),
        "failures": sum(counts[f] for f in FAILURES),
        "failure_kinds": [{"outcome": o, "detail": d, "count": n} for (o, d), n in signatures.most_common()],
        "top_rejections": reasons.most_common(15),
        "slowest": [{"index": i, "seconds": round(s, 3), "bytes": b} for s, i, b in slowest[:5]],
    }


def save_failure(seed: int, index: int, outcome: str, detail: str) -> None:
    files, how = make_upload(seed, index)
    folder = OUT / f"{outcome}-seed{seed}-{index}"
    folder.mkdir(parents=True, exist_ok=True)
    for n, (name, data) in enumerate(files):
        (folder / f"{n}-{re.sub(r'[^A-Za-z0-9._-]', '_', name)[:80]}").write_bytes(data)
    meta = {
        "seed": seed, "index": index, "outcome": outcome, "detail": detail, "made_by": how,
        "names": [name for name, _ in files],
        "replay": f".venv/bin/python bench/fuzz_loader.py --seed {seed} --replay {index}",
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first", type=int, default=0, help="index of the first input")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per input")
    parser.add_argument("--memory-mib", type=int, default=2048, help="address-space limit per worker")
    parser.add_argument("--replay", type=int, help="run input N of --seed in this process and print its outcome")
    args = parser.parse_args()
    if args.replay is not None:
        files, how = make_upload(args.seed, args.replay)
        print(f"input {args.replay}: {how}; {[(n, len(d)) for n, d in files]}")
        print(*classify(files), sep=": ")
        return 0
    print(f"fuzzing the loader: {args.count} inputs, seed {args.seed}, {args.workers} workers")
    summary = run(args.count, args.seed, args.workers, args.timeout, args.memory_mib, args.first)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"summary-seed{args.seed}.json").write_text(json.dumps(summary, indent=2))
    print(f"{summary['inputs']} inputs in {summary['seconds']} s: {summary['inputs_per_second']} inputs/s")
    for outcome, n in sorted(summary["outcomes"].items(), key=lambda kv: -kv[1]):
        print(f"  {outcome:11s} {n:>7}")
    print(f"failures: {summary['failures']}")
    for kind in summary["failure_kinds"]:
        print(f"  {kind['count']:>6}  {kind['outcome']}: {kind['detail']}")
    print("most frequent rejections:")
    for reason, n in summary["top_rejections"]:
        print(f"  {n:>6}  {reason}")
    print("slowest inputs:", ", ".join(f"#{s['index']} {s['seconds']} s ({s['bytes']} B)" for s in summary["slowest"]))
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
