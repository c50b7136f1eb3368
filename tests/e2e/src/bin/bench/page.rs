//! `bench page`: what a matched page pays for the extension, per browser and widget mode,
//! against the same page unmatched in the same run (issue #13).
//!
//! The page is `tests/fixtures/page-cost.html`: a catalogue whose first script (in the head)
//! notes when it ran and whose last script builds 600 cards. The unmatched twin is the same
//! bytes under another path (`/page-cost-unmatched.html`, which no site rule matches).
//!
//! - **cold**: every sample is a fresh host name (`cold-…test`, resolved to the fixture server),
//!   so each load is a new site and gets a new renderer (content) process: the content script
//!   is compiled from scratch, as on the first page of a site in a new tab.
//! - **warm**: a reload of the same host in the same tab, a process that compiled it before.
//! - Samples alternate matched and unmatched round by round, so a busy machine slows both; the
//!   figure is the median of the per-round differences, with the 25th–75th percentiles.
//! - **first script** is the page's first script's `performance.now()`; **DCL** is
//!   `domContentLoadedEventStart`; both from navigation start.
//! - **parsed**: Chromium: the `length` of every script the page's renderer parsed from the
//!   extension (`Debugger.scriptParsed`, shim included), and of every WebAssembly module it
//!   compiled ("+ N wasm"), on the normal page and under the strict CSP of `/strict/`;
//!   Firefox reports no such event to WebDriver, so there it is the size of the files it
//!   injects (the shim and the content script) and of the wasm they compile.
//! - **memory**: Chromium: the private memory (`smaps_rollup`) of the new renderer of a fresh
//!   host, and its JS heap plus array buffers after a GC; Firefox: the resident unique memory of
//!   the fresh host's content process (`ChromeUtils.requestProcInfo`).
//! - **flood**: 20,000 callbacks in one task (`hostile-flood.html`), without / with, ratio,
//!   medians of 3. Each figure runs from the loop's start to the page's *next task* (a
//!   `MessageChannel` round trip posted after the loop): the shim sends what it queued as one
//!   batch in a microtask at the end of the task, and the content script handles that batch
//!   synchronously inside it, so the figure includes the work taken out of the page's calls. In
//!   parentheses, the loop alone with the extension (what the page's own call paid).
//! - **sync calls**: 20,000 `jivo_api.getUnreadMessagesCount()` in a loop: how many answered
//!   with a number, and the time against the fake JivoChat widget on an unmatched page.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use e2e::browser::{Browser, BrowserKind};
use e2e::server::{Response, Server};
use serde_json::{json, Value};

use crate::devtools;
use crate::hostile::firefox_processes;
use crate::percentile;

const TIMEOUT: Duration = Duration::from_secs(20);
const FLOOD: usize = 20_000;
const SYNC_CALLS: usize = 20_000;
const WIDGET_ID: &str = "BenchWidget";

/// Interleaved rounds of cold and warm samples (`JWI_BENCH_ROUNDS`, default 15).
fn rounds() -> usize {
    std::env::var("JWI_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(15)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Sandbox,
    JivoChat,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Sandbox => "sandbox",
            Mode::JivoChat => "JivoChat",
        }
    }

    fn settings(self) -> Value {
        let sites = json!(["*://*/*hostile-flood.html*", "*://*/*page-cost.html*"]);
        match self {
            Mode::Sandbox => json!({ "mode": "sandbox", "sites": sites }),
            Mode::JivoChat => json!({
                "mode": "jivochat",
                "widgetId": WIDGET_ID,
                "loaderUrl": "http://code.jivosite.com/widget/{id}",
                "loaderTimeoutMs": 15000,
                "sites": sites,
            }),
        }
    }

    /// A script that is true once the widget of this mode answers on a matched page.
    fn widget_ready(self) -> &'static str {
        match self {
            Mode::Sandbox => {
                "return !!(window.jivo_api && typeof jivo_api.getUnreadMessagesCount === 'function');"
            }
            Mode::JivoChat => "return !!(window.fakeJivo && fakeJivo.isLoaded());",
        }
    }
}

