//! `bench spa`: per browser and mode, the SPA suite's score (patterns of
//! [`e2e::spa_patterns::PATTERNS`] whose `sendPageTitle` calls matched exactly, each on a fresh
//! page) and the latency from the moment a navigation's final title and URL are both in the DOM to
//! the call, over [`NAVIGATIONS`] navigations that change both; and the same for a peer run side
//! by side on the same pages: Google's autotrack `urlChangeTracker` (npm `autotrack`) with a stub
//! `ga` that records each pageview's page and title (`tests/fixtures/spa-peer.js`).

use std::path::Path;

use anyhow::{Context as _, Result};
use e2e::browser::{Browser, BrowserKind};
use e2e::server::{Response, Server};
use e2e::spa_patterns::{self, Call, Final, Mode, Pattern, PATTERNS};
use serde_json::json;

use crate::percentile;

/// Navigations in the SPA latency loop, per browser and mode.
const NAVIGATIONS: usize = 200;

/// Navigations per script run of the latency loop (the sandbox keeps the latest 50 calls).
const BATCH: usize = 20;

/// The pause after each navigation of the latency loop: longer than the report interval of the
/// rate limit (500 ms), so the limit never holds a call back.
const GAP_MS: u64 = 520;

/// One tracker's figures for one browser and mode.
#[derive(Default)]
struct Figures {
    /// Names of the patterns whose calls matched exactly.
    exact: Vec<&'static str>,
    /// One line per pattern that did not match: what came, what was expected.
    mismatches: Vec<String>,
    /// Latency of each navigation whose final state was called, in ms.
    latencies: Vec<f64>,
    /// Navigations played in the latency loop.
    navigations: usize,
}

impl Figures {
    fn row(&mut self, kind: BrowserKind, mode: Mode, tracker: &str) -> String {
        self.latencies.sort_by(|a, b| a.total_cmp(b));
        format!(
            "| {:<8} | {:<8} | {:<26} | {:>5}/{:<2} | {:>9.1} | {:>6.1} | {:>6.1} | {:>9}/{:<3} |",
            kind.name(),
            mode.name(),
            tracker,
            self.exact.len(),
            PATTERNS.len(),
            percentile(&self.latencies, 50.0),
            percentile(&self.latencies, 95.0),
            self.latencies.last().copied().unwrap_or(f64::NAN),
            self.latencies.len(),
            self.navigations,
        )
    }
}

/// The peer's script: the stub `ga`, autotrack, and the call that requires urlChangeTracker.
fn peer_script() -> Result<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let stub = e2e::server::fixtures_dir().join("spa-peer.js");
    let autotrack = root.join("node_modules/autotrack/autotrack.js");
    let stub = std::fs::read_to_string(&stub).with_context(|| format!("{}", stub.display()))?;
    let autotrack = std::fs::read_to_string(&autotrack)
        .with_context(|| format!("{} (the peer; `npm ci` installs it)", autotrack.display()))?;
    Ok(format!("{stub}\n{autotrack}\nspaPeerStart();\n"))
}

/// Milliseconds from the final state to a call: on `performance.now()` when the call has it,
/// else on `Date.now()` (whole ms). Never below 0: the page stamps its state right after the
/// change, so a call made during the change can precede the stamp by a few microseconds.
fn latency(call: &Call, last: &Final) -> f64 {
    let ms = match call.perf {
        Some(perf) => perf - last.perf,
        None => call.at - last.at,
    };
    ms.max(0.0)
}

/// Runs every pattern once on a fresh page, scoring the extension and the peer.
fn suite(browser: &Browser, server: &Server, mode: Mode, ours: &mut Figures, peer: &mut Figures) {
    for pattern in PATTERNS {
        let outcome = browser
            .reset()
            .and_then(|_| spa_patterns::run(browser, server, mode, pattern));
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(err) => {
                let line = format!("{}: could not run: {err:#}", pattern.name);
                ours.mismatches.push(line.clone());
                peer.mismatches.push(line);
                continue;
            }
        };
        score(pattern, &outcome.calls, false, ours);
        score(pattern, &outcome.peer, true, peer);
    }
}

