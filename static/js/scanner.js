// The in-app scanner: camera via getUserMedia, decoded by BarcodeDetector where the browser has it
// (Android Chrome), else by posting a downscaled frame every so often to the server (iOS Safari,
// WeChat). A photo or a typed card number are the fallbacks. Every path ends on the result page.
(function () {
  'use strict';
  var root = document.getElementById('scanner');
  if (!root) return;
  var camera = document.getElementById('camera');
  var video = document.getElementById('preview');
  var status = document.getElementById('scan-status');
  var startButton = document.getElementById('start-camera');
  var stopButton = document.getElementById('stop-camera');
  var note = document.getElementById('camera-note');
  var openForm = document.getElementById('open-form');
  var openCode = document.getElementById('open-code');
  var decodeUrl = root.getAttribute('data-decode-url');
  var csrf = root.getAttribute('data-csrf');
  var MSG = JSON.parse(root.getAttribute('data-messages') || '{}');
  var FRAME_MAX = 640;
  var SERVER_INTERVAL = 700;
  var stream = null, timer = null, detector = null, running = false, done = false;
  var canvas = document.createElement('canvas');

  function say(text, bad) {
    status.textContent = text;
    status.className = 'scan-status' + (bad ? ' bad' : '');
  }

  function finish(text) {
    if (done || !text) return;
    done = true;
    stop();
    if (navigator.vibrate) navigator.vibrate(80);
    say(MSG.found);
    openCode.value = text;
    openForm.submit();
  }

  function stop() {
    running = false;
    if (timer) window.clearTimeout(timer);
    timer = null;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    camera.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  }

  function next(delay) {
    if (running) timer = window.setTimeout(tick, delay);
  }

  function frameBlob(callback) {
    var w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return callback(null);
    var scale = Math.min(1, FRAME_MAX / Math.max(w, h));
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(callback, 'image/jpeg', 0.75);
  }

  function decodeOnServer(blob) {
    var body = new FormData();
    body.append('image', blob, 'frame.jpg');
    return fetch(decodeUrl, {
      method: 'POST', body: body, credentials: 'same-origin',
      headers: { 'X-CSRFToken': csrf, 'Accept': 'application/json' }
    }).then(function (response) {
      if (response.status === 429) { say(MSG.slow); return null; }
      return response.json().then(function (data) { return data.text || null; });
    });
  }

  function tick() {
    if (!running) return;
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) finish(codes[0].rawValue); else next(150);
      }).catch(function () { detector = null; next(SERVER_INTERVAL); });
      return;
    }
    frameBlob(function (blob) {
      if (!blob) return next(300);
      decodeOnServer(blob).then(function (text) {
        if (text) finish(text); else next(SERVER_INTERVAL);
      }).catch(function () { say(MSG.network, true); next(2000); });
    });
  }

  function pickDecoder() {
    if (!('BarcodeDetector' in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      return formats.indexOf('qr_code') >= 0 ? new window.BarcodeDetector({ formats: ['qr_code'] }) : null;
    }).catch(function () { return null; });
  }

  function start() {
    done = false;
    say(MSG.opening);
    navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } }
    }).then(function (s) {
      stream = s;
      video.setAttribute('playsinline', '');
      video.muted = true;
      video.srcObject = s;
      camera.hidden = false;
      startButton.hidden = true;
      stopButton.hidden = false;
      return video.play();
    }).then(pickDecoder).then(function (d) {
      detector = d;
      running = true;
      say(MSG.aim);
      next(300);
    }).catch(function (err) {
      stop();
      var denied = err && (err.name === 'NotAllowedError' || err.name === 'SecurityError');
      say(denied ? MSG.denied
                 : MSG.failed, true);
    });
  }

  var canUseCamera = window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
  if (!canUseCamera) {
    startButton.hidden = true;
    note.hidden = false;
    say(MSG.insecure, true);
  } else {
    startButton.addEventListener('click', start);
    stopButton.addEventListener('click', function () { stop(); say(MSG.closed); });
  }
  document.addEventListener('visibilitychange', function () { if (document.hidden && running) stop(); });
  window.addEventListener('pagehide', stop);

  // A chosen photo is sent at once; the button stays for browsers that need it.
  var photo = document.getElementById('photo');
  var photoForm = document.getElementById('photo-form');
  if (photo && photoForm) {
    photo.addEventListener('change', function () {
      if (photo.files && photo.files.length) {
        say(MSG.reading);
        photoForm.submit();
      }
    });
  }
})();
