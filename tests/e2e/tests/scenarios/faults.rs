//! Faults: the background stopped mid-stream, a tab closed mid-call, slow or failing loaders, storage that refuses writes, garbage imports.

use e2e::runner::Scenario;

pub const SCENARIOS: &[Scenario] = &[];
