//! JivoChat mode on pages written the way real sites embed JivoChat (`tests/fixtures/realsite-*`),
//! with the loader coming from JivoChat's own hosts, which the fixture server serves (see
//! `tests/e2e/README.md`, "Host mapping"): the loader there is the fake loader, which counts its
//! runs in `window.fakeJivoRuns` and their URLs in `window.fakeJivoSources`.
//!
//! Every embed form gets exactly one loader run (the site's), the extension attaches to it and
//! the popup says so with the site's widget ID; another widget ID shows both; "use my widget
//! here" then a reload runs ours instead of the site's; a site loader answering 404 shows the
//! failure with its reason.

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use e2e::server::{fake_loader, Response};
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(head_tag_attaches),
    scenario!(classic_load_snippet_gets_no_second_loader),
    scenario!(framework_effect_after_fetch_attaches),
    scenario!(turbolinks_reinsertion_attaches),
    scenario!(jivo_ru_host_attaches),
    scenario!(geo_widget_attaches),
    scenario!(widget_js_with_data_jv_id_attaches),
    scenario!(self_hosted_loader_attaches),
    scenario!(other_widget_id_shows_both_ids),
    scenario!(use_my_widget_here_holds_the_site_loader_back),
    scenario!(page_without_a_widget_gets_ours_after_the_grace),
    scenario!(site_loader_404_shows_the_failure),
];

const WIDGET_ID: &str = "TestWidget42";
/// The configured loader: JivoChat's own host, over http (the fixture server serves http only).
const OUR_LOADER: &str = "http://code.jivosite.com/widget/TestWidget42";
const TIMEOUT: Duration = Duration::from_secs(15);

/// JivoChat mode for `/realsite-*`, with `extra` merged into the settings.
fn use_jivochat(ctx: &Ctx, extra: Value) -> Result<()> {
    let mut settings = json!({
        "mode": "jivochat",
        "widgetId": WIDGET_ID,
        "loaderUrl": "http://code.jivosite.com/widget/{id}",
        "loaderTimeoutMs": 15000,
        "sites": ["http://127.0.0.1/realsite-*"],
    });
    if let (Some(s), Some(e)) = (settings.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            s.insert(k.clone(), v.clone());
        }
    }
    ctx.configure(settings)
}

/// Waits until the fake widget has loaded, then until the window's `load` plus the grace
/// period (1.5 s) and a margin have passed, so that an injection of ours would have happened.
fn settle(ctx: &Ctx) -> Result<()> {
    ctx.wait_for_js(
        "return !!(window.fakeJivo && fakeJivo.isLoaded());",
        TIMEOUT,
    )
    .context("the widget loads")?;
    ctx.wait_for_js(
        "const end = performance.getEntriesByType('navigation')[0].loadEventEnd; \
         return end > 0 && performance.now() - end > 2300;",
        TIMEOUT,
    )?;
    Ok(())
}

/// How many times a loader ran on the page, and from where.
fn runs(ctx: &Ctx) -> Result<(u64, Vec<String>)> {
    let v = ctx.eval("return [window.fakeJivoRuns || 0, window.fakeJivoSources || []];")?;
    let n = v[0].as_u64().unwrap_or(0);
    let sources = v[1]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok((n, sources))
}

/// The popup shows the page attached to the site's widget `site_id`.
fn popup_attached(ctx: &Ctx, url: &str, site_id: &str) -> Result<()> {
    ctx.with_popup(url, |ctx| {
        ctx.wait_for_attr("#page-status", "data-state", "attached", TIMEOUT)?;
        ctx.wait_for_attr("#embed-whose", "data-whose", "site", TIMEOUT)?;
        let shown = ctx.text("#embed-site-id")?;
        ensure!(shown == site_id, "the popup shows site widget ID {shown:?}");
        Ok(())
    })
}

