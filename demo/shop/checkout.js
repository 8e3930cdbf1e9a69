// The demo shop's checkout: a single-page app (cart → shipping → payment → done) that
// changes routes with history.pushState, so the agent reports each step as a view.
(function () {
  "use strict";
  var KEY = "sightline-demo-cart";
  var STEPS = ["cart", "shipping", "payment", "done"];
  var app = document.getElementById("app");
  var order = null;

  function cart() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function stepFromPath() {
    var last = location.pathname.replace(/\/+$/, "").split("/").pop();
    return STEPS.indexOf(last) >= 0 ? last : "cart";
  }
  function go(step) {
    history.pushState({ step: step }, "", "/demo/checkout/" + step);
    render();
  }
  function button(text, onClick, className) {
    var node = el("button", { type: "button", class: className || "" }, [text]);
    node.addEventListener("click", onClick);
    return node;
  }
  function render() {
    var step = stepFromPath();
    app.textContent = "";
    app.appendChild(el("div", { class: "steps" }, STEPS.map(function (name) {
      return el("span", { class: name === step ? "current" : "" }, [name]);
    })));
    if (step === "cart") {
      var items = cart();
      app.appendChild(el("h1", {}, ["Your cart"]));
      app.appendChild(el("p", {}, [items.length ? items.length + " item(s): " + items.join(", ") : "Your cart is empty: add something from the shop first (or go on anyway)."]));
      app.appendChild(button("Continue to shipping", function () { go("shipping"); }));
    } else if (step === "shipping") {
      app.appendChild(el("h1", {}, ["Shipping"]));
      app.appendChild(el("label", {}, ["Name ", el("input", { name: "name", autocomplete: "name" })]));
      app.appendChild(el("label", {}, ["Address ", el("input", { name: "address", autocomplete: "street-address" })]));
      app.appendChild(button("Continue to payment", function () { go("payment"); }));
    } else if (step === "payment") {
      app.appendChild(el("h1", {}, ["Payment"]));
      app.appendChild(el("p", { class: "note" }, ["No real payment: the demo takes any card."]));
      app.appendChild(el("label", {}, ["Card number ", el("input", { name: "card", autocomplete: "off", value: "4242 4242 4242 4242" })]));
      app.appendChild(button("Place order", placeOrder, "place-order"));
    } else {
      app.appendChild(el("h1", {}, ["Thank you!"]));
      app.appendChild(el("p", {}, [order ? "Order " + order + " is on its way." : "Your order is on its way."]));
      app.appendChild(el("p", {}, [el("a", { href: "/demo/" }, ["Back to the shop"])]));
    }
  }
  function placeOrder() {
    fetch("/demo/api/orders", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ items: cart() }),
    })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        order = answer.order;
        localStorage.removeItem(KEY);
        if (window.sightline) window.sightline("addEvent", "purchase");
        go("done");
      })
      .catch(function () { go("done"); });
  }
  window.addEventListener("popstate", render);
  render();
})();
