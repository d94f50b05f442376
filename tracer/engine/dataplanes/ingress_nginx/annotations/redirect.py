"""Redirect annotations (ingress-nginx#5.1-5.3): HTTPS redirect switches, permanent/temporal redirects, from-to-www.

The HTTPS switches are tri-state: None means the ConfigMap value applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .parser import URL_VALID, Parser


@dataclass(frozen=True, slots=True)
class Redirects:
    ssl: bool | None = None  # ssl-redirect
    force_ssl: bool | None = None  # force-ssl-redirect
    preserve_trailing_slash: bool | None = None
    use_port: bool | None = None  # use-port-in-redirects
    permanent: tuple[str, int] | None = None  # (url, code)
    temporal: tuple[str, int] | None = None  # (url, code); wins over permanent
    relative: bool = False  # relative-redirects
    from_to_www: bool = False  # from-to-www-redirect


NO_REDIRECTS = Redirects()


def parse_redirects(p: Parser) -> Redirects:
    if not p.raw:
        return NO_REDIRECTS  # no annotation of this controller at all
    ssl = p.boolean("ssl-redirect", None)
    force_ssl = p.boolean("force-ssl-redirect", None)
    preserve = p.boolean("preserve-trailing-slash", None)
    use_port = p.boolean("use-port-in-redirects", None)
    www = p.boolean("from-to-www-redirect", False, strict=True)
    relative = p.boolean("relative-redirects", False, strict=True)
    temporal = p.get("temporal-redirect")
    permanent = p.get("permanent-redirect")
    url_fix = "Percent-encode other characters; only A-Za-z0-9-._~/:,?&= are accepted."
    for suffix, value in (("temporal-redirect", temporal), ("permanent-redirect", permanent)):
        if value is not None:
            p.strict(
                suffix,
                value,
                URL_VALID,
                remove_space=False,
                what="characters outside A-Za-z0-9-._~/:,?&=",
                fix=url_fix,
            )
    temporal_redirect: tuple[str, int] | None = None
    permanent_redirect: tuple[str, int] | None = None
    if temporal is not None:
        code = p.integer("temporal-redirect-code", strict=True)
        if code is None or not 300 <= code <= 307:
            code = 302
        if not urlsplit(temporal).scheme.startswith("http"):
            # isValidURL fails with a plain error: the redirect parser's whole result is discarded.
            p.warn(
                "temporal-redirect",
                f'value "{temporal}" is not an http(s) URL; the redirect annotations of this Ingress are ignored',
                f"Use an absolute URL, e.g. {p.line('temporal-redirect', 'https://example.com/new')}.",
                rule="ingress-nginx#5.2",
            )
            www = relative = False
        else:
            temporal_redirect = (temporal, code)
    else:
        code = p.integer("permanent-redirect-code", strict=True)
        if code is None or not 300 <= code <= 308:
            code = 301
        if permanent is not None:
            permanent_redirect = (permanent, code)
    if (
        ssl is None and force_ssl is None and preserve is None and use_port is None and not www and not relative
        and temporal_redirect is None and permanent_redirect is None
    ):
        return NO_REDIRECTS
    return Redirects(
        ssl=ssl,
        force_ssl=force_ssl,
        preserve_trailing_slash=preserve,
        use_port=use_port,
        permanent=permanent_redirect,
        temporal=temporal_redirect,
        relative=bool(relative),
        from_to_www=bool(www),
    )
