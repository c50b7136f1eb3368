//! Reading what the site-integration fixture (`tests/fixtures/site-integration.js`) saw: its
//! `window.siteLog`, one entry per callback it received or API answer it got.

use std::time::Duration;

use anyhow::{Context as _, Result};
use serde_json::Value;

use crate::browser::Browser;

/// The site's log as it is now.
pub fn site_log(browser: &Browser) -> Result<Vec<Value>> {
    Ok(browser
        .eval("return window.siteLog || [];")?
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// The site's log, once it has an entry named `name` (waiting up to `timeout`).
pub fn site_log_with(browser: &Browser, name: &str, timeout: Duration) -> Result<Vec<Value>> {
    let mut log = Vec::new();
    browser
        .wait_for(&format!("siteLog entry {name}"), timeout, |b| {
            log = site_log(b)?;
            Ok(log.iter().any(|e| e["name"] == name).then_some(()))
        })
        .with_context(|| format!("siteLog: {}", Value::Array(log.clone())))?;
    Ok(log)
}
