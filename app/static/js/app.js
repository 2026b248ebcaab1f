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
