//! `bench jivochat`: JivoChat mode: DOMContentLoaded → `jivo_onLoadCallback` with the fake
//! loader (`tests/fixtures/fake-loader.js`), through the extension's bridge and with the loader
//! tag inline (median and p95 over [`LOADS`] loads per browser, and the ratio of the medians).
//!
//! - *inline*: `jivochat-bench-inline.html` has `<script async src=…fake-loader.js>` in its
//!   `<head>`; no site rule matches it, so nothing of the extension runs on it (checked).
//! - *extension*: `jivochat-bench.html`, the same page without the tag, matched by a site rule in
//!   JivoChat mode with `loaderUrl` pointing at the same fake loader: the shim, the content
//!   script, and the loader injected at DOMContentLoaded.
//!
//! The two kinds of load alternate, after one warm-up load of each, so that a busy machine
//! slows both alike.
//!
//! DOMContentLoaded is not the same moment in both: the extension's document_start scripts run
//! before the page is parsed and so move DOMContentLoaded later, a cost the first figure does not
//! see. The table therefore also gives navigation start → `jivo_onLoadCallback` (the callback's
//! `performance.now()`), which includes it.

use std::time::Duration;

use anyhow::{bail, Result};
use e2e::browser::Browser;
use e2e::server::Server;
use serde_json::json;

use crate::percentile;

/// Page loads measured per browser and kind.
const LOADS: usize = 20;
const WIDGET_ID: &str = "BenchWidget";

/// Milliseconds to the page's `jivo_onLoadCallback` in one load.
#[derive(Clone, Copy)]
struct Load {
    /// From DOMContentLoaded.
    from_dcl: f64,
    /// From navigation start.
    from_start: f64,
}

/// Loads `path` and times it, checking whether the extension's shim ran on it (`ours`).
fn load_once(browser: &Browser, server: &Server, path: &str, ours: bool) -> Result<Load> {
    browser.goto(&server.url(path))?;
    let times = browser.wait_for("jivo_onLoadCallback", Duration::from_secs(15), |b| {
        let v = b.eval(
            "const nav = performance.getEntriesByType('navigation')[0];\
             return window.benchLoadedAt !== undefined && nav && nav.domContentLoadedEventStart > 0\
               ? [window.benchLoadedAt - nav.domContentLoadedEventStart, window.benchLoadedAt] : null;",
        )?;
        Ok(v.as_array().and_then(|a| {
            Some(Load {
                from_dcl: a.first()?.as_f64()?,
                from_start: a.get(1)?.as_f64()?,
            })
        }))
    })?;
    // The shim makes jivo_api an accessor; without the extension it is a plain value.
    let hooked = browser.eval(
        "const d = Object.getOwnPropertyDescriptor(window, 'jivo_api'); return !!(d && d.get);",
    )?;
    if hooked != json!(ours) {
        bail!(
            "{path}: the extension {} on this page",
            if ours { "did not run" } else { "ran" }
        );
    }
    Ok(times)
}

/// `(inline, extension)` loads, [`LOADS`] of each.
fn load_times(browser: &Browser, server: &Server) -> Result<(Vec<Load>, Vec<Load>)> {
    browser.configure(json!({
        "mode": "jivochat",
        "widgetId": WIDGET_ID,
        "loaderUrl": format!("{}/fake-loader.js?widget={{id}}", server.origin()),
        "sites": ["http://127.0.0.1/jivochat-bench.html*"],
    }))?;
    let mut inline = Vec::with_capacity(LOADS);
    let mut ext = Vec::with_capacity(LOADS);
    for i in 0..=LOADS {
        let a = load_once(
            browser,
            server,
            &format!("/jivochat-bench-inline.html?load={i}"),
            false,
        )?;
        let b = load_once(
            browser,
            server,
            &format!("/jivochat-bench.html?load={i}"),
            true,
        )?;
        if i > 0 {
            inline.push(a);
            ext.push(b);
        }
    }
    Ok((inline, ext))
}

/// One figure of a set of loads, sorted: `(median, p95)`.
fn stats(loads: &[Load], figure: fn(&Load) -> f64) -> (f64, f64) {
    let mut v: Vec<f64> = loads.iter().map(figure).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    (percentile(&v, 50.0), percentile(&v, 95.0))
}

/// Prints this table.
pub fn table() -> Result<()> {
    println!(
        "JivoChat mode: time to jivo_onLoadCallback with the fake loader, loader tag inline vs. injected through the extension ({LOADS} loads of each per browser, alternating, after one warm-up each; median / p95 ms; ratio = extension / inline medians)"
    );
    println!("| browser  | from DOMContentLoaded: inline | extension     | ratio | from navigation start: inline | extension     | ratio |");
    println!("|----------|-------------------------------|---------------|-------|-------------------------------|---------------|-------|");
    for kind in crate::browsers() {
        let (inline, ext) = super::in_browser(kind, load_times)?;
        let cell = |(median, p95): (f64, f64)| format!("{median:.1} / {p95:.1}");
        let dcl = (stats(&inline, |l| l.from_dcl), stats(&ext, |l| l.from_dcl));
        let start = (
            stats(&inline, |l| l.from_start),
            stats(&ext, |l| l.from_start),
        );
        println!(
            "| {:<8} | {:>29} | {:>13} | {:>5} | {:>29} | {:>13} | {:>5} |",
            kind.name(),
            cell(dcl.0),
            cell(dcl.1),
            format!("{:.2}", dcl.1 .0 / dcl.0 .0),
            cell(start.0),
            cell(start.1),
            format!("{:.2}", start.1 .0 / start.0 .0),
        );
    }
    println!("Figures from a busy machine are provisional.");
    Ok(())
}
