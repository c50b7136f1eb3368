//! Scenarios and the runner behind `tests/e2e.rs`.
//!
//! A scenario is a plain function `fn(&mut Ctx) -> Result<()>` with a name. The runner starts
//! one fixture server and one browser per browser kind, both browsers in parallel threads, and
//! runs every selected scenario once per browser, each from a fresh tab with default settings
//! and an empty server log. It prints one line per (browser, scenario), the error and a
//! screenshot path for failures, runs each failed scenario once more at the end (one that passes
//! then is reported as flaky), and ends with `N passed (M of them on a second run), N failed`.
//!
//! ```no_run
//! use e2e::runner::{Ctx, Scenario};
//! use std::time::Duration;
//!
//! fn title_is_shown(ctx: &mut Ctx) -> anyhow::Result<()> {
//!     ctx.goto(&ctx.url("/plain.html"))?;
//!     anyhow::ensure!(ctx.title()? == "Plain fixture");
//!     Ok(())
//! }
//!
//! pub const SCENARIOS: &[Scenario] = &[Scenario::new("example::title_is_shown", title_is_shown)];
//! ```
//!
//! Command line (after `cargo test -p e2e --test e2e --`): substrings of scenario names to run
//! (any may match; none given runs all), `--browser chromium|firefox`, `--list`.

use std::fmt::Write as _;
use std::ops::Deref;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};

use crate::browser::{Browser, BrowserKind};
use crate::server::Server;

/// What a scenario function looks like.
pub type ScenarioFn = fn(&mut Ctx) -> Result<()>;

/// A named scenario. Register it in a module's `SCENARIOS` list.
#[derive(Clone, Copy)]
pub struct Scenario {
    /// The full path of its function (`e2e::scenarios::module::what_it_checks`, from
    /// [`scenario!`]); [`Scenario::name`] is the part printed and filtered.
    pub name: &'static str,
    /// The scenario itself.
    pub run: ScenarioFn,
    /// `Some(kind)`: run only in that browser (for browser-specific behaviour).
    pub only: Option<BrowserKind>,
}

/// A scenario named after its own function, so the printed name and the function cannot
/// drift apart: `scenario!(popup_shows_facts)` in `scenarios/popup.rs` is
/// `popup::popup_shows_facts`. A function run in variants (a const generic) names the variant:
/// `scenario!(calls_from_on_load::<true>, "strict")` is `sandbox_api::calls_from_on_load::strict`.
#[macro_export]
macro_rules! scenario {
    ($f:ident) => {
        $crate::runner::Scenario::new(concat!(module_path!(), "::", stringify!($f)), $f)
    };
    ($f:ident :: < $g:tt >, $variant:literal) => {
        $crate::runner::Scenario::new(
            concat!(module_path!(), "::", stringify!($f), "::", $variant),
            $f::<$g>,
        )
    };
}

impl Scenario {
    /// The scenario's name as printed and filtered: `module::function` (the part of its full
    /// path after `scenarios::`).
    pub fn name(&self) -> &'static str {
        self.name
            .split_once("scenarios::")
            .map_or(self.name, |(_, name)| name)
    }

    /// A scenario that runs in every browser (usually through [`scenario!`]).
    pub const fn new(name: &'static str, run: ScenarioFn) -> Scenario {
        Scenario {
            name,
            run,
            only: None,
        }
    }

    /// The same scenario, run only in `kind`.
    pub const fn only(self, kind: BrowserKind) -> Scenario {
        Scenario {
            only: Some(kind),
            ..self
        }
    }

    fn runs_in(&self, kind: BrowserKind) -> bool {
        self.only.is_none_or(|only| only == kind)
    }
}

/// What a scenario gets: the browser (reachable directly through `Deref`: `ctx.goto(…)`) and
/// this browser's own fixture server.
pub struct Ctx {
    /// The browser, with the extension loaded.
    pub browser: Browser,
    /// The fixture server; each browser has its own, so routes and request counts never mix.
    pub server: Server,
}

impl Ctx {
    /// The absolute URL of `path` on the fixture server.
    pub fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    /// Which browser this run is in.
    pub fn kind(&self) -> BrowserKind {
        self.browser.kind()
    }

