//! Where the sandbox keeps its visitors: one record per site in `storage.local`
//! ([`storage_keys::sandbox_record`]), and a profile-wide counter that numbers new visitors
//! 1, 2, 3… ([`storage_keys::SANDBOX_VISITORS`]).
//!
//! A record that storage refuses (`storage.local` full) is kept in memory, used for the site's
//! next pages, and written again every [`RETRY_MS`] until it fits; the tab's log says so once
//! when it starts failing and once when it is saved again.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wasm_bindgen_futures::spawn_local;

use jwi_browser::storage::{self, Area};
use jwi_core::event_log::{Next, Saver, RETRY_MS};
use jwi_core::protocol::runtime::SandboxSeed;
use jwi_core::sandbox::{AgentState, VisitorRecord};
use jwi_core::site_rule::origin_of;
use jwi_core::storage_keys::{self, SANDBOX_VISITORS};

/// A site's record not yet stored.
struct Unsaved {
    /// The newest record, as stored.
    value: Value,
    /// The tab whose log hears about failures (the one that saved last).
    tab: i32,
    saver: Saver<()>,
}

thread_local! {
    /// Per storage key, the record waiting to be written.
    static UNSAVED: RefCell<HashMap<String, Unsaved>> = RefCell::new(HashMap::new());
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    record: VisitorRecord,
    agent: AgentState,
}

/// What the sandbox on a page of `url` starts from: the site's record, or a new visitor number.
pub async fn seed(url: &str) -> SandboxSeed {
    let key = storage_keys::sandbox_record(&origin_of(url).unwrap_or_default());
    let stored = storage::get_or_empty(Area::Local, &[key.as_str(), SANDBOX_VISITORS]).await;
    // A record storage refused is newer than the stored one.
    let unsaved = UNSAVED.with(|u| u.borrow().get(&key).map(|p| p.value.clone()));
    let saved: Option<Stored> = unsaved
        .as_ref()
        .or_else(|| stored.get(&key))
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let counter = stored
        .get(SANDBOX_VISITORS)
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let (record, agent) = match saved {
        Some(saved) => (Some(saved.record), saved.agent),
        None => (None, AgentState::default()),
    };
    // A record without a number is a visitor whose history was cleared: a new visitor.
    let known = record.as_ref().and_then(|r| r.visitor_number);
    let visitor_number = match known {
        Some(n) => n,
        None => {
            let number = counter + 1;
            let _ = storage::set_one(Area::Local, SANDBOX_VISITORS, json!(number)).await;
            number
        }
    };
    SandboxSeed {
        record,
        visitor_number,
        agent,
        stand_in: true,
    }
}

/// Stores a site's record and agent state (after `clearHistory`, the record of a new visitor),
/// telling tab `tab`'s log if storage refuses it.
pub fn save(tab: i32, origin: String, record: VisitorRecord, agent: AgentState) {
    let value = serde_json::to_value(Stored { record, agent }).unwrap_or(Value::Null);
    let key = storage_keys::sandbox_record(&origin);
    let start = UNSAVED.with(|u| {
        let mut u = u.borrow_mut();
        let pending = u.entry(key.clone()).or_insert_with(|| Unsaved {
            value: Value::Null,
            tab,
            saver: Saver::new(format!("the sandbox visitor record of {origin}")),
        });
        pending.value = value;
        pending.tab = tab;
        pending.saver.changed(None)
    });
    if start {
        spawn_local(write(key));
    }
}

/// Writes the newest record under `key` until one write succeeds with nothing newer waiting.
async fn write(key: String) {
    loop {
        let value = UNSAVED.with(|u| {
            let mut u = u.borrow_mut();
            let pending = u.get_mut(&key)?;
            pending.saver.start();
            Some(pending.value.clone())
        });
        let Some(value) = value else { return };
        let result = storage::set_one(Area::Local, &key, value).await;
        let step = UNSAVED.with(|u| {
            let mut u = u.borrow_mut();
            let pending = u.get_mut(&key)?;
            let done = pending.saver.finished(result);
            let tab = pending.tab;
            if done.next == Next::Idle {
                u.remove(&key);
            }
            Some((tab, done.record, done.next))
        });
        let Some((tab, record, next)) = step else {
            return;
        };
        if let Some(event) = record {
            super::logs::record(tab, event);
        }
        match next {
            Next::Idle => return,
            Next::WriteNow => {}
            Next::RetryLater => jwi_browser::timers::sleep(RETRY_MS).await,
        }
    }
}
