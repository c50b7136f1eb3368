//! Faults: the background stopped mid-stream, a tab closed mid-call, slow or failing loaders,
//! storage that refuses writes, garbage imports. Each must end in a clear state or error, and
//! nothing recorded before the fault may be lost.
//!
//! Reused by reference rather than repeated here: `jivochat::loader_404_is_reported`,
//! `loader_network_error_is_reported`, `loader_blocked_by_csp_is_reported` and
//! `loader_timeout_is_reported` check each failure's wording in the popup;
//! `faults::loader_failures_keep_the_log` checks that the log keeps everything across them.

use std::time::Duration;

use anyhow::{bail, ensure, Context as _, Result};
use e2e::browser::{Browser, BrowserKind, TempFile};
use e2e::popup_port::{self, clip, entries, wait_log};
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use e2e::server::Response;
use e2e::SHORT_GRACE_MS;
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(background_stopped_mid_stream_loses_and_repeats_nothing),
    scenario!(tab_closed_mid_call_answers_the_popup),
    scenario!(slow_loader_shows_loading_then_loads),
    scenario!(slow_loader_past_the_timeout_fails_then_recovers),
    scenario!(loader_failures_keep_the_log),
    scenario!(full_session_storage_is_reported_and_loses_nothing),
    // Chromium only: Firefox's storage.local enforces no quota (20 MB were written without a
    // refusal), so there is no way to make it refuse the sandbox's write there.
    scenario!(full_local_storage_keeps_the_sandbox_visitor).only(BrowserKind::Chromium),
    scenario!(garbage_imports_are_refused),
];

const TIMEOUT: Duration = Duration::from_secs(10);
const WIDGET_ID: &str = "FaultWidget7";

// ---------------------------------------------------------------------------------------------
// Helpers

/// The tab's whole log: `{summary, entries}`.
fn read_log(b: &Browser, tab: i64) -> Result<Value> {
    popup_port::log(b, tab)
}

