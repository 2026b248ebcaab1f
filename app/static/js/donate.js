// Donation pages: preset amount buttons fill the amount field; the pay page sends the
// browser on to the Stripe Checkout page (the link stays for browsers without script).
document.querySelectorAll("[data-donate-amount]").forEach(function (button) {
  button.addEventListener("click", function () {
    var form = button.closest("form");
    var input = form && form.querySelector("input[name=amount]");
    if (!input) { return; }
    input.value = button.getAttribute("data-donate-amount");
    form.querySelectorAll("[data-donate-amount]").forEach(function (other) {
      other.classList.toggle("active", other === button);
      other.setAttribute("aria-pressed", other === button ? "true" : "false");
    });
    input.focus();
  });
});
var checkout = document.querySelector("a[data-checkout-redirect]");
if (checkout) {
  window.location.replace(checkout.href);  // Back from Stripe returns to the fund page
}