    /// A fresh tab, default settings, no routes and an empty request log.
    fn prepare(&self) -> Result<()> {
        self.server.reset();
        self.browser.reset().map(drop)
    }
}

impl Deref for Ctx {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

/// Parsed command line.
#[derive(Debug, Default, PartialEq)]
pub struct Options {
    /// Run scenarios whose name contains any of these (all when empty).
    pub filters: Vec<String>,
    /// Browsers to run in (both when empty).
    pub browsers: Vec<BrowserKind>,
    /// Only list the selected scenarios.
    pub list: bool,
    /// How many browsers of each kind run side by side, each with a share of the scenarios
    /// (`--shards N`; [`DEFAULT_SHARDS`] unless given).
    pub shards: usize,
}

/// One browser of each kind. Two (`--shards 2`) run the suite about a minute faster on the
/// 2-core machine, but under that load Firefox stalls `breakage::fifty_iframes_*` often enough
/// to fail a run (docs/testing.md).
pub const DEFAULT_SHARDS: usize = 1;

const USAGE: &str = "usage: cargo test -p e2e --test e2e -- [FILTER…] [--browser chromium|firefox] [--shards N] [--list]";

impl Options {
    /// Parses the arguments after the program name.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options> {
        let mut options = Options {
            shards: DEFAULT_SHARDS,
            ..Options::default()
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if let Some(name) = arg.strip_prefix("--browser=") {
                options.browsers.push(BrowserKind::parse(name)?);
            } else if arg == "--browser" {
                let name = args
                    .next()
                    .ok_or_else(|| anyhow!("--browser needs a value\n{USAGE}"))?;
                options.browsers.push(BrowserKind::parse(&name)?);
            } else if arg == "--shards" {
                options.shards = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n: &usize| (1..=4).contains(&n))
                    .ok_or_else(|| anyhow!("--shards needs a number from 1 to 4\n{USAGE}"))?;
            } else if arg == "--list" {
                options.list = true;
            } else if arg == "--help" || arg == "-h" {
                bail!("{USAGE}");
            } else if arg.starts_with('-') {
                bail!("unknown option {arg:?}\n{USAGE}");
            } else {
                options.filters.push(arg);
            }
        }
        Ok(options)
    }

    fn selects(&self, scenario: &Scenario) -> bool {
        self.filters.is_empty()
            || self
                .filters
                .iter()
                .any(|f| scenario.name().contains(f.as_str()))
    }
}

/// The whole test run; `tests/e2e.rs` calls this with every registered scenario.
pub fn main(scenarios: Vec<Scenario>) -> ExitCode {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(2);
        }
    };
    let selected: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|s| options.selects(s))
        .collect();
    let kinds: Vec<BrowserKind> = if options.browsers.is_empty() {
        BrowserKind::ALL.to_vec()
    } else {
        options.browsers.clone()
    };
    if options.list {
        for scenario in &selected {
            let only = scenario
                .only
                .map(|k| format!(" ({k} only)"))
                .unwrap_or_default();
            println!("{}{only}", scenario.name());
        }
        return ExitCode::SUCCESS;
    }
    if selected.is_empty() {
        eprintln!("no scenario matches {:?}", options.filters);
        println!("0 passed, 0 failed");
        return ExitCode::FAILURE;
    }
    println!(
        "e2e: {} scenario(s) in {} with {}",
        selected.len(),
        kinds
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>()
            .join(" and "),
        kinds
            .iter()
            .map(|&k| crate::extension_dir(k).display().to_string())
            .collect::<Vec<_>>()
            .join(" and ")
    );

    let shards = options.shards;
    let threads: Vec<_> = kinds
        .iter()
        .flat_map(|&kind| (0..shards).map(move |shard| (kind, shard)))
        .map(|(kind, shard)| {
            // Every `shards`-th scenario from this shard's place on: the slow groups (a
            // module's scenarios are registered together) are spread over the shards.
            let scenarios: Vec<Scenario> = selected
                .iter()
                .copied()
                .filter(|s| s.runs_in(kind))
                .enumerate()
                .filter(|(i, _)| i % shards == shard)
                .map(|(_, s)| s)
                .collect();
            let extension_dir = crate::extension_dir(kind);
            let name = match shard {
                0 => kind.name().to_owned(),
                n => format!("{}-{}", kind.name(), n + 1),
            };
            let thread = thread::Builder::new()
                .name(name)
                .spawn(move || run_browser(kind, &extension_dir, &scenarios));
            (kind, thread)
        })
        .collect();
    let (mut passed, mut failed, mut flaky) = (0, 0, Vec::new());
    for (kind, thread) in threads {
        match thread.map_err(anyhow::Error::from).and_then(|t| {
            t.join()
                .map_err(|p| anyhow!("runner thread panicked: {}", panic_message(&*p)))
        }) {
            Ok(tally) => {
                passed += tally.passed;
                failed += tally.failed;
                flaky.extend(tally.flaky);
            }
            Err(err) => {
                println!("{kind:<8} runner FAILED: {err:#}");
                failed += 1;
            }
        }
    }
    if !flaky.is_empty() {
        println!(
            "flaky (failed once, passed on a second run): {}",
            flaky.join(", ")
        );
    }
    println!(
        "{passed} passed ({} of them on a second run), {failed} failed",
        flaky.len()
    );
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[derive(Default)]
struct Tally {
    passed: usize,
    failed: usize,
    /// Scenarios that passed only on their second run ("browser name").
    flaky: Vec<String>,
}

