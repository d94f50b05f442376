"""The rule catalog as web pages: docs/rules/<family>.md (and diagnoses.md) rendered to safe HTML.

Rendering is Python-Markdown with raw HTML turned off (it shows as text), link targets limited to
http(s), mailto and same-site addresses, and one tree pass that gives each rule heading the id the
catalog promises (``rule_anchor``; the code itself for diagnoses) and turns bare URLs and rule ids in
the prose into links. Pages are cached per file version; links to single rules (for trace pages) come
from :func:`rule_ref` and :func:`diagnosis_ref`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

import markdown
from django.urls import reverse
from markdown.treeprocessors import Treeprocessor

from tracer.engine.catalog import RULE_FAMILIES, RULES_DIR, diagnosis_kind, find_rule, rule_anchor, split_rule

DIAGNOSES = "diagnoses"
# Every page: rule families first, then the diagnosis codes.
PAGES: dict[str, str] = {**RULE_FAMILIES, DIAGNOSES: "Diagnosis codes"}

_RULE_HEADING = re.compile(r"(\S+)\s+—\s+(.+)")
_FAMILY_NAMES = "|".join(re.escape(f) for f in RULE_FAMILIES)
_LINKABLE = re.compile(rf"https?://[^\s<>\"'`]+|\b(?:{_FAMILY_NAMES})#[A-Za-z0-9.\-]+")
_CATALOG_FILE = re.compile(r"docs/rules/([a-z0-9-]+)\.md")
_NO_LINKS_INSIDE = {"a", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}
_SAFE_SCHEMES = {"", "http", "https", "mailto"}


@dataclass(frozen=True)
class RuleRef:
    """Where a rule (or diagnosis code) is documented, and its title when the docs have one."""

    url: str
    title: str


@dataclass(frozen=True)
class RulePage:
    slug: str
    title: str
    html: str  # safe: raw HTML in the source was escaped, links were checked
    sections: tuple[tuple[str, str], ...]  # (anchor, title) of each level-2 heading
    rule_count: int


# -- links to single rules -----------------------------------------------------------------------------


def page_url(slug: str) -> str:
    return reverse("tracer-rules-page", args=[slug])


@cache
def _documented_rule(rule_id: str) -> tuple[str, str, str] | None:
    """(family, anchor, title) of a documented rule; the catalog parses each file once."""
    rule = find_rule(rule_id)
    return (rule.family, rule_anchor(rule.id), rule.title) if rule is not None else None


def rule_ref(rule_id: str) -> RuleRef | None:
    """The link for a rule id that the catalog documents; None for other text (shown as it is)."""
    found = _documented_rule(rule_id) if split_rule(rule_id) else None
    if found is None:
        return None
    family, anchor, title = found
    return RuleRef(f"{page_url(family)}#{anchor}", title)


def diagnosis_ref(code: str) -> RuleRef | None:
    """The link for a registered diagnosis code, with its registered title."""
    kind = diagnosis_kind(code)
    return RuleRef(f"{page_url(DIAGNOSES)}#{kind.code}", kind.title) if kind is not None else None


# -- rendering -----------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def _safe_href(href: str) -> bool:
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in _SAFE_SCHEMES and not any(c in href for c in "\x00\r\n\t")


def _link_for(text: str) -> tuple[str, str] | None:
    """(href, tooltip) for a bare URL or a documented rule id found in prose."""
    if text.startswith(("http://", "https://")):
        return text, ""
    ref = rule_ref(text)
    return (ref.url, ref.title) if ref is not None else None


def _code_target(text: str) -> tuple[str, str] | None:
    """(href, tooltip) for inline code that is exactly a documented rule id or a catalog file's path."""
    page = _CATALOG_FILE.fullmatch(text)
    if page is not None:
        return (page_url(page.group(1)), PAGES[page.group(1)]) if page.group(1) in PAGES else None
    ref = rule_ref(text)
    return (ref.url, ref.title) if ref is not None else None


