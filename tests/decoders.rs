//! Fuzzing every decoder that takes input from outside the extension's own code: page messages
//! (the shim's channel), runtime and popup messages, settings documents (storage, import files,
//! managed policy), match patterns and page URLs, API call arguments, and log export files.
//!
//! Each property is fed structured inputs (valid messages and documents, then mutated: bytes
//! cut, inserted, replaced, duplicated) as well as random text and random JSON. Every property
//! asserts that nothing panics and that errors are values; where a type has an encoder, that
//! `decode(encode(x)) == x`; where a decoder has a size limit, that oversized input is refused
//! before it is parsed.
//!
//! Cases per property: the number given to [`check`], or `PROPTEST_CASES` for every property
//! (see `docs/testing.md` for the long run). Each property prints how many cases it ran
//! (`cargo test --test decoders -- --nocapture`).

use std::sync::atomic::{AtomicU32, Ordering};

use jwi_core::api::call::{ApiCall, RawCall, Reply};
use jwi_core::api::{Callback, Method};
use jwi_core::content_build::ContentBuild;
use jwi_core::event_log::{ChunkKey, Entry, Event, Export, ImportError, PageId};
use jwi_core::protocol::page::{FromPage, HistoryKind, ToPage};
use jwi_core::protocol::popup::{FromPopup, ToPopup};
use jwi_core::protocol::runtime::{CallId, FromContent, LoadContent, SequencedEvent, ToContent};
use jwi_core::protocol::{decode, encode, limits, DecodeError, PageStatus};
use jwi_core::settings::{EffectiveSettings, Settings, MAX_DOCUMENT_BYTES, PATHS};
use jwi_core::site_rule::{SiteRule, SiteRuleError, UrlError, WebUrl};
use jwi_core::spa::UnreportedReason;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------------------------

/// Cases for a property: `PROPTEST_CASES` when set (the long run), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs one property for [`cases`]`(default)` cases, with failures persisted to
/// `proptest-regressions/decoders.txt` and replayed first, and prints how many cases passed.
fn check<S: Strategy>(
    name: &str,
    default: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    check_exactly(name, cases(default), strategy, test);
}

/// [`check`] for exactly `cases` cases whatever `PROPTEST_CASES` says: for the size-limit
/// properties, whose input space is tiny and whose every case builds a text over a limit
/// (up to 2 MiB), so that a long run adds time and nothing else.
fn check_exactly<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let config = Config {
        cases,
        // Rejections scale with the run: the valid-settings generator filters, and the
        // unknown-field property skips keys the message already has.
        max_local_rejects: cases.saturating_mul(20).max(65_536),
        max_global_rejects: (cases / 10).max(1_024),
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/decoders.txt",
        ))),
        ..Config::default()
    };
    let ran = AtomicU32::new(0);
    let result = TestRunner::new(config).run(&strategy, |input| {
        let outcome = test(input);
        if outcome.is_ok() {
            ran.fetch_add(1, Ordering::Relaxed);
        }
        outcome
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    println!(
        "decoders::{name}: {} cases passed",
        ran.load(Ordering::Relaxed)
    );
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

/// Short texts that tend to matter to JSON and URLs.
const TEXTS: &[&str] = &[
    "",
    "x",
    "chat",
    "é中🙂",
    "quote \" back \\ slash",
    "ctrl \u{1}\u{8}\n\t",
    "\u{2028}\u{2029}",
    "$function",
    "jivo_onOpen",
    "<script>alert(1)</script>",
    "https://shop.example/cart?x=1#/y",
];

/// Text: one of [`TEXTS`] or random characters (any Unicode scalar, control characters too).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(TEXTS).prop_map(str::to_owned),
        ".{0,24}",
        prop::collection::vec(any::<char>(), 0..12).prop_map(|c| c.into_iter().collect()),
    ]
}

/// Numbers: integers of every size, short fractions, and any finite double.
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| f.is_finite().then(|| json!(f))),
        (-1_000_000i32..1_000_000, 0u32..8)
            .prop_map(|(n, e)| json!(f64::from(n) / f64::from(1u32 << e))),
    ]
}

/// JSON values up to four levels deep.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
        Just(json!({ "$function": true })),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn args() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(value(), 0..5)
}

fn callback() -> impl Strategy<Value = Callback> {
    prop::sample::select(Callback::ALL.to_vec())
}

fn method() -> impl Strategy<Value = Method> {
    prop::sample::select(Method::ALL.to_vec())
}

/// A `null` return value is not representable on the wire (the shim sends `undefined` and `null`
/// alike as absent), so generated outcomes never hold `Some(Value::Null)`. A reply's note is
/// never serialised, so generated outcomes have none.
fn non_null() -> impl Strategy<Value = Value> {
    value().prop_filter("null reads back as absent", |v| !v.is_null())
}

