//! `bench hostile`: hostile pages, per browser: the shim's cost per forwarded event (µs, median,
//! measured in the page against the same page without the extension: in runs of
//! [`PER_BATCH`] callbacks, the shim's budget for one batch, each until the page's next task, so
//! that the content script's deferred handling of the batch is included; the calls alone in
//! parentheses) and the same right after a flood, the page's time for 20,000 callbacks in one
//! task with and without the extension (ratio; until the page's next task, see `bench page`),
//! memory after that flood (the page's process or heap, and the background's), and how many
//! forged messages of how many shapes were tried and how many got through (must be 0).
//!
//! Fixtures: `tests/fixtures/hostile-flood.{html,js}` and `hostile-forge.{html,js}`.

use std::time::Duration;

use anyhow::{Context as _, Result};
use e2e::browser::{Browser, BrowserKind};
use e2e::server::Server;
use serde_json::{json, Value};

use crate::devtools;
use crate::percentile;

/// Runs of [`PER_BATCH`] callbacks for the per-event cost (all within the gate's burst).
const BATCHES: usize = 40;
/// Callbacks per run: the shim's `BATCH_MESSAGES` (`extension/shim.js`), so every one is
/// forwarded.
const PER_BATCH: usize = 100;
/// The flood.
const FLOOD: usize = 20_000;

const TIMEOUT: Duration = Duration::from_secs(30);

/// What one browser measured.
struct Row {
    cost_us: f64,
    cost_loop_us: f64,
    dropped_cost_us: f64,
    flood_without_ms: f64,
    flood_with_ms: f64,
    page_memory: String,
    background_memory: String,
    shapes: u64,
    tried: u64,
    through: u64,
}

fn configure(browser: &Browser, sites: &[&str]) -> Result<()> {
    browser.configure(json!({ "mode": "sandbox", "sites": sites }))
}

fn has_shim(browser: &Browser) -> Result<bool> {
    Ok(browser.eval(
        "const d = Object.getOwnPropertyDescriptor(window, 'jivo_onChangeState'); return !!(d && d.get);",
    )? == true)
}

/// Loads the flood fixture; with the extension, waits for the sandbox widget.
fn load_flood_page(browser: &Browser, server: &Server, with: bool, n: usize) -> Result<()> {
    browser.goto(&server.url(&format!("/hostile-flood.html?run={n}")))?;
    if with {
        browser.wait_for_js("return window.widgetLoaded === true;", TIMEOUT)?;
    }
    anyhow::ensure!(
        has_shim(browser)? == with,
        "the shim is {} on the page",
        if with { "missing" } else { "present" }
    );
    Ok(())
}

/// The median µs per call of the runs: (until the next task, the calls alone).
fn per_call_us(browser: &Browser) -> Result<(f64, f64)> {
    let v = browser.eval(&format!("return hostile.perCall({BATCHES}, {PER_BATCH});"))?;
    let median = |key: &str| -> Result<f64> {
        let mut out: Vec<f64> = v[key]
            .as_array()
            .with_context(|| format!("perCall result: {v}"))?
            .iter()
            .filter_map(Value::as_f64)
            .collect();
        out.sort_by(|a, b| a.total_cmp(b));
        Ok(percentile(&out, 50.0))
    };
    Ok((median("total")?, median("loop")?))
}

fn flood_ms(browser: &Browser) -> Result<f64> {
    let v = browser.eval(&format!("return hostile.flood({FLOOD});"))?;
    v["ms"].as_f64().context("flood result")
}

