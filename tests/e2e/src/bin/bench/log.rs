//! `bench log`: the event log as a user sees it in an open popup.
//!
//! Per browser, on a sandbox tab of the site-integration fixture, with the popup
//! (`popup.html?tab=<id>`) open in a window of its own (so neither page is a hidden tab, whose
//! timers and frames browsers throttle):
//!
//! - **callback → row**: the page fires `jivo_onChangeState('lat-<i>')` [`LATENCY_EVENTS`]
//!   times, 10 a second; the time from the call (page `Date.now()`) to its row being added to
//!   the popup's log list (a `MutationObserver` in the popup, `Date.now()`), median and p95;
//! - **burst**: the page fires 1,000 callbacks a second for 10 s; what the log then holds plus
//!   what it dropped (its cap) against what was sent ("lost" must be 0), and the popup's
//!   longest task meanwhile (`PerformanceObserver` `longtask`, Chromium only) and longest gap
//!   between animation frames (both browsers);
//! - **open**: the popup opened [`OPENS`] times on the tab, whose log is then full (2,000
//!   entries, the default cap): navigation start → the `jwi:open` mark (the tab's view and the
//!   newest log rows shown and painted; docs/architecture.md, "Popup open time"), median and
//!   p95, with the medians of the marks on the way there.

use std::time::Duration;

use anyhow::{ensure, Result};
use e2e::browser::Browser;
use e2e::server::Server;
use serde_json::{json, Value};

use crate::percentile;
use crate::surface::{new_window, row_latencies};

/// Callbacks timed from the page to the popup.
const LATENCY_EVENTS: usize = 50;
/// Callbacks a second during the burst, and its length in seconds.
const BURST_RATE: usize = 1000;
const BURST_SECONDS: usize = 10;
/// Popup opens timed with a full log.
const OPENS: usize = 10;
/// The marks the popup puts on its timeline while it opens, in order.
const MARKS: [&str; 6] = ["script", "wasm", "watch", "message", "shown", "open"];

const SITES: [&str; 1] = ["http://127.0.0.1/site-integration*"];
const WAIT: Duration = Duration::from_secs(30);

/// One browser's figures.
struct Figures {
    latency: Vec<f64>,
    /// The burst's figures, or why they could not be measured.
    burst: Result<Burst, String>,
    open: Vec<f64>,
    /// Per mark in [`MARKS`], the ms from navigation start over all opens, sorted.
    marks: Vec<Vec<f64>>,
}

/// What the burst did.
struct Burst {
    sent: u64,
    kept_and_dropped: u64,
    missed: u64,
    longest_task: Option<f64>,
    longest_frame_gap: f64,
}

/// The tab's stored log head (`storage.session["log:<tab>"]`): `(len, dropped, missed)`.
fn log_counts(browser: &Browser, tab: i64) -> Result<(u64, u64, u64)> {
    let head = browser.storage_get("session", &format!("log:{tab}"))?;
    let n = |k: &str| head[k].as_u64().unwrap_or(0);
    Ok((n("len"), n("dropped"), n("missed")))
}

/// Starts the popup's responsiveness probes: longest task (where `longtask` is supported)
/// and longest gap between animation frames.
const PROBE_RESPONSIVENESS: &str = "\
  window.jwiProbe = {longestTask: null, longestGap: 0, last: null, on: true};\
  if (PerformanceObserver.supportedEntryTypes.includes('longtask')) {\
    window.jwiProbe.longestTask = 0;\
    new PerformanceObserver(list => { for (const e of list.getEntries())\
      window.jwiProbe.longestTask = Math.max(window.jwiProbe.longestTask, e.duration); })\
      .observe({type: 'longtask'});\
  }\
  const frame = t => {\
    const p = window.jwiProbe;\
    if (p.last !== null) p.longestGap = Math.max(p.longestGap, t - p.last);\
    p.last = t;\
    if (p.on) requestAnimationFrame(frame);\
  };\
  requestAnimationFrame(frame);\
  return null;";

fn measure(browser: &Browser, server: &Server) -> Result<Figures> {
    browser.configure(json!({ "mode": "sandbox", "sites": SITES }))?;
    let url = server.url("/site-integration.html");
    browser.goto(&url)?;
    e2e::site::site_log_with(browser, "getVisitorNumber", WAIT)?;
    let page = browser.current_tab()?;
    let tab = browser.tab_id_of(&url)?;
    let popup = new_window(browser)?;
    let popup_path = format!("popup.html?tab={tab}");
    browser.open_extension_page(&popup_path)?;
    browser.wait_for_js(
        "return performance.getEntriesByName('jwi:open').length > 0",
        WAIT,
    )?;

    // Callback → row.
    let latency = row_latencies(browser, &page, &popup, "lat", LATENCY_EVENTS, "popup")?;

    // Open with a full log.
    browser.switch_to(&page)?;
    // In tasks of 100: the shim forwards at most 100 messages a task (its batch budget).
    e2e::site::calls_in_tasks(browser, "i => jivo_onChangeState('fill-' + i)", 2100, 100)?;
    browser.wait_for("a full log", WAIT, |b| {
        Ok((log_counts(b, tab)?.0 >= 2000).then_some(()))
    })?;
    browser.switch_to(&popup)?;
    let mut open = Vec::with_capacity(OPENS);
    let mut marks = vec![Vec::with_capacity(OPENS); MARKS.len()];
    for _ in 0..OPENS {
        browser.goto("about:blank")?;
        browser.open_extension_page(&popup_path)?;
        let times = browser.wait_for_js(
            "if (!performance.getEntriesByName('jwi:open').length) return null;\
             return ['script', 'wasm', 'watch', 'message', 'shown', 'open']\
               .map(n => performance.getEntriesByName('jwi:' + n)[0]?.startTime ?? -1);",
            WAIT,
        )?;
        let times: Vec<f64> = times
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        ensure!(times.len() == MARKS.len(), "marks: {times:?}");
        for (all, t) in marks.iter_mut().zip(&times) {
            all.push(*t);
        }
        open.push(times[MARKS.len() - 1]);
        let rows = browser.eval("return document.querySelectorAll('#log-list li').length;")?;
        ensure!(rows.as_u64().unwrap_or(0) > 0, "no rows after opening");
    }
    open.sort_by(f64::total_cmp);
    for m in &mut marks {
        m.sort_by(f64::total_cmp);
    }
    let burst = burst(browser, &page, &popup, tab).map_err(|e| format!("{e:#}"));
    Ok(Figures {
        latency,
        burst,
        open,
        marks,
    })
}

