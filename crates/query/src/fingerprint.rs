//! Error fingerprints: which errors are "the same error".
//!
//! A fingerprint is a hash of three things, each normalized so that what varies between
//! occurrences of one bug does not split its group:
//!
//! 1. the error type (`TypeError`), as it is;
//! 2. the message, with URLs, quoted strings, UUIDs, hex ids and numbers replaced by
//!    placeholders (`Cannot read properties of undefined (reading 'id')` and
//!    `… (reading 'name')` are one group; so are `Request 4411 failed` and `Request 97 failed`);
//! 3. the top [`FRAMES`] frames of the stack, each as `function@file`: the file is the
//!    script URL's path (no scheme, host, query or hash) with version-like segments and
//!    content hashes replaced (`/static/js/main.3f9a1c2e.js` → `/static/js/main.*.js`,
//!    `/v2.4.1/app.js` → `/*/app.js`); line and column numbers are left out, since they
//!    change with every build, except for a frame without a function name (an anonymous
//!    function or top-level code), where the line is the only thing that tells two
//!    frames of one file apart.
//!
//! Chrome and Edge (V8: `    at fn (url:line:col)`, `    at url:line:col`, `async`, `new`,
//! `eval at`) and Firefox and Safari (`fn@url:line:col`, `@url:line:col`,
//! `global code@…`) stacks are read; lines that are neither (the V8 first line
//! repeating the message, `[native code]`) are skipped.
//!
//! The hash is FNV-1a (64 bits), written as 16 hex digits: stable across versions and
//! machines, as a fingerprint stored later must be.

use std::sync::LazyLock;

use regex::Regex;

/// How many frames of the stack count.
pub const FRAMES: usize = 5;

/// The fingerprint of an error, 16 hex digits.
pub fn fingerprint(error_type: Option<&str>, message: Option<&str>, stack: Option<&str>) -> String {
    let mut hash = Fnv::default();
    hash.write(error_type.unwrap_or_default());
    hash.write("\n");
    hash.write(&normalize_message(message.unwrap_or_default()));
    for frame in stack.map(frames).unwrap_or_default() {
        hash.write("\n");
        hash.write(&frame);
    }
    format!("{:016x}", hash.0)
}

/// FNV-1a, 64 bits.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    fn write(&mut self, text: &str) {
        for byte in text.bytes() {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|error| panic!("the pattern {pattern} compiles: {error}"))
}

