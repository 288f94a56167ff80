// Show only the value input that fits the chosen kind of offer.
(function () {
  var form = document.querySelector(".offer-form");
  if (!form) return;
  function sync() {
    var checked = form.querySelector("input[name=kind]:checked");
    var kind = checked ? checked.value : "percent_off";
    form.querySelectorAll("[data-kind]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kind").split(" ").indexOf(kind) < 0;
    });
  }
  form.addEventListener("change", sync);
  sync();
})();
