//! The per-tab event logs ([`TabLog`]): kept in memory, written through to `storage.session`
//! in chunks (only what changed), restored from there after the background restarts, and
//! streamed to the popups watching the tab. A content script's events are acknowledged only
//! once they are written, so a background stopped mid-stream loses nothing.
//!
//! Each tab's log has a [`Checker`] (the integration checks, `docs/checks.md`) fed every entry
//! as it is stored; after a restart it is rebuilt by replaying the restored log. Its findings
//! go to the watching popups and panels ([`ToPopup::Findings`]) and its error count to the
//! toolbar badge.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use serde_json::Map;
use wasm_bindgen_futures::spawn_local;

use super::tabs::watchers_of;
use super::{post, BG};
use jwi_browser::ext::Port;
use jwi_browser::storage::{self, Area};
use jwi_core::checks::{Checker, PageFact};
use jwi_core::event_log::{
    Changes, ChunkKey, Entry, Event, Next, PageId, Saver, Summary, TabLog, RETRY_MS, WATCH_ENTRIES,
};
use jwi_core::protocol::popup::ToPopup;
use jwi_core::protocol::runtime::{SequencedEvent, ToContent};

/// An acknowledgement to send once the change that earned it is stored.
type Ack = Box<dyn FnOnce()>;

/// Something to do with a tab's log once it is in memory; the acknowledgement it returns is
/// sent after the changes it made are written.
type Op = Box<dyn FnOnce(i32, &mut TabLog) -> Option<Ack>>;

#[derive(Default)]
struct Logs {
    logs: HashMap<i32, TabLog>,
    /// Per tab, the integration checks over its log and the id of the last entry they saw.
    checkers: HashMap<i32, (Checker, u64)>,
    /// Per tab, the writes to `storage.session` and the acknowledgements waiting for them.
    savers: HashMap<i32, Saver<Ack>>,
    loading: HashSet<i32>,
    queued: HashMap<i32, Vec<Op>>,
}

thread_local! {
    static LOGS: RefCell<Logs> = RefCell::new(Logs::default());
    /// Tabs whose log was cleared since their checker last ran.
    static CLEARED: RefCell<HashSet<i32>> = RefCell::new(HashSet::new());
    /// Watchers just sent the log, waiting for the findings.
    static NEW_WATCHERS: RefCell<Vec<(i32, Port)>> = const { RefCell::new(Vec::new()) };
}

fn cap() -> u32 {
    BG.with(|bg| bg.borrow().effective.settings().log().max_entries)
}

/// Runs `op` on the tab's log, restoring it from storage first if this background has not
/// seen it yet; ops on one tab run in order.
fn with_log(tab: i32, op: Op) {
    if super::tabs::is_closed(tab) {
        return;
    }
    let ready = LOGS.with(|l| l.borrow().logs.contains_key(&tab));
    if ready {
        run(tab, op);
        return;
    }
    let start = LOGS.with(|l| {
        let mut l = l.borrow_mut();
        l.queued.entry(tab).or_default().push(op);
        l.loading.insert(tab)
    });
    if start {
        spawn_local(restore(tab));
    }
}

fn run(tab: i32, op: Op) {
    let write = LOGS.with(|l| {
        let l = &mut *l.borrow_mut();
        let log = l.logs.get_mut(&tab)?;
        let ack = op(tab, log);
        if ack.is_none() && log.dirty_chunks().next().is_none() {
            return None;
        }
        Some(l.savers.entry(tab).or_default().changed(ack))
    });
    check(tab);
    if write == Some(true) {
        spawn_local(save(tab));
    }
}

/// Whether the extension's SPA tracking is on (the `spaTracking` fact of each page).
fn spa_tracking() -> bool {
    BG.with(|bg| bg.borrow().effective.settings().spa().enabled)
}

/// Feeds the tab's checker the log entries it has not seen (all of them after a restart or a
/// clear), and when the findings change sends them to the watchers and updates the badge.
fn check(tab: i32) {
    let spa = spa_tracking();
    let changed = LOGS.with(|l| {
        let l = &mut *l.borrow_mut();
        let log = l.logs.get(&tab)?;
        let cleared = CLEARED.with(|c| c.borrow_mut().remove(&tab));
        if cleared {
            l.checkers
                .insert(tab, (Checker::new(), log.next_id().saturating_sub(1)));
        }
        let (checker, seen) = l.checkers.entry(tab).or_insert_with(|| (Checker::new(), 0));
        let mut changed = cleared;
        for entry in log.since(*seen) {
            changed |= checker.push(entry);
            if matches!(entry.event, Event::PageLoad { .. }) {
                let fact = PageFact::SpaTracking { enabled: spa };
                changed |= checker.observe(&fact, None);
            }
            *seen = entry.id;
        }
        Some((changed, findings_message(checker)))
    });
    let Some((changed, msg)) = changed else {
        return;
    };
    let new: Vec<Port> = NEW_WATCHERS.with(|w| {
        let mut w = w.borrow_mut();
        let (mine, rest) = std::mem::take(&mut *w)
            .into_iter()
            .partition(|(t, _)| *t == tab);
        *w = rest;
        mine.into_iter().map(|(_, p)| p).collect()
    });
    let to = if changed { watchers_of(tab) } else { new };
    for port in &to {
        post(port, &msg);
    }
    if changed {
        super::tabs::refresh_badge(tab);
    }
}

