//! JivoChat mode with the fake loader (`tests/fixtures/fake-loader.js`): injection on matched
//! pages only and once, attaching to a page's own widget, the page-handler matrix for all 13
//! callbacks, console calls, and every loader failure state as the popup shows it.

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::runner::{Ctx, Scenario};
use e2e::server::Response;
use jivo_widget_injector::api::Callback;
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    Scenario::new(
        "jivochat::injects_loader_once_on_matched_pages",
        injects_once,
    ),
    Scenario::new(
        "jivochat::not_injected_on_unmatched_pages",
        not_on_unmatched,
    ),
    Scenario::new("jivochat::attaches_to_the_pages_own_widget", attaches),
    Scenario::new("jivochat::handlers_none", handlers_none),
    Scenario::new("jivochat::handlers_declared_in_head", handlers_declared),
    Scenario::new(
        "jivochat::handlers_assigned_before_loader",
        handlers_assigned,
    ),
    Scenario::new(
        "jivochat::handlers_assigned_after_load_and_reassigned",
        handlers_late,
    ),
    Scenario::new("jivochat::handlers_that_throw", handlers_throw),
    Scenario::new("jivochat::loader_404_is_reported", loader_404),
    Scenario::new(
        "jivochat::loader_network_error_is_reported",
        loader_network_error,
    ),
    Scenario::new(
        "jivochat::loader_blocked_by_csp_is_reported",
        loader_blocked_by_csp,
    ),
    Scenario::new("jivochat::loader_timeout_is_reported", loader_timeout),
    Scenario::new(
        "jivochat::console_calls_reach_the_real_widget",
        console_calls,
    ),
];

const TIMEOUT: Duration = Duration::from_secs(5);
const WIDGET_ID: &str = "TestWidget42";
/// The 13 callbacks by their documented names.
fn callbacks() -> Vec<&'static str> {
    Callback::ALL.iter().map(|c| c.name()).collect()
}

/// JivoChat mode for `/jivochat-*` (and `/strict/*`), with `loader_path` as the loader.
fn use_jivochat(ctx: &Ctx, loader_path: &str, timeout_ms: u32) -> Result<()> {
    ctx.configure(json!({
        "mode": "jivochat",
        "widgetId": WIDGET_ID,
        "loaderUrl": format!("{}{}", ctx.server.origin(), loader_path),
        "loaderTimeoutMs": timeout_ms,
        "sites": ["http://127.0.0.1/jivochat-*", "http://127.0.0.1/strict/*"],
    }))
}

fn fake_loader() -> Result<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/fake-loader.js");
    Ok(std::fs::read_to_string(path)?)
}

fn serve_fake_loader(ctx: &Ctx) -> Result<()> {
    ctx.server.route(
        &format!("/loader/{WIDGET_ID}.js"),
        Response::js(fake_loader()?),
    );
    Ok(())
}

fn wait_loaded(ctx: &Ctx) -> Result<()> {
    ctx.wait_for("the fake widget to load", TIMEOUT, |b| {
        Ok((b.eval("return !!(window.fakeJivo && window.jivo_api);")? == true).then_some(()))
    })?;
    // jivo_onLoadCallback fires 20 ms after the loader runs.
    std::thread::sleep(Duration::from_millis(100));
    Ok(())
}

/// Opens the popup for the tab showing `url` in a new tab, waits for `expected` and returns
/// the status text; switches back to the page's tab.
fn popup_status(ctx: &Ctx, url: &str, expected: &str) -> Result<String> {
    let page = ctx.current_tab()?;
    let tab = ctx.tab_id_of(url)?;
    ctx.new_tab()?;
    ctx.open_extension_page(&format!("popup.html?tab={tab}"))?;
    let result = ctx
        .wait_for_attr(
            "#page-status",
            "data-state",
            expected,
            Duration::from_secs(8),
        )
        .and_then(|_| ctx.text("#page-status"));
    ctx.close_tab()?;
    ctx.switch_to(&page)?;
    result
}

fn injects_once(ctx: &mut Ctx) -> Result<()> {
    serve_fake_loader(ctx)?;
    use_jivochat(ctx, "/loader/{id}.js", 15000)?;
    let url = ctx.url("/jivochat-assigned.html");
    ctx.goto(&url)?;
    wait_loaded(ctx)?;
    let tags = ctx
        .eval("return [...document.querySelectorAll('script[src]')].map(s => [s.src, s.async]);")?;
    let loader = format!("{}/loader/{WIDGET_ID}.js", ctx.server.origin());
    ensure!(tags == json!([[loader, true]]), "loader tags: {tags}");
    ensure!(
        ctx.server.requests_for(&format!("/loader/{WIDGET_ID}.js")) == 1,
        "the loader was requested more than once"
    );
    popup_status(ctx, &url, "loaded")?;
    Ok(())
}

