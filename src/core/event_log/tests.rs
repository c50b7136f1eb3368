//! Unit tests: one table per behaviour.

use std::collections::BTreeMap;
use std::num::NonZeroU64;

use serde_json::{json, Value};

use super::*;
use crate::api::call::{ApiResult, Reply};
use crate::api::{Callback, Method};
use crate::spa::{PageReport, ReportReason, UrlCause};

// ---------------------------------------------------------------------------------------------
// Helpers

pub(super) fn page(id: &str) -> PageId {
    PageId::new(id).unwrap()
}

pub(super) fn seq(n: u64) -> NonZeroU64 {
    NonZeroU64::new(n).unwrap()
}

fn status(text: &str) -> Event {
    Event::status(text)
}

fn callback(name: Callback, args: Vec<Value>) -> Event {
    Event::Callback { name, args }
}

fn outcome(returned: Option<Value>, callback_args: Option<Vec<Value>>) -> Reply {
    Reply {
        returned,
        callback_args,
        ..Reply::default()
    }
}

/// A log with `n` status entries recorded at times 1000, 1001, …
fn filled(cap: u32, n: u64) -> TabLog {
    let mut log = TabLog::new(cap);
    for i in 0..n {
        log.record(1000.0 + i as f64, status(&format!("s{i}")));
    }
    log
}

fn ids<'a>(entries: impl Iterator<Item = &'a Entry>) -> Vec<u64> {
    entries.map(|e| e.id).collect()
}

/// A stand-in for `storage.session`: what the shell would hold after applying every change.
#[derive(Default, Debug)]
pub(super) struct Store(pub BTreeMap<ChunkKey, Value>);

impl Store {
    pub(super) fn apply(&mut self, changes: Changes) {
        for (key, value) in changes.write {
            self.0.insert(key, value);
        }
        for key in changes.remove {
            assert!(
                self.0.remove(&key).is_some(),
                "removes {key:?}, never stored"
            );
        }
    }

    pub(super) fn pieces(&self) -> Vec<(ChunkKey, Value)> {
        self.0.iter().map(|(k, v)| (*k, v.clone())).collect()
    }

    /// The chunk keys held, without the head.
    pub(super) fn chunk_keys(&self) -> Vec<ChunkKey> {
        self.0
            .keys()
            .copied()
            .filter(|k| *k != ChunkKey::Head)
            .collect()
    }
}

/// The chunk keys of the entries `log` holds, each once.
pub(super) fn live_chunk_keys(log: &TabLog) -> Vec<ChunkKey> {
    let mut keys: Vec<ChunkKey> = log.entries().map(|e| ChunkKey::of_entry(e.id)).collect();
    keys.dedup();
    keys
}

// ---------------------------------------------------------------------------------------------
// Cap and dropped count

#[test]
fn cap_is_clamped_to_the_settings_range() {
    for (asked, got) in [
        (0, 100),
        (99, 100),
        (100, 100),
        (2000, 2000),
        (20_000, 20_000),
        (20_001, 20_000),
        (u32::MAX, 20_000),
    ] {
        assert_eq!(TabLog::new(asked).cap(), got, "new({asked})");
        let mut log = TabLog::default();
        log.set_cap(asked);
        assert_eq!(log.cap(), got, "set_cap({asked})");
    }
    assert_eq!(TabLog::default().cap(), 2000);
}

#[test]
fn the_oldest_entries_go_and_are_counted() {
    // (cap, appended) → (len, dropped, first id, last id)
    for (cap, n, len, dropped, first, last) in [
        (100, 0, 0, 0, None, None),
        (100, 1, 1, 0, Some(1), Some(1)),
        (100, 100, 100, 0, Some(1), Some(100)),
        (100, 101, 100, 1, Some(2), Some(101)),
        (100, 250, 100, 150, Some(151), Some(250)),
        (2000, 2500, 2000, 500, Some(501), Some(2500)),
    ] {
        let log = filled(cap, n);
        assert_eq!(log.len(), len, "cap {cap}, {n} appended");
        assert_eq!(log.dropped(), dropped, "cap {cap}, {n} appended");
        assert_eq!(log.entries().next().map(|e| e.id), first);
        assert_eq!(log.entries().last().map(|e| e.id), last);
        assert_eq!(log.next_id(), n + 1);
        assert_eq!(log.first_id(), first.unwrap_or(n + 1));
        assert_eq!(log.summary().first_id, log.first_id());
        assert_eq!(log.counts().total() as usize, len);
    }
}

#[test]
fn set_cap_shrinks_from_the_oldest_and_never_grows_back() {
    // (cap, appended, new cap) → (len, dropped, first id)
    for (cap, n, new_cap, len, dropped, first) in [
        (500, 300, 200, 200, 100, 101),
        (500, 300, 300, 300, 0, 1),
        (500, 300, 1000, 300, 0, 1),
        (500, 600, 100, 100, 500, 501),
        (500, 300, 10, 100, 200, 201), // clamped to 100
    ] {
        let mut log = filled(cap, n);
        log.set_cap(new_cap);
        assert_eq!(
            (log.len(), log.dropped(), log.entries().next().unwrap().id),
            (len, dropped, first),
            "cap {cap} → {new_cap} with {n}"
        );
        log.set_cap(20_000);
        assert_eq!(log.len(), len, "growing keeps what is there");
        log.record(0.0, status("after"));
        assert_eq!(log.len(), len + 1);
        assert_eq!(log.dropped(), dropped);
    }
}

#[test]
fn the_byte_budget_drops_the_oldest_too() {
    // Each entry is close to MAX_ENTRY_BYTES, so far fewer than the cap fit in MAX_LOG_BYTES.
    let big = "x".repeat(MAX_ENTRY_BYTES);
    let mut log = TabLog::new(20_000);
    let n = 2 * MAX_LOG_BYTES / MAX_ENTRY_BYTES;
    for i in 0..n {
        log.record(
            i as f64,
            Event::Error {
                message: big.clone(),
            },
        );
        assert!(log.bytes() <= MAX_LOG_BYTES);
    }
    let kept = log.len();
    assert!(
        kept >= MAX_LOG_BYTES / MAX_ENTRY_BYTES - 1 && kept < n,
        "kept {kept}"
    );
    assert_eq!(log.dropped() as usize + kept, n);
    let recount: usize = log
        .entries()
        .map(|e| serde_json::to_vec(e).unwrap().len())
        .sum();
    assert_eq!(recount, log.bytes());
}

// ---------------------------------------------------------------------------------------------
// De-duplication

