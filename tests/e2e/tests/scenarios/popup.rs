//! The popup for a sandbox tab: the widget's facts, the agent console and the API console,
//! driven by clicks and typing as a person would, against `tests/fixtures/site-integration.*`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::browser::BrowserKind;
use e2e::runner::{Ctx, Scenario};
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new("popup::facts_and_agent_console", facts_and_agent_console),
    Scenario::new(
        "popup::api_console_calls_the_page",
        api_console_calls_the_page,
    ),
    Scenario::new("popup::page_data_is_inert_text", page_data_is_inert_text),
    Scenario::new(
        "popup::screenshots_light_and_dark",
        screenshots_light_and_dark,
    )
    .only(BrowserKind::Chromium),
];

const SITES: [&str; 1] = ["http://127.0.0.1/site-integration*"];
const TIMEOUT: Duration = Duration::from_secs(5);

fn use_sandbox(ctx: &Ctx) -> Result<()> {
    ctx.set_settings(json!({ "mode": "sandbox", "sites": SITES }))?;
    ctx.wait_for("content scripts registered", TIMEOUT, |b| {
        let matches = b.ext_eval(
            "return api.scripting.getRegisteredContentScripts().then(l => l.map(s => s.matches || []).flat());",
            vec![],
        )?;
        let matches = matches.as_array().cloned().unwrap_or_default();
        Ok(SITES.iter().all(|s| matches.contains(&json!(s))).then_some(()))
    })
}

fn site_log(ctx: &Ctx) -> Result<Vec<Value>> {
    Ok(ctx
        .eval("return window.siteLog || [];")?
        .as_array()
        .cloned()
        .unwrap_or_default())
}

/// The site's log, once it has an entry named `name`.
fn site_log_with(ctx: &Ctx, name: &str) -> Result<Vec<Value>> {
    let mut log = Vec::new();
    ctx.wait_for(&format!("siteLog entry {name}"), TIMEOUT, |b| {
        log = b
            .eval("return window.siteLog || [];")?
            .as_array()
            .cloned()
            .unwrap_or_default();
        Ok(log.iter().any(|e| e["name"] == name).then_some(()))
    })
    .with_context(|| format!("siteLog: {}", Value::Array(log.clone())))?;
    Ok(log)
}

/// Tabs of one scenario: the fixture page and the popup showing it.
struct Tabs {
    page: String,
    popup: String,
}

/// Loads the fixture page, waits for the widget, opens `popup.html?tab=<id>` in a new tab and
/// waits for it to show the loaded widget. Leaves the popup tab current.
fn open_popup(ctx: &Ctx) -> Result<(Tabs, u64)> {
    use_sandbox(ctx)?;
    let url = ctx.url("/site-integration.html");
    ctx.goto(&url)?;
    let log = site_log_with(ctx, "getVisitorNumber")?;
    let number = log
        .iter()
        .find(|e| e["name"] == "getVisitorNumber")
        .and_then(|e| e["number"].as_u64())
        .context("the site's visitor number")?;
    let page = ctx.current_tab()?;
    let tab = ctx.tab_id_of(&url)?;
    let popup = ctx.new_tab()?;
    ctx.open_extension_page(&format!("popup.html?tab={tab}"))?;
    ctx.wait_for_attr("#page-status", "data-state", "loaded", TIMEOUT)?;
    Ok((Tabs { page, popup }, number))
}

fn wait_text(ctx: &Ctx, css: &str, what: &str, pred: impl Fn(&str) -> bool) -> Result<String> {
    let mut seen = String::new();
    ctx.wait_for(what, TIMEOUT, |b| {
        seen = b.text(css)?;
        Ok(pred(&seen).then_some(()))
    })
    .with_context(|| format!("{css} shows {seen:?}"))?;
    Ok(seen)
}

