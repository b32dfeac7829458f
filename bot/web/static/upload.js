// Upload progress for the documents page. Without JavaScript the form posts normally and the
// upload's own page refreshes itself until the document is ready.
"use strict";
(function () {
  const form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest) return;
  const status = document.getElementById("upload-status");
  const bar = document.getElementById("upload-progress");
  const message = document.getElementById("upload-message");
  const button = document.getElementById("upload");

  function show(percent, text) {
    status.hidden = false;
    bar.value = percent;
    message.textContent = text;
  }

  function poll(url) {
    fetch(url + "?format=json", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        show(job.percent, job.message);
        form.dataset.state = job.status;
        if (job.status === "running") {
          setTimeout(function () { poll(url); }, 400);
        } else {
          button.disabled = false;
          if (job.status === "done") setTimeout(function () { location.reload(); }, 1200);
        }
      })
      .catch(function () { show(0, "Lost contact with the server; reload the page."); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || location.pathname);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        show(Math.round((100 * e.loaded) / e.total), "Uploading… " + Math.round((100 * e.loaded) / e.total) + "%");
      }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status !== 200) {
        button.disabled = false;
        show(0, xhr.status === 413 ? "That file is too large." : "The upload was refused (" + xhr.status + ").");
        return;
      }
      const job = JSON.parse(xhr.responseText);
      show(job.percent, job.message);
      poll(job.url);
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      show(0, "The upload failed; check the connection and retry.");
    });
    button.disabled = true;
    form.dataset.state = "uploading";
    show(0, "Uploading…");
    xhr.send(new FormData(form));
  });
})();
