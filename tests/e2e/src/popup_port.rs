//! Speaking to the background the way the popup does: over a `runtime.connect({name: 'popup'})`
//! port, opened from the harness's extension helper page. Scenarios use this to read a tab's log
//! and to act as the agent or the API console without clicking through the popup.

use std::time::Duration;

use anyhow::{Context as _, Result};
use serde_json::{json, Value};

use jwi_core::sandbox::AgentAction;

use crate::browser::Browser;

/// The tab's whole log as `{type: 'log', summary, entries, …}`, read as the popup reads it: the
/// newest entries from the background's answer to `watch` (kept in its memory, saved or not),
/// and the older ones from the log's chunks in `storage.session` (see `docs/log-format.md`).
/// Entries are in id order, each once. `Value::Null` when the background did not answer within
/// 8 s.
pub fn log(b: &Browser, tab: i64) -> Result<Value> {
    b.ext_eval(
        "const tab = arguments[0];\
         return (async () => {\
         const port = api.runtime.connect({name: 'popup'});\
         const newest = await new Promise((resolve) => {\
           port.onMessage.addListener((m) => { const msg = JSON.parse(m); if (msg.type === 'log' && msg.reset) resolve(msg); });\
           port.postMessage(JSON.stringify({type: 'watch', tab}));\
           setTimeout(() => resolve(null), 8000);\
         });\
         port.disconnect();\
         if (!newest) return null;\
         const stored = await api.storage.session.get(null);\
         const byId = new Map();\
         for (const [key, chunk] of Object.entries(stored)) {\
           if (key.startsWith(`log:${tab}:`) && Array.isArray(chunk)) for (const e of chunk) byId.set(e.id, e);\
         }\
         const oldest = newest.entries.length ? newest.entries[0].id : Infinity;\
         const older = [...byId.values()].filter(e => e.id < oldest && e.id >= (newest.summary.firstId ?? 0));\
         older.sort((a, b) => a.id - b.id);\
         return {...newest, entries: older.concat(newest.entries)};\
         })();",
        vec![json!(tab)],
    )
    .context("reading the tab's log")
}

/// Sends one agent action for the tab, as the popup's agent console does.
pub fn agent(b: &Browser, tab: i64, action: AgentAction) -> Result<()> {
    b.ext_eval(
        "const port = api.runtime.connect({name: 'popup'});\
         port.postMessage(JSON.stringify({type: 'watch', tab: arguments[0]}));\
         port.postMessage(JSON.stringify({type: 'agent', tab: arguments[0], action: arguments[1]}));\
         return new Promise(r => setTimeout(() => { port.disconnect(); r(true); }, 200));",
        vec![json!(tab), serde_json::to_value(action)?],
    )
    .context("sending an agent action")?;
    Ok(())
}

/// Sends one agent action for the tab showing `url` (a pattern, as [`Browser::tab_id_of`]).
pub fn agent_on(b: &Browser, url: &str, action: AgentAction) -> Result<()> {
    agent(b, b.tab_id_of(url)?, action)
}

/// Makes one API console call (`method` with raw `args`) on the tab and returns its outcome as
/// the popup receives it, or the string `"timed out"` after 4 s.
pub fn console_call(b: &Browser, tab: i64, method: &str, args: Value) -> Result<Value> {
    b.ext_eval(
        "const port = api.runtime.connect({name: 'popup'});\
         return new Promise((resolve) => {\
           port.onMessage.addListener((m) => { const msg = JSON.parse(m); if (msg.type === 'apiResult' && msg.id === 99) { port.disconnect(); resolve(msg.outcome); } });\
           port.postMessage(JSON.stringify({type: 'watch', tab: arguments[0]}));\
           port.postMessage(JSON.stringify({type: 'callApi', tab: arguments[0], id: 99, call: {method: arguments[1], args: arguments[2]}}));\
           setTimeout(() => resolve('timed out'), 4000);\
         });",
        vec![json!(tab), json!(method), args],
    )
    .context("calling the API from the console")
}

/// Waits up to `timeout` until the tab's whole log ([`log`]) satisfies `done`, and returns it.
/// On a timeout the error shows the last log's summary and (clipped) entries.
pub fn wait_log(
    b: &Browser,
    tab: i64,
    what: &str,
    timeout: Duration,
    done: impl Fn(&Value) -> bool,
) -> Result<Value> {
    let mut last = Value::Null;
    b.wait_for(what, timeout, |b| {
        last = log(b, tab)?;
        Ok(done(&last).then(|| last.clone()))
    })
    .with_context(|| {
        format!(
            "last log summary: {}; entries: {}",
            last["summary"],
            clip(&last["entries"].to_string(), 1500)
        )
    })
}

/// The entries of a log read by [`log`].
pub fn entries(log: &Value) -> Vec<Value> {
    log["entries"].as_array().cloned().unwrap_or_default()
}

/// `s` cut to at most `n` bytes (on a character boundary), with `…` when cut: for error
/// messages that quote a log.
pub fn clip(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_owned();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
