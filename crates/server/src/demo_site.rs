//! The demo shop at `/demo/`, served by `sightline demo` only ([`crate::demo_router`]):
//! a home page and product pages rendered here, a single-page checkout
//! (`/demo/checkout/…`), an order endpoint for it, and the static files of `demo/shop/`
//! (styles, scripts, SVG images) embedded in the binary. Every page loads the real agent
//! from `/agent.js` through `/demo/static/sightline-init.js`, the README's loader snippet
//! with the demo project's ingest key, so a visitor's clicks become a session of that
//! project. Answers carry a strict Content-Security-Policy of their own (no inline script).

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::AppState;

/// The id of the demo project, whose key the shop's pages carry.
pub const DEMO_PROJECT_ID: &str = "shop";

/// The demo pages' policy: this origin's scripts, styles, images and connections only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// `(file name, content type, bytes)` of the shop's static files.
static FILES: &[(&str, &str, &[u8])] = &[
    ("shop.css", "text/css; charset=utf-8", include_bytes!("../../../demo/shop/shop.css")),
    ("shop.js", "text/javascript; charset=utf-8", include_bytes!("../../../demo/shop/shop.js")),
    ("checkout.js", "text/javascript; charset=utf-8", include_bytes!("../../../demo/shop/checkout.js")),
    ("img/logo.svg", "image/svg+xml", include_bytes!("../../../demo/shop/img/logo.svg")),
    ("img/trail-shoe.svg", "image/svg+xml", include_bytes!("../../../demo/shop/img/trail-shoe.svg")),
    ("img/rain-jacket.svg", "image/svg+xml", include_bytes!("../../../demo/shop/img/rain-jacket.svg")),
    ("img/wool-socks.svg", "image/svg+xml", include_bytes!("../../../demo/shop/img/wool-socks.svg")),
    ("img/running-cap.svg", "image/svg+xml", include_bytes!("../../../demo/shop/img/running-cap.svg")),
    ("img/water-bottle.svg", "image/svg+xml", include_bytes!("../../../demo/shop/img/water-bottle.svg")),
    ("img/day-pack.svg", "image/svg+xml", include_bytes!("../../../demo/shop/img/day-pack.svg")),
];

/// One product of the shop.
struct Product {
    id: u32,
    name: &'static str,
    image: &'static str,
    price: &'static str,
    blurb: &'static str,
}

const PRODUCTS: &[Product] = &[
    Product { id: 1001, name: "Trail shoe", image: "trail-shoe", price: "€129", blurb: "Grippy soles for wet rock." },
    Product {
        id: 1002, name: "Rain jacket", image: "rain-jacket", price: "€189", blurb: "Three layers, taped seams."
    },
    Product { id: 1003, name: "Wool socks", image: "wool-socks", price: "€19", blurb: "Merino, two pairs." },
    Product { id: 1004, name: "Running cap", image: "running-cap", price: "€25", blurb: "Light, quick to dry." },
    Product { id: 1005, name: "Water bottle", image: "water-bottle", price: "€22", blurb: "750 ml, keeps it cold." },
    Product { id: 1006, name: "Day pack", image: "day-pack", price: "€89", blurb: "22 litres, rain cover inside." },
];

/// The shop's routes.
pub(crate) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/demo", get(|| async { Redirect::permanent("/demo/") }))
        .route("/demo/", get(home))
        .route("/demo/products/{id}", get(product))
        .route("/demo/checkout", get(checkout))
        .route("/demo/checkout/{step}", get(checkout))
        .route("/demo/api/orders", post(order))
        .route("/demo/static/sightline-init.js", get(init_script))
        .route("/demo/static/{*file}", get(static_file))
}

async fn home() -> Response {
    let mut cards = String::new();
    for product in PRODUCTS {
        let _ = write!(
            cards,
            r#"<a class="card" href="/demo/products/{id}"><img src="/demo/static/img/{image}.svg" alt="{name}" width="400" height="360"><h2>{name}</h2><p class="price">{price}</p></a>"#,
            id = product.id,
            image = product.image,
            name = product.name,
            price = product.price
        );
    }
    let body = format!(
        r#"<p class="banner">This shop is instrumented with Sightline's agent: browse, add to cart and check out, then find your session under Sessions in the <a href="/">dashboard</a>.</p><h1>Outdoor gear</h1><div class="grid">{cards}</div>"#
    );
    page("Sightline demo shop", &body, "shop.js")
}

