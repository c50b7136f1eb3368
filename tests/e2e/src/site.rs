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

/// Loads the site-integration page `url` in the current tab and waits until the site's
/// `jivo_onLoadCallback` has run (its `isCallbackEnabled` answer is in `siteLog`); returns the
/// tab's id.
pub fn open(browser: &Browser, url: &str, timeout: Duration) -> Result<i64> {
    browser.goto(url)?;
    site_log_with(browser, "isCallbackEnabled", timeout)?;
    browser.tab_id_of(url)
}