fn outcome() -> impl Strategy<Value = Reply> {
    (
        prop::option::of(non_null()),
        prop::option::of(args()),
        prop::option::of(text()),
    )
        .prop_map(|(returned, callback_args, threw)| Reply {
            returned,
            callback_args,
            threw,
            note: None,
        })
}

/// Every message the shim can send: one, or a batch of them.
fn from_page() -> impl Strategy<Value = FromPage> {
    prop_oneof![
        4 => one_from_page(),
        1 => (prop::collection::vec(one_from_page(), 0..4), any::<u32>())
            .prop_map(|(messages, unsent)| FromPage::Batch { messages, unsent }),
    ]
}

/// Every message the shim can send on its own or in a batch.
fn one_from_page() -> impl Strategy<Value = FromPage> {
    prop_oneof![
        any::<bool>().prop_map(|jivo_api_present| FromPage::Ready { jivo_api_present }),
        (callback(), args()).prop_map(|(name, args)| FromPage::Callback { name, args }),
        (callback(), text()).prop_map(|(name, message)| FromPage::CallbackThrew { name, message }),
        Just(FromPage::LoadUnheard {}),
        text().prop_map(|src| FromPage::ScriptFailed { src }),
        (method(), args(), prop::option::of(non_null())).prop_map(|(method, args, returned)| {
            FromPage::ApiCalled {
                method,
                args,
                returned,
            }
        }),
        prop::sample::select(vec![HistoryKind::Push, HistoryKind::Replace])
            .prop_map(|kind| FromPage::History { kind }),
        (method(), args()).prop_map(|(method, args)| FromPage::SandboxCall { method, args }),
        (any::<u32>(), outcome()).prop_map(|(id, outcome)| FromPage::ApiResult { id, outcome }),
        Just(FromPage::SiteApi {}),
    ]
}

/// Every message the content script sends the shim.
fn to_page() -> impl Strategy<Value = ToPage> {
    prop_oneof![
        Just(ToPage::Claimed),
        Just(ToPage::Connected),
        outcome().prop_map(|outcome| ToPage::Reply { outcome }),
        Just(ToPage::InstallSandboxApi),
        Just(ToPage::CheckApi),
        text().prop_map(|url| ToPage::InjectLoader { url }),
        prop::collection::vec((callback(), args()), 0..4)
            .prop_map(|callbacks| ToPage::Fire { callbacks }),
        (any::<u32>(), method(), args()).prop_map(|(id, method, args)| ToPage::CallApi {
            id,
            method,
            args
        }),
    ]
}

fn page_status() -> impl Strategy<Value = PageStatus> {
    prop_oneof![
        Just(PageStatus::NotMatched),
        Just(PageStatus::Connecting),
        Just(PageStatus::Connected),
        Just(PageStatus::Loading),
        Just(PageStatus::Loaded),
        Just(PageStatus::Attached),
        text().prop_map(|reason| PageStatus::Failed { reason }),
    ]
}

fn page_id() -> impl Strategy<Value = PageId> {
    "[!-~]{1,64}".prop_map(|s| PageId::new(s).expect("printable ASCII, 1 to 64 characters"))
}

/// Log events of the kinds a content script sends (API calls with their origin are covered by
/// the event log's own properties).
fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        (callback(), args()).prop_map(|(name, args)| Event::Callback { name, args }),
        (callback(), text()).prop_map(|(name, message)| Event::CallbackThrew { name, message }),
        (text(), text()).prop_map(|(url, title)| Event::PageLoad { url, title }),
        (text(), text(), any::<bool>()).prop_map(|(url, title, reported)| Event::Navigation {
            url,
            title,
            cause: None,
            reported,
            reason: (!reported).then_some(UnreportedReason::RateLimited),
        }),
        text().prop_map(Event::status),
        text().prop_map(|message| Event::Error { message }),
    ]
}

/// Times as the log keeps them: whole milliseconds since the epoch.
fn time() -> impl Strategy<Value = f64> {
    (0u64..9_000_000_000_000).prop_map(|ms| ms as f64)
}

/// A background-issued console call id, over the whole `u64` range (serde_json keeps them exact).
fn call_id() -> impl Strategy<Value = CallId> {
    any::<u64>().prop_map(CallId)
}