/// The message with its variable parts replaced: `<url>`, `<str>`, `<uuid>`, `<hex>`, `<n>`.
pub fn normalize_message(message: &str) -> String {
    static URL: LazyLock<Regex> = LazyLock::new(|| regex(r#"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'"`<>()]+"#));
    static QUOTED: LazyLock<Regex> = LazyLock::new(|| regex(r#"'[^']*'|"[^"]*"|`[^`]*`"#));
    static UUID: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"));
    static HEX: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)\b0x[0-9a-f]+\b|\b[0-9a-f]*[0-9][0-9a-f]*\b"));
    static NUMBER: LazyLock<Regex> = LazyLock::new(|| regex(r"\d+(\.\d+)?"));
    let text = URL.replace_all(message, "<url>");
    let text = QUOTED.replace_all(&text, "<str>");
    let text = UUID.replace_all(&text, "<uuid>");
    // A word of hex digits with at least one digit and a letter: an id; only digits: a number.
    let text = HEX.replace_all(&text, |captures: &regex::Captures<'_>| {
        let word = &captures[0];
        if word.len() >= 6 && word.bytes().any(|b| b.is_ascii_alphabetic()) { "<hex>".into() } else { word.to_owned() }
    });
    NUMBER.replace_all(&text, "<n>").trim().to_owned()
}

/// The top [`FRAMES`] frames of `stack`, normalized.
pub fn frames(stack: &str) -> Vec<String> {
    stack.lines().filter_map(frame).take(FRAMES).collect()
}

/// One line of a stack as `function@file` (`@file:line` without a function), or `None`
/// when it is not a frame.
fn frame(line: &str) -> Option<String> {
    // Chrome: `at fn (url:1:2)`, `at url:1:2`, `at async fn (url:1:2)`, `at new C (url:1:2)`.
    static V8: LazyLock<Regex> = LazyLock::new(|| regex(r"^\s*at\s+(?:(.*?)\s+\()?(.*?)\)?$"));
    // Firefox and Safari: `fn@url:1:2`, `@url:1:2`.
    static GECKO: LazyLock<Regex> = LazyLock::new(|| regex(r"^\s*(global code|[^@\s]*)@(\S+)$"));
    let (function, location) = if let Some(captures) = V8.captures(line) {
        let function = captures.get(1).map_or("", |m| m.as_str());
        let mut location = captures.get(2).map_or("", |m| m.as_str());
        // `eval at fn (url:1:2), <anonymous>:3:4`: the eval'd code's own frame.
        if let Some(inner) = location.rfind("(").map(|i| &location[i + 1..]) {
            location = inner.split("),").next().unwrap_or(inner);
        }
        (function, location)
    } else if let Some(captures) = GECKO.captures(line) {
        (captures.get(1).map_or("", |m| m.as_str()), captures.get(2).map_or("", |m| m.as_str()))
    } else {
        return None;
    };
    let function = function.trim().trim_start_matches("async ").trim_start_matches("new ").trim();
    let function = if matches!(function, "<anonymous>" | "global code" | "Object.<anonymous>") { "" } else { function };
    let (file, line_number) = split_position(location.trim());
    if file.is_empty() && function.is_empty() || matches!(file, "[native code]" | "native" | "<anonymous>") {
        return None;
    }
    let file = normalize_file(file);
    if function.is_empty() {
        return Some(format!("@{file}:{}", line_number.unwrap_or_default()));
    }
    Some(format!("{function}@{file}"))
}

/// `url:line:col` → (`url`, line).
fn split_position(location: &str) -> (&str, Option<&str>) {
    let mut rest = location;
    let mut numbers = Vec::new();
    while let Some((head, tail)) = rest.rsplit_once(':') {
        if tail.is_empty() || !tail.bytes().all(|b| b.is_ascii_digit()) || numbers.len() == 2 {
            break;
        }
        numbers.push(tail);
        rest = head;
    }
    // `url:line:col` pushed col then line; `url:line` pushed line.
    (rest, numbers.last().copied())
}

/// A script URL's path, without scheme, host, query or hash, with version-like segments
/// and content hashes replaced by `*`.
pub fn normalize_file(url: &str) -> String {
    static VERSION: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)^v?\d+(\.\d+)*([.-][a-z0-9]+)*$"));
    static HASH: LazyLock<Regex> = LazyLock::new(|| regex(r"(?i)^[0-9a-f]{6,}$|^[a-z0-9_-]*\d[a-z0-9_-]*$"));
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    };
    let segments: Vec<String> = path
        .split('/')
        .map(|segment| {
            if VERSION.is_match(segment) {
                return "*".to_owned();
            }
            // In a file name (`main.3f9a1c2e.chunk.js`, `app-4f2a9b71.js`), replace the hashes.
            let parts: Vec<&str> = segment.split(['.', '-', '_', '~']).collect();
            if parts.len() == 1 {
                return segment.to_owned();
            }
            let mut out = String::with_capacity(segment.len());
            let mut rest = segment;
            for part in parts {
                let replaced =
                    part.len() >= 6 && HASH.is_match(part) && part.bytes().filter(u8::is_ascii_digit).count() >= 2;
                out.push_str(if replaced { "*" } else { part });
                rest = &rest[part.len()..];
                if let Some(separator) = rest.chars().next() {
                    out.push(separator);
                    rest = &rest[separator.len_utf8()..];
                }
            }
            out
        })
        .collect();
    segments.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_lose_their_variable_parts() {
        assert_eq!(
            normalize_message("Cannot read properties of undefined (reading 'id')"),
            "Cannot read properties of undefined (reading <str>)"
        );
        assert_eq!(normalize_message("Request 4411 failed after 2.5 s"), "Request <n> failed after <n> s");
        assert_eq!(
            normalize_message("Failed to fetch https://api.shop.test/orders/42?x=1 (order 3f9a1c2e7b)"),
            "Failed to fetch <url> (order <hex>)"
        );
        assert_eq!(normalize_message("user 0b7e8c36-5f4a-4c1e-9d2b-7a1e3c5d9f00 not found"), "user <uuid> not found");
        assert_eq!(normalize_message("pointer 0xdeadbeef is null"), "pointer <hex> is null");
        assert_eq!(normalize_message("x is not a function"), "x is not a function");
        assert_eq!(normalize_message("\"foo\" is not valid JSON"), "<str> is not valid JSON");
        // Words that merely look like hex stay (`decade`, `facade`).
        assert_eq!(normalize_message("facade failed"), "facade failed");
    }

    #[test]
    fn files_lose_host_query_versions_and_hashes() {
        assert_eq!(normalize_file("https://cdn.shop.test/static/js/main.3f9a1c2e.js?v=3#x"), "/static/js/main.*.js");
        assert_eq!(normalize_file("https://shop.test/assets/app-4f2a9b71.js"), "/assets/app-*.js");
        assert_eq!(normalize_file("https://cdn.test/lib/v2.4.1/app.js"), "/lib/*/app.js");
        assert_eq!(normalize_file("https://cdn.test/npm/react@18.2.0/index.js"), "/npm/react@18.2.0/index.js");
        assert_eq!(normalize_file("https://cdn.test/1.2.3/checkout.bundle.js"), "/*/checkout.bundle.js");
        assert_eq!(normalize_file("webpack-internal:///./src/cart.js"), "/./src/cart.js");
        assert_eq!(normalize_file("/app.js"), "/app.js");
    }

    const CHROME: &str = "TypeError: Cannot read properties of undefined (reading 'id')
    at renderCart (https://shop.test/static/js/main.3f9a1c2e.js:2:14512)
    at async loadCart (https://shop.test/static/js/main.3f9a1c2e.js:2:9981)
    at new CartView (https://shop.test/static/js/main.3f9a1c2e.js:1:300)
    at https://shop.test/static/js/vendor.81be02a4.js:17:88
    at Array.forEach (<anonymous>)
    at Object.<anonymous> (https://shop.test/app.js:5:1)";

    const FIREFOX: &str = "renderCart@https://shop.test/static/js/main.3f9a1c2e.js:2:14512
loadCart@https://shop.test/static/js/main.3f9a1c2e.js:2:9981
CartView@https://shop.test/static/js/main.3f9a1c2e.js:1:300
@https://shop.test/static/js/vendor.81be02a4.js:17:88
";

    const SAFARI: &str = "renderCart@https://shop.test/static/js/main.3f9a1c2e.js:2:14512
loadCart@https://shop.test/static/js/main.3f9a1c2e.js:2:9981
CartView@https://shop.test/static/js/main.3f9a1c2e.js:1:300
@https://shop.test/static/js/vendor.81be02a4.js:17:88
forEach@[native code]
global code@https://shop.test/app.js:5:1";

    #[test]
    fn stacks_of_every_engine_read_as_the_same_frames() {
        let expected = [
            "renderCart@/static/js/main.*.js",
            "loadCart@/static/js/main.*.js",
            "CartView@/static/js/main.*.js",
            "@/static/js/vendor.*.js:17",
        ];
        let chrome = frames(CHROME);
        assert_eq!(chrome[..4], expected);
        // `Array.forEach (<anonymous>)` is a native frame: skipped.
        assert_eq!(chrome[4], "@/app.js:5");
        assert_eq!(frames(FIREFOX), expected);
        let safari = frames(SAFARI);
        assert_eq!(safari[..4], expected);
        assert_eq!(safari[4], "@/app.js:5");
    }

    #[test]
    fn one_bug_one_fingerprint() {
        let a =
            fingerprint(Some("TypeError"), Some("Cannot read properties of undefined (reading 'id')"), Some(CHROME));
        // Another build (other hashes, other lines and columns), another property.
        let rebuilt = CHROME.replace("3f9a1c2e", "77aa01bc").replace(":2:14512", ":3:100");
        let b =
            fingerprint(Some("TypeError"), Some("Cannot read properties of undefined (reading 'sku')"), Some(&rebuilt));
        assert_eq!(a, b);
        assert_eq!(a.len(), 16);
        // Another type, another message, another top frame: another group.
        assert_ne!(
            a,
            fingerprint(Some("RangeError"), Some("Cannot read properties of undefined (reading 'id')"), Some(CHROME))
        );
        assert_ne!(a, fingerprint(Some("TypeError"), Some("x is not a function"), Some(CHROME)));
        assert_ne!(
            a,
            fingerprint(
                Some("TypeError"),
                Some("Cannot read properties of undefined (reading 'id')"),
                Some(&CHROME.replace("renderCart", "renderList"))
            )
        );
        // Frames below the top five do not count.
        let deeper = format!("{CHROME}\n    at deeper (https://shop.test/x.js:1:1)");
        assert_eq!(
            a,
            fingerprint(Some("TypeError"), Some("Cannot read properties of undefined (reading 'x')"), Some(&deeper))
        );
        // No stack: type and message alone.
        assert_eq!(fingerprint(None, Some("boom 1"), None), fingerprint(None, Some("boom 2"), None));
        assert_eq!(fingerprint(None, None, None), fingerprint(None, Some(""), Some("")));
    }

    proptest::proptest! {
        /// Any text is a message and a stack: nothing panics, and the fingerprint has 16 hex digits.
        #[test]
        fn any_text_has_a_fingerprint(error_type in ".{0,20}", message in ".{0,80}", stack in "(.{0,60}\\n){0,8}") {
            let fp = fingerprint(Some(&error_type), Some(&message), Some(&stack));
            proptest::prop_assert!(fp.len() == 16 && fp.bytes().all(|b| b.is_ascii_hexdigit()));
        }

        /// Numbers never split a group: any digit of a message may change.
        #[test]
        fn digits_do_not_matter(message in "[ a-z0-9.:'/-]{0,60}", digit in 0u8..10) {
            let other: String = message
                .chars()
                .map(|c| if c.is_ascii_digit() { char::from(b'0' + digit) } else { c })
                .collect();
            proptest::prop_assert_eq!(normalize_message(&message), normalize_message(&other));
        }

        /// Normalizing twice is normalizing once.
        #[test]
        fn normalizing_is_idempotent(message in ".{0,80}") {
            let once = normalize_message(&message);
            proptest::prop_assert_eq!(normalize_message(&once), once);
        }
    }
}
