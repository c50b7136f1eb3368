//! Sandbox mode on the real-site fixtures (`tests/fixtures/realsite-*`), JivoChat's loader hosts
//! mapped to the fixture server (see `tests/e2e/README.md`, "Host mapping"), so a loader that got
//! through would run the fake loader and count itself in `window.fakeJivoRuns`.
//!
//! Every embed form: the site's loader never runs (the extension's `declarativeNetRequest` rules
//! hold it back before it reaches the server), the page's own `jivo_onLoadCallback` runs exactly
//! once, its `setContactInfo` from there reaches the sandbox exactly once, the page's `jivo_api`
//! is the sandbox's, and the log and the popup say the site's JivoChat was held back, naming its
//! widget ID and URL. A self-hosted loader is outside the rules (see
//! `self_hosted_loader_is_not_held_back`).

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::popup_port::{self, entries};
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use e2e::server::{fake_loader, Response};
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(sandbox_holds_back_head_tag),
    scenario!(sandbox_holds_back_classic_load_snippet),
    scenario!(sandbox_holds_back_framework_effect),
    scenario!(sandbox_holds_back_turbolinks_reinsertion),
    scenario!(sandbox_holds_back_other_widget_id),
    scenario!(sandbox_holds_back_geo_widget),
    scenario!(sandbox_holds_back_widget_js_with_data_jv_id),
    scenario!(sandbox_holds_back_jivo_ru_host),
    scenario!(self_hosted_loader_is_not_held_back),
];

const TIMEOUT: Duration = Duration::from_secs(15);

