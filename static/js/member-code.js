// The member's phone page: a QR and a typed number that change every step, a live clock and a
// countdown (so a screenshot is easy to tell from the real thing), and a clear banner when the phone is
// offline. When the credential stops (revoked, expired, a card printed instead) the page says so and
// what to do, and the clock and countdown stop: nothing on it looks valid any more.
(function () {
  "use strict";
  var root = document.getElementById("member-code");
  var img = document.getElementById("qr");
  if (!root || !img) { return; }
  var clock = document.getElementById("clock");
  var countdown = document.getElementById("countdown");
  var banner = document.getElementById("offline-banner");
  var cover = document.getElementById("qr-cover");
  var frame = document.getElementById("qr-frame");
  var digits = document.getElementById("digits");
  var live = document.getElementById("live-code");
  var stopped = document.getElementById("code-stopped");
  var stoppedText = document.getElementById("code-stopped-text");
  var timer = null;
  var codeUrl = root.dataset.codeUrl;
  var svgUrl = root.dataset.svgUrl;
  var state = {
    offset: Date.parse(root.dataset.serverTime) - Date.now() || 0,  // server clock minus ours
    refreshAt: Date.parse(root.dataset.refreshAt),
    expiresAt: Date.parse(root.dataset.expiresAt),
    fetching: false,
    failedAt: 0,
    offline: !navigator.onLine
  };

  function now() { return Date.now() + state.offset; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function showOffline(off) {
    state.offline = off;
    banner.hidden = !off;
    root.classList.toggle("is-offline", off);
  }

  function apply(code) {
    state.offset = Date.parse(code.server_time) - Date.now();
    state.refreshAt = Date.parse(code.refresh_at);
    state.expiresAt = Date.parse(code.expires_at);
    img.src = svgUrl + "?v=" + encodeURIComponent(code.refresh_at);
    if (digits) { digits.textContent = code.digits_display; }
    cover.hidden = true;
    frame.classList.remove("stale");
  }

  function refresh() {
    if (state.fetching) { return; }
    state.fetching = true;
    fetch(codeUrl, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        return response.json().then(function (body) {
          if (response.status === 409 && body && body.error && body.error.code === "credential_invalid") {
            stop(body.error.message);
            return null;
          }
          if (!response.ok) {
            var message = body && body.error ? body.error.message : "";
            cover.textContent = message || root.dataset.textStale;
            cover.hidden = false;
            frame.classList.add("stale");
            state.refreshAt = now() + 30000;
            return null;
          }
          return body;
        });
      })
      .then(function (code) {
        state.fetching = false;
        if (state.stopped) { return; }
        showOffline(false);
        if (code) { apply(code); }
      })
      .catch(function () {
        state.fetching = false;
        state.failedAt = now();
        showOffline(true);
      });
  }

  // The credential no longer verifies: no code, no clock, no countdown; say why and whom to contact.
  function stop(message) {
    state.stopped = true;
    if (timer) { clearInterval(timer); timer = null; }
    img.removeAttribute("src");
    live.hidden = true;
    banner.hidden = true;
    stoppedText.textContent = message;
    var liveForm = document.getElementById("live-form");
    if (liveForm) { liveForm.textContent = "—"; }
    stopped.hidden = false;
  }

  function tick() {
    if (state.stopped) { return; }
    var t = new Date(now());
    clock.textContent = pad(t.getHours()) + ":" + pad(t.getMinutes()) + ":" + pad(t.getSeconds());
    var left = Math.max(0, Math.ceil((state.refreshAt - t.getTime()) / 1000));
    if (t.getTime() >= state.expiresAt) {
      cover.textContent = root.dataset.textStale;
      cover.hidden = false;
      frame.classList.add("stale");
    }
    if (t.getTime() >= state.refreshAt) {
      countdown.textContent = root.dataset.textUpdating;
      if (!state.offline || t.getTime() - state.failedAt > 3000) { refresh(); }
    } else {
      countdown.textContent = root.dataset.textSeconds.replace("{s}", left);
    }
  }

  window.addEventListener("offline", function () { showOffline(true); });
  window.addEventListener("online", function () { if (!state.stopped) { showOffline(false); refresh(); } });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !state.stopped) { refresh(); }
  });
  showOffline(state.offline);
  tick();
  timer = setInterval(tick, 250);
})();
