//! What the `log` and `panel` tables share: a window of its own for an extension page, and the
//! callback → row latency measured through a row observer in it.

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
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
const OBSERVE_ROWS: &str = "\
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

/// Callback → row latency: `n` callbacks named `"<prefix>-<i>"`, one every 100 ms on the page
/// (tab `page`), observed in the extension page of tab `surface` (`what` names it in errors).
/// The latencies in ms, sorted. Leaves the surface's tab current.
pub fn row_latencies(
    browser: &Browser,
    page: &str,
    surface: &str,
    prefix: &str,
    n: usize,
    what: &str,
) -> Result<Vec<f64>> {
    browser.switch_to(surface)?;
    browser.eval_with(OBSERVE_ROWS, vec![json!(prefix)])?;
    browser.switch_to(page)?;
    browser.eval_with(
        "const [n, prefix] = arguments; window.jwiSent = []; let i = 0;\
         const id = setInterval(() => {\
           window.jwiSent[i] = Date.now(); jivo_onChangeState(prefix + '-' + i);\
           if (++i >= n) clearInterval(id);\
         }, 100);\
         return null;",
        vec![json!(n), json!(prefix)],
    )?;
    browser.wait_for_js(
        &format!("return (window.jwiSent || []).length >= {n}"),
        Duration::from_secs(60),
    )?;
    let sent = browser.eval("return window.jwiSent;")?;
    browser.switch_to(surface)?;
    let last = (n - 1).to_string();
    let seen = browser.wait_for(
        &format!("the last latency row in the {what}"),
        Duration::from_secs(60),
        |b| {
            let seen = b.eval("return window.jwiSeen;")?;
            Ok(seen.get(&last).is_some().then_some(seen))
        },
    )?;
    let mut latency: Vec<f64> = (0..n)
        .filter_map(|i| Some(seen.get(i.to_string())?.as_f64()? - sent.get(i)?.as_f64()?))
        .collect();
    ensure!(
        latency.len() == n,
        "only {} of {n} latency rows were seen in the {what}",
        latency.len()
    );
    latency.sort_by(f64::total_cmp);
    Ok(latency)
}
