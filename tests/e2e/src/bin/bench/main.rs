//! `./build.sh bench [TABLE…] [--browser chromium|firefox]`: prints the benchmark tables (all of
//! them without a table name; in both browsers without `--browser`).
//! Not a test: it never fails on a figure, only when something can't be measured. Each table is a
//! module; see its doc for what it measures.

use anyhow::{Context as _, Result};
use e2e::browser::{Browser, BrowserKind};
use e2e::server::Server;

mod devtools;
mod hostile;
mod jivochat;
mod log;
mod page;
mod panel;
mod sandbox;
mod spa;
mod surface;

/// Prints one benchmark table.
type Table = fn() -> Result<()>;

/// Every table, by the name given on the command line, in the order printed.
const TABLES: &[(&str, Table)] = &[
    ("page", page::table),
    ("sandbox", sandbox::table),
    ("spa", spa::table),
    ("jivochat", jivochat::table),
    ("log", log::table),
    ("panel", panel::table),
    ("hostile", hostile::table),
];

/// The browsers to measure in (`--browser`, repeatable; both when not given).
static BROWSERS: std::sync::OnceLock<Vec<BrowserKind>> = std::sync::OnceLock::new();

/// The browsers every table measures in, in the order printed.
fn browsers() -> Vec<BrowserKind> {
    BROWSERS
        .get()
        .cloned()
        .unwrap_or_else(|| BrowserKind::ALL.to_vec())
}

/// The command line: table names, and `--browser NAME` / `--browser=NAME`.
fn parse_args(args: impl Iterator<Item = String>) -> Result<(Vec<String>, Vec<BrowserKind>)> {
    let mut args = args.peekable();
    let (mut tables, mut browsers) = (Vec::new(), Vec::new());
    while let Some(arg) = args.next() {
        let browser = if let Some(name) = arg.strip_prefix("--browser=") {
            Some(name.to_string())
        } else if arg == "--browser" {
            Some(args.next().context("--browser needs a value")?)
        } else {
            None
        };
        match browser {
            Some(name) => browsers.push(BrowserKind::parse(&name)?),
            None if TABLES.iter().any(|(table, _)| *table == arg) => tables.push(arg),
            None => anyhow::bail!("unknown table {arg:?}"),
        }
    }
    if browsers.is_empty() {
        browsers = BrowserKind::ALL.to_vec();
    }
    Ok((tables, browsers))
}

/// The value at percentile `p` (0–100) of `sorted`, by nearest rank; NaN when empty.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Launches `kind` with the built extension and a fixture server of its own, runs `measure`,
/// and shuts the browser down whatever it returned; an error names the browser.
fn in_browser<T>(
    kind: BrowserKind,
    measure: impl FnOnce(&Browser, &Server) -> Result<T>,
) -> Result<T> {
    let server = Server::start()?;
    let browser = Browser::launch(kind, &e2e::extension_dir(kind))
        .with_context(|| format!("launching {}", kind.name()))?;
    let measured = measure(&browser, &server);
    browser.shutdown();
    measured.with_context(|| format!("measuring in {}", kind.name()))
}

fn main() -> Result<()> {
    let (tables, browsers) = match parse_args(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(why) => {
            let names: Vec<&str> = TABLES.iter().map(|(name, _)| *name).collect();
            eprintln!(
                "bench: {why}; usage: bench [{}…] [--browser chromium|firefox] (no table: every table; no browser: both)",
                names.join("|")
            );
            std::process::exit(2);
        }
    };
    BROWSERS.set(browsers).expect("set once");
    let mut first = true;
    let mut failed = Vec::new();
    for (name, table) in TABLES {
        if !tables.is_empty() && !tables.iter().any(|t| t == name) {
            continue;
        }
        if !first {
            println!();
        }
        first = false;
        if let Err(err) = table() {
            eprintln!("bench {name}: {err:#}");
            failed.push(*name);
        }
    }
    if !failed.is_empty() {
        anyhow::bail!("could not measure: {}", failed.join(", "));
    }
    Ok(())
}