/// The page's memory after the flood: Chromium's JS heap and array buffers of the page (main and
/// isolated worlds share the heap) after a garbage collection; Firefox's content process (resident
/// unique memory, from the chrome context).
fn page_memory(browser: &Browser) -> Result<f64> {
    match browser.kind() {
        BrowserKind::Chromium => {
            browser
                .session()
                .cdp("HeapProfiler.collectGarbage", json!({}))?;
            let usage = browser.session().cdp("Runtime.getHeapUsage", json!({}))?;
            heap_and_buffers(&usage).context("Runtime.getHeapUsage")
        }
        BrowserKind::Firefox => {
            let procs = firefox_processes(browser)?;
            procs
                .iter()
                .filter(|p| {
                    p["origin"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("127.0.0.1")
                })
                .filter_map(|p| p["memory"].as_f64())
                .reduce(f64::max)
                .context("no content process for the fixture's origin")
        }
    }
}

/// Firefox's processes as `ChromeUtils.requestProcInfo` sees them: `{type, origin, memory}`.
pub fn firefox_processes(browser: &Browser) -> Result<Vec<Value>> {
    let session = browser.session();
    session.set_context("chrome")?;
    let result = session.execute_async(
        "const done = arguments[arguments.length - 1];\
         ChromeUtils.requestProcInfo().then((info) => done(info.children.map((c) => ({type: c.type, origin: c.origin || '', memory: c.memory}))), (e) => done(String(e)));",
        vec![],
    );
    session.set_context("content")?;
    let v = result?;
    v.as_array()
        .cloned()
        .with_context(|| format!("requestProcInfo: {v}"))
}

/// The Chromium service worker's JS heap after a GC, in bytes. chromedriver's CDP endpoint
/// reaches page targets only, so this talks to the browser's DevTools port (the session's
/// `debuggerAddress`) directly: `/json/list` for the worker's WebSocket, then two commands.
fn service_worker_heap(browser: &Browser) -> Result<f64> {
    let addr = browser.session().capabilities()["goog:chromeOptions"]["debuggerAddress"]
        .as_str()
        .context("no debuggerAddress in the session's capabilities")?
        .to_owned();
    let list = devtools::http_get(&addr, "/json/list")?;
    let targets: Value = serde_json::from_str(&list).context("/json/list")?;
    let prefix = browser.extension_url("");
    let ws = targets
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| {
            t["type"] == "service_worker"
                && t["url"].as_str().is_some_and(|u| u.starts_with(&prefix))
        })
        .and_then(|t| t["webSocketDebuggerUrl"].as_str())
        .context("no service worker target (is the background running?)")?
        .to_owned();
    let path = devtools::ws_path(&ws)?;
    let mut socket = devtools::WebSocket::connect(&addr, &path)?;
    socket.command(1, "HeapProfiler.collectGarbage")?;
    let usage = socket.command(2, "Runtime.getHeapUsage")?;
    heap_and_buffers(&usage["result"]).with_context(|| format!("Runtime.getHeapUsage: {usage}"))
}

/// The used JS heap plus array buffers' backing stores (where wasm and wasm2js memory lives),
/// from a `Runtime.getHeapUsage` result.
fn heap_and_buffers(usage: &Value) -> Option<f64> {
    let used = usage["usedSize"].as_f64()?;
    Some(used + usage["backingStorageSize"].as_f64().unwrap_or(0.0))
}

/// The background's memory: Chromium's service worker heap (DevTools), Firefox's extension
/// process; plus the background's stored log (its largest state) in both.
fn background_memory(browser: &Browser) -> Result<String> {
    let stored = browser.ext_eval(
        "return api.storage.session.get(null).then((s) => JSON.stringify(s).length);",
        vec![],
    )?;
    let stored_kb = stored.as_f64().unwrap_or(f64::NAN) / 1024.0;
    match browser.kind() {
        BrowserKind::Firefox => {
            let procs = firefox_processes(browser)?;
            let ext: f64 = procs
                .iter()
                .filter(|p| p["type"] == "extension")
                .filter_map(|p| p["memory"].as_f64())
                .sum();
            Ok(format!(
                "extension process {:.1} MB; log stored {stored_kb:.0} KB",
                ext / 1e6
            ))
        }
        BrowserKind::Chromium => Ok(format!(
            "service worker heap {:.1} MB; log stored {stored_kb:.0} KB",
            service_worker_heap(browser)? / 1e6
        )),
    }
}