/// Runs `scenarios` in one browser, printing as it goes. A scenario that fails is run once more
/// at the end, in a fresh tab: one that passes then counts as passed and is named as *flaky* in
/// the summary (this 2-core machine is shared and busy; a real fault fails twice).
fn run_browser(kind: BrowserKind, extension_dir: &Path, scenarios: &[Scenario]) -> Tally {
    let mut tally = Tally::default();
    if scenarios.is_empty() {
        return tally;
    }
    let run_start = Instant::now();
    // (`Browser` retries a launch that times out once itself.)
    let mut ctx = match start(kind, extension_dir) {
        Ok(ctx) => ctx,
        Err(err) => {
            let mut out = format!("{kind:<8} launch FAILED\n{}", indent(&describe(&err)));
            for scenario in scenarios {
                let _ = write!(out, "\n{kind:<8} {:<50} FAILED (not run)", scenario.name());
            }
            println!("{out}");
            tally.failed = scenarios.len();
            return tally;
        }
    };
    let mut prepare_total = Duration::ZERO;
    let mut failed_once: Vec<&Scenario> = Vec::new();
    for scenario in scenarios {
        let Some((result, secs)) =
            run_one(kind, extension_dir, &mut ctx, scenario, &mut prepare_total)
        else {
            tally.failed += scenarios.len() - tally.passed - tally.failed - failed_once.len();
            tally.failed += failed_once.len();
            return tally;
        };
        match result {
            Ok(()) => {
                tally.passed += 1;
                println!("{kind:<8} {:<50} ok      {secs:6.2}s", scenario.name());
            }
            Err(err) => {
                failed_once.push(scenario);
                let mut out = format!(
                    "{kind:<8} {:<50} FAILED  {secs:6.2}s (runs once more at the end)\n{}",
                    scenario.name(),
                    indent(&describe(&err))
                );
                let _ = write!(out, "\n{}", indent(&save_screenshot(&ctx, scenario.name())));
                println!("{out}");
            }
        }
    }
    for scenario in failed_once {
        let Some((result, secs)) =
            run_one(kind, extension_dir, &mut ctx, scenario, &mut prepare_total)
        else {
            tally.failed += 1;
            continue;
        };
        match result {
            Ok(()) => {
                tally.passed += 1;
                tally.flaky.push(format!("{kind} {}", scenario.name()));
                println!(
                    "{kind:<8} {:<50} ok      {secs:6.2}s (on its second run: flaky)",
                    scenario.name()
                );
            }
            Err(err) => {
                tally.failed += 1;
                let mut out = format!(
                    "{kind:<8} {:<50} FAILED  {secs:6.2}s (again)\n{}",
                    scenario.name(),
                    indent(&describe(&err))
                );
                let _ = write!(out, "\n{}", indent(&save_screenshot(&ctx, scenario.name())));
                println!("{out}");
            }
        }
    }
    let n = scenarios.len() as f64;
    println!(
        "{kind:<8} {} scenario(s) in {:.2}s (tab + settings reset {:.2}s each on average)",
        scenarios.len(),
        run_start.elapsed().as_secs_f64(),
        prepare_total.as_secs_f64() / n
    );
    tally
}

