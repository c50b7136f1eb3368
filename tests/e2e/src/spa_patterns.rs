//! The SPA conformance patterns, shared by the end-to-end suite (`tests/scenarios/spa.rs`) and
//! the benchmark (`bench spa`).
//!
//! Each [`Pattern`] is one way single-page apps change their URL and title, played in the page
//! by `tests/fixtures/spa-patterns.js` (`spaRun(name)`), with the exact `sendPageTitle` calls
//! the rules of `src/spa` say it must produce ([`Pattern::expected`]). [`run`] plays a pattern on
//! a fresh page and collects what the widget received ([`Outcome`]); [`Outcome::check`] compares.
//!
//! ```no_run
//! use e2e::spa_patterns::{self, Mode};
//! # fn f(ctx: &e2e::runner::Ctx) -> anyhow::Result<()> {
//! let pattern = spa_patterns::find("title_before_push")?;
//! let outcome = spa_patterns::run(&ctx.browser, &ctx.server, Mode::Sandbox, pattern)?;
//! outcome.check(pattern)?;
//! # Ok(()) }
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use serde_json::{json, Value};

use crate::browser::Browser;
use crate::server::{Response, Server};

/// Where the widget is and how its `sendPageTitle` calls are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The built-in sandbox widget: the calls are the stored visitor record's `pages`
    /// (`storage.local["sandbox:<origin>"].record.pages`), each with its `timeMs` (`Date.now()`).
    Sandbox,
    /// JivoChat mode with the fake loader (`tests/fixtures/fake-loader.js`) as the widget: the
    /// calls are what it recorded in the page (`fakeJivo.pages`, with `Date.now()` and
    /// `performance.now()`).
    JivoChat,
}

impl Mode {
    /// Both modes.
    pub const ALL: [Mode; 2] = [Mode::Sandbox, Mode::JivoChat];

    /// The `mode` value of the settings, also used in scenario names.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Sandbox => "sandbox",
            Mode::JivoChat => "jivochat",
        }
    }
}

/// The widget ID of JivoChat mode; the fake loader is served at `/loader/<id>.js`.
pub const WIDGET_ID: &str = "SpaWidget42";

/// The settle window the settings give when a pattern does not depend on its length: short, so
/// the suite waits less, yet long enough that a loaded machine keeps a pattern's steps (20 ms
/// apart at most) inside it.
pub const SHORT_SETTLE_MS: u32 = 200;

/// The default settle window (`spa.settleMs`), used by the patterns that define the rules.
pub const DEFAULT_SETTLE_MS: u32 = 500;

/// How long after a pattern's last change the suite keeps waiting for further calls, beyond
/// the settle window (the latest a call can be due).
pub const QUIET_MARGIN_MS: u64 = 200;

/// One expected `sendPageTitle(title, true, url)` call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    /// The title.
    pub title: &'static str,
    /// The URL's path, query and fragment. A trailing `*` matches any rest (for values that
    /// depend on timing, such as the scroll position at the moment a settle window closes).
    pub url: &'static str,
}

const fn call(title: &'static str, url: &'static str) -> Expected {
    Expected { title, url }
}

/// A way single-page apps change their URL and title, and the calls it must produce.
#[derive(Clone, Copy, Debug)]
pub struct Pattern {
    /// The pattern's name in `spa-patterns.js` (and in scenario names).
    pub name: &'static str,
    /// The page it starts on (path on the fixture server, with query and fragment).
    pub start: &'static str,
    /// The settle window it runs with (`spa.settleMs`).
    pub settle_ms: u32,
    /// Every `sendPageTitle` call it must produce, in order, and no other.
    pub expected: &'static [Expected],
    /// Whether one run is one navigation that changes both the title and the URL and must give
    /// exactly one call, of the final state, at once: the benchmark's latency loop plays these.
    pub both_change: bool,
    /// What it checks, for reports.
    pub about: &'static str,
}

/// The deferred bundle of `spa-deferred.html`, and how late the fixture server sends it.
pub const SLOW_SCRIPT: (&str, Duration) = ("/spa-deferred-app.js", Duration::from_millis(1000));

const START: &str = "/spa-patterns.html";
const START_TITLE: &str = "Start page";

