//! Smoke tests of the extension's basic contract.
//!
//! The contract these assume (keep the extension and this file in step):
//! - Settings are `storage.local["settings"]`: `{"mode": "sandbox", "sites": [match patterns]}`.
//! - The background registers content scripts whose `matches` contain each pattern of `sites`
//!   (seen through `scripting.getRegisteredContentScripts`).
//! - `popup.html?tab=ID` shows `#page-status` with `data-state` `connected` once the page in tab
//!   ID talks to the extension, and `not-matched` when no site rule matches it; the text is for
//!   people ("Connected").
//! - On a matched page, the page's own world sees no `jivo*` globals other than the documented
//!   Widget API names.
//! - `options.html` shows `#settings-form`.

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::browser::BrowserKind;
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use e2e::server::Response;
use jwi_core::api::Callback;
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(popup_connected_on_matched_page),
    scenario!(popup_connected_on_strict_page),
    scenario!(popup_not_matched_on_unmatched_page),
    scenario!(page_world_sees_only_api_names),
    scenario!(options_page_shows_form),
    scenario!(inject_into_an_unmatched_tab_from_the_popup),
    scenario!(history_misuse_behaves_as_without_the_extension),
    scenario!(each_page_runs_the_content_build_its_csp_allows),
];

/// Site rules matching `/plain.html` and everything under `/strict/`, but not `/unmatched.html`
/// (match patterns ignore ports, so these match the fixture server on any port).
const SITES: [&str; 2] = ["http://127.0.0.1/plain*", "http://127.0.0.1/strict/*"];

/// The documented names a page may see (`jivo_api`, the methods callable as globals, and the
/// `jivo_on…` callbacks of the Widget API).
fn api_names() -> Vec<&'static str> {
    let globals = ["jivo_api", "jivo_init", "jivo_destroy"];
    globals
        .into_iter()
        .chain(Callback::ALL.iter().map(|c| c.name()))
        .collect()
}

const STATUS_TIMEOUT: Duration = Duration::from_secs(10);

/// Sets sandbox mode for [`SITES`] and waits until the background registered content scripts
/// for them, so the next page load is injected.
fn use_sandbox_settings(ctx: &Ctx) -> Result<()> {
    ctx.configure(json!({ "mode": "sandbox", "sites": SITES }))
}

/// Loads `path` in the current tab, opens the popup for that tab in a new tab and waits for
/// `#page-status[data-state=expected]`; returns the status text.
fn popup_state_for(ctx: &Ctx, path: &str, expected: &str) -> Result<String> {
    let url = ctx.url(path);
    ctx.goto(&url)?;
    let tab = ctx.tab_id_of(&url)?;
    ctx.new_tab()?;
    ctx.open_extension_page(&format!("popup.html?tab={tab}"))?;
    if expected == "connected" {
        // The bridge is up in any of these; in sandbox mode the widget goes on to load.
        let mut seen = None;
        ctx.wait_for("#page-status connected or later", STATUS_TIMEOUT, |b| {
            seen = b.attr("#page-status", "data-state")?;
            Ok(seen
                .as_deref()
                .filter(|s| ["connected", "loading", "loaded"].contains(s))
                .map(|_| ()))
        })
        .with_context(|| format!("popup for {path} (tab {tab}), last data-state: {seen:?}"))?;
        return ctx.text("#page-status");
    }
    ctx.wait_for_attr("#page-status", "data-state", expected, STATUS_TIMEOUT)
        .with_context(|| format!("popup for {path} (tab {tab})"))?;
    let text = ctx.text("#page-status")?;
    ensure!(!text.trim().is_empty(), "#page-status has no text");
    Ok(text)
}

fn popup_connected_on_matched_page(ctx: &mut Ctx) -> Result<()> {
    use_sandbox_settings(ctx)?;
    popup_state_for(ctx, "/plain.html", "connected")?;
    Ok(())
}

fn popup_connected_on_strict_page(ctx: &mut Ctx) -> Result<()> {
    use_sandbox_settings(ctx)?;
    let page = ctx.current_tab()?;
    popup_state_for(ctx, "/strict/strict.html", "connected")?;
    // The page's own 'self' script still ran.
    ctx.switch_to(&page)?;
    ensure!(
        ctx.attr("#script-state", "data-state")?.as_deref() == Some("ran"),
        "strict.js did not run"
    );
    Ok(())
}

fn popup_not_matched_on_unmatched_page(ctx: &mut Ctx) -> Result<()> {
    use_sandbox_settings(ctx)?;
    popup_state_for(ctx, "/unmatched.html", "not-matched")?;
    Ok(())
}

fn page_world_sees_only_api_names(ctx: &mut Ctx) -> Result<()> {
    use_sandbox_settings(ctx)?;
    let page = ctx.current_tab()?;
    // Wait until the extension is connected to the page, so injection has happened.
    popup_state_for(ctx, "/plain.html", "connected")?;
    ctx.switch_to(&page)?;
    let names = ctx.eval("return Object.keys(window).filter(k => k.startsWith('jivo'));")?;
    let unexpected: Vec<Value> = names
        .as_array()
        .context("Object.keys did not return a list")?
        .iter()
        .filter(|name| !name.as_str().is_some_and(|n| api_names().contains(&n)))
        .cloned()
        .collect();
    ensure!(
        unexpected.is_empty(),
        "the page sees undocumented globals {} (all: {names})",
        Value::Array(unexpected)
    );
    Ok(())
}

fn options_page_shows_form(ctx: &mut Ctx) -> Result<()> {
    ctx.open_extension_page("options.html")?;
    ctx.wait_for_element("#settings-form", STATUS_TIMEOUT)?;
    Ok(())
}

