// The benchmark's test page: a product listing as a shop would have it. A render-blocking
// stylesheet, a header and navigation, a hero image, an application script that fetches the
// products and renders 60 cards with images (about 900 DOM nodes), a cart button that
// posts to the API, and a footer. Its own work is a few milliseconds, as on a fast page.

export const STYLES = `
*{box-sizing:border-box}body{margin:0;font:16px/1.4 system-ui,sans-serif;color:#222}
header{display:flex;gap:1rem;align-items:center;padding:1rem 2rem;background:#123;color:#fff}
header nav a{color:#cde;margin-right:1rem}
.hero{display:block;width:100%;height:320px;object-fit:cover;background:#eef}
main{padding:1rem 2rem}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:1rem}
.card{border:1px solid #ddd;border-radius:8px;padding:.5rem}.card img{width:100%;height:120px;background:#f4f4f4}
.card h3{font-size:1rem;margin:.5rem 0}.price{font-weight:700}button{padding:.5rem 1rem}
footer{padding:2rem;background:#f4f4f4;margin-top:2rem}
`;

export const APP = `
(function () {
  var grid = document.getElementById("grid");
  var count = document.getElementById("cart-count");
  function card(p) {
    var el = document.createElement("article");
    el.className = "card";
    el.innerHTML = '<img alt="" width="180" height="120" src="/img/' + p.id + '.svg">' +
      "<h3>" + p.name + "</h3><p>" + p.description + '</p><p class="price">' + p.price.toFixed(2) + " EUR</p>" +
      '<button class="add" data-sku="' + p.id + '">Add to cart</button>';
    return el;
  }
  fetch("/api/products").then(function (r) { return r.json(); }).then(function (products) {
    var fragment = document.createDocumentFragment();
    products.sort(function (a, b) { return a.price - b.price; }).forEach(function (p) { fragment.appendChild(card(p)); });
    grid.appendChild(fragment);
    document.body.setAttribute("data-ready", "1");
  });
  grid.addEventListener("click", function (event) {
    var button = event.target.closest("button.add");
    if (!button) return;
    fetch("/api/cart", { method: "POST", body: JSON.stringify({ sku: button.dataset.sku }) })
      .then(function (r) { return r.json(); })
      .then(function (cart) { count.textContent = String(cart.items); });
  });
})();
`;

export function products() {
  return Array.from({ length: 60 }, (_, i) => ({
    id: `p${i + 1}`,
    name: `Product ${i + 1}`,
    description: "A sturdy, well-made thing that people like to buy for everyday use.",
    price: 5 + ((i * 37) % 95) + 0.99,
  }));
}

export function svg(label) {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="360" height="240"><rect width="100%" height="100%" fill="#dde"/><text x="20" y="130" font-size="40">${label}</text></svg>`;
}

/** The page, with `head` (the agent's tags) at the end of the head. */
export function page(head) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="stylesheet" href="/styles.css">
${head}
</head><body>
<header><strong>Shop</strong><nav><a href="/">Home</a><a href="/new">New</a><a href="/sale">Sale</a><a href="/help">Help</a></nav>
<span>Cart: <b id="cart-count">0</b></span></header>
<img class="hero" src="/img/hero.svg" alt="Spring sale" width="1280" height="320">
<main><h1>All products</h1><div id="grid" class="grid"></div></main>
<footer><p>Shop Ltd. — Terms — Privacy — Contact</p></footer>
<script src="/app.js" defer></script>
</body></html>`;
}
