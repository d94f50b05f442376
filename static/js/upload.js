// Upload page: drag and drop into the file input, and an XHR upload with a progress bar.
// Without JavaScript the form still posts normally.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("id_files");
  const zone = document.getElementById("dropzone");
  const list = document.getElementById("filelist");
  const row = document.getElementById("upload-progress-row");
  const bar = document.getElementById("upload-progress");
  const text = document.getElementById("upload-progress-text");
  const errors = document.getElementById("upload-errors");

  function human(n) {
    if (n < 1024) return n + " B";
    if (n < 1048576) return (n / 1024).toFixed(1) + " KB";
    return (n / 1048576).toFixed(1) + " MB";
  }

  function showFiles() {
    list.replaceChildren();
    for (const f of input.files) {
      const li = document.createElement("li");
      li.textContent = f.name + " (" + human(f.size) + ")";
      list.appendChild(li);
    }
  }

  input.addEventListener("change", showFiles);
  ["dragenter", "dragover"].forEach((ev) =>
    zone.addEventListener(ev, (e) => { e.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((ev) =>
    zone.addEventListener(ev, (e) => { e.preventDefault(); zone.classList.remove("over"); }));
  zone.addEventListener("drop", (e) => {
    const dt = new DataTransfer();
    for (const f of input.files) dt.items.add(f);
    for (const f of e.dataTransfer.files) dt.items.add(f);
    input.files = dt.files;
    showFiles();
  });

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const xhr = new XMLHttpRequest();
    const data = new FormData(form);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    row.hidden = false;
    bar.value = 0;
    text.textContent = "Uploading…";
    xhr.upload.addEventListener("progress", (ev) => {
      if (ev.lengthComputable) {
        bar.value = Math.round((ev.loaded / ev.total) * 100);
        text.textContent = human(ev.loaded) + " of " + human(ev.total);
      }
    });
    xhr.upload.addEventListener("load", () => {
      bar.removeAttribute("value");
      text.textContent = "Loading the manifests…";
    });
    xhr.addEventListener("load", () => {
      button.disabled = false;
      if (xhr.status >= 200 && xhr.status < 300) {
        let target = form.action;
        try { target = JSON.parse(xhr.responseText).url || target; } catch (e) { /* not JSON: stay on the form */ }
        window.location.assign(target);
        return;
      }
      row.hidden = true;
      const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const fresh = doc.getElementById("upload-errors");
      errors.replaceChildren(...(fresh ? fresh.childNodes : []));
      if (!fresh) errors.textContent = "The upload failed (HTTP " + xhr.status + ").";
      errors.scrollIntoView({ behavior: "smooth" });
    });
    xhr.addEventListener("error", () => {
      button.disabled = false;
      row.hidden = true;
      errors.textContent = "The upload failed: the server could not be reached.";
    });
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.send(data);
  });
})();
