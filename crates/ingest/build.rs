//! Turns the uap-core `regexes.yaml` into Rust statics in `$OUT_DIR/uap_rules.rs`.
//!
//! The regexes come from the npm package `uap-core` (installed by `npm ci` at the repository
//! root, never committed). Converting them here means the server parses no YAML at start-up:
//! it only compiles the regexes, once. The schema is checked strictly: an unknown section, an
//! unknown key or an unexpected shape fails the build instead of silently dropping a rule.
//!
//! The file is read from `$SIGHTLINE_UAP_REGEXES` when set (a relative path is resolved against
//! the workspace root), else from `<workspace root>/node_modules/uap-core/regexes.yaml`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::{env, fs, io, process};

use saphyr_parser::{Event, Parser, ScalarStyle, Span, StrInput};

/// Environment variable overriding where `regexes.yaml` is read from.
const REGEXES_ENV: &str = "SIGHTLINE_UAP_REGEXES";

/// Where `npm ci` puts the file, relative to the workspace root.
const DEFAULT_REGEXES: &str = "node_modules/uap-core/regexes.yaml";

/// Name of the generated file in `OUT_DIR`.
const GENERATED_FILE: &str = "uap_rules.rs";

/// One rule list of `regexes.yaml` and the Rust static it becomes.
struct Section {
    /// Top-level key in the YAML document.
    yaml_key: &'static str,
    /// Name of the generated static.
    static_name: &'static str,
    /// Rust type of one rule; its fields are `regex` plus `optional_keys`, all `&'static str`.
    rule_type: &'static str,
    /// Keys a rule may have besides `regex`, in field order.
    optional_keys: &'static [&'static str],
}

/// The three rule lists uap-core defines, in the order the document lists them.
const SECTIONS: [Section; 3] = [
    Section {
        yaml_key: "user_agent_parsers",
        static_name: "USER_AGENT_RULES",
        rule_type: "UserAgentRule",
        optional_keys: &["family_replacement", "v1_replacement", "v2_replacement", "v3_replacement", "v4_replacement"],
    },
    Section {
        yaml_key: "os_parsers",
        static_name: "OS_RULES",
        rule_type: "OsRule",
        optional_keys: &[
            "os_replacement",
            "os_v1_replacement",
            "os_v2_replacement",
            "os_v3_replacement",
            "os_v4_replacement",
        ],
    },
    Section {
        yaml_key: "device_parsers",
        static_name: "DEVICE_RULES",
        rule_type: "DeviceRule",
        optional_keys: &["regex_flag", "device_replacement", "brand_replacement", "model_replacement"],
    },
];

/// One rule: its `key: value` pairs in document order, and the line it starts on.
struct Rule {
    line: usize,
    fields: Vec<(String, Option<String>)>,
}

/// The parsed document: each top-level key with its list of rules.
type Document = Vec<(String, Vec<Rule>)>;

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let workspace_root = manifest_dir.ancestors().nth(2).expect("the crate lives in <workspace>/crates/ingest");
    let path = regexes_path(workspace_root);
    println!("cargo::rerun-if-env-changed={REGEXES_ENV}");
    println!("cargo::rerun-if-changed={}", path.display());

    let yaml = fs::read_to_string(&path).unwrap_or_else(|err| match err.kind() {
        io::ErrorKind::NotFound => fail(&format!(
            "uap-core regexes not found at {}: run `npm ci` at the repository root (`make` does this for you)",
            path.display()
        )),
        _ => fail(&format!("cannot read {}: {err}", path.display())),
    });
    let code = parse_document(&yaml)
        .and_then(|document| generate(&document))
        .unwrap_or_else(|err| fail(&format!("cannot convert {}: {err}", path.display())));

    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let out = out_dir.join(GENERATED_FILE);
    fs::write(&out, code).unwrap_or_else(|err| fail(&format!("cannot write {}: {err}", out.display())));
}

/// `$SIGHTLINE_UAP_REGEXES` (relative to the workspace root) or the npm install location.
fn regexes_path(workspace_root: &Path) -> PathBuf {
    match env::var_os(REGEXES_ENV) {
        Some(custom) if !custom.is_empty() => workspace_root.join(custom),
        _ => workspace_root.join(DEFAULT_REGEXES),
    }
}

/// Reports `message` as a build error and stops the build.
fn fail(message: &str) -> ! {
    println!("cargo::error={message}");
    process::exit(1);
}

/// Parses the `section: [ {key: value, …}, … ]` shape uap-core uses, and nothing else.
fn parse_document(yaml: &str) -> Result<Document, String> {
    let mut events = Events(Parser::new_from_str(yaml));
    events.expect("stream start", |event| matches!(event, Event::StreamStart))?;
    events.expect("document start", |event| matches!(event, Event::DocumentStart(_)))?;
    events.expect("top-level mapping", |event| matches!(event, Event::MappingStart(..)))?;
    let mut document = Document::new();
    loop {
        let (event, span) = events.next()?;
        match event {
            Event::MappingEnd => return Ok(document),
            Event::Scalar(key, ..) => {
                events.expect("a list of rules", |event| matches!(event, Event::SequenceStart(..)))?;
                document.push((key.into_owned(), parse_rules(&mut events)?));
            }
            other => return Err(unexpected("a section name", &other, span)),
        }
    }
}