fn facts_and_agent_console(ctx: &mut Ctx) -> Result<()> {
    let (tabs, number) = open_popup(ctx)?;
    wait_text(ctx, "#fact-visitor-number", "visitor number", |t| {
        t == number.to_string()
    })?;
    wait_text(ctx, "#fact-state", "widget state", |t| t == "label")?;
    ensure!(
        ctx.text("#fact-chat-mode")? == "online",
        "chat mode not online"
    );

    // Go offline: the page's chatMode() follows.
    ctx.wait_for_attr("#agent-online", "data-online", "true", TIMEOUT)?;
    ctx.click("#agent-online")?;
    ctx.wait_for_attr("#agent-online", "data-online", "false", TIMEOUT)?;
    wait_text(ctx, "#fact-chat-mode", "chat mode offline", |t| {
        t == "offline"
    })?;
    ctx.switch_to(&tabs.page)?;
    ctx.wait_for("chatMode() offline", TIMEOUT, |b| {
        Ok((b.eval("return jivo_api.chatMode();")? == "offline").then_some(()))
    })?;
    ctx.eval("siteLog.length = 0;")?;

    // Back online, then write to the visitor with Enter.
    ctx.switch_to(&tabs.popup)?;
    ctx.click("#agent-online")?;
    ctx.wait_for_attr("#agent-online", "data-online", "true", TIMEOUT)?;
    ctx.type_into("#agent-message", "Hello from the popup\u{E007}")?;
    wait_text(
        ctx,
        "#agent-conversation",
        "the message in the conversation",
        |t| t.contains("Hello from the popup"),
    )?;
    ensure!(
        ctx.prop("#agent-message", "value")? == "",
        "the message input was not cleared"
    );
    wait_text(ctx, "#fact-unread", "one unread message", |t| t == "1")?;
    ctx.switch_to(&tabs.page)?;
    let log = site_log_with(ctx, "jivo_onMessageReceived")?;
    ensure!(
        log.iter().any(|e| e["name"] == "jivo_onAccept"),
        "no jivo_onAccept: {}",
        Value::Array(log)
    );
    Ok(())
}

/// Selects `method` in the console the way a person does (the select's value, then `change`).
fn choose(ctx: &Ctx, method: &str) -> Result<()> {
    ctx.eval_with(
        "const s = document.getElementById('api-method'); s.value = arguments[0];\
         s.dispatchEvent(new Event('change', {bubbles: true})); return s.value;",
        vec![json!(method)],
    )?;
    ctx.wait_for_element(
        &format!("#api-method option[value='{method}']:checked"),
        TIMEOUT,
    )?;
    Ok(())
}

/// Clicks Call and returns `#api-result`'s `data-value`, once the answer is shown.
fn call_and_wait(ctx: &Ctx) -> Result<Value> {
    ctx.click("#api-call")?;
    let mut kind = None;
    ctx.wait_for("an API result", TIMEOUT, |b| {
        kind = b.attr("#api-result", "data-kind")?;
        Ok(matches!(kind.as_deref(), Some("returned" | "callback" | "threw")).then_some(()))
    })
    .with_context(|| format!("#api-result data-kind {kind:?}"))?;
    let value = ctx.attr("#api-result", "data-value")?.unwrap_or_default();
    ensure!(
        !ctx.text("#api-result")?.trim().is_empty(),
        "#api-result shows nothing"
    );
    Ok(serde_json::from_str(&value).unwrap_or(Value::Null))
}