def _split_links(text: str | None) -> tuple[str | None, list[etree.Element]]:
    """Text before the first link, and <a> elements (each carrying the text after it as tail)."""
    if not text:
        return text, []
    head: str | None = None
    nodes: list[etree.Element] = []
    pos = 0
    for m in _LINKABLE.finditer(text):
        found = m.group(0).rstrip(".,;:!?")
        if found.endswith(")") and "(" not in found:
            found = found[:-1]
        link = _link_for(found)
        if link is None:
            continue
        before = text[pos : m.start()]
        if nodes:
            nodes[-1].tail = (nodes[-1].tail or "") + before
        else:
            head = before
        a = etree.Element("a", {"href": link[0]})
        if link[1]:
            a.set("title", link[1])
        a.text = found
        nodes.append(a)
        pos = m.start() + len(found)
    if not nodes:
        return text, []
    nodes[-1].tail = (nodes[-1].tail or "") + text[pos:]
    return head, nodes


def _linkify(el: etree.Element) -> None:
    """Link the URLs and rule ids in ``el``'s text, its descendants' and their tails (not inside code or links)."""
    if el.tag in _NO_LINKS_INSIDE:
        return
    head, nodes = _split_links(el.text)
    if nodes:
        el.text = head
        for k, node in enumerate(nodes):
            el.insert(k, node)
    i = len(nodes)
    while i < len(el):
        child = el[i]
        href = _code_target(child.text or "") if child.tag == "code" and len(child) == 0 else None
        if href is not None:  # `ingress-nginx#3.6` or `docs/rules/dataplane.md` in code: link the code
            a = etree.Element("a", {"href": href[0]})
            if href[1]:
                a.set("title", href[1])
            a.tail, child.tail = child.tail, None
            a.append(child)
            el[i] = a
            child = a
        _linkify(child)
        child.tail, tail_nodes = _split_links(child.tail)
        for k, node in enumerate(tail_nodes):
            el.insert(i + 1 + k, node)
        i += 1 + len(tail_nodes)


class _CatalogTree(Treeprocessor):
    """Heading ids, the page title and sections, safe links, and links in the prose."""

    def __init__(self, md: markdown.Markdown, slug: str) -> None:
        super().__init__(md)
        self.slug = slug
        self.title = ""
        self.sections: list[tuple[str, str]] = []
        self.rules = 0

    def run(self, root: etree.Element) -> None:
        used: set[str] = set()
        for el in list(root):
            text = "".join(el.itertext()).strip()
            if el.tag == "h1" and not self.title:
                self.title = text
                root.remove(el)  # the page template shows the title
            elif el.tag == "h2":
                anchor = _slug(text)
                while anchor in used:
                    anchor += "-"
                el.set("id", anchor)
                used.add(anchor)
                self.sections.append((anchor, text))
            elif el.tag == "h3" and (m := _RULE_HEADING.fullmatch(text)):
                key = m.group(1)
                anchor = key if self.slug == DIAGNOSES else rule_anchor(key) if split_rule(key) else ""
                if anchor and anchor not in used:
                    el.set("id", anchor)
                    el.set("class", "rule-heading")
                    used.add(anchor)
                    self.rules += 1
        for el in root.iter():
            for attr in ("href", "src"):
                value = el.get(attr)
                if value is not None and not _safe_href(value):
                    del el.attrib[attr]
        _linkify(root)


def _markdown(slug: str) -> tuple[markdown.Markdown, _CatalogTree]:
    md = markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")
    # Raw HTML in the source is shown as text, never passed through.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    tree = _CatalogTree(md, slug)
    md.treeprocessors.register(tree, "tracer-catalog", 5)  # after inline markup (20), before unescaping (0)
    return md, tree


def render_markdown(slug: str, source: str) -> RulePage:
    """Render one catalog file's text as the page ``slug`` (a family, or ``diagnoses``)."""
    md, tree = _markdown(slug)
    html = md.convert(source)
    return RulePage(slug, tree.title or PAGES.get(slug, slug), html, tuple(tree.sections), tree.rules)


@cache
def _render(slug: str, version: int) -> RulePage:
    """``version`` (the file's mtime) is part of the cache key, so an edited file is read again."""
    return render_markdown(slug, (RULES_DIR / f"{slug}.md").read_text(encoding="utf-8"))


def render_page(slug: str) -> RulePage | None:
    """The page for a family or ``diagnoses``; None for an unknown name or a missing file."""
    if slug not in PAGES:
        return None
    try:
        version = (RULES_DIR / f"{slug}.md").stat().st_mtime_ns
    except OSError:
        return None
    return _render(slug, version)
