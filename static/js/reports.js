// Ask before a destructive button acts (forms marked data-confirm="…").
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// A long trend table is folded behind a tap on a phone; on a wide screen it stands open beside its chart.
if (window.matchMedia && window.matchMedia("(min-width: 801px)").matches) {
  document.querySelectorAll("details.table-fold").forEach(function (details) { details.open = true; });
}