/// Every pattern of the suite, in run order.
pub const PATTERNS: &[Pattern] = &[
    Pattern {
        name: "title_before_push",
        start: START,
        settle_ms: SHORT_SETTLE_MS,
        expected: &[call("About", "/spa/about")],
        both_change: true,
        about: "the title is set, then the URL pushed: one call on the push",
    },
    Pattern {
        name: "title_right_after_push",
        start: START,
        settle_ms: SHORT_SETTLE_MS,
        expected: &[call("Products", "/spa/products")],
        both_change: true,
        about: "push, then the title in the same task: one call on the title",
    },
    Pattern {
        name: "title_50ms_after_push",
        start: START,
        settle_ms: DEFAULT_SETTLE_MS,
        expected: &[call("Fifty", "/spa/fifty")],
        both_change: true,
        about: "the title 50 ms after the push, inside the window: one call on the title",
    },
    Pattern {
        name: "title_300ms_after_push",
        start: START,
        settle_ms: DEFAULT_SETTLE_MS,
        expected: &[call("Slower", "/spa/slower")],
        both_change: false,
        about: "the title 300 ms after the push, inside the 500 ms window: one call on the title",
    },
    Pattern {
        name: "title_1500ms_after_push",
        start: START,
        settle_ms: DEFAULT_SETTLE_MS,
        expected: &[
            call(START_TITLE, "/spa/slowest"),
            call("Slowest", "/spa/slowest"),
        ],
        both_change: false,
        about: "the title 1.5 s after the push: the URL with the old title when the window \
                closes, then the late title on its own",
    },
    Pattern {
        name: "push_then_replace",
        start: START,
        settle_ms: SHORT_SETTLE_MS,
        expected: &[call("New", "/spa/new")],
        both_change: true,
        about: "a redirect (push, replace, then the title): one call of the final URL",
    },
    Pattern {
        name: "three_quick_pushes",
        start: START,
        settle_ms: SHORT_SETTLE_MS,
        expected: &[call("C", "/spa/c")],
        both_change: true,
        about: "three pushes 20 ms apart, then the title: one call of the last",
    },
    Pattern {
        name: "replace_state_same_url",
        start: START,
        settle_ms: SHORT_SETTLE_MS,
        expected: &[],
        both_change: false,
        about: "replaceState keeping the URL, and the same title set again: no call",
    },
    Pattern {
        name: "back_and_forward",
        start: START,
        settle_ms: SHORT_SETTLE_MS,
        expected: &[
            call("About", "/spa/about"),
            call(START_TITLE, START),
            call("About", "/spa/about"),
        ],
        both_change: false,
        about: "push, back, forward (the router restores each title on popstate): one call each",
    },
    Pattern {
        name: "hash_route",
        start: "/spa-patterns.html#/a",
        settle_ms: SHORT_SETTLE_MS,
        expected: &[call("Route b", "/spa-patterns.html#/b")],
        both_change: true,
        about: "a hash route #/a → #/b with its title: one call",
    },
    Pattern {
        name: "anchor",
        start: START,
        settle_ms: SHORT_SETTLE_MS,
        expected: &[],
        both_change: false,
        about: "an in-page anchor (#section): the same page, no call",
    },
    Pattern {
        name: "query_only",
        start: START,
        settle_ms: SHORT_SETTLE_MS,
        expected: &[call(START_TITLE, "/spa-patterns.html?page=2")],
        both_change: false,
        about: "only the query changes, the title stays: one call when the window closes",
    },
    Pattern {
        name: "same_url_again",
        start: START,
        settle_ms: SHORT_SETTLE_MS,
        expected: &[call("About", "/spa/about")],
        both_change: false,
        about: "a navigation, then the same URL and title pushed again: one call",
    },
    Pattern {
        name: "title_flicker",
        start: START,
        settle_ms: DEFAULT_SETTLE_MS,
        expected: &[],
        both_change: false,
        about: "the title changes and comes back 100 ms later, inside the window: no call",
    },
    Pattern {
        name: "scroll_replace",
        start: START,
        settle_ms: DEFAULT_SETTLE_MS,
        expected: &[
            call(START_TITLE, "/spa-patterns.html?y=*"),
            call(START_TITLE, "/spa-patterns.html?y=*"),
            call(START_TITLE, "/spa-patterns.html?y=*"),
            call(START_TITLE, "/spa-patterns.html?y=119"),
        ],
        both_change: false,
        about: "replaceState 60 times a second for 2 s: one call per 500 ms window (the URL at \
                its close), the last with the final URL",
    },
    Pattern {
        name: "page_wraps_push_state",
        start: START,
        settle_ms: SHORT_SETTLE_MS,
        expected: &[call("Wrapped", "/spa/wrapped")],
        both_change: true,
        about: "the page wraps pushState itself and sets the title from its own event: one call",
    },
    Pattern {
        name: "destroy_navigate_init",
        start: START,
        settle_ms: SHORT_SETTLE_MS,
        expected: &[call("Back", "/spa/back")],
        both_change: false,
        about: "jivo_destroy, a navigation, jivo_init (the widget loads on the new page), then \
                a navigation: only the last is called",
    },
    Pattern {
        name: "before_load",
        start: "/spa-patterns.html?early",
        settle_ms: SHORT_SETTLE_MS,
        expected: &[call("After", "/spa/after")],
        both_change: false,
        about: "a navigation while the page is parsed, before the widget loads (it loads on the \
                new page): no call for it; a later navigation is called",
    },
    Pattern {
        name: "slow_deferred_script",
        start: "/spa-deferred.html",
        settle_ms: SHORT_SETTLE_MS,
        expected: &[call("Deferred", "/spa/deferred")],
        both_change: false,
        about: "the page's deferred bundle arrives 1 s late, so the widget can load after \
                parsing but before DOMContentLoaded: no call at load; a navigation is called",
    },
];

