//! The page shim (`extension/shim.js`) against the Rust types of the page channel
//! (`jwi_core::protocol::page`): fails when either side changes alone.
//!
//! The shim builds its messages as JSON text and reads the content script's by field name, so
//! nothing in the compiler ties it to [`FromPage`] and [`ToPage`]. This test reads the shim's
//! source and checks it through the convention documented at the top of its "the channel"
//! section: each statement that writes a message is tagged `// from-page: <JSON>` with the
//! exact message for sample values, each statement that reads one `// to-page: <JSON>`. Then:
//!
//! - every sample decodes as the Rust type and encodes back to the same JSON (a `null` field
//!   reads as absent), so its type name, field names and shapes are the Rust ones;
//! - every `"key":` a tagged statement writes and every field it reads with `own(…, 'f')` is
//!   in its samples, and the variant it writes (`'{"history":{'`: `FromPage` is externally
//!   tagged) or reads (`type === '…'`: `ToPage` keeps its `type`) is its samples' variant, so a
//!   sample cannot drift from the code it stands for;
//! - every message written and every `type === '…'` read anywhere is in a tagged statement, so
//!   no message escapes the check;
//! - the samples name every variant of [`FromPage`] and [`ToPage`], so a variant the shim
//!   never sends or never handles is noticed;
//! - the shim's `CALLBACKS`, `API_METHODS` and `CALLBACK_STYLE` are exactly the Rust names.
//!
//! The last tests change the shim text in memory and expect the check to fail.

use std::collections::BTreeSet;

use jwi_core::api::call::Reply;
use jwi_core::api::{Callback, Method};
use jwi_core::protocol::page::{FromPage, HistoryKind, ToPage};
use jwi_core::protocol::{decode, limits};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

const SHIM: &str = include_str!("../extension/shim.js");

const FROM_PAGE_TAG: &str = "// from-page:";
const TO_PAGE_TAG: &str = "// to-page:";

/// One value of every [`FromPage`] variant.
fn every_from_page() -> Vec<FromPage> {
    let all = vec![
        FromPage::Ready {
            jivo_api_present: false,
        },
        FromPage::Callback {
            name: Callback::OnOpen,
            args: Vec::new(),
        },
        FromPage::CallbackThrew {
            name: Callback::OnOpen,
            message: String::new(),
        },
        FromPage::ApiCalled {
            method: Method::Open,
            args: Vec::new(),
            returned: None,
        },
        FromPage::History {
            kind: HistoryKind::Push,
        },
        FromPage::SandboxCall {
            method: Method::Open,
            args: Vec::new(),
        },
        FromPage::ApiResult {
            id: 0,
            outcome: Reply::default(),
        },
        FromPage::SiteApi {},
        FromPage::LoadUnheard {},
        FromPage::ScriptFailed { src: String::new() },
        FromPage::Batch {
            messages: Vec::new(),
            unsent: 0,
        },
        FromPage::HandlerDefined {
            name: Callback::OnOpen,
            script: None,
        },
        FromPage::WidgetRemoved {
            how: jwi_core::checks::Removal::Globals,
        },
        FromPage::SandboxRead {
            method: Method::GetUtm,
            returned: None,
        },
    ];
    // No wildcard: a new variant does not compile until it is added to the list above.
    for m in &all {
        match m {
            FromPage::Ready { .. }
            | FromPage::Callback { .. }
            | FromPage::CallbackThrew { .. }
            | FromPage::ApiCalled { .. }
            | FromPage::History { .. }
            | FromPage::SandboxCall { .. }
            | FromPage::ApiResult { .. }
            | FromPage::SiteApi { .. }
            | FromPage::LoadUnheard { .. }
            | FromPage::ScriptFailed { .. }
            | FromPage::Batch { .. }
            | FromPage::HandlerDefined { .. }
            | FromPage::WidgetRemoved { .. }
            | FromPage::SandboxRead { .. } => {}
        }
    }
    all
}