/// Content-script messages (the sandbox's record and view have their own properties).
fn from_content() -> impl Strategy<Value = FromContent> {
    prop_oneof![
        (text(), text()).prop_map(|(url, title)| FromContent::Hello { url, title }),
        page_status().prop_map(|status| FromContent::Status { status }),
        (call_id(), outcome()).prop_map(|(id, outcome)| FromContent::ApiResult { id, outcome }),
        (
            page_id(),
            prop::collection::vec((1u64..u64::MAX, time(), event()), 0..4)
        )
            .prop_map(|(page, events)| FromContent::Events {
                page,
                events: events
                    .into_iter()
                    .map(|(seq, at, event)| SequencedEvent {
                        seq: seq.try_into().expect("1.. is never zero"),
                        at,
                        event,
                    })
                    .collect(),
            }),
        text().prop_map(|url| FromContent::ProbeLoader { url }),
        (
            any::<bool>(),
            prop::option::of(text()),
            prop::option::of(text()),
            any::<bool>()
        )
            .prop_map(|(attached, site_id, configured_id, use_mine_here)| {
                FromContent::Embed {
                    embed: jwi_core::protocol::runtime::EmbedView {
                        attached,
                        site_id,
                        configured_id,
                        use_mine_here,
                    },
                }
            }),
    ]
}

/// Valid API calls, as a page, the popup console or the background would send them.
fn raw_call() -> impl Strategy<Value = RawCall> {
    (method(), args()).prop_map(|(method, args)| RawCall { method, args })
}

/// Valid API calls: raw calls that validate, mapped to their canonical form.
fn valid_call() -> impl Strategy<Value = ApiCall> {
    let samples = [
        (Method::Open, json!([{ "start": "call" }])),
        (Method::Open, json!([])),
        (Method::SetWidgetColor, json!(["#fff", "#1a2b3c"])),
        (Method::StartCall, json!(["+1 (555) 010-0000"])),
        (
            Method::SendOfflineMessage,
            json!([{ "name": "Ann", "email": "a@b.co", "phone": "+15550100", "description": "hi", "message": "hello" }]),
        ),
        (
            Method::SendPageTitle,
            json!(["Title", false, "https://x.example/"]),
        ),
        (
            Method::SetContactInfo,
            json!([{ "name": "Ann", "email": "a@b.co", "phone": "+15550100", "description": "note" }]),
        ),
        (
            Method::SetCustomData,
            json!([[{ "title": "Plan", "content": "gold", "link": "https://x.example" }]]),
        ),
        (Method::SetUserToken, json!(["tok-1"])),
        (Method::SetRules, json!([{ "a": 1 }])),
        (Method::ShowProactiveInvitation, json!(["Hello", 3])),
        (Method::GetVisitorNumber, json!([{ "$function": true }])),
        (Method::IsCallbackEnabled, json!([{ "$function": true }])),
        (Method::JivoInit, json!([])),
        (Method::JivoDestroy, json!([])),
        (Method::ClearHistory, json!([])),
    ];
    let calls: Vec<ApiCall> = samples
        .iter()
        .map(|(m, a)| {
            let args = a.as_array().expect("samples are argument arrays");
            ApiCall::from_args(*m, args)
                .unwrap_or_else(|e| panic!("sample {m:?} {a} is invalid: {e}"))
        })
        .collect();
    prop::sample::select(calls)
}

fn from_popup() -> impl Strategy<Value = FromPopup> {
    let tab = any::<i32>();
    prop_oneof![
        tab.prop_map(|tab| FromPopup::Watch { tab }),
        tab.prop_map(|tab| FromPopup::ClearLog { tab }),
        tab.prop_map(|tab| FromPopup::ExportLog { tab }),
        tab.prop_map(|tab| FromPopup::InjectIntoTab { tab }),
        (tab, any::<bool>()).prop_map(|(tab, keep)| FromPopup::KeepInjecting { tab, keep }),
        (tab, any::<u32>(), raw_call(), any::<bool>()).prop_map(|(tab, id, call, anyway)| {
            FromPopup::CallApi {
                tab,
                id,
                call,
                anyway,
            }
        }),
        tab.prop_map(|tab| FromPopup::UseMineHere { tab }),
    ]
}

fn to_content() -> impl Strategy<Value = ToContent> {
    prop_oneof![
        (
            call_id(),
            raw_call(),
            any::<bool>(),
            prop::option::of(text())
        )
            .prop_map(|(id, call, anyway, invalid)| ToContent::CallApi {
                id,
                call,
                anyway,
                invalid,
            }),
        (page_id(), any::<u64>()).prop_map(|(page, upto)| ToContent::Ack { page, upto }),
        (text(), text()).prop_map(|(url, reason)| ToContent::LoaderProbe { url, reason }),
    ]
}

fn to_popup() -> impl Strategy<Value = ToPopup> {
    prop_oneof![
        (any::<u32>(), outcome()).prop_map(|(id, outcome)| ToPopup::ApiResult { id, outcome }),
        value().prop_map(|export| ToPopup::LogExport { export }),
        (prop::option::of(text()), prop::option::of(text()))
            .prop_map(|(rule, error)| ToPopup::UseMine { rule, error }),
    ]
}

