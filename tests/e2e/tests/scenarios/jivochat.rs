//! JivoChat mode with the fake loader (`tests/fixtures/fake-loader.js`): injection on matched
//! pages only and once, attaching to a page's own widget, the page-handler matrix for all 13
//! callbacks, console calls, and every loader failure state as the popup shows it.

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::browser::{Browser, BrowserKind};
use e2e::popup_port;
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use e2e::server::Response;
use e2e::SHORT_GRACE_MS;
use jwi_core::api::Callback;
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(injects_loader_once_on_matched_pages),
    scenario!(pages_load_the_bundle_without_the_sandbox),
    scenario!(not_injected_on_unmatched_pages),
    scenario!(injects_into_the_top_frame_only),
    scenario!(inject_into_an_unmatched_tab_from_the_popup),
    scenario!(attaches_to_the_pages_own_widget),
    scenario!(handlers_none),
    scenario!(handlers_declared_in_head),
    scenario!(handlers_assigned_before_loader),
    scenario!(handlers_assigned_after_load_and_reassigned),
    scenario!(handlers_that_throw),
    scenario!(loader_404_is_reported),
    scenario!(loader_network_error_is_reported),
    scenario!(loader_blocked_by_csp_is_reported),
    scenario!(loader_timeout_is_reported),
    scenario!(console_calls_reach_the_real_widget),
    scenario!(console_every_entry_point),
    scenario!(console_call_waits_for_the_widget),
    scenario!(console_replies_go_to_the_popup_that_asked),
    scenario!(popup_shows_the_real_widgets_state),
];

const TIMEOUT: Duration = Duration::from_secs(5);
/// How long the popup may take to show what the page did (generous: the machine may be busy).
const LOG_TIMEOUT: Duration = Duration::from_secs(15);
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
        "siteWidget": { "graceMs": SHORT_GRACE_MS },
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

/// Waits until the fake widget has called `jivo_onLoadCallback` (20 ms after its loader ran).
fn wait_loaded(ctx: &Ctx) -> Result<()> {
    ctx.wait_for("the fake widget to load", LOG_TIMEOUT, |b| {
        Ok(
            (b.eval("return !!(window.fakeJivo && window.jivo_api && fakeJivo.isLoaded());")?
                == true)
                .then_some(()),
        )
    })
}

/// A page in JivoChat mode loads the content bundle built without the sandbox (a third
/// smaller), as real wasm or, in Chromium under a CSP that refuses WebAssembly, as wasm2js; and
/// its widget works with it.
fn pages_load_the_bundle_without_the_sandbox(ctx: &mut Ctx) -> Result<()> {
    serve_fake_loader(ctx)?;
    use_jivochat(ctx, "/loader/{id}.js", 15000)?;
    for (path, chromium_build) in [
        ("/jivochat-none.html", "jivochat-wasm"),
        ("/strict/jivochat-none.html", "jivochat-wasm2js"),
    ] {
        let url = ctx.url(path);
        ctx.goto(&url)?;
        wait_loaded(ctx).with_context(|| format!("{path}: the widget"))?;
        let build = ctx.content_build_of(&url)?;
        let expected = match ctx.kind() {
            BrowserKind::Chromium => chromium_build,
            BrowserKind::Firefox => "jivochat-wasm",
        };
        ensure!(
            build == expected,
            "{path}: the {build} build ran, not {expected}"
        );
        // The content script works with it: the widget's callbacks reach the log.
        popup_status(ctx, &url, "loaded")?;
    }
    Ok(())
}

/// Opens the popup for the tab showing `url`, waits for `expected` and returns the status text.
fn popup_status(ctx: &Ctx, url: &str, expected: &str) -> Result<String> {
    ctx.with_popup(url, |ctx| {
        ctx.wait_for_attr(
            "#page-status",
            "data-state",
            expected,
            Duration::from_secs(8),
        )?;
        ctx.text("#page-status")
    })
}

