// The phone's position, read once when asked (no inline scripts under the CSP; no map SDK).
// [data-near-me]: reloads its data-url with ?near=lat,lng, and the server lists the shops nearest first.
// [data-locate]: fills a form's latitude and longitude boxes with where the phone is (the owner, at the shop).
(function () {
  "use strict";
  var OPTIONS = { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 };

  function locate(box, status, onPosition) {
    if (!navigator.geolocation) {
      status.textContent = box.dataset.textUnsupported;
      return;
    }
    status.textContent = box.dataset.textLocating;
    navigator.geolocation.getCurrentPosition(onPosition, function () {
      status.textContent = box.dataset.textDenied;
    }, OPTIONS);
  }

  document.querySelectorAll("[data-near-me]").forEach(function (box) {
    var status = box.querySelector("[data-near-me-status]");
    box.querySelector("[data-near-me-button]").addEventListener("click", function () {
      locate(box, status, function (position) {
        var url = new URL(box.dataset.url, window.location.href);
        url.searchParams.set("near", position.coords.latitude.toFixed(5) + "," + position.coords.longitude.toFixed(5));
        window.location.assign(url.toString());
      });
    });
  });

  document.querySelectorAll("[data-locate]").forEach(function (box) {
    var status = box.querySelector("[data-locate-status]");
    box.querySelector("[data-locate-button]").addEventListener("click", function () {
      locate(box, status, function (position) {
        box.querySelector("[data-locate-lat]").value = position.coords.latitude.toFixed(6);
        box.querySelector("[data-locate-lng]").value = position.coords.longitude.toFixed(6);
        status.textContent = box.dataset.textDone.replace("{m}", Math.round(position.coords.accuracy));
      });
    });
  });
})();