/// One value of every [`ToPage`] variant.
fn every_to_page() -> Vec<ToPage> {
    let all = vec![
        ToPage::Claimed,
        ToPage::Connected,
        ToPage::Reply {
            outcome: Reply::default(),
        },
        ToPage::InstallSandboxApi,
        ToPage::CheckApi,
        ToPage::Fire {
            callbacks: Vec::new(),
        },
        ToPage::CallApi {
            id: 0,
            method: Method::Open,
            args: Vec::new(),
        },
        ToPage::InjectLoader { url: String::new() },
        ToPage::Reads {
            answers: Vec::new(),
        },
    ];
    // No wildcard: a new variant does not compile until it is added to the list above.
    for m in &all {
        match m {
            ToPage::Claimed
            | ToPage::Connected
            | ToPage::Reply { .. }
            | ToPage::InstallSandboxApi
            | ToPage::CheckApi
            | ToPage::Fire { .. }
            | ToPage::CallApi { .. }
            | ToPage::InjectLoader { .. }
            | ToPage::Reads { .. } => {}
        }
    }
    all
}

/// The variant a message names: a [`FromPage`]'s one key (it is externally tagged,
/// `{"history":{…}}`), a [`ToPage`]'s `type`.
fn variant_of(message: &Value) -> Option<String> {
    if let Some(ty) = message["type"].as_str() {
        return Some(ty.to_owned());
    }
    match message.as_object() {
        Some(m) if m.len() == 1 => m.keys().next().cloned(),
        _ => None,
    }
}

/// The variant each value serialises as.
fn type_names<T: Serialize>(values: &[T]) -> BTreeSet<String> {
    values
        .iter()
        .map(|v| variant_of(&serde_json::to_value(v).unwrap()).unwrap())
        .collect()
}

/// Whether a JS string literal starts a [`FromPage`] message: `{"variant":{`.
fn starts_from_page(lit: &str) -> Option<String> {
    let rest = lit.strip_prefix("{\"")?;
    let (name, rest) = rest.split_once('"')?;
    (rest.starts_with(":{") && !name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| name.to_owned())
}

/// Which way a tagged message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    FromPage,
    ToPage,
}

/// A tagged statement: its samples, and the code lines they stand for.
#[derive(Debug)]
struct Tagged {
    direction: Direction,
    /// 1-based line number of the first tag, for messages.
    line: usize,
    samples: Vec<String>,
    /// The statement's line indices (0-based) and text.
    code: Vec<(usize, String)>,
}

/// Finds every tag block and the statement after it (up to the first line ending in `;` or
/// `}`).
fn tagged(shim: &str, problems: &mut Vec<String>) -> Vec<Tagged> {
    let lines: Vec<&str> = shim.lines().collect();
    let mut out: Vec<Tagged> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let tag_of = |l: &str| {
            let t = l.trim_start();
            if let Some(rest) = t.strip_prefix(FROM_PAGE_TAG) {
                Some((Direction::FromPage, rest.trim().to_owned()))
            } else {
                t.strip_prefix(TO_PAGE_TAG)
                    .map(|rest| (Direction::ToPage, rest.trim().to_owned()))
            }
        };
        let Some((direction, first)) = tag_of(lines[i]) else {
            i += 1;
            continue;
        };
        let line = i + 1;
        let mut samples = vec![first];
        i += 1;
        while let Some((d, sample)) = lines.get(i).and_then(|l| tag_of(l)) {
            if d != direction {
                problems.push(format!(
                    "shim.js:{}: from-page and to-page tags mixed on one statement",
                    i + 1
                ));
            }
            samples.push(sample);
            i += 1;
        }
        let mut code = Vec::new();
        while i < lines.len() {
            let text = lines[i].trim_end();
            code.push((i, text.to_owned()));
            i += 1;
            if text.ends_with(';') || text.ends_with('}') {
                break;
            }
        }
        if code.is_empty() {
            problems.push(format!("shim.js:{line}: a tag with no statement after it"));
        }
        out.push(Tagged {
            direction,
            line,
            samples,
            code,
        });
    }
    out
}