/// A valid JSON text mutated a few times: bytes cut, inserted, replaced or repeated, at
/// character boundaries so that it stays a string.
fn mutated(valid: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    let edit = (any::<prop::sample::Index>(), 0u8..5, text(), 0usize..16);
    (valid, prop::collection::vec(edit, 1..4)).prop_map(|(mut s, edits)| {
        for (at, op, insert, len) in edits {
            let bounds: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
            let i = bounds[at.index(bounds.len())];
            let j = bounds
                .iter()
                .copied()
                .find(|&b| b >= i + len)
                .unwrap_or(s.len());
            match op {
                0 => s.replace_range(i..j, ""),
                1 => s.insert_str(i, &insert),
                2 => s.replace_range(i..j, &insert),
                3 => {
                    let piece = s[i..j].to_owned();
                    s.insert_str(i, &piece);
                }
                _ => s.truncate(i),
            }
        }
        s
    })
}

/// Text that is mostly JSON syntax, so random input gets past the first byte.
fn json_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(vec![
                "{",
                "}",
                "[",
                "]",
                ",",
                ":",
                "\"",
                "\\",
                "null",
                "true",
                "1e999",
                "-0",
                "\"type\"",
                "\"args\"",
                "\"method\"",
                "\"ready\"",
                "\"\\ud800\"",
                " ",
            ])
            .prop_map(str::to_owned),
            text(),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

/// Any text a decoder might be handed: random, JSON-like, or a random JSON value's text.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![".{0,64}", json_soup(), value().prop_map(|v| v.to_string()),]
}

// ---------------------------------------------------------------------------------------------
// Protocol messages
// ---------------------------------------------------------------------------------------------

/// Decoding `text` as `T` gives a value or an error, never a panic; a value encodes to text
/// that decodes to the same value.
fn decodes_soundly<T>(text: &str, limit: usize) -> Result<(), TestCaseError>
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    match decode::<T>(text, limit) {
        Ok(msg) => {
            let again = encode(&msg);
            prop_assert_eq!(decode::<T>(&again, usize::MAX), Ok(msg));
        }
        Err(DecodeError::TooLarge { len, limit: l }) => {
            prop_assert!(len > l && l == limit);
        }
        Err(DecodeError::Malformed(why)) => prop_assert!(!why.is_empty()),
    }
    Ok(())
}

/// Every message type of every channel, given the same text.
fn every_message_type(text: &str) -> Result<(), TestCaseError> {
    decodes_soundly::<FromPage>(text, limits::PAGE_MESSAGE_BYTES)?;
    decodes_soundly::<ToPage>(text, limits::PAGE_MESSAGE_BYTES)?;
    decodes_soundly::<FromContent>(text, limits::RUNTIME_MESSAGE_BYTES)?;
    decodes_soundly::<ToContent>(text, limits::RUNTIME_MESSAGE_BYTES)?;
    decodes_soundly::<FromPopup>(text, limits::RUNTIME_MESSAGE_BYTES)?;
    decodes_soundly::<ToPopup>(text, limits::RUNTIME_MESSAGE_BYTES)?;
    decodes_soundly::<RawCall>(text, limits::RUNTIME_MESSAGE_BYTES)?;
    decodes_soundly::<ApiCall>(text, limits::RUNTIME_MESSAGE_BYTES)?;
    decodes_soundly::<LoadContent>(text, limits::RUNTIME_MESSAGE_BYTES)?;
    Ok(())
}

#[test]
fn protocol_messages_round_trip() {
    check(
        "protocol_messages_round_trip",
        256,
        (
            from_page(),
            to_page(),
            from_content(),
            to_content(),
            from_popup(),
            to_popup(),
        ),
        |(a, b, c, d, e, f)| {
            prop_assert_eq!(
                decode::<FromPage>(&encode(&a), limits::PAGE_MESSAGE_BYTES),
                Ok(a)
            );
            prop_assert_eq!(decode::<ToPage>(&encode(&b), usize::MAX), Ok(b));
            prop_assert_eq!(
                decode::<FromContent>(&encode(&c), limits::RUNTIME_MESSAGE_BYTES),
                Ok(c)
            );
            prop_assert_eq!(
                decode::<ToContent>(&encode(&d), limits::RUNTIME_MESSAGE_BYTES),
                Ok(d)
            );
            prop_assert_eq!(
                decode::<FromPopup>(&encode(&e), limits::RUNTIME_MESSAGE_BYTES),
                Ok(e)
            );
            prop_assert_eq!(decode::<ToPopup>(&encode(&f), usize::MAX), Ok(f));
            Ok(())
        },
    );
}

#[test]
fn random_text_never_panics_any_decoder() {
    check(
        "random_text_never_panics_any_decoder",
        512,
        any_text(),
        |text| {
            every_message_type(&text)?;
            let _ = Settings::from_json(&text);
            let _ = SiteRule::parse(&text);
            let _ = WebUrl::parse(&text);
            // A page's CSP header or <meta> policy, whatever it holds.
            let _ = ContentBuild::choose(&[text.as_str()], &[text.as_str()]);
            if let Ok(e) = Export::parse(&text) {
                prop_assert_eq!(Export::parse(&e.to_json()), Ok(e));
            }
            Ok(())
        },
    );
}

