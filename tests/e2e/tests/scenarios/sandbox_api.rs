//! Sandbox: every entry point and every callback of the Widget API, driven the way a site and a visitor would, on a normal and a strict-CSP page.

use e2e::runner::Scenario;

pub const SCENARIOS: &[Scenario] = &[];