fn findings_message(checker: &Checker) -> ToPopup {
    ToPopup::Findings {
        findings: checker.findings().to_vec(),
        overflow: checker.overflow(),
    }
}

/// How many error findings the tab's log has (0 if it is not in memory).
pub fn error_count(tab: i32) -> usize {
    LOGS.with(|l| {
        l.borrow()
            .checkers
            .get(&tab)
            .map_or(0, |(c, _)| c.error_count())
    })
}

/// Writes a tab's log changes to `storage.session` one batch at a time until nothing is left
/// to write, sending the acknowledgements each successful write earns. When storage refuses a
/// write the log stays in memory, the user is told once (an `error` entry) and the whole log
/// is written again every [`RETRY_MS`] until it fits.
async fn save(tab: i32) {
    loop {
        let changes = LOGS.with(|l| {
            let l = &mut *l.borrow_mut();
            let log = l.logs.get_mut(&tab)?;
            let saver = l.savers.get_mut(&tab)?;
            saver.start();
            Some(log.take_changes())
        });
        let Some(changes) = changes else { return };
        let written: Vec<String> = changes
            .write
            .iter()
            .map(|(k, _)| k.storage_key(tab))
            .collect();
        let result = write(tab, changes).await;
        let failed = result.is_err();
        let step = LOGS.with(|l| {
            let l = &mut *l.borrow_mut();
            let Some(saver) = l.savers.get_mut(&tab) else {
                // The tab closed during the write: take back what it stored.
                spawn_local(async move {
                    let _ = storage::remove(Area::Session, &written).await;
                });
                return None;
            };
            let done = saver.finished(result);
            let log = l.logs.get_mut(&tab)?;
            if failed {
                // Storage may hold none of the failed write: the next one writes everything.
                log.mark_unsaved();
            }
            let recorded = done.record.map(|event| {
                let id = log.record(js_sys::Date::now(), event);
                let entries: Vec<Entry> = log.since(id.saturating_sub(1)).cloned().collect();
                (log.summary(), entries)
            });
            Some((done.acks, done.next, recorded))
        });
        let Some((acks, next, recorded)) = step else {
            return;
        };
        if let Some((summary, entries)) = recorded {
            send_entries(tab, summary, entries);
            check(tab);
        }
        for ack in acks {
            ack();
        }
        match next {
            Next::Idle => return,
            Next::WriteNow => {}
            Next::RetryLater => jwi_browser::timers::sleep(RETRY_MS).await,
        }
    }
}

/// Stores one batch of changes: first the removals (chunks whose entries were all dropped:
/// removing them frees room, and a stored head that still lists one only counts its entries
/// as dropped, which they are), then the pieces to write in one `storage.session.set`, so the
/// head and the chunks it describes are stored together or not at all.
async fn write(tab: i32, changes: Changes) -> Result<(), String> {
    let mut write = Map::new();
    for (key, value) in changes.write {
        write.insert(key.storage_key(tab), value);
    }
    let remove: Vec<String> = changes.remove.iter().map(|k| k.storage_key(tab)).collect();
    if !remove.is_empty() {
        let _ = storage::remove(Area::Session, &remove).await;
    }
    if !write.is_empty() {
        storage::set(Area::Session, &write).await?;
    }
    Ok(())
}

/// Reads a tab's log back after a restart (or starts an empty one) and runs what waited.
async fn restore(tab: i32) {
    let head_key = ChunkKey::Head.storage_key(tab);
    let stored = storage::get_or_empty(Area::Session, &[&head_key]).await;
    let log = match stored.get(&head_key) {
        None => TabLog::new(cap()),
        Some(head) => {
            let keys = ChunkKey::listed_by(head).unwrap_or_default();
            let names: Vec<String> = keys.iter().map(|k| k.storage_key(tab)).collect();
            let chunks = storage::get_or_empty(Area::Session, &names).await;
            let pieces = std::iter::once((ChunkKey::Head, head.clone())).chain(
                keys.iter()
                    .filter_map(|k| chunks.get(&k.storage_key(tab)).map(|v| (*k, v.clone()))),
            );
            TabLog::restore(cap(), pieces).unwrap_or_else(|_| TabLog::new(cap()))
        }
    };
    let queued = LOGS.with(|l| {
        let mut l = l.borrow_mut();
        l.logs.insert(tab, log);
        l.loading.remove(&tab);
        l.queued.remove(&tab).unwrap_or_default()
    });
    for op in queued {
        run(tab, op);
    }
}