/// Parses rule mappings up to the end of the enclosing list.
fn parse_rules(events: &mut Events<'_>) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    loop {
        let (event, span) = events.next()?;
        match event {
            Event::SequenceEnd => return Ok(rules),
            Event::MappingStart(..) => rules.push(parse_rule(events)?),
            other => return Err(unexpected("a rule mapping", &other, span)),
        }
    }
}

/// Parses the `key: 'value'` pairs of one rule up to the end of its mapping.
fn parse_rule(events: &mut Events<'_>) -> Result<Rule, String> {
    let mut rule = Rule { line: 0, fields: Vec::new() };
    loop {
        let (event, span) = events.next()?;
        let key = match event {
            Event::MappingEnd => return Ok(rule),
            Event::Scalar(key, ..) => key.into_owned(),
            other => return Err(unexpected("a rule key", &other, span)),
        };
        if rule.fields.is_empty() {
            rule.line = span.start.line();
        }
        let (event, span) = events.next()?;
        let Event::Scalar(value, style, ..) = event else {
            return Err(unexpected("a string value", &event, span));
        };
        rule.fields.push((key, scalar_value(value, style)));
    }
}

/// A scalar as a string; `None` for YAML's plain null spellings.
fn scalar_value(value: Cow<'_, str>, style: ScalarStyle) -> Option<String> {
    let is_null = style == ScalarStyle::Plain && matches!(&*value, "" | "~" | "null" | "Null" | "NULL");
    (!is_null).then(|| value.into_owned())
}

fn unexpected(wanted: &str, found: &Event<'_>, span: Span) -> String {
    format!("line {}: expected {wanted}, found {found:?}", span.start.line())
}

/// The YAML event stream, with errors as strings.
struct Events<'a>(Parser<'a, StrInput<'a>>);

impl<'a> Events<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), String> {
        match self.0.next_event() {
            Some(Ok(event)) => Ok(event),
            Some(Err(err)) => Err(format!("invalid YAML: {err}")),
            None => Err("unexpected end of the YAML document".to_owned()),
        }
    }

    fn expect(&mut self, wanted: &str, is_wanted: impl Fn(&Event<'a>) -> bool) -> Result<(), String> {
        let (event, span) = self.next()?;
        if is_wanted(&event) { Ok(()) } else { Err(unexpected(wanted, &event, span)) }
    }
}

/// The Rust source defining one static per section.
fn generate(document: &Document) -> Result<String, String> {
    if let Some((unknown, _)) = document.iter().find(|(key, _)| !SECTIONS.iter().any(|s| s.yaml_key == key)) {
        return Err(format!("unknown section `{unknown}`"));
    }
    let mut code = String::from("// @generated by crates/ingest/build.rs from uap-core's regexes.yaml. Do not edit.\n");
    for section in &SECTIONS {
        let rules = document
            .iter()
            .find(|(key, _)| key == section.yaml_key)
            .map(|(_, rules)| rules)
            .ok_or_else(|| format!("section `{}` is missing", section.yaml_key))?;
        if rules.is_empty() {
            return Err(format!("section `{}` has no rules", section.yaml_key));
        }
        generate_section(&mut code, section, rules)?;
    }
    Ok(code)
}

fn generate_section(code: &mut String, section: &Section, rules: &[Rule]) -> Result<(), String> {
    let Section { yaml_key, static_name, rule_type, .. } = section;
    code.push_str(&format!("\n/// The {} rules of `{yaml_key}`, in match order.\n", rules.len()));
    code.push_str(&format!("pub(super) static {static_name}: &[{rule_type}] = &[\n"));
    for rule in rules {
        let literal =
            rule_literal(section, rule).map_err(|err| format!("{yaml_key}, rule at line {}: {err}", rule.line))?;
        code.push_str(&literal);
    }
    code.push_str("];\n");
    Ok(())
}

/// One rule as a struct literal (`{:?}` of a `str` is a valid Rust string literal).
fn rule_literal(section: &Section, rule: &Rule) -> Result<String, String> {
    let is_known = |key: &str| key == "regex" || section.optional_keys.contains(&key);
    if let Some((key, _)) = rule.fields.iter().find(|(key, _)| !is_known(key)) {
        return Err(format!("unknown key `{key}`"));
    }
    if let Some(flag) = field(rule, "regex_flag")?.filter(|flag| *flag != "i") {
        return Err(format!("unsupported regex_flag `{flag}` (only `i` is known)"));
    }
    let regex = field(rule, "regex")?.ok_or("`regex` is missing")?;
    let mut literal = format!("    {} {{ regex: {regex:?}", section.rule_type);
    for key in section.optional_keys {
        match field(rule, key)? {
            Some(value) => literal.push_str(&format!(", {key}: Some({value:?})")),
            None => literal.push_str(&format!(", {key}: None")),
        }
    }
    literal.push_str(" },\n");
    Ok(literal)
}

/// The value of `key` in `rule`; an error when the key is repeated.
fn field<'r>(rule: &'r Rule, key: &str) -> Result<Option<&'r str>, String> {
    let mut values = rule.fields.iter().filter(|(k, _)| k == key).map(|(_, value)| value.as_deref());
    let value = values.next().flatten();
    if values.next().is_some() {
        return Err(format!("key `{key}` is repeated"));
    }
    Ok(value)
}