fn not_on_unmatched(ctx: &mut Ctx) -> Result<()> {
    serve_fake_loader(ctx)?;
    use_jivochat(ctx, "/loader/{id}.js", 15000)?;
    ctx.goto(&ctx.url("/plain.html"))?;
    std::thread::sleep(Duration::from_millis(300));
    ensure!(
        ctx.server.requests_for(&format!("/loader/{WIDGET_ID}.js")) == 0,
        "loader requested on an unmatched page"
    );
    ensure!(
        ctx.eval("return typeof window.jivo_api;")? == "undefined",
        "jivo_api on an unmatched page"
    );
    Ok(())
}

fn attaches(ctx: &mut Ctx) -> Result<()> {
    serve_fake_loader(ctx)?;
    // The page embeds its own loader (the fixture server's copy, as a site would embed JivoChat's).
    ctx.server.route(
        "/jivochat-own-widget.html",
        Response::html(format!(
            "<!doctype html><title>Own widget</title><script src=\"/loader/{WIDGET_ID}.js\" async></script><h1>Own widget</h1>"
        )),
    );
    use_jivochat(ctx, "/loader/{id}.js", 15000)?;
    let url = ctx.url("/jivochat-own-widget.html");
    ctx.goto(&url)?;
    wait_loaded(ctx)?;
    ensure!(
        ctx.server.requests_for(&format!("/loader/{WIDGET_ID}.js")) == 1,
        "a second widget was injected"
    );
    let text = popup_status(ctx, &url, "attached")?;
    ensure!(
        text.to_lowercase().contains("attached"),
        "popup says {text:?}"
    );
    Ok(())
}

/// Fires every callback through the widget and checks what the page's handlers saw.
fn check_matrix(ctx: &Ctx, expect_handled: bool, expect_throws: bool) -> Result<()> {
    ctx.eval("window.handled = window.handled || []; handled.length = 0;")?;
    for name in callbacks() {
        ctx.eval_with(
            "fakeJivo.fire(arguments[0], ['arg-' + arguments[0], 7]);",
            vec![json!(name)],
        )?;
    }
    let handled = ctx.eval("return window.handled || [];")?;
    let handled = handled.as_array().cloned().unwrap_or_default();
    if !expect_handled {
        ensure!(
            handled.is_empty(),
            "handlers ran on a page without handlers: {handled:?}"
        );
        return Ok(());
    }
    for name in callbacks() {
        let calls: Vec<&Value> = handled.iter().filter(|h| h["name"] == name).collect();
        ensure!(
            calls.len() == 1,
            "{name}: the page's handler ran {} times",
            calls.len()
        );
        ensure!(calls[0]["thisIsWindow"] == true, "{name}: this !== window");
        ensure!(
            calls[0]["args"] == json!([format!("arg-{name}"), 7]),
            "{name}: args {}",
            calls[0]["args"]
        );
    }
    let returned = ctx.eval("return fakeJivo.returned;")?;
    let threw = ctx.eval("return fakeJivo.threw;")?;
    for name in callbacks() {
        if expect_throws {
            ensure!(
                threw[name] == format!("boom from {name}"),
                "{name}: the widget saw exception {}",
                threw[name]
            );
        } else {
            ensure!(
                returned[name] == format!("ret-{name}"),
                "{name}: the widget got back {}",
                returned[name]
            );
        }
    }
    Ok(())
}

fn handlers_page(ctx: &Ctx, page: &str) -> Result<()> {
    serve_fake_loader(ctx)?;
    use_jivochat(ctx, "/loader/{id}.js", 15000)?;
    ctx.goto(&ctx.url(page))?;
    wait_loaded(ctx)
}

fn handlers_none(ctx: &mut Ctx) -> Result<()> {
    handlers_page(ctx, "/jivochat-none.html")?;
    check_matrix(ctx, false, false)
}

fn handlers_declared(ctx: &mut Ctx) -> Result<()> {
    handlers_page(ctx, "/jivochat-declared.html")?;
    let load = ctx.eval("return handled.filter(h => h.name === 'jivo_onLoadCallback').length;")?;
    ensure!(
        load == 1,
        "the declared jivo_onLoadCallback ran {load} times at load"
    );
    check_matrix(ctx, true, false)
}

fn handlers_assigned(ctx: &mut Ctx) -> Result<()> {
    handlers_page(ctx, "/jivochat-assigned.html")?;
    check_matrix(ctx, true, false)
}

fn handlers_late(ctx: &mut Ctx) -> Result<()> {
    handlers_page(ctx, "/jivochat-none.html")?;
    let assign = "window.handled = []; function note(n, s, a) { handled.push({name: n, thisIsWindow: s === window, args: [...a]}); return 'ret-' + n; }\
                  for (const n of arguments[0]) window[n] = function () { return note(n, this, arguments); };";
    ctx.eval_with(assign, vec![json!(callbacks())])?;
    check_matrix(ctx, true, false)?;
    // A second reassignment at runtime replaces the first: only the new handlers run.
    ctx.eval_with(assign, vec![json!(callbacks())])?;
    check_matrix(ctx, true, false)
}