/// The single-quoted JavaScript string literals in `code`, unescaped only as far as `\'`.
fn js_literals(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut lit = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        lit.push(n);
                    }
                }
                '\'' => break,
                c => lit.push(c),
            }
        }
        out.push(lit);
    }
    out
}

/// The double-quoted strings in a piece of JSON text, each with whether a `:` follows it (a
/// key). A string the piece does not close is left out.
fn json_strings(text: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut s = String::new();
        let mut closed = false;
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        s.push(n);
                    }
                }
                '"' => {
                    closed = true;
                    break;
                }
                c => s.push(c),
            }
        }
        if closed {
            let key = chars.peek() == Some(&':');
            out.push((s, key));
        }
    }
    out
}

/// The keys written and the message variants written (`'{"history":{'`) by a statement's
/// JSON literals.
fn written_keys_and_types(code: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut keys = BTreeSet::new();
    let mut types = BTreeSet::new();
    for lit in js_literals(code) {
        for (s, is_key) in json_strings(&lit) {
            if is_key {
                keys.insert(s);
            }
        }
        types.extend(starts_from_page(&lit));
    }
    (keys, types)
}

/// The fields a statement reads with `own(x, 'f')`, except `type`.
fn read_fields(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("own(") {
        rest = &rest[at + 4..];
        let Some(comma) = rest.find(',') else { break };
        let after = rest[comma + 1..].trim_start();
        if let Some(lit) = after.strip_prefix('\'') {
            if let Some(end) = lit.find('\'') {
                let field = &lit[..end];
                if field != "type" {
                    out.insert(field.to_owned());
                }
            }
        }
    }
    out
}

/// The message types a statement compares with `type === '…'`.
fn compared_types(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("type === '") {
        rest = &rest[at + "type === '".len()..];
        if let Some(end) = rest.find('\'') {
            out.insert(rest[..end].to_owned());
        }
    }
    out
}

/// Every object key anywhere in `v`.
fn all_keys(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                out.insert(k.clone());
                all_keys(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| all_keys(v, out)),
        _ => {}
    }
}

/// `v` without object fields that are `null` (the Rust types read them as absent).
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(without_nulls).collect()),
        v => v.clone(),
    }
}

/// Decodes a sample as `T` and checks it encodes back to itself; returns its type and keys
/// (`None` if it is not JSON at all).
fn check_sample<T: DeserializeOwned + Serialize>(
    sample: &str,
    at: usize,
    problems: &mut Vec<String>,
) -> Option<(String, BTreeSet<String>)> {
    let what = std::any::type_name::<T>().rsplit("::").next().unwrap_or("");
    let parsed: Value = match serde_json::from_str(sample) {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!("shim.js:{at}: sample is not JSON ({e}): {sample}"));
            return None;
        }
    };
    match decode::<T>(sample, limits::PAGE_MESSAGE_BYTES) {
        Ok(decoded) => {
            let back = serde_json::to_value(&decoded).unwrap();
            if without_nulls(&back) != without_nulls(&parsed) {
                problems.push(format!(
                    "shim.js:{at}: sample is not exactly a {what}: {sample} reads back as {back}"
                ));
            }
        }
        Err(e) => problems.push(format!(
            "shim.js:{at}: sample is not a {what}: {e}: {sample}"
        )),
    }
    let mut keys = BTreeSet::new();
    all_keys(&parsed, &mut keys);
    let ty = variant_of(&parsed).unwrap_or_default();
    Some((ty, keys))
}

/// The items of `const NAME = [ 'a', 'b', … ];` in the shim.
fn js_list(shim: &str, name: &str) -> Vec<String> {
    let start = shim
        .find(&format!("const {name} = ["))
        .unwrap_or_else(|| panic!("shim.js has no `const {name} = [`"));
    let body = &shim[start..];
    let end = body.find("];").expect("list ends with `];`");
    js_literals(&body[..end])
}