/// One load's timings, ms from navigation start.
#[derive(Clone, Copy)]
struct Timing {
    first_script: f64,
    dcl: f64,
}

/// Paired differences (matched − unmatched) for one figure.
#[derive(Default)]
struct Deltas(Vec<f64>);

impl Deltas {
    fn push(&mut self, with: f64, without: f64) {
        self.0.push(with - without);
    }

    /// "median (p25–p75)".
    fn show(&self) -> String {
        let mut v = self.0.clone();
        v.sort_by(|a, b| a.total_cmp(b));
        format!(
            "{:+.1} ({:+.1}…{:+.1})",
            percentile(&v, 50.0),
            percentile(&v, 25.0),
            percentile(&v, 75.0)
        )
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    percentile(&v, 50.0)
}

/// The URL of `path` on `host` (a name the browser sends to the fixture server).
fn on_host(server: &Server, host: &str, path: &str) -> String {
    match host {
        "127.0.0.1" => server.url(path),
        _ => format!("http://{host}{path}"),
    }
}

fn has_shim(browser: &Browser) -> Result<bool> {
    Ok(browser.eval(
        "const d = Object.getOwnPropertyDescriptor(window, 'jivo_onChangeState'); return !!(d && d.get);",
    )? == true)
}

/// Loads `url` (or reloads, when `reload`) and reads the page's timings once its cards are
/// built; checks whether the extension ran on it.
fn load(browser: &Browser, url: &str, reload: bool, matched: bool) -> Result<Timing> {
    if reload {
        browser.reload()?;
    } else {
        browser.goto(url)?;
    }
    let v = browser.wait_for_js(
        "const nav = performance.getEntriesByType('navigation')[0];\
         return window.pageCost && pageCost.cardsBuiltAt && nav && nav.domContentLoadedEventStart > 0\
           ? [pageCost.firstScriptAt, nav.domContentLoadedEventStart] : null;",
        TIMEOUT,
    )?;
    if has_shim(browser)? != matched {
        bail!(
            "the extension {} on {url}",
            if matched { "did not run" } else { "ran" }
        );
    }
    Ok(Timing {
        first_script: v[0].as_f64().context("firstScriptAt")?,
        dcl: v[1].as_f64().context("domContentLoadedEventStart")?,
    })
}

/// First-script and DCL deltas, cold and warm.
#[derive(Default)]
struct Delays {
    first_cold: Deltas,
    dcl_cold: Deltas,
    first_warm: Deltas,
    dcl_warm: Deltas,
}

fn delays(browser: &Browser, server: &Server, mode: Mode, run: &str) -> Result<Delays> {
    let mut out = Delays::default();
    let cold_tab = browser.current_tab()?;
    let warm_with_tab = browser.new_tab()?;
    let warm_with = on_host(server, &format!("warm-m-{run}.test"), "/page-cost.html");
    load(browser, &warm_with, false, true)?;
    let warm_without_tab = browser.new_tab()?;
    let warm_without = on_host(
        server,
        &format!("warm-u-{run}.test"),
        "/page-cost-unmatched.html",
    );
    load(browser, &warm_without, false, false)?;
    for round in 0..rounds() {
        browser.switch_to(&cold_tab)?;
        let with = load(
            browser,
            &on_host(
                server,
                &format!("cold-m-{run}-{round}.test"),
                "/page-cost.html",
            ),
            false,
            true,
        )?;
        let without = load(
            browser,
            &on_host(
                server,
                &format!("cold-u-{run}-{round}.test"),
                "/page-cost-unmatched.html",
            ),
            false,
            false,
        )?;
        out.first_cold.push(with.first_script, without.first_script);
        out.dcl_cold.push(with.dcl, without.dcl);
        browser.switch_to(&warm_with_tab)?;
        let with = load(browser, &warm_with, true, true)?;
        browser.switch_to(&warm_without_tab)?;
        let without = load(browser, &warm_without, true, false)?;
        out.first_warm.push(with.first_script, without.first_script);
        out.dcl_warm.push(with.dcl, without.dcl);
    }
    let _ = mode;
    for tab in [&warm_with_tab, &warm_without_tab] {
        browser.switch_to(tab)?;
        browser.close_tab()?;
    }
    browser.switch_to(&cold_tab)?;
    Ok(out)
}

/// The browser's DevTools address (Chromium).
fn debugger_address(browser: &Browser) -> Result<String> {
    Ok(
        browser.session().capabilities()["goog:chromeOptions"]["debuggerAddress"]
            .as_str()
            .context("no debuggerAddress in the session's capabilities")?
            .to_owned(),
    )
}

/// A DevTools connection to the current tab (chromedriver's window handle is the target id).
fn tab_devtools(browser: &Browser) -> Result<devtools::WebSocket> {
    let addr = debugger_address(browser)?;
    let handle = browser.current_tab()?;
    let targets: Value = serde_json::from_str(&devtools::http_get(&addr, "/json/list")?)?;
    let ws = targets
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["id"] == handle.as_str())
        .and_then(|t| t["webSocketDebuggerUrl"].as_str())
        .with_context(|| format!("no DevTools target for tab {handle}"))?
        .to_owned();
    devtools::WebSocket::connect(&addr, &devtools::ws_path(&ws)?)
}

