//! `bench log`: the event log: latency from a widget callback to its row in an open popup (median, p95), a burst of 1,000 events a second for 10 s (events lost below the cap, the popup's longest task), and popup open time with 2,000 entries.

use anyhow::{bail, Result};

/// Prints this table.
pub fn table() -> Result<()> {
    bail!("the log table is not written yet")
}