/// Every way `shim` breaks the contract; empty when it keeps it.
fn check(shim: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let blocks = tagged(shim, &mut problems);
    let mut sent = BTreeSet::new();
    let mut handled = BTreeSet::new();
    let mut covered_lines = BTreeSet::new();

    for block in &blocks {
        let code: String = block
            .code
            .iter()
            .map(|(_, l)| l.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        covered_lines.extend(block.code.iter().map(|(i, _)| *i));
        let mut sample_keys = BTreeSet::new();
        let mut sample_types = BTreeSet::new();
        for sample in &block.samples {
            let checked = match block.direction {
                Direction::FromPage => check_sample::<FromPage>(sample, block.line, &mut problems),
                Direction::ToPage => check_sample::<ToPage>(sample, block.line, &mut problems),
            };
            if let Some((ty, keys)) = checked {
                sample_types.insert(ty);
                sample_keys.extend(keys);
            }
        }
        let (written, written_types) = written_keys_and_types(&code);
        let (code_types, kind) = match block.direction {
            Direction::FromPage => {
                sent.extend(sample_types.iter().cloned());
                for key in written.difference(&sample_keys) {
                    problems.push(format!(
                        "shim.js:{}: the statement writes \"{key}\" but no sample has it",
                        block.line
                    ));
                }
                (written_types, "writes")
            }
            Direction::ToPage => {
                handled.extend(sample_types.iter().cloned());
                for field in read_fields(&code).difference(&sample_keys) {
                    problems.push(format!(
                        "shim.js:{}: the statement reads '{field}' but no sample has it",
                        block.line
                    ));
                }
                (compared_types(&code), "reads")
            }
        };
        for ty in &code_types {
            if sample_types.iter().any(|t| t != ty) || sample_types.is_empty() {
                problems.push(format!(
                    "shim.js:{}: the statement {kind} type \"{ty}\" but its samples are {sample_types:?}",
                    block.line
                ));
            }
        }
    }

    // No message outside the convention.
    for (i, line) in shim.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let writes_type = js_literals(code)
            .iter()
            .any(|l| l.contains("\"type\":\"") || starts_from_page(l).is_some());
        if (writes_type || code.contains("type === '")) && !covered_lines.contains(&i) {
            problems.push(format!(
                "shim.js:{}: a message is written or read here without a from-page/to-page tag",
                i + 1
            ));
        }
    }

    // Every variant, both ways.
    let want_sent = type_names(&every_from_page());
    if sent != want_sent {
        problems.push(format!(
            "the shim's from-page samples name {sent:?}, FromPage has {want_sent:?}"
        ));
    }
    let want_handled = type_names(&every_to_page());
    if handled != want_handled {
        problems.push(format!(
            "the shim's to-page samples name {handled:?}, ToPage has {want_handled:?}"
        ));
    }

    // The names the shim sends in `name` and `method`.
    let callbacks: Vec<String> = Callback::ALL.iter().map(|c| c.name().to_owned()).collect();
    if js_list(shim, "CALLBACKS") != callbacks {
        problems.push(format!(
            "CALLBACKS in shim.js is not Callback::ALL: {callbacks:?}"
        ));
    }
    let methods: Vec<String> = Method::ALL
        .iter()
        .filter(|m| m.is_jivo_api_method())
        .map(|m| m.name().to_owned())
        .collect();
    if js_list(shim, "API_METHODS") != methods {
        problems.push(format!(
            "API_METHODS in shim.js is not the jivo_api methods of Method::ALL: {methods:?}"
        ));
    }
    for m in Method::ALL.iter().filter(|m| !m.is_jivo_api_method()) {
        if !shim.contains(&format!("'{}'", m.name())) {
            problems.push(format!("shim.js never names the global '{}'", m.name()));
        }
    }
    let style_line = shim
        .lines()
        .find(|l| l.contains("const CALLBACK_STYLE ="))
        .unwrap_or_default();
    let style: BTreeSet<String> = style_line
        .split(['{', '}', ','])
        .filter_map(|part| part.split_once(':'))
        .map(|(k, _)| k.trim().to_owned())
        .filter(|k| k != "__proto__")
        .collect();
    let by_callback: BTreeSet<String> = Method::ALL
        .iter()
        .filter(|m| m.answers_through_callback())
        .map(|m| m.name().to_owned())
        .collect();
    if style != by_callback {
        problems.push(format!(
            "CALLBACK_STYLE in shim.js is {style:?}, the methods that answer through a callback are {by_callback:?}"
        ));
    }
    problems
}

