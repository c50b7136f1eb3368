//! The bridge between a tab and the extension's UI: the toolbar badge counts the tab's unread
//! agent messages; a closed tab leaves nothing behind in `storage.session`; an open popup
//! keeps up with the page; and nothing a page sends runs in the popup.

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::browser::Browser;
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use e2e::server::Response;
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(badge_counts_unread_agent_messages),
    scenario!(closed_tab_leaves_no_record_or_log),
    scenario!(open_popup_receives_new_events),
    scenario!(page_data_never_runs_in_the_popup),
];

const SITES: [&str; 1] = ["http://127.0.0.1/site-integration*"];
/// Generous: these scenarios check that things happen, not how fast (that is `bench log`).
const TIMEOUT: Duration = Duration::from_secs(10);

/// Sandbox mode on the site-integration pages, once the content scripts are registered.
fn use_sandbox(ctx: &Ctx) -> Result<()> {
    ctx.configure(json!({ "mode": "sandbox", "sites": SITES }))
}

/// Loads `path` (a site-integration page) in the current tab and waits for the sandbox
/// widget; returns the tab's handle and id.
fn open_site(ctx: &Ctx, path: &str) -> Result<(String, i64)> {
    let url = ctx.url(path);
    ctx.goto(&url)?;
    e2e::site::site_log_with(ctx, "getVisitorNumber", TIMEOUT)?;
    Ok((ctx.current_tab()?, ctx.tab_id_of(&url)?))
}

/// Opens `popup.html?tab=<tab>` in a new tab (left current) once it shows the loaded widget.
fn open_popup(ctx: &Ctx, tab: i64) -> Result<String> {
    let handle = ctx.new_tab()?;
    ctx.open_extension_page(&format!("popup.html?tab={tab}"))?;
    ctx.wait_for_attr("#page-status", "data-state", "loaded", TIMEOUT)?;
    Ok(handle)
}

/// The toolbar badge's text for a tab.
fn badge(b: &Browser, tab: i64) -> Result<String> {
    Ok(b.ext_eval(
        "return api.action.getBadgeText({tabId: arguments[0]});",
        vec![json!(tab)],
    )?
    .as_str()
    .unwrap_or_default()
    .to_string())
}

/// The badge of a `site-integration.html` tab without unread messages: its error findings.
const ERRORS_ONLY: &str = "1";

fn wait_badge(ctx: &Ctx, tab: i64, want: &str) -> Result<()> {
    ctx.wait_for_noting(&format!("badge {want:?}"), TIMEOUT, |b, seen| {
        let text = badge(b, tab)?;
        *seen = format!("{text:?}");
        Ok((text == want).then_some(()))
    })
}

fn send_agent_message(ctx: &Ctx, text: &str) -> Result<()> {
    ctx.type_into("#agent-message", &format!("{text}\u{E007}"))?;
    ctx.wait_for_noting(&format!("the message {text:?}"), TIMEOUT, |b, seen| {
        *seen = b.text("#agent-conversation")?;
        Ok(seen.contains(text).then_some(()))
    })
}

/// Unread agent messages are counted on the tab's badge; opening the chat on the page reads
/// them and clears it. Other tabs' badges stay empty.
fn badge_counts_unread_agent_messages(ctx: &mut Ctx) -> Result<()> {
    use_sandbox(ctx)?;
    let (page, tab) = open_site(ctx, "/site-integration.html")?;
    let (_, other) = {
        let handle = ctx.new_tab()?;
        open_site(ctx, "/site-integration.html?other")
            .map(|(_, id)| (handle, id))
            .context("a second sandbox tab")?
    };
    // Without unread messages the badge counts the error findings (docs/checks.md): the
    // fixture's one is `setWidgetColor('red')` (widget-color-not-hex), in both tabs.
    wait_badge(ctx, tab, ERRORS_ONLY).context("badge before any message")?;
    open_popup(ctx, tab)?;
    send_agent_message(ctx, "First")?;
    wait_badge(ctx, tab, "1")?;
    send_agent_message(ctx, "Second")?;
    wait_badge(ctx, tab, "2")?;
    ensure!(
        badge(ctx, other)? == ERRORS_ONLY,
        "the other tab's badge: {:?}",
        badge(ctx, other)?
    );
    ctx.wait_for_noting("the unread fact", TIMEOUT, |b, seen| {
        *seen = b.text("#fact-unread")?;
        Ok((seen == "2").then_some(()))
    })?;
    // The page's own answer agrees with the badge.
    let popup = ctx.current_tab()?;
    ctx.switch_to(&page)?;
    let count = ctx.eval("return jivo_api.getUnreadMessagesCount();")?;
    ensure!(count == json!(2), "getUnreadMessagesCount() = {count}");
    // The visitor opens the chat: the messages are read.
    ctx.eval("jivo_api.open(); return null;")?;
    ctx.switch_to(&popup)?;
    wait_badge(ctx, tab, ERRORS_ONLY)?;
    // A message while the chat is open is seen at once: no unread count.
    send_agent_message(ctx, "Third")?;
    std::thread::sleep(Duration::from_millis(500));
    ensure!(
        badge(ctx, tab)? == ERRORS_ONLY,
        "badge while the chat is open: {:?}",
        badge(ctx, tab)?
    );
    Ok(())
}

