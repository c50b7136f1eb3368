//! `./build.sh bench [TABLE…]`: prints the benchmark tables (all of them without an argument).
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
    let args: Vec<String> = std::env::args().skip(1).collect();
    let unknown: Vec<&String> = args
        .iter()
        .filter(|a| !TABLES.iter().any(|(name, _)| name == a))
        .collect();
    if !unknown.is_empty() {
        let names: Vec<&str> = TABLES.iter().map(|(name, _)| *name).collect();
        eprintln!(
            "bench: unknown table {unknown:?}; usage: bench [{}…] (no argument: every table)",
            names.join("|")
        );
        std::process::exit(2);
    }
    let mut first = true;
    let mut failed = Vec::new();
    for (name, table) in TABLES {
        if !args.is_empty() && !args.iter().any(|a| a == name) {
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
