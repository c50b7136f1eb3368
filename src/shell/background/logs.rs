//! The per-tab event logs ([`TabLog`]): kept in memory, written through to `storage.session`
//! in chunks (only what changed), restored from there after the background restarts, and
//! streamed to the popups watching the tab. A content script's events are acknowledged only
//! once they are written, so a background stopped mid-stream loses nothing.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use serde_json::{json, Map, Value};
use wasm_bindgen_futures::spawn_local;

use super::tabs::watchers_of;
use super::{post, BG};
use crate::event_log::{ChunkKey, Entry, PageId, TabLog, WATCH_ENTRIES};
use crate::protocol::popup::ToPopup;
use crate::protocol::runtime::{SequencedEvent, ToContent};
use crate::shell::ext::{self, Port};

/// Something to do with a tab's log once it is in memory; what it returns runs after the
/// changes it made are written.
type Op = Box<dyn FnOnce(i32, &mut TabLog) -> Option<Box<dyn FnOnce()>>>;

#[derive(Default)]
struct Logs {
    logs: HashMap<i32, TabLog>,
    loading: HashSet<i32>,
    queued: HashMap<i32, Vec<Op>>,
}

thread_local! {
    static LOGS: RefCell<Logs> = RefCell::new(Logs::default());
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
    let (after, changes) = LOGS.with(|l| {
        let mut l = l.borrow_mut();
        let Some(log) = l.logs.get_mut(&tab) else {
            return (None, None);
        };
        let after = op(tab, log);
        (after, Some(log.take_changes()))
    });
    let Some(changes) = changes else { return };
    let mut write = Map::new();
    for (key, value) in changes.write {
        write.insert(key.storage_key(tab), value);
    }
    let remove: Vec<String> = changes.remove.iter().map(|k| k.storage_key(tab)).collect();
    spawn_local(async move {
        let mut ok = true;
        if !write.is_empty() {
            ok &= ext::call(ext::storage_session_set(&ext::to_js(&Value::Object(write))))
                .await
                .is_ok();
        }
        if !remove.is_empty() {
            let _ = ext::call(ext::storage_session_remove(&ext::to_js(&json!(remove)))).await;
        }
        if !ok {
            LOGS.with(|l| {
                if let Some(log) = l.borrow_mut().logs.get_mut(&tab) {
                    log.mark_unsaved();
                }
            });
        }
        if let Some(after) = after {
            after();
        }
    });
}

/// Reads a tab's log back after a restart (or starts an empty one) and runs what waited.
async fn restore(tab: i32) {
    let head_key = ChunkKey::Head.storage_key(tab);
    let stored = ext::call(ext::storage_session_get(&head_key.as_str().into()))
        .await
        .map(|v| ext::from_js(&v))
        .unwrap_or(Value::Null);
    let log = match stored.get(&head_key) {
        None => TabLog::new(cap()),
        Some(head) => {
            let keys = ChunkKey::listed_by(head).unwrap_or_default();
            let names: Vec<String> = keys.iter().map(|k| k.storage_key(tab)).collect();
            let chunks = ext::call(ext::storage_session_get(&ext::to_js(&json!(names))))
                .await
                .map(|v| ext::from_js(&v))
                .unwrap_or(Value::Null);
            let pieces = std::iter::once((ChunkKey::Head, head.clone())).chain(
                keys.iter()
                    .filter_map(|k| chunks.get(k.storage_key(tab)).map(|v| (*k, v.clone()))),
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
    let msg = ToPopup::Log {
        reset,
        summary: log.summary(),
        entries,
    };
    for port in watchers_of(tab) {
        post(&port, &msg);
    }
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
        Box::new(move |_, log| {
            let skip = log.len().saturating_sub(WATCH_ENTRIES);
            let msg = ToPopup::Log {
                reset: true,
                summary: log.summary(),
                entries: log.entries().skip(skip).cloned().collect(),
            };
            post(&popup, &msg);
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
    let stored = ext::call(ext::storage_session_get(&head_key.as_str().into()))
        .await
        .map(|v| ext::from_js(&v))
        .unwrap_or(Value::Null);
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
        let _ = ext::call(ext::storage_session_remove(&ext::to_js(&json!(names)))).await;
    });
}