/// Bytes of extension script, and of WebAssembly, the page's renderer parsed for one load of
/// `path` (Chromium). The page-cost pages have no wasm of their own.
fn parsed_bytes(browser: &Browser, server: &Server, host: &str, path: &str) -> Result<Parsed> {
    // A same-site page first, so the load measured stays in the renderer the debugger is on.
    let before = if path.starts_with("/strict/") {
        "/strict/page-cost-unmatched.html"
    } else {
        "/page-cost-unmatched.html"
    };
    load(browser, &on_host(server, host, before), false, false)?;
    let mut socket = tab_devtools(browser)?;
    socket.call("Debugger.enable", json!({}))?;
    socket.events.clear();
    load(browser, &on_host(server, host, path), false, true)?;
    socket.collect(Duration::from_millis(1500))?;
    let prefix = browser.extension_url("");
    let mut parsed = Parsed::default();
    for e in socket
        .events
        .iter()
        .filter(|e| e["method"] == "Debugger.scriptParsed")
    {
        let length = e["params"]["length"].as_u64().unwrap_or(0);
        if e["params"]["scriptLanguage"] == "WebAssembly" {
            parsed.wasm += length;
        } else if e["params"]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with(&prefix))
        {
            parsed.js += length;
        }
    }
    let _ = socket.call("Debugger.disable", json!({}));
    Ok(parsed)
}

/// What a page's renderer parsed of the extension, in bytes.
#[derive(Default)]
struct Parsed {
    js: u64,
    wasm: u64,
}

impl std::fmt::Display for Parsed {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{:.0}", self.js as f64 / 1024.0)?;
        if self.wasm > 0 {
            write!(f, " + {:.0} wasm", self.wasm as f64 / 1024.0)?;
        }
        Ok(())
    }
}

/// Sizes of the files the browser injects into a matched page in `mode`, and of the wasm
/// they compile (Firefox: JivoChat mode's bundle is the one without the sandbox; a build from
/// before 2026-12-06, measured as *before*, has only the whole one).
fn injected_file_bytes(dir: &std::path::Path, mode: Mode) -> Parsed {
    let size = |f: &str| std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
    let (script, wasm) = match mode {
        Mode::JivoChat if dir.join("content/jivochat.js").exists() => {
            ("content/jivochat.js", "content/jivochat_bg.wasm")
        }
        _ => ("content/content.js", "content/content_bg.wasm"),
    };
    Parsed {
        js: size("shim.js") + size(script),
        wasm: size(wasm),
    }
}

/// Private memory of a process, from `/proc/PID/smaps_rollup`, in bytes.
fn private_bytes(pid: u64) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let kb: u64 = text
        .lines()
        .filter(|l| l.starts_with("Private_Clean:") || l.starts_with("Private_Dirty:"))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum();
    Some(kb as f64 * 1024.0)
}