/// The common check: `page` attaches to its own loader at `site_src` (as the browser resolved
/// it), which ran once, and ours never loaded.
fn attaches(ctx: &Ctx, page: &str, site_src: &str) -> Result<()> {
    let url = ctx.url(page);
    ctx.goto(&url)?;
    settle(ctx)?;
    let (n, sources) = runs(ctx)?;
    ensure!(
        n == 1 && sources == [site_src],
        "expected one run of {site_src}, got {n}: {sources:?}"
    );
    popup_attached(ctx, &url, WIDGET_ID)?;
    let ours = ctx
        .server
        .requests_for("//code.jivosite.com/widget/TestWidget42");
    ensure!(
        site_src == OUR_LOADER || ours == 0,
        "our loader was requested {ours} times"
    );
    Ok(())
}

fn head_tag_attaches(ctx: &mut Ctx) -> Result<()> {
    use_jivochat(ctx, json!({}))?;
    attaches(ctx, "/realsite-head-tag.html", OUR_LOADER)?;
    ensure!(
        ctx.server
            .requests_for("//code.jivosite.com/widget/TestWidget42")
            == 1,
        "the site's loader (the same URL as ours) was requested more than once"
    );
    Ok(())
}

fn classic_load_snippet_gets_no_second_loader(ctx: &mut Ctx) -> Result<()> {
    use_jivochat(ctx, json!({}))?;
    attaches(
        ctx,
        "/realsite-classic-snippet.html",
        "http://code.jivosite.com/script/widget/TestWidget42",
    )
}

fn framework_effect_after_fetch_attaches(ctx: &mut Ctx) -> Result<()> {
    use_jivochat(ctx, json!({}))?;
    attaches(
        ctx,
        "/realsite-framework-effect.html",
        "http://code.jivochat.com/widget/TestWidget42",
    )
}

fn turbolinks_reinsertion_attaches(ctx: &mut Ctx) -> Result<()> {
    // The visit comes from a click: give it room in the grace period.
    use_jivochat(ctx, json!({ "siteWidget": { "graceMs": 5000 } }))?;
    let url = ctx.url("/realsite-turbolinks.html");
    ctx.goto(&url)?;
    ctx.click("#to-support")?;
    ctx.wait_for_js("return window.visits === 1;", TIMEOUT)?;
    ctx.wait_for_js(
        "return !!(window.fakeJivo && fakeJivo.isLoaded());",
        TIMEOUT,
    )?;
    // Past the 5 s grace period.
    ctx.wait_for_js(
        "const end = performance.getEntriesByType('navigation')[0].loadEventEnd; \
         return end > 0 && performance.now() - end > 5800;",
        TIMEOUT,
    )?;
    let (n, sources) = runs(ctx)?;
    ensure!(
        n == 1 && sources == ["http://code-eu1.jivosite.com/widget/TestWidget42"],
        "expected one run of the site's loader, got {n}: {sources:?}"
    );
    popup_attached(
        ctx,
        &ctx.url("/realsite-turbolinks-support.html"),
        WIDGET_ID,
    )?;
    ensure!(
        ctx.server
            .requests_for("//code.jivosite.com/widget/TestWidget42")
            == 0,
        "our loader was injected"
    );
    Ok(())
}

fn jivo_ru_host_attaches(ctx: &mut Ctx) -> Result<()> {
    use_jivochat(ctx, json!({}))?;
    attaches(
        ctx,
        "/realsite-jivo-ru.html",
        "http://code.jivo.ru/widget/TestWidget42",
    )
}

fn geo_widget_attaches(ctx: &mut Ctx) -> Result<()> {
    use_jivochat(ctx, json!({}))?;
    attaches(
        ctx,
        "/realsite-geo-widget.html",
        "http://code.jivosite.com/script/geo-widget/TestWidget42",
    )
}

