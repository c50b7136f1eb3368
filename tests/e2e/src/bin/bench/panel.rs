//! `bench panel`: the DevTools panel (`panel.html?tab=<id>`, opened as a page of its own in a
//! window of its own, as the end-to-end tests open it) on a sandbox tab of the site-integration
//! fixture whose log holds [`LOG_ENTRIES`] entries (`log.maxEntries` at its largest).
//!
//! Per browser:
//!
//! - **open**: the panel opened [`OPENS`] times: navigation start → `jwi:open` (the rows of the
//!   newest entries, sent on `Watch`, painted) and → `jwi:full` (the whole log read from
//!   storage and its rows painted), median and spread (min–max);
//! - per round ([`ROUNDS`]) with the panel open:
//!   - **callback → row**: the page fires `jivo_onChangeState('lat-<i>')` [`LATENCY_EVENTS`]
//!     times, 10 a second; from the call (page `Date.now()`) to its row being added to the
//!     panel's list (a `MutationObserver` in the panel), median and p95;
//!   - **burst**: the page fires [`BURST_RATE`] callbacks a second for [`BURST_SECONDS`] s; the
//!     panel's longest task meanwhile (`PerformanceObserver` `longtask`, Chromium only), and in
//!     both browsers the longest gap between animation frames and of a 4 ms `setTimeout` loop
//!     (what a longest task looks like from inside the page where `longtask` is missing);
//!     and how many rows the panel holds after it.
//!
//! The table gives each figure's median over the rounds and their range. `JWI_BENCH_BROWSER=
//! chromium|firefox` measures one browser; `JWI_BENCH_DEBUG=1` prints each round's long tasks
//! (start after the probe began, duration; Chromium).

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::browser::Browser;
use e2e::server::Server;
use serde_json::{json, Value};

use crate::percentile;
use crate::surface::{new_window, row_latencies};

/// Entries in the tab's log when the panel opens (the largest `log.maxEntries`).
const LOG_ENTRIES: u64 = 20_000;
/// Panel opens timed.
const OPENS: usize = 5;
/// Rounds of latency and burst.
const ROUNDS: usize = 3;
/// Callbacks timed from the page to the panel, per round.
const LATENCY_EVENTS: usize = 40;
/// Callbacks a second during the burst, and its length in seconds.
const BURST_RATE: usize = 1000;
const BURST_SECONDS: usize = 5;

const SITES: [&str; 1] = ["http://127.0.0.1/site-integration*"];
const WAIT: Duration = Duration::from_secs(60);

/// One browser's figures.
struct Figures {
    /// ms to `jwi:open` and to `jwi:full`, per open, sorted.
    open: Vec<f64>,
    full: Vec<f64>,
    rounds: Vec<Round>,
}

/// One round with the panel open.
struct Round {
    latency_median: f64,
    latency_p95: f64,
    longest_task: Option<f64>,
    frame_gap: f64,
    timer_gap: f64,
    rows: u64,
}

/// The tab's stored log length (`storage.session["log:<tab>"].len`).
fn log_len(browser: &Browser, tab: i64) -> Result<u64> {
    let head = browser.storage_get("session", &format!("log:{tab}"))?;
    Ok(head["len"].as_u64().unwrap_or(0))
}

