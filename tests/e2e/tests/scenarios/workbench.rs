//! The QA workbench: the DevTools panel page (opened directly as `panel.html?tab=<id>`, since
//! DevTools cannot be driven headless) keeps a live log across page reloads and a stopped
//! background with nothing lost or shown twice; the integration checks find exactly the known
//! mistakes of a page (in the panel, the popup and the badge) and nothing on a clean one; the
//! side panel (`sidepanel.html?tab=<id>`) shows the conversation and sends a reply.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::browser::Browser;
use e2e::popup_port::{self, entries};
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use e2e::server::Response;
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(panel_log_survives_reload_and_background_stop),
    scenario!(known_mistakes_give_exactly_their_findings),
    scenario!(clean_page_has_no_findings),
    scenario!(side_panel_shows_the_conversation_and_replies),
];

const TIMEOUT: Duration = Duration::from_secs(10);

/// The ids of the panel's rows, in order, and the `data-kind`s.
fn panel_rows(ctx: &Browser) -> Result<Vec<(u64, String, String)>> {
    let rows = ctx.eval(
        "return [...document.querySelectorAll('#log-list li[data-id]')]\
         .map(li => [Number(li.dataset.id), li.dataset.kind, li.textContent]);",
    )?;
    Ok(rows
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r[0].as_u64().unwrap_or(0),
                r[1].as_str().unwrap_or_default().to_owned(),
                r[2].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect())
}

/// Waits until the panel's rows satisfy `done`.
fn wait_rows(
    ctx: &Ctx,
    what: &str,
    done: impl Fn(&[(u64, String, String)]) -> bool,
) -> Result<Vec<(u64, String, String)>> {
    let mut last = Vec::new();
    ctx.wait_for(what, TIMEOUT, |b| {
        last = panel_rows(b)?;
        Ok(done(&last).then(|| last.clone()))
    })
    .with_context(|| {
        let ids: Vec<u64> = last.iter().map(|r| r.0).collect();
        format!("{} rows, ids {ids:?}", last.len())
    })
}

fn stream_rows(rows: &[(u64, String, String)]) -> Vec<String> {
    rows.iter()
        .filter_map(|(_, _, text)| {
            text.split(['"', ' ', '[', ']'])
                .find(|w| w.starts_with("wb-"))
                .map(str::to_owned)
        })
        .collect()
}

fn panel_log_survives_reload_and_background_stop(ctx: &mut Ctx) -> Result<()> {
    ctx.configure(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/site-integration*"] }))?;
    let url = ctx.url("/site-integration.html");
    let tab = e2e::site::open(ctx, &url, TIMEOUT)?;
    let page = ctx.current_tab()?;
    let panel = ctx.new_tab()?;
    ctx.open_extension_page(&format!("panel.html?tab={tab}"))?;
    ctx.wait_for_attr("#panel", "data-connected", "true", TIMEOUT)?;
    wait_rows(ctx, "the page's rows", |r| {
        r.iter().any(|r| r.1 == "pageLoad")
    })?;

    ctx.switch_to(&page)?;
    ctx.eval("for (let i = 0; i < 10; i++) jivo_onChangeState('wb-' + i);")?;
    ctx.switch_to(&panel)?;
    wait_rows(ctx, "wb-9 in the panel", |r| {
        stream_rows(r).iter().any(|w| w == "wb-9")
    })?;

    // A reload: a second page divider, the first page's rows kept.
    ctx.switch_to(&page)?;
    ctx.reload()?;
    e2e::site::site_log_with(ctx, "isCallbackEnabled", TIMEOUT)?;
    ctx.switch_to(&panel)?;
    wait_rows(ctx, "a second page load", |r| {
        r.iter().filter(|r| r.1 == "pageLoad").count() == 2
    })?;
    ensure!(
        ctx.find_all("#log-list .log-divider")?.len() == 2,
        "not one divider per page load"
    );

    // The background stops; the page goes on; the panel reconnects by itself.
    ctx.stop_background()?;
    ctx.switch_to(&page)?;
    ctx.eval("for (let i = 10; i < 20; i++) jivo_onChangeState('wb-' + i);")?;
    ctx.switch_to(&panel)?;
    let rows = wait_rows(ctx, "wb-19 in the panel", |r| {
        stream_rows(r).iter().any(|w| w == "wb-19")
    })?;
    ctx.wait_for_attr("#panel", "data-connected", "true", TIMEOUT)?;
    let ids: Vec<u64> = rows.iter().map(|r| r.0).collect();
    ensure!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "rows out of order or repeated: {ids:?}"
    );
    let mut stream = stream_rows(&rows);
    let total = stream.len();
    stream.sort();
    stream.dedup();
    ensure!(
        total == 20 && stream.len() == 20,
        "{total} stream rows, {} distinct (want 20 and 20)",
        stream.len()
    );
    // Every entry of the log is a row, once.
    let log = popup_port::log(ctx, tab)?;
    let logged: Vec<u64> = entries(&log)
        .iter()
        .filter_map(|e| e["id"].as_u64())
        .collect();
    ensure!(
        logged == ids,
        "the panel shows {ids:?}, the log holds {logged:?}"
    );

    // "Keep across reloads" off: a reload clears the view to the new page; remembered.
    ctx.click("#log-keep")?;
    ctx.switch_to(&page)?;
    ctx.reload()?;
    e2e::site::site_log_with(ctx, "isCallbackEnabled", TIMEOUT)?;
    ctx.switch_to(&panel)?;
    let rows = wait_rows(ctx, "only the new page's rows", |r| {
        r.first().is_some_and(|r| r.1 == "pageLoad")
            && r.iter().filter(|r| r.1 == "pageLoad").count() == 1
            && r.iter().any(|r| r.2.contains("jivo_onLoadCallback"))
    })?;
    ensure!(
        stream_rows(&rows).is_empty(),
        "the earlier page's rows are still shown"
    );
    let prefs = ctx.storage_get("local", "prefs:panel")?;
    ensure!(
        prefs["keepAcrossReloads"] == json!(false),
        "prefs not remembered: {prefs}"
    );
    Ok(())
}