#[test]
fn the_shim_speaks_the_page_protocol() {
    let problems = check(SHIM);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_convention_finds_every_message() {
    let mut problems = Vec::new();
    let blocks = tagged(SHIM, &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    // Both ways, and every statement has code that names what it stands for.
    assert!(blocks.iter().any(|b| b.direction == Direction::FromPage));
    assert!(blocks.iter().any(|b| b.direction == Direction::ToPage));
    assert!(
        blocks.len() >= 15,
        "only {} tagged statements",
        blocks.len()
    );
}

/// `shim` with `from` replaced by `to` exactly once.
fn changed(from: &str, to: &str) -> String {
    assert_eq!(SHIM.matches(from).count(), 1, "`{from}` is not unique");
    SHIM.replacen(from, to, 1)
}

#[test]
fn a_field_renamed_in_the_shim_code_alone_fails() {
    let shim = changed(
        r#"return '{"ready":{"jivoApiPresent":'"#,
        r#"return '{"ready":{"apiPresent":'"#,
    );
    assert!(!check(&shim).is_empty());
}

#[test]
fn a_field_renamed_in_a_sample_alone_fails() {
    let shim = changed(
        r#"// from-page: {"ready":{"jivoApiPresent":false}}"#,
        r#"// from-page: {"ready":{"apiPresent":false}}"#,
    );
    assert!(!check(&shim).is_empty());
}

#[test]
fn a_type_renamed_in_the_shim_alone_fails() {
    let shim = changed(
        r#"sendNow('{"sandboxCall":{"method":'"#,
        r#"sendNow('{"sandboxInvoke":{"method":'"#,
    );
    assert!(!check(&shim).is_empty());
    let shim = changed(r#"dispatchNow('{"batch":{"#, r#"dispatchNow('{"bunch":{"#);
    assert!(!check(&shim).is_empty());
    let shim = changed("(type === 'checkApi')", "(type === 'checkAPI')");
    assert!(!check(&shim).is_empty());
}

#[test]
fn an_untagged_message_fails() {
    let shim = changed(
        "// from-page: {\"callbackThrew\":{\"name\":\"jivo_onOpen\",\"message\":\"boom\"}}\n",
        "",
    );
    assert!(!check(&shim).is_empty());
}

#[test]
fn a_read_field_missing_from_the_rust_type_fails() {
    let shim = changed("own(msg, 'callbacks')", "own(msg, 'callbackList')");
    assert!(!check(&shim).is_empty());
}

#[test]
fn a_name_list_out_of_step_fails() {
    let shim = changed("'getUtm', ", "");
    assert!(!check(&shim).is_empty());
}

/// The channel keeper (`extension/channel.js`) sends the shim one message, as a literal: it is a
/// [`ToPage::Claimed`], and the shim reads it.
#[test]
fn the_channel_keeper_speaks_the_page_protocol() {
    let keeper = include_str!("../extension/channel.js");
    let start = keeper
        .find("detail: '")
        .expect("channel.js sends one message as `detail: '…'`")
        + "detail: '".len();
    let text = &keeper[start..start + keeper[start..].find('\'').unwrap()];
    let msg: ToPage = decode(text, limits::PAGE_MESSAGE_BYTES).expect("a ToPage message");
    assert_eq!(msg, ToPage::Claimed);
    assert!(SHIM.contains("=== 'claimed'"));
    for name in [
        "'jwi:page-announce'",
        "'jwi:content-announce'",
        "'jwi:to-page'",
    ] {
        assert!(keeper.contains(name), "channel.js uses {name}");
        assert!(SHIM.contains(name), "shim.js uses {name}");
    }
}
