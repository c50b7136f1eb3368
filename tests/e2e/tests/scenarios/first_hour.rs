//! Issue #16, "the first hour": what a person meets in the popup in their first hour, done as
//! they would do it — injecting and reloading, moving a tab off its rule, adding a rule from
//! the popup, browser pages, the agent going offline and online around an offline message,
//! the log with the keyboard only, and words that say what they are.

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::browser::{keys, Browser};
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(injected_tab_reload_and_keep_injecting),
    scenario!(popup_follows_the_tab_off_its_rule),
    scenario!(rule_added_for_an_open_tab),
    scenario!(no_injection_where_nothing_can_run),
    scenario!(online_survives_reload_after_offline_message),
    scenario!(log_is_one_tab_stop),
    scenario!(words_say_what_they_are),
];

const TIMEOUT: Duration = Duration::from_secs(8);

/// Sandbox mode with a rule for `/plain*` only: `/site-integration.html` is not covered.
fn rule_elsewhere(ctx: &Ctx) -> Result<()> {
    ctx.configure(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/plain*"] }))
}

/// Sandbox mode on the site-integration pages.
fn rule_for_site(ctx: &Ctx) -> Result<()> {
    ctx.configure(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/site-integration*"] }))
}

/// Opens the popup for the tab at `url` in a new tab; returns (page tab, popup tab).
fn popup_for(ctx: &Ctx, url: &str) -> Result<(String, String)> {
    let page = ctx.current_tab()?;
    let tab = ctx.tab_id_of(url)?;
    let popup = ctx.new_tab()?;
    ctx.open_extension_page(&format!("popup.html?tab={tab}"))?;
    Ok((page, popup))
}

fn hidden(b: &Browser, id: &str) -> Result<bool> {
    Ok(b.eval_with(
        "const e = document.getElementById(arguments[0]); return !e || e.hidden;",
        vec![json!(id)],
    )? == true)
}

fn wait_shown(b: &Browser, id: &str, shown: bool) -> Result<()> {
    b.wait_for(
        &format!("#{id} {}", if shown { "shown" } else { "hidden" }),
        TIMEOUT,
        |b| Ok((hidden(b, id)? != shown).then_some(())),
    )
}

fn wait_state(b: &Browser, states: &[&str]) -> Result<String> {
    let mut seen = None;
    b.wait_for(&format!("#page-status in {states:?}"), TIMEOUT, |b| {
        seen = b.attr("#page-status", "data-state")?;
        Ok(seen.clone().filter(|s| states.contains(&s.as_str())))
    })
    .with_context(|| format!("last data-state: {seen:?}"))
}

/// Item 1 and 5: an injected tab's reload says the widget went, shows nothing of the old
/// widget, and "keep injecting" brings it back now and on every later load.
fn injected_tab_reload_and_keep_injecting(ctx: &mut Ctx) -> Result<()> {
    rule_elsewhere(ctx)?;
    let url = ctx.url("/site-integration.html");
    ctx.goto(&url)?;
    let (page, popup) = popup_for(ctx, &url)?;
    wait_state(ctx, &["not-matched"])?;
    ctx.wait_for_attr("#page-notice", "data-notice", "noRule", TIMEOUT)?;
    ensure!(!hidden(ctx, "inject")?, "no Inject button on a web page");
    ctx.click("#inject")?;
    wait_state(ctx, &["loaded"])?;
    wait_shown(ctx, "agent", true)?;
    wait_shown(ctx, "facts-list", true)?;
    ensure!(hidden(ctx, "page-offer")?, "a notice while the widget runs");

    ctx.switch_to(&page)?;
    ctx.reload()?;
    ctx.switch_to(&popup)?;
    wait_state(ctx, &["not-matched"])?;
    ctx.wait_for_attr("#page-notice", "data-notice", "injectionGone", TIMEOUT)?;
    wait_shown(ctx, "agent", false)?;
    wait_shown(ctx, "facts-list", false)?;
    ensure!(!hidden(ctx, "inject")?, "Inject is not offered again");
    ensure!(
        !hidden(ctx, "keep-injecting-row")?,
        "keep injecting is not offered"
    );

    // Keep injecting: now, and again after each reload until the tab closes.
    ctx.click("#keep-injecting")?;
    wait_state(ctx, &["loaded"])?;
    for _ in 0..2 {
        ctx.switch_to(&page)?;
        ctx.reload()?;
        ctx.wait_for("jivo_api on the reloaded page", TIMEOUT, |b| {
            Ok((b.eval("return typeof jivo_api === 'object';")? == true).then_some(()))
        })?;
        ctx.switch_to(&popup)?;
        wait_state(ctx, &["loaded"])?;
        ensure!(
            ctx.prop("#keep-injecting", "checked")? == true,
            "the keep-injecting choice was not kept"
        );
    }
    let stored = ctx.ext_eval(
        "return api.storage.session.get(null)\
           .then(all => Object.values(all).some(v => v && v.keepInjecting === true));",
        vec![],
    )?;
    ensure!(
        stored == true,
        "the choice is not in storage.session: {stored}"
    );
    Ok(())
}

/// Item 1: a tab that moves to a page no rule covers shows that page, and nothing of the old
/// widget.
fn popup_follows_the_tab_off_its_rule(ctx: &mut Ctx) -> Result<()> {
    rule_for_site(ctx)?;
    let url = ctx.url("/site-integration.html");
    ctx.goto(&url)?;
    let (page, popup) = popup_for(ctx, &url)?;
    wait_state(ctx, &["loaded"])?;
    wait_shown(ctx, "agent", true)?;
    ctx.switch_to(&page)?;
    let other = ctx.url("/unmatched.html");
    ctx.goto(&other)?;
    ctx.switch_to(&popup)?;
    wait_state(ctx, &["not-matched"])?;
    ctx.wait_for_attr("#page-site", "title", &other, TIMEOUT)?;
    ctx.wait_for_attr("#page-notice", "data-notice", "noRule", TIMEOUT)?;
    wait_shown(ctx, "agent", false)?;
    wait_shown(ctx, "facts-list", false)?;
    ensure!(
        ctx.text("#page-mode")?.is_empty(),
        "a widget mode for a page where nothing runs"
    );
    Ok(())
}

/// Item 1: "Add a rule for *://host/*" from the popup goes into the settings; the popup then
/// says the rule covers the page from its next load, and Reload starts it.
fn rule_added_for_an_open_tab(ctx: &mut Ctx) -> Result<()> {
    rule_elsewhere(ctx)?;
    let url = ctx.url("/site-integration.html");
    ctx.goto(&url)?;
    popup_for(ctx, &url)?;
    ctx.wait_for_attr("#page-notice", "data-notice", "noRule", TIMEOUT)?;
    ensure!(
        ctx.text("#page-notice")?.contains("127.0.0.1"),
        "the notice does not name the site: {}",
        ctx.text("#page-notice")?
    );
    ctx.wait_for_attr("#add-rule", "data-rule", "*://127.0.0.1/*", TIMEOUT)?;
    ctx.click("#add-rule")?;
    ctx.wait_for_attr("#page-notice", "data-notice", "covered", TIMEOUT)?;
    ensure!(!hidden(ctx, "reload")?, "no Reload button");
    ensure!(
        hidden(ctx, "inject")? && hidden(ctx, "add-rule")?,
        "still offers to inject or add"
    );
    ctx.wait_for_attr("#add-rule-status", "data-kind", "ok", TIMEOUT)?;
    let settings = ctx.storage_get("local", "settings")?;
    let sites: Vec<&str> = settings["sites"]
        .as_array()
        .context("settings.sites")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    ensure!(
        sites == ["http://127.0.0.1/plain*", "*://127.0.0.1/*"],
        "sites: {sites:?}"
    );
    ctx.click("#reload")?;
    wait_state(ctx, &["loaded"])?;
    wait_shown(ctx, "agent", true)?;
    ensure!(hidden(ctx, "page-offer")?, "a notice while the widget runs");
    Ok(())
}

/// Item 5: no "Inject" where nothing can run (a blank tab, an extension's page), and why.
fn no_injection_where_nothing_can_run(ctx: &mut Ctx) -> Result<()> {
    rule_elsewhere(ctx)?;
    ctx.goto("about:blank")?;
    let blank = ctx.current_tab()?;
    ctx.new_tab()?;
    ctx.open_extension_page("options.html")?;
    let options_url = ctx.extension_url("options.html");
    let tabs = ctx.ext_eval(
        "return api.tabs.query({}).then(all => all.map(t => ({id: t.id, url: t.url || ''})));",
        vec![],
    )?;
    let id_of = |pred: &dyn Fn(&str) -> bool| -> Result<i64> {
        tabs.as_array()
            .context("tabs")?
            .iter()
            .find(|t| pred(t["url"].as_str().unwrap_or("")))
            .and_then(|t| t["id"].as_i64())
            .with_context(|| format!("no such tab in {tabs}"))
    };
    let blank_id = id_of(&|u| u == "about:blank")?;
    let options_id = id_of(&|u| u == options_url)?;
    let _ = blank;
    for (id, what) in [(blank_id, "about:blank"), (options_id, "an extension page")] {
        ctx.new_tab()?;
        ctx.open_extension_page(&format!("popup.html?tab={id}"))?;
        ctx.wait_for_attr("#page-notice", "data-notice", "cannotRun", TIMEOUT)
            .with_context(|| format!("the popup for {what}"))?;
        ensure!(
            hidden(ctx, "inject")?
                && hidden(ctx, "add-rule")?
                && hidden(ctx, "keep-injecting-row")?,
            "{what}: offers what cannot work"
        );
        ensure!(
            !ctx.text("#page-notice")?.is_empty(),
            "{what}: no reason given"
        );
    }
    Ok(())
}

/// Item 2: offline, an offline message, online, reload: still online (the page, the popup,
/// and a new tab of the site).
fn online_survives_reload_after_offline_message(ctx: &mut Ctx) -> Result<()> {
    rule_for_site(ctx)?;
    let url = ctx.url("/site-integration.html");
    e2e::site::open(ctx, &url, TIMEOUT)?;
    let (page, popup) = popup_for(ctx, &url)?;
    wait_state(ctx, &["loaded"])?;
    ctx.wait_for_attr("#agent-online", "data-online", "true", TIMEOUT)?;
    ctx.click("#agent-online")?;
    ctx.wait_for_attr("#agent-online", "data-online", "false", TIMEOUT)?;
    ctx.switch_to(&page)?;
    ctx.wait_for("chatMode() offline", TIMEOUT, |b| {
        Ok((b.eval("return jivo_api.chatMode();")? == "offline").then_some(()))
    })?;
    let sent = ctx.eval(
        "return jivo_api.sendOfflineMessage({name: 'Ann', email: 'ann@example.com', \
         message: 'Call me back'});",
    )?;
    ensure!(
        sent == json!({"result": "ok"}),
        "sendOfflineMessage: {sent}"
    );
    ctx.switch_to(&popup)?;
    ctx.click("#agent-online")?;
    ctx.wait_for_attr("#agent-online", "data-online", "true", TIMEOUT)?;
    ctx.switch_to(&page)?;
    ctx.wait_for("chatMode() online", TIMEOUT, |b| {
        Ok((b.eval("return jivo_api.chatMode();")? == "online").then_some(()))
    })?;
    ctx.reload()?;
    e2e::site::site_log_with(ctx, "isCallbackEnabled", TIMEOUT)?;
    let mode = ctx.eval("return jivo_api.chatMode();")?;
    ensure!(mode == "online", "after a reload chatMode() is {mode}");
    ctx.switch_to(&popup)?;
    ctx.wait_for_attr("#fact-chat-mode", "data-value", "online", TIMEOUT)?;
    ensure!(
        ctx.prop("#agent-online", "checked")? == true,
        "the popup says offline"
    );
    ctx.new_tab()?;
    ctx.goto(&url)?;
    e2e::site::site_log_with(ctx, "isCallbackEnabled", TIMEOUT)?;
    let mode = ctx.eval("return jivo_api.chatMode();")?;
    ensure!(mode == "online", "a new tab of the site starts {mode}");
    Ok(())
}

/// Item 3: the log is one Tab stop; arrows, Home/End, PageUp/PageDown move inside it; Enter
/// expands, Escape collapses, C copies.
fn log_is_one_tab_stop(ctx: &mut Ctx) -> Result<()> {
    rule_for_site(ctx)?;
    let url = ctx.url("/site-integration.html");
    e2e::site::open(ctx, &url, TIMEOUT)?;
    e2e::site::calls_in_tasks(ctx, "() => jivo_api.getUnreadMessagesCount()", 150, 50)?;
    popup_for(ctx, &url)?;
    ctx.wait_for("150+ rows", TIMEOUT, |b| {
        let n =
            b.eval("return document.querySelectorAll('#log-list li[role=treeitem]').length;")?;
        Ok((n.as_u64().unwrap_or(0) >= 150).then_some(()))
    })?;
    let active = |b: &Browser| -> Result<Value> {
        b.eval(
            "const a = document.activeElement;\
             return {id: a.id, row: a.getAttribute('role') === 'treeitem', \
                     inLog: !!a.closest('#log-list'), dataId: a.dataset.id || null, \
                     expanded: a.getAttribute('aria-expanded')};",
        )
    };
    let stops = ctx.eval(
        "return document.querySelectorAll('#log-list [tabindex=\"0\"], #log-list button:not([tabindex=\"-1\"])').length;",
    )?;
    ensure!(stops == 1, "{stops} Tab stops in the log");
    ctx.eval("document.getElementById('log-export').focus(); return null;")?;
    ctx.press_keys(&[keys::TAB])?;
    let a = active(ctx)?;
    ensure!(a["row"] == true, "Tab from Export went to {a}");
    let newest = a["dataId"].clone();
    ctx.press_keys(&[keys::TAB])?;
    let a = active(ctx)?;
    ensure!(a["inLog"] == false, "a second Tab stayed in the log: {a}");
    ctx.eval("document.getElementById('log-export').focus(); return null;")?;
    ctx.press_keys(&[keys::TAB, keys::HOME])?;
    let first = active(ctx)?;
    ensure!(first["row"] == true, "Home: {first}");
    let first_id =
        ctx.eval("return document.querySelector('#log-list li[role=treeitem]').dataset.id;")?;
    ensure!(first["dataId"] == first_id, "Home went to {first}");
    ctx.press_keys(&[keys::DOWN, keys::DOWN])?;
    let third =
        ctx.eval("return document.querySelectorAll('#log-list li[role=treeitem]')[2].dataset.id;")?;
    ensure!(active(ctx)?["dataId"] == third, "Down twice");
    ctx.press_keys(&[keys::PAGE_DOWN])?;
    let thirteenth = ctx
        .eval("return document.querySelectorAll('#log-list li[role=treeitem]')[12].dataset.id;")?;
    ensure!(active(ctx)?["dataId"] == thirteenth, "PageDown moves 10");
    ctx.press_keys(&[keys::PAGE_UP, keys::UP])?;
    let second =
        ctx.eval("return document.querySelectorAll('#log-list li[role=treeitem]')[1].dataset.id;")?;
    ensure!(active(ctx)?["dataId"] == second, "PageUp, Up");
    ctx.press_keys(&[keys::ENTER])?;
    ensure!(
        active(ctx)?["expanded"] == "true",
        "Enter did not expand: {}",
        active(ctx)?
    );
    ctx.eval(
        "window.copied = null; navigator.clipboard.writeText = t => { window.copied = t; return Promise.resolve(); };\
         return null;",
    )?;
    ctx.press_keys(&["c"])?;
    ctx.wait_for_js("return window.copied;", TIMEOUT)?;
    ctx.press_keys(&[keys::ESCAPE])?;
    let a = active(ctx)?;
    ensure!(
        a["expanded"] == "false" && a["dataId"] == second,
        "Escape: {a}"
    );
    ctx.press_keys(&[keys::END])?;
    ensure!(active(ctx)?["dataId"] == newest, "End is the newest row");
    // Leaving and coming back lands on the row last used.
    ctx.press_keys(&[keys::TAB])?;
    ctx.eval("document.getElementById('log-export').focus(); return null;")?;
    ctx.press_keys(&[keys::TAB])?;
    ensure!(active(ctx)?["dataId"] == newest, "came back elsewhere");
    Ok(())
}

/// Item 7: switches that say their state, words for what is meant, "N of M shown", and Clear
/// that asks first.
fn words_say_what_they_are(ctx: &mut Ctx) -> Result<()> {
    rule_for_site(ctx)?;
    let url = ctx.url("/site-integration.html");
    e2e::site::open(ctx, &url, TIMEOUT)?;
    popup_for(ctx, &url)?;
    wait_state(ctx, &["loaded"])?;
    for id in ["agent-online", "agent-callbacks"] {
        ensure!(
            ctx.attr(&format!("#{id}"), "role")?.as_deref() == Some("switch"),
            "#{id} is not a switch"
        );
        ensure!(
            ctx.prop(&format!("#{id}"), "checked")? == true,
            "#{id} is off"
        );
    }
    let callbacks_label = ctx.eval(
        "return document.getElementById('agent-callbacks').closest('label').textContent.trim();",
    )?;
    let filter_label = ctx.eval(
        "return document.getElementById('log-filter-callback').closest('label').textContent.trim();",
    )?;
    ensure!(
        callbacks_label != filter_label && filter_label.as_str().unwrap_or("").contains("jivo_on"),
        "call-back requests {callbacks_label} vs callbacks {filter_label}"
    );
    ctx.wait_for_attr("#fact-state", "data-value", "label", TIMEOUT)?;
    let state = ctx.text("#fact-state")?;
    ensure!(
        state.contains("label") && state.len() > "label".len(),
        "state shows {state:?}"
    );
    // Filtered: "N of M shown".
    ctx.click("#log-filter-api")?;
    ctx.wait_for("a filtered count", TIMEOUT, |b| {
        Ok(b.attr("#log-count", "data-shown")?
            .filter(|s| !s.is_empty())
            .map(|_| ()))
    })?;
    let len: u64 = ctx
        .attr("#log-count", "data-len")?
        .unwrap_or_default()
        .parse()?;
    let shown: u64 = ctx
        .attr("#log-count", "data-shown")?
        .unwrap_or_default()
        .parse()?;
    let text = ctx.text("#log-count")?;
    ensure!(
        shown < len && text.contains(&shown.to_string()),
        "count {text:?} ({shown} of {len})"
    );
    ctx.click("#log-filter-api")?;
    ctx.wait_for_attr("#log-count", "data-shown", "", TIMEOUT)?;
    // Clear asks; "Keep it" keeps everything.
    ctx.click("#log-clear")?;
    wait_shown(ctx, "log-clear-confirm", true)?;
    ensure!(
        ctx.eval("return document.activeElement.id;")? == "log-clear-no",
        "the safe answer is not focused"
    );
    ctx.click("#log-clear-no")?;
    wait_shown(ctx, "log-clear-confirm", false)?;
    ensure!(
        ctx.attr("#log-count", "data-len")?.as_deref() == Some(&len.to_string()),
        "Keep it cleared the log"
    );
    ctx.click("#log-clear")?;
    wait_shown(ctx, "log-clear-confirm", true)?;
    ctx.click("#log-clear-yes")?;
    ctx.wait_for_attr("#log-count", "data-len", "0", TIMEOUT)?;
    // The page's language is the locale's.
    let lang = ctx.eval("return document.documentElement.lang;")?;
    ensure!(
        lang.as_str().is_some_and(|l| !l.is_empty()),
        "no <html lang>"
    );
    Ok(())
}
