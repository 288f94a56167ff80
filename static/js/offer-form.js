// Show only the value input that fits the chosen kind of offer, and warn beside an amount off that is large
// against the shop's typical bill (or its minimum spend): the rule and the words are the server's
// (shops.services.offer_warning), handed over in the form's data attributes.
(function () {
  var form = document.querySelector(".offer-form");
  if (!form) return;
  var warning = document.getElementById("amount-warning");
  var typical = parseInt(form.getAttribute("data-typical-bill"), 10) || 0;
  var limits = (form.getAttribute("data-thresholds") || "0.3 0.5").split(" ").map(parseFloat);

  function fen(name) {
    var input = form.querySelector("[name=" + name + "]");
    var yuan = input ? parseFloat((input.value || "").replace(/[¥,，\s]/g, "")) : NaN;
    return isFinite(yuan) && yuan > 0 ? Math.round(yuan * 100) : 0;
  }
  function yuan(value) {
    return (value / 100).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function say(template, amount, reference) {
    return template.replace("{amount}", yuan(amount)).replace("{ref}", yuan(reference))
      .replace("{pct}", String(Math.round(100 * amount / reference)));
  }
  function warn(kind) {
    if (!warning) return;
    var amount = kind === "amount_off" ? fen("amount") : 0, minSpend = fen("min_spend"), text = "";
    if (amount && typical && amount >= limits[0] * typical) {
      text = say(form.getAttribute("data-warn-typical"), amount, typical);
    } else if (amount && !typical && minSpend && amount < minSpend && amount >= limits[1] * minSpend) {
      text = say(form.getAttribute("data-warn-min-spend"), amount, minSpend);
    }
    warning.textContent = text;
    warning.hidden = !text;
  }
  function sync() {
    var checked = form.querySelector("input[name=kind]:checked");
    var kind = checked ? checked.value : "percent_off";
    form.querySelectorAll("[data-kind]").forEach(function (el) {
      el.hidden = el.getAttribute("data-kind").split(" ").indexOf(kind) < 0;
    });
    warn(kind);
  }
  form.addEventListener("change", sync);
  form.addEventListener("input", sync);
  sync();
})();
