//! Checks of the harness itself, against whatever extension is loaded: the fixture server,
//! extension pages, storage, tab ids, and stopping the background. If these fail, the other
//! scenarios' failures say little about the extension.

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::browser::BrowserKind;
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use e2e::server::Response;
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(storage_roundtrip),
    scenario!(tab_id_of_fixture_page),
    scenario!(strict_csp_blocks_inline_script),
    scenario!(slow_route_does_not_block),
    scenario!(elements_and_input),
    scenario!(goto_nowait_with_slow_script),
    scenario!(extension_page_reopens),
    scenario!(background_restarts_after_stop),
];

/// Adds an inline `<script>` element to the current page; whether it ran.
const INLINE_SCRIPT_RUNS: &str = "
    window.__e2eInline = false;
    const s = document.createElement('script');
    s.textContent = 'window.__e2eInline = true';
    document.documentElement.append(s);
    return window.__e2eInline;";

fn storage_roundtrip(ctx: &mut Ctx) -> Result<()> {
    let probe = json!({ "n": 1, "text": "привет", "list": [1, 2, { "deep": null }] });
    for area in ["local", "session"] {
        ctx.storage_set(area, json!({ "e2eProbe": probe }))?;
        let read = ctx.storage_get(area, "e2eProbe")?;
        ensure!(read == probe, "storage.{area}: wrote {probe}, read {read}");
    }
    ensure!(ctx.storage_get("local", "e2eAbsent")? == Value::Null);
    ctx.restore_defaults()?;
    let after = ctx.storage_get("local", "e2eProbe")?;
    ensure!(after.is_null(), "restore_defaults left {after}");
    ctx.storage_set("session", json!({ "e2eProbe": null }))?;
    Ok(())
}

fn tab_id_of_fixture_page(ctx: &mut Ctx) -> Result<()> {
    let url = ctx.url("/plain.html");
    ctx.goto(&url)?;
    ensure!(ctx.title()? == "Plain fixture", "title {:?}", ctx.title()?);
    let id = ctx.tab_id_of(&url)?;
    let seen = ctx.ext_eval(
        "return api.tabs.get(arguments[0]).then(t => t.url);",
        vec![json!(id)],
    )?;
    ensure!(seen == json!(url), "tab {id} shows {seen}, expected {url}");
    // The helper tab is not the current tab afterwards, and not in `tabs()`.
    ensure!(ctx.current_url()? == url);
    ensure!(ctx.tabs()?.len() == 1, "tabs: {:?}", ctx.tabs()?);
    Ok(())
}

fn strict_csp_blocks_inline_script(ctx: &mut Ctx) -> Result<()> {
    ctx.goto(&ctx.url("/plain.html"))?;
    ensure!(
        ctx.eval(INLINE_SCRIPT_RUNS)? == json!(true),
        "inline script did not run on plain.html"
    );

    ctx.goto(&ctx.url("/strict/strict.html"))?;
    ctx.wait_for_attr("#script-state", "data-state", "ran", Duration::from_secs(5))
        .context("strict.js ('self') should run under the strict CSP")?;
    ensure!(
        ctx.eval(INLINE_SCRIPT_RUNS)? == json!(false),
        "an inline script ran under the strict CSP"
    );
    ensure!(ctx.server.requests_for("/strict/strict.html") == 1);
    ensure!(ctx.server.requests_for("/strict/strict.js") == 1);

    // Routes are reachable under /strict/ too, with the policy added.
    ctx.server.route(
        "/probe.html",
        Response::html("<title>probe</title><script>document.title = 'inline ran'</script>"),
    );
    ctx.goto(&ctx.url("/strict/probe.html"))?;
    ensure!(ctx.title()? == "probe", "title {:?}", ctx.title()?);
    ctx.goto(&ctx.url("/probe.html"))?;
    ensure!(ctx.title()? == "inline ran", "title {:?}", ctx.title()?);
    Ok(())
}

fn slow_route_does_not_block(ctx: &mut Ctx) -> Result<()> {
    ctx.server.route(
        "/loader/slow.js",
        Response::js("window.slow = true").delay(Duration::from_secs(10)),
    );
    ctx.server
        .route("/loader/missing.js", Response::status(404));
    ctx.goto(&ctx.url("/plain.html"))?;
    let result = ctx.eval_async(
        "fetch('/loader/slow.js');
         const t0 = performance.now();
         Promise.all([fetch('/unmatched.html'), fetch('/loader/missing.js')])
           .then(([a, b]) => done([a.status, b.status, performance.now() - t0]))
           .catch(e => done(String(e)));",
    )?;
    ensure!(result[0] == 200 && result[1] == 404, "statuses: {result}");
    let ms = result[2].as_f64().unwrap_or(f64::MAX);
    ensure!(
        ms < 2000.0,
        "other requests waited {ms} ms behind the slow one"
    );
    ctx.wait_for("the slow request to arrive", Duration::from_secs(2), |_| {
        Ok((ctx.server.requests_for("/loader/slow.js") == 1).then_some(()))
    })?;
    Ok(())
}