/// The pattern named `name`.
pub fn find(name: &str) -> Result<&'static Pattern> {
    PATTERNS
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| anyhow!("no SPA pattern named {name:?}"))
}

/// A `sendPageTitle` call (or the peer's pageview) as received.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The title.
    pub title: String,
    /// The URL's path, query and fragment (the origin removed).
    pub url: String,
    /// When, in ms since the Unix epoch (`Date.now()`, whole ms in sandbox mode).
    pub at: f64,
    /// When, on the page's `performance.now()` clock, when known (the peer's pageviews).
    pub perf: Option<f64>,
}

/// The page's state right after its last change (`spa.last` in the fixture).
#[derive(Clone, Debug, PartialEq)]
pub struct Final {
    /// The title.
    pub title: String,
    /// The URL's path, query and fragment.
    pub url: String,
    /// `Date.now()` right after the change.
    pub at: f64,
    /// `performance.now()` right after the change.
    pub perf: f64,
}

impl Final {
    /// Reads a final state as returned by `spaRun`.
    pub fn from_json(v: &Value) -> Result<Final> {
        if let Some(err) = v.get("error") {
            bail!("the pattern failed in the page: {err}");
        }
        let text = |k: &str| {
            v[k].as_str()
                .map(str::to_owned)
                .ok_or_else(|| anyhow!("final state without {k}: {v}"))
        };
        let num = |k: &str| {
            v[k].as_f64()
                .ok_or_else(|| anyhow!("final state without {k}: {v}"))
        };
        Ok(Final {
            title: text("title")?,
            url: path_of(&text("url")?),
            at: num("at")?,
            perf: num("perf")?,
        })
    }
}

/// What one run of a pattern gave.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The widget's `sendPageTitle` calls, in order.
    pub calls: Vec<Call>,
    /// The peer's pageviews (empty unless the peer was served: see `bench spa`).
    pub peer: Vec<Call>,
    /// The page's final state.
    pub last: Final,
}

impl Outcome {
    /// Ok when the widget's calls are exactly the pattern's; else says both sequences.
    pub fn check(&self, pattern: &Pattern) -> Result<()> {
        if matches(pattern.expected, &self.calls, false) {
            return Ok(());
        }
        bail!(
            "{}: sendPageTitle calls {}, expected {} ({})",
            pattern.name,
            show_calls(&self.calls),
            show_expected(pattern.expected),
            pattern.about
        )
    }
}

/// Whether `calls` are exactly `expected`. With `without_fragment` the expected URLs are
/// compared without their fragment (the peer reports `location.pathname + location.search`).
pub fn matches(expected: &[Expected], calls: &[Call], without_fragment: bool) -> bool {
    expected.len() == calls.len()
        && expected.iter().zip(calls).all(|(e, c)| {
            let url = if without_fragment {
                e.url.split('#').next().unwrap_or("")
            } else {
                e.url
            };
            let url_ok = match url.strip_suffix('*') {
                Some(prefix) => c.url.starts_with(prefix),
                None => c.url == url,
            };
            e.title == c.title && url_ok
        })
}

/// `[("About", /spa/about), …]`.
pub fn show_calls(calls: &[Call]) -> String {
    let items: Vec<String> = calls
        .iter()
        .map(|c| format!("({:?}, {})", c.title, c.url))
        .collect();
    format!("[{}]", items.join(", "))
}

/// `[("About", /spa/about), …]`.
pub fn show_expected(expected: &[Expected]) -> String {
    let items: Vec<String> = expected
        .iter()
        .map(|e| format!("({:?}, {})", e.title, e.url))
        .collect();
    format!("[{}]", items.join(", "))
}

