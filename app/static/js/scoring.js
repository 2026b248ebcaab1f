// Score sheet (评分表): the live total of the points typed so far. The server checks
// every value again; this only helps the reviewer see the sum while typing.
document.querySelectorAll("form[data-score-form]").forEach(function (form) {
  var out = form.querySelector("[data-score-total]");
  var hint = form.querySelector("[data-score-hint]");
  if (!out) { return; }
  function update() {
    var total = 0;
    var bad = false;
    form.querySelectorAll("[data-score-input]").forEach(function (input) {
      var text = input.value.trim();
      if (text === "") {
        // A number input holding text it cannot parse reports an empty value but is invalid.
        if (input.validity && input.validity.badInput) { bad = true; }
        return;
      }
      var max = parseInt(input.getAttribute("data-max"), 10);
      if (!/^[0-9]+$/.test(text) || parseInt(text, 10) > max) {
        bad = true;
        return;
      }
      total += parseInt(text, 10);
    });
    out.textContent = String(total);
    if (hint) { hint.hidden = !bad; }
  }
  form.addEventListener("input", update);
  update();
});

// One submission per page: a double click on 暂存 / 提交评分 sends the form once.
document.querySelectorAll("form[data-score-form]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (form.getAttribute("data-sent")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "1");
  });
});
window.addEventListener("pageshow", function (event) {
  // Back/forward cache: a page shown again may be submitted again.
  if (event.persisted) {
    document.querySelectorAll("form[data-score-form]").forEach(function (form) { form.removeAttribute("data-sent"); });
  }
});
