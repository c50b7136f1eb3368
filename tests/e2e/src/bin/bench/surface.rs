//! What the `log` and `panel` tables share: a window of its own for an extension page, and the
//! row observer they time callbacks with.

use anyhow::{Context as _, Result};
use e2e::browser::Browser;
use serde_json::json;

/// Opens a new top-level window (not a tab), switches to it and returns its handle.
pub fn new_window(browser: &Browser) -> Result<String> {
    let value = browser.session().cmd(
        "POST",
        "/window/new",
        Some(json!({"type": "window"})),
        "new window",
    )?;
    let handle = value["handle"]
        .as_str()
        .with_context(|| format!("new window: no handle in {value}"))?
        .to_string();
    browser.switch_to(&handle)?;
    Ok(handle)
}

/// Starts recording, in the popup or the panel, when each `"<prefix>-<i>"` row is added to the log list.
pub const OBSERVE_ROWS: &str = "\
  const prefix = arguments[0];\
  window.jwiSeen = {};\
  const re = new RegExp('\"' + prefix + '-(\\\\d+)\"');\
  new MutationObserver(records => {\
    const now = Date.now();\
    for (const r of records) for (const n of r.addedNodes) {\
      if (n.nodeType !== 1) continue;\
      const m = re.exec(n.textContent);\
      if (m && !(m[1] in window.jwiSeen)) window.jwiSeen[m[1]] = now;\
    }\
  }).observe(document.getElementById('log-list'), {childList: true});\
  return null;";