fn send_log(tab: i32, reset: bool, log: &TabLog, entries: Vec<Entry>) {
    send_to_watchers(tab, reset, log.summary(), entries);
}

fn send_entries(tab: i32, summary: Summary, entries: Vec<Entry>) {
    send_to_watchers(tab, false, summary, entries);
}

fn send_to_watchers(tab: i32, reset: bool, summary: Summary, entries: Vec<Entry>) {
    let msg = ToPopup::Log {
        reset,
        summary,
        entries,
    };
    for port in watchers_of(tab) {
        post(&port, &msg);
    }
}

/// Records an event the background itself saw on a tab (a failed save, say) and shows it to
/// the tab's popups.
pub fn record(tab: i32, event: Event) {
    with_log(
        tab,
        Box::new(move |tab, log| {
            let id = log.record(js_sys::Date::now(), event);
            let new: Vec<Entry> = log.since(id.saturating_sub(1)).cloned().collect();
            send_log(tab, false, log, new);
            None
        }),
    );
}

/// Stores a content script's events, shows the new ones to the tab's popups, and acknowledges
/// them on `port` once they are written.
pub fn append(tab: i32, page: PageId, events: Vec<SequencedEvent>, port: Port) {
    with_log(
        tab,
        Box::new(move |tab, log| {
            let first_new = log.next_id();
            for e in events {
                let _ = log.append(&page, e.seq, e.at, e.event);
            }
            let upto = log.acked(&page);
            let new: Vec<Entry> = log.since(first_new.saturating_sub(1)).cloned().collect();
            if !new.is_empty() {
                send_log(tab, false, log, new);
            }
            Some(Box::new(move || {
                post(&port, &ToContent::Ack { page, upto })
            }))
        }),
    );
}

/// Sends the newest [`WATCH_ENTRIES`] of the log to one popup that just started watching (it
/// reads the older ones from storage once it has opened).
pub fn show(tab: i32, popup: Port) {
    with_log(
        tab,
        Box::new(move |tab, log| {
            let skip = log.len().saturating_sub(WATCH_ENTRIES);
            let msg = ToPopup::Log {
                reset: true,
                summary: log.summary(),
                entries: log.entries().skip(skip).cloned().collect(),
            };
            post(&popup, &msg);
            // The findings follow once the checker is up to date ([`check`], right after).
            NEW_WATCHERS.with(|w| w.borrow_mut().push((tab, popup)));
            None
        }),
    );
}

/// Empties the log (the popup's Clear).
pub fn clear(tab: i32) {
    with_log(
        tab,
        Box::new(|tab, log| {
            log.clear();
            send_log(tab, true, log, Vec::new());
            // A cleared log gets a new checker ([`check`] runs right after this op).
            CLEARED.with(|c| c.borrow_mut().insert(tab));
            None
        }),
    );
}

/// Sends the log in the export format to one popup.
pub fn export(tab: i32, popup: Port) {
    with_log(
        tab,
        Box::new(move |tab, log| {
            let export = log.export(tab, js_sys::Date::now()).to_value();
            post(&popup, &ToPopup::LogExport { export });
            None
        }),
    );
}

/// The pieces a tab's stored head says its log has.
async fn stored_keys(tab: i32) -> Vec<ChunkKey> {
    let head_key = ChunkKey::Head.storage_key(tab);
    let stored = storage::get_or_empty(Area::Session, &[&head_key]).await;
    stored
        .get(&head_key)
        .and_then(|head| ChunkKey::listed_by(head).ok())
        .unwrap_or_default()
}

/// Forgets a closed tab's log, in memory and in storage.
pub fn remove(tab: i32) {
    let keys = LOGS.with(|l| {
        let mut l = l.borrow_mut();
        l.queued.remove(&tab);
        l.savers.remove(&tab);
        l.checkers.remove(&tab);
        l.logs.remove(&tab).map(|log| log.stored_keys())
    });
    spawn_local(async move {
        let keys = match keys {
            Some(keys) => keys,
            // Not in memory (not touched since a restart): the stored head lists the chunks.
            None => stored_keys(tab).await,
        };
        let mut names: Vec<String> = keys.iter().map(|k| k.storage_key(tab)).collect();
        names.push(ChunkKey::Head.storage_key(tab));
        let _ = storage::remove(Area::Session, &names).await;
    });
}
