//! `bench jivochat`: JivoChat mode: DOMContentLoaded → `jivo_onLoadCallback` with the fake loader, through the extension's bridge and with the loader tag inline (median over 20 loads per browser, and their ratio).

use anyhow::{bail, Result};

/// Prints this table.
pub fn table() -> Result<()> {
    bail!("the jivochat table is not written yet")
}
