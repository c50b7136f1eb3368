//! End-to-end tests: the built extension in headless Chromium and Firefox.
//!
//! Run: `cargo test -p e2e --test e2e -- [FILTER…] [--browser chromium|firefox] [--list]`.
//! The extension comes from `$JWI_EXTENSION_DIR`, else `dist/extension` (`./build.sh`).
//! Scenarios live in `tests/scenarios/`, one module per feature; see `tests/scenarios/mod.rs`.

use std::process::ExitCode;

mod scenarios;

fn main() -> ExitCode {
    e2e::runner::main(scenarios::all())
}
