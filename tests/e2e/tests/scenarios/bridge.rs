//! The bridge: badge, tab close, live events in an open popup.

use e2e::runner::Scenario;

pub const SCENARIOS: &[Scenario] = &[];
