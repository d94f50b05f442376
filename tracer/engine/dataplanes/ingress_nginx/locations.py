"""Location generation, ordering, Prefix expansion, host regex mode and matching (ingress-nginx#3).

A host's locations are finalised once at compile time: sorted (#3.2.4), expanded (#3.2.5), the
host's regex mode decided (#3.3), regexes compiled and the non-regex index built, so that matching
a request is a few dict look-ups (non-regex) or a walk over precompiled patterns (regex mode).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...regexes import CompiledPattern, RegexProblem, compile_pcre
from .model import Location, Server

ROOT = "/"
HEALTHZ = "/healthz"
NGINX_STATUS = "/nginx_status"
_HEX = frozenset(b"0123456789abcdefABCDEF")


# --- #3.5 URI normalisation ------------------------------------------------------------------------


def normalise_uri(path: str) -> str | None:
    """nginx's normalised ``$uri``: percent-decoded, ``//`` merged, ``.``/``..`` resolved (#3.5).

    None when nginx answers 400 (a bad ``%`` escape, or ``..`` above the root).
    """
    if "%" not in path and "//" not in path and "/." not in path:
        return path or ROOT
    if "%" in path:
        raw = path.encode("utf-8", "surrogateescape")
        out = bytearray()
        i = 0
        while i < len(raw):
            c = raw[i]
            if c == 0x25:  # '%'
                if i + 2 >= len(raw) or raw[i + 1] not in _HEX or raw[i + 2] not in _HEX:
                    return None
                out.append(int(raw[i + 1 : i + 3], 16))
                i += 3
            else:
                out.append(c)
                i += 1
        path = out.decode("utf-8", "surrogateescape")
    tokens = path.split("/")
    segments: list[str] = []
    for seg in tokens[1:]:
        if seg in ("", "."):
            continue
        if seg == "..":
            if not segments:
                return None  # nginx: 400 Bad Request
            segments.pop()
            continue
        segments.append(seg)
    trailing = len(tokens) > 1 and tokens[-1] in ("", ".", "..")
    result = ROOT + "/".join(segments)
    if trailing and segments:
        result += "/"
    return result


# --- #3.2 generation and ordering -------------------------------------------------------------------


def add_location(server: Server, loc: Location) -> str | None:
    """Add an Ingress path to a host (#3.2.2). Returns why it was not added, or None."""
    for existing in server.locations:
        if existing.path == loc.path and existing.path_type == loc.path_type:
            if existing.root_default:
                # The implicit "/" is taken over by a real "/" path: backend and annotations replaced.
                server.locations[server.locations.index(existing)] = loc
                return None
            owner = existing.ingress
            who = f"Ingress {owner.namespace}/{owner.name}" if owner else "an earlier Ingress"
            return f"{loc.path_type} {loc.path} is already defined by {who} (first wins)"
    server.locations.append(loc)
    return None


def _byte_len(path: str) -> int:
    return len(path.encode("utf-8", "surrogateescape"))


def sort_locations(locations: list[Location]) -> list[Location]:
    """Length descending, ties by path string descending (two stable sorts, #3.2.4)."""
    by_path = sorted(locations, key=lambda loc: loc.path, reverse=True)
    return sorted(by_path, key=lambda loc: _byte_len(loc.path), reverse=True)


def _needs_rewrite(loc: Location) -> bool:
    target = loc.ann.rewrite.target if loc.ann is not None else None
    return bool(target) and target != loc.path


def _uses_regex(loc: Location) -> bool:
    return bool(loc.ann is not None and loc.ann.rewrite.use_regex)


def expand_prefixes(locations: list[Location]) -> list[Location]:
    """Prefix ``p`` -> ``p/`` plus an Exact twin ``p`` (location.go updateServerLocations, #3.2.5)."""
    exact_paths = {loc.path for loc in locations if loc.path_type == "Exact"}
    out: list[Location] = []
    for loc in locations:
        if loc.path == ROOT or loc.path_type != "Prefix" or _needs_rewrite(loc) or _uses_regex(loc):
            out.append(loc)
            continue
        original = loc.path
        loc.path = original if original.endswith("/") else original + "/"
        out.append(loc)
        if original in exact_paths:
            continue
        out.append(
            Location(
                path=original,
                ingress_path=loc.ingress_path,
                path_type="Exact",
                declared_type=loc.declared_type,
                ingress=loc.ingress,
                ann=loc.ann,
                rule=loc.rule,
                backend=loc.backend,
                exact_copy=True,
            )
        )
    return out


def finalise(server: Server) -> None:
    """Sort, expand, decide regex mode, compile and index a host's locations (#3.2-#3.4)."""
    locations = expand_prefixes(sort_locations(server.locations))
    causes: dict[tuple, tuple] = {}
    for loc in locations:
        loc.rewrite = _needs_rewrite(loc)
        if loc.ingress is None:
            continue
        if _uses_regex(loc):
            causes.setdefault((loc.ingress.key, "use-regex"), (loc.ingress, "use-regex"))
        if loc.rewrite:
            causes.setdefault((loc.ingress.key, "rewrite-target"), (loc.ingress, "rewrite-target"))
    server.locations = locations
    server.regex_causes = list(causes.values())
    server.regex_mode = bool(causes)
    for loc in locations:
        if server.regex_mode:
            loc.pattern = compile_pcre("^" + loc.path, ignore_case=True)
        if loc.rewrite:
            loc.rewrite_pattern = compile_pcre(loc.path, ignore_case=True)
        if loc.ann is not None and loc.ann.rewrite.app_root and server.app_root is None:
            server.app_root = (loc.ann.rewrite.app_root, loc)
    server.exact.clear()
    server.prefixes.clear()
    if not server.regex_mode:
        for loc in locations:
            index = server.exact if loc.path_type == "Exact" else server.prefixes
            if loc.path in index:
                kind = "= " if loc.path_type == "Exact" else ""
                server.hazards.append(
                    f'two locations render as `location {kind}"{loc.path}"` on host {server.hostname}; nginx rejects '
                    "duplicate locations, so the reload fails and the controller keeps serving its previous "
                    "configuration (ingress-nginx#3.10). The first one is simulated."
                )
                continue
            index[loc.path] = loc
        server.prefix_lengths = sorted({len(p) for p in server.prefixes}, reverse=True)


# --- #3.5 matching -------------------------------------------------------------------------------------


@dataclass(slots=True)
class LocationMatch:
    location: Location | None
    kind: str  # "exact" | "prefix" | "regex" | "slash-redirect" | "healthz" | "nginx-status" | "none"
    problems: list[RegexProblem] = field(default_factory=list)


def match_location(server: Server, uri: str) -> LocationMatch:
    """The location nginx picks for the normalised URI on this server (#3.5, #2.4)."""
    if server.regex_mode:
        problems: list[RegexProblem] = []
        for loc in server.locations:
            pattern = loc.pattern
            if not isinstance(pattern, CompiledPattern):
                if isinstance(pattern, RegexProblem):
                    problems.append(pattern)
                continue
            found = pattern.search(uri)
            if isinstance(found, RegexProblem):
                problems.append(found)
            elif found is not None:
                return LocationMatch(loc, "regex", problems)
        special = _catch_all_special(server, uri, 0)
        return LocationMatch(None, special or "none", problems)
    exact = server.exact.get(uri)
    if exact is not None:
        return LocationMatch(exact, "exact")
    best: Location | None = None
    for length in server.prefix_lengths:
        if length <= len(uri):
            candidate = server.prefixes.get(uri[:length])
            if candidate is not None:
                best = candidate
                break
    special = _catch_all_special(server, uri, len(best.path) if best else 0)
    if special:
        return LocationMatch(None, special)
    # nginx auto_redirect: the URI is a proxy_pass location's name minus its trailing slash -> 301 (#3.5).
    # ngx_http_core_find_static_location sets it for exact (`=`) locations too, so an Exact path `/p/`
    # answers `/p` with a redirect, not the host default.
    slash = server.prefixes.get(uri + "/") or server.exact.get(uri + "/")
    if slash is not None:
        return LocationMatch(slash, "slash-redirect")
    if best is not None:
        return LocationMatch(best, "prefix")
    return LocationMatch(None, "none")


def _catch_all_special(server: Server, uri: str, best_len: int) -> str | None:
    """The catch-all's own prefix locations /healthz and /nginx_status (#2.4), by longest prefix."""
    if not server.is_catch_all:
        return None
    if uri.startswith(NGINX_STATUS) and len(NGINX_STATUS) > best_len:
        return "nginx-status"
    if uri.startswith(HEALTHZ) and len(HEALTHZ) > best_len:
        return "healthz"
    return None


def near_miss_candidates(server: Server, chosen: Location | None) -> list[tuple[Location, str]]:
    """The locations :func:`near_misses` considers for ``chosen``, with their owner text; request-independent,
    so callers may compute it once per (server, location)."""
    out: list[tuple[Location, str]] = []
    for loc in server.locations:
        if loc is chosen or loc.root_default or loc.exact_copy:
            continue
        if chosen is not None and loc.ingress is chosen.ingress and loc.ingress_path == chosen.ingress_path:
            continue  # the other half of the same expanded Prefix path
        out.append((loc, f" (Ingress {loc.ingress.namespace}/{loc.ingress.name})" if loc.ingress else ""))
    return out


def near_misses(
    server: Server,
    uri: str,
    chosen: Location | None,
    limit: int = 5,
    candidates: list[tuple[Location, str]] | None = None,
) -> list[str]:
    """Why the host's other locations did not take the request, closest first.

    ``candidates`` is :func:`near_miss_candidates` for (server, chosen) when the caller has it already."""
    if candidates is None:
        candidates = near_miss_candidates(server, chosen)
    if not candidates:
        return []
    if len(candidates) > 1:
        ranked = sorted(candidates, key=lambda item: -_common_prefix(uri, item[0].ingress_path))
    else:
        ranked = candidates
    out: list[str] = []
    lowered = uri.lower()
    for loc, owner in ranked[:limit]:
        kind = loc.path_type
        if server.regex_mode:
            found = loc.pattern.search(uri) if isinstance(loc.pattern, CompiledPattern) else None
            if found and not isinstance(found, RegexProblem):
                text = f"regex ^{loc.path} also matches {uri} but comes later in length order (first match wins)"
            else:
                text = f"Host matched, path {uri} did not match regex ^{loc.path}"
        elif kind == "Exact":
            text = f"Host matched, path {uri} did not match Exact {loc.path}"
            if lowered == loc.path.lower():
                text += " (matching is case-sensitive)"
        elif uri.startswith(loc.path):
            text = f"Prefix {loc.ingress_path} also matches {uri}, but the longest prefix wins"
        else:
            text = f"Host matched, path {uri} did not match Prefix {loc.ingress_path}"
            if lowered.startswith(loc.path.lower()) or lowered == loc.ingress_path.lower():
                text += " (prefix matching is case-sensitive outside regex mode)"
            elif uri.startswith(loc.ingress_path) and loc.path != loc.ingress_path:
                text += f' (Prefix matches whole segments: it became location "{loc.path}" + = "{loc.ingress_path}")'
        out.append(text + owner)
    return out


def _common_prefix(a: str, b: str) -> int:
    if a.startswith(b):
        return len(b)
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i
