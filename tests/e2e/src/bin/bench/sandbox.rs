//! `bench sandbox`: from DOMContentLoaded to the site's `jivo_onLoadCallback`, over [`LOADS`]
//! loads of the site-integration fixture per browser (median and p95), and the bytes the sandbox
//! adds to a matched page.

use std::time::Duration;

use anyhow::Result;
use e2e::browser::{Browser, BrowserKind};
use e2e::server::Server;
use serde_json::json;

use crate::percentile;

/// Page loads measured per browser.
const LOADS: usize = 20;

/// Milliseconds from DOMContentLoaded to `jivo_onLoadCallback` for each of `LOADS` loads.
fn sandbox_load_times(browser: &Browser, server: &Server) -> Result<Vec<f64>> {
    browser
        .configure(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/site-integration*"] }))?;
    let mut times = Vec::with_capacity(LOADS);
    for i in 0..LOADS {
        browser.goto(&server.url(&format!("/site-integration.html?load={i}")))?;
        let ms = browser.wait_for("jivo_onLoadCallback", Duration::from_secs(10), |b| {
            let v = b.eval(
                "const l = (window.siteLog || []).find(e => e.name === 'jivo_onLoadCallback');\
                 const nav = performance.getEntriesByType('navigation')[0];\
                 return l && nav && nav.domContentLoadedEventStart > 0 ? l.at - nav.domContentLoadedEventStart : null;",
            )?;
            Ok(v.as_f64())
        })?;
        times.push(ms);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Ok(times)
}

pub fn table() -> Result<()> {
    let size = |kind: BrowserKind, path: &str| {
        std::fs::metadata(e2e::extension_dir(kind).join(path))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    println!("Sandbox: DOMContentLoaded → jivo_onLoadCallback ({LOADS} loads of the site-integration fixture)");
    println!("| browser  | median ms | p95 ms | max ms | bytes added to a page (shim + content script + wasm; Chromium: its loader and real-wasm build) |");
    println!("|----------|-----------|--------|--------|------------------------------------------------|");
    for kind in crate::browsers() {
        let times = super::in_browser(kind, sandbox_load_times)?;
        println!(
            "| {:<8} | {:>9.1} | {:>6.1} | {:>6.1} | {:>46} |",
            kind.name(),
            percentile(&times, 50.0),
            percentile(&times, 95.0),
            times.last().copied().unwrap_or(f64::NAN),
            [
                "shim.js",
                "content/content.js",
                "content/wasm.js",
                "content/content_bg.wasm"
            ]
            .iter()
            .map(|f| size(kind, f))
            .sum::<u64>(),
        );
    }
    Ok(())
}