#[test]
fn repeats_are_duplicates_and_gaps_are_missed() {
    struct Case {
        name: &'static str,
        sends: &'static [(&'static str, u64)],
        results: &'static [Option<u64>], // Some(id) for New, None for Duplicate
        acked: &'static [(&'static str, u64)],
        missed: u64,
    }
    let cases = [
        Case {
            name: "in order",
            sends: &[("a", 1), ("a", 2), ("a", 3)],
            results: &[Some(1), Some(2), Some(3)],
            acked: &[("a", 3), ("b", 0)],
            missed: 0,
        },
        Case {
            name: "resent after a restart",
            sends: &[("a", 1), ("a", 2), ("a", 1), ("a", 2), ("a", 3)],
            results: &[Some(1), Some(2), None, None, Some(3)],
            acked: &[("a", 3)],
            missed: 0,
        },
        Case {
            name: "pages are independent",
            sends: &[("a", 1), ("b", 1), ("a", 2), ("b", 1), ("b", 2), ("a", 2)],
            results: &[Some(1), Some(2), Some(3), None, Some(4), None],
            acked: &[("a", 2), ("b", 2)],
            missed: 0,
        },
        Case {
            name: "a gap is stored and counted; what is below the mark is a duplicate",
            sends: &[("a", 1), ("a", 4), ("a", 2), ("a", 5)],
            results: &[Some(1), Some(2), None, Some(3)],
            acked: &[("a", 5)],
            missed: 2,
        },
        Case {
            name: "a page first heard from mid-way is not counted as missing its start",
            sends: &[("a", 7), ("a", 8)],
            results: &[Some(1), Some(2)],
            acked: &[("a", 8)],
            missed: 0,
        },
    ];
    for case in cases {
        let mut log = TabLog::new(100);
        let got: Vec<Option<u64>> = case
            .sends
            .iter()
            .map(
                |&(p, s)| match log.append(&page(p), seq(s), 0.0, status(p)) {
                    Appended::New(id) => Some(id),
                    Appended::Duplicate => None,
                },
            )
            .collect();
        assert_eq!(got, case.results, "{}", case.name);
        for &(p, n) in case.acked {
            assert_eq!(log.acked(&page(p)), n, "{}: acked({p})", case.name);
        }
        assert_eq!(log.missed(), case.missed, "{}", case.name);
        assert_eq!(
            log.len(),
            case.results.iter().flatten().count(),
            "{}",
            case.name
        );
    }
}

#[test]
fn duplicates_are_recognised_across_a_restart_and_a_clear() {
    let mut log = TabLog::new(100);
    let (a, b) = (page("page-a"), page("page-b"));
    for n in 1..=5 {
        let _ = log.append(&a, seq(n), n as f64, status("a"));
    }
    let _ = log.append(&b, seq(1), 9.0, status("b"));
    let mut store = Store::default();
    store.apply(log.take_changes());

    // The background restarts; the content scripts resend what they did not see acknowledged.
    let mut log = TabLog::restore(100, store.pieces()).unwrap();
    assert_eq!((log.acked(&a), log.acked(&b)), (5, 1));
    for n in 3..=5 {
        assert_eq!(
            log.append(&a, seq(n), 0.0, status("a")),
            Appended::Duplicate
        );
    }
    assert_eq!(log.append(&a, seq(6), 0.0, status("a")), Appended::New(7));

    log.clear();
    assert_eq!(
        log.append(&a, seq(6), 0.0, status("a")),
        Appended::Duplicate
    );
    assert_eq!(log.append(&b, seq(2), 0.0, status("b")), Appended::New(8));
}

#[test]
fn only_the_most_recent_pages_are_remembered() {
    let mut log = TabLog::new(1000);
    for p in 0..MAX_PAGES as u64 {
        let _ = log.append(&PageId::from(p), seq(3), 0.0, status("x"));
    }
    // Page 0 is heard from again, so page 1 is now the least recent.
    let _ = log.append(&PageId::from(0), seq(4), 0.0, status("x"));
    let _ = log.append(&page("newcomer"), seq(1), 0.0, status("x"));
    assert_eq!(log.acked(&PageId::from(0)), 4);
    assert_eq!(log.acked(&PageId::from(1)), 0, "forgotten");
    assert_eq!(log.acked(&PageId::from(2)), 3);
    assert_eq!(log.acked(&page("newcomer")), 1);
    let restored = TabLog::restore(1000, log.chunks()).unwrap();
    assert_eq!(restored.acked(&PageId::from(1)), 0);
    assert_eq!(restored.acked(&PageId::from(2)), 3);
}

#[test]
fn page_ids_are_checked() {
    for (id, ok) in [
        ("a", true),
        ("3f2a9c0e-8d7b-4c1a-9e2f-0123456789ab", true),
        (&*"x".repeat(64), true),
        (&*"x".repeat(65), false),
        ("", false),
        ("has space", false),
        ("tab\t", false),
        ("é", false),
    ] {
        assert_eq!(PageId::new(id).is_ok(), ok, "{id:?}");
        assert_eq!(
            serde_json::from_value::<PageId>(json!(id)).is_ok(),
            ok,
            "{id:?}"
        );
    }
    assert_eq!(PageId::from(42).as_str(), "42");
    assert_eq!(serde_json::to_value(page("p1")).unwrap(), json!("p1"));
}

// ---------------------------------------------------------------------------------------------
// Clear, since, get, counts

#[test]
fn clear_empties_the_log_and_resets_the_counters() {
    let mut log = filled(100, 150);
    let _ = log.append(&page("p"), seq(1), 0.0, status("x"));
    let _ = log.append(&page("p"), seq(5), 0.0, status("x"));
    assert_eq!((log.dropped(), log.missed()), (52, 3));
    log.clear();
    assert!(log.is_empty());
    assert_eq!(
        (log.len(), log.dropped(), log.missed(), log.bytes()),
        (0, 0, 0, 0)
    );
    assert_eq!(log.counts(), KindCounts::default());
    assert_eq!(log.next_id(), 153, "ids keep increasing");
    assert_eq!(log.record(0.0, status("after")), 153);
    assert_eq!(log.since(0).count(), 1);
}

#[test]
fn since_gives_the_entries_after_an_id() {
    let log = filled(100, 130); // holds 31..=130
    for (after, first, count) in [
        (0, Some(31), 100),
        (30, Some(31), 100),
        (31, Some(32), 99),
        (129, Some(130), 1),
        (130, None, 0),
        (999, None, 0),
    ] {
        let got = ids(log.since(after));
        assert_eq!(got.first().copied(), first, "since({after})");
        assert_eq!(got.len(), count, "since({after})");
        assert_eq!(log.since(after).len(), count);
    }
}

#[test]
fn get_finds_held_entries_only() {
    let log = filled(100, 130);
    for (id, held) in [
        (0, false),
        (30, false),
        (31, true),
        (100, true),
        (130, true),
        (131, false),
    ] {
        assert_eq!(log.get(id).map(|e| e.id), held.then_some(id), "get({id})");
    }
}

