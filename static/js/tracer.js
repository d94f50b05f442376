// Small helpers for every page: copy-to-clipboard buttons (Markdown summary, share links).
(function () {
  "use strict";
  function copyText(value) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(value);
    }
    const ta = document.createElement("textarea");
    ta.value = value;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.appendChild(ta);
    ta.select();
    try { document.execCommand("copy"); } finally { ta.remove(); }
    return Promise.resolve();
  }
  document.addEventListener("click", (e) => {
    const btn = e.target.closest("[data-copy-target]");
    if (!btn) return;
    e.preventDefault();
    const src = document.querySelector(btn.getAttribute("data-copy-target"));
    if (!src) return;
    const value = "value" in src ? src.value : src.textContent;
    const label = btn.textContent;
    copyText(value).then(() => {
      btn.textContent = "Copied";
      btn.setAttribute("data-copied", "true");
      setTimeout(() => { btn.textContent = label; }, 1500);
    });
  });
})();

// Hop panel on the trace page: a hop's details open beside the diagram on wide screens (a sticky side panel) and
// right below the hop on narrow ones. htmx fetches the partial and pushes ?hop=R.I (the deep link); this part
// places the panel, moves focus to its heading, fills in the absolute "link to this hop", closes it on Escape
// (or its Close button) and gives focus back to what opened it. The skip link moves to the top of the page.
(function () {
  "use strict";
  const WIDE = window.matchMedia("(min-width: 1440px)");
  let lastOpener = null;
  let lastPanel = null;

  function panels(root) {
    const scope = root && root.querySelectorAll ? root : document;
    const found = Array.from(scope.querySelectorAll("[data-hop-panel]"));
    if (scope.matches && scope.matches("[data-hop-panel]")) found.push(scope);
    return found;
  }
  function detailsOf(panel) { return panel.querySelector("[data-hop-details]"); }
  function cardOf(panel) { return panel.querySelector("[data-testid='hop-detail']"); }
  function layoutOf(panel) {
    return document.querySelector(`[data-hop-layout="${panel.getAttribute("data-hop-panel")}"]`);
  }
  function hopItem(panel, hop) {
    return document.getElementById(`hop-${panel.getAttribute("data-hop-panel")}-${hop}`);
  }
  function hopLink(panel, hop) {
    const item = hopItem(panel, hop);
    return item ? item.querySelector("a.hoplink") : null;
  }

  // Wide: the panel's own column of the layout; narrow: inside the chosen hop's list item, under the hop.
  function place(panel) {
    const card = cardOf(panel);
    const layout = layoutOf(panel);
    if (!layout) return;
    const item = card ? hopItem(panel, card.getAttribute("data-hop")) : null;
    const home = !card || WIDE.matches || !item;
    if (home && panel.parentElement !== layout) layout.appendChild(panel);
    if (!home && panel.parentElement !== item) item.appendChild(panel);
    panel.classList.toggle("open", Boolean(card));
    panel.classList.toggle("inline", !home);
  }

  function markSelected(panel) {
    const card = cardOf(panel);
    const layout = layoutOf(panel);
    if (!layout) return;
    layout.querySelectorAll("li.hop").forEach((li) => {
      const on = Boolean(card) && li === hopItem(panel, card.getAttribute("data-hop"));
      li.classList.toggle("selected", on);
      const link = li.querySelector("a.hoplink");
      if (link) { if (on) link.setAttribute("aria-current", "true"); else link.removeAttribute("aria-current"); }
    });
  }

  // The copy field holds "?hop=R.I" as rendered; the address to share is the page's own, with that query.
  function absoluteLinks(root) {
    root.querySelectorAll("[data-hop-url]").forEach((input) => {
      input.value = new URL(input.getAttribute("data-hop-url"), window.location.href).href;
    });
  }

  function setUp(root) {
    panels(root).forEach((panel) => {
      place(panel);
      markSelected(panel);
      absoluteLinks(panel);
    });
    const skip = document.querySelector("[data-skip-link]");
    if (skip && document.body.firstElementChild !== skip) document.body.insertBefore(skip, document.body.firstChild);
  }

  function opened(panel) {
    lastPanel = panel;
    place(panel);
    markSelected(panel);
    absoluteLinks(panel);
    const heading = panel.querySelector(".hop-heading");
    if (heading) {
      heading.focus({ preventScroll: true });
      panel.scrollIntoView({ block: "nearest" });
      heading.scrollIntoView({ block: "nearest" });
    }
  }

  function close(panel) {
    const details = detailsOf(panel);
    const card = cardOf(panel);
    if (!details || !card) return false;
    const hop = card.getAttribute("data-hop");
    details.innerHTML = "";
    place(panel);
    markSelected(panel);
    const url = new URL(window.location.href);
    if (url.searchParams.has("hop")) {
      url.searchParams.delete("hop");
      url.hash = "";
      window.history.replaceState(window.history.state, "", url.pathname + url.search);
    }
    const back = lastOpener && document.contains(lastOpener) && lastOpener.closest("[data-hop-layout]") === layoutOf(panel)
      ? lastOpener : hopLink(panel, hop);
    if (back) back.focus();
    lastOpener = null;
    return true;
  }

  document.addEventListener("click", (e) => {
    const opener = e.target.closest("[data-hop-open]");
    if (opener) {
      // SVG links are not focusable from the keyboard here (the hop list is): return focus to the list's link.
      lastOpener = opener.matches("a.hoplink, [data-testid='diagnosis-hop-link']") ? opener : null;
      return;
    }
    const closer = e.target.closest("[data-hop-close]");
    if (closer) {
      e.preventDefault();
      close(closer.closest("[data-hop-panel]"));
      return;
    }
    const skip = e.target.closest("[data-skip-link]");
    if (skip && !document.getElementById("trace-result")) {
      // Still queued or running: the status box is where the result will appear.
      const status = document.getElementById("trace-status");
      if (status) {
        e.preventDefault();
        status.setAttribute("tabindex", "-1");
        status.focus();
      }
    }
  });

  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape" || e.defaultPrevented) return;
    const active = document.activeElement;
    // Escape in a form field elsewhere on the page belongs to that field.
    if (active && active.matches && active.matches("input, select, textarea") && !active.closest("[data-hop-panel]")) return;
    const panel = (active && active.closest && active.closest("[data-hop-panel]"))
      || (lastPanel && document.contains(lastPanel) ? lastPanel : null)
      || panels(document).find((p) => cardOf(p));
    if (panel && close(panel)) e.preventDefault();
  });

  document.addEventListener("htmx:afterSettle", (e) => {
    const target = e.detail && e.detail.target;
    if (target && target.matches && target.matches("[data-hop-details]")) {
      const panel = target.closest("[data-hop-panel]");
      if (panel) opened(panel);
    }
  });
  // New content (the finished trace swapped in by the status poll, a history restore): place its panels.
  document.addEventListener("htmx:load", (e) => { if (e.target && e.target.querySelectorAll) setUp(e.target); });
  document.addEventListener("htmx:historyRestore", () => setUp(document));

  WIDE.addEventListener("change", () => panels(document).forEach(place));

  function start() {
    setUp(document);
    // Opened with ?hop=R.I: the hop is already open; bring it into view.
    const open = panels(document).find((p) => cardOf(p));
    if (open && new URL(window.location.href).searchParams.has("hop")) {
      lastPanel = open;
      open.scrollIntoView({ block: "nearest" });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
