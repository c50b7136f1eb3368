//! The per-tab event log, read the way the popup reads it (a `popup` port, `watch`, the
//! `log` message): what the page and the widget do is recorded once, with its origin; the log
//! survives the background being stopped mid-stream; the cap keeps the newest entries with an
//! honest dropped count.

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::popup_port::{self, entries};
use e2e::runner::{Ctx, Scenario};
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "log::records_callbacks_calls_and_page_loads",
        records_everything,
    ),
    Scenario::new(
        "log::survives_a_background_restart_without_loss_or_repeats",
        survives_restart,
    ),
    Scenario::new(
        "log::cap_keeps_the_newest_and_counts_the_dropped",
        cap_and_dropped,
    ),
];

const TIMEOUT: Duration = Duration::from_secs(10);

fn open_site(ctx: &Ctx, settings: Value) -> Result<(String, i64)> {
    ctx.configure(settings)?;
    let url = ctx.url("/site-integration.html");
    let tab = e2e::site::open(ctx, &url, TIMEOUT)?;
    Ok((url, tab))
}

fn sandbox_settings() -> Value {
    json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/site-integration*"] })
}

/// Waits until the tab's whole log satisfies `done`, and returns it.
fn wait_log(ctx: &Ctx, tab: i64, what: &str, done: impl Fn(&Value) -> bool) -> Result<Value> {
    popup_port::wait_log(ctx, tab, what, TIMEOUT, done)
}

fn count(log: &Value, pred: impl Fn(&Value) -> bool) -> usize {
    entries(log).iter().filter(|e| pred(e)).count()
}

fn records_everything(ctx: &mut Ctx) -> Result<()> {
    let (_, tab) = open_site(ctx, sandbox_settings())?;
    ctx.eval("jivo_api.open({start: 'chat'});")?;
    let log = wait_log(ctx, tab, "jivo_onOpen in the log", |log| {
        count(log, |e| {
            e["kind"] == "callback" && e["name"] == "jivo_onOpen"
        }) == 1
    })?;
    ensure!(
        count(&log, |e| e["kind"] == "pageLoad") == 1,
        "page loads: {}",
        count(&log, |e| e["kind"] == "pageLoad")
    );
    ensure!(
        count(&log, |e| e["kind"] == "callback"
            && e["name"] == "jivo_onLoadCallback")
            == 1,
        "jivo_onLoadCallback recorded {} times",
        count(&log, |e| e["kind"] == "callback"
            && e["name"] == "jivo_onLoadCallback")
    );
    let open = entries(&log)
        .into_iter()
        .find(|e| e["kind"] == "apiCall" && e["method"] == "open")
        .context("no open() call in the log")?;
    ensure!(
        open["origin"] == "page",
        "open() origin: {}",
        open["origin"]
    );
    ensure!(
        open["outcome"]["returned"] == json!({"result": "ok"}),
        "open() outcome: {}",
        open["outcome"]
    );
    ensure!(
        count(&log, |e| e["kind"] == "apiCall"
            && e["method"] == "chatMode")
            == 1,
        "the site's chatMode() call is not in the log once"
    );
    Ok(())
}

fn survives_restart(ctx: &mut Ctx) -> Result<()> {
    let (_, tab) = open_site(ctx, sandbox_settings())?;
    // A stream of callbacks, with the background stopped in the middle of it.
    ctx.eval(
        "window.fire = (from, n) => { for (let i = from; i < from + n; i++) jivo_onChangeState('stream-' + i); };",
    )?;
    ctx.eval("fire(0, 50);")?;
    ctx.stop_background()?;
    ctx.eval("fire(50, 50);")?;
    // The content script reconnects (waking the background) when it next has something to send.
    let log = wait_log(ctx, tab, "all 100 stream callbacks in the log", |log| {
        count(log, |e| {
            e["kind"] == "callback"
                && e["args"][0]
                    .as_str()
                    .is_some_and(|a| a.starts_with("stream-"))
        }) >= 100
    })?;
    let mut seen: Vec<String> = entries(&log)
        .iter()
        .filter_map(|e| {
            e["args"][0]
                .as_str()
                .filter(|a| a.starts_with("stream-"))
                .map(str::to_owned)
        })
        .collect();
    let total = seen.len();
    seen.sort();
    seen.dedup();
    ensure!(
        total == 100 && seen.len() == 100,
        "{total} stream entries, {} distinct (want 100 and 100)",
        seen.len()
    );
    Ok(())
}

fn cap_and_dropped(ctx: &mut Ctx) -> Result<()> {
    let mut settings = sandbox_settings();
    settings["log"] = json!({ "maxEntries": 100 });
    let (_, tab) = open_site(ctx, settings)?;
    ctx.eval("for (let i = 0; i < 250; i++) jivo_onChangeState('flood-' + i);")?;
    let log = wait_log(ctx, tab, "the flood's last callback in the log", |log| {
        count(log, |e| e["args"][0] == "flood-249") == 1
    })?;
    let summary = &log["summary"];
    ensure!(
        entries(&log).len() == 100,
        "log length {} with cap 100",
        entries(&log).len()
    );
    let dropped = summary["dropped"].as_u64().unwrap_or(0);
    let total_seen = dropped + entries(&log).len() as u64;
    ensure!(dropped >= 150, "dropped {dropped}, expected at least 150");
    ensure!(
        total_seen >= 250,
        "dropped + kept = {total_seen}, less than the 250 flood events"
    );
    Ok(())
}
