// The evidence pack's progress page: poll the build's status, move the bar, then download the ZIP once the build
// it watched is done. A pack already built when the page opens (a later visit, the back button) is not downloaded
// again by itself: its button is there; one asked for by this very request (data-asked-now) is.
(function () {
  "use strict";
  var box = document.getElementById("pack");
  if (!box || !window.fetch) {
    return;
  }
  var bar = document.getElementById("pack-progress");
  var step = document.getElementById("pack-step");
  var error = document.getElementById("pack-error");
  var done = document.getElementById("pack-done");

  function show(status) {
    bar.value = status.progress;
    bar.textContent = status.progress + "%";
    step.textContent = [status.status_label, status.step_label, status.progress + "%"].filter(Boolean).join(" · ");
    box.setAttribute("data-status", status.status);
  }

  function download() {
    done.hidden = false;
    window.location.href = box.getAttribute("data-download-url");
  }

  function poll() {
    fetch(box.getAttribute("data-status-url"), {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (status.status === "done") {
          download();
        } else if (status.status === "failed") {
          error.textContent = status.error || "";
          error.hidden = false;
        } else {
          setTimeout(poll, 1000);
        }
      })
      .catch(function () { setTimeout(poll, 3000); });  // a dropped connection: try again, a little later
  }

  var initial = box.getAttribute("data-status");
  if (initial === "done") {
    if (box.hasAttribute("data-asked-now")) {
      download();
    }
  } else if (initial !== "failed") {
    setTimeout(poll, 500);
  }
})();
