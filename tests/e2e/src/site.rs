//! Reading what the site-integration fixture (`tests/fixtures/site-integration.js`) saw: its
//! `window.siteLog`, one entry per callback it received or API answer it got.

use std::time::Duration;

use anyhow::{Context as _, Result};
use serde_json::Value;

use crate::browser::Browser;

/// The page makes `count` calls of `call` (a JavaScript function of the call's index, such as
/// `i => jivo_onChangeState('fill-' + i)`), `per_task` a task, each task a zero-delay timer of
/// its own; returns at once. The shim forwards at most 100 messages a task (its batch budget),
/// so a scenario that must see every call in the log keeps `per_task` within it.
pub fn calls_in_tasks(browser: &Browser, call: &str, count: usize, per_task: usize) -> Result<()> {
    browser
        .eval_with(
            &format!(
                "const [count, per] = arguments; const call = {call};\
                 for (let b = 0; b * per < count; b++) setTimeout(() => {{\
                   for (let i = b * per; i < Math.min(count, b * per + per); i++) call(i);\
                 }}, 0);\
                 return null;"
            ),
            vec![serde_json::json!(count), serde_json::json!(per_task)],
        )
        .context("the page's calls in tasks")?;
    Ok(())
}

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