/// The `storage.session` keys that belong to a tab: its record and its log's head and chunks.
fn session_keys_of(b: &Browser, tab: i64) -> Result<Vec<String>> {
    let keys = b.ext_eval(
        "const tab = arguments[0];\
         return api.storage.session.get(null).then(all => Object.keys(all).filter(k =>\
           k === 'tab:' + tab || k === 'log:' + tab || k.startsWith('log:' + tab + ':')));",
        vec![json!(tab)],
    )?;
    Ok(keys
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

/// Closing a tab removes its record and its whole log from `storage.session` (and only its
/// own), also when it logged enough to fill several chunks and while events were in flight.
fn closed_tab_leaves_no_record_or_log(ctx: &mut Ctx) -> Result<()> {
    use_sandbox(ctx)?;
    let (_, tab) = open_site(ctx, "/site-integration.html")?;
    e2e::site::calls_in_tasks(ctx, "i => jivo_onChangeState('fill-' + i)", 300, 50)?;
    let mut keys = Vec::new();
    ctx.wait_for("the tab's record and several log chunks", TIMEOUT, |b| {
        keys = session_keys_of(b, tab)?;
        let chunks = keys.iter().filter(|k| k.matches(':').count() == 2).count();
        Ok((keys.contains(&format!("tab:{tab}"))
            && keys.contains(&format!("log:{tab}"))
            && chunks >= 4)
            .then_some(()))
    })
    .with_context(|| format!("keys: {keys:?}"))?;
    let keep = ctx.new_tab()?;
    let (_, other) = open_site(ctx, "/site-integration.html?other")?;
    ctx.wait_for("the other tab's record", TIMEOUT, |b| {
        Ok(session_keys_of(b, other)?
            .contains(&format!("tab:{other}"))
            .then_some(()))
    })?;
    // Close the first tab while its page is still logging.
    let Some(first) = ctx.tabs()?.into_iter().find(|h| *h != keep) else {
        anyhow::bail!("the first tab is gone");
    };
    ctx.switch_to(&first)?;
    ctx.eval("setInterval(() => jivo_onChangeState('late'), 5); return null;")?;
    ctx.close_tab()?;
    ctx.switch_to(&keep)?;
    let mut left = Vec::new();
    ctx.wait_for("the closed tab's keys to go", TIMEOUT, |b| {
        left = session_keys_of(b, tab)?;
        Ok(left.is_empty().then_some(()))
    })
    .with_context(|| format!("still stored: {left:?}"))?;
    // And they stay gone (nothing in flight writes them back).
    std::thread::sleep(Duration::from_secs(2));
    let left = session_keys_of(ctx, tab)?;
    ensure!(left.is_empty(), "written back after the close: {left:?}");
    let others = session_keys_of(ctx, other)?;
    ensure!(
        others.contains(&format!("tab:{other}")) && others.contains(&format!("log:{other}")),
        "the other tab lost its keys: {others:?}"
    );
    Ok(())
}

/// The rows of the popup's log as `(id, name, summary)`.
fn rows(b: &Browser) -> Result<Vec<(u64, String, String)>> {
    let v = b.eval(
        "return [...document.querySelectorAll('#log-list li[data-id]')].map(li => [\
           Number(li.dataset.id), li.querySelector('.log-name')?.textContent || '',\
           li.querySelector('.log-sum')?.textContent || '']);",
    )?;
    Ok(v.as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| {
            (
                r[0].as_u64().unwrap_or(0),
                r[1].as_str().unwrap_or("").to_string(),
                r[2].as_str().unwrap_or("").to_string(),
            )
        })
        .collect())
}

/// A popup that is already open shows what happens on the page afterwards: every new event
/// once, in order, with the counts and the widget's facts kept up to date.
fn open_popup_receives_new_events(ctx: &mut Ctx) -> Result<()> {
    use_sandbox(ctx)?;
    let (page, tab) = open_site(ctx, "/site-integration.html")?;
    let popup = open_popup(ctx, tab)?;
    ctx.wait_for_element("#log-list li[data-id]", TIMEOUT)?;
    let before = rows(ctx)?.len();
    ensure!(
        ctx.attr("#fact-state", "data-value")?.as_deref() != Some("chat"),
        "state before: {:?}",
        ctx.attr("#fact-state", "data-value")?
    );
    // Five tasks of ten callbacks: five batches. (Fired from the test, not from the page's
    // timers, which browsers throttle once the page's tab is in the background.)
    ctx.switch_to(&page)?;
    for batch in 0..5 {
        ctx.eval_with(
            "for (let i = arguments[0]; i < arguments[0] + 10; i++) jivo_onChangeState('live-' + i);\
             return null;",
            vec![json!(batch * 10)],
        )?;
    }
    ctx.eval("jivo_api.open(); return null;")?;
    ctx.switch_to(&popup)?;
    let mut seen = Vec::new();
    ctx.wait_for("all 50 live rows and the open() row", TIMEOUT, |b| {
        seen = rows(b)?;
        let live = seen.iter().filter(|r| r.2.contains("\"live-")).count();
        Ok((live >= 50 && seen.iter().any(|r| r.1 == "open")).then_some(()))
    })
    .with_context(|| format!("{} rows", seen.len()))?;
    let live: Vec<String> = seen
        .iter()
        .filter(|r| r.2.contains("\"live-"))
        .map(|r| r.2.clone())
        .collect();
    let want: Vec<String> = (0..50).map(|i| format!("(\"live-{i}\")")).collect();
    ensure!(live == want, "live rows out of order or repeated: {live:?}");
    let ids: Vec<u64> = seen.iter().map(|r| r.0).collect();
    ensure!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "row ids not increasing: {ids:?}"
    );
    ensure!(
        seen.len() > before + 50,
        "{} rows, {before} before",
        seen.len()
    );
    ctx.wait_for_noting("the count to match the rows", TIMEOUT, |b, s| {
        let count = b.attr("#log-count", "data-len")?.unwrap_or_default();
        let n = rows(b)?.len();
        *s = format!("{count:?} for {n} rows");
        Ok((count == n.to_string()).then_some(()))
    })?;
    ctx.wait_for_noting("the state fact to follow the page", TIMEOUT, |b, s| {
        *s = b.attr("#fact-state", "data-value")?.unwrap_or_default();
        Ok((s == "chat").then_some(()))
    })?;
    Ok(())
}