/// This Chromium's page renderers (not extension processes): pid → CPU seconds so far.
fn page_renderers(browser: &Browser) -> Result<BTreeMap<u64, f64>> {
    let addr = debugger_address(browser)?;
    let version: Value = serde_json::from_str(&devtools::http_get(&addr, "/json/version")?)?;
    let ws = version["webSocketDebuggerUrl"]
        .as_str()
        .context("no browser target")?;
    let mut socket = devtools::WebSocket::connect(&addr, &devtools::ws_path(ws)?)?;
    let info = socket.call("SystemInfo.getProcessInfo", json!({}))?;
    Ok(info["processInfo"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["type"] == "renderer")
        .filter_map(|p| Some((p["id"].as_u64()?, p["cpuTime"].as_f64().unwrap_or(0.0))))
        .filter(|(pid, _)| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| !String::from_utf8_lossy(&c).contains("--extension-process"))
                .unwrap_or(false)
        })
        .collect())
}

/// (private bytes of the page's process, JS heap bytes or NaN) after a load of `path` on a
/// fresh `host` and a pause.
fn memory_of_fresh_load(
    browser: &Browser,
    server: &Server,
    host: &str,
    path: &str,
    matched: bool,
    mode: Mode,
) -> Result<(f64, f64)> {
    let before = match browser.kind() {
        BrowserKind::Chromium => page_renderers(browser)?,
        BrowserKind::Firefox => BTreeMap::new(),
    };
    load(browser, &on_host(server, host, path), false, matched)?;
    if matched {
        browser.wait_for_js(mode.widget_ready(), TIMEOUT)?;
    }
    std::thread::sleep(Duration::from_millis(1500));
    match browser.kind() {
        BrowserKind::Chromium => {
            let mut socket = tab_devtools(browser)?;
            socket.call("HeapProfiler.collectGarbage", json!({}))?;
            let usage = socket.call("Runtime.getHeapUsage", json!({}))?;
            let heap = usage["usedSize"].as_f64().unwrap_or(f64::NAN)
                + usage["backingStorageSize"].as_f64().unwrap_or(0.0);
            // The page's renderer is the one that worked during the load (Chromium keeps a
            // spare renderer, which the navigation takes, and starts a new idle spare).
            let after = page_renderers(browser)?;
            let busiest = after
                .iter()
                .map(|(pid, cpu)| (*pid, cpu - before.get(pid).copied().unwrap_or(0.0)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .context("no page renderer")?;
            let private = private_bytes(busiest.0).context("reading smaps_rollup")?;
            Ok((private, heap))
        }
        BrowserKind::Firefox => {
            let procs = firefox_processes(browser)?;
            let private = procs
                .iter()
                .filter(|p| p["origin"].as_str().unwrap_or_default().contains(host))
                .filter_map(|p| p["memory"].as_f64())
                .reduce(f64::max)
                .with_context(|| format!("no content process for {host}"))?;
            Ok((private, f64::NAN))
        }
    }
}

/// The 20,000-callback flood until the page's next task: (ms without, ms with, ms of the loop
/// alone with), medians of 3.
fn flood(browser: &Browser, server: &Server, mode: Mode, run: &str) -> Result<(f64, f64, f64)> {
    let (mut without, mut with, mut with_loop) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..3 {
        browser.goto(&on_host(
            server,
            &format!("flood-u-{run}-{i}.test"),
            "/hostile-flood-unmatched.html",
        ))?;
        browser.wait_for_js("return !!window.hostile;", TIMEOUT)?;
        let v = browser.eval(&format!("return hostile.flood({FLOOD});"))?;
        without.push(v["ms"].as_f64().context("flood without")?);
        browser.goto(&on_host(
            server,
            &format!("flood-m-{run}-{i}.test"),
            "/hostile-flood.html",
        ))?;
        browser.wait_for_js(mode.widget_ready(), TIMEOUT)?;
        if !has_shim(browser)? {
            bail!("the extension did not run on the flood page");
        }
        let v = browser.eval(&format!("return hostile.flood({FLOOD});"))?;
        with.push(v["ms"].as_f64().context("flood with")?);
        with_loop.push(v["loopMs"].as_f64().context("flood loop with")?);
    }
    Ok((median(without), median(with), median(with_loop)))
}

/// 20,000 synchronous calls of the fake JivoChat widget on an unmatched page, in ms. Measured
/// with no site rule at all: the sandbox holds JivoChat loaders back on the hosts its rules name
/// (here every host), which would stop this page's own loader.
fn sync_calls_without(browser: &Browser, server: &Server, run: &str) -> Result<f64> {
    browser.configure(json!({ "mode": "sandbox", "sites": [] }))?;
    browser.goto(&on_host(
        server,
        &format!("own-{run}.test"),
        "/page-cost-own.html",
    ))?;
    browser.wait_for_js(Mode::JivoChat.widget_ready(), TIMEOUT)?;
    let v = browser.eval(&format!("return pageCost.syncCalls({SYNC_CALLS});"))?;
    v["ms"].as_f64().context("sync calls without")
}

/// 20,000 synchronous calls on a matched page: (answered with a number, ms).
fn sync_calls(browser: &Browser, server: &Server, mode: Mode, run: &str) -> Result<(u64, f64)> {
    browser.goto(&on_host(
        server,
        &format!("sync-{run}.test"),
        "/page-cost.html",
    ))?;
    browser.wait_for_js(mode.widget_ready(), TIMEOUT)?;
    let v = browser.eval(&format!("return pageCost.syncCalls({SYNC_CALLS});"))?;
    Ok((
        v["answered"].as_u64().unwrap_or(0),
        v["ms"].as_f64().context("sync calls with")?,
    ))
}

/// Everything one mode measured in one browser.
struct Row {
    parsed: String,
    delays: Delays,
    memory: String,
    flood: (f64, f64, f64),
    sync: (u64, f64, f64),
}

fn measure(browser: &Browser, server: &Server, mode: Mode) -> Result<Row> {
    let run = mode.name().to_ascii_lowercase();
    let sync_without = sync_calls_without(browser, server, &run)?;
    browser.configure(mode.settings())?;
    let parsed = match browser.kind() {
        BrowserKind::Chromium => {
            let normal = parsed_bytes(
                browser,
                server,
                &format!("bytes-{run}.test"),
                "/page-cost.html",
            )?;
            let strict = parsed_bytes(
                browser,
                server,
                &format!("strict-{run}.test"),
                "/strict/page-cost.html",
            )?;
            format!("{normal} / {strict}")
        }
        BrowserKind::Firefox => {
            format!(
                "{} (files)",
                injected_file_bytes(browser.extension_dir(), mode)
            )
        }
    };
    let delays = delays(browser, server, mode, &run)?;
    let (mut private, mut heap) = (Deltas::default(), Deltas::default());
    for i in 0..5 {
        let (p_with, h_with) = memory_of_fresh_load(
            browser,
            server,
            &format!("mem-m-{run}-{i}.test"),
            "/page-cost.html",
            true,
            mode,
        )?;
        let (p_without, h_without) = memory_of_fresh_load(
            browser,
            server,
            &format!("mem-u-{run}-{i}.test"),
            "/page-cost-unmatched.html",
            false,
            mode,
        )?;
        private.push(p_with / 1e6, p_without / 1e6);
        heap.push(h_with / 1e6, h_without / 1e6);
    }
    let memory = match browser.kind() {
        BrowserKind::Chromium => format!("{} / heap {}", private.show(), heap.show()),
        BrowserKind::Firefox => private.show(),
    };
    let flood = flood(browser, server, mode, &run)?;
    let (answered, sync_with) = sync_calls(browser, server, mode, &run)?;
    let sync = (answered, sync_with, sync_without);
    Ok(Row {
        parsed,
        delays,
        memory,
        flood,
        sync,
    })
}

/// Prints this table.
pub fn table() -> Result<()> {
    let rounds = rounds();
    println!("What a matched page pays (page-cost.html, 600 cards; {rounds} interleaved rounds; ms and MB as matched − unmatched: median (p25…p75))");
    println!("| browser         | mode     | KB parsed (normal / strict CSP) | first script cold ms | first script warm ms | DCL cold ms | DCL warm ms | memory MB | {FLOOD} callbacks to the next task: without / with ms (×) (loop alone with) | {SYNC_CALLS} sync calls: answered, ms (× the fake widget) |");
    println!("|-----------------|----------|---------------------------------|----------------------|----------------------|-------------|-------------|-----------|-----------------------------------------------------------------------------|------------------------------------------------------|");
    let page = std::fs::read_to_string(e2e::server::fixtures_dir().join("page-cost.html"))
        .context("reading page-cost.html")?;
    let flood_page =
        std::fs::read_to_string(e2e::server::fixtures_dir().join("hostile-flood.html"))
            .context("reading hostile-flood.html")?;
    let own_page = page.replace(
        "<script src=\"page-cost.js\"></script>",
        "<script src=\"page-cost.js\"></script>\n<script src=\"http://code.jivosite.com/widget/Own\" async></script>",
    );
    // `JWI_BENCH_BEFORE=DIR` (a dist/ of another build) measures that build too, in the same
    // run, browser by browser: the before and after rows of a change side by side.
    let before = std::env::var_os("JWI_BENCH_BEFORE").map(std::path::PathBuf::from);
    let mut builds: Vec<(&str, Option<std::path::PathBuf>)> = Vec::new();
    if let Some(dir) = before {
        builds.push(("before", Some(dir)));
        builds.push(("after", None));
    } else {
        builds.push(("", None));
    }
    for kind in crate::browsers() {
        for (label, dist) in &builds {
            let dir = match dist {
                Some(d) => d.join(match kind {
                    BrowserKind::Chromium => "chrome",
                    BrowserKind::Firefox => "firefox",
                }),
                None => e2e::extension_dir(kind),
            };
            let server = Server::start()?;
            server.route("/page-cost-unmatched.html", Response::html(page.clone()));
            server.route("/page-cost-own.html", Response::html(own_page.clone()));
            server.route(
                "/hostile-flood-unmatched.html",
                Response::html(flood_page.clone()),
            );
            let browser = Browser::launch_mapped(kind, &dir, Some(server.port()))
                .with_context(|| format!("launching {}", kind.name()))?;
            let name = if label.is_empty() {
                kind.name().to_owned()
            } else {
                format!("{} {label}", kind.name())
            };
            let mut result = Ok(());
            for mode in [Mode::Sandbox, Mode::JivoChat] {
                match measure(&browser, &server, mode) {
                Ok(row) => println!(
                    "| {:<15} | {:<8} | {:>31} | {:>20} | {:>20} | {:>11} | {:>11} | {} | {:.1} / {:.1} ({:.1}×) ({:.1}) | {} of {SYNC_CALLS}, {:.1} ms ({:.1}×) |",
                    name,
                    mode.name(),
                    row.parsed,
                    row.delays.first_cold.show(),
                    row.delays.first_warm.show(),
                    row.delays.dcl_cold.show(),
                    row.delays.dcl_warm.show(),
                    row.memory,
                    row.flood.0,
                    row.flood.1,
                    row.flood.1 / row.flood.0.max(0.001),
                    row.flood.2,
                    row.sync.0,
                    row.sync.1,
                    row.sync.1 / row.sync.2.max(0.001),
                ),
                Err(err) => {
                    result = Err(err.context(format!("{} in {}", mode.name(), kind.name())));
                    break;
                }
            }
            }
            browser.shutdown();
            result?;
        }
    }
    println!("Memory: Chromium the private memory of the fresh host's renderer / its JS heap + array buffers after a GC; Firefox the resident unique memory of its content process. KB parsed: Chromium Debugger.scriptParsed lengths of the extension's scripts, + the WebAssembly compiled; Firefox the injected files' sizes.");
    Ok(())
}