fn widget_js_with_data_jv_id_attaches(ctx: &mut Ctx) -> Result<()> {
    use_jivochat(ctx, json!({}))?;
    attaches(
        ctx,
        "/realsite-widget-js.html",
        "http://code.jivo.ru/widget.js",
    )
}

fn self_hosted_loader_attaches(ctx: &mut Ctx) -> Result<()> {
    ctx.server.route(
        "/assets/jivo/widget/TestWidget42",
        Response::js(fake_loader()),
    );
    // The configured template names the same self-hosted path with another query.
    let template = ctx.url("/assets/jivo/widget/{id}?v=7");
    use_jivochat(ctx, json!({ "loaderUrl": template }))?;
    let src = ctx.url("/assets/jivo/widget/TestWidget42?v=123");
    attaches(ctx, "/realsite-self-hosted.html", &src)?;
    let requests: Vec<String> = ctx
        .server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/assets/jivo/widget/TestWidget42")
        .map(|r| r.url)
        .collect();
    ensure!(
        requests == ["/assets/jivo/widget/TestWidget42?v=123"],
        "our loader (?v=7) was requested: {requests:?}"
    );
    Ok(())
}

fn other_widget_id_shows_both_ids(ctx: &mut Ctx) -> Result<()> {
    use_jivochat(ctx, json!({}))?;
    let url = ctx.url("/realsite-other-id.html");
    ctx.goto(&url)?;
    settle(ctx)?;
    let (n, sources) = runs(ctx)?;
    ensure!(
        n == 1 && sources == ["http://code.jivosite.com/widget/OtherWidget9"],
        "expected one run of the site's loader, got {n}: {sources:?}"
    );
    ctx.with_popup(&url, |ctx| {
        ctx.wait_for_attr("#page-status", "data-state", "attached", TIMEOUT)?;
        ctx.wait_for_js(
            "return document.getElementById('embed-site-id').textContent === 'OtherWidget9' && \
             document.getElementById('embed-configured-id').textContent === 'TestWidget42' && \
             !document.getElementById('embed-configured-id').hidden && \
             !document.getElementById('use-mine').hidden;",
            TIMEOUT,
        )
        .context("the popup shows both widget IDs and offers \"use my widget here\"")?;
        ctx.wait_for_js(
            "return document.getElementById('log-list').textContent.includes('OtherWidget9 differs');",
            TIMEOUT,
        )
        .context("the log says the IDs differ")?;
        Ok(())
    })
}