#[test]
fn mutated_messages_never_panic_any_decoder() {
    let valid = prop_oneof![
        from_page().prop_map(|m| encode(&m)),
        to_page().prop_map(|m| encode(&m)),
        from_content().prop_map(|m| encode(&m)),
        from_popup().prop_map(|m| encode(&m)),
        to_content().prop_map(|m| encode(&m)),
        raw_call().prop_map(|m| encode(&m)),
    ];
    check(
        "mutated_messages_never_panic_any_decoder",
        512,
        mutated(valid),
        |text| every_message_type(&text),
    );
}

#[test]
fn valid_messages_with_an_unknown_field_are_refused_from_the_page() {
    // The page channel is strict (`deny_unknown_fields`): a message the shim would never write
    // is dropped rather than half-read.
    check(
        "valid_messages_with_an_unknown_field_are_refused_from_the_page",
        256,
        (from_page(), "[a-z]{1,8}", value()),
        |(msg, key, extra)| {
            // `{"variant":{…fields}}`: the unknown field goes in with the fields.
            let mut v = serde_json::to_value(&msg).expect("protocol types serialise");
            let body = v
                .as_object_mut()
                .and_then(|o| o.values_mut().next())
                .and_then(|b| b.as_object_mut())
                .expect("a struct variant");
            prop_assume!(!body.contains_key(&key));
            body.insert(key, extra);
            let refused = matches!(
                decode::<FromPage>(&v.to_string(), limits::PAGE_MESSAGE_BYTES),
                Err(DecodeError::Malformed(_))
            );
            prop_assert!(refused, "an unknown field was accepted: {}", v);
            Ok(())
        },
    );
}

#[test]
fn oversized_messages_are_refused_before_parsing() {
    // Text over the limit is refused by length, whatever it holds: even a valid message, and
    // without looking at a single byte of a text that could not be parsed at all.
    check_exactly(
        "oversized_messages_are_refused_before_parsing",
        64,
        (from_page(), 1usize..4096, any::<u8>()),
        |(msg, over, byte)| {
            let valid = encode(&msg);
            let limit = valid.len().saturating_sub(1);
            prop_assert_eq!(
                decode::<FromPage>(&valid, limit),
                Err(DecodeError::TooLarge {
                    len: valid.len(),
                    limit
                })
            );
            let junk = char::from(byte % 128)
                .to_string()
                .repeat(limits::PAGE_MESSAGE_BYTES + over);
            prop_assert_eq!(
                decode::<FromPage>(&junk, limits::PAGE_MESSAGE_BYTES),
                Err(DecodeError::TooLarge {
                    len: junk.len(),
                    limit: limits::PAGE_MESSAGE_BYTES
                })
            );
            Ok(())
        },
    );
}