fn handlers_throw(ctx: &mut Ctx) -> Result<()> {
    handlers_page(ctx, "/jivochat-throws.html")?;
    check_matrix(ctx, true, true)
}

fn failure_reason(ctx: &Ctx, page: &str, contains: &str) -> Result<()> {
    let url = ctx.url(page);
    ctx.goto(&url)?;
    let text = popup_status(ctx, &url, "failed")?;
    ensure!(
        text.contains(contains),
        "popup says {text:?}, expected it to mention {contains:?}"
    );
    Ok(())
}

fn loader_404(ctx: &mut Ctx) -> Result<()> {
    use_jivochat(ctx, "/missing-loader/{id}.js", 15000)?;
    failure_reason(ctx, "/jivochat-none.html", "404")
}

fn loader_network_error(ctx: &mut Ctx) -> Result<()> {
    // Port 9 on loopback: nothing listens, the connection is refused at once.
    ctx.configure(json!({
        "mode": "jivochat",
        "widgetId": WIDGET_ID,
        "loaderUrl": "http://127.0.0.1:9/loader/{id}.js",
        "sites": ["http://127.0.0.1/jivochat-*", "http://127.0.0.1/strict/*"],
    }))?;
    failure_reason(ctx, "/jivochat-none.html", "network error")
}

fn loader_blocked_by_csp(ctx: &mut Ctx) -> Result<()> {
    // A script inserted by the content script loads even on a strict page (both browsers), but
    // JivoChat's loader then adds the widget's bundle from its own origin from the page's world,
    // and that the page's CSP (`script-src 'self'`) refuses. This loader does the same.
    let origin = format!("http://localhost:{}", ctx.server.port());
    ctx.server.route(
        &format!("/csp-loader/{WIDGET_ID}.js"),
        Response::js(format!(
            "var s = document.createElement('script'); s.src = '{origin}/bundle/widget.js'; document.head.appendChild(s);"
        )),
    );
    ctx.configure(json!({
        "mode": "jivochat",
        "widgetId": WIDGET_ID,
        "loaderUrl": format!("{origin}/csp-loader/{{id}}.js"),
        "sites": ["http://127.0.0.1/jivochat-*", "http://127.0.0.1/strict/*"],
    }))?;
    failure_reason(ctx, "/strict/jivochat-none.html", "Content-Security-Policy")
}

fn loader_timeout(ctx: &mut Ctx) -> Result<()> {
    ctx.server.route(
        &format!("/silent/{WIDGET_ID}.js"),
        Response::js("/* loads, never calls back */".to_string()),
    );
    use_jivochat(ctx, "/silent/{id}.js", 1000)?;
    failure_reason(ctx, "/jivochat-none.html", "jivo_onLoadCallback within 1 s")
}

/// Makes one console call through a popup port and returns its outcome.
fn console_call(ctx: &Ctx, url: &str, method: &str, args: Value) -> Result<Value> {
    let tab = ctx.tab_id_of(url)?;
    ctx.ext_eval(
        "const port = api.runtime.connect({name: 'popup'});\
         return new Promise((resolve) => {\
           port.onMessage.addListener((m) => { const msg = JSON.parse(m); if (msg.type === 'apiResult' && msg.id === 99) { port.disconnect(); resolve(msg.outcome); } });\
           port.postMessage(JSON.stringify({type: 'watch', tab: arguments[0]}));\
           port.postMessage(JSON.stringify({type: 'callApi', tab: arguments[0], id: 99, call: {method: arguments[1], args: arguments[2]}}));\
           setTimeout(() => resolve('timed out'), 4000);\
         });",
        vec![json!(tab), json!(method), args],
    )
    .context("console call")
}

fn console_calls(ctx: &mut Ctx) -> Result<()> {
    serve_fake_loader(ctx)?;
    use_jivochat(ctx, "/loader/{id}.js", 15000)?;
    let url = ctx.url("/jivochat-assigned.html");
    ctx.goto(&url)?;
    wait_loaded(ctx)?;
    let open = console_call(ctx, &url, "open", json!([{"start": "chat"}]))?;
    ensure!(open["returned"] == json!({"result": "ok"}), "open: {open}");
    let number = console_call(ctx, &url, "getVisitorNumber", json!([]))?;
    ensure!(
        number["callbackArgs"] == json!([null, 1]),
        "getVisitorNumber: {number}"
    );
    let enabled = console_call(ctx, &url, "isCallbackEnabled", json!([]))?;
    ensure!(
        enabled["callbackArgs"] == json!([{"result": "ok"}]),
        "isCallbackEnabled: {enabled}"
    );
    let bad = console_call(ctx, &url, "setWidgetColor", json!(["red"]))?;
    ensure!(
        bad["threw"].as_str().unwrap_or("").contains("hex"),
        "setWidgetColor('red'): {bad}"
    );
    let calls = ctx.eval("return fakeJivo.calls.map(c => c.method);")?;
    ensure!(
        !calls.as_array().unwrap().contains(&json!("setWidgetColor")),
        "an invalid call reached the widget: {calls}"
    );
    Ok(())
}
