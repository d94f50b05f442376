"""A page reached without its trailing slash, whose relative asset URLs then resolve outside the prefix.

Report 004: the Dashboard at http://node/k8s (PathPrefixStrip /k8s) loads styles.css, which the browser
resolves to /styles.css (WHATWG URL: a relative reference replaces the base's last segment), outside the
prefix; at /k8s/ it works. Rules: browser#B4, ingress-nginx#5.2 (permanent-redirect), #3.5 (an Exact
location is tried before any regex location).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..journey.urls import UrlError, document_base, resolve
from ..result import Diagnosis, RequestTrace
from .context import FixContext, add, path_of
from .ingress_edit import annotations_patch, merge_ingress, new_ingress_beside


def _is_relative(ref: str) -> bool:
    return not ref.startswith("/") and "://" not in ref and not ref.startswith(("data:", "blob:", "#"))


def relative_assets_no_trailing_slash(ctx: FixContext, rt: RequestTrace) -> None:
    if (rt.step or {}).get("cause") != "asset" or rt.blocked is None:
        return
    page = ctx.page_of(rt)
    at = ctx.routed(page) if page is not None else None
    html = ((page.page or {}).get("html") if page is not None else None) or {}
    if page is None or at is None or not at.prefix or html.get("base"):
        return
    page_url = str(page.request.get("url") or "")
    page_path = urlsplit(page_url).path
    if page_path.endswith("/") or page_path.rstrip("/") != at.prefix:
        return
    asset_url = str(rt.request.get("url") or "")
    slashed = page_url.replace(page_path, page_path + "/", 1)
    for ref in html.get("assets") or []:
        ref = str(ref)
        try:
            if not _is_relative(ref) or resolve(ref, document_base(page_url)) != asset_url:
                continue
            fixed = urlsplit(resolve(ref, document_base(slashed))).path
        except UrlError:
            continue
        if not fixed.startswith(at.prefix + "/"):
            continue
        # One diagnosis per page: the first of its assets that broke this way.
        earlier = [r for r in ctx.requests if r is not rt and ctx.page_of(r) is page and r.step and rt.step
                   and r.step["index"] < rt.step["index"] and any(d.code == "RELATIVE_ASSETS_NO_TRAILING_SLASH"
                                                                  for d in r.diagnoses)]
        if earlier:
            return
        name = f"{at.obj.name}-trailing-slash"
        regex_mode = at.annotation("use-regex") == "true" or at.strips_prefix
        patches = []
        if regex_mode:
            # In regex mode every path of the host is a regex tried longest first (ingress-nginx#3.3, #3.5), so an
            # Exact /k8s becomes ^/k8s and loses to ^/k8s(/|$)(.*): the stripping path must stop matching the bare
            # prefix, and the redirect is ^/k8s$.
            if at.path != f"{at.prefix}(/|$)(.*)" or at.annotation("rewrite-target") != "/$2":
                return
            entry = {**at.entry, "path": f"{at.prefix}/(.*)"}
            body = {**annotations_patch({"rewrite-target": "/$1"}), "spec": {"rules": at.rules_with(entry)}}
            patches.append(merge_ingress(at, body, f"{at.label()}: path {at.path} -> {at.prefix}/(.*), rewrite-target /$1"))
            path, path_type = f"{at.prefix}$", "ImplementationSpecific"
        else:
            path, path_type = at.prefix, "Exact"
        patches.append(new_ingress_beside(
            at, name, path, path_type, f"new Ingress {at.obj.namespace}/{name}: {path} answers 301 to {at.prefix}/",
            {"permanent-redirect": at.prefix + "/"}))
        add(rt, Diagnosis(
            "RELATIVE_ASSETS_NO_TRAILING_SLASH", "error",
            f"The page was opened at {page_path} without a trailing slash, so its relative URL {ref} resolves to "
            f"{path_of(rt)}, outside {at.prefix}/ where the app's files are (with the slash it is {fixed}); the "
            f"browser got {rt.status} and refused the asset ({rt.blocked}).",
            f"Send {at.prefix} to {at.prefix}/ before the page loads: a rule for {at.prefix} alone answering a "
            f"permanent redirect to {at.prefix}/ (or link to the URL with the slash).",
            "browser#B4", [at.ref()], [p.to_dict() for p in patches],
        ))
        return