/// Prepares a fresh tab (relaunching the browser once if it is broken) and runs one scenario:
/// its result and seconds, or `None` when the browser cannot be started again.
fn run_one(
    kind: BrowserKind,
    extension_dir: &Path,
    ctx: &mut Ctx,
    scenario: &Scenario,
    prepare_total: &mut Duration,
) -> Option<(Result<()>, f64)> {
    let prepare_start = Instant::now();
    let prepared = match ctx.prepare() {
        Ok(()) => Ok(()),
        // The browser may be broken by an earlier failure: start a new one, once.
        Err(first) => match start(kind, extension_dir) {
            Ok(new_ctx) => {
                *ctx = new_ctx;
                ctx.prepare().map_err(|e| e.context(format!("{first:#}")))
            }
            Err(err) => {
                println!(
                    "{kind:<8} relaunch FAILED after {first:#}\n{}",
                    indent(&describe(&err))
                );
                return None;
            }
        },
    };
    *prepare_total += prepare_start.elapsed();
    let started = Instant::now();
    let result = prepared
        .context("prepare a fresh tab with default settings")
        .and_then(|()| {
            panic::catch_unwind(AssertUnwindSafe(|| (scenario.run)(ctx)))
                .unwrap_or_else(|payload| Err(anyhow!("panicked: {}", panic_message(&*payload))))
        });
    Some((result, started.elapsed().as_secs_f64()))
}

/// A fixture server and a launched browser, with the launch time printed.
fn start(kind: BrowserKind, extension_dir: &Path) -> Result<Ctx> {
    let server = Server::start()?;
    let started = Instant::now();
    let browser = Browser::launch_mapped(kind, extension_dir, Some(server.port()))?;
    println!(
        "{kind:<8} launched in {:.2}s (extension at {})",
        started.elapsed().as_secs_f64(),
        browser.extension_url("")
    );
    Ok(Ctx { browser, server })
}

/// Saves a screenshot of the current tab for a failed scenario; says where (or why not).
fn save_screenshot(ctx: &Ctx, scenario: &str) -> String {
    let file: String = scenario
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let path: PathBuf = crate::artifacts_dir().join(format!("{}-{file}.png", ctx.kind()));
    let url = ctx
        .current_url()
        .unwrap_or_else(|e| format!("(unknown: {e:#})"));
    match ctx.screenshot(&path) {
        Ok(()) => format!("page: {url}\nscreenshot: {}", path.display()),
        Err(err) => format!("page: {url}\nno screenshot: {err:#}"),
    }
}

/// The error and its causes, one per line, without backtraces.
fn describe(err: &anyhow::Error) -> String {
    let mut chain = err.chain();
    let mut text = chain.next().map(|e| e.to_string()).unwrap_or_default();
    for cause in chain {
        let _ = write!(text, "\ncaused by: {cause}");
    }
    text
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options> {
        Options::parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn parses_filters_and_browsers() {
        let options = parse(&["smoke", "--browser", "firefox", "--browser=chromium"]).unwrap();
        assert_eq!(options.filters, ["smoke"]);
        assert_eq!(
            options.browsers,
            [BrowserKind::Firefox, BrowserKind::Chromium]
        );
        assert!(parse(&["--browser", "safari"]).is_err());
        assert!(parse(&["--nocapture"]).is_err());
        assert!(parse(&["--list"]).unwrap().list);
        assert_eq!(parse(&[]).unwrap().shards, DEFAULT_SHARDS);
        assert_eq!(parse(&["--shards", "1"]).unwrap().shards, 1);
        assert!(parse(&["--shards", "0"]).is_err());
        assert!(parse(&["--shards"]).is_err());
    }
}