fn use_my_widget_here_holds_the_site_loader_back(ctx: &mut Ctx) -> Result<()> {
    use_jivochat(ctx, json!({}))?;
    let url = ctx.url("/realsite-other-id.html");
    ctx.goto(&url)?;
    settle(ctx)?;
    let theirs = "//code.jivosite.com/widget/OtherWidget9";
    ensure!(
        ctx.server.requests_for(theirs) == 1,
        "the site's loader ran"
    );
    ctx.with_popup(&url, |ctx| {
        ctx.wait_for_js(
            "return !document.getElementById('use-mine').hidden;",
            TIMEOUT,
        )?;
        ctx.click("#use-mine")?;
        ctx.wait_for_js(
            "const r = document.getElementById('use-mine-result'); \
             return !r.hidden && r.textContent.includes('*://127.0.0.1/*') && \
             !document.getElementById('reload-tab').hidden;",
            TIMEOUT,
        )
        .context("the popup says the rule applies from the next load")?;
        let stored = ctx.storage_get("local", "settings")?;
        ensure!(
            stored["siteWidget"]["useMineOn"] == json!(["*://127.0.0.1/*"]),
            "settings: {stored}"
        );
        ctx.wait_for("the hold-back network rules", TIMEOUT, |b| {
            let n = b.ext_eval(
                "return api.declarativeNetRequest.getSessionRules().then(r => r.length);",
                vec![],
            )?;
            Ok((n.as_u64().unwrap_or(0) >= 2).then_some(()))
        })?;
        ctx.click("#reload-tab")
    })?;
    ctx.wait_for_js(
        "return performance.getEntriesByType('navigation')[0].type === 'reload' && \
         !!(window.fakeJivo && fakeJivo.isLoaded());",
        TIMEOUT,
    )
    .with_context(|| {
        let state = ctx.eval(
            "return [performance.getEntriesByType('navigation')[0].type, window.fakeJivoRuns, \
             window.fakeJivoSources, document.readyState];",
        );
        let requests: Vec<String> = ctx.server.requests().into_iter().map(|r| r.url).collect();
        let tab = ctx
            .tab_id_of(&url)
            .and_then(|t| ctx.storage_get("session", &format!("tab:{t}")));
        let rules = ctx.ext_eval(
            "return api.declarativeNetRequest.getSessionRules();",
            vec![],
        );
        let requests = format!("{requests:?}, tab {tab:?}, rules {rules:?}");
        format!("the page reloads with a widget: page {state:?}, requests {requests}")
    })?;
    let (n, sources) = runs(ctx)?;
    ensure!(
        n == 1 && sources == [OUR_LOADER],
        "expected one run of our loader, got {n}: {sources:?}"
    );
    ensure!(
        ctx.server.requests_for(theirs) == 1,
        "the site's loader was requested again after the reload"
    );
    ctx.with_popup(&url, |ctx| {
        ctx.wait_for_attr("#page-status", "data-state", "loaded", TIMEOUT)?;
        ctx.wait_for_js(
            "return document.getElementById('log-list').textContent.includes('held back');",
            TIMEOUT,
        )
        .context("the log says the site's loader was held back")?;
        Ok(())
    })
}

fn site_loader_404_shows_the_failure(ctx: &mut Ctx) -> Result<()> {
    ctx.server.route(
        "//code.jivosite.com/widget/RemovedWidget7",
        Response::status(404),
    );
    use_jivochat(ctx, json!({}))?;
    let url = ctx.url("/realsite-missing.html");
    ctx.goto(&url)?;
    ctx.with_popup(&url, |ctx| {
        ctx.wait_for_attr("#page-status", "data-state", "failed", TIMEOUT)?;
        let text = ctx.text("#page-status")?;
        ensure!(text.contains("404"), "status: {text}");
        Ok(())
    })?;
    ensure!(
        ctx.server
            .requests_for("//code.jivosite.com/widget/TestWidget42")
            == 0,
        "our loader was injected on top of the site's failed one"
    );
    Ok(())
}

fn page_without_a_widget_gets_ours_after_the_grace(ctx: &mut Ctx) -> Result<()> {
    use_jivochat(ctx, json!({}))?;
    let url = ctx.url("/realsite-turbolinks.html");
    ctx.goto(&url)?;
    ctx.wait_for_js(
        "return !!(window.fakeJivo && fakeJivo.isLoaded());",
        TIMEOUT,
    )
    .with_context(|| {
        let tab = ctx
            .tab_id_of(&url)
            .and_then(|t| ctx.storage_get("session", &format!("tab:{t}")));
        let requests: Vec<String> = ctx.server.requests().into_iter().map(|r| r.url).collect();
        format!("our widget loads: tab {tab:?}, requests {requests:?}")
    })?;
    let at = ctx.eval(
        "return performance.now() - performance.getEntriesByType('navigation')[0].loadEventEnd;",
    )?;
    ensure!(
        at.as_f64().unwrap_or(0.0) >= 1400.0,
        "ours loaded {at} ms after load, before the grace period ended"
    );
    let (n, sources) = runs(ctx)?;
    ensure!(
        n == 1 && sources == [OUR_LOADER],
        "expected one run of our loader, got {n}: {sources:?}"
    );
    ctx.with_popup(&url, |ctx| {
        ctx.wait_for_attr("#page-status", "data-state", "loaded", TIMEOUT)?;
        Ok(())
    })
}