/// Starts the panel's responsiveness probes: longest task (where `longtask` is supported),
/// longest gap between animation frames, and of a 4 ms timer loop.
const PROBE_RESPONSIVENESS: &str = "\
  window.jwiProbe = {longestTask: null, frameGap: 0, timerGap: 0, on: true};\
  if (PerformanceObserver.supportedEntryTypes.includes('longtask')) {\
    window.jwiProbe.longestTask = 0;\
    window.jwiProbe.t0 = performance.now(); window.jwiProbe.tasks = [];\
    new PerformanceObserver(list => { for (const e of list.getEntries()) {\
      window.jwiProbe.tasks.push([Math.round(e.startTime - window.jwiProbe.t0), Math.round(e.duration)]);\
      window.jwiProbe.longestTask = Math.max(window.jwiProbe.longestTask, e.duration); } })\
      .observe({type: 'longtask'});\
  }\
  let lastFrame = null;\
  const frame = t => {\
    const p = window.jwiProbe;\
    if (lastFrame !== null) p.frameGap = Math.max(p.frameGap, t - lastFrame);\
    lastFrame = t;\
    if (p.on) requestAnimationFrame(frame);\
  };\
  requestAnimationFrame(frame);\
  let lastTimer = performance.now();\
  const timer = () => {\
    const p = window.jwiProbe, t = performance.now();\
    p.timerGap = Math.max(p.timerGap, t - lastTimer);\
    lastTimer = t;\
    if (p.on) setTimeout(timer, 4);\
  };\
  setTimeout(timer, 4);\
  return null;";

fn measure(browser: &Browser, server: &Server) -> Result<Figures> {
    browser.configure(json!({
        "mode": "sandbox",
        "sites": SITES,
        "log": {"maxEntries": LOG_ENTRIES},
    }))?;
    let url = server.url("/site-integration.html");
    browser.goto(&url)?;
    e2e::site::site_log_with(browser, "getVisitorNumber", WAIT)?;
    let page = browser.current_tab()?;
    let tab = browser.tab_id_of(&url)?;

    // Fill the log, 1,500 callbacks a second (under the page gate's rate), 75 a task (under
    // the shim's batch budget of 100).
    browser.eval_with(
        "const total = arguments[0]; window.jwiFilled = 0;\
         const id = setInterval(() => {\
           for (let k = 0; k < 75 && window.jwiFilled < total; k++)\
             jivo_onChangeState('fill-' + window.jwiFilled++);\
           if (window.jwiFilled >= total) clearInterval(id);\
         }, 50);\
         return null;",
        vec![json!(LOG_ENTRIES + 100)],
    )?;
    browser.wait_for("a full log", Duration::from_secs(120), |b| {
        Ok((log_len(b, tab)? >= LOG_ENTRIES).then_some(()))
    })?;

    let panel = new_window(browser)?;
    let panel_path = format!("panel.html?tab={tab}");
    let mut open = Vec::with_capacity(OPENS);
    let mut full = Vec::with_capacity(OPENS);
    for _ in 0..OPENS {
        browser.goto("about:blank")?;
        browser.open_extension_page(&panel_path)?;
        let times = browser.wait_for_js(
            "if (!performance.getEntriesByName('jwi:full').length) return null;\
             return ['open', 'full'].map(n => performance.getEntriesByName('jwi:' + n)[0].startTime);",
            WAIT,
        )?;
        let t: Vec<f64> = times
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        ensure!(t.len() == 2, "marks: {times}");
        open.push(t[0]);
        full.push(t[1]);
        let rows = browser.eval("return document.querySelectorAll('#log-list li').length;")?;
        ensure!(rows.as_u64().unwrap_or(0) > 0, "no rows after opening");
    }
    open.sort_by(f64::total_cmp);
    full.sort_by(f64::total_cmp);

    let mut rounds = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        rounds.push(
            one_round(browser, &page, &panel, round)
                .with_context(|| format!("round {}", round + 1))?,
        );
    }
    Ok(Figures { open, full, rounds })
}