#[test]
fn deep_nesting_within_the_limit_is_an_error_not_a_crash() {
    // serde_json stops at 128 levels; the page limit allows far deeper text than that.
    for depth in [
        127usize,
        128,
        129,
        1000,
        limits::PAGE_MESSAGE_BYTES / 2 - 64,
    ] {
        let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let text = format!(r#"{{"type":"callback","name":"jivo_onOpen","args":[{nested}]}}"#);
        if text.len() <= limits::PAGE_MESSAGE_BYTES {
            let _ = decode::<FromPage>(&text, limits::PAGE_MESSAGE_BYTES);
            every_message_type(&text).expect("no panic at any depth");
        }
        let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
        every_message_type(&objects).expect("no panic at any depth");
    }
}

#[test]
fn api_calls_from_any_message_validate_or_explain() {
    // A raw call as the page, the popup console or the background hands it over: validation
    // gives a call or a one-sentence reason; a valid call's canonical arguments validate again.
    check(
        "api_calls_from_any_message_validate_or_explain",
        512,
        prop_oneof![raw_call(), valid_call().prop_map(|c| c.to_raw())],
        |raw| {
            match ApiCall::from_raw(&raw) {
                Ok(call) => {
                    prop_assert_eq!(call.method(), raw.method);
                    prop_assert_eq!(ApiCall::from_raw(&call.to_raw()), Ok(call.clone()));
                    prop_assert_eq!(decode::<ApiCall>(&encode(&call), usize::MAX), Ok(call));
                }
                Err(e) => prop_assert!(!e.message().is_empty()),
            }
            Ok(())
        },
    );
}

#[test]
fn mutated_valid_calls_validate_or_explain() {
    check(
        "mutated_valid_calls_validate_or_explain",
        512,
        mutated(valid_call().prop_map(|c| encode(&c.to_raw()))),
        |text| {
            if let Ok(raw) = decode::<RawCall>(&text, limits::RUNTIME_MESSAGE_BYTES) {
                match ApiCall::from_raw(&raw) {
                    Ok(call) => prop_assert_eq!(ApiCall::from_raw(&call.to_raw()), Ok(call)),
                    Err(e) => prop_assert!(!e.message().is_empty()),
                }
            }
            Ok(())
        },
    );
}

#[test]
fn numbers_round_trip_exactly() {
    // The shim's numbers are doubles printed by JSON.stringify (the shortest text that reads
    // back as the same double). The content script must read back exactly that double, or a
    // value the page passed is logged, stored and answered one unit in the last place off.
    // Found by this file: serde_json's default float parser is not correctly rounded
    // (1.9324401169611936e27 came back as …35e27); the crate enables `float_roundtrip`.
    for text in [
        "1932440116961193601000000000",
        "1.9324401169611936e27",
        "0.1",
        "5e-324",
    ] {
        let v: Value = serde_json::from_str(text).expect("a number");
        let again: Value = serde_json::from_str(&v.to_string()).expect("a number");
        assert_eq!(v, again, "{text} does not read back as itself");
    }
    check(
        "numbers_round_trip_exactly",
        512,
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        |f| {
            let msg = FromPage::Callback {
                name: Callback::OnChangeState,
                args: vec![json!(f)],
            };
            prop_assert_eq!(
                decode::<FromPage>(&encode(&msg), limits::PAGE_MESSAGE_BYTES),
                Ok(msg)
            );
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Settings documents (storage, import files, managed policy)
// ---------------------------------------------------------------------------------------------

/// Values a settings key might be given: right-ish and wrong.
fn setting_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec![
            json!("sandbox"),
            json!("jivochat"),
            json!("Sandbox"),
            json!("aBc123"),
            json!(""),
            json!("https://code.jivosite.com/widget/{id}"),
            json!("http://127.0.0.1:1/{id}.js"),
            json!(["https://*.example.com/*", "<all_urls>"]),
            json!(["*://127.0.0.1/*"]),
            json!(["nonsense"]),
            json!({ "enabled": true, "settleMs": 500, "hash": "ignore", "titleOnly": false }),
            json!({ "settleMs": -1 }),
            json!({ "reportIntervalMs": 0, "settleMs": 16 }),
            json!({ "graceMs": 1500, "useMineOn": ["https://*.example.com/*"], "sandboxStandIn": false }),
            json!({ "graceMs": 30001 }),
            json!({ "useMineOn": ["nonsense"] }),
            json!({ "maxEntries": 100 }),
            json!({ "maxEntries": 1e9 }),
            json!(15000),
            json!(999),
            json!(120001),
            json!(null),
            json!(true),
            json!(1.5),
        ]),
        value(),
    ]
}

/// Documents with real keys (and the odd unknown one) holding [`setting_value`]s.
fn settings_doc() -> impl Strategy<Value = Value> {
    let key = prop::sample::select(vec![
        "mode",
        "widgetId",
        "loaderUrl",
        "sites",
        "spa",
        "log",
        "loaderTimeoutMs",
        "siteWidget",
        "Mode",
        "extra",
    ]);
    prop_oneof![
        8 => prop::collection::vec((key, setting_value()), 0..8)
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        1 => value(),
    ]
}

/// Valid settings, from the documents that parse.
fn settings() -> impl Strategy<Value = Settings> {
    settings_doc().prop_filter_map("valid documents only", |d| Settings::from_value(&d).ok())
}

#[test]
fn settings_documents_read_or_explain_and_round_trip() {
    check(
        "settings_documents_read_or_explain_and_round_trip",
        512,
        settings_doc(),
        |doc| {
            match Settings::from_value(&doc) {
                Ok(s) => {
                    prop_assert_eq!(Settings::from_value(&s.to_value()), Ok(s.clone()));
                    prop_assert_eq!(Settings::from_json(&s.to_json()), Ok(s.clone()));
                    prop_assert_eq!(Settings::from_json(&s.to_json_pretty()), Ok(s.clone()));
                    prop_assert_eq!(Settings::from_json(&doc.to_string()), Ok(s));
                }
                Err(e) => {
                    prop_assert!(!e.errors().is_empty());
                    prop_assert!(!e.to_string().is_empty());
                    prop_assert!(Settings::from_json(&doc.to_string()).is_err());
                }
            }
            Ok(())
        },
    );
}

#[test]
fn settings_text_never_panics() {
    let texts = prop_oneof![
        any_text(),
        mutated(settings().prop_map(|s| s.to_json_pretty())),
        mutated(settings_doc().prop_map(|d| d.to_string())),
    ];
    check("settings_text_never_panics", 512, texts, |text| {
        match Settings::from_json(&text) {
            Ok(s) => prop_assert_eq!(Settings::from_json(&s.to_json()), Ok(s)),
            Err(e) => prop_assert!(!e.errors().is_empty()),
        }
        Ok(())
    });
}

#[test]
fn oversized_settings_are_refused_before_parsing() {
    // Over the limit, the error is about size even when the text is not JSON at all: it was
    // never parsed.
    check_exactly(
        "oversized_settings_are_refused_before_parsing",
        16,
        (1usize..1024, any::<u8>()),
        |(over, byte)| {
            let junk = char::from(byte % 128)
                .to_string()
                .repeat(MAX_DOCUMENT_BYTES + over);
            let e = Settings::from_json(&junk).expect_err("over the limit");
            prop_assert!(
                !e.to_string().contains("not valid JSON"),
                "parsed anyway: {}",
                e
            );
            prop_assert!(e.to_string().contains("256 KiB"), "{}", e);
            // A value already parsed (as storage hands it over) is measured too.
            let big = json!({ "widgetId": "x".repeat(MAX_DOCUMENT_BYTES + over) });
            prop_assert!(Settings::from_value(&big).is_err());
            let effective = EffectiveSettings::resolve(Some(&big), Some(&big));
            prop_assert!(effective.user_errors().is_some() && effective.managed_errors().is_some());
            prop_assert_eq!(effective.settings(), &Settings::default());
            Ok(())
        },
    );
}

#[test]
fn managed_and_user_documents_combine_without_panic() {
    check(
        "managed_and_user_documents_combine_without_panic",
        256,
        (
            prop::option::of(settings_doc()),
            prop::option::of(settings_doc()),
            prop::option::of(settings_doc()),
        ),
        |(user, managed, later)| {
            let effective = EffectiveSettings::resolve(user.as_ref(), managed.as_ref());
            prop_assert!(effective.locked().iter().all(|p| PATHS.contains(p)));
            // The settings in force are always valid settings.
            let s = effective.settings().clone();
            prop_assert_eq!(Settings::from_value(&s.to_value()), Ok(s.clone()));
            // A later invalid user document keeps the user values in force.
            let next = effective.with_user_document(later.as_ref());
            if next.user_errors().is_some() && effective.user_errors().is_none() {
                prop_assert_eq!(next.settings(), effective.settings());
            }
            let _ = effective.with_managed_document(later.as_ref());
            let _ = effective.user_document();
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Match patterns and page URLs
// ---------------------------------------------------------------------------------------------

/// Patterns built from plausible and implausible pieces.
fn pattern_text() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(vec![
        "*", "http", "https", "HTTP", "file", "ftp", "ws", "", "h*",
    ]);
    let sep = prop::sample::select(vec!["://", ":/", ":", "//", "://", "://"]);
    let host = prop_oneof![
        prop::sample::select(vec![
            "*",
            "*.example.com",
            "example.com",
            "EXAMPLE.com.",
            "127.0.0.1",
            "[::1]",
            "*.",
            "a*b",
            "xn--d1acufc.xn--p1ai",
            "host:8080",
            "",
            "*.*.com",
            "user@host",
            "é.example",
        ])
        .prop_map(str::to_owned),
        "[a-z0-9.*:\\[\\]-]{0,20}",
    ];
    let path = prop_oneof![
        prop::sample::select(vec![
            "/*", "/", "", "/shop/*", "/*?x=*", "/a*b*c", "*", "/%2F*"
        ])
        .prop_map(str::to_owned),
        "(/[a-z*?=&%#.]{0,8}){0,4}",
    ];
    prop_oneof![
        4 => (scheme, sep, host, path).prop_map(|(s, p, h, pa)| format!("{s}{p}{h}{pa}")),
        1 => prop::sample::select(vec![" <all_urls> ", "<all_urls>", "<ALL_URLS>"]).prop_map(str::to_owned),
        1 => text(),
    ]
}

fn url_text() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(vec![
        "http://", "https://", "HTTPS://", "file://", "", "http:/",
    ]);
    let host = prop_oneof![
        prop::sample::select(vec![
            "example.com",
            "a.example.com",
            "127.0.0.1",
            "[::1]",
            "EXAMPLE.COM.",
            "",
            "u:p@h"
        ])
        .prop_map(str::to_owned),
        "[a-z0-9.:\\[\\]@-]{0,20}",
    ];
    let rest = "(:[0-9]{0,6})?(/[a-z%?=&#.]{0,8}){0,4}";
    prop_oneof![
        4 => (scheme, host, rest).prop_map(|(s, h, r)| format!("{s}{h}{r}")),
        1 => text(),
    ]
}

#[test]
fn match_patterns_parse_or_explain_and_are_canonical() {
    check(
        "match_patterns_parse_or_explain_and_are_canonical",
        1024,
        (pattern_text(), url_text()),
        |(pattern, url)| {
            match SiteRule::parse(&pattern) {
                Ok(rule) => {
                    // The canonical text is a fixed point, and the registration and origin
                    // patterns the browser is given parse too.
                    prop_assert_eq!(SiteRule::parse(rule.as_str()), Ok(rule.clone()));
                    prop_assert!(SiteRule::parse(rule.registration_pattern()).is_ok());
                    let origin = SiteRule::parse(&rule.origin_pattern());
                    prop_assert!(
                        origin.is_ok(),
                        "origin pattern {} of {}: {:?}",
                        rule.origin_pattern(),
                        rule,
                        origin
                    );
                    // Matching any text answers (and a URL the rule matches is matched by its
                    // origin pattern, which is the permission the browser is asked for).
                    if rule.matches(&url) {
                        prop_assert!(
                            origin.expect("checked above").matches(&url),
                            "{} matches {} but its origin pattern does not",
                            rule,
                            url
                        );
                    }
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
            match WebUrl::parse(&url) {
                Ok(u) => {
                    prop_assert!(!u.host().is_empty() || u.host_is_ip());
                    let _ = u.path_and_query();
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
            Ok(())
        },
    );
}

#[test]
fn mutated_patterns_and_urls_never_panic() {
    check(
        "mutated_patterns_and_urls_never_panic",
        512,
        (mutated(pattern_text()), mutated(url_text())),
        |(pattern, url)| {
            if let Ok(rule) = SiteRule::parse(&pattern) {
                prop_assert_eq!(SiteRule::parse(rule.as_str()), Ok(rule.clone()));
                let _ = rule.matches(&url);
            }
            let _ = WebUrl::parse(&url);
            Ok(())
        },
    );
}

#[test]
fn oversized_patterns_and_urls_are_refused_before_parsing() {
    check_exactly(
        "oversized_patterns_and_urls_are_refused_before_parsing",
        16,
        (1usize..512, any::<u8>()),
        |(over, byte)| {
            // Printable, so that trimming whitespace does not shorten it.
            let c = char::from(b'!' + byte % 94).to_string();
            let pattern = format!(
                "https://*.example.com/{}",
                c.repeat(SiteRule::MAX_LEN + over)
            );
            let refused = matches!(
                SiteRule::parse(&pattern),
                Err(SiteRuleError::TooLong { .. })
            );
            prop_assert!(refused, "{:?}", SiteRule::parse(&pattern).err());
            let url = format!("https://example.com/{}", c.repeat(WebUrl::MAX_LEN + over));
            let refused = matches!(WebUrl::parse(&url), Err(UrlError::TooLong { .. }));
            prop_assert!(
                refused,
                "a URL of {} bytes was not refused by length",
                url.len()
            );
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Log export files and stored log keys
// ---------------------------------------------------------------------------------------------

fn export() -> impl Strategy<Value = Export> {
    (
        any::<i32>(),
        time(),
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec((1u64..1000, time(), event()), 0..6),
    )
        .prop_map(|(tab, exported_at, dropped, missed, steps)| {
            let mut id = 0;
            let entries = steps
                .into_iter()
                .map(|(step, at, event)| {
                    id += step;
                    Entry { id, at, event }
                })
                .collect();
            Export {
                tab,
                exported_at,
                dropped,
                missed,
                entries,
            }
        })
}

#[test]
fn log_exports_round_trip_and_damaged_files_are_errors() {
    check(
        "log_exports_round_trip_and_damaged_files_are_errors",
        256,
        (export(), mutated(export().prop_map(|e| e.to_json()))),
        |(export, damaged)| {
            prop_assert_eq!(Export::parse(&export.to_json()), Ok(export.clone()));
            prop_assert_eq!(Export::from_value(&export.to_value()), Ok(export));
            match Export::parse(&damaged) {
                Ok(e) => prop_assert_eq!(Export::parse(&e.to_json()), Ok(e)),
                Err(ImportError::Order { id, previous, .. }) => prop_assert!(id <= previous),
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
            Ok(())
        },
    );
}

#[test]
fn log_storage_keys_parse_only_their_own_shape() {
    check(
        "log_storage_keys_parse_only_their_own_shape",
        512,
        (any::<i32>(), prop::option::of(any::<u64>()), any_text()),
        |(tab, chunk, junk)| {
            let key = chunk.map_or(ChunkKey::Head, ChunkKey::Entries);
            prop_assert_eq!(
                ChunkKey::parse_storage_key(&key.storage_key(tab)),
                Some((tab, key))
            );
            if let Some((t, k)) = ChunkKey::parse_storage_key(&junk) {
                prop_assert_eq!(k.storage_key(t), junk);
            }
            Ok(())
        },
    );
}