/// The first string argument of every callback entry whose argument starts with `prefix`.
fn tagged(log: &Value, prefix: &str) -> Vec<String> {
    entries(log)
        .iter()
        .filter(|e| e["kind"] == "callback")
        .filter_map(|e| e["args"][0].as_str())
        .filter(|a| a.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// Whether some entry of `kind` has a text (`message` or `text`) containing `needle`.
fn has_text(log: &Value, kind: &str, needle: &str) -> bool {
    entries(log).iter().any(|e| {
        e["kind"] == kind
            && [&e["message"], &e["text"]]
                .iter()
                .any(|t| t.as_str().is_some_and(|t| t.contains(needle)))
    })
}

/// Checks that the `prefix-0 .. prefix-(n-1)` callbacks are each in the log exactly once, in
/// order.
fn exactly_once(log: &Value, prefix: &str, n: usize) -> Result<()> {
    let seen = tagged(log, prefix);
    let want: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    if seen == want {
        return Ok(());
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    let missing: Vec<&String> = want.iter().filter(|w| !seen.contains(w)).take(10).collect();
    bail!(
        "{prefix}*: {} entries, {} distinct, want {n} in order; first missing: {missing:?}",
        seen.len(),
        sorted.len()
    )
}

/// Sandbox mode on the site-integration page with a big log cap; returns (url, tab).
fn open_sandbox_site(ctx: &Ctx) -> Result<(String, i64)> {
    ctx.configure(json!({
        "mode": "sandbox",
        "sites": ["http://127.0.0.1/site-integration*"],
        "log": { "maxEntries": 20000 },
    }))?;
    let url = ctx.url("/site-integration.html");
    let tab = e2e::site::open(ctx, &url, TIMEOUT)?;
    Ok((url, tab))
}

/// Fires `jivo_onChangeState('<prefix><i>')` for i in `from .. from + n` on the current page.
fn fire(b: &Browser, prefix: &str, from: usize, n: usize) -> Result<()> {
    b.eval_with(
        "for (let i = arguments[1]; i < arguments[1] + arguments[2]; i++) jivo_onChangeState(arguments[0] + i); return null;",
        vec![json!(prefix), json!(from), json!(n)],
    )
    .map(drop)
}

/// JivoChat mode for `/jivochat-*` and `/strict/*` with the given loader URL and timeout.
fn use_jivochat(ctx: &Ctx, loader_url: &str, timeout_ms: u32) -> Result<()> {
    ctx.configure(json!({
        "mode": "jivochat",
        "widgetId": WIDGET_ID,
        "loaderUrl": loader_url,
        "loaderTimeoutMs": timeout_ms,
        "sites": ["http://127.0.0.1/jivochat-*", "http://127.0.0.1/strict/*"],
        "siteWidget": { "graceMs": SHORT_GRACE_MS },
    }))
}

fn fake_loader() -> Result<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/fake-loader.js");
    Ok(std::fs::read_to_string(path)?)
}

/// Serves the fake loader at `/<dir>/<widget id>.js` after `delay`; returns the loader URL
/// setting for it.
fn serve_loader(ctx: &Ctx, dir: &str, delay: Duration) -> Result<String> {
    ctx.server.route(
        &format!("/{dir}/{WIDGET_ID}.js"),
        Response::js(fake_loader()?).delay(delay),
    );
    Ok(format!("{}/{dir}/{{id}}.js", ctx.server.origin()))
}

/// Opens the popup for `tab` in a new tab (which stays current).
fn open_popup(ctx: &Ctx, tab: i64) -> Result<String> {
    ctx.new_tab()?;
    ctx.open_extension_page(&format!("popup.html?tab={tab}"))?;
    ctx.current_tab()
}

/// The popup's status state and text.
fn popup_state(b: &Browser) -> Result<(String, String)> {
    Ok((
        b.attr("#page-status", "data-state")?.unwrap_or_default(),
        b.text("#page-status")?,
    ))
}

/// Waits for the popup's status to be `state`; returns its text.
fn wait_state(b: &Browser, state: &str, timeout: Duration) -> Result<String> {
    b.wait_for_attr("#page-status", "data-state", state, timeout)?;
    b.text("#page-status")
}

/// Selects `method` in the popup's API console and clicks Call.
fn console_call(b: &Browser, method: &str) -> Result<()> {
    b.select("#api-method", method, TIMEOUT)?;
    b.click("#api-call")
}

/// Waits until the console shows a result other than "pending"; returns (kind, text).
fn console_result(b: &Browser, timeout: Duration) -> Result<(String, String)> {
    let mut kind = String::new();
    b.wait_for("an API console result", timeout, |b| {
        kind = b.attr("#api-result", "data-kind")?.unwrap_or_default();
        Ok(matches!(kind.as_str(), "returned" | "callback" | "threw").then_some(()))
    })
    .with_context(|| format!("#api-result data-kind {kind:?}"))?;
    Ok((kind, b.text("#api-result")?))
}

// ---------------------------------------------------------------------------------------------
// The background stopped in the middle of an event stream

fn background_stopped_mid_stream_loses_and_repeats_nothing(ctx: &mut Ctx) -> Result<()> {
    let (_, tab) = open_sandbox_site(ctx)?;
    // A stream the page keeps producing on its own timer until told to stop: 2 callbacks every
    // 5 ms, so the background is stopped while events are being sent and acknowledged. The
    // count and the stop signal go through the DOM, which every script world shares (a
    // WebDriver script in Firefox runs in a sandbox whose globals the page does not see).
    ctx.eval(
        "const root = document.documentElement; let n = 0;\
         const timer = setInterval(() => {\
           if (root.dataset.stop) { clearInterval(timer); root.dataset.final = String(n); return; }\
           for (let k = 0; k < 2 && n < 4000; k++) jivo_onChangeState('stream-' + n++);\
           root.dataset.streamed = String(n);\
         }, 5); return null;",
    )?;
    let streamed = |b: &Browser| -> Result<u64> {
        let n = b.eval("return document.documentElement.dataset.streamed || '0';")?;
        Ok(n.as_str().and_then(|n| n.parse().ok()).unwrap_or(0))
    };
    ctx.wait_for("the stream under way", TIMEOUT, |b| {
        Ok((streamed(b)? >= 50).then_some(()))
    })?;
    for round in 1..=2 {
        let before = streamed(ctx)?;
        stop_background_proven(ctx, |_| Ok(())).with_context(|| format!("stop {round}"))?;
        // The stream went on across the stop: the stop fell in its middle.
        let mut now = 0;
        ctx.wait_for("the stream to go on after the stop", TIMEOUT, |b| {
            now = streamed(b)?;
            Ok((now > before + 50).then_some(()))
        })
        .with_context(|| format!("{before} events before stop {round}, {now} now"))?;
        ensure!(
            now < 4000,
            "the stream ended before stop {round}: not a mid-stream stop"
        );
    }
    ctx.eval("document.documentElement.dataset.stop = '1'; return null;")?;
    let total = ctx.wait_for("the stream to end", TIMEOUT, |b| {
        let n = b.eval("return document.documentElement.dataset.final || null;")?;
        Ok(n.as_str().and_then(|n| n.parse::<usize>().ok()))
    })?;
    let log = wait_log(
        ctx,
        tab,
        &format!("all {total} stream callbacks in the log"),
        Duration::from_secs(30),
        |log| tagged(log, "stream-").len() >= total,
    )?;
    exactly_once(&log, "stream-", total)?;
    ensure!(
        log["summary"]["missed"] == 0,
        "missed: {}",
        log["summary"]["missed"]
    );
    // What was recorded before the stream is still there, once.
    let loads = entries(&log)
        .iter()
        .filter(|e| e["kind"] == "callback" && e["name"] == "jivo_onLoadCallback")
        .count();
    ensure!(loads == 1, "jivo_onLoadCallback recorded {loads} times");
    let ids: Vec<u64> = entries(&log)
        .iter()
        .filter_map(|e| e["id"].as_u64())
        .collect();
    ensure!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "entry ids are not increasing"
    );
    Ok(())
}

/// Stops the background and proves it stopped: every fresh background first writes
/// `settingsStatus` to `storage.session`, so the test removes that key, stops the background
/// and waits for the key to come back after `wake` (the page's next message starts a new one).
///
/// `Browser::stop_background` alone is no proof under traffic: in Chromium it waits to see the
/// service worker gone, but a page in mid-stream wakes it again at once under the same CDP
/// target, so here the worker is closed directly. In Firefox a plain `terminateBackground()`
/// is a silent no-op while a background listener has a pending promise (always, mid-stream);
/// the harness passes `disableResetIdleForTest` for that, and this proof would catch a
/// regression.
fn stop_background_proven(b: &Browser, wake: impl Fn(&Browser) -> Result<()>) -> Result<()> {
    b.ext_eval(
        "return api.storage.session.remove('settingsStatus').then(() => null);",
        vec![],
    )?;
    if b.kind() == BrowserKind::Chromium {
        let target = b
            .service_worker_target()?
            .context("no service worker to stop")?;
        b.session()
            .cdp("Target.closeTarget", json!({ "targetId": target }))
            .context("stop the extension service worker")?;
    } else {
        b.stop_background()?;
    }
    wake(b)?;
    b.wait_for("a new background to start", TIMEOUT, |b| {
        let status = b.storage_get("session", "settingsStatus")?;
        Ok((!status.is_null()).then_some(()))
    })
}

// ---------------------------------------------------------------------------------------------
// A tab closed while an API console call is in flight

fn tab_closed_mid_call_answers_the_popup(ctx: &mut Ctx) -> Result<()> {
    // A loader that takes a minute: console calls wait for the widget, so one is in flight
    // for as long as the test likes.
    let loader = serve_loader(ctx, "slow-loader", Duration::from_secs(60))?;
    use_jivochat(ctx, &loader, 120_000)?;
    // Another tab whose log must come through untouched.
    let other_url = ctx.url("/jivochat-assigned.html?other");
    ctx.goto_nowait(&other_url)?;
    let other = ctx.tab_id_of(&other_url)?;
    let other_page = ctx.current_tab()?;

    ctx.new_tab()?;
    let url = ctx.url("/jivochat-none.html");
    ctx.goto_nowait(&url)?;
    let tab = ctx.tab_id_of(&url)?;
    let page = ctx.current_tab()?;
    let popup = open_popup(ctx, tab)?;
    wait_state(ctx, "loading", TIMEOUT)?;
    let other_before = wait_log(ctx, other, "the other tab's log", TIMEOUT, |log| {
        has_text(log, "status", "loading")
    })?;

    console_call(ctx, "getVisitorNumber")?;
    ensure!(
        ctx.attr("#api-result", "data-kind")?.as_deref() == Some("pending"),
        "the call is not in flight: {:?}",
        ctx.text("#api-result")?
    );
    std::thread::sleep(Duration::from_millis(500));
    ensure!(
        ctx.attr("#api-result", "data-kind")?.as_deref() == Some("pending"),
        "the call did not stay in flight"
    );

    ctx.switch_to(&page)?;
    ctx.close_tab()?;
    ctx.switch_to(&popup)?;
    let (kind, text) = console_result(ctx, TIMEOUT)?;
    ensure!(
        kind == "threw" && text.contains("did not finish"),
        "the popup shows {kind}: {text:?}"
    );

    // The background forgot the closed tab, in memory and in storage.session.
    ctx.wait_for("the closed tab's records removed", TIMEOUT, |b| {
        let left = b.ext_eval(
            "return api.storage.session.get(null).then(all => Object.keys(all).filter(k =>\
               k === 'tab:' + arguments[0] || k === 'log:' + arguments[0] || k.startsWith('log:' + arguments[0] + ':')));",
            vec![json!(tab)],
        )?;
        Ok((left == json!([])).then_some(()))
    })?;
    // Nothing else is lost: the other tab's log has everything it had.
    let other_after = read_log(ctx, other)?;
    let before = entries(&other_before);
    let after = entries(&other_after);
    ensure!(
        after.len() >= before.len() && after[..before.len()] == before[..],
        "the other tab's log changed: before {}, after {}",
        clip(&other_before.to_string(), 600),
        clip(&other_after.to_string(), 600)
    );
    ctx.switch_to(&other_page)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A slow loader (6 s)

/// A loader that answers after 6 s with the default 15 s timeout: the popup says "loading"
/// meanwhile, a console call waits, then the widget loads and the call is made.
fn slow_loader_shows_loading_then_loads(ctx: &mut Ctx) -> Result<()> {
    let loader = serve_loader(ctx, "slow-loader", Duration::from_secs(6))?;
    use_jivochat(ctx, &loader, 15_000)?;
    let url = ctx.url("/jivochat-assigned.html");
    ctx.goto_nowait(&url)?;
    let tab = ctx.tab_id_of(&url)?;
    let page = ctx.current_tab()?;
    open_popup(ctx, tab)?;
    let text = wait_state(ctx, "loading", TIMEOUT)?;
    ensure!(
        text.to_lowercase().contains("load"),
        "loading state says {text:?}"
    );
    console_call(ctx, "open")?;
    std::thread::sleep(Duration::from_secs(2));
    let (state, text) = popup_state(ctx)?;
    ensure!(
        state == "loading",
        "2 s into a 6 s loader the popup says {state}: {text:?}"
    );
    ensure!(
        ctx.attr("#api-result", "data-kind")?.as_deref() == Some("pending"),
        "the console call did not wait for the widget: {:?}",
        ctx.text("#api-result")?
    );
    wait_state(ctx, "loaded", Duration::from_secs(30))?;
    let (kind, text) = console_result(ctx, TIMEOUT)?;
    ensure!(
        kind == "returned" && text.contains(r#"{"result":"ok"}"#),
        "the waiting call: {kind}: {text:?}"
    );
    let log = wait_log(ctx, tab, "the load in the log", TIMEOUT, |log| {
        has_text(log, "status", "loaded")
    })?;
    ensure!(
        has_text(&log, "status", "loading"),
        "no loading status in the log"
    );
    ensure!(
        !entries(&log).iter().any(|e| e["kind"] == "error"),
        "a 6 s loader within a 15 s timeout logged an error"
    );
    ensure!(
        entries(&log).iter().any(|e| e["kind"] == "pageLoad"),
        "the page load is gone from the log"
    );
    ctx.switch_to(&page)?;
    ensure!(
        ctx.eval("return fakeJivo.calls.map(c => c.method);")?
            .to_string()
            .contains("open"),
        "the console's open() never reached the widget"
    );
    Ok(())
}

/// A loader that answers after 6 s with a 2 s timeout: the popup says why it failed, console
/// calls are refused with that reason instead of hanging, and the late widget is then used.
fn slow_loader_past_the_timeout_fails_then_recovers(ctx: &mut Ctx) -> Result<()> {
    let loader = serve_loader(ctx, "slow-loader", Duration::from_secs(6))?;
    use_jivochat(ctx, &loader, 2_000)?;
    let url = ctx.url("/jivochat-assigned.html");
    ctx.goto_nowait(&url)?;
    let tab = ctx.tab_id_of(&url)?;
    open_popup(ctx, tab)?;
    console_call(ctx, "open")?;
    let text = wait_state(ctx, "failed", TIMEOUT)?;
    ensure!(
        text.contains("within 2 s"),
        "the timeout state says {text:?}"
    );
    // The call that waited is answered with the reason, not left hanging.
    let (kind, text) = console_result(ctx, TIMEOUT)?;
    ensure!(
        kind == "threw" && text.contains("not loaded") && text.contains("within 2 s"),
        "the waiting call: {kind}: {text:?}"
    );
    // The widget arrives late: it is loaded and used from then on.
    wait_state(ctx, "loaded", Duration::from_secs(30))?;
    console_call(ctx, "open")?;
    let (kind, text) = console_result(ctx, TIMEOUT)?;
    ensure!(
        kind == "returned" && text.contains(r#"{"result":"ok"}"#),
        "a call after the late load: {kind}: {text:?}"
    );
    // The log tells the whole story, in order: loading, the timeout, loaded.
    let log = wait_log(ctx, tab, "the late load in the log", TIMEOUT, |log| {
        has_text(log, "status", "loaded")
    })?;
    let story: Vec<String> = entries(&log)
        .iter()
        .filter_map(|e| match e["kind"].as_str() {
            Some("status") => e["text"].as_str().map(str::to_owned),
            Some("error") => Some(format!("error: {}", e["message"].as_str().unwrap_or(""))),
            _ => None,
        })
        .collect();
    let at = |needle: &str| story.iter().position(|s| s.contains(needle));
    match (at("loading"), at("within 2 s"), at("loaded")) {
        (Some(a), Some(b), Some(c)) if a < b && b < c => Ok(()),
        _ => bail!("the log's statuses: {story:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Loader failures keep what the log had

/// One tab goes through a 404, a CSP block and a timeout in turn; each shows its reason in the
/// popup's log and every entry recorded before it is still there afterwards.
fn loader_failures_keep_the_log(ctx: &mut Ctx) -> Result<()> {
    let origin = ctx.server.origin();
    let localhost = format!("http://localhost:{}", ctx.server.port());
    ctx.server.route(
        &format!("/csp-loader/{WIDGET_ID}.js"),
        Response::js(format!(
            "var s = document.createElement('script'); s.src = '{localhost}/bundle/widget.js'; document.head.appendChild(s);"
        )),
    );
    ctx.server.route(
        &format!("/silent/{WIDGET_ID}.js"),
        Response::js("/* loads, never calls back */"),
    );
    let cases = [
        (
            format!("{origin}/missing-loader/{{id}}.js"),
            "/jivochat-none.html?404",
            "404",
        ),
        (
            format!("{localhost}/csp-loader/{{id}}.js"),
            "/strict/jivochat-none.html?csp",
            "Content-Security-Policy",
        ),
        (
            format!("{origin}/silent/{{id}}.js"),
            "/jivochat-none.html?timeout",
            "within 1 s",
        ),
    ];
    let mut tab = None;
    let mut kept: Vec<Value> = Vec::new();
    for (loader, page, reason) in cases {
        use_jivochat(ctx, &loader, 1_000)?;
        let url = ctx.url(page);
        ctx.goto(&url)?;
        let t = match tab {
            Some(t) => t,
            None => *tab.insert(ctx.tab_id_of(&url)?),
        };
        let log = wait_log(
            ctx,
            t,
            &format!("the {reason} failure in the log"),
            TIMEOUT,
            |log| has_text(log, "error", reason),
        )?;
        let now = entries(&log);
        ensure!(
            now.len() >= kept.len() && now[..kept.len()] == kept[..],
            "entries recorded before the {reason} failure changed or went"
        );
        kept = now;
    }
    let t = tab.context("no tab")?;
    // The popup shows all three reasons in its log.
    open_popup(ctx, t)?;
    ctx.wait_for_js(
        "const t = document.getElementById('log-list').textContent;\
         return t.includes('404') && t.includes('Content-Security-Policy') && t.includes('within 1 s');",
        TIMEOUT,
    )?;
    let text = wait_state(ctx, "failed", TIMEOUT)?;
    ensure!(text.contains("within 1 s"), "popup status {text:?}");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Storage refuses writes

/// Fills `storage.<area>` until less than `room` bytes are free (writes `faultsFiller*` keys;
/// gives up a little past the area's quota if storage never refuses); returns what it did,
/// with the browser's first refusal.
fn fill_storage(b: &Browser, area: &str, room: u64) -> Result<Value> {
    b.ext_eval(
        "const area = api.storage[arguments[0]]; const room = arguments[1];\
         const quota = area.QUOTA_BYTES || 10485760;\
         const used = () => area.getBytesInUse ? area.getBytesInUse(null) : Promise.resolve(0);\
         return (async () => {\
           const before = await used();\
           let size = Math.max(1024, quota - before - 64); let n = 0, written = 0; const refusals = [];\
           while (size > room / 2 && n < 200 && written <= quota + (1 << 20)) {\
             const key = 'faultsFiller' + n;\
             try { await area.set({[key]: 'x'.repeat(size)}); n++; written += size; }\
             catch (e) { refusals.push(String(e && e.message || e)); size = Math.floor(size / 2); }\
           }\
           return {before, after: await used(), quota, pieces: n, written, refusal: refusals[0] || null};\
         })();",
        vec![json!(area), json!(room)],
    )
    .with_context(|| format!("filling storage.{area}"))
}

/// Removes what [`fill_storage`] wrote.
fn unfill_storage(b: &Browser, area: &str) -> Result<()> {
    b.ext_eval(
        "const area = api.storage[arguments[0]];\
         return area.get(null).then(all => area.remove(Object.keys(all).filter(k => k.startsWith('faultsFiller')))).then(() => null);",
        vec![json!(area)],
    )
    .map(drop)
    .with_context(|| format!("emptying storage.{area}"))
}

fn full_session_storage_is_reported_and_loses_nothing(ctx: &mut Ctx) -> Result<()> {
    let result = session_storage_full_steps(ctx);
    let cleaned = unfill_storage(ctx, "session");
    result.and(cleaned)
}

fn session_storage_full_steps(ctx: &Ctx) -> Result<()> {
    let (_, tab) = open_sandbox_site(ctx)?;
    fire(ctx, "before-", 0, 20)?;
    wait_log(ctx, tab, "the events before the fault", TIMEOUT, |log| {
        tagged(log, "before-").len() == 20
    })?;
    let filled = fill_storage(ctx, "session", 512)?;
    ensure!(
        filled["refusal"].is_string(),
        "storage.session never refused a write: {filled} ({} enforces no quota?)",
        ctx.kind()
    );

    // Events while storage is full: each is shown, and the user is told once why the log
    // cannot be saved.
    fire(ctx, "during-", 0, 30)?;
    let log = wait_log(
        ctx,
        tab,
        "the failure reported and the events kept",
        TIMEOUT,
        |log| {
            tagged(log, "during-").len() == 30
                && has_text(log, "error", "the log could not be saved")
        },
    )?;
    exactly_once(&log, "before-", 20)?;
    let errors = entries(&log)
        .iter()
        .filter(|e| e["kind"] == "error")
        .count();
    ensure!(
        errors == 1,
        "{errors} error entries for one run of failures"
    );

    // The popup shows it.
    let page = ctx.current_tab()?;
    open_popup(ctx, tab)?;
    ctx.wait_for_js(
        "return document.getElementById('log-list').textContent.includes('could not be saved');",
        TIMEOUT,
    )
    .context("the popup's log does not show the failure")?;
    ctx.close_tab()?;
    ctx.switch_to(&page)?;

    // The background is stopped while the log is only in its memory: the page still holds
    // those events (nothing was acknowledged) and gives them to the next background, which the
    // page's next events wake.
    stop_background_proven(ctx, |b| fire(b, "while-stopped-", 0, 10))?;
    wait_log(
        ctx,
        tab,
        "the unsaved events resent to a new background",
        TIMEOUT,
        |log| tagged(log, "while-stopped-").len() == 10 && tagged(log, "during-").len() == 30,
    )?;

    // Space frees: saving resumes by itself and says so.
    unfill_storage(ctx, "session")?;
    wait_log(
        ctx,
        tab,
        "saving to resume",
        Duration::from_secs(15),
        |log| has_text(log, "status", "saved again"),
    )?;
    fire(ctx, "after-", 0, 10)?;
    wait_log(ctx, tab, "the events after the fault", TIMEOUT, |log| {
        tagged(log, "after-").len() == 10
    })?;

    // Everything is in storage: a restarted background reads it all back, once each.
    std::thread::sleep(Duration::from_millis(500));
    ctx.stop_background()?;
    let log = wait_log(ctx, tab, "the log after a restart", TIMEOUT, |log| {
        tagged(log, "after-").len() == 10
    })?;
    exactly_once(&log, "before-", 20)?;
    exactly_once(&log, "during-", 30)?;
    exactly_once(&log, "while-stopped-", 10)?;
    exactly_once(&log, "after-", 10)?;
    ensure!(
        has_text(&log, "error", "could not be saved") && has_text(&log, "status", "saved again"),
        "the failure and the recovery are not in the stored log"
    );
    Ok(())
}

fn full_local_storage_keeps_the_sandbox_visitor(ctx: &mut Ctx) -> Result<()> {
    let result = local_storage_full_steps(ctx);
    let cleaned = unfill_storage(ctx, "local");
    result.and(cleaned)
}

fn local_storage_full_steps(ctx: &Ctx) -> Result<()> {
    let (url, tab) = open_sandbox_site(ctx)?;
    fire(ctx, "before-", 0, 5)?;
    let filled = fill_storage(ctx, "local", 64)?;
    ensure!(
        filled["refusal"].is_string(),
        "storage.local never refused a write: {filled}"
    );
    // The visitor introduces themselves: the sandbox saves its record, and storage refuses.
    // (The description makes the record longer than what room is left.)
    ctx.eval(
        "jivo_api.setContactInfo({name: 'Ann Faults', email: 'ann@faults.example', description: 'd'.repeat(400)}); return null;",
    )?;
    let log = wait_log(ctx, tab, "the refused record reported", TIMEOUT, |log| {
        has_text(log, "error", "sandbox visitor record")
    })?;
    exactly_once(&log, "before-", 5)?;
    // The next page of the site still knows the visitor (the record kept in memory).
    ctx.goto(&url)?;
    let contact = ctx.wait_for("the visitor's contact after a reload", TIMEOUT, |b| {
        let c = b.eval("return window.jivo_api ? jivo_api.getContactInfo() : null;")?;
        Ok((c["client_name"] == "Ann Faults").then_some(c))
    })?;
    ensure!(
        contact["email"] == "ann@faults.example",
        "contact after reload: {contact}"
    );
    // Space frees: the record is written and the log says so.
    unfill_storage(ctx, "local")?;
    wait_log(
        ctx,
        tab,
        "the record saved again",
        Duration::from_secs(15),
        |log| has_text(log, "status", "saved again"),
    )?;
    let key = format!("sandbox:{}", ctx.server.origin());
    let stored = ctx.storage_get("local", &key)?;
    ensure!(
        stored.to_string().contains("Ann Faults"),
        "stored record: {}",
        clip(&stored.to_string(), 400)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Garbage settings imports

fn garbage_imports_are_refused(ctx: &mut Ctx) -> Result<()> {
    let initial = json!({ "sites": ["https://a.example/*"], "log": { "maxEntries": 3000 } });
    ctx.set_settings(initial.clone())?;
    ctx.open_extension_page("options.html")?;
    ctx.wait_for_js(
        "return document.querySelectorAll('#site-list li').length === 1",
        TIMEOUT,
    )?;
    let binary: Vec<u8> = (0..4096u32).map(|i| (i * 131 % 256) as u8).collect();
    let mut big = b"{\"sites\": [\"".to_vec();
    big.extend(std::iter::repeat_n(b'a', 5 * 1024 * 1024));
    big.extend(b"\"]}");
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!(
        "{{\"spa\": {}1{}}}",
        "{\"a\": ".repeat(5_000),
        "}".repeat(5_000)
    );
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("binary.json", binary, &["not valid JSON"]),
        ("empty.json", Vec::new(), &["not valid JSON"]),
        ("big.json", big, &["bytes"]),
        ("deep.json", deep.into_bytes(), &["not valid JSON"]),
        (
            "deep-object.json",
            deep_object.into_bytes(),
            &["not valid JSON"],
        ),
        ("array.json", b"[1, 2, 3]".to_vec(), &["object"]),
        ("string.json", b"\"sandbox\"".to_vec(), &["object"]),
        ("null.json", b"null".to_vec(), &["object"]),
        (
            "shape.json",
            br#"{"sites": {"a": 1}, "log": [2000], "spa": "yes", "mode": 7}"#.to_vec(),
            &["sites", "log", "spa", "mode"],
        ),
    ];
    for (name, bytes, needles) in cases {
        let file = TempFile::new(ctx, name, &bytes)?;
        ctx.eval("const s = document.getElementById('import-status'); if (s) s.removeAttribute('data-state'); return null;")?;
        ctx.choose_file("#import-file", &file)?;
        ctx.wait_for_attr("#import-status", "data-state", "error", TIMEOUT)
            .with_context(|| format!("{name} was not refused"))?;
        let shown = ctx.text("#import-status")?;
        ensure!(
            shown.contains(name),
            "{name}: the refusal does not name the file: {shown:?}"
        );
        for needle in needles {
            ensure!(
                shown.contains(needle),
                "{name}: the reason does not mention {needle:?}: {shown:?}"
            );
        }
        let stored = ctx.storage_get("local", "settings")?;
        ensure!(
            stored == initial,
            "{name}: the settings changed to {stored}"
        );
    }
    // The page still works: the form shows the settings in force.
    let sites = ctx.eval(
        "return [...document.querySelectorAll('#site-list li .site-pattern')].map(e => e.textContent);",
    )?;
    ensure!(
        sites == json!(["https://a.example/*"]),
        "the form changed: {sites}"
    );
    Ok(())
}
