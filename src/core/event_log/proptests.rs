//! Properties over arbitrary histories: appends from several pages (in order, resent, with
//! gaps), background records, cap changes, clears, saves and restarts. Checked against a
//! model after every step.

use std::collections::HashMap;

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::tests::{live_chunk_keys, page, seq, Store};
use super::*;
use crate::api::call::Reply;
use crate::api::{Callback, Method};
use crate::spa::{UnreportedReason, UrlCause};

/// Cases per property: `default`, or PROPTEST_CASES for a longer run.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const TEXTS: &[&str] = &[
    "",
    "chat",
    "Ann",
    "https://shop.example/cart?x=1#/y",
    "é中🙂",
    "quote \" back \\ slash",
    "ctrl \u{1}\u{8}\n",
];

/// Mostly short texts; one in `1 + short` is up to 12 000 characters.
fn text_with(short: u32) -> impl Strategy<Value = String> {
    prop_oneof![
        short => prop::sample::select(TEXTS).prop_map(str::to_owned),
        1 => (1usize..12_000).prop_map(|n| "w\"\u{2}é".repeat(n / 4 + 1)),
    ]
}

/// JSON values up to three levels deep.
fn value(short: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e12f64..1e12).prop_map(|f| json!(f)),
        text_with(short).prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(TEXTS), inner), 0..6).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// Argument lists, sometimes longer than `MAX_ARGS`.
fn args(short: u32) -> impl Strategy<Value = Vec<Value>> {
    prop_oneof![
        6 => prop::collection::vec(value(short), 0..4),
        1 => prop::collection::vec(value(short), 0..40),
    ]
}

/// Events of every kind; `short` as in [`text_with`].
fn event(short: u32) -> impl Strategy<Value = Event> {
    prop_oneof![
        (prop::sample::select(Callback::ALL.to_vec()), args(short))
            .prop_map(|(name, args)| Event::Callback { name, args }),
        (
            prop::sample::select(Callback::ALL.to_vec()),
            text_with(short)
        )
            .prop_map(|(name, message)| Event::CallbackThrew { name, message }),
        (
            prop::sample::select(Method::ALL.to_vec()),
            args(short),
            prop::sample::select(Origin::ALL.to_vec()),
            prop::option::of(value(short)),
            prop::option::of(args(short)),
            prop::option::of(text_with(short)),
            prop::option::of(text_with(short)),
        )
            .prop_map(
                |(method, args, origin, returned, callback_args, threw, note)| {
                    Event::ApiCall {
                        method,
                        args,
                        origin,
                        outcome: Reply {
                            returned,
                            callback_args,
                            threw,
                            note: None,
                        },
                        note,
                    }
                }
            ),
        (text_with(short), text_with(short))
            .prop_map(|(url, title)| Event::PageLoad { url, title }),
        (
            text_with(short),
            text_with(short),
            prop::option::of(prop::sample::select(vec![
                UrlCause::Push,
                UrlCause::Replace,
                UrlCause::Pop,
                UrlCause::Hash,
                UrlCause::Navigate,
            ])),
            any::<bool>(),
            prop::option::of(prop::sample::select(vec![
                UnreportedReason::Disabled,
                UnreportedReason::BeforeLoad,
                UnreportedReason::Destroyed,
                UnreportedReason::SamePage,
                UnreportedReason::AlreadyKnown,
                UnreportedReason::Superseded,
                UnreportedReason::RateLimited,
            ])),
        )
            .prop_map(|(url, title, cause, reported, reason)| Event::Navigation {
                url,
                title,
                cause,
                reported,
                reason,
            }),
        text_with(short).prop_map(Event::status),
        text_with(short).prop_map(|message| Event::Error { message }),
    ]
}

/// Times: whole and fractional ms around now, and odd ones.
fn time() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 1.6e12f64..2.0e12,
        1 => (1_600_000_000_000u64..2_000_000_000_000).prop_map(|n| n as f64),
        1 => any::<f64>(),
    ]
}

/// How a page's next sequence number relates to what it sent before.
#[derive(Clone, Debug)]
enum SeqStep {
    /// The next one.
    InOrder,
    /// One it already sent, `back` steps back (a resend).
    Resend(u64),
    /// Skips this many.
    Skip(u64),
}

#[derive(Clone, Debug)]
enum Op {
    Append(u8, SeqStep, f64, Event),
    Record(f64, Event),
    SetCap(u32),
    Clear,
    /// Save what changed.
    Save,
    /// Save, then restart: the log is rebuilt from storage with this cap.
    Restart(u32),
    /// Restart without saving the last changes (the worker was killed): the pages resend.
    Crash,
}