/// Forges every shape on every channel (the fixture also does at parse time, DOMContentLoaded,
/// load and later), then counts what got through: log entries carrying the marker or a replayed
/// name, drop markers, missed events, forged values in storage.
fn forged(browser: &Browser, server: &Server) -> Result<(u64, u64, u64)> {
    configure(browser, &["http://127.0.0.1/hostile-*"])?;
    let url = server.url("/hostile-forge.html");
    // A tab of its own: the flood's tab log counts its drops.
    browser.new_tab()?;
    browser.goto(&url)?;
    browser.eval("hostile.forgeAll('bench'); return null;")?;
    let tab = browser.tab_id_of(&url)?;
    browser.eval("jivo_api.setWidgetColor('#0a0b0c'); return null;")?;
    std::thread::sleep(Duration::from_millis(2000));
    let tried = browser.eval("return hostile.tried;")?.as_u64().unwrap_or(0);
    let shapes = browser
        .eval("return hostile.shapeCount;")?
        .as_u64()
        .unwrap_or(0);
    let log = e2e::popup_port::log(browser, tab)?;
    let entries = log["entries"].as_array().cloned().unwrap_or_default();
    anyhow::ensure!(
        entries.iter().any(|e| e["method"] == "setWidgetColor"),
        "the real call after the forgeries is not in the log"
    );
    let through_log = entries
        .iter()
        .filter(|e| {
            let text = e.to_string();
            text.contains("FORGED")
                || e["name"] == "jivo_onClose"
                || e["name"] == "jivo_onMessageReceived"
                || e["kind"] == "navigation"
                || e["kind"] == "callbackThrew"
                || e["method"] == "setContactInfo"
                || (e["kind"] == "error"
                    && e["message"]
                        .as_str()
                        .is_some_and(|m| m.starts_with("Dropped ")))
        })
        .count() as u64;
    let missed = log["summary"]["missed"].as_u64().unwrap_or(0);
    let storage = browser.ext_eval(
        "return Promise.all([api.storage.local.get(null), api.storage.session.get(null)]).then(([l, s]) => JSON.stringify([l, s]));",
        vec![],
    )?;
    let in_storage = u64::from(storage.as_str().unwrap_or_default().contains("FORGED"));
    Ok((shapes, tried, through_log + missed + in_storage))
}

fn measure(browser: &Browser, server: &Server) -> Result<Row> {
    // Without the extension on the page: no site rule matches it.
    configure(browser, &["http://127.0.0.1/no-such-page*"])?;
    load_flood_page(browser, server, false, 0)?;
    let without = per_call_us(browser)?;
    load_flood_page(browser, server, false, 1)?;
    let flood_without_ms = flood_ms(browser)?;
    let page_without = page_memory(browser)?;

    configure(browser, &["http://127.0.0.1/hostile-*"])?;
    load_flood_page(browser, server, true, 2)?;
    let with = per_call_us(browser)?;
    load_flood_page(browser, server, true, 3)?;
    let flood_with_ms = flood_ms(browser)?;
    // Right after the flood (the shim forwarded one batch of it: the gate's bucket is not empty).
    let with_dropped = per_call_us(browser)?;
    // Let the content script send and the background store what it kept.
    std::thread::sleep(Duration::from_millis(3000));
    let page_with = page_memory(browser)?;
    let page_memory = format!("{:.1} → {:.1} MB", page_without / 1e6, page_with / 1e6);
    let background_memory = background_memory(browser)?;
    let cost_us = with.0 - without.0;
    let cost_loop_us = with.1 - without.1;
    let dropped_cost_us = with_dropped.0 - without.0;
    let (shapes, tried, through) = forged(browser, server)?;
    Ok(Row {
        cost_us,
        cost_loop_us,
        dropped_cost_us,
        flood_without_ms,
        flood_with_ms,
        page_memory,
        background_memory,
        shapes,
        tried,
        through,
    })
}

/// Prints this table.
pub fn table() -> Result<()> {
    println!("Hostile pages ({BATCHES}×{PER_BATCH} callbacks for the per-event cost, a {FLOOD}-callback flood in one task, every forged shape on every channel)");
    println!("| browser  | shim µs/event (median; calls alone) | µs/event right after the flood | {FLOOD} callbacks: without / with ms (ratio) | page memory after the flood: without → with | background after the flood | forged: shapes / attempts / got through |");
    println!("|----------|-------------------------------------|--------------------------------|---------------------------------------------|----------------------------------------------|----------------------------|------------------------------------------|");
    for kind in crate::browsers() {
        let row = super::in_browser(kind, measure)?;
        println!(
            "| {:<8} | {:>20.1} ({:>5.1}) | {:>30.1} | {:>18.1} / {:>8.1} ({:>5.1}×) | {:>44} | {} | {} / {} / {} |",
            kind.name(),
            row.cost_us,
            row.cost_loop_us,
            row.dropped_cost_us,
            row.flood_without_ms,
            row.flood_with_ms,
            row.flood_with_ms / row.flood_without_ms.max(0.001),
            row.page_memory,
            row.background_memory,
            row.shapes,
            row.tried,
            row.through,
        );
    }
    println!("Memory: Chromium the JS heap + array buffers after a forced GC (the page's main and isolated worlds share one heap; the background is the service worker); Firefox resident unique memory of the page's content process and of the extension process (background and extension pages).");
    println!("Provisional when the machine is busy: the figures move with CPU contention.");
    Ok(())
}
