// The demo shop's page script: a cart in localStorage, and a coupon button that does
// nothing (on purpose: click it a few times and find the rage click in the dashboard).
(function () {
  "use strict";
  var KEY = "sightline-demo-cart";
  function cart() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function showCount() {
    var count = document.getElementById("cart-count");
    if (count) count.textContent = String(cart().length);
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement)) return;
    if (target.matches("button.add-to-cart")) {
      var items = cart();
      items.push(target.getAttribute("data-product"));
      localStorage.setItem(KEY, JSON.stringify(items));
      showCount();
      target.textContent = "Added ✓";
      if (window.sightline) window.sightline("addEvent", "add_to_cart", { product: target.getAttribute("data-product") });
    }
    if (target.matches("button.apply-coupon")) {
      // Deliberately does nothing visible.
    }
    if (target.matches("button.broken")) {
      throw new Error("Demo shop: the wishlist is not implemented");
    }
  });
  showCount();
})();
