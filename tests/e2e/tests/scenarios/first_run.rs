//! The first hour (issue #16): the welcome page, the visitor's words in the visitor's language,
//! and axe-core's accessibility rules on every surface, light and dark.
//!
//! axe (npm `axe-core`, a dev dependency: `node_modules/axe-core/axe.min.js`) is injected by
//! WebDriver into the page under test and run there; a scenario fails on any violation. The
//! sandbox widget lives in a *closed* shadow root that no page script (axe included) can enter,
//! and nothing in the shipped extension opens it for tests. In Chromium, DevTools can: the
//! scenario finds the shadow root through CDP (`DOM.getDocument` with `pierce`), copies its
//! content (stylesheet, attributes, ARIA, text) into an *open* shadow root on a stand-in host
//! at the same place and runs axe on the copy. Firefox has no such door, so the widget's axe
//! check is Chromium-only (its DOM and CSS are the same in both browsers).

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::browser::BrowserKind;
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use e2e::server::Response;
use e2e::widget::{Widget, ENTER};
use jwi_core::sandbox::Words;
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(welcome_adds_a_site),
    scenario!(welcome_add_param_adds_and_opens),
    scenario!(pages_pass_axe),
    scenario!(widget_speaks_the_page_language).only(BrowserKind::Chromium),
];

const TIMEOUT: Duration = Duration::from_secs(10);

/// axe-core's browser build, from the workspace's `node_modules`.
fn axe_source() -> Result<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../node_modules/axe-core/axe.min.js"
    );
    std::fs::read_to_string(path)
        .with_context(|| format!("reading {path}: run `npm ci` in the worktree (axe-core)"))
}

/// Injects axe into the current page (once) and runs it on `context` (a CSS selector, or
/// `null` for the whole document); returns the violations, each as `id (impact): targets`.
fn axe(ctx: &Ctx, context: Value) -> Result<Vec<String>> {
    let has = ctx.eval("return typeof window.axe === 'object';")?;
    if has != json!(true) {
        ctx.eval(&format!("{}\nreturn null;", axe_source()?))?;
    }
    let found = ctx.eval_with(
        "const context = arguments[0] === null ? document : { include: [[arguments[0]]] };\
         return window.axe.run(context, { resultTypes: ['violations'] }).then(r =>\
           r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 4)\
             .map(n => JSON.stringify(n.target) + ' ' + (n.failureSummary || '').replace(/\\s+/g, ' '))\
             .join(' | ')));",
        vec![context],
    )?;
    Ok(found
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect())
}

/// Emulates the dark (or back to the light) colour scheme for the current tab / the browser.
fn scheme(ctx: &Ctx, dark: bool) -> Result<()> {
    ctx.set_dark_scheme(dark)
}

/// Runs axe on the current page in the light and the dark scheme; `what` names it in errors.
pub(super) fn axe_both_schemes(ctx: &Ctx, what: &str, context: Value) -> Result<()> {
    for dark in [false, true] {
        scheme(ctx, dark)?;
        // Colours change through the pages' short CSS transitions (.12 s): axe must see the
        // end state, not a blend.
        std::thread::sleep(Duration::from_millis(400));
        let v = axe(ctx, context.clone());
        scheme(ctx, false)?;
        let v = v?;
        let name = if dark { "dark" } else { "light" };
        ensure!(v.is_empty(), "axe on {what} ({name}): {v:#?}");
    }
    Ok(())
}

fn welcome_adds_a_site(ctx: &mut Ctx) -> Result<()> {
    ctx.open_extension_page("welcome.html")?;
    ctx.wait_for_js(
        "return document.documentElement.lang !== '' && !!document.querySelector('h1').textContent",
        TIMEOUT,
    )?;
    // A scheme the extension cannot run on: the core's reason, in the page's locale, tied to
    // the box.
    ctx.type_into("#site", "ftp://files.example/")?;
    ctx.click("#add")?;
    ctx.wait_for_js(
        "return !document.getElementById('site-error').hidden",
        TIMEOUT,
    )?;
    let error = ctx.text("#site-error")?;
    ensure!(
        error.contains("ftp") && !error.contains("err_rule"),
        "the error shown: {error:?}"
    );
    ensure!(
        ctx.attr("#site", "aria-invalid")?.as_deref() == Some("true"),
        "the box is not marked invalid"
    );
    let described = ctx.attr("#site", "aria-describedby")?.unwrap_or_default();
    ensure!(
        described.contains("site-error"),
        "aria-describedby: {described}"
    );
    axe_both_schemes(ctx, "the welcome page with an error", Value::Null)?;

    // An address becomes the rule for its whole site, stored in the settings.
    ctx.eval("document.getElementById('site').value = ''; return null;")?;
    ctx.type_into("#site", "https://shop.example:8443/cart?id=7")?;
    ctx.click("#add")?;
    ctx.wait_for_js(
        "return document.getElementById('added').textContent.includes('https://shop.example/*')",
        TIMEOUT,
    )?;
    ensure!(
        ctx.attr("#site", "aria-invalid")?.is_none(),
        "the box stays marked invalid"
    );
    let stored = ctx.storage_get("local", "settings")?;
    ensure!(
        stored["sites"] == json!(["https://shop.example/*"]),
        "stored settings: {stored}"
    );
    axe_both_schemes(ctx, "the welcome page", Value::Null)?;
    Ok(())
}

