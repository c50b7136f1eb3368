//! The per-tab event log, read the way the popup reads it (a `popup` port, `watch`, the
//! `log` message): what the page and the widget do is recorded once, with its origin; the log
//! survives the background being stopped mid-stream; the cap keeps the newest entries with an
//! honest dropped count.

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::popup_port::{self, entries};
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(records_callbacks_calls_and_page_loads),
    scenario!(survives_a_background_restart_without_loss_or_repeats),
    scenario!(cap_keeps_the_newest_and_counts_the_dropped),
    scenario!(every_spa_navigation_has_an_entry),
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

fn records_callbacks_calls_and_page_loads(ctx: &mut Ctx) -> Result<()> {
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

fn survives_a_background_restart_without_loss_or_repeats(ctx: &mut Ctx) -> Result<()> {
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

fn cap_keeps_the_newest_and_counts_the_dropped(ctx: &mut Ctx) -> Result<()> {
    let mut settings = sandbox_settings();
    settings["log"] = json!({ "maxEntries": 100 });
    let (_, tab) = open_site(ctx, settings)?;
    e2e::site::calls_in_tasks(ctx, "i => jivo_onChangeState('flood-' + i)", 250, 50)?;
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

/// 20 quick route changes give 20 `navigation` entries: the ones the SPA tracker reported, and
/// the rest with `reported: false` and the reason (here the rate limit and the settle window).
fn every_spa_navigation_has_an_entry(ctx: &mut Ctx) -> Result<()> {
    let mut settings = sandbox_settings();
    settings["spa"] = json!({ "settleMs": 50 });
    let (_, tab) = open_site(ctx, settings)?;
    ctx.eval(
        "let i = 0;\
         const next = () => {\
           i += 1; document.title = 'Route ' + i; history.pushState({}, '', '?route=' + i);\
           if (i < 20) setTimeout(next, i % 4 === 0 ? 0 : 40);\
         };\
         next();",
    )?;
    let routes = |log: &Value| {
        entries(log)
            .into_iter()
            .filter(|e| {
                e["kind"] == "navigation"
                    && e["url"].as_str().is_some_and(|u| u.contains("?route="))
            })
            .collect::<Vec<_>>()
    };
    let log = wait_log(ctx, tab, "navigation entries up to route 20", |log| {
        routes(log)
            .iter()
            .any(|e| e["url"].as_str().is_some_and(|u| u.ends_with("?route=20")))
    })?;
    // Let the tracker settle what it still holds.
    std::thread::sleep(Duration::from_millis(1500));
    let log = popup_port::wait_log(ctx, tab, "the log again", TIMEOUT, |_| true).unwrap_or(log);
    let navs = routes(&log);
    let mut urls: Vec<String> = navs
        .iter()
        .map(|e| e["url"].as_str().unwrap_or("").to_owned())
        .collect();
    urls.sort();
    urls.dedup();
    ensure!(
        navs.len() == 20 && urls.len() == 20,
        "{} navigation entries for 20 route changes ({} distinct URLs): {}",
        navs.len(),
        urls.len(),
        Value::Array(navs.clone())
    );
    let reported = navs.iter().filter(|e| e["reported"] == true).count();
    ensure!(
        reported > 0,
        "no route change was reported: {}",
        Value::Array(navs.clone())
    );
    for e in &navs {
        if e["reported"] == true {
            ensure!(
                e.get("reason").is_none(),
                "a reported entry with a reason: {e}"
            );
        } else {
            ensure!(
                e["reason"].as_str().is_some_and(|r| !r.is_empty()),
                "an unreported entry without a reason: {e}"
            );
        }
    }
    ensure!(
        reported < 20,
        "all 20 quick route changes were reported (none held by the rate limit or the settle window)"
    );
    Ok(())
}
