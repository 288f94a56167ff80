// The redemption form: one tap logs once (the idempotency key also guards a double tap).
(function () {
  var form = document.getElementById('redeem-form');
  if (!form) return;
  form.addEventListener('submit', function () {
    var button = document.getElementById('confirm');
    window.setTimeout(function () { button.disabled = true; button.textContent = button.dataset.busy || '…'; }, 0);
  });
})();