fn cap() -> impl Strategy<Value = u32> {
    prop_oneof![100u32..=260, Just(0), Just(100), Just(20_000)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        40 => (0u8..4, prop_oneof![
            8 => Just(SeqStep::InOrder),
            2 => (1u64..6).prop_map(SeqStep::Resend),
            1 => (1u64..4).prop_map(SeqStep::Skip),
        ], time(), event(60)).prop_map(|(p, n, t, e)| Op::Append(p, n, t, e)),
        8 => (time(), event(60)).prop_map(|(t, e)| Op::Record(t, e)),
        2 => cap().prop_map(Op::SetCap),
        1 => Just(Op::Clear),
        2 => Just(Op::Save),
        1 => cap().prop_map(Op::Restart),
        1 => Just(Op::Crash),
    ]
}

/// What the log must say, kept the simple way.
#[derive(Default)]
struct Model {
    /// Per page: the highest sequence number sent so far (the sender's side).
    sent: HashMap<u8, u64>,
    /// Per page: the highest sequence number the log accepted (as of the last save after a
    /// crash).
    acked: HashMap<u8, u64>,
    /// Ids of the events accepted since the last clear, in order.
    accepted: Vec<u64>,
    missed: u64,
}

fn check(log: &TabLog, model: &Model) -> Result<(), TestCaseError> {
    prop_assert!(log.len() <= log.cap() as usize);
    prop_assert!((100..=20_000).contains(&log.cap()));
    prop_assert!(log.bytes() <= MAX_LOG_BYTES);
    prop_assert_eq!(log.dropped() as usize + log.len(), model.accepted.len());
    prop_assert_eq!(log.missed(), model.missed);
    let held: Vec<u64> = log.entries().map(|e| e.id).collect();
    prop_assert_eq!(
        &held[..],
        &model.accepted[model.accepted.len() - held.len()..]
    );
    prop_assert!(log.entries().all(|e| e.id < log.next_id()));
    let mut counts = KindCounts::default();
    for e in log.entries() {
        counts.add(e.kind());
    }
    prop_assert_eq!(log.counts(), counts);
    for (p, acked) in &model.acked {
        prop_assert_eq!(log.acked(&page_of(*p)), *acked);
    }
    Ok(())
}

/// The sizes: every entry within [`MAX_ENTRY_BYTES`], and [`TabLog::bytes`] their sum.
fn check_sizes(log: &TabLog) -> Result<(), TestCaseError> {
    let mut bytes = 0;
    for e in log.entries() {
        let size = serde_json::to_vec(e).unwrap().len();
        prop_assert!(size <= MAX_ENTRY_BYTES);
        bytes += size;
    }
    prop_assert_eq!(log.bytes(), bytes);
    Ok(())
}

fn page_of(p: u8) -> PageId {
    page(&format!("page-{p}"))
}