fn api_console_calls_the_page(ctx: &mut Ctx) -> Result<()> {
    let (tabs, number) = open_popup(ctx)?;
    let methods =
        ctx.eval("return [...document.querySelectorAll('#api-method option')].map(o => o.value);")?;
    ensure!(
        methods.as_array().map(Vec::len) == Some(20),
        "the console lists {methods}"
    );

    choose(ctx, "open")?;
    ensure!(
        ctx.prop("#api-arg-start", "value")? == "chat",
        "open's start is not chat by default"
    );
    let opened = call_and_wait(ctx)?;
    ensure!(opened == json!({"result": "ok"}), "open() showed {opened}");
    ensure!(
        ctx.text("#api-result")?.contains(r#"{"result":"ok"}"#),
        "#api-result: {}",
        ctx.text("#api-result")?
    );
    wait_text(ctx, "#fact-state", "state chat", |t| t == "chat")?;

    choose(ctx, "getVisitorNumber")?;
    let got = call_and_wait(ctx)?;
    ensure!(
        ctx.attr("#api-result", "data-kind")?.as_deref() == Some("callback"),
        "getVisitorNumber's answer is not shown as callback args"
    );
    ensure!(
        got == json!([null, number]),
        "getVisitorNumber showed {got}"
    );

    // An invalid colour is refused next to its field and never sent.
    ctx.switch_to(&tabs.page)?;
    ctx.eval("siteLog.length = 0;")?;
    ctx.switch_to(&tabs.popup)?;
    choose(ctx, "setWidgetColor")?;
    let last_id = ctx.attr("#api-result", "data-id")?;
    ctx.type_into("#api-arg-color", "red")?;
    ctx.click("#api-call")?;
    let err = wait_text(ctx, "#api-err-color", "the colour error", |t| !t.is_empty())?;
    ensure!(err.contains("hex colour"), "colour error: {err}");
    ensure!(
        ctx.attr("#api-arg-color", "aria-invalid")?.as_deref() == Some("true"),
        "the colour field is not marked invalid"
    );
    std::thread::sleep(Duration::from_millis(500));
    ensure!(
        ctx.attr("#api-result", "data-kind")?.as_deref() == Some("refused")
            && ctx.attr("#api-result", "data-id")? == last_id,
        "an invalid call was sent"
    );
    ctx.switch_to(&tabs.page)?;
    let log = site_log(ctx)?;
    ensure!(log.is_empty(), "the page saw: {}", Value::Array(log));

    // A valid one goes through and the field's error is gone.
    ctx.switch_to(&tabs.popup)?;
    ctx.type_into("#api-arg-color", "#1A2B3C")?;
    let set = call_and_wait(ctx)?;
    ensure!(
        set.is_null() && ctx.attr("#api-result", "data-kind")?.as_deref() == Some("returned"),
        "setWidgetColor showed {set}"
    );
    ensure!(ctx.text("#api-err-color")?.is_empty(), "stale colour error");
    Ok(())
}

const XSS: &str = r#"<img src=x onerror="document.title='pwned'">"#;

fn page_data_is_inert_text(ctx: &mut Ctx) -> Result<()> {
    let (tabs, _) = open_popup(ctx)?;
    ctx.switch_to(&tabs.page)?;
    ctx.eval_with(
        "jivo_api.setCustomData([\
           {title: arguments[0], key: arguments[0], content: arguments[0], link: 'https://shop.example/x'},\
           {content: 'plain', link: 'mailto:a@example.com'}]); return null;",
        vec![json!(XSS)],
    )?;
    ctx.eval_with(
        "jivo_api.setUserToken(arguments[0]); return null;",
        vec![json!(XSS)],
    )?;
    ctx.switch_to(&tabs.popup)?;
    wait_text(ctx, "#agent-custom-data", "the custom data", |t| {
        t.contains(XSS)
    })?;
    wait_text(ctx, "#agent-user-token", "the user token", |t| t == XSS)?;
    let imgs = ctx.eval("return document.querySelectorAll('img').length;")?;
    ensure!(imgs == 0, "{imgs} img elements in the popup");
    ensure!(ctx.title()? != "pwned", "the payload ran");
    let links = ctx.eval(
        "return [...document.querySelectorAll('#agent-custom-data a')].map(a => a.getAttribute('href'));",
    )?;
    ensure!(
        links == json!(["https://shop.example/x"]),
        "custom-data links: {links}"
    );
    Ok(())
}

fn screenshots_light_and_dark(ctx: &mut Ctx) -> Result<()> {
    let (tabs, _) = open_popup(ctx)?;
    ctx.switch_to(&tabs.page)?;
    ctx.eval(
        "jivo_api.setContactInfo({name: 'Alex', email: 'alex@example.com', phone: '+15551234567'});\
         jivo_api.sendPageTitle('Checkout', true, 'https://shop.example/checkout');\
         jivo_api.setRules({greeting: 'Hi', delay: 5});\
         return null;",
    )?;
    ctx.switch_to(&tabs.popup)?;
    ctx.type_into("#agent-message", "Hello! How can I help?\u{E007}")?;
    wait_text(ctx, "#agent-conversation", "the message", |t| {
        t.contains("How can I help")
    })?;
    choose(ctx, "getVisitorNumber")?;
    call_and_wait(ctx)?;
    choose(ctx, "setWidgetColor")?;
    ctx.type_into("#api-arg-color", "red")?;
    ctx.click("#api-call")?;
    wait_text(ctx, "#api-err-color", "the colour error", |t| !t.is_empty())?;
    ctx.session().set_window_size(480, 1000)?;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::thread::sleep(Duration::from_millis(300));
    ctx.screenshot(&dir.join("popup-light.png"))?;
    ctx.session().cdp(
        "Emulation.setEmulatedMedia",
        json!({"features": [{"name": "prefers-color-scheme", "value": "dark"}]}),
    )?;
    std::thread::sleep(Duration::from_millis(300));
    ctx.screenshot(&dir.join("popup-dark.png"))?;
    ctx.session()
        .cdp("Emulation.setEmulatedMedia", json!({"features": []}))?;
    Ok(())
}