fn score(pattern: &'static Pattern, calls: &[Call], peer: bool, figures: &mut Figures) {
    if spa_patterns::matches(pattern.expected, calls, peer) {
        figures.exact.push(pattern.name);
    } else {
        figures.mismatches.push(format!(
            "{}: {} (expected {})",
            pattern.name,
            spa_patterns::show_calls(calls),
            spa_patterns::show_expected(pattern.expected)
        ));
    }
}

/// Plays [`NAVIGATIONS`] navigations that change both title and URL on one page (default
/// settings), and measures each tracker's latency.
fn latency_loop(
    browser: &Browser,
    server: &Server,
    mode: Mode,
    ours: &mut Figures,
    peer: &mut Figures,
) -> Result<()> {
    let names: Vec<&str> = PATTERNS
        .iter()
        .filter(|p| p.both_change)
        .map(|p| p.name)
        .collect();
    let start = spa_patterns::find("title_before_push")?;
    browser.reset()?;
    spa_patterns::serve(server, mode)?;
    spa_patterns::apply_settings(browser, server, mode, spa_patterns::DEFAULT_SETTLE_MS)?;
    spa_patterns::open(browser, server, start)?;
    let mut peer_seen = 0;
    let mut first = 0;
    while first < NAVIGATIONS {
        let count = BATCH.min(NAVIGATIONS - first);
        let finals = browser.eval_async_with(
            "spaLoop(arguments[0], arguments[1], arguments[2], arguments[3])\
             .then(done, e => done([{ error: String(e) }]));",
            vec![json!(names), json!(first), json!(count), json!(GAP_MS)],
        )?;
        let finals = finals
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(Final::from_json)
            .collect::<Result<Vec<_>>>()?;
        let peer_calls = spa_patterns::peer_calls(browser, peer_seen)?;
        peer_seen += peer_calls.len();
        let our_calls = spa_patterns::calls(browser, server, mode)?;
        for last in &finals {
            let called = |c: &&Call| c.title == last.title && c.url == last.url;
            if let Some(call) = our_calls.iter().find(called) {
                ours.latencies.push(latency(call, last));
            }
            let page = last.url.split('#').next().unwrap_or("");
            if let Some(call) = peer_calls
                .iter()
                .find(|c| c.title == last.title && c.url == page)
            {
                peer.latencies.push(latency(call, last));
            }
        }
        ours.navigations += finals.len();
        peer.navigations += finals.len();
        first += count;
    }
    Ok(())
}

pub fn table() -> Result<()> {
    let peer_js = peer_script()?;
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for kind in crate::browsers() {
        let server = Server::start()?;
        let browser = Browser::launch(kind, &e2e::extension_dir(kind))
            .with_context(|| format!("launching {}", kind.name()))?;
        for mode in Mode::ALL {
            server.route("/spa-peer.js", Response::js(peer_js.clone()));
            let mut ours = Figures::default();
            let mut peer = Figures::default();
            suite(&browser, &server, mode, &mut ours, &mut peer);
            if let Err(err) = latency_loop(&browser, &server, mode, &mut ours, &mut peer) {
                notes.push(format!(
                    "{kind} {}: latency loop failed: {err:#}",
                    mode.name()
                ));
            }
            rows.push(ours.row(kind, mode, "Jivo Widget Injector"));
            rows.push(peer.row(kind, mode, "autotrack urlChangeTracker"));
            for (who, figures) in [("extension", &ours), ("autotrack", &peer)] {
                for line in &figures.mismatches {
                    notes.push(format!("{kind} {} {who}: {line}", mode.name()));
                }
            }
        }
        browser.shutdown();
    }
    println!(
        "SPA: sendPageTitle calls ({} patterns, each on a fresh page: how many matched exactly) and \
         latency from the moment a navigation's final title and URL are both in the DOM to the \
         call ({NAVIGATIONS} navigations changing both, on one page, default settings)",
        PATTERNS.len()
    );
    println!("| browser  | mode     | tracker                    | exact    | median ms | p95 ms | max ms | final state called |");
    println!("|----------|----------|----------------------------|----------|-----------|--------|--------|--------------------|");
    for row in rows {
        println!("{row}");
    }
    println!(
        "Latency: the extension's in sandbox mode on Date.now() (whole ms), in JivoChat mode and \
         the peer's on performance.now(). The peer reports location.pathname + search: its URLs \
         are compared without the fragment."
    );
    for note in notes {
        println!("- {note}");
    }
    Ok(())
}