async fn product(Path(id): Path<String>) -> Response {
    let Some(product) = PRODUCTS.iter().find(|product| product.id.to_string() == id) else {
        return (StatusCode::NOT_FOUND, page_html("Not found", "<h1>No such product</h1>", "shop.js")).into_response();
    };
    let body = format!(
        r#"<div class="product"><img src="/demo/static/img/{image}.svg" alt="{name}" width="400" height="360"><div><h1>{name}</h1><p class="price">{price}</p><p>{blurb}</p><p><button type="button" class="add-to-cart" data-product="{id}">Add to cart</button> <button type="button" class="secondary apply-coupon">Apply coupon</button> <button type="button" class="secondary broken">Add to wishlist</button></p><p class="note">The coupon button does nothing (click it a few times: a rage click); the wishlist button throws an error.</p><p><a href="/demo/checkout/cart">Go to checkout</a></p></div></div>"#,
        id = product.id,
        image = product.image,
        name = product.name,
        price = product.price,
        blurb = product.blurb
    );
    page(product.name, &body, "shop.js")
}

async fn checkout() -> Response {
    page("Checkout", r#"<div id="app"><p>Loading the checkout…</p></div>"#, "checkout.js")
}

async fn order() -> Response {
    let id: u32 = rand::random_range(100_000..1_000_000);
    let mut response = format!("{{\"order\":\"D-{id}\"}}").into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    secure(response)
}

/// The README's loader snippet with the demo project's key, as a file (the CSP has no inline script).
async fn init_script(State(state): State<Arc<AppState>>) -> Response {
    let key = state.projects.get(DEMO_PROJECT_ID).map_or_else(String::new, |project| project.ingest_key);
    let key = serde_json::to_string(&key).unwrap_or_else(|_| "\"\"".to_owned());
    let script = format!(
        "!function(w,d,n,u){{var q=w[n]=w[n]||function(){{(q.q=q.q||[]).push(arguments)}},e=q.e=q.e||[],f=function(x){{w[n].e&&e.length<50&&e.push(x)}};w.addEventListener(\"error\",f,!0);w.addEventListener(\"unhandledrejection\",f);var s=d.createElement(\"script\");s.async=1;s.src=u;d.head.appendChild(s)}}(window,document,\"sightline\",\"/agent.js\");\nsightline(\"init\", {{ projectKey: {key}, release: \"demo-shop\", environment: \"demo\" }});\n"
    );
    let mut response = script.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    secure(response)
}

async fn static_file(Path(file): Path<String>) -> Response {
    let Some((_, content_type, body)) = FILES.iter().find(|(name, _, _)| *name == file) else {
        return secure((StatusCode::NOT_FOUND, "not found\n").into_response());
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    secure(response)
}

fn page(title: &str, body: &str, script: &str) -> Response {
    secure(page_html(title, body, script).into_response())
}

/// A whole page: the agent's loader first, then the page's own script.
fn page_html(title: &str, body: &str, script: &str) -> axum::response::Html<String> {
    axum::response::Html(format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Sightline demo</title>
<script src="/demo/static/sightline-init.js"></script>
<link rel="icon" href="/demo/static/img/logo.svg" type="image/svg+xml">
<link rel="stylesheet" href="/demo/static/shop.css">
<script src="/demo/static/{script}" defer></script>
</head>
<body>
<header><img src="/demo/static/img/logo.svg" alt="" width="32" height="32"><a href="/demo/">Sightline demo shop</a><nav><a href="/demo/">Shop</a><a href="/demo/checkout/cart">Cart (<span id="cart-count">0</span>)</a><a href="/">Dashboard</a></nav></header>
<main>{body}</main>
<footer>A demo of Sightline, served by <code>sightline demo</code>. No real products, no real payments.</footer>
</body>
</html>
"#
    ))
}

/// The demo's security headers on an answer.
fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}