/// The `data-check` ids of the findings listed under `css`.
fn listed_checks(ctx: &Browser, css: &str) -> Result<BTreeSet<String>> {
    let ids = ctx.eval_with(
        "return [...document.querySelectorAll(arguments[0])].map(li => li.dataset.check);",
        vec![json!(css)],
    )?;
    Ok(ids
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect())
}

fn known_mistakes_give_exactly_their_findings(ctx: &mut Ctx) -> Result<()> {
    ctx.server.route(
        "/checks-slow.js",
        Response::js("/* holds the parser back */").delay(Duration::from_millis(1500)),
    );
    // Another script replaces the page's jivo_onOpen.
    ctx.server.route(
        "/checks-replace.js",
        Response::js("window.jivo_onOpen = function () { checksLog.push('opened again'); };"),
    );
    ctx.configure(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/checks-*"] }))?;
    let url = ctx.url("/checks-mistakes.html");
    ctx.goto(&url)?;
    let mut seen = Value::Null;
    ctx.wait_for("the widget to load and be removed", TIMEOUT, |b| {
        seen = b.eval("return window.checksLog || [];")?;
        Ok(seen
            .as_array()
            .is_some_and(|l| l.iter().any(|e| e == "removed"))
            .then_some(()))
    })
    .with_context(|| format!("checksLog: {seen}"))?;
    ensure!(
        seen.as_array()
            .is_some_and(|l| l.iter().any(|e| e == "early call")),
        "the page made no call before load: {seen}"
    );
    let tab = ctx.tab_id_of(&url)?;
    let errors: BTreeSet<String> = [
        "api-before-load",
        "invalid-arguments",
        "widget-color-not-hex",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    // The facts the shim and the content script feed (docs/checks.md): warnings, one finding
    // per callback, and one per way the widget was removed (its globals, its element).
    let mut expected = errors.clone();
    expected.extend(
        [
            "handler-defined-late",
            "handler-replaced",
            "removed-without-destroy",
        ]
        .map(str::to_owned),
    );

    ctx.new_tab()?;
    ctx.open_extension_page(&format!("panel.html?tab={tab}"))?;
    let mut count = Value::Null;
    ctx.wait_for("the seven findings", TIMEOUT, |b| {
        // The panel may still be loading: a failed read is tried again.
        count = b
            .eval("return document.getElementById('findings')?.dataset.count ?? null;")
            .unwrap_or_default();
        Ok((count == json!("7")).then_some(()))
    })
    .with_context(|| format!("the panel counts {count} findings"))?;
    let listed = listed_checks(ctx, "#findings-list li.finding")?;
    ensure!(listed == expected, "the panel lists {listed:?}");
    ensure!(
        ctx.find_all("#findings-list .finding-advice")?.len() == 7
            && ctx.find_all("#findings-list .finding-quote")?.len() == 7,
        "a finding without its advice or the reference's words"
    );
    let finding = |check: &str| -> Result<String> {
        let text = ctx.eval_with(
            "return [...document.querySelectorAll(`#findings-list li[data-check='${arguments[0]}']`)]\
             .map(li => li.textContent).join(' | ');",
            vec![json!(check)],
        )?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    };
    let late = finding("handler-defined-late")?;
    ensure!(
        late.contains("jivo_onClose") && !late.contains("jivo_onOpen"),
        "handler-defined-late: {late}"
    );
    let replaced = finding("handler-replaced")?;
    ensure!(
        replaced.contains("jivo_onOpen") && replaced.contains("/checks-replace.js"),
        "handler-replaced: {replaced}"
    );
    let removed = finding("removed-without-destroy")?;
    ensure!(
        removed.contains("window.jivo_api") && removed.contains("elements were removed"),
        "removed-without-destroy (globals and nodes): {removed}"
    );
    // An evidence link brings its row into view.
    ctx.click("#findings-list li[data-check='widget-color-not-hex'] [data-evidence]")?;
    ctx.wait_for_element(".log-row.revealed[data-kind='apiCall']", TIMEOUT)?;
    ensure!(
        ctx.text(".log-row.revealed")?.contains("setWidgetColor"),
        "the revealed row is not the setWidgetColor call"
    );
    // The Errors filter alone shows the error findings' evidence (three API calls).
    for kind in ["callback", "api", "navigation", "status"] {
        ctx.click(&format!("#log-filter-{kind}"))?;
    }
    let rows = wait_rows(ctx, "the evidence rows under Errors", |r| {
        r.iter().filter(|r| r.1 == "apiCall").count() == 3
    })?;
    ensure!(
        rows.iter()
            .all(|r| r.1 == "apiCall" || r.1 == "error" || r.1 == "callbackThrew"),
        "the Errors filter shows other rows: {rows:?}"
    );

    // The popup sums them up, and the badge counts the errors.
    ctx.new_tab()?;
    ctx.open_extension_page(&format!("popup.html?tab={tab}"))?;
    ctx.wait_for_attr("#findings", "data-errors", "3", TIMEOUT)?;
    ctx.wait_for_attr("#findings", "data-count", "7", TIMEOUT)?;
    // The three most severe: the errors.
    let top = listed_checks(ctx, "#findings-top li.finding")?;
    ensure!(top == errors, "the popup lists {top:?}");
    ensure!(
        ctx.find_all("#findings-top .finding-advice")?.len() == 3,
        "the popup's findings have no advice"
    );
    let badge = ctx.ext_eval(
        "return api.action.getBadgeText({tabId: arguments[0]});",
        vec![json!(tab)],
    )?;
    ensure!(badge == json!("3"), "badge {badge}");
    Ok(())
}

fn clean_page_has_no_findings(ctx: &mut Ctx) -> Result<()> {
    ctx.configure(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/checks-*"] }))?;
    let url = ctx.url("/checks-clean.html");
    ctx.goto(&url)?;
    ctx.wait_for("the widget to load", TIMEOUT, |b| {
        let log = b.eval("return window.checksLog || [];")?;
        Ok(log
            .as_array()
            .is_some_and(|l| l.iter().any(|e| e == "loaded"))
            .then_some(()))
    })?;
    let tab = ctx.tab_id_of(&url)?;
    ctx.new_tab()?;
    ctx.open_extension_page(&format!("panel.html?tab={tab}"))?;
    wait_rows(ctx, "the page's calls", |r| {
        r.iter().filter(|r| r.1 == "apiCall").count() >= 4
    })?;
    ctx.wait_for_attr("#panel", "data-connected", "true", TIMEOUT)?;
    std::thread::sleep(Duration::from_millis(300));
    ensure!(
        ctx.attr("#findings", "data-count")?.as_deref() == Some("0"),
        "findings on a clean page: {:?}",
        listed_checks(ctx, "#findings-list li.finding")?
    );
    ensure!(
        !ctx.text("#findings-counts")?.trim().is_empty(),
        "the panel does not say there are no findings"
    );
    let badge = ctx.ext_eval(
        "return api.action.getBadgeText({tabId: arguments[0]});",
        vec![json!(tab)],
    )?;
    ensure!(badge == json!(""), "badge {badge}");
    Ok(())
}

fn side_panel_shows_the_conversation_and_replies(ctx: &mut Ctx) -> Result<()> {
    ctx.configure(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/site-integration*"] }))?;
    let url = ctx.url("/site-integration.html");
    let tab = e2e::site::open(ctx, &url, TIMEOUT)?;
    let page = ctx.current_tab()?;
    // The agent greets the visitor first (as the popup would), so there is a conversation.
    popup_port::agent(ctx, tab, json!({"type": "sendMessage", "text": "Welcome!"}))?;
    ctx.new_tab()?;
    ctx.open_extension_page(&format!("sidepanel.html?tab={tab}"))?;
    ctx.wait_for_attr("#page-status", "data-state", "loaded", TIMEOUT)?;
    ctx.wait_for("the conversation", TIMEOUT, |b| {
        Ok(b.text("#agent-conversation")?
            .contains("Welcome!")
            .then_some(()))
    })?;
    ctx.type_into("#agent-message", "Reply from the side panel\u{E007}")?;
    ctx.wait_for("the reply in the conversation", TIMEOUT, |b| {
        Ok(b.text("#agent-conversation")?
            .contains("Reply from the side panel")
            .then_some(()))
    })?;
    ensure!(
        ctx.prop("#agent-message", "value")? == "",
        "the reply box was not cleared"
    );
    // Online/offline from the side panel reaches the page.
    ctx.click("#agent-online")?;
    ctx.wait_for_attr("#agent-online", "data-online", "false", TIMEOUT)?;
    ctx.switch_to(&page)?;
    ctx.wait_for("chatMode() offline", TIMEOUT, |b| {
        Ok((b.eval("return jivo_api.chatMode();")? == "offline").then_some(()))
    })?;
    let log = e2e::site::site_log(ctx)?;
    ensure!(
        log.iter().any(|e| e["name"] == "jivo_onMessageReceived"),
        "the page never received the reply"
    );
    Ok(())
}