/// What `./build.sh demo` opens: `welcome.html?add=<address>&open=1` adds the site's rule at
/// once (the confirmation shows) and, once it is in force, opens the address with the widget.
fn welcome_add_param_adds_and_opens(ctx: &mut Ctx) -> Result<()> {
    ctx.set_settings(json!({ "mode": "sandbox" }))?;
    let shop = ctx.url("/plain.html");
    ctx.open_extension_page(&format!("welcome.html?add={shop}&open=1"))?;
    ctx.wait_for_js(
        "return document.getElementById('added').textContent.includes('http://127.0.0.1/*')",
        TIMEOUT,
    )?;
    let stored = ctx.storage_get("local", "settings")?;
    ensure!(
        stored["sites"] == json!(["http://127.0.0.1/*"]) && stored["mode"] == "sandbox",
        "stored settings: {stored}"
    );
    let welcome = ctx.session().window_handle()?;
    let opened = ctx.wait_for("the shop opened in a new tab", TIMEOUT, |c| {
        for h in c.session().window_handles()? {
            if h == welcome {
                continue;
            }
            c.switch_to(&h)?;
            if c.session().current_url().unwrap_or_default() == shop {
                return Ok(Some(h));
            }
        }
        c.switch_to(&welcome)?;
        Ok(None)
    })?;
    ctx.switch_to(&opened)?;
    Widget::new(ctx).wait_rect("the widget on the opened shop", TIMEOUT, |r| r.height > 0.0)?;
    Ok(())
}