/// Sandbox mode (standing in, the default) for `/realsite-*`.
fn use_sandbox(ctx: &Ctx) -> Result<()> {
    ctx.configure(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/realsite-*"] }))?;
    ctx.wait_for("the hold-back rules", TIMEOUT, |b| {
        let n = b.ext_eval(
            "return api.declarativeNetRequest.getDynamicRules().then(r => r.length);",
            vec![],
        )?;
        Ok((n == json!(2)).then_some(()))
    })
}

/// Waits until the window's `load` plus `ms` have passed.
fn after_load(ctx: &Ctx, ms: u32) -> Result<()> {
    ctx.wait_for_js(
        &format!(
            "const end = performance.getEntriesByType('navigation')[0].loadEventEnd; \
             return end > 0 && performance.now() - end > {ms};"
        ),
        TIMEOUT,
    )
    .map(drop)
}

/// What a person would see on the page at `url` (already shown, past its load and the site
/// loader's insertion): the sandbox stands in for the site's JivoChat widget `site_id` from
/// `site_src` (as the browser resolved it).
fn stands_in(ctx: &Ctx, url: &str, site_id: &str, site_src: &str) -> Result<()> {
    let tab = ctx.tab_id_of(url)?;
    let held = format!("widget {site_id} from {site_src}, was held back");
    popup_port::wait_log(ctx, tab, "the held-back notice", TIMEOUT, |log| {
        entries(log)
            .iter()
            .any(|e| e["text"].as_str().is_some_and(|t| t.contains(&held)))
    })?;
    ctx.wait_for("the page's jivo_onLoadCallback", TIMEOUT, |b| {
        Ok((b.eval("return window.siteLoads;")? == json!(1)).then_some(()))
    })
    .with_context(|| {
        let log =
            popup_port::log(ctx, tab).map(|l| popup_port::clip(&l["entries"].to_string(), 2500));
        format!("log: {log:?}")
    })?;
    // Room for a loader that got through, or a second callback.
    after_load(ctx, 2300)?;
    let seen = ctx.eval(
        "return {runs: window.fakeJivoRuns || 0, fake: typeof window.fakeJivo, \
                 loads: window.siteLoads, contact: jivo_api.getContactInfo()};",
    )?;
    ensure!(
        seen["runs"] == 0
            && seen["fake"] == "undefined"
            && seen["loads"] == 1
            && seen["contact"]["client_name"] == "Anna Petrova",
        "the page sees: {seen}"
    );
    let path = site_src.trim_start_matches("http:");
    let requests = ctx.server.requests_for(path);
    ensure!(
        requests == 0,
        "the site's loader reached the server {requests} times"
    );
    // The log, read again now that everything has happened.
    let log = popup_port::log(ctx, tab)?;
    let all = entries(&log);
    let count = |f: &dyn Fn(&Value) -> bool| all.iter().filter(|e| f(e)).count();
    let held_n = count(&|e| e["text"].as_str().is_some_and(|t| t.contains("held back")));
    let contact = count(&|e| {
        e["kind"] == "apiCall" && e["method"] == "setContactInfo" && e["origin"] == "page"
    });
    let loads = count(&|e| e["kind"] == "callback" && e["name"] == "jivo_onLoadCallback");
    ensure!(
        held_n == 1 && contact == 1 && (1..=2).contains(&loads),
        "the log has {held_n} held-back notices, {contact} setContactInfo from the page, \
         {loads} jivo_onLoadCallback: {}",
        popup_port::clip(&Value::Array(all.clone()).to_string(), 2000)
    );
    // The popup says it too.
    let page = ctx.current_tab()?;
    ctx.new_tab()?;
    let popup = ctx
        .open_extension_page(&format!("popup.html?tab={tab}"))
        .and_then(|_| {
            ctx.wait_for_noting("the popup's held-back notice", TIMEOUT, |b, seen| {
                *seen = b.text("#site-widget")?;
                Ok((seen.contains("held back")
                    && seen.contains(site_id)
                    && seen.contains(site_src))
                .then_some(()))
            })
        });
    ctx.close_tab()?;
    ctx.switch_to(&page)?;
    popup
}

/// Sandbox mode on `page`, whose loader is `site_src`.
fn check(ctx: &Ctx, page: &str, site_id: &str, site_src: &str) -> Result<()> {
    use_sandbox(ctx)?;
    let url = ctx.url(page);
    ctx.goto(&url)?;
    stands_in(ctx, &url, site_id, site_src).with_context(|| format!("on {page}"))
}

fn sandbox_holds_back_head_tag(ctx: &mut Ctx) -> Result<()> {
    check(
        ctx,
        "/realsite-head-tag.html",
        "TestWidget42",
        "http://code.jivosite.com/widget/TestWidget42",
    )
}

fn sandbox_holds_back_classic_load_snippet(ctx: &mut Ctx) -> Result<()> {
    check(
        ctx,
        "/realsite-classic-snippet.html",
        "TestWidget42",
        "http://code.jivosite.com/script/widget/TestWidget42",
    )
}

/// The app defines its `jivo_onLoadCallback` in the effect that inserts its loader, after the
/// sandbox has loaded: the sandbox calls it once more when it holds that loader back, as the
/// loader would have on loading.
fn sandbox_holds_back_framework_effect(ctx: &mut Ctx) -> Result<()> {
    check(
        ctx,
        "/realsite-framework-effect.html",
        "TestWidget42",
        "http://code.jivochat.com/widget/TestWidget42",
    )
}

fn sandbox_holds_back_turbolinks_reinsertion(ctx: &mut Ctx) -> Result<()> {
    use_sandbox(ctx)?;
    ctx.goto(&ctx.url("/realsite-turbolinks.html"))?;
    ctx.click("#to-support")?;
    ctx.wait_for_js("return window.visits === 1;", TIMEOUT)?;
    let url = ctx.url("/realsite-turbolinks-support.html");
    stands_in(
        ctx,
        &url,
        "TestWidget42",
        "http://code-eu1.jivosite.com/widget/TestWidget42",
    )
}

fn sandbox_holds_back_other_widget_id(ctx: &mut Ctx) -> Result<()> {
    check(
        ctx,
        "/realsite-other-id.html",
        "OtherWidget9",
        "http://code.jivosite.com/widget/OtherWidget9",
    )
}

fn sandbox_holds_back_geo_widget(ctx: &mut Ctx) -> Result<()> {
    check(
        ctx,
        "/realsite-geo-widget.html",
        "TestWidget42",
        "http://code.jivosite.com/script/geo-widget/TestWidget42",
    )
}

fn sandbox_holds_back_widget_js_with_data_jv_id(ctx: &mut Ctx) -> Result<()> {
    check(
        ctx,
        "/realsite-widget-js.html",
        "TestWidget42",
        "http://code.jivo.ru/widget.js",
    )
}

fn sandbox_holds_back_jivo_ru_host(ctx: &mut Ctx) -> Result<()> {
    check(
        ctx,
        "/realsite-jivo-ru.html",
        "TestWidget42",
        "http://code.jivo.ru/widget/TestWidget42",
    )
}

/// A self-hosted loader (`/assets/jivo/widget/<id>` on the site's own host) is neither blocked by
/// the rules (they name JivoChat's hosts) nor recognised in sandbox mode (which has no
/// `loaderUrl` to match it against): it runs next to the sandbox, takes the page's `jivo_api`
/// over (which of the two the page's `jivo_api` ends up as depends on timing) and calls the
/// page's `jivo_onLoadCallback` too. What is checked: the loader ran once, the log has no
/// held-back notice, and the page's calls are still recorded.
fn self_hosted_loader_is_not_held_back(ctx: &mut Ctx) -> Result<()> {
    ctx.server.route(
        "/assets/jivo/widget/TestWidget42",
        Response::js(fake_loader()),
    );
    use_sandbox(ctx)?;
    let url = ctx.url("/realsite-self-hosted.html");
    ctx.goto(&url)?;
    ctx.wait_for_js(
        "return !!(window.fakeJivo && fakeJivo.isLoaded());",
        TIMEOUT,
    )?;
    after_load(ctx, 2300)?;
    let seen =
        ctx.eval("return {runs: window.fakeJivoRuns || 0, contact: jivo_api.getContactInfo()};")?;
    ensure!(
        seen["runs"] == 1 && seen["contact"]["client_name"] == "Anna Petrova",
        "the page sees: {seen}"
    );
    ctx.eval("jivo_api.chatMode(); return null;")?;
    let tab = ctx.tab_id_of(&url)?;
    let log = popup_port::wait_log(ctx, tab, "the page's chatMode call", TIMEOUT, |log| {
        entries(log)
            .iter()
            .any(|e| e["kind"] == "apiCall" && e["method"] == "chatMode" && e["origin"] == "page")
    })?;
    ensure!(
        !entries(&log)
            .iter()
            .any(|e| e["text"].as_str().is_some_and(|t| t.contains("held back"))),
        "the log says a loader was held back: {}",
        popup_port::clip(&log["entries"].to_string(), 2000)
    );
    Ok(())
}
