//! `bench hostile`: hostile pages: the shim's cost per forwarded event, 20,000 callbacks with and without the extension, memory after the flood, and forged messages tried and let through.

use anyhow::{bail, Result};

/// Prints this table.
pub fn table() -> Result<()> {
    bail!("the hostile table is not written yet")
}