/// Payloads that would run script or build elements if the popup treated page data as HTML.
/// Each sets `window.jwiPwned` if it runs (the extension's CSP would also stop inline
/// script, so the scenario checks for the elements too).
const PAYLOADS: [&str; 3] = [
    r#"<img src=x onerror="window.jwiPwned=1" class=jwi-xss>"#,
    r#"<script class=jwi-xss>window.jwiPwned=1</script>"#,
    r#"<svg class=jwi-xss onload="window.jwiPwned=1"></svg><b class=jwi-xss>bold</b>"#,
];

/// A page title, callback arguments and custom data full of markup reach the popup — log rows,
/// expanded rows, the facts, the agent's view — as text: no element is built from them, no
/// script runs and the popup's CSP never has to step in. (The title reaches the log with the
/// page's navigation entry: the page-load entry is recorded at document start, before the
/// `<title>` is parsed.)
fn page_data_never_runs_in_the_popup(ctx: &mut Ctx) -> Result<()> {
    use_sandbox(ctx)?;
    let payload = PAYLOADS.concat();
    let fixture =
        std::fs::read_to_string(e2e::server::fixtures_dir().join("site-integration.html"))?;
    let page_html = fixture.replace(
        "<title>Site integration fixture</title>",
        &format!("<title>{}</title>", payload.replace("</", "<\\/")),
    );
    ensure!(page_html != fixture, "the fixture's title changed");
    ctx.server
        .route("/site-integration-xss.html", Response::html(page_html));
    let (page, tab) = open_site(ctx, "/site-integration-xss.html")?;
    let title = ctx.title()?;
    ensure!(title.contains("<img src=x"), "the page's title: {title:?}");
    let popup = open_popup(ctx, tab)?;
    ctx.eval(
        "window.jwiViolations = [];\
         document.addEventListener('securitypolicyviolation', e => window.jwiViolations.push(e.violatedDirective));\
         return null;",
    )?;
    ctx.switch_to(&page)?;
    ctx.eval_with(
        "const x = arguments[0];\
         jivo_onChangeState(x, {nested: [x]});\
         jivo_api.setCustomData([{title: x, key: x, content: x}]);\
         jivo_api.setUserToken(x);\
         jivo_api.setContactInfo({name: x, description: x});\
         document.title = x + ' (changed)';\
         history.pushState({}, '', location.pathname + '?xss=1');\
         return null;",
        vec![json!(payload)],
    )?;
    ctx.switch_to(&popup)?;
    // The payload shows as text where each kind of page data lands.
    let needle = "<img src=x onerror=";
    ctx.wait_for_noting("the payload in every place", TIMEOUT, |b, seen| {
        let places = b.eval_with(
            "const n = arguments[0];\
             const rows = [...document.querySelectorAll('#log-list li[data-id]')];\
             const has = kind => rows.some(li => li.dataset.kind === kind && li.textContent.includes(n));\
             return {callback: has('callback'), apiCall: has('apiCall'), navigation: has('navigation'),\
               customData: document.getElementById('agent-custom-data').textContent.includes(n),\
               token: document.getElementById('agent-user-token').textContent.includes(n),\
               contact: document.getElementById('fact-contact').textContent.includes(n)};",
            vec![json!(needle)],
        )?;
        let texts = b.eval(
            "return [...document.querySelectorAll('#log-list li[data-kind=pageLoad], #log-list li[data-kind=apiCall]')]\
               .map(li => li.textContent.slice(0, 300));",
        )?;
        *seen = format!("{places} in {texts}");
        let all = places
            .as_object()
            .is_some_and(|m| m.values().all(|v| v == &Value::Bool(true)));
        Ok(all.then_some(()))
    })?;
    // Expand every row: the JSON is text too.
    ctx.eval("document.querySelectorAll('#log-list li[data-id]').forEach(li => li.click()); return null;")?;
    ctx.wait_for_element("#log-list .log-json", TIMEOUT)?;
    std::thread::sleep(Duration::from_millis(300));
    let found = ctx.eval(
        "return {elements: document.querySelectorAll('.jwi-xss, img, svg, iframe, [onerror], [onload]').length,\
           scripts: [...document.scripts].map(s => s.getAttribute('src')),\
           links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),\
           pwned: window.jwiPwned === 1, violations: window.jwiViolations};",
    )?;
    ensure!(
        found["elements"] == json!(0),
        "elements from the payload: {found}"
    );
    ensure!(
        found["scripts"] == json!(["pages/pages.js", "pages/pages_wasm.js", "popup.js"]),
        "scripts in the popup: {found}"
    );
    ensure!(
        found["links"] == json!([]),
        "a link was built from page data: {found}"
    );
    ensure!(found["pwned"] == json!(false), "the payload ran: {found}");
    ensure!(
        found["violations"] == json!([]),
        "CSP had to block something: {found}"
    );
    ensure!(
        !ctx.title()?.contains("pwned"),
        "popup title: {}",
        ctx.title()?
    );
    Ok(())
}