/// The path, query and fragment of an absolute URL (`http://h:1/a?b#c` → `/a?b#c`).
pub fn path_of(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => match rest.find('/') {
            Some(i) => rest[i..].to_owned(),
            None => "/".to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The settings for `mode` with the settle window `settle_ms`, matching the fixture pages and a
/// host unique to this call (see [`apply_settings`]); in JivoChat mode the loader is the fake
/// one on `server`.
pub fn settings(server: &Server, mode: Mode, settle_ms: u32, marker: &str) -> Value {
    let mut settings = json!({
        "mode": mode.name(),
        "sites": ["http://127.0.0.1/spa*", marker],
        "spa": { "settleMs": settle_ms },
    });
    if mode == Mode::JivoChat {
        settings["widgetId"] = json!(WIDGET_ID);
        settings["loaderUrl"] = json!(server.url("/loader/{id}.js"));
        settings["siteWidget"] = json!({ "graceMs": crate::SHORT_GRACE_MS });
    }
    settings
}

static SETTINGS_WRITTEN: AtomicU64 = AtomicU64::new(0);

/// Writes the settings and waits until the background has applied them: the registered content
/// scripts match a site rule unique to this write (so an earlier registration, or settings the
/// background has not read yet, cannot pass for them).
pub fn apply_settings(
    browser: &Browser,
    server: &Server,
    mode: Mode,
    settle_ms: u32,
) -> Result<()> {
    write_and_wait(browser, server, mode, settle_ms, Duration::from_secs(15))
}

fn write_and_wait(
    browser: &Browser,
    server: &Server,
    mode: Mode,
    settle_ms: u32,
    timeout: Duration,
) -> Result<()> {
    let n = SETTINGS_WRITTEN.fetch_add(1, Ordering::Relaxed);
    let marker = format!("*://run-{}-{n}.jwi-e2e.invalid/*", std::process::id());
    browser.set_settings(settings(server, mode, settle_ms, &marker))?;
    browser.wait_for_noting(
        "the settings to be applied (content scripts registered for them)",
        timeout,
        |b, seen| {
            let state = b.ext_eval(
                "return Promise.all([api.scripting.getRegisteredContentScripts()\
                 .then(l => l.flatMap(s => s.matches || [])), api.storage.local.get(null)]);",
                vec![],
            )?;
            *seen = state.to_string();
            Ok(state[0]
                .as_array()
                .is_some_and(|m| m.iter().any(|x| x.as_str() == Some(marker.as_str())))
                .then_some(()))
        },
    )
}

/// Opens the pattern's start page and waits for the widget to load on it.
pub fn open(browser: &Browser, server: &Server, pattern: &Pattern) -> Result<()> {
    browser.goto(&server.url(pattern.start))?;
    browser
        .wait_for_js(
            "return window.spa && window.spa.loads > 0",
            Duration::from_secs(10),
        )
        .context("the widget to load (jivo_onLoadCallback)")
        .map(drop)
}

/// Plays `pattern` in the current page (`spaRun`) with `suffix` on its URLs and titles, and
/// returns the final state once the page has made its last change.
pub fn play(browser: &Browser, pattern: &Pattern, suffix: &str) -> Result<Final> {
    let v = browser
        .eval_async_with(
            "spaRun(arguments[0], arguments[1]).then(done, e => done({ error: String(e) }));",
            vec![json!(pattern.name), json!(suffix)],
        )
        .with_context(|| format!("play {}", pattern.name))?;
    Final::from_json(&v)
}

/// The widget's `sendPageTitle` calls so far: on the fixture server's origin in sandbox mode
/// (the latest 50 are kept), in the current page in JivoChat mode.
pub fn calls(browser: &Browser, server: &Server, mode: Mode) -> Result<Vec<Call>> {
    match mode {
        Mode::Sandbox => {
            let stored = browser.storage_get("local", &format!("sandbox:{}", server.origin()))?;
            let pages = stored["record"]["pages"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            Ok(pages
                .iter()
                .map(|p| Call {
                    title: p["title"].as_str().unwrap_or("").to_owned(),
                    url: path_of(p["url"].as_str().unwrap_or("")),
                    at: p["timeMs"].as_f64().unwrap_or(f64::NAN),
                    perf: None,
                })
                .collect())
        }
        Mode::JivoChat => {
            let pages = browser.eval("return (window.fakeJivo && window.fakeJivo.pages) || [];")?;
            Ok(pages
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|p| Call {
                    title: p["title"].as_str().unwrap_or("").to_owned(),
                    url: path_of(p["url"].as_str().unwrap_or("")),
                    at: p["at"].as_f64().unwrap_or(f64::NAN),
                    perf: p["perf"].as_f64(),
                })
                .collect())
        }
    }
}

/// The peer's pageviews in the current page, from the `from`-th on.
pub fn peer_calls(browser: &Browser, from: usize) -> Result<Vec<Call>> {
    let hits = browser.eval_with(
        "return (window.spaPeer && window.spaPeer.hits || []).slice(arguments[0]);",
        vec![json!(from)],
    )?;
    Ok(hits
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|h| Call {
            title: h["title"].as_str().unwrap_or("").to_owned(),
            url: h["page"].as_str().unwrap_or("").to_owned(),
            at: h["at"].as_f64().unwrap_or(f64::NAN),
            perf: h["perf"].as_f64(),
        })
        .collect())
}

/// Serves what the fixture pages need on `server`: the late deferred bundle
/// ([`SLOW_SCRIPT`]) and, in JivoChat mode, the fake loader.
pub fn serve(server: &Server, mode: Mode) -> Result<()> {
    let (path, delay) = SLOW_SCRIPT;
    server.route(
        path,
        Response::js("window.spa.deferredRan = true;").delay(delay),
    );
    if mode == Mode::JivoChat {
        let loader = crate::server::fixtures_dir().join("fake-loader.js");
        let js = std::fs::read_to_string(&loader)
            .with_context(|| format!("read {}", loader.display()))?;
        server.route(&format!("/loader/{WIDGET_ID}.js"), Response::js(js));
    }
    Ok(())
}

/// Plays `pattern` once, from settings to calls: applies its settings, opens its start page,
/// plays it, waits until no further call can be due (the settle window plus
/// [`QUIET_MARGIN_MS`] after the last change, without touching the page), then reads the calls
/// (waiting up to 5 s for as many as expected to be stored).
///
/// Expects a clean slate (no calls stored for the origin): the e2e runner's reset, or
/// [`Browser::reset`].
pub fn run(browser: &Browser, server: &Server, mode: Mode, pattern: &Pattern) -> Result<Outcome> {
    serve(server, mode)?;
    apply_settings(browser, server, mode, pattern.settle_ms)?;
    open(browser, server, pattern)?;
    let last = play(browser, pattern, "")?;
    std::thread::sleep(Duration::from_millis(
        u64::from(pattern.settle_ms) + QUIET_MARGIN_MS,
    ));
    let peer = peer_calls(browser, 0)?;
    let want = pattern.expected.len();
    let deadline = Instant::now() + Duration::from_secs(5);
    let calls = loop {
        let got = calls(browser, server, mode)?;
        if got.len() >= want || Instant::now() >= deadline {
            break got;
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    Ok(Outcome { calls, peer, last })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(title: &str, url: &str) -> Call {
        Call {
            title: title.into(),
            url: url.into(),
            at: 0.0,
            perf: None,
        }
    }

    #[test]
    fn names_are_unique_and_in_the_fixture() {
        let js = std::fs::read_to_string(crate::server::fixtures_dir().join("spa-patterns.js"))
            .expect("spa-patterns.js");
        for (i, p) in PATTERNS.iter().enumerate() {
            assert!(
                PATTERNS[..i].iter().all(|q| q.name != p.name),
                "{} twice",
                p.name
            );
            assert!(
                js.contains(&format!("    {}: ", p.name)),
                "{} not in spa-patterns.js",
                p.name
            );
        }
    }

    #[test]
    fn matching_is_exact_with_a_trailing_wildcard() {
        let e = [call("T", "/a?y=*"), call("T", "/b")];
        assert!(matches(&e, &[c("T", "/a?y=3"), c("T", "/b")], false));
        assert!(!matches(&e, &[c("T", "/a?y=3"), c("T", "/b?x")], false));
        assert!(!matches(&e, &[c("T", "/a?y=3")], false));
        assert!(!matches(&e, &[c("U", "/a?y=3"), c("T", "/b")], false));
        let h = [call("R", "/p.html#/b")];
        assert!(!matches(&h, &[c("R", "/p.html")], false));
        assert!(matches(&h, &[c("R", "/p.html")], true));
    }

    #[test]
    fn paths_of_urls() {
        assert_eq!(path_of("http://127.0.0.1:80/a?b=1#c"), "/a?b=1#c");
        assert_eq!(path_of("https://x.example"), "/");
        assert_eq!(path_of("/already"), "/already");
    }
}