fn pages_pass_axe(ctx: &mut Ctx) -> Result<()> {
    ctx.set_settings(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/*"] }))?;
    ctx.goto(&ctx.url("/plain.html"))?;
    let tab = ctx.tab_id_of(&ctx.url("/plain.html"))?;
    ctx.new_tab()?;
    ctx.open_extension_page(&format!("popup.html?tab={tab}"))?;
    ctx.wait_for_js("return document.body.innerText.length > 20", TIMEOUT)?;
    std::thread::sleep(Duration::from_millis(500));
    axe_both_schemes(ctx, "the popup", Value::Null)?;
    ctx.open_extension_page("options.html")?;
    ctx.wait_for_js("return document.body.dataset.state !== 'loading'", TIMEOUT)?;
    axe_both_schemes(ctx, "the options page", Value::Null)?;
    // A refused rule: the message in the locale, tied to its field.
    ctx.type_into("#site-add", "https://shop.example:8080/*")?;
    ctx.click("#site-add-button")?;
    ctx.wait_for_js(
        "return !document.getElementById('field-error-site-add').hidden",
        TIMEOUT,
    )?;
    let error = ctx.text("#field-error-site-add")?;
    ensure!(
        error.contains(":8080") && !error.contains("err_rule"),
        "the add box's error: {error:?}"
    );
    axe_both_schemes(ctx, "the options page with an error", Value::Null)?;
    ctx.open_extension_page("welcome.html")?;
    ctx.wait_for_js("return document.documentElement.lang !== ''", TIMEOUT)?;
    axe_both_schemes(ctx, "the welcome page", Value::Null)?;
    Ok(())
}

/// A shop page in `lang` with a last control before the widget (as in sandbox-api.html).
fn shop(lang: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>Shop</title></head>\
         <body><main><h1>Shop</h1><p>Goods.</p>\
         <button type=\"button\" id=\"site-last\">Subscribe</button></main></body></html>"
    )
}

/// Copies the widget's closed shadow root into an open one on `#axe-widget-copy` (see the
/// module documentation); returns the copy's text.
fn copy_widget(ctx: &Ctx) -> Result<String> {
    let s = ctx.session();
    let doc = s.cdp("DOM.getDocument", json!({"depth": -1, "pierce": true}))?;
    fn find(n: &Value) -> Option<i64> {
        if n["nodeName"] == "JIVO-SANDBOX-WIDGET" {
            return n["shadowRoots"][0]["nodeId"].as_i64();
        }
        n["children"].as_array()?.iter().find_map(find)
    }
    let root = find(&doc["root"]).context("no widget shadow root in the DOM tree")?;
    let obj = s.cdp("DOM.resolveNode", json!({"nodeId": root}))?;
    let id = obj["object"]["objectId"]
        .as_str()
        .context("the shadow root has no object")?;
    let r = s.cdp(
        "Runtime.callFunctionOn",
        json!({
            "objectId": id,
            "returnByValue": true,
            "functionDeclaration": "function () {\
               document.getElementById('axe-widget-copy')?.remove();\
               const host = document.createElement('div');\
               host.id = 'axe-widget-copy';\
               host.setAttribute('style', this.host.getAttribute('style'));\
               const copy = host.attachShadow({ mode: 'open' });\
               for (const n of this.childNodes) copy.appendChild(n.cloneNode(true));\
               for (const f of this.querySelectorAll('input,textarea')) {\
                 const c = copy.querySelector('[name=\"' + f.name + '\"]'); if (c) c.value = f.value; }\
               document.documentElement.appendChild(host);\
               return copy.textContent + ' ' + [...copy.querySelectorAll('[aria-label],[placeholder]')]\
                 .map(e => (e.getAttribute('aria-label') || '') + ' ' + (e.getAttribute('placeholder') || '')).join(' ');\
             }"
        }),
    )?;
    Ok(r["result"]["value"].as_str().unwrap_or_default().to_owned())
}

/// axe on the copy of the widget, light and dark.
fn axe_widget(ctx: &Ctx, what: &str) -> Result<String> {
    let text = copy_widget(ctx)?;
    axe_both_schemes(ctx, what, json!("#axe-widget-copy"))?;
    ctx.eval("document.getElementById('axe-widget-copy')?.remove(); return null;")?;
    Ok(text)
}

fn widget_speaks_the_page_language(ctx: &mut Ctx) -> Result<()> {
    ctx.configure(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/*"] }))?;
    for (lang, words) in [("ru", &Words::RU), ("en", &Words::EN)] {
        let path = format!("/shop-{lang}.html");
        ctx.server.route(&path, Response::html(shop(lang)));
        ctx.goto(&ctx.url(&path))?;
        let w = Widget::new(ctx);
        w.wait_rect("the widget", TIMEOUT, |r| r.height > 0.0)?;
        let text = axe_widget(ctx, &format!("the label ({lang})"))?;
        ensure!(text.contains(words.label_online), "{lang} label: {text}");

        // The visitor writes, is offered the contact form, sends it empty: the visitor's
        // words, tied to the field; the page's integration strings never reach the visitor.
        w.tab_in_after("#site-last")?;
        w.keys(&[ENTER])?;
        w.wait_rect("the chat window", TIMEOUT, |r| r.height > 300.0)?;
        w.type_text("Hello\u{E007}")?;
        ctx.eval("jivo_api.showProactiveInvitation('Need help?'); return null;")?;
        ctx.wait_for("the contact form", TIMEOUT, |_| {
            Ok(copy_widget(ctx)?
                .contains(words.contact_heading)
                .then_some(()))
        })?;
        w.shift_tab(1)?;
        w.keys(&[ENTER])?;
        let mut text = String::new();
        ctx.wait_for("the contact form's error", TIMEOUT, |_| {
            text = copy_widget(ctx)?;
            Ok(text.contains(words.error_contact_empty).then_some(()))
        })
        .with_context(|| format!("the widget said: {text}"))?;
        let tied = ctx.eval(
            "const r = document.getElementById('axe-widget-copy').shadowRoot;\
             const f = r.querySelector('[name=\"contact.name\"]');\
             return [f.getAttribute('aria-invalid'), f.getAttribute('aria-describedby'),\
                     r.getElementById(f.getAttribute('aria-describedby'))?.getAttribute('role')];",
        )?;
        ensure!(
            tied == json!(["true", "contact-err", "alert"]),
            "the error is not tied to its field: {tied}"
        );
        for developer in [
            "Visitor introduced",
            "Proactive invitation",
            "must be",
            "got \"",
        ] {
            ensure!(
                !text.contains(developer),
                "{lang}: the visitor sees {developer:?}: {text}"
            );
        }
        ensure!(text.contains(words.title_chat), "{lang} title: {text}");
        ensure!(text.contains(words.input_placeholder), "{lang}: {text}");
        axe_widget(ctx, &format!("the chat window with an error ({lang})"))?;

        // The callback form with a bad number.
        ctx.eval("jivo_api.open({start: 'call'}); return null;")?;
        ctx.wait_for("the callback form", TIMEOUT, |_| {
            Ok(copy_widget(ctx)?
                .contains(words.callback_send)
                .then_some(()))
        })?;
        axe_widget(ctx, &format!("the chat with the callback form ({lang})"))?;
        ctx.eval("jivo_api.clearHistory(); jivo_api.close(); return null;")?;
    }
    Ok(())
}