fn injects_loader_once_on_matched_pages(ctx: &mut Ctx) -> Result<()> {
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

fn not_injected_on_unmatched_pages(ctx: &mut Ctx) -> Result<()> {
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

fn injects_into_the_top_frame_only(ctx: &mut Ctx) -> Result<()> {
    serve_fake_loader(ctx)?;
    // Both the page and its frame are matched by the site rules; only the top frame gets a widget.
    ctx.server.route(
        "/jivochat-framed.html",
        Response::html(
            "<!doctype html><title>Framed</title><h1>Framed</h1><iframe src=\"/jivochat-none.html\"></iframe>",
        ),
    );
    use_jivochat(ctx, "/loader/{id}.js", 15000)?;
    let url = ctx.url("/jivochat-framed.html");
    ctx.goto(&url)?;
    wait_loaded(ctx)?;
    ctx.wait_for_js(
        "const f = document.querySelector('iframe'); return !!(f && f.contentDocument && f.contentDocument.readyState === 'complete');",
        TIMEOUT,
    )?;
    // Give a (wrong) injection into the frame time to show.
    std::thread::sleep(Duration::from_millis(500));
    let frame = ctx.eval(
        "const w = document.querySelector('iframe').contentWindow;\
         return {api: typeof w.jivo_api, scripts: w.document.querySelectorAll('script[src]').length,\
                 hooked: !!Object.getOwnPropertyDescriptor(w, 'jivo_onOpen')};",
    )?;
    ensure!(
        frame == json!({"api": "undefined", "scripts": 0, "hooked": false}),
        "the frame got something of ours: {frame}"
    );
    ensure!(
        ctx.server.requests_for(&format!("/loader/{WIDGET_ID}.js")) == 1,
        "the loader was requested {} times for one top frame",
        ctx.server.requests_for(&format!("/loader/{WIDGET_ID}.js"))
    );
    popup_status(ctx, &url, "loaded")?;
    Ok(())
}

/// "Inject into this tab" in JivoChat mode: the popup of a tab no site rule matches offers it,
/// and after the click the loader is injected once and the widget loads.
fn inject_into_an_unmatched_tab_from_the_popup(ctx: &mut Ctx) -> Result<()> {
    serve_fake_loader(ctx)?;
    use_jivochat(ctx, "/loader/{id}.js", 15000)?;
    let url = ctx.url("/plain.html");
    ctx.goto(&url)?;
    ensure!(
        ctx.server.requests_for(&format!("/loader/{WIDGET_ID}.js")) == 0,
        "the loader was requested on an unmatched page"
    );
    ctx.with_popup(&url, |ctx| {
        ctx.wait_for_attr("#page-status", "data-state", "not-matched", LOG_TIMEOUT)?;
        ctx.click("#inject")?;
        ctx.wait_for_attr("#page-status", "data-state", "loaded", LOG_TIMEOUT)
    })?;
    wait_loaded(ctx)?;
    ensure!(
        ctx.server.requests_for(&format!("/loader/{WIDGET_ID}.js")) == 1,
        "the loader was requested {} times",
        ctx.server.requests_for(&format!("/loader/{WIDGET_ID}.js"))
    );
    Ok(())
}

fn attaches_to_the_pages_own_widget(ctx: &mut Ctx) -> Result<()> {
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

/// Fires every callback through the widget (round `round`: arguments `("arg-<name>", round)`),
/// checks what the page's handlers saw and what the widget got back, then that the popup's event
/// log shows each of these widget calls exactly once ([`check_log`]).
fn check_matrix(
    ctx: &Ctx,
    url: &str,
    expect_handled: bool,
    expect_throws: bool,
    round: u32,
) -> Result<()> {
    ctx.eval("window.handled = window.handled || []; handled.length = 0;")?;
    for name in callbacks() {
        ctx.eval_with(
            "fakeJivo.fire(arguments[0], ['arg-' + arguments[0], arguments[1]]);",
            vec![json!(name), json!(round)],
        )?;
    }
    let handled = ctx.eval("return window.handled || [];")?;
    let handled = handled.as_array().cloned().unwrap_or_default();
    if !expect_handled {
        ensure!(
            handled.is_empty(),
            "handlers ran on a page without handlers: {handled:?}"
        );
    } else {
        for name in callbacks() {
            let calls: Vec<&Value> = handled.iter().filter(|h| h["name"] == name).collect();
            ensure!(
                calls.len() == 1,
                "{name}: the page's handler ran {} times",
                calls.len()
            );
            ensure!(calls[0]["thisIsWindow"] == true, "{name}: this !== window");
            ensure!(
                calls[0]["args"] == json!([format!("arg-{name}"), round]),
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
    }
    check_log(ctx, url, round, expect_throws)
}

/// What the log says a handler threw when its caller (here the widget) caught the exception:
/// the extension never catches it to read it (docs/log-format.md, `callbackThrew`).
const CAUGHT_BY_CALLER: &str = "[caught by its caller]";

/// One row of the popup's event log: its kind, name and one-line summary, as a person sees it.
#[derive(Debug)]
struct Row {
    kind: String,
    name: String,
    summary: String,
}

/// The rows the popup (the current tab) shows in its event log.
fn log_rows(ctx: &Browser) -> Result<Vec<Row>> {
    let rows = ctx.eval(
        "return [...document.querySelectorAll('#log-list li[data-id]')].map(li => [\
           li.dataset.kind,\
           (li.querySelector('.log-name') || {}).textContent || '',\
           (li.querySelector('.log-sum') || {}).textContent || '']);",
    )?;
    Ok(rows
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|r| Row {
            kind: r[0].as_str().unwrap_or("").to_owned(),
            name: r[1].as_str().unwrap_or("").to_owned(),
            summary: r[2].as_str().unwrap_or("").to_owned(),
        })
        .collect())
}

/// Opens the popup for the page's tab and checks its event log after `round` rounds of
/// [`check_matrix`]: this round's call of each callback is exactly one row, and each callback
/// has exactly one row per widget call so far (one per round, plus the widget's own
/// `jivo_onLoadCallback` at load). With `throws`, each call also has exactly one "threw" row,
/// saying its caller caught it.
fn check_log(ctx: &Ctx, url: &str, round: u32, throws: bool) -> Result<()> {
    let calls_of = |name: &str| round as usize + usize::from(name == "jivo_onLoadCallback");
    let this_round = |name: &str| format!("(\"arg-{name}\", {round})");
    ctx.with_popup(url, |ctx| {
        let mut rows = Vec::new();
        let all_there = |rows: &[Row]| {
            callbacks().into_iter().all(|name| {
                let count = |kind: &str| {
                    rows.iter()
                        .filter(|r| r.kind == kind && r.name == name)
                        .count()
                };
                rows.iter().any(|r| {
                    r.kind == "callback" && r.name == name && r.summary == this_round(name)
                }) && count("callback") >= calls_of(name)
                    && (!throws || count("callbackThrew") >= calls_of(name))
            })
        };
        ctx.wait_for("every widget call in the popup's log", LOG_TIMEOUT, |b| {
            let _ = b;
            rows = log_rows(ctx)?;
            Ok(all_there(&rows).then_some(()))
        })
        .with_context(|| {
            let seen: Vec<String> = rows
                .iter()
                .filter(|r| r.kind.starts_with("callback"))
                .map(|r| format!("{} {} {}", r.kind, r.name, r.summary))
                .collect();
            format!("callback rows shown: {seen:#?}")
        })?;
        // A repeat would arrive in the same batch or just after: look again a moment later.
        std::thread::sleep(Duration::from_millis(500));
        let rows = log_rows(ctx)?;
        for name in callbacks() {
            let mine = rows
                .iter()
                .filter(|r| r.kind == "callback" && r.name == name && r.summary == this_round(name))
                .count();
            ensure!(
                mine == 1,
                "{name}: round {round}'s widget call is {mine} rows in the popup's log"
            );
            let all = rows
                .iter()
                .filter(|r| r.kind == "callback" && r.name == name)
                .count();
            ensure!(
                all == calls_of(name),
                "{name}: {all} callback rows in the popup's log for {} widget calls",
                calls_of(name)
            );
            if throws {
                let threw: Vec<&Row> = rows
                    .iter()
                    .filter(|r| r.kind == "callbackThrew" && r.name == name)
                    .collect();
                // The fake widget catches what a handler throws (`fakeJivo.threw` above has
                // the page's own exception), and the extension never catches to look: the log
                // says the caller caught it (docs/log-format.md). An uncaught one's message is
                // covered by breakage::throwing_handlers_jivochat.
                ensure!(
                    threw.len() == calls_of(name)
                        && threw.iter().all(|r| r.summary.contains(CAUGHT_BY_CALLER)),
                    "{name}: threw rows {threw:?} for {} widget calls",
                    calls_of(name)
                );
            } else {
                let threw = rows
                    .iter()
                    .filter(|r| r.kind == "callbackThrew" && r.name == name)
                    .count();
                ensure!(threw == 0, "{name}: {threw} threw rows, but nothing threw");
            }
        }
        Ok(())
    })
}

fn handlers_page(ctx: &Ctx, page: &str) -> Result<String> {
    serve_fake_loader(ctx)?;
    use_jivochat(ctx, "/loader/{id}.js", 15000)?;
    let url = ctx.url(page);
    ctx.goto(&url)?;
    wait_loaded(ctx)?;
    Ok(url)
}

fn handlers_none(ctx: &mut Ctx) -> Result<()> {
    let url = handlers_page(ctx, "/jivochat-none.html")?;
    check_matrix(ctx, &url, false, false, 1)
}

fn handlers_declared_in_head(ctx: &mut Ctx) -> Result<()> {
    let url = handlers_page(ctx, "/jivochat-declared.html")?;
    let load = ctx.eval("return handled.filter(h => h.name === 'jivo_onLoadCallback').length;")?;
    ensure!(
        load == 1,
        "the declared jivo_onLoadCallback ran {load} times at load"
    );
    check_matrix(ctx, &url, true, false, 1)
}

fn handlers_assigned_before_loader(ctx: &mut Ctx) -> Result<()> {
    let url = handlers_page(ctx, "/jivochat-assigned.html")?;
    check_matrix(ctx, &url, true, false, 1)
}

fn handlers_assigned_after_load_and_reassigned(ctx: &mut Ctx) -> Result<()> {
    let url = handlers_page(ctx, "/jivochat-none.html")?;
    let assign = "window.handled = []; function note(n, s, a) { handled.push({name: n, thisIsWindow: s === window, args: [...a]}); return 'ret-' + n; }\
                  for (const n of arguments[0]) window[n] = function () { return note(n, this, arguments); };";
    ctx.eval_with(assign, vec![json!(callbacks())])?;
    check_matrix(ctx, &url, true, false, 1)?;
    // A second reassignment at runtime replaces the first: only the new handlers run.
    ctx.eval_with(assign, vec![json!(callbacks())])?;
    check_matrix(ctx, &url, true, false, 2)
}

fn handlers_that_throw(ctx: &mut Ctx) -> Result<()> {
    let url = handlers_page(ctx, "/jivochat-throws.html")?;
    let load = ctx.eval("return handled.filter(h => h.name === 'jivo_onLoadCallback').length;")?;
    ensure!(
        load == 1,
        "the throwing jivo_onLoadCallback ran {load} times at load"
    );
    check_matrix(ctx, &url, true, true, 1)
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

fn loader_404_is_reported(ctx: &mut Ctx) -> Result<()> {
    use_jivochat(ctx, "/missing-loader/{id}.js", 15000)?;
    failure_reason(ctx, "/jivochat-none.html", "404")
}

fn loader_network_error_is_reported(ctx: &mut Ctx) -> Result<()> {
    // Port 9 on loopback: nothing listens, the connection is refused at once.
    ctx.configure(json!({
        "mode": "jivochat",
        "widgetId": WIDGET_ID,
        "loaderUrl": "http://127.0.0.1:9/loader/{id}.js",
        "sites": ["http://127.0.0.1/jivochat-*", "http://127.0.0.1/strict/*"],
        "siteWidget": { "graceMs": SHORT_GRACE_MS },
    }))?;
    failure_reason(ctx, "/jivochat-none.html", "network error")
}

fn loader_blocked_by_csp_is_reported(ctx: &mut Ctx) -> Result<()> {
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
        "siteWidget": { "graceMs": SHORT_GRACE_MS },
    }))?;
    failure_reason(ctx, "/strict/jivochat-none.html", "Content-Security-Policy")
}

fn loader_timeout_is_reported(ctx: &mut Ctx) -> Result<()> {
    ctx.server.route(
        &format!("/silent/{WIDGET_ID}.js"),
        Response::js("/* loads, never calls back */".to_string()),
    );
    use_jivochat(ctx, "/silent/{id}.js", 1000)?;
    failure_reason(ctx, "/jivochat-none.html", "jivo_onLoadCallback within 1 s")
}

/// Makes one console call through a popup port and returns its outcome.
fn console_call(ctx: &Ctx, url: &str, method: &str, args: Value) -> Result<Value> {
    popup_port::console_call(ctx, ctx.tab_id_of(url)?, method, args)
}

fn console_calls_reach_the_real_widget(ctx: &mut Ctx) -> Result<()> {
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

// ---------------------------------------------------------------------------------------------
// The popup's API console in JivoChat mode: all 20 entry points, typed as a person types them
// ---------------------------------------------------------------------------------------------

/// How one input of the console's form is filled.
#[derive(Clone, Copy)]
enum Input {
    /// Clear the text input (or area) `api-arg-<name>` and type the text.
    Type(&'static str, &'static str),
    /// Tick the checkbox `api-arg-<name>`.
    Tick(&'static str),
    /// Choose a value of the select `api-arg-<name>` (a value it lacks leaves it empty).
    Choose(&'static str, &'static str),
    /// Click "Add field" in `setCustomData`'s form.
    AddRow,
}

/// One valid console call: what to type, what the popup must show, what the widget must get.
struct Valid {
    method: &'static str,
    inputs: Vec<Input>,
    /// `#api-result[data-kind]`: `returned` or `callback`.
    kind: &'static str,
    /// `#api-result[data-value]` as JSON (`null` for "Returned undefined").
    shown: Value,
    /// The arguments the fake widget recorded (a function as `"<function>"`).
    received: Value,
}

/// One invalid console input: what to type and the field whose error slot must explain it.
struct Invalid {
    method: &'static str,
    inputs: Vec<Input>,
    /// The field named by the error (`api-err-<slot>`).
    slot: &'static str,
}

const CONTACT: [Input; 4] = [
    Input::Type("name", "John Smith"),
    Input::Type("email", "john@example.com"),
    Input::Type("phone", "+14084987855"),
    Input::Type("description", "Description text"),
];

/// Every entry point once (and `open` with each `start` value), in an order that keeps the
/// widget usable: `jivo_destroy` and then `jivo_init` come last.
fn valid_calls() -> Vec<Valid> {
    use Input::*;
    let v = |method, inputs: &[Input], kind, shown: Value, received: Value| Valid {
        method,
        inputs: inputs.to_vec(),
        kind,
        shown,
        received,
    };
    let ok = json!({"result": "ok"});
    let contact = json!({
        "name": "John Smith", "email": "john@example.com",
        "phone": "+14084987855", "description": "Description text",
    });
    let mut offline = contact.clone();
    offline["message"] = json!("Offline message");
    let offline_inputs: Vec<Input> = CONTACT
        .iter()
        .copied()
        .chain([Type("message", "Offline message")])
        .collect();
    vec![
        v(
            "open",
            &[Choose("start", "chat")],
            "returned",
            ok.clone(),
            json!([{"start": "chat"}]),
        ),
        v(
            "open",
            &[Choose("start", "call")],
            "returned",
            ok.clone(),
            json!([{"start": "call"}]),
        ),
        v(
            "open",
            &[Choose("start", "menu")],
            "returned",
            ok.clone(),
            json!([{"start": "menu"}]),
        ),
        v("close", &[], "returned", ok.clone(), json!([])),
        v(
            "showProactiveInvitation",
            &[
                Type("invitation_text", "How can I help you?"),
                Type("department_id", "3"),
            ],
            "returned",
            Value::Null,
            json!(["How can I help you?", 3]),
        ),
        v(
            "setWidgetColor",
            &[Type("color", " #FFFFFF"), Type("color2", "#000")],
            "returned",
            Value::Null,
            json!(["#ffffff", "#000"]),
        ),
        v("chatMode", &[], "returned", json!("online"), json!([])),
        v(
            "startCall",
            &[Type("phone", "+14084987855")],
            "returned",
            ok.clone(),
            json!(["+14084987855"]),
        ),
        v(
            "sendOfflineMessage",
            &offline_inputs,
            "returned",
            ok.clone(),
            json!([offline]),
        ),
        v(
            "sendPageTitle",
            &[
                Type("title", "Console title"),
                Tick("fromApi"),
                Type("url", "https://shop.example/checkout"),
            ],
            "returned",
            Value::Null,
            json!(["Console title", true, "https://shop.example/checkout"]),
        ),
        v(
            "setContactInfo",
            &CONTACT,
            "returned",
            Value::Null,
            json!([contact]),
        ),
        v(
            "setCustomData",
            &[
                AddRow,
                Type("fields-0-content", "User balance: $56"),
                Type("fields-1-title", "Actions"),
                Type("fields-1-content", "Add contact"),
                Type("fields-1-link", "https://crm.example/contacts/new"),
            ],
            "returned",
            Value::Null,
            json!([[
                {"content": "User balance: $56"},
                {"title": "Actions", "content": "Add contact", "link": "https://crm.example/contacts/new"},
            ]]),
        ),
        v(
            "setUserToken",
            &[Type("token", "user-42")],
            "returned",
            Value::Null,
            json!(["user-42"]),
        ),
        v(
            "setRules",
            &[Type("rules", r#"{"greeting": "Hi", "delay": 5}"#)],
            "returned",
            Value::Null,
            json!([{"greeting": "Hi", "delay": 5}]),
        ),
        v(
            "getContactInfo",
            &[],
            "returned",
            json!({
                "client_name": "John Smith", "email": "john@example.com",
                "phone": "+14084987855", "description": "Description text",
            }),
            json!([]),
        ),
        v(
            "getVisitorNumber",
            &[],
            "callback",
            json!([null, 1]),
            json!(["<function>"]),
        ),
        v(
            "getUnreadMessagesCount",
            &[],
            "returned",
            json!(0),
            json!([]),
        ),
        v(
            "getUtm",
            &[],
            "returned",
            json!({"source": null, "medium": null, "campaign": null, "content": null, "term": null}),
            json!([]),
        ),
        v(
            "isCallbackEnabled",
            &[],
            "callback",
            json!([{"result": "ok"}]),
            json!(["<function>"]),
        ),
        v("clearHistory", &[], "returned", Value::Null, json!([])),
        v("jivo_destroy", &[], "returned", Value::Null, json!([])),
        v("jivo_init", &[], "returned", Value::Null, json!([])),
    ]
}

/// One invalid input of each validated kind.
fn invalid_calls() -> Vec<Invalid> {
    use Input::*;
    let i = |method, inputs: &[Input], slot| Invalid {
        method,
        inputs: inputs.to_vec(),
        slot,
    };
    vec![
        // A select offers only valid values; a value it lacks (a tampered form) is refused too.
        i("open", &[Choose("start", "sideways")], "start"),
        i("setWidgetColor", &[Type("color", "red")], "color"),
        i(
            "setWidgetColor",
            &[Type("color", "#fff"), Type("color2", "#12345")],
            "color2",
        ),
        i("startCall", &[Type("phone", "12")], "phone"),
        i(
            "setContactInfo",
            &[Type("email", "john.example.com")],
            "email",
        ),
        i("setContactInfo", &[Type("phone", "call me")], "phone"),
        i(
            "sendOfflineMessage",
            &[Type("email", "john@example.com"), Type("message", "   ")],
            "message",
        ),
        i(
            "showProactiveInvitation",
            &[Type("invitation_text", "   ")],
            "invitation_text",
        ),
        i(
            "showProactiveInvitation",
            &[Type("invitation_text", "Hi"), Type("department_id", "-1")],
            "department_id",
        ),
        i("setUserToken", &[Type("token", "  ")], "token"),
        i(
            "setCustomData",
            &[Type("fields-0-title", "No content")],
            "fields-0-content",
        ),
        i(
            "setCustomData",
            &[
                Type("fields-0-content", "x"),
                Type("fields-0-link", "javascript:alert(1)"),
            ],
            "fields-0-link",
        ),
        i("setRules", &[Type("rules", "[1, 2]")], "rules"),
        i("setRules", &[Type("rules", "{not json")], "rules"),
    ]
}

/// Selects `method` in the console as a person does (the select's value, then `change`), which
/// rebuilds its form, then fills the form.
fn fill_console(ctx: &Ctx, method: &str, inputs: &[Input]) -> Result<()> {
    ctx.select("#api-method", method, TIMEOUT)?;
    for input in inputs {
        match *input {
            Input::Type(name, text) => ctx.type_into(&format!("#api-arg-{name}"), text)?,
            Input::Tick(name) => ctx.click(&format!("#api-arg-{name}"))?,
            Input::Choose(name, value) => {
                ctx.eval_with(
                    "const s = document.getElementById('api-arg-' + arguments[0]); s.value = arguments[1];\
                     s.dispatchEvent(new Event('change', {bubbles: true}));",
                    vec![json!(name), json!(value)],
                )?;
            }
            Input::AddRow => {
                let rows = "return document.querySelectorAll('#api-arg-fields fieldset').length;";
                let before = ctx.eval(rows)?.as_u64().unwrap_or(0);
                ctx.click("#api-arg-fields-add")?;
                ctx.wait_for("one more custom-data row", TIMEOUT, |b| {
                    Ok((b.eval(rows)?.as_u64().unwrap_or(0) == before + 1).then_some(()))
                })?;
            }
        }
    }
    Ok(())
}

/// `#api-result`'s id, kind, value and text.
fn console_result(ctx: &Ctx) -> Result<(Option<String>, String, String, String)> {
    Ok((
        ctx.attr("#api-result", "data-id")?,
        ctx.attr("#api-result", "data-kind")?.unwrap_or_default(),
        ctx.attr("#api-result", "data-value")?.unwrap_or_default(),
        ctx.text("#api-result")?,
    ))
}

/// Clicks Call and waits for the answer to this click (a new `data-id`) to be shown.
fn call_console(ctx: &Ctx, timeout: Duration) -> Result<(String, Value, String)> {
    let before = ctx.attr("#api-result", "data-id")?;
    ctx.click("#api-call")?;
    let mut seen = (None, String::new(), String::new(), String::new());
    ctx.wait_for("the console's answer", timeout, |_| {
        seen = console_result(ctx)?;
        Ok(
            (seen.0 != before && matches!(seen.1.as_str(), "returned" | "callback" | "threw"))
                .then_some(()),
        )
    })
    .with_context(|| format!("#api-result shows {seen:?}"))?;
    let (_, kind, value, text) = seen;
    let value = if value.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&value).with_context(|| format!("data-value {value:?}"))?
    };
    Ok((kind, value, text))
}

/// The names of the API-call rows the popup's log shows with `origin`, oldest first.
fn api_rows(ctx: &Ctx, origin: &str) -> Result<Vec<String>> {
    let rows = ctx.eval_with(
        "return [...document.querySelectorAll('#log-list li[data-kind=apiCall]')]\
           .filter(li => (li.querySelector('.log-origin') || {}).textContent === arguments[0])\
           .sort((a, b) => Number(a.dataset.id) - Number(b.dataset.id))\
           .map(li => li.querySelector('.log-name').textContent);",
        vec![json!(origin)],
    )?;
    Ok(serde_json::from_value(rows)?)
}

/// What the fake widget recorded, from index `from` on: `[{method, args, loaded}]`.
fn widget_calls(ctx: &Ctx, from: usize) -> Result<Vec<Value>> {
    let calls = ctx.eval_with(
        "return fakeJivo.calls.slice(arguments[0]);",
        vec![json!(from)],
    )?;
    Ok(calls.as_array().cloned().unwrap_or_default())
}

/// The widget calls of `calls` that are not the extension's own reads of the widget's state
/// (at load and after jivo_onOpen, jivo_onClose…: see `popup_shows_the_real_widgets_state`),
/// given the methods a test expects in order: a read (`chatMode`, `getUnreadMessagesCount`,
/// `getContactInfo`, `getUtm`, `getVisitorNumber`, no arguments but a callback) that is not
/// the next expected call is left out; everything else is kept, so an unexpected call still
/// shows.
fn without_own_reads(calls: impl IntoIterator<Item = Value>, expected: &[&str]) -> Vec<Value> {
    const READS: [&str; 5] = [
        "chatMode",
        "getUnreadMessagesCount",
        "getContactInfo",
        "getUtm",
        "getVisitorNumber",
    ];
    let mut next = 0;
    calls
        .into_iter()
        .filter(|c| {
            let method = c["method"].as_str().unwrap_or("?");
            if expected.get(next) == Some(&method) {
                next += 1;
                return true;
            }
            let own_read = READS.contains(&method)
                && c["args"]
                    .as_array()
                    .is_some_and(|a| a.iter().all(|v| v == "<function>"));
            !own_read
        })
        .collect()
}

fn console_every_entry_point(ctx: &mut Ctx) -> Result<()> {
    serve_fake_loader(ctx)?;
    use_jivochat(ctx, "/loader/{id}.js", 15000)?;
    let url = ctx.url("/jivochat-none.html");
    ctx.goto(&url)?;
    wait_loaded(ctx)?;
    let page = ctx.current_tab()?;
    let before = ctx
        .eval("return fakeJivo.calls.length;")?
        .as_u64()
        .unwrap_or(0) as usize;
    let tab = ctx.tab_id_of(&url)?;
    let popup = ctx.new_tab()?;
    ctx.open_extension_page(&format!("popup.html?tab={tab}"))?;
    ctx.wait_for_attr("#page-status", "data-state", "loaded", LOG_TIMEOUT)?;
    let listed =
        ctx.eval("return [...document.querySelectorAll('#api-method option')].map(o => o.value);")?;
    let names: Vec<&str> = jwi_core::api::Method::ALL
        .iter()
        .map(|m| m.name())
        .collect();
    ensure!(listed == json!(names), "the console lists {listed}");

    // Invalid input of every validated kind: refused next to its field, nothing sent.
    for case in invalid_calls() {
        let what = format!("{}({:?})", case.method, case.slot);
        fill_console(ctx, case.method, &case.inputs).with_context(|| what.clone())?;
        let id_before = ctx.attr("#api-result", "data-id")?;
        ctx.click("#api-call")?;
        let err_css = format!("#api-err-{}", case.slot);
        let mut err = String::new();
        ctx.wait_for(
            &format!("{what}: an error next to the field"),
            TIMEOUT,
            |b| {
                err = b.text(&err_css)?;
                Ok((!err.trim().is_empty()).then_some(()))
            },
        )?;
        ensure!(
            ctx.attr(&format!("#api-arg-{}", case.slot), "aria-invalid")?
                .as_deref()
                == Some("true"),
            "{what}: the field is not marked invalid ({err})"
        );
        let (id, kind, _, _) = console_result(ctx)?;
        ensure!(
            kind == "refused" && id == id_before,
            "{what}: the popup sent it (#api-result {kind}, id {id:?} was {id_before:?})"
        );
    }
    // Nothing of that reached the page's widget.
    std::thread::sleep(Duration::from_millis(500));
    ctx.switch_to(&page)?;
    let reached = widget_calls(ctx, before)?;
    ensure!(
        reached.is_empty(),
        "refused console input reached the widget: {reached:?}"
    );

    // Every entry point, with its result shown as the widget answered.
    ctx.switch_to(&popup)?;
    let cases = valid_calls();
    for case in &cases {
        fill_console(ctx, case.method, &case.inputs).with_context(|| case.method)?;
        ensure!(
            ctx.text("#api-error")?.trim().is_empty(),
            "{}: the console shows an error: {}",
            case.method,
            ctx.text("#api-error")?
        );
        let (kind, value, text) = call_console(ctx, LOG_TIMEOUT).with_context(|| case.method)?;
        ensure!(
            kind == case.kind && value == case.shown,
            "{}: the popup shows {kind} {value} ({text:?}), expected {} {}",
            case.method,
            case.kind,
            case.shown
        );
        let expected_text = if case.shown.is_null() && case.kind == "returned" {
            "undefined".to_owned()
        } else {
            serde_json::to_string(&case.shown)?
        };
        ensure!(
            text.contains(&expected_text),
            "{}: the popup's text {text:?} does not show {expected_text}",
            case.method
        );
    }

    // The popup's log shows each console call once, as the popup's, and no call as the page's.
    let expected: Vec<&str> = cases.iter().map(|c| c.method).collect();
    let mut seen = Vec::new();
    ctx.wait_for("every console call in the popup's log", LOG_TIMEOUT, |_| {
        seen = api_rows(ctx, "popup")?;
        Ok((seen.len() >= expected.len()).then_some(()))
    })
    .with_context(|| format!("console calls in the log: {seen:?}"))?;
    std::thread::sleep(Duration::from_millis(500));
    let popup = api_rows(ctx, "popup")?;
    ensure!(
        popup == expected,
        "the popup's log shows console calls {popup:?}, expected {expected:?}"
    );
    let page_calls = api_rows(ctx, "page")?;
    ensure!(
        page_calls.is_empty(),
        "the popup's log shows page calls {page_calls:?}; the page made none"
    );

    // The widget received each call once, in order, with the typed arguments. (The SPA tracker
    // reports the page to the widget with sendPageTitle on its own; those are not ours.)
    ctx.switch_to(&page)?;
    // The extension's own reads of the widget's state are not the console's either.
    let expected: Vec<&str> = cases.iter().map(|c| c.method).collect();
    let received: Vec<Value> = without_own_reads(
        widget_calls(ctx, before)?
            .into_iter()
            .filter(|c| c["method"] != "sendPageTitle" || c["args"][0] == "Console title"),
        &expected,
    );
    let methods: Vec<&str> = received
        .iter()
        .map(|c| c["method"].as_str().unwrap_or("?"))
        .collect();
    ensure!(
        methods == expected,
        "the widget received {methods:?}, expected {expected:?}"
    );
    for (case, got) in cases.iter().zip(&received) {
        ensure!(
            got["args"] == case.received,
            "{}: the widget received {}, expected {}",
            case.method,
            got["args"],
            case.received
        );
    }
    let errors = ctx.eval("return pageErrors;")?;
    ensure!(errors == json!([]), "uncaught errors on the page: {errors}");
    Ok(())
}

/// Serves a slow loader (1 s on the wire) that then holds the widget back until the page sets
/// `window.releaseWidget`, so console calls are made before `jivo_onLoadCallback` however long
/// a popup takes to open; and uses it in JivoChat mode.
fn use_held_back_widget(ctx: &Ctx) -> Result<()> {
    ctx.server.route(
        &format!("/slow-loader/{WIDGET_ID}.js"),
        Response::js(format!(
            "(function wait() {{ if (!window.releaseWidget) {{ setTimeout(wait, 50); return; }}\n{}\n}})();",
            fake_loader()?
        ))
        .delay(Duration::from_secs(1)),
    );
    use_jivochat(ctx, "/slow-loader/{id}.js", 60000)
}

fn console_call_waits_for_the_widget(ctx: &mut Ctx) -> Result<()> {
    use_held_back_widget(ctx)?;
    let url = ctx.url("/jivochat-none.html");
    ctx.goto_nowait(&url)?;
    let page = ctx.current_tab()?;
    let tab = ctx.tab_id_of(&url)?;
    let popup = ctx.new_tab()?;
    ctx.open_extension_page(&format!("popup.html?tab={tab}"))?;
    ctx.wait_for_attr("#page-status", "data-state", "loading", LOG_TIMEOUT)?;
    fill_console(ctx, "getVisitorNumber", &[])?;
    ctx.click("#api-call")?;
    let pending = |ctx: &Ctx, when: &str| -> Result<()> {
        let (_, kind, _, text) = console_result(ctx)?;
        let state = ctx.attr("#page-status", "data-state")?;
        ensure!(
            kind == "pending" && state.as_deref() == Some("loading"),
            "{when}: #api-result {kind} ({text:?}), page status {state:?}; expected pending while loading"
        );
        Ok(())
    };
    pending(ctx, "right after Call")?;
    // It stays waiting while the widget has not loaded.
    std::thread::sleep(Duration::from_millis(1500));
    pending(ctx, "1.5 s later")?;
    ctx.switch_to(&page)?;
    ensure!(
        ctx.eval("return typeof window.fakeJivo;")? == "undefined",
        "the widget loaded before it was released"
    );
    ctx.eval("window.releaseWidget = true;")?;
    ctx.switch_to(&popup)?;
    let mut seen = (None, String::new(), String::new(), String::new());
    ctx.wait_for("the answer once the widget loaded", LOG_TIMEOUT, |_| {
        seen = console_result(ctx)?;
        Ok((seen.1 != "pending").then_some(()))
    })
    .with_context(|| format!("#api-result shows {seen:?}"))?;
    ensure!(
        seen.1 == "callback" && seen.2 == "[null,1]",
        "getVisitorNumber made while loading showed {seen:?}"
    );
    ctx.wait_for_attr("#page-status", "data-state", "loaded", LOG_TIMEOUT)?;
    ctx.switch_to(&page)?;
    let calls = without_own_reads(widget_calls(ctx, 0)?, &["getVisitorNumber"]);
    let made: Vec<&Value> = calls
        .iter()
        .filter(|c| c["method"] == "getVisitorNumber")
        .collect();
    ensure!(
        made.len() == 1 && made[0]["loaded"] == true,
        "the widget saw getVisitorNumber as {made:?} (once, after jivo_onLoadCallback expected)"
    );
    let errors = ctx.eval("return pageErrors;")?;
    ensure!(errors == json!([]), "uncaught errors on the page: {errors}");
    Ok(())
}

/// Two popups on one tab, each calling from its console: each shows the answers to its own
/// calls only, though both number their calls from 1. First both calls wait for the widget
/// together (the same request id in flight twice), then one popup calls after the other.
fn console_replies_go_to_the_popup_that_asked(ctx: &mut Ctx) -> Result<()> {
    use_held_back_widget(ctx)?;
    let url = ctx.url("/jivochat-none.html");
    ctx.goto_nowait(&url)?;
    let page = ctx.current_tab()?;
    let tab = ctx.tab_id_of(&url)?;
    let open_popup = |ctx: &Ctx| -> Result<String> {
        let handle = ctx.new_tab()?;
        ctx.open_extension_page(&format!("popup.html?tab={tab}"))?;
        ctx.wait_for_attr("#page-status", "data-state", "loading", LOG_TIMEOUT)?;
        Ok(handle)
    };
    let first = open_popup(ctx)?;
    fill_console(ctx, "getVisitorNumber", &[])?;
    ctx.click("#api-call")?;
    let second = open_popup(ctx)?;
    fill_console(ctx, "chatMode", &[])?;
    ctx.click("#api-call")?;
    for (name, handle) in [("first", &first), ("second", &second)] {
        ctx.switch_to(handle)?;
        let (id, kind, _, text) = console_result(ctx)?;
        ensure!(
            id.as_deref() == Some("1") && kind == "pending",
            "the {name} popup shows {kind} ({text:?}) for request {id:?}; expected request 1 pending"
        );
    }

    // The widget loads and answers both: each popup shows its own call's answer.
    ctx.switch_to(&page)?;
    ctx.eval("window.releaseWidget = true;")?;
    let shows = |ctx: &Ctx, name: &str, handle: &str, id: &str, kind: &str, value: &str| {
        ctx.switch_to(handle)?;
        let mut seen = (None, String::new(), String::new(), String::new());
        ctx.wait_for(&format!("the {name} popup's answer"), LOG_TIMEOUT, |_| {
            seen = console_result(ctx)?;
            Ok((seen.1 != "pending").then_some(()))
        })
        .with_context(|| format!("the {name} popup's #api-result shows {seen:?}"))?;
        ensure!(
            seen.0.as_deref() == Some(id) && seen.1 == kind && seen.2 == value,
            "the {name} popup shows {seen:?}; expected request {id}: {kind} {value}"
        );
        Ok(())
    };
    shows(ctx, "first", &first, "1", "callback", "[null,1]")?;
    shows(ctx, "second", &second, "1", "returned", r#""online""#)?;

    // With the widget loaded, one popup calls after the other, both as request 2; the first
    // popup's answer stays as it was when the second popup's arrives.
    ctx.switch_to(&first)?;
    ctx.wait_for_attr("#page-status", "data-state", "loaded", LOG_TIMEOUT)?;
    fill_console(ctx, "getContactInfo", &[])?;
    let (kind, contact, _) = call_console(ctx, LOG_TIMEOUT)?;
    ensure!(
        kind == "returned" && contact.get("client_name").is_some(),
        "getContactInfo in the first popup showed {kind} {contact}"
    );
    ctx.switch_to(&second)?;
    fill_console(ctx, "chatMode", &[])?;
    let (kind, mode, _) = call_console(ctx, LOG_TIMEOUT)?;
    ensure!(
        kind == "returned" && mode == "online",
        "chatMode in the second popup showed {kind} {mode}"
    );
    std::thread::sleep(Duration::from_millis(500));
    ctx.switch_to(&first)?;
    let (id, kind, value, text) = console_result(ctx)?;
    let value: Value = serde_json::from_str(&value).unwrap_or(Value::Null);
    ensure!(
        id.as_deref() == Some("2") && kind == "returned" && value == contact,
        "after the second popup's call the first shows {kind} {value} ({text:?}) for request \
         {id:?}; expected its own getContactInfo answer for request 2"
    );
    ctx.switch_to(&second)?;
    let (id, _, value, _) = console_result(ctx)?;
    ensure!(
        id.as_deref() == Some("2") && value == r#""online""#,
        "the second popup shows {value} for request {id:?}; expected \"online\" for request 2"
    );

    // The widget got each call once (besides the extension's own reads of its state).
    ctx.switch_to(&page)?;
    let expected = ["getVisitorNumber", "chatMode", "getContactInfo", "chatMode"];
    let made: Vec<Value> = without_own_reads(
        widget_calls(ctx, 0)?
            .into_iter()
            .filter(|c| c["method"] != "sendPageTitle"),
        &expected,
    )
    .into_iter()
    .map(|c| c["method"].clone())
    .collect();
    ensure!(
        made == json!(expected).as_array().cloned().unwrap_or_default(),
        "the widget received {made:?}"
    );
    let errors = ctx.eval("return pageErrors;")?;
    ensure!(errors == json!([]), "uncaught errors on the page: {errors}");
    Ok(())
}

/// The popup's Widget section shows the real widget's state, read through its API at the
/// moments that change it and logged as the extension's own calls; the toolbar badge counts
/// its unread agent messages and clears when the chat is opened.
fn popup_shows_the_real_widgets_state(ctx: &mut Ctx) -> Result<()> {
    serve_fake_loader(ctx)?;
    use_jivochat(ctx, "/loader/{id}.js", 15000)?;
    let url = ctx.url("/jivochat-none.html");
    ctx.goto(&url)?;
    wait_loaded(ctx)?;
    let tab = ctx.tab_id_of(&url)?;
    let badge = |ctx: &Ctx| -> Result<String> {
        Ok(ctx
            .ext_eval(
                "return api.action.getBadgeText({tabId: arguments[0]});",
                vec![json!(tab)],
            )?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    };
    let wait_badge = |ctx: &Ctx, want: &str| -> Result<()> {
        ctx.wait_for_noting(&format!("badge {want:?}"), LOG_TIMEOUT, |_, seen| {
            let text = badge(ctx)?;
            *seen = format!("{text:?}");
            Ok((text == want).then_some(()))
        })
    };
    // Two agent messages: the unread count is read after each jivo_onMessageReceived.
    ctx.eval("fakeJivo.agentMessage(); fakeJivo.agentMessage(); return null;")?;
    wait_badge(ctx, "2").with_context(|| {
        let log = popup_port::wait_log(ctx, tab, "the log", TIMEOUT, |_| true).unwrap_or_default();
        let tail: Vec<Value> = popup_port::entries(&log)
            .into_iter()
            .rev()
            .take(16)
            .collect();
        format!("log (newest first): {}", Value::Array(tail))
    })?;
    // The visitor introduces themselves.
    ctx.eval(
        "jivo_api.setContactInfo({name: 'Ann', email: 'ann@example.com'});\
         fakeJivo.fire('jivo_onIntroduction'); return null;",
    )?;
    let fact = |ctx: &Browser, id: &str, want: &str| -> Result<()> {
        ctx.wait_for_noting(&format!("#{id} to say {want:?}"), LOG_TIMEOUT, |b, seen| {
            *seen = b.text(&format!("#{id}"))?;
            Ok(seen.contains(want).then_some(()))
        })
    };
    ctx.with_popup(&url, |ctx| {
        fact(ctx, "fact-loaded", "es")?; // "Yes" / "Да" is localised: "es" is in the English
        fact(ctx, "fact-chat-mode", "online")?;
        fact(ctx, "fact-visitor-number", "1")?;
        fact(ctx, "fact-unread", "2")?;
        fact(ctx, "fact-contact", "Ann")?;
        Ok(())
    })?;
    // The visitor opens the chat: the state comes from jivo_onChangeState, the unread count is
    // read again after jivo_onOpen, and the badge clears.
    ctx.eval("jivo_api.open(); return null;")?;
    wait_badge(ctx, "")?;
    ctx.with_popup(&url, |ctx| {
        fact(ctx, "fact-state", "chat")?;
        fact(ctx, "fact-unread", "0")?;
        Ok(())
    })?;
    // The reads are in the log as the extension's own calls, no more of them than the
    // callbacks that asked for them: 5 after load, 1 per message (2), 1 after the
    // introduction, 1 after jivo_onAccept per message (2), 1 after jivo_onOpen.
    let log = popup_port::wait_log(ctx, tab, "the widget-state reads", LOG_TIMEOUT, |log| {
        popup_port::entries(log)
            .iter()
            .any(|e| e["origin"] == "extension" && e["method"] == "getContactInfo")
    })?;
    let reads: Vec<Value> = popup_port::entries(&log)
        .into_iter()
        .filter(|e| e["kind"] == "apiCall" && e["origin"] == "extension")
        .collect();
    ensure!(
        reads.iter().all(|e| e["note"] == "widget state"),
        "an extension read without its note: {}",
        Value::Array(reads.clone())
    );
    ensure!(
        (5..=11).contains(&reads.len()),
        "{} widget-state reads: {}",
        reads.len(),
        Value::Array(reads.clone())
    );
    ensure!(
        !popup_port::entries(&log)
            .iter()
            .any(|e| e["kind"] == "apiCall"
                && e["origin"] == "page"
                && e["method"] == "getUnreadMessagesCount"),
        "the extension's reads were logged as the page's"
    );
    Ok(())
}
