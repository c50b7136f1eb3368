//! The QA workbench: the DevTools panel page (opened directly as `panel.html?tab=<id>`, since
//! DevTools cannot be driven headless) keeps a live log across page reloads and a stopped
//! background with nothing lost or shown twice; the integration checks find exactly the known
//! mistakes of a page (in the panel, the popup and the badge) and nothing on a clean one; the
//! side panel (`sidepanel.html?tab=<id>`) shows the conversation and sends a reply; a session
//! exported from the panel opens again read-only with the same rows and findings, its HTML
//! report runs nothing of the page's strings and fetches nothing; a call copies as code that
//! makes the same call again; the console sends invalid arguments on purpose ("send anyway").

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::browser::{Browser, TempFile};
use e2e::popup_port::{self, entries};
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use e2e::server::Response;
use jwi_core::sandbox::AgentAction;
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(panel_log_survives_reload_and_background_stop),
    scenario!(known_mistakes_give_exactly_their_findings),
    scenario!(clean_page_has_no_findings),
    scenario!(two_loaders_give_the_duplicate_widget_finding),
    scenario!(side_panel_shows_the_conversation_and_replies),
    scenario!(session_export_then_import_gives_the_same_rows_and_findings),
    scenario!(session_report_shows_hostile_strings_and_runs_nothing),
    scenario!(row_copies_as_code_and_console_sends_anyway),
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
    ctx.server.route(
        "/checks-slow-banner.svg",
        Response {
            content_type: "image/svg+xml".into(),
            ..Response::js(r#"<svg xmlns="http://www.w3.org/2000/svg" width="300" height="60"/>"#)
        }
        // The preload scanner asks for it while the slow script holds the parser: it must
        // outlast that script by long enough for the content bundle to start (document_idle).
        .delay(Duration::from_millis(3000)),
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

/// A page that embeds JivoChat twice (a theme's snippet and a plugin's, two widget ids) in
/// JivoChat mode: the panel shows the duplicate-widget finding, naming both loaders.
fn two_loaders_give_the_duplicate_widget_finding(ctx: &mut Ctx) -> Result<()> {
    ctx.configure(json!({
        "mode": "jivochat",
        "widgetId": "OurWidget3",
        "loaderUrl": "http://code.jivosite.com/widget/{id}",
        "sites": ["http://127.0.0.1/checks-*"],
    }))?;
    let url = ctx.url("/checks-two-loaders.html");
    ctx.goto(&url)?;
    ctx.wait_for_js("return (window.fakeJivoRuns || 0) >= 2;", TIMEOUT)?;
    let tab = ctx.tab_id_of(&url)?;
    ctx.new_tab()?;
    ctx.open_extension_page(&format!("panel.html?tab={tab}"))?;
    ctx.wait_for_attr("#panel", "data-connected", "true", TIMEOUT)?;
    let mut listed = BTreeSet::new();
    ctx.wait_for("the duplicate-widget finding", TIMEOUT, |b| {
        listed = listed_checks(b, "#findings-list li.finding")?;
        Ok(listed.contains("duplicate-widget").then_some(()))
    })
    .with_context(|| format!("the panel lists {listed:?}"))?;
    let text = ctx.text("#findings-list")?;
    ensure!(
        text.contains("ThemeWidget1") && text.contains("PluginWidget2"),
        "the finding does not name both loaders: {text:?}"
    );
    Ok(())
}

fn side_panel_shows_the_conversation_and_replies(ctx: &mut Ctx) -> Result<()> {
    ctx.configure(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/site-integration*"] }))?;
    let url = ctx.url("/site-integration.html");
    let tab = e2e::site::open(ctx, &url, TIMEOUT)?;
    let page = ctx.current_tab()?;
    // The agent greets the visitor first (as the popup would), so there is a conversation.
    popup_port::agent(
        ctx,
        tab,
        AgentAction::SendMessage {
            text: "Welcome!".into(),
        },
    )?;
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

/// Strings a hostile page puts in its log: each would fetch a fixture path or set
/// `window.pwned` if any of it ran or were parsed as markup.
const HOSTILE_NAME: &str = "</script><script src=\"/evil.js\"></script><img src=\"/pwned.png\" onerror=\"window.pwned=1\">";
const HOSTILE_EMAIL: &str =
    "<img src=/pwned2.png onerror=window.pwned=2><link rel=stylesheet href=/evil.css>";
const HOSTILE_STATE: &str = "<script>window.pwned=3</script><iframe src=\"/evil.html\"></iframe>";
/// The fixture paths the hostile strings name.
const HOSTILE_PATHS: [&str; 5] = [
    "/evil.js",
    "/pwned.png",
    "/pwned2.png",
    "/evil.css",
    "/evil.html",
];

/// Opens the site-integration page in sandbox mode, makes it log the hostile strings (an
/// invalid `setContactInfo`, a callback) and a non-hex `setWidgetColor`, and opens the panel
/// for it once both findings show; returns the tab id and the page's and panel's handles.
fn hostile_session(ctx: &mut Ctx) -> Result<(i64, String, String)> {
    ctx.configure(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/site-integration*"] }))?;
    let url = ctx.url("/site-integration.html");
    let tab = e2e::site::open(ctx, &url, TIMEOUT)?;
    let page = ctx.current_tab()?;
    ctx.eval_with(
        "jivo_api.setContactInfo({name: arguments[0], email: arguments[1]});\
         jivo_onChangeState(arguments[2]);\
         jivo_api.setWidgetColor('red'); return null;",
        vec![
            json!(HOSTILE_NAME),
            json!(HOSTILE_EMAIL),
            json!(HOSTILE_STATE),
        ],
    )?;
    let panel = ctx.new_tab()?;
    ctx.open_extension_page(&format!("panel.html?tab={tab}"))?;
    ctx.wait_for_attr("#panel", "data-connected", "true", TIMEOUT)?;
    ctx.wait_for("both findings", TIMEOUT, |b| {
        let checks = b.eval(
            "return [...document.querySelectorAll('#findings-list li.finding')].map(li => li.dataset.check);",
        )?;
        let checks = checks.to_string();
        Ok((checks.contains("invalid-arguments") && checks.contains("widget-color-not-hex"))
            .then_some(()))
    })?;
    wait_rows(ctx, "the hostile callback", |r| {
        r.iter().any(|r| r.2.contains("window.pwned=3"))
    })?;
    Ok((tab, page, panel))
}

/// Makes `<a>.click()` record downloads in `window.downloads` instead of saving files.
fn capture_downloads(ctx: &Ctx) -> Result<()> {
    ctx.eval(
        "window.downloads = [];\
         HTMLAnchorElement.prototype.click = function () {\
           window.downloads.push({href: this.href, download: this.download});\
         }; return null;",
    )?;
    Ok(())
}

/// Clicks `button` and returns the file it offers: its name and text.
fn download(ctx: &Ctx, button: &str) -> Result<(String, String)> {
    let before = ctx
        .eval("return window.downloads.length;")?
        .as_u64()
        .unwrap_or(0);
    ctx.click(button)?;
    let mut dl = Value::Null;
    ctx.wait_for("a download", TIMEOUT, |b| {
        dl = b.eval_with(
            "return window.downloads[arguments[0]] || null;",
            vec![json!(before)],
        )?;
        Ok((!dl.is_null()).then_some(()))
    })?;
    let href = dl["href"].as_str().unwrap_or("");
    ensure!(href.starts_with("blob:"), "download href {href}");
    let text = ctx.eval_with(
        "return fetch(arguments[0]).then(r => r.text());",
        vec![json!(href)],
    )?;
    Ok((
        dl["download"].as_str().unwrap_or("").to_owned(),
        text.as_str().unwrap_or("").to_owned(),
    ))
}

/// Chooses `file` in the panel's `#session-import`, as a person picking it would.
fn import(ctx: &Ctx, file: &TempFile) -> Result<()> {
    ctx.choose_file("#session-import", file)
}

fn session_export_then_import_gives_the_same_rows_and_findings(ctx: &mut Ctx) -> Result<()> {
    let (tab, page, panel) = hostile_session(ctx)?;
    capture_downloads(ctx)?;
    let live_rows = panel_rows(ctx)?;
    let live_findings = listed_checks(ctx, "#findings-list li.finding")?;
    let (name, text) = download(ctx, "#session-export-json")?;
    ensure!(
        name.starts_with(&format!("jivo-session-tab{tab}-")) && name.ends_with(".json"),
        "file name {name}"
    );
    ensure!(
        text.starts_with("{\n  \"format\": \"jivo-widget-injector/session\",\n  \"version\": 1,"),
        "the file does not start as documented: {}",
        &text[..text.len().min(120)]
    );
    let session: Value = serde_json::from_str(&text)?;
    for key in [
        "browser",
        "extension",
        "settings",
        "facts",
        "findings",
        "log",
    ] {
        ensure!(!session[key].is_null(), "no {key} in the session");
    }
    ensure!(
        session["extension"]["version"] == ctx.manifest()["version"],
        "extension {}",
        session["extension"]
    );
    ensure!(
        session["settings"]["mode"] == "sandbox",
        "settings {}",
        session["settings"]
    );
    let exported_ids: Vec<u64> = session["log"]["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["id"].as_u64())
        .collect();
    let exported_findings: BTreeSet<String> = session["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["check"].as_str().map(str::to_owned))
        .collect();
    ensure!(
        exported_findings == live_findings,
        "exported {exported_findings:?}, shown {live_findings:?}"
    );

    // Bad files are refused, each with its reason, and change nothing.
    let mut wrong_version = session.clone();
    wrong_version["version"] = json!(99);
    let bad = [
        ("not-json.json", "this is not JSON".to_owned(), ""),
        ("version.json", wrong_version.to_string(), "99"),
        (
            "shape.json",
            json!({"format": "jivo-widget-injector/session", "version": 1}).to_string(),
            "",
        ),
    ];
    for (file_name, contents, says) in bad {
        let file = TempFile::new(ctx, file_name, &contents)?;
        ctx.eval("document.getElementById('session-error').textContent = ''; return null;")?;
        import(ctx, &file)?;
        let mut error = String::new();
        ctx.wait_for("the refusal", TIMEOUT, |b| {
            error = b.text("#session-error")?;
            Ok((!error.is_empty()).then_some(()))
        })?;
        ensure!(
            error.contains(file_name) && error.contains(says),
            "{file_name}: {error}"
        );
        ensure!(
            ctx.attr("#panel", "data-imported")?.is_none()
                && ctx.attr("#session-banner", "hidden")?.is_some(),
            "{file_name} changed the panel"
        );
    }
    ensure!(
        listed_checks(ctx, "#findings-list li.finding")? == live_findings,
        "the findings changed after a refused file"
    );

    // The session opens in a fresh panel: the same rows and findings, read-only.
    let file = TempFile::new(ctx, "session.json", &text)?;
    ctx.new_tab()?;
    ctx.open_extension_page(&format!("panel.html?tab={tab}"))?;
    ctx.wait_for_attr("#panel", "data-connected", "true", TIMEOUT)?;
    import(ctx, &file)?;
    ctx.wait_for_attr("#panel", "data-imported", "true", TIMEOUT)?;
    ensure!(
        ctx.attr("#session-banner", "hidden")?.is_none()
            && !ctx.text("#session-banner-text")?.is_empty(),
        "no banner"
    );
    let rows = wait_rows(ctx, "the imported rows", |r| r.len() == exported_ids.len())?;
    let ids: Vec<u64> = rows.iter().map(|r| r.0).collect();
    ensure!(
        ids == exported_ids,
        "imported {ids:?}, exported {exported_ids:?}"
    );
    for row in &rows {
        if let Some(live) = live_rows.iter().find(|l| l.0 == row.0) {
            ensure!(live == row, "row {} differs: {live:?} / {row:?}", row.0);
        }
    }
    ensure!(
        listed_checks(ctx, "#findings-list li.finding")? == live_findings,
        "the imported findings differ"
    );
    ensure!(
        ctx.text("#page-site")?.contains("127.0.0.1"),
        "the header does not name the session's site"
    );
    super::first_run::axe_both_schemes(ctx, "the panel's session tools", json!("header"))?;
    // Filters work on the imported log: Errors alone shows the error findings' evidence.
    for kind in ["callback", "api", "navigation", "status"] {
        ctx.click(&format!("#log-filter-{kind}"))?;
    }
    let evidence: BTreeSet<u64> = session["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["severity"] == "error")
        .flat_map(|f| f["evidence"].as_array().cloned().unwrap_or_default())
        .filter_map(|id| id.as_u64())
        .collect();
    ensure!(!evidence.is_empty(), "no error evidence in the session");
    let rows = wait_rows(ctx, "the evidence rows under Errors", |r| {
        evidence.iter().all(|id| r.iter().any(|r| r.0 == *id))
    })?;
    ensure!(
        rows.iter()
            .all(|r| evidence.contains(&r.0) || r.1 == "error" || r.1 == "callbackThrew"),
        "the Errors filter shows other rows: {rows:?}"
    );
    for kind in ["callback", "api", "navigation", "status"] {
        ctx.click(&format!("#log-filter-{kind}"))?;
    }
    // Live updates are off: what the page does now does not show.
    let imported = ctx.current_tab()?;
    ctx.switch_to(&page)?;
    ctx.eval("jivo_onChangeState('wb-after-import'); return null;")?;
    ctx.switch_to(&panel)?;
    wait_rows(ctx, "the live panel's new row", |r| {
        r.iter().any(|r| r.2.contains("wb-after-import"))
    })?;
    ctx.switch_to(&imported)?;
    std::thread::sleep(Duration::from_millis(300));
    ensure!(
        !panel_rows(ctx)?
            .iter()
            .any(|r| r.2.contains("wb-after-import")),
        "a live row reached the imported session"
    );
    ensure!(
        ctx.prop("#log-clear", "disabled")? == json!(true),
        "Clear is usable on an imported session"
    );
    // Back to live.
    ctx.click("#session-close")?;
    ctx.wait_for_attr("#panel", "data-connected", "true", TIMEOUT)?;
    wait_rows(ctx, "the live rows again", |r| {
        r.iter().any(|r| r.2.contains("wb-after-import"))
    })?;
    Ok(())
}

fn session_report_shows_hostile_strings_and_runs_nothing(ctx: &mut Ctx) -> Result<()> {
    let (tab, _page, _panel) = hostile_session(ctx)?;
    capture_downloads(ctx)?;
    let (name, html) = download(ctx, "#session-export-html")?;
    ensure!(
        name.starts_with(&format!("jivo-session-tab{tab}-")) && name.ends_with(".html"),
        "file name {name}"
    );
    ensure!(
        html.contains(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;"
        ),
        "no CSP in the report"
    );
    for path in HOSTILE_PATHS {
        ctx.server
            .route(path, Response::js("window.pwned = 'fetched';"));
    }
    ctx.server.route("/report.html", Response::html(html));
    let report = ctx.url("/report.html");
    ctx.new_tab()?;
    ctx.goto(&report)?;
    std::thread::sleep(Duration::from_millis(500));
    let seen = ctx.eval(
        "return {pwned: window.pwned === undefined ? null : String(window.pwned),\
                 scripts: document.scripts.length, images: document.images.length,\
                 frames: document.querySelectorAll('iframe, link[rel=stylesheet]').length,\
                 text: document.body.innerText};",
    )?;
    ensure!(
        seen["pwned"].is_null(),
        "a hostile string ran: {}",
        seen["pwned"]
    );
    ensure!(
        seen["scripts"] == 0 && seen["images"] == 0 && seen["frames"] == 0,
        "the report has page markup: {seen}"
    );
    for path in HOSTILE_PATHS {
        ensure!(
            ctx.server.requests_for(path) == 0,
            "the report fetched {path}"
        );
    }
    let others: Vec<String> = ctx
        .server
        .requests()
        .into_iter()
        .map(|r| r.path)
        .filter(|p| {
            !p.starts_with("/site-integration") && p != "/report.html" && p != "/favicon.ico"
        })
        .collect();
    ensure!(others.is_empty(), "requests beyond the report: {others:?}");
    let text = seen["text"].as_str().unwrap_or("");
    for s in [
        "<script>window.pwned=3</script>",
        "<img src=/pwned2.png onerror=window.pwned=2>",
    ] {
        ensure!(text.contains(s), "{s} is not shown as text");
    }
    // The filters work without a script: Errors alone hides a callback row.
    let display = "return getComputedStyle(document.querySelector('.log .k-callback')).display;";
    ensure!(ctx.eval(display)? != "none", "a callback row is hidden");
    ctx.click("label[for=f-callback]")?;
    ensure!(
        ctx.eval(display)? == "none",
        "the Callbacks filter does nothing"
    );
    ensure!(
        ctx.find_all(".finding[data-check='invalid-arguments']")?
            .len()
            == 1,
        "the report lacks a finding"
    );
    ctx.click("label[for=f-callback]")?;
    super::first_run::axe_both_schemes(ctx, "the HTML report", Value::Null)?;
    Ok(())
}

fn row_copies_as_code_and_console_sends_anyway(ctx: &mut Ctx) -> Result<()> {
    ctx.configure(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/site-integration*"] }))?;
    let url = ctx.url("/site-integration.html");
    let tab = e2e::site::open(ctx, &url, TIMEOUT)?;
    let page = ctx.current_tab()?;
    let name = "Ann \"the\" </script>\n\u{2028}";
    ctx.eval_with(
        "jivo_api.setContactInfo({name: arguments[0], email: 'ann@example.com'}); return null;",
        vec![json!(name)],
    )?;
    let panel = ctx.new_tab()?;
    ctx.open_extension_page(&format!("panel.html?tab={tab}"))?;
    ctx.wait_for_attr("#panel", "data-connected", "true", TIMEOUT)?;
    let rows = wait_rows(ctx, "the setContactInfo row", |r| {
        r.iter().any(|r| r.2.contains("setContactInfo"))
    })?;
    let id = rows
        .iter()
        .find(|r| r.2.contains("setContactInfo"))
        .map(|r| r.0)
        .unwrap_or(0);
    ctx.eval(
        "window.copied = null; navigator.clipboard.writeText = t => { window.copied = t; return Promise.resolve(); };\
         return null;",
    )?;
    // By keyboard: focus the row, Enter expands it, the button is the next Tab stop.
    ctx.eval_with(
        "document.querySelector(`#log-list li[data-id='${arguments[0]}']`).focus(); return null;",
        vec![json!(id)],
    )?;
    ctx.press_keys(&[e2e::browser::keys::ENTER])?;
    let button = format!("#log-list li[data-id='{id}'] .log-code");
    ctx.wait_for_element(&button, TIMEOUT)?;
    // The button is the next Tab stop, or the one after: a detail wider than the panel scrolls,
    // and Firefox makes a scrolling element a Tab stop of its own.
    let mut focused = false;
    for _ in 0..2 {
        ctx.press_keys(&[e2e::browser::keys::TAB])?;
        focused = ctx.eval_with(
            "return document.activeElement === document.querySelector(arguments[0]);",
            vec![json!(button)],
        )? == true;
        if focused {
            break;
        }
    }
    if !focused {
        let at = ctx.eval(
            "const a = document.activeElement;\
             return a ? a.tagName + '.' + a.className + '#' + a.id : null;",
        )?;
        anyhow::bail!(
            "Tab from the expanded row does not reach its Copy as code button (focus: {at})"
        );
    }
    ctx.press_keys(&[e2e::browser::keys::ENTER])?;
    let code = ctx.wait_for_js("return window.copied;", TIMEOUT)?;
    let code = code.as_str().unwrap_or("").to_owned();
    ensure!(
        code.starts_with("jivo_api.setContactInfo({") && code.ends_with("});"),
        "copied {code:?}"
    );
    ensure!(
        ctx.attr(
            &format!("#log-list li[data-id='{id}'] .log-code"),
            "data-copied"
        )?
        .as_deref()
            == Some("true"),
        "the button does not say it copied"
    );
    // Pasted into the page's console, it makes the same call again.
    ctx.switch_to(&page)?;
    ctx.eval(&format!("{code} return null;"))?;
    ctx.switch_to(&panel)?;
    let rows = wait_rows(ctx, "the call made again", |r| {
        r.iter().filter(|r| r.2.contains("setContactInfo")).count() == 2
    })?;
    let calls = ctx.eval(
        "return [...document.querySelectorAll('#log-list li[data-kind=apiCall] .log-line')]\
         .filter(l => l.textContent.includes('setContactInfo'))\
         .map(l => l.querySelector('.log-origin').textContent + l.querySelector('.log-sum').textContent);",
    )?;
    ensure!(
        calls
            .as_array()
            .is_some_and(|c| c.len() == 2 && c[0] == c[1]),
        "the pasted call differs: {calls}"
    );
    // A callback row has no "Copy as code".
    let callback = rows.iter().find(|r| r.1 == "callback").map(|r| r.0);
    if let Some(cb) = callback {
        ctx.click(&format!("#log-list li[data-id='{cb}'] .log-line"))?;
        ctx.wait_for_element(&format!("#log-list li[data-id='{cb}'] .log-json"), TIMEOUT)?;
        ensure!(
            ctx.find_all(&format!("#log-list li[data-id='{cb}'] .log-code"))?
                .is_empty(),
            "a callback copies as code"
        );
    }

    // The console refuses an invalid phone number, then sends it anyway: the widget's failure
    // answer comes back, and the log says the call was sent invalid on purpose.
    ctx.select("#api-method", "startCall", TIMEOUT)?;
    ctx.wait_for_element("#api-arg-phone", TIMEOUT)?;
    ensure!(
        ctx.attr("#api-anyway", "hidden")?.is_some(),
        "send anyway shows before a refusal"
    );
    ctx.type_into("#api-arg-phone", "12")?;
    ctx.click("#api-call")?;
    ctx.wait_for_attr("#api-result", "data-kind", "refused", TIMEOUT)?;
    ensure!(
        ctx.attr("#api-anyway", "hidden")?.is_none(),
        "no send anyway after a refusal"
    );
    ctx.click("#api-anyway")?;
    ctx.wait_for("the answer", TIMEOUT, |b| {
        Ok(b.attr("#api-result", "data-kind")?
            .filter(|k| k != "pending" && k != "refused")
            .map(|_| ()))
    })?;
    ensure!(
        ctx.attr("#api-result", "data-anyway")?.as_deref() == Some("true"),
        "the call did not go out as sent anyway"
    );
    let value = ctx.attr("#api-result", "data-value")?.unwrap_or_default();
    ensure!(value.contains("\"fail\""), "the widget answered {value}");
    let rows = wait_rows(ctx, "the call sent anyway", |r| {
        r.iter().any(|r| r.2.contains("sent anyway"))
    })?;
    let row = rows
        .iter()
        .find(|r| r.2.contains("sent anyway"))
        .map(|r| r.2.clone())
        .unwrap_or_default();
    ensure!(
        row.contains("startCall") && row.contains("popup") && row.contains("\"12\""),
        "row {row}"
    );
    Ok(())
}