/// Latency, then the burst, with the panel open.
fn one_round(browser: &Browser, page: &str, panel: &str, round: usize) -> Result<Round> {
    let prefix = format!("lat{round}");
    let latency = row_latencies(browser, page, panel, &prefix, LATENCY_EVENTS, "panel")?;

    // The burst.
    browser.eval(PROBE_RESPONSIVENESS)?;
    browser.switch_to(page)?;
    let total = BURST_RATE * BURST_SECONDS;
    let tag = format!("burst{round}");
    browser.eval_with(
        "const [rate, total, tag] = arguments; window.jwiBurst = 0; const start = performance.now();\
         const tick = () => {\
           const due = Math.min(total, Math.floor((performance.now() - start) * rate / 1000));\
           while (window.jwiBurst < due) jivo_onChangeState(tag + '-' + window.jwiBurst++);\
           if (window.jwiBurst < total) setTimeout(tick, 4);\
         };\
         tick(); return null;",
        vec![json!(BURST_RATE), json!(total), json!(tag)],
    )?;
    browser.wait_for_js(
        &format!("return window.jwiBurst >= {total}"),
        Duration::from_secs(BURST_SECONDS as u64 + 30),
    )?;
    browser.switch_to(panel)?;
    // The panel has shown the burst's last row (or given up waiting after WAIT).
    let last_row = format!("\"{tag}-{}\"", total - 1);
    browser.wait_for("the burst's last row in the panel", WAIT, |b| {
        let text = b.eval(
            "const l = document.getElementById('log-list').lastElementChild;\
             return l ? l.textContent : '';",
        )?;
        Ok(text
            .as_str()
            .is_some_and(|t| t.contains(&last_row))
            .then_some(()))
    })?;
    let probe = browser.eval("window.jwiProbe.on = false; return window.jwiProbe;")?;
    if std::env::var_os("JWI_BENCH_DEBUG").is_some() {
        eprintln!("round {round}: long tasks [start, ms]: {}", probe["tasks"]);
    }
    let rows = browser.eval("return document.querySelectorAll('#log-list li').length;")?;
    Ok(Round {
        latency_median: percentile(&latency, 50.0),
        latency_p95: percentile(&latency, 95.0),
        longest_task: probe["longestTask"].as_f64(),
        frame_gap: probe["frameGap"].as_f64().unwrap_or(f64::NAN),
        timer_gap: probe["timerGap"].as_f64().unwrap_or(f64::NAN),
        rows: rows.as_u64().unwrap_or(0),
    })
}

/// `median (min–max)` of `values`, in whole ms.
fn spread(values: &[f64]) -> String {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    if v.is_empty() {
        return "n/a".into();
    }
    v.sort_by(f64::total_cmp);
    format!(
        "{:.0} ({:.0}–{:.0})",
        percentile(&v, 50.0),
        v[0],
        v[v.len() - 1]
    )
}

/// Prints this table.
pub fn table() -> Result<()> {
    let mut all = Vec::new();
    let only = std::env::var("JWI_BENCH_BROWSER").ok();
    for kind in crate::browsers() {
        if only.as_deref().is_some_and(|b| b != kind.name()) {
            continue;
        }
        all.push((kind, super::in_browser(kind, measure)?));
    }
    println!(
        "DevTools panel with {LOG_ENTRIES} entries in the log: open ({OPENS} opens: newest rows \
         painted / whole log painted); per round ({ROUNDS}): callback → row ({LATENCY_EVENTS} \
         callbacks, 10/s) and a burst of {BURST_RATE} callbacks/s for {BURST_SECONDS} s; \
         median (min–max) in ms"
    );
    println!("| browser  | open | open, whole log | callback→row median | callback→row p95 | burst longest task | burst longest frame gap | burst longest timer gap | rows after burst |");
    println!("|----------|------|-----------------|---------------------|------------------|--------------------|-------------------------|-------------------------|------------------|");
    for (kind, f) in &all {
        let of = |get: fn(&Round) -> f64| -> Vec<f64> { f.rounds.iter().map(get).collect() };
        let tasks: Vec<f64> = f.rounds.iter().filter_map(|r| r.longest_task).collect();
        let rows: Vec<f64> = f.rounds.iter().map(|r| r.rows as f64).collect();
        println!(
            "| {:<8} | {} | {} | {} | {} | {} | {} | {} | {} |",
            kind.name(),
            spread(&f.open),
            spread(&f.full),
            spread(&of(|r| r.latency_median)),
            spread(&of(|r| r.latency_p95)),
            spread(&tasks),
            spread(&of(|r| r.frame_gap)),
            spread(&of(|r| r.timer_gap)),
            spread(&rows),
        );
    }
    Ok(())
}