#[test]
fn counts_follow_appends_evictions_and_clears() {
    let mut log = TabLog::new(100);
    let events = [
        (callback(Callback::OnOpen, vec![]), Kind::Callback),
        (
            Event::CallbackThrew {
                name: Callback::OnOpen,
                message: "x".into(),
            },
            Kind::Error,
        ),
        (
            Event::api_call(Method::Close, vec![], Origin::Page, &Reply::undefined()),
            Kind::ApiCall,
        ),
        (
            Event::PageLoad {
                url: "u".into(),
                title: "t".into(),
            },
            Kind::Navigation,
        ),
        (
            Event::Navigation {
                url: "u".into(),
                title: "t".into(),
                cause: None,
                reported: false,
                reason: None,
            },
            Kind::Navigation,
        ),
        (status("s"), Kind::Status),
        (
            Event::Error {
                message: "e".into(),
            },
            Kind::Error,
        ),
    ];
    for (event, kind) in &events {
        assert_eq!(event.kind(), *kind, "{event:?}");
        log.record(0.0, event.clone());
    }
    let c = log.counts();
    assert_eq!(
        (c.callback, c.api_call, c.navigation, c.status, c.error),
        (1, 1, 2, 1, 2)
    );
    assert_eq!(c.total(), 7);
    for kind in Kind::ALL {
        assert_eq!(
            c.get(kind) as usize,
            log.entries().filter(|e| e.kind() == kind).count()
        );
    }
    // 100 statuses push out all seven.
    for _ in 0..100 {
        log.record(0.0, status("s"));
    }
    assert_eq!(
        log.counts(),
        KindCounts {
            status: 100,
            ..KindCounts::default()
        }
    );
    log.clear();
    assert_eq!(log.counts().total(), 0);
    assert_eq!(
        serde_json::to_value(log.summary()).unwrap(),
        json!({"len": 0, "cap": 100, "dropped": 0, "missed": 0, "firstId": 108, "nextId": 108,
               "counts": {"callback": 0, "apiCall": 0, "navigation": 0, "status": 0, "error": 0}})
    );
}

// ---------------------------------------------------------------------------------------------
// Events and entries as JSON