fn elements_and_input(ctx: &mut Ctx) -> Result<()> {
    ctx.server.route(
        "/form.html",
        Response::html(
            "<title>form</title><input id=name value=old>\
             <button id=go onclick=\"document.getElementById('out').textContent = \
             'hello ' + document.getElementById('name').value\">Go</button>\
             <p id=out data-x=1></p>",
        ),
    );
    ctx.goto(&ctx.url("/form.html"))?;
    ctx.type_into("#name", "Ann")?;
    ensure!(ctx.prop("#name", "value")? == json!("Ann"));
    ctx.click("#go")?;
    ensure!(
        ctx.text("#out")? == "hello Ann",
        "text {:?}",
        ctx.text("#out")?
    );
    ensure!(ctx.attr("#out", "data-x")?.as_deref() == Some("1"));
    ensure!(ctx.attr("#out", "data-y")?.is_none());
    ensure!(ctx.find_all("input, button")?.len() == 2);
    let err = ctx.find("#absent").expect_err("found #absent");
    ensure!(
        e2e::webdriver::WebDriverError::is(&err, "no such element"),
        "unexpected error {err:#}"
    );
    let late = ctx.eval_async("setTimeout(() => done(document.title), 50)")?;
    ensure!(late == json!("form"), "eval_async gave {late}");
    Ok(())
}

fn goto_nowait_with_slow_script(ctx: &mut Ctx) -> Result<()> {
    ctx.server.route(
        "/loader/slow.js",
        Response::js("window.slowRan = true").delay(Duration::from_secs(10)),
    );
    ctx.server.route(
        "/slow-page.html",
        Response::html(
            "<title>slow</title><p id=early>early</p><script async src=/loader/slow.js></script>",
        ),
    );
    ctx.goto(&ctx.url("/plain.html"))?;
    let started = std::time::Instant::now();
    ctx.goto_nowait(&ctx.url("/slow-page.html"))?;
    ctx.wait_for_element("#early", Duration::from_secs(5))?;
    ensure!(ctx.eval("return window.slowRan === true")? == json!(false));
    ensure!(ctx.eval("return document.readyState")? != json!("complete"));
    let secs = started.elapsed().as_secs_f64();
    ensure!(secs < 5.0, "commands waited {secs:.1}s for the slow script");
    // Leaving the page while the script is still loading must work too.
    ctx.goto(&ctx.url("/plain.html"))?;
    Ok(())
}

fn extension_page_reopens(ctx: &mut Ctx) -> Result<()> {
    let page = ctx.manifest()["action"]["default_popup"]
        .as_str()
        .unwrap_or("manifest.json")
        .to_string();
    for round in 0..2 {
        ctx.open_extension_page(&page)?;
        let url = ctx.current_url()?;
        ensure!(url == ctx.extension_url(&page), "round {round}: at {url}");
        ctx.goto(&ctx.url("/plain.html"))?;
    }
    Ok(())
}

fn background_restarts_after_stop(ctx: &mut Ctx) -> Result<()> {
    let wake = "
        try { api.runtime.connect({name: 'e2e-wake'}).disconnect(); } catch (e) {}
        return Promise.resolve(api.runtime.sendMessage({e2e: 'wake'})).then(() => null, () => null);";
    ctx.ext_eval(wake, vec![])?;
    ctx.wait_for("the background to run", Duration::from_secs(5), |b| {
        Ok(b.background_running()?.then_some(()))
    })?;
    match ctx.kind() {
        BrowserKind::Chromium => {
            ensure!(ctx.stop_service_worker()?, "no service worker was running")
        }
        BrowserKind::Firefox => ctx.stop_background()?,
    }
    ensure!(
        !ctx.background_running()?,
        "background still running after stop"
    );
    ctx.ext_eval(wake, vec![])?;
    ctx.wait_for(
        "the background to start again",
        Duration::from_secs(5),
        |b| Ok(b.background_running()?.then_some(())),
    )?;
    Ok(())
}