/// The burst, with the popup open: what was sent, kept and dropped, and how the popup coped.
fn burst(browser: &Browser, page: &str, popup: &str, tab: i64) -> Result<Burst> {
    let before = log_counts(browser, tab)?;
    browser.eval(PROBE_RESPONSIVENESS)?;
    browser.switch_to(page)?;
    let total = BURST_RATE * BURST_SECONDS;
    browser.eval_with(
        "const [rate, total] = arguments; window.jwiBurst = 0; const start = performance.now();\
         const tick = () => {\
           const due = Math.min(total, Math.floor((performance.now() - start) * rate / 1000));\
           while (window.jwiBurst < due) jivo_onChangeState('burst-' + window.jwiBurst++);\
           if (window.jwiBurst < total) setTimeout(tick, 4);\
         };\
         tick(); return null;",
        vec![json!(BURST_RATE), json!(total)],
    )?;
    browser.wait_for_js(
        &format!("return window.jwiBurst >= {total}"),
        Duration::from_secs(BURST_SECONDS as u64 + 30),
    )?;
    // Everything sent has been stored once the counts reach it; a loss shows as counts that
    // stop short (unchanged for 3 s).
    let expected = before.0 + before.1 + total as u64;
    let mut last_counts = (u64::MAX, 0, 0);
    let mut quiet_polls = 0;
    let after = browser.wait_for("the burst to be stored", WAIT, |b| {
        let now = log_counts(b, tab)?;
        quiet_polls = if now == last_counts {
            quiet_polls + 1
        } else {
            0
        };
        last_counts = now;
        if now.0 + now.1 >= expected || quiet_polls >= 6 {
            return Ok(Some(now));
        }
        std::thread::sleep(Duration::from_millis(500));
        Ok(None)
    })?;
    browser.switch_to(popup)?;
    let probe = browser.eval("window.jwiProbe.on = false; return window.jwiProbe;")?;

    Ok(Burst {
        sent: total as u64,
        kept_and_dropped: (after.0 + after.1).saturating_sub(before.0 + before.1),
        missed: after.2.saturating_sub(before.2),
        longest_task: probe["longestTask"].as_f64(),
        longest_frame_gap: probe["longestGap"].as_f64().unwrap_or(f64::NAN),
    })
}
/// Prints this table.
pub fn table() -> Result<()> {
    let mut all = Vec::new();
    for kind in crate::browsers() {
        all.push((kind, super::in_browser(kind, measure)?));
    }
    println!(
        "Event log in an open popup: callback → row ({LATENCY_EVENTS} callbacks, 10/s); \
         burst of {BURST_RATE} callbacks/s for {BURST_SECONDS} s; popup open with a full log \
         (2,000 entries, {OPENS} opens)"
    );
    println!("| browser  | callback→row median ms | p95 ms | burst sent | kept+dropped | lost | missed | longest task ms | longest frame gap ms | open median ms | open p95 ms |");
    println!("|----------|------------------------|--------|------------|--------------|------|--------|-----------------|----------------------|----------------|-------------|");
    let mut notes = Vec::new();
    for (kind, f) in &all {
        let burst = match &f.burst {
            Ok(b) => format!(
                "{:>10} | {:>12} | {:>4} | {:>6} | {:>15} | {:>20.0}",
                b.sent,
                b.kept_and_dropped,
                b.sent.saturating_sub(b.kept_and_dropped),
                b.missed,
                b.longest_task
                    .map_or("n/a".to_string(), |t| format!("{t:.0}")),
                b.longest_frame_gap,
            ),
            Err(e) => {
                notes.push(format!(
                    "{}: the burst could not be measured: {e}",
                    kind.name()
                ));
                format!(
                    "{:>10} | {:>12} | {:>4} | {:>6} | {:>15} | {:>20}",
                    "—", "—", "—", "—", "—", "—"
                )
            }
        };
        println!(
            "| {:<8} | {:>22.0} | {:>6.0} | {burst} | {:>14.0} | {:>11.0} |",
            kind.name(),
            percentile(&f.latency, 50.0),
            percentile(&f.latency, 95.0),
            percentile(&f.open, 50.0),
            percentile(&f.open, 95.0),
        );
    }
    for n in notes {
        println!("{n}");
    }
    println!();
    println!("Popup opening with a full log: median ms from navigation start to each mark");
    println!("| browser  | {} |", MARKS.join(" | "));
    println!("|----------|{}", "------|".repeat(MARKS.len()));
    for (kind, f) in &all {
        let cells: Vec<String> = f
            .marks
            .iter()
            .map(|m| format!("{:.0}", percentile(m, 50.0)))
            .collect();
        println!("| {:<8} | {} |", kind.name(), cells.join(" | "));
    }
    Ok(())
}