/// "Inject into this tab": the popup of a tab no site rule matches offers it, and after the
/// click the page is bridged (the sandbox loads) without any rule.
fn inject_into_an_unmatched_tab_from_the_popup(ctx: &mut Ctx) -> Result<()> {
    use_sandbox_settings(ctx)?;
    let url = ctx.url("/unmatched.html");
    ctx.goto(&url)?;
    let page = ctx.current_tab()?;
    let tab = ctx.tab_id_of(&url)?;
    ctx.new_tab()?;
    ctx.open_extension_page(&format!("popup.html?tab={tab}"))?;
    ctx.wait_for_attr("#page-status", "data-state", "not-matched", STATUS_TIMEOUT)?;
    ctx.click("#inject")?;
    let mut seen = None;
    ctx.wait_for("the injected page to connect", STATUS_TIMEOUT, |b| {
        seen = b.attr("#page-status", "data-state")?;
        Ok(seen
            .as_deref()
            .filter(|s| ["connected", "loading", "loaded"].contains(s))
            .map(|_| ()))
    })
    .with_context(|| format!("last data-state: {seen:?}"))?;
    ctx.switch_to(&page)?;
    ctx.wait_for("jivo_api on the injected page", STATUS_TIMEOUT, |b| {
        Ok((b
            .eval("return typeof jivo_api === 'object' && typeof jivo_api.open === 'function';")?
            == true)
            .then_some(()))
    })?;
    Ok(())
}

/// A page that freezes `history`, pushes a cross-origin URL (the browser throws), or replaces
/// `pushState` with one that throws sees exactly what it sees without the extension.
fn history_misuse_behaves_as_without_the_extension(ctx: &mut Ctx) -> Result<()> {
    const PROBE: &str = "const out = {};\
        try { history.pushState({}, '', 'http://other.example/x'); out.crossOrigin = 'no error'; }\
        catch (e) { out.crossOrigin = e.name; }\
        history.pushState = function () { throw new Error('page says no'); };\
        try { history.pushState({}, '', '?x'); out.own = 'no error'; } catch (e) { out.own = e.message; }\
        delete history.pushState;\
        Object.freeze(history);\
        history.pushState({}, '', location.pathname + '?frozen');\
        out.frozen = location.search;\
        return out;";
    use_sandbox_settings(ctx)?;
    ctx.goto(&ctx.url("/unmatched.html"))?;
    let without = ctx.eval(PROBE)?;
    popup_state_for(ctx, "/plain.html", "connected")?;
    let page = ctx.tabs()?.into_iter().next().context("the page's tab")?;
    ctx.switch_to(&page)?;
    let with = ctx.eval(PROBE)?;
    ensure!(
        with == without,
        "with the extension {with}, without {without}"
    );
    ensure!(
        without["own"] == "page says no" && without["frozen"] == "?frozen",
        "probe: {without}"
    );
    Ok(())
}

/// Chromium runs the real WebAssembly on a page whose CSP lets a content script compile it,
/// and the wasm2js build where a policy (header or `<meta>`, enforced or report-only) would
/// refuse or report it; Firefox runs the real WebAssembly everywhere. On every page the
/// sandbox answers and the page sees no CSP violation.
fn each_page_runs_the_content_build_its_csp_allows(ctx: &mut Ctx) -> Result<()> {
    // default-src 'self', not 'none': Firefox reports its own favicon request to the page.
    const STRICT: &str = "default-src 'self'; script-src 'self'";
    // (path, header, policy, <meta> policy, Chromium's build)
    let cases = [
        ("/plain-csp-none.html", None, None, "wasm"),
        (
            "/plain-csp-header.html",
            Some(("Content-Security-Policy", STRICT)),
            None,
            "wasm2js",
        ),
        (
            "/plain-csp-wasm.html",
            Some((
                "Content-Security-Policy",
                "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'",
            )),
            None,
            "wasm",
        ),
        ("/plain-csp-meta.html", None, Some(STRICT), "wasm2js"),
        (
            "/plain-csp-report-only.html",
            Some(("Content-Security-Policy-Report-Only", STRICT)),
            None,
            "wasm2js",
        ),
    ];
    ctx.server.route(
        "/plain-csp-recorder.js",
        Response::js(
            "window.violations = [];\
             document.addEventListener('securitypolicyviolation', e =>\
               window.violations.push(e.violatedDirective + ' ' + e.blockedURI));",
        ),
    );
    use_sandbox_settings(ctx)?;
    for (path, header, meta, chromium_build) in cases {
        let meta = meta
            .map(|p| format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{p}\">"))
            .unwrap_or_default();
        let page = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">{meta}\
             <script src=\"/plain-csp-recorder.js\"></script><title>CSP {path}</title></head>\
             <body><h1>{path}</h1></body></html>"
        );
        let response = match header {
            Some((name, value)) => Response::html(page).header(name, value),
            None => Response::html(page),
        };
        ctx.server.route(path, response);
        let url = ctx.url(path);
        ctx.goto(&url)?;
        ctx.wait_for_js(
            "return typeof jivo_api === 'object' && jivo_api.getUnreadMessagesCount() === 0;",
            STATUS_TIMEOUT,
        )
        .with_context(|| format!("the sandbox answering on {path}"))?;
        let build = ctx.content_build_of(&url)?;
        let expected = match ctx.kind() {
            BrowserKind::Chromium => chromium_build,
            BrowserKind::Firefox => "wasm",
        };
        ensure!(
            build == expected,
            "{path}: the {build} build ran, not {expected}"
        );
        let violations = ctx.eval("return window.violations;")?;
        ensure!(
            violations == json!([]),
            "{path}: the page saw CSP violations {violations}"
        );
    }
    Ok(())
}