proptest! {
    // 100 histories of up to 300 steps (about 10 s in a debug build); PROPTEST_CASES=5000
    // for a longer run.
    #![proptest_config(ProptestConfig { cases: cases(100), ..ProptestConfig::default() })]

    /// Arbitrary histories never panic, keep every invariant, and storage always holds
    /// exactly the head and the chunks of the live entries, from which the same log comes back.
    #[test]
    fn histories_keep_the_invariants(start in cap(), ops in prop::collection::vec(op(), 1..300)) {
        let mut log = TabLog::new(start);
        let mut model = Model::default();
        let mut store = Store::default();
        // The model as of the last save, for crashes.
        let mut saved: Option<(Vec<u64>, HashMap<u8, u64>, u64)> = None;
        for op in ops {
            match op {
                Op::Append(p, next, at, event) => {
                    let last = model.sent.get(&p).copied().unwrap_or(0);
                    let n = match next {
                        SeqStep::InOrder => last + 1,
                        SeqStep::Resend(back) => last.saturating_sub(back).max(1),
                        SeqStep::Skip(k) => last + 1 + k,
                    };
                    let acked = model.acked.get(&p).copied().unwrap_or(0);
                    let got = log.append(&page_of(p), seq(n), at, event);
                    if n <= acked {
                        prop_assert_eq!(got, Appended::Duplicate);
                    } else {
                        let Appended::New(id) = got else {
                            return Err(TestCaseError::fail(format!("{p}/{n} refused")));
                        };
                        if acked > 0 {
                            model.missed += n - acked - 1;
                        }
                        model.accepted.push(id);
                        model.acked.insert(p, n);
                    }
                    model.sent.insert(p, n.max(last));
                }
                Op::Record(at, event) => {
                    let id = log.record(at, event);
                    model.accepted.push(id);
                }
                Op::SetCap(cap) => log.set_cap(cap),
                Op::Clear => {
                    log.clear();
                    model.accepted.clear();
                    model.missed = 0;
                }
                Op::Save | Op::Restart(_) => {
                    check_sizes(&log)?;
                    store.apply(log.take_changes());
                    prop_assert_eq!(store.chunk_keys(), live_chunk_keys(&log));
                    let restored = TabLog::restore(log.cap(), store.pieces()).unwrap();
                    prop_assert_eq!(&restored, &log);
                    let mut again = restored.clone();
                    prop_assert!(again.take_changes().is_empty(), "a restored log is saved");
                    saved = Some((model.accepted.clone(), model.acked.clone(), model.missed));
                    if let Op::Restart(cap) = op {
                        log = restored;
                        log.set_cap(cap);
                    }
                }
                Op::Crash => {
                    // Everything since the last save is lost; the log starts from storage (or
                    // afresh if nothing was ever saved), and the pages will resend.
                    log = match TabLog::restore(log.cap(), store.pieces()) {
                        Ok(l) => l,
                        Err(RestoreError::NoHead) => TabLog::new(log.cap()),
                        Err(e) => return Err(TestCaseError::fail(e.to_string())),
                    };
                    let (accepted, acked, missed) = saved.clone().unwrap_or_default();
                    model.accepted = accepted;
                    model.acked = acked;
                    model.missed = missed;
                    model.sent = model.acked.iter().map(|(p, n)| (*p, *n)).collect();
                    // Ids the lost entries had are given out again: the model follows the log.
                }
            }
            check(&log, &model)?;
        }
        check_sizes(&log)?;
        prop_assert_eq!(TabLog::restore(log.cap(), log.chunks()).unwrap(), log.clone());
        let export = log.export(1, 0.0);
        prop_assert_eq!(export.entries.len(), log.len());
        prop_assert_eq!(Export::from_value(&export.to_value()).unwrap(), export);
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    /// Every event, however big, is stored within MAX_ENTRY_BYTES with its kind and name;
    /// small ones exactly as given; storing the stored entry again changes nothing.
    #[test]
    fn entries_are_bounded(at in time(), event in event(4)) {
        let mut log = TabLog::new(100);
        let id = log.record(at, event.clone());
        let entry = log.get(id).unwrap().clone();
        let size = serde_json::to_vec(&entry).unwrap().len();
        prop_assert!(size <= MAX_ENTRY_BYTES, "{} bytes", size);
        prop_assert_eq!(entry.kind(), event.kind());
        prop_assert_eq!(entry.event.name(), event.name());
        let mut given = Entry { id, at: quantize_time(at), event };
        if let Event::ApiCall { outcome, .. } = &mut given.event {
            // Stored as absent: `Reply` cannot tell `null` from `undefined`.
            outcome.returned = outcome.returned.take().filter(|v| !v.is_null());
        }
        if serde_json::to_vec(&given).unwrap().len() <= MAX_ENTRY_BYTES {
            let few_args = match &given.event {
                Event::Callback { args, .. } => args.len() <= MAX_ARGS,
                Event::ApiCall { args, outcome, .. } => {
                    args.len() <= MAX_ARGS
                        && outcome.callback_args.as_ref().is_none_or(|a| a.len() <= MAX_ARGS)
                }
                _ => true,
            };
            if few_args {
                prop_assert_eq!(&entry, &given);
            }
        }
        let mut again = entry.clone();
        prop_assert_eq!(bound::bound(&mut again), size);
        prop_assert_eq!(again, entry);
    }

    /// Times and integer-valued entries survive the export's text exactly.
    #[test]
    fn exports_survive_their_text(
        times in prop::collection::vec(time(), 0..20),
        now in time(),
        tab in any::<i32>(),
    ) {
        let mut log = TabLog::new(100);
        for (i, at) in times.iter().enumerate() {
            log.record(*at, Event::Callback {
                name: Callback::OnChangeState,
                args: vec![json!(i), json!(TEXTS[i % TEXTS.len()])],
            });
        }
        let export = log.export(tab, now);
        prop_assert_eq!(Export::parse(&export.to_json()).unwrap(), export);
    }

    /// The filter with an entry's own name finds it; every kind set finds exactly its kinds.
    #[test]
    fn filters_find_their_own(
        events in prop::collection::vec(event(60), 1..30),
        mask in 0u8..32,
    ) {
        let mut log = TabLog::new(100);
        for e in events {
            log.record(0.0, e);
        }
        let kinds: KindSet = Kind::ALL
            .into_iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, k)| k)
            .collect();
        let filter = Filter { kinds, text: String::new(), ..Filter::default() };
        let shown = log.filter(&filter).count();
        prop_assert_eq!(shown, log.entries().filter(|e| kinds.contains(e.kind())).count());
        for e in log.entries() {
            if let Some(name) = e.event.name() {
                let filter = Filter { kinds: KindSet::ALL, text: name.to_uppercase(), ..Filter::default() };
                prop_assert!(filter.matches(e));
            }
        }
    }
}
