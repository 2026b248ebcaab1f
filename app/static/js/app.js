// Gongyi — small progressive enhancements (no inline scripts: CSP forbids them).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
// Filter forms submit on change of a select for quicker browsing; the button still works.
document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
  select.addEventListener("change", function () { select.form.requestSubmit(); });
});
// Organization form: the credit code and registration date apply only to registered
// organizations. Hiding them is a convenience; the server ignores them for other statuses.
document.querySelectorAll("form.org-form").forEach(function (form) {
  var status = form.querySelector("select[name=legal_status]");
  if (!status) { return; }
  function sync() {
    var registered = status.value === "registered";
    form.querySelectorAll("[data-registered-only]").forEach(function (block) {
      block.classList.toggle("d-none", !registered);
      block.querySelectorAll("input").forEach(function (input) { input.disabled = !registered; });
    });
  }
  status.addEventListener("change", sync);
  sync();
});

// Rubric editor: show the running total of the max points typed so far.
document.querySelectorAll('[data-rubric-form]').forEach(function (form) {
  var out = form.querySelector('[data-rubric-total]');
  if (!out) return;
  function update() {
    var total = 0;
    form.querySelectorAll('[data-rubric-points]').forEach(function (input) {
      var n = parseInt(input.value, 10);
      if (!isNaN(n)) total += n;
    });
    out.textContent = String(total);
    out.classList.toggle('text-danger', total !== 100);
  }
  form.addEventListener('input', update);
  update();
});
