"""Rewrite annotations (ingress-nginx#4): rewrite-target, use-regex, app-root, x-forwarded-prefix.

rewrite-target and use-regex also switch the whole host to regex location matching (#3.3).
"""

from __future__ import annotations

from dataclasses import dataclass

from .parser import REGEX_PATH_WITH_CAPTURE, Parser, matches


@dataclass(frozen=True, slots=True)
class Rewrite:
    target: str | None = None  # rewrite-target, validated; None when absent or invalid
    use_regex: bool = False
    app_root: str | None = None  # an absolute path such as /app
    x_forwarded_prefix: str | None = None  # sent upstream only when a rewrite happens (#4.2)


NO_REWRITE = Rewrite()


def parse_rewrite(p: Parser) -> Rewrite:
    if not p.raw:
        return NO_REWRITE  # no annotation of this controller at all
    target = p.get("rewrite-target")
    if target is not None and not matches(REGEX_PATH_WITH_CAPTURE, target):
        # Lenient: rewrite.go logs and continues without a rewrite (ingress-nginx#4.1).
        p.warn(
            "rewrite-target",
            f'value "{target}" has characters outside A-Za-z0-9-._~/:$ and is ignored: no rewrite happens',
            f"Use a path with capture references only, e.g. {p.line('rewrite-target', '/$2')} (no '?' or query).",
            code="REWRITE_TARGET_INVALID",
            rule="ingress-nginx#4.1",
        )
        target = None
    use_regex = bool(p.boolean("use-regex", False))
    app_root = p.get("app-root")
    if app_root is not None:
        valid = matches(REGEX_PATH_WITH_CAPTURE, app_root) and app_root.startswith("/")
        if not valid or "://" in app_root:
            p.warn(
                "app-root",
                f'value "{app_root}" is not an absolute path such as /app; it is ignored',
                f"Use a path, e.g. {p.line('app-root', '/app')} (no scheme or host).",
                rule="ingress-nginx#4.3",
            )
            app_root = None
    prefix = p.get("x-forwarded-prefix")
    if prefix is not None:
        prefix = p.strict(
            "x-forwarded-prefix",
            prefix,
            REGEX_PATH_WITH_CAPTURE,
            remove_space=True,
            what="only A-Za-z0-9-._~/:$ are allowed",
            fix=f"Use a plain path prefix, e.g. {p.line('x-forwarded-prefix', '/api')}.",
        )
    if target is None and not use_regex and app_root is None and prefix is None:
        return NO_REWRITE
    return Rewrite(target=target, use_regex=use_regex, app_root=app_root, x_forwarded_prefix=prefix)