#[test]
fn events_serialise_as_documented() {
    let cases: Vec<(Event, Value)> = vec![
        (
            callback(Callback::OnChangeState, vec![json!("chat")]),
            json!({"kind": "callback", "name": "jivo_onChangeState", "args": ["chat"]}),
        ),
        (
            Event::CallbackThrew {
                name: Callback::OnOpen,
                message: "boom".into(),
            },
            json!({"kind": "callbackThrew", "name": "jivo_onOpen", "message": "boom"}),
        ),
        (
            Event::ApiCall {
                method: Method::GetVisitorNumber,
                args: vec![json!({"$function": true})],
                origin: Origin::Page,
                outcome: outcome(None, Some(vec![Value::Null, json!(42)])),
                note: None,
            },
            json!({"kind": "apiCall", "method": "getVisitorNumber", "args": [{"$function": true}],
                   "origin": "page", "outcome": {"callbackArgs": [null, 42]}}),
        ),
        (
            Event::ApiCall {
                method: Method::JivoInit,
                args: vec![],
                origin: Origin::Popup,
                outcome: Reply {
                    threw: Some("no widget".into()),
                    ..Reply::default()
                },
                note: Some("widget not loaded".into()),
            },
            json!({"kind": "apiCall", "method": "jivo_init", "args": [], "origin": "popup",
                   "outcome": {"threw": "no widget"}, "note": "widget not loaded"}),
        ),
        (
            Event::PageLoad {
                url: "https://a.example/".into(),
                title: "A".into(),
            },
            json!({"kind": "pageLoad", "url": "https://a.example/", "title": "A"}),
        ),
        (
            Event::Navigation {
                url: "https://a.example/b".into(),
                title: "B".into(),
                cause: Some(UrlCause::Push),
                reported: true,
                reason: None,
            },
            json!({"kind": "navigation", "url": "https://a.example/b", "title": "B",
                   "cause": "push", "reported": true}),
        ),
        (
            Event::Navigation {
                url: "u".into(),
                title: "t".into(),
                cause: None,
                reported: false,
                reason: None,
            },
            json!({"kind": "navigation", "url": "u", "title": "t", "reported": false}),
        ),
        (
            status("connected"),
            json!({"kind": "status", "text": "connected"}),
        ),
        (
            Event::Error {
                message: "loader failed".into(),
            },
            json!({"kind": "error", "message": "loader failed"}),
        ),
    ];
    for (event, expected) in cases {
        assert_eq!(serde_json::to_value(&event).unwrap(), expected);
        assert_eq!(
            serde_json::from_value::<Event>(expected.clone()).unwrap(),
            event
        );
        let entry = Entry {
            id: 3,
            at: 1.5,
            event: event.clone(),
        };
        let text = serde_json::to_string(&entry).unwrap();
        assert!(text.starts_with(r#"{"id":3,"at":1.5,"kind":""#), "{text}");
        assert_eq!(serde_json::from_str::<Entry>(&text).unwrap(), entry);
    }
}

#[test]
fn entries_are_read_strictly() {
    for bad in [
        json!({"at": 1.0, "kind": "status", "text": "x"}),
        json!({"id": 1, "kind": "status", "text": "x"}),
        json!({"id": -1, "at": 1.0, "kind": "status", "text": "x"}),
        json!({"id": 1.5, "at": 1.0, "kind": "status", "text": "x"}),
        json!({"id": 1, "at": "now", "kind": "status", "text": "x"}),
        json!({"id": 1, "at": 1.0, "kind": "status"}),
        json!({"id": 1, "at": 1.0, "kind": "status", "text": "x", "extra": 1}),
        json!({"id": 1, "at": 1.0, "kind": "gossip", "text": "x"}),
        json!({"id": 1, "at": 1.0, "kind": "callback", "name": "jivo_onEvil", "args": []}),
        json!({"id": 1, "at": 1.0, "kind": "apiCall", "method": "open", "args": [],
               "origin": "elsewhere", "outcome": {}}),
        json!([1, 1.0, "status"]),
    ] {
        assert!(
            serde_json::from_value::<Entry>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}

#[test]
fn event_helpers() {
    let reply = Reply::result(ApiResult::fail_reason("widget not loaded"));
    assert_eq!(
        Event::api_call(
            Method::Open,
            vec![json!({"start": "chat"})],
            Origin::Popup,
            &reply
        ),
        Event::ApiCall {
            method: Method::Open,
            args: vec![json!({"start": "chat"})],
            origin: Origin::Popup,
            outcome: outcome(
                Some(ApiResult::fail_reason("widget not loaded").to_value()),
                None
            ),
            note: Some("widget not loaded".into()),
        }
    );
    for (reason, cause) in [
        (
            ReportReason::Navigation {
                cause: Some(UrlCause::Hash),
            },
            Some(UrlCause::Hash),
        ),
        (ReportReason::Navigation { cause: None }, None),
        (ReportReason::TitleOnly, None),
    ] {
        let report = PageReport {
            title: "T".into(),
            url: "U".into(),
            reason,
        };
        assert_eq!(
            Event::reported(&report),
            Event::Navigation {
                url: "U".into(),
                title: "T".into(),
                cause,
                reported: true,
                reason: None,
            }
        );
    }
    // A navigation the tracker settled without a report carries its reason; entries written
    // before reasons were recorded still read.
    let unreported = Event::unreported(&crate::spa::Unreported {
        url: "U".into(),
        title: "T".into(),
        cause: UrlCause::Push,
        at: 5,
        reason: crate::spa::UnreportedReason::RateLimited,
    });
    assert_eq!(
        serde_json::to_value(&unreported).unwrap(),
        json!({"kind": "navigation", "url": "U", "title": "T", "cause": "push",
               "reported": false, "reason": "rateLimited"})
    );
    let old: Event = serde_json::from_value(
        json!({"kind": "navigation", "url": "U", "title": "T", "cause": "push", "reported": false}),
    )
    .unwrap();
    assert!(matches!(old, Event::Navigation { reason: None, .. }));
    assert_eq!(
        callback(Callback::OnOpen, vec![]).name(),
        Some("jivo_onOpen")
    );
    assert_eq!(
        Event::api_call(
            Method::SetWidgetColor,
            vec![],
            Origin::Page,
            &Reply::undefined()
        )
        .name(),
        Some("setWidgetColor")
    );
    assert_eq!(status("x").name(), None);
    for o in Origin::ALL {
        assert_eq!(serde_json::to_value(o).unwrap(), json!(o.name()));
    }
}

#[test]
fn times_are_kept_to_the_microsecond() {
    for (given, kept) in [
        (1_718_000_000_000.0, 1_718_000_000_000.0),
        (1_718_000_000_000.123_4, 1_718_000_000_000.123),
        (1_718_000_000_000.123_6, 1_718_000_000_000.124),
        (0.000_4, 0.0),
        (-5.5, -5.5),
        (f64::NAN, 0.0),
        (f64::INFINITY, MAX_TIME_MS),
        (f64::NEG_INFINITY, -MAX_TIME_MS),
        (f64::MAX, MAX_TIME_MS),
        (1e13, MAX_TIME_MS),
    ] {
        assert_eq!(quantize_time(given), kept, "{given}");
    }
    let mut log = TabLog::new(100);
    let id = log.record(f64::NAN, status("x"));
    assert_eq!(log.get(id).unwrap().at, 0.0);
}

#[test]
fn kind_sets() {
    let set = KindSet::only(Kind::Callback).with(Kind::Error);
    assert!(set.contains(Kind::Callback) && set.contains(Kind::Error));
    assert!(!set.contains(Kind::Status));
    assert_eq!(set.without(Kind::Callback), KindSet::only(Kind::Error));
    assert!(KindSet::EMPTY.is_empty());
    assert_eq!(KindSet::ALL.iter().collect::<Vec<_>>(), Kind::ALL);
    assert_eq!(
        serde_json::to_value(set).unwrap(),
        json!(["callback", "error"])
    );
    assert_eq!(
        serde_json::from_value::<KindSet>(json!(["error", "callback", "error"])).unwrap(),
        set
    );
    assert!(serde_json::from_value::<KindSet>(json!(["calls"])).is_err());
    assert_eq!(
        serde_json::from_value::<Filter>(json!({"kinds": ["apiCall"], "text": "open"})).unwrap(),
        Filter {
            kinds: KindSet::only(Kind::ApiCall),
            text: "open".into(),
            ..Filter::default()
        }
    );
    assert_eq!(
        serde_json::from_value::<Filter>(json!({"kinds": []})).unwrap(),
        Filter {
            kinds: KindSet::EMPTY,
            text: String::new(),
            ..Filter::default()
        }
    );
    for kind in Kind::ALL {
        assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.name()));
    }
}

// ---------------------------------------------------------------------------------------------
// Filters and search

/// The ten entries of the filter tests (and of `docs/log-format.md`'s story).
fn story() -> TabLog {
    let mut log = TabLog::new(100);
    let events = vec![
        Event::PageLoad {
            url: "https://shop.example/".into(),
            title: "Shop".into(),
        },
        status("widget loaded (sandbox)"),
        callback(Callback::OnLoadCallback, vec![]),
        Event::ApiCall {
            method: Method::SetContactInfo,
            args: vec![json!({"name": "Ann", "email": "ann@example.com"})],
            origin: Origin::Popup,
            outcome: outcome(Some(json!({"result": "ok"})), None),
            note: None,
        },
        callback(Callback::OnChangeState, vec![json!("chat")]),
        Event::Navigation {
            url: "https://shop.example/cart".into(),
            title: "Cart".into(),
            cause: Some(UrlCause::Push),
            reported: true,
            reason: None,
        },
        Event::ApiCall {
            method: Method::GetVisitorNumber,
            args: vec![json!({"$function": true})],
            origin: Origin::Page,
            outcome: outcome(None, Some(vec![Value::Null, json!(42)])),
            note: None,
        },
        Event::CallbackThrew {
            name: Callback::OnOpen,
            message: "boom: handler failed".into(),
        },
        Event::Error {
            message: "loader timed out after 15000 ms".into(),
        },
        Event::ApiCall {
            method: Method::SendPageTitle,
            args: vec![
                json!("Cart"),
                json!(true),
                json!("https://shop.example/cart"),
            ],
            origin: Origin::SpaTracker,
            outcome: outcome(None, None),
            note: None,
        },
    ];
    for (i, event) in events.into_iter().enumerate() {
        log.record(1_718_000_000_000.0 + 250.0 * i as f64, event);
    }
    log
}

#[test]
fn filters_by_kind_and_text() {
    let log = story();
    let all = KindSet::ALL;
    let only = KindSet::only;
    let cases: Vec<(KindSet, &str, Vec<u64>)> = vec![
        (all, "", (1..=10).collect()),
        (KindSet::EMPTY, "", vec![]),
        (only(Kind::Callback), "", vec![3, 5]),
        (only(Kind::ApiCall), "", vec![4, 7, 10]),
        (only(Kind::Navigation), "", vec![1, 6]),
        (only(Kind::Status), "", vec![2]),
        (only(Kind::Error), "", vec![8, 9]),
        (only(Kind::Callback).with(Kind::Error), "", vec![3, 5, 8, 9]),
        (all, "ANN", vec![4]),      // inside an argument's strings, any case
        (all, "email", vec![4]),    // an object key
        (all, "42", vec![7]),       // a number in the callback arguments
        (all, "null", vec![7]),     // null in the callback arguments
        (all, "true", vec![7, 10]), // the function marker, a boolean argument
        (all, "ok", vec![4]),       // the returned value
        (all, "jivo_on", vec![3, 5, 8]), // callback names
        (all, "getvisitornumber", vec![7]), // a method name
        (all, "popup", vec![4]),    // an origin
        (all, "spaTracker", vec![10]),
        (all, "push", vec![6]), // a navigation's cause
        (all, "cart", vec![6, 10]),
        (all, "  Shop  ", vec![1, 6, 10]), // trimmed; URL and title
        (all, "boom", vec![8]),
        (all, "15000", vec![9]),
        (all, "sandbox", vec![2]),
        (only(Kind::ApiCall), "cart", vec![10]),
        (only(Kind::Status), "cart", vec![]),
        (all, "nothing like this", vec![]),
        (all, "\"", vec![]), // the search is over texts, not over JSON syntax
    ];
    for (kinds, text, expected) in cases {
        let filter = Filter {
            kinds,
            text: text.into(),
            ..Filter::default()
        };
        assert_eq!(ids(log.filter(&filter)), expected, "{kinds:?} {text:?}");
        let one_by_one: Vec<u64> = log
            .entries()
            .filter(|e| filter.matches(e))
            .map(|e| e.id)
            .collect();
        assert_eq!(one_by_one, expected);
    }
    assert_eq!(log.filter(&Filter::default()).count(), 10);
}

#[test]
fn search_ignores_case_beyond_ascii() {
    let mut log = TabLog::new(100);
    log.record(0.0, status("École ПРИВЕТ"));
    log.record(0.0, status("plain"));
    for (text, found) in [
        ("école", true),
        ("ÉCOLE", true),
        ("привет", true),
        ("ПрИвЕт", true),
        ("ecole", false),
    ] {
        let filter = Filter {
            kinds: KindSet::ALL,
            text: text.into(),
            ..Filter::default()
        };
        assert_eq!(log.filter(&filter).count(), usize::from(found), "{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Size limits

fn size(entry: &Entry) -> usize {
    serde_json::to_vec(entry).unwrap().len()
}

#[test]
fn small_entries_are_kept_exactly() {
    let log = story();
    let again = story();
    assert!(log.entries().eq(again.entries()));
    assert!(log.entries().all(|e| size(e) < 1000));
    assert_eq!(
        log.get(4).unwrap().event,
        Event::ApiCall {
            method: Method::SetContactInfo,
            args: vec![json!({"name": "Ann", "email": "ann@example.com"})],
            origin: Origin::Popup,
            outcome: outcome(Some(json!({"result": "ok"})), None),
            note: None,
        }
    );
}

#[test]
fn big_entries_are_cut_down_with_markers() {
    let huge = "y".repeat(50_000);
    let quotes = "\"".repeat(20_000);
    let controls = "\u{1}".repeat(20_000);
    let cases: Vec<(&str, Event)> = vec![
        (
            "one huge argument",
            callback(Callback::OnMessageSent, vec![json!(huge), json!("small")]),
        ),
        (
            "many arguments",
            callback(Callback::OnChangeState, (0..40).map(|i| json!(i)).collect()),
        ),
        (
            "many big arguments",
            callback(
                Callback::OnChangeState,
                (0..40).map(|_| json!({"text": huge.clone()})).collect(),
            ),
        ),
        (
            "a huge URL and title",
            Event::Navigation {
                url: huge.clone(),
                title: quotes.clone(),
                cause: Some(UrlCause::Navigate),
                reported: false,
                reason: None,
            },
        ),
        (
            "escaped characters",
            Event::PageLoad {
                url: controls.clone(),
                title: controls.clone(),
            },
        ),
        (
            "everything in an API call",
            Event::ApiCall {
                method: Method::ShowProactiveInvitation,
                args: (0..40).map(|_| json!(quotes.clone())).collect(),
                origin: Origin::SpaTracker,
                outcome: Reply {
                    returned: Some(json!([huge.clone(), huge.clone()])),
                    callback_args: Some((0..40).map(|_| json!(controls.clone())).collect()),
                    threw: Some(huge.clone()),
                    note: None,
                },
                note: Some(quotes.clone()),
            },
        ),
        ("a huge status", status(&huge)),
        (
            "a huge error",
            Event::Error {
                message: controls.clone(),
            },
        ),
        (
            "a huge exception",
            Event::CallbackThrew {
                name: Callback::OnOpen,
                message: huge.clone(),
            },
        ),
    ];
    for (name, event) in cases {
        let mut log = TabLog::new(100);
        let id = log.record(f64::MAX, event.clone());
        let entry = log.get(id).unwrap();
        let bytes = size(entry);
        assert!(bytes <= MAX_ENTRY_BYTES, "{name}: {bytes} bytes");
        assert_eq!(entry.kind(), event.kind(), "{name}: same kind");
        assert_eq!(entry.event.name(), event.name(), "{name}: same name");
        assert_eq!(log.bytes(), bytes);
        // Bounding again changes nothing.
        let mut again = entry.clone();
        assert_eq!(bound::bound(&mut again), bytes);
        assert_eq!(&again, entry, "{name}: bounding is idempotent");
        let text = serde_json::to_string(entry).unwrap();
        assert!(
            text.contains(TRUNCATED_KEY)
                || text.contains(OMITTED_KEY)
                || text.contains("… [truncated from "),
            "{name}: a marker"
        );
        // The log, its export and its storage take it as it is.
        let restored = TabLog::restore(100, log.chunks()).unwrap();
        assert_eq!(restored, log, "{name}");
    }
}

#[test]
fn truncation_markers_say_what_was_cut() {
    let huge = "z".repeat(20_000);
    let mut log = TabLog::new(100);
    let id = log.record(
        0.0,
        callback(Callback::OnMessageSent, vec![json!(huge), json!("keep")]),
    );
    let Event::Callback { args, .. } = &log.get(id).unwrap().event else {
        panic!("a callback");
    };
    assert_eq!(args[1], json!("keep"), "small arguments are kept");
    let marker = args[0].as_object().unwrap();
    assert_eq!(
        marker[TRUNCATED_KEY],
        json!(20_002),
        "the JSON size of the original"
    );
    let preview = marker["preview"].as_str().unwrap();
    assert!(
        preview.starts_with("\"zzz") && preview.len() > 7000,
        "{}",
        preview.len()
    );

    let id = log.record(
        0.0,
        callback(Callback::OnOpen, (0..20).map(|i| json!(i)).collect()),
    );
    let Event::Callback { args, .. } = &log.get(id).unwrap().event else {
        panic!("a callback");
    };
    assert_eq!(args.len(), MAX_ARGS);
    assert_eq!(args[MAX_ARGS - 2], json!(MAX_ARGS - 2));
    assert_eq!(
        args[MAX_ARGS - 1],
        json!({ OMITTED_KEY: 20 - (MAX_ARGS - 1) })
    );

    let id = log.record(0.0, status(&"é".repeat(10_000)));
    let Event::Status { text, .. } = &log.get(id).unwrap().event else {
        panic!("a status");
    };
    assert!(text.starts_with("éé") && text.ends_with("… [truncated from 10000 characters]"));
}

// ---------------------------------------------------------------------------------------------
// Export

const STORY_EXPORT: &str = r#"{
  "format": "jivo-widget-injector/log",
  "version": 1,
  "tab": 42,
  "exportedAt": 1718000005000.0,
  "dropped": 0,
  "missed": 0,
  "entries": [
    {
      "id": 1,
      "at": 1718000000000.0,
      "kind": "pageLoad",
      "url": "https://shop.example/",
      "title": "Shop"
    },
    {
      "id": 2,
      "at": 1718000000250.0,
      "kind": "status",
      "text": "widget loaded (sandbox)"
    },
    {
      "id": 3,
      "at": 1718000000500.0,
      "kind": "callback",
      "name": "jivo_onLoadCallback",
      "args": []
    },
    {
      "id": 4,
      "at": 1718000000750.0,
      "kind": "apiCall",
      "method": "setContactInfo",
      "args": [
        {
          "email": "ann@example.com",
          "name": "Ann"
        }
      ],
      "origin": "popup",
      "outcome": {
        "returned": {
          "result": "ok"
        }
      }
    },
    {
      "id": 5,
      "at": 1718000001000.0,
      "kind": "callback",
      "name": "jivo_onChangeState",
      "args": [
        "chat"
      ]
    },
    {
      "id": 6,
      "at": 1718000001250.0,
      "kind": "navigation",
      "url": "https://shop.example/cart",
      "title": "Cart",
      "cause": "push",
      "reported": true
    },
    {
      "id": 7,
      "at": 1718000001500.0,
      "kind": "apiCall",
      "method": "getVisitorNumber",
      "args": [
        {
          "$function": true
        }
      ],
      "origin": "page",
      "outcome": {
        "callbackArgs": [
          null,
          42
        ]
      }
    },
    {
      "id": 8,
      "at": 1718000001750.0,
      "kind": "callbackThrew",
      "name": "jivo_onOpen",
      "message": "boom: handler failed"
    },
    {
      "id": 9,
      "at": 1718000002000.0,
      "kind": "error",
      "message": "loader timed out after 15000 ms"
    },
    {
      "id": 10,
      "at": 1718000002250.0,
      "kind": "apiCall",
      "method": "sendPageTitle",
      "args": [
        "Cart",
        true,
        "https://shop.example/cart"
      ],
      "origin": "spaTracker",
      "outcome": {}
    }
  ]
}"#;

#[test]
fn the_export_is_exactly_the_documented_format() {
    let export = story().export(42, 1_718_000_005_000.0);
    assert_eq!(export.to_json(), STORY_EXPORT);
    assert_eq!(Export::parse(STORY_EXPORT).unwrap(), export);
    assert_eq!(Export::from_value(&export.to_value()).unwrap(), export);
    let doc = include_str!("../../../docs/log-format.md");
    assert!(
        doc.contains(STORY_EXPORT),
        "docs/log-format.md shows the story's export"
    );
}

#[test]
fn the_export_counts_what_was_dropped() {
    let mut log = filled(100, 130);
    let _ = log.append(&page("p"), seq(1), 0.0, status("x"));
    let _ = log.append(&page("p"), seq(3), 0.0, status("x"));
    let export = log.export(-1, 5.0);
    assert_eq!((export.tab, export.dropped, export.missed), (-1, 32, 1));
    assert_eq!(export.entries.len(), 100);
    assert_eq!(export.entries[0].id, 33);
    assert_eq!(Export::parse(&export.to_json()).unwrap(), export);
}

#[test]
fn imports_are_strict() {
    let good: Value = serde_json::from_str(STORY_EXPORT).unwrap();
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        edit(&mut v);
        v.to_string()
    };
    type Check = fn(&ImportError) -> bool;
    let cases: Vec<(&str, String, Check)> = vec![
        ("not JSON", "{".into(), |e| {
            matches!(e, ImportError::NotJson(_))
        }),
        ("not an object", "[]".into(), |e| {
            matches!(e, ImportError::Malformed(_))
        }),
        (
            "no format",
            with(&|v| {
                v.as_object_mut().unwrap().remove("format");
            }),
            |e| matches!(e, ImportError::Format(None)),
        ),
        (
            "another format",
            with(&|v| v["format"] = json!("jivo-widget-injector/settings")),
            |e| matches!(e, ImportError::Format(Some(_))),
        ),
        ("version 2", with(&|v| v["version"] = json!(2)), |e| {
            matches!(e, ImportError::Version(Some(_)))
        }),
        (
            "version as text",
            with(&|v| v["version"] = json!("1")),
            |e| matches!(e, ImportError::Version(Some(_))),
        ),
        (
            "no tab",
            with(&|v| {
                v.as_object_mut().unwrap().remove("tab");
            }),
            |e| matches!(e, ImportError::Malformed(_)),
        ),
        (
            "no missed",
            with(&|v| {
                v.as_object_mut().unwrap().remove("missed");
            }),
            |e| matches!(e, ImportError::Malformed(_)),
        ),
        (
            "unknown field",
            with(&|v| v["comment"] = json!("hi")),
            |e| matches!(e, ImportError::Malformed(_)),
        ),
        (
            "negative dropped",
            with(&|v| v["dropped"] = json!(-1)),
            |e| matches!(e, ImportError::Malformed(_)),
        ),
        (
            "entry with an unknown field",
            with(&|v| v["entries"][0]["extra"] = json!(1)),
            |e| matches!(e, ImportError::Malformed(_)),
        ),
        (
            "entry of an unknown kind",
            with(&|v| v["entries"][0]["kind"] = json!("gossip")),
            |e| matches!(e, ImportError::Malformed(_)),
        ),
        (
            "ids out of order",
            with(&|v| v["entries"][3]["id"] = json!(2)),
            |e| {
                matches!(
                    e,
                    ImportError::Order {
                        index: 3,
                        id: 2,
                        previous: 3
                    }
                )
            },
        ),
    ];
    for (name, text, check) in cases {
        let err = Export::parse(&text).unwrap_err();
        assert!(check(&err), "{name}: {err:?}");
        assert!(!err.to_string().is_empty());
    }
    assert_eq!(
        Export::parse(&with(&|v| v["format"] = json!("x")))
            .unwrap_err()
            .to_string(),
        r#"not a log export: format is "x", expected "jivo-widget-injector/log""#
    );
}

// ---------------------------------------------------------------------------------------------
// Persistence

#[test]
fn storage_keys() {
    for (key, tab, text) in [
        (ChunkKey::Head, 7, "log:7"),
        (ChunkKey::chunk(0), 7, "log:7:0"),
        (ChunkKey::chunk(312), 123_456, "log:123456:312"),
        (ChunkKey::Head, -1, "log:-1"),
        (
            ChunkKey::chunk(u64::MAX),
            i32::MIN,
            "log:-2147483648:18446744073709551615",
        ),
    ] {
        assert_eq!(key.storage_key(tab), text);
        assert_eq!(
            ChunkKey::parse_storage_key(text),
            Some((tab, key)),
            "{text}"
        );
    }
    for text in [
        "tab:7",
        "log:",
        "log:7:",
        "log:x",
        "log:07",
        "log:7:01",
        "log:+7",
        "log:7:-1",
        "log:7:1:2",
        "log:99999999999",
    ] {
        assert_eq!(ChunkKey::parse_storage_key(text), None, "{text}");
    }
    assert_eq!(ChunkKey::of_entry(1), ChunkKey::chunk(0));
    assert_eq!(ChunkKey::of_entry(CHUNK_LEN), ChunkKey::chunk(1));
    assert_eq!(
        ChunkKey::chunk(2).entry_ids(),
        Some(2 * CHUNK_LEN..3 * CHUNK_LEN)
    );
    assert_eq!(ChunkKey::Head.entry_ids(), None);
}

#[test]
fn the_first_save_writes_everything_and_restores_exactly() {
    for (cap, n) in [
        (100, 0),
        (100, 1),
        (100, 64),
        (100, 250),
        (2000, 2000),
        (20_000, 20_000),
    ] {
        let mut log = filled(cap, n);
        let _ = log.append(&page("p"), seq(1), 0.0, status("from a page"));
        let mut store = Store::default();
        store.apply(log.take_changes());
        assert_eq!(store.chunk_keys(), live_chunk_keys(&log), "cap {cap}, {n}");
        let restored = TabLog::restore(cap, store.pieces()).unwrap();
        assert_eq!(restored, log, "cap {cap}, {n}");
        assert_eq!(restored.bytes(), log.bytes());
        assert_eq!(restored.counts(), log.counts());
        assert_eq!(TabLog::restore(cap, log.chunks()).unwrap(), log);
        assert!(log.take_changes().is_empty(), "nothing left to save");
    }
}

#[test]
fn later_saves_write_only_what_is_new() {
    let mut log = filled(20_000, 20_000);
    let mut store = Store::default();
    store.apply(log.take_changes());
    // (appended, most chunks written besides the head, most entries written)
    for (n, chunks, entries) in [
        (1, 1, CHUNK_LEN),
        (10, 2, 10 + CHUNK_LEN),
        (200, 5, 200 + CHUNK_LEN),
    ] {
        for _ in 0..n {
            log.record(0.0, status("new"));
        }
        let keys: Vec<ChunkKey> = log.dirty_chunks().collect();
        let changes = log.take_changes();
        assert_eq!(
            changes.write.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            keys
        );
        assert_eq!(changes.write[0].0, ChunkKey::Head);
        let written = &changes.write[1..];
        assert!(
            written.len() <= chunks,
            "{n} appended: {} chunks",
            written.len()
        );
        let count: usize = written
            .iter()
            .map(|(_, v)| v.as_array().unwrap().len())
            .sum();
        assert!(
            count as u64 <= entries,
            "{n} appended: {count} entries written"
        );
        // Each append dropped one of the oldest: whole chunks at the front go.
        assert!(changes.remove.len() <= n / CHUNK_LEN as usize + 1);
        store.apply(changes);
        assert_eq!(store.chunk_keys(), live_chunk_keys(&log));
    }
    assert_eq!(TabLog::restore(20_000, store.pieces()).unwrap(), log);
}

#[test]
fn dropping_and_clearing_remove_chunks() {
    let mut log = filled(200, 200);
    let mut store = Store::default();
    store.apply(log.take_changes());
    assert_eq!(store.chunk_keys().len(), 4); // ids 1..=200: chunks 0..=3

    log.set_cap(100); // keeps 101..=200: chunks 1..=3, chunk 1 partly
    let changes = log.take_changes();
    assert_eq!(changes.write.len(), 1, "the head only");
    assert_eq!(changes.remove, [ChunkKey::chunk(0)]);
    store.apply(changes);
    assert_eq!(TabLog::restore(100, store.pieces()).unwrap(), log);

    log.clear();
    let changes = log.take_changes();
    assert_eq!(changes.write.len(), 1);
    assert_eq!(changes.remove.len(), 3);
    store.apply(changes);
    assert_eq!(store.chunk_keys(), []);
    let restored = TabLog::restore(100, store.pieces()).unwrap();
    assert_eq!(restored, log);
    assert_eq!(restored.next_id(), 201);

    // After a clear the ids go on in the last chunk, which is written afresh.
    log.record(0.0, status("again"));
    store.apply(log.take_changes());
    assert_eq!(store.chunk_keys(), [ChunkKey::of_entry(201)]);
    assert_eq!(TabLog::restore(100, store.pieces()).unwrap(), log);
}

#[test]
fn a_new_log_saves_its_head_once() {
    let mut log = TabLog::new(100);
    assert_eq!(log.dirty_chunks().collect::<Vec<_>>(), [ChunkKey::Head]);
    let changes = log.take_changes();
    assert_eq!(changes.write.len(), 1);
    assert_eq!(
        changes.write[0].1,
        json!({"version": 1, "firstId": 1, "nextId": 1, "len": 0, "dropped": 0, "missed": 0,
               "pages": []})
    );
    assert!(log.take_changes().is_empty());
    log.set_cap(500);
    assert!(log.take_changes().is_empty(), "the cap is not stored");
    assert_eq!(log.stored_keys(), [ChunkKey::Head]);
}

#[test]
fn mark_unsaved_writes_everything_again() {
    let mut log = filled(300, 300);
    let _ = log.take_changes();
    log.mark_unsaved();
    let mut store = Store::default();
    store.apply(log.take_changes());
    assert_eq!(store.chunk_keys(), live_chunk_keys(&log));
    assert_eq!(TabLog::restore(300, store.pieces()).unwrap(), log);
    assert_eq!(log.stored_keys().len(), 1 + live_chunk_keys(&log).len());
}

#[test]
fn restore_takes_the_cap_in_force() {
    let log = filled(2000, 1500);
    let restored = TabLog::restore(1000, log.chunks()).unwrap();
    assert_eq!(
        (restored.cap(), restored.len(), restored.dropped()),
        (1000, 1000, 500)
    );
    assert_eq!(restored.entries().next().unwrap().id, 501);
    assert!(restored.dirty_chunks().any(|k| k == ChunkKey::Head));
}

#[test]
fn restore_forgives_lost_chunks_and_counts_them() {
    let mut log = filled(300, 300);
    let mut store = Store::default();
    store.apply(log.take_changes());

    // Chunk 1 (ids 64..=127) is lost, chunk 2 is garbage, one entry of chunk 3 is malformed,
    // and a stray chunk far ahead is left over.
    let mut pieces = store.0.clone();
    pieces.remove(&ChunkKey::chunk(1));
    pieces.insert(ChunkKey::chunk(2), json!("garbage"));
    pieces.get_mut(&ChunkKey::chunk(3)).unwrap()[0] = json!({"id": "bad"});
    pieces.insert(ChunkKey::chunk(99), json!([]));
    let pieces: Vec<(ChunkKey, Value)> = pieces.into_iter().collect();

    let mut restored = TabLog::restore(300, pieces.clone()).unwrap();
    let lost = 64 + 64 + 1;
    assert_eq!(restored.len(), 300 - lost);
    assert_eq!(restored.dropped(), lost as u64);
    assert_eq!(restored.next_id(), 301);
    assert!(
        restored.get(63).is_some() && restored.get(64).is_none() && restored.get(192).is_none()
    );
    assert!(restored.get(193).is_some());

    // The next save rewrites the damaged chunks, removes the stray one and records the loss.
    let mut store = Store(pieces.into_iter().collect());
    store.apply(restored.take_changes());
    assert!(!store.0.contains_key(&ChunkKey::chunk(99)));
    assert!(
        !store.0.contains_key(&ChunkKey::chunk(2)),
        "nothing left in it"
    );
    let again = TabLog::restore(300, store.pieces()).unwrap();
    assert_eq!(again, restored);
    assert_eq!(again.dropped(), lost as u64, "counted once");

    log.record(0.0, status("the original goes on"));
    assert_ne!(again, log);
}

#[test]
fn restore_ignores_entries_outside_the_head() {
    let mut log = filled(100, 10);
    let head = log.take_changes().write.remove(0);
    // A chunk written after the head (the shell broke the one-call rule): ids ≥ nextId.
    let mut later = filled(100, 12);
    let chunk = later.take_changes().write.remove(1);
    let restored = TabLog::restore(100, vec![head, chunk]).unwrap();
    assert_eq!(restored, log);
}

#[test]
fn restore_is_strict_about_the_head() {
    let mut log = filled(100, 10);
    let mut pieces = log.take_changes().write;
    let head = pieces.remove(0).1;
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut h = head.clone();
        edit(&mut h);
        let mut all = pieces.clone();
        all.push((ChunkKey::Head, h));
        TabLog::restore(100, all)
    };
    assert!(with(&|_| {}).is_ok());
    assert_eq!(
        TabLog::restore(100, pieces.clone()).unwrap_err(),
        RestoreError::NoHead
    );
    assert_eq!(
        with(&|h| h["version"] = json!(2)).unwrap_err(),
        RestoreError::Version(2)
    );
    for (name, edit) in [
        (
            "no pages",
            (|h: &mut Value| {
                h.as_object_mut().unwrap().remove("pages");
            }) as fn(&mut Value),
        ),
        ("unknown field", |h| h["extra"] = json!(1)),
        ("firstId 0", |h| h["firstId"] = json!(0)),
        ("firstId after nextId", |h| h["firstId"] = json!(12)),
        ("len too big", |h| h["len"] = json!(11)),
        ("ids spanning more than any log holds", |h| {
            h["firstId"] = json!(1);
            h["nextId"] = json!(1u64 << 60);
            h["len"] = json!(0);
        }),
        ("a bad page id", |h| h["pages"] = json!([["has space", 1]])),
        ("not an object", |h| *h = json!([1])),
    ] {
        assert!(matches!(with(&edit), Err(RestoreError::Head(_))), "{name}");
    }
    assert_eq!(
        ChunkKey::listed_by(&head).unwrap(),
        [ChunkKey::Head, ChunkKey::chunk(0)]
    );
    assert!(ChunkKey::listed_by(&json!({})).is_err());
}

#[test]
fn listed_by_names_the_chunks_to_read() {
    let mut log = filled(1000, 1000);
    log.set_cap(300); // ids 701..=1000
    let head = log.take_changes().write.remove(0).1;
    let keys = ChunkKey::listed_by(&head).unwrap();
    assert_eq!(keys[0], ChunkKey::Head);
    assert_eq!(keys[1..], live_chunk_keys(&log)[..]);
}

// ---------------------------------------------------------------------------------------------
// Reading stored chunks outside the background (the popup's older entries)

#[test]
fn chunks_covering_ids_newest_first() {
    let keys: Vec<ChunkKey> = ChunkKey::covering(1..2 * CHUNK_LEN + 1).collect();
    assert_eq!(
        keys,
        [ChunkKey::chunk(2), ChunkKey::chunk(1), ChunkKey::chunk(0)]
    );
    let keys: Vec<ChunkKey> = ChunkKey::covering(CHUNK_LEN..2 * CHUNK_LEN).collect();
    assert_eq!(keys, [ChunkKey::chunk(1)]);
    assert_eq!(ChunkKey::covering(5..5).count(), 0);
}

#[test]
fn chunk_entries_reads_what_the_log_stored() {
    let log = filled(1000, 150);
    let mut read = Vec::new();
    for key in ChunkKey::covering(log.first_id()..log.next_id()) {
        let value = log
            .chunks()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
            .unwrap();
        let mut entries = chunk_entries(&value);
        entries.extend(read);
        read = entries;
    }
    assert_eq!(read, log.entries().cloned().collect::<Vec<_>>());
    // Junk is skipped, order and repeats are repaired.
    let first = serde_json::to_value(log.entries().next().unwrap()).unwrap();
    let second = serde_json::to_value(log.entries().nth(1).unwrap()).unwrap();
    let messy = json!([second, 7, {"id": "x"}, first, second]);
    assert_eq!(ids(chunk_entries(&messy).iter()), [1, 2]);
    assert!(chunk_entries(&json!({"not": "a list"})).is_empty());
}
