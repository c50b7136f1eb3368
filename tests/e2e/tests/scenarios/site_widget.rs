//! Sandbox mode on a site with its own JivoChat (`tests/fixtures/site-own-jivochat.html`, a
//! `<script src="http://code.jivosite.com/widget/abc">` tag): standing in, the site's loader
//! is held back by the extension's `declarativeNetRequest` rules and the sandbox answers the
//! page's own integration exactly once; with `siteWidget.sandboxStandIn` off the sandbox stays
//! out. JivoChat's loader hosts are mapped to the fixture server (its fake loader): standing in,
//! the request is blocked (the tag's `error` event, no loader globals, the page's `jivo_api` is
//! the sandbox's); staying out, the site's loader runs once and the sandbox calls nothing. Also
//! checked: the rules in force, and what the log and the popup say.

use std::time::Duration;

use anyhow::{ensure, Result};
use e2e::popup_port::{self, entries};
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(sandbox_stands_in_for_the_sites_jivochat),
    scenario!(sandbox_stays_out_without_stand_in),
];

const TIMEOUT: Duration = Duration::from_secs(10);
const SITES: [&str; 1] = ["http://127.0.0.1/site-own-jivochat*"];

/// The extension's dynamic `declarativeNetRequest` rules.
fn dynamic_rules(ctx: &Ctx) -> Result<Vec<Value>> {
    let rules = ctx.ext_eval(
        "return api.declarativeNetRequest.getDynamicRules();",
        vec![],
    )?;
    Ok(rules.as_array().cloned().unwrap_or_default())
}

/// The popup's text about the site's own widget, once it contains `want`.
fn popup_site_widget(ctx: &Ctx, tab: i64, want: &str) -> Result<String> {
    let page = ctx.current_tab()?;
    ctx.new_tab()?;
    let result = ctx
        .open_extension_page(&format!("popup.html?tab={tab}"))
        .and_then(|_| {
            ctx.wait_for_noting(&format!("the popup to say {want:?}"), TIMEOUT, |b, seen| {
                *seen = b.text("#site-widget")?;
                Ok(seen.contains(want).then(|| seen.clone()))
            })
        });
    ctx.close_tab()?;
    ctx.switch_to(&page)?;
    result
}

fn sandbox_stands_in_for_the_sites_jivochat(ctx: &mut Ctx) -> Result<()> {
    ctx.configure(json!({ "mode": "sandbox", "sites": SITES }))?;
    // The rules hold JivoChat's loader hosts back for scripts of the matched sites only.
    let rules = dynamic_rules(ctx)?;
    ensure!(rules.len() == 2, "dynamic rules: {}", Value::Array(rules));
    for r in &rules {
        ensure!(
            r["action"]["type"] == "block"
                && r["condition"]["initiatorDomains"] == json!(["127.0.0.1"])
                && r["condition"]["resourceTypes"] == json!(["script"]),
            "rule: {r}"
        );
    }
    let url = ctx.url("/site-own-jivochat.html");
    ctx.goto(&url)?;
    let tab = ctx.tab_id_of(&url)?;
    ctx.wait_for(
        "the sandbox to call the site's jivo_onLoadCallback",
        TIMEOUT,
        |b| Ok((b.eval("return window.siteLoads;")? == json!(1)).then_some(())),
    )?;
    ctx.wait_for("the loader tag's error event", TIMEOUT, |b| {
        Ok((b.eval("return loaderEvents;")? == json!(["error"])).then_some(()))
    })?;
    // The page's API is the sandbox's throughout, and nothing of a loader's is there.
    let seen = ctx.eval(
        "return {mode: jivo_api.chatMode(), visitor: typeof jivo_api.getVisitorNumber,\
                 loads: siteLoads, jivoConfig: typeof window.jivo_config, jivoCont: typeof window.jivo_cont,\
                 contact: jivo_api.getContactInfo()};",
    )?;
    ensure!(
        seen["loads"] == 1 && seen["contact"]["client_name"] == "Site Visitor",
        "the page sees: {seen}"
    );
    // Its integration reached the sandbox exactly once, and the log says what was held back.
    std::thread::sleep(Duration::from_millis(300));
    let log = popup_port::wait_log(ctx, tab, "the held-back notice", TIMEOUT, |log| {
        entries(log).iter().any(|e| {
            e["kind"] == "status"
                && e["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("was held back; the sandbox answers in its place"))
        })
    })?;
    let held: Vec<Value> = entries(&log)
        .into_iter()
        .filter(|e| e["text"].as_str().is_some_and(|t| t.contains("held back")))
        .collect();
    ensure!(
        held.len() == 1
            && held[0]["text"]
                .as_str()
                .is_some_and(|t| t.contains("widget abc from http://code.jivosite.com/widget/abc")),
        "held-back entries: {}",
        Value::Array(held)
    );
    let contact_calls = entries(&log)
        .iter()
        .filter(|e| {
            e["kind"] == "apiCall" && e["method"] == "setContactInfo" && e["origin"] == "page"
        })
        .count();
    ensure!(
        contact_calls == 1,
        "setContactInfo reached the sandbox {contact_calls} times"
    );
    let loads = entries(&log)
        .iter()
        .filter(|e| e["kind"] == "callback" && e["name"] == "jivo_onLoadCallback")
        .count();
    ensure!(loads == 1, "jivo_onLoadCallback {loads} times in the log");
    let text = popup_site_widget(ctx, tab, "held back")?;
    ensure!(text.contains("abc"), "popup: {text}");
    Ok(())
}

fn sandbox_stays_out_without_stand_in(ctx: &mut Ctx) -> Result<()> {
    ctx.configure(json!({
        "mode": "sandbox",
        "sites": SITES,
        "siteWidget": { "sandboxStandIn": false },
    }))?;
    let rules = dynamic_rules(ctx)?;
    ensure!(
        rules.is_empty(),
        "rules without stand-in: {}",
        Value::Array(rules)
    );
    let url = ctx.url("/site-own-jivochat.html");
    ctx.goto(&url)?;
    let tab = ctx.tab_id_of(&url)?;
    let log = popup_port::wait_log(ctx, tab, "the stays-out notice", TIMEOUT, |log| {
        entries(log).iter().any(|e| {
            e["text"]
                .as_str()
                .is_some_and(|t| t.contains("the sandbox stays out of this page"))
        })
    })?;
    // The site's loader (the fake loader: JivoChat's hosts are mapped to the fixture server)
    // runs once and calls the page's handler once; the sandbox calls it never.
    ctx.wait_for_js(
        "return !!(window.fakeJivo && fakeJivo.isLoaded());",
        TIMEOUT,
    )?;
    std::thread::sleep(Duration::from_millis(500));
    let seen = ctx.eval("return [siteLoads, window.fakeJivoRuns];")?;
    ensure!(
        seen == json!([1, 1]),
        "page handler runs and site loader runs: {seen} (the sandbox called the page's \
         jivo_onLoadCallback while standing down?)"
    );
    let loads = entries(&log)
        .iter()
        .filter(|e| e["kind"] == "callback" && e["name"] == "jivo_onLoadCallback")
        .count();
    ensure!(loads <= 1, "{loads} jivo_onLoadCallback in the log");
    popup_site_widget(ctx, tab, "stays out")?;
    Ok(())
}
