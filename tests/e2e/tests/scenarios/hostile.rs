//! Hostile pages: forged messages on every channel, built-ins replaced after the shim, floods and page breakage.

use e2e::runner::Scenario;

pub const SCENARIOS: &[Scenario] = &[];
