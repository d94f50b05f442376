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
