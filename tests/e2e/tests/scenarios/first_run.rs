//! The first hour (issue #16): the welcome page, the visitor's words in the visitor's language,
//! and axe-core's accessibility rules on every surface, light and dark, in both UI locales.
//!
//! axe (npm `axe-core`, a dev dependency: `node_modules/axe-core/axe.min.js`) is injected by
//! WebDriver into the page under test and run there; a scenario fails on any violation. The
//! sandbox widget lives in a *closed* shadow root that no page script (axe included) can enter,
//! and nothing in the shipped extension opens it for tests. The drivers can: Chromium through
//! CDP (`DOM.getDocument` with `pierce`, `DOM.resolveNode`), Firefox through WebDriver's Get
//! Element Shadow Root, which Marionette answers for closed roots too. The scenario copies the
//! root's content (stylesheet, attributes, ARIA, text, typed values) into an *open* shadow root
//! on a stand-in host at the same place and runs axe on the copy.
//!
//! The extension's pages in the Russian UI locale need a second browser launched with that UI
//! language ([`Browser::launch_localized`]): one more launch per browser, for all the pages.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::browser::{Browser, BrowserKind};
use e2e::popup_port;
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use e2e::server::Response;
use e2e::widget::{Widget, ENTER};
use jwi_core::sandbox::{AgentAction, Words};
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(welcome_adds_a_site),
    scenario!(welcome_add_param_adds_and_opens),
    scenario!(pages_pass_axe),
    scenario!(pages_pass_axe_in_the_russian_ui),
    scenario!(workbench_passes_axe_with_screenshots),
    scenario!(widget_speaks_the_page_language),
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
fn axe(ctx: &Browser, context: Value) -> Result<Vec<String>> {
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
fn scheme(ctx: &Browser, dark: bool) -> Result<()> {
    ctx.set_dark_scheme(dark)
}

/// Runs axe on the current page in the light and the dark scheme; `what` names it in errors.
pub(super) fn axe_both_schemes(ctx: &Browser, what: &str, context: Value) -> Result<()> {
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
    // The page ships in English with its button disabled until its code has started.
    ctx.wait_for_js("return !document.getElementById('add').disabled", TIMEOUT)?;
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
    ctx.wait_for_js("return !document.getElementById('add').disabled", TIMEOUT)?;
    axe_both_schemes(ctx, "the welcome page", Value::Null)?;
    Ok(())
}

/// The extension's messages of `locale` (`_locales/<locale>/messages.json` of the loaded
/// package), as `{key: {message}}`.
fn messages(b: &Browser, locale: &str) -> Result<Value> {
    let path = b
        .extension_dir()
        .join(format!("_locales/{locale}/messages.json"));
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parse {}", path.display()))
}

/// Checks that the current extension page speaks Russian: `<html lang="ru">`, its
/// `[data-i18n]` labels are the Russian messages and none is still the English one; and that
/// no visible control's or heading's Russian text is cut off (wider than its box).
fn speaks_russian(b: &Browser, what: &str, ru: &Value, en: &Value) -> Result<()> {
    let found = b.eval_with(
        "const [ru, en] = arguments;\
         const plain = m => (m || '').replace(/`/g, '').trim();\
         let russian = 0; const english = [], cut = [];\
         for (const el of document.querySelectorAll('[data-i18n]')) {\
           const key = el.dataset.i18n, r = plain(ru[key]?.message), e = plain(en[key]?.message);\
           const t = el.textContent.trim();\
           if (r && t === r) russian++;\
           else if (e && e !== r && t === e) english.push(key);\
         }\
         for (const el of document.querySelectorAll('button, label, h1, h2, h3, summary, th, a, [role=tab]')) {\
           if (!el.getClientRects().length || !el.textContent.trim() || el.clientWidth < 2) continue;\
           if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).display !== 'inline')\
             cut.push((el.id || el.className || el.tagName) + ': ' + el.textContent.trim().slice(0, 40)\
               + ' (' + el.scrollWidth + ' > ' + el.clientWidth + ')');\
         }\
         return { lang: document.documentElement.lang, russian, english, cut };",
        vec![ru.clone(), en.clone()],
    )?;
    ensure!(
        found["lang"].as_str().is_some_and(|l| l.starts_with("ru")),
        "{what}: <html lang={}>",
        found["lang"]
    );
    ensure!(
        found["russian"].as_u64().unwrap_or(0) > 0,
        "{what}: no label in Russian: {found}"
    );
    ensure!(
        found["english"].as_array().is_some_and(Vec::is_empty),
        "{what}: labels still in English: {}",
        found["english"]
    );
    ensure!(
        found["cut"].as_array().is_some_and(Vec::is_empty),
        "{what}: Russian text cut off: {:#}",
        found["cut"]
    );
    Ok(())
}

/// The popup, the options page, the welcome page, the DevTools panel page and the side panel
/// page in a second browser whose UI is Russian: each speaks Russian (no English label left,
/// nothing cut off) and passes axe, light and dark. One more browser launch, for all pages.
fn pages_pass_axe_in_the_russian_ui(ctx: &mut Ctx) -> Result<()> {
    let ru = Browser::launch_localized(
        ctx.kind(),
        ctx.extension_dir(),
        Some(ctx.server.port()),
        "ru",
    )?;
    let (ru_messages, en_messages) = (messages(&ru, "ru")?, messages(&ru, "en")?);
    let check = |what: &str| -> Result<()> {
        speaks_russian(&ru, what, &ru_messages, &en_messages)?;
        if ru.kind() == BrowserKind::Chromium {
            // For a person to look at (not committed): tests/e2e/artifacts/ru-*.png.
            let name: String = what
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            ru.screenshot(&e2e::artifacts_dir().join(format!("ru-{name}.png")))?;
        }
        axe_both_schemes(&ru, &format!("{what} (ru)"), Value::Null)
    };
    // The install opened the welcome page: start from one blank tab, default settings.
    ru.reset()?;
    ru.configure(json!({
        "mode": "sandbox",
        "sites": ["http://127.0.0.1/site-integration*", "http://127.0.0.1/shop-*"]
    }))?;
    let url = ctx.url("/site-integration.html");
    let tab = e2e::site::open(&ru, &url, TIMEOUT)?;
    popup_port::agent(
        &ru,
        tab,
        AgentAction::SendMessage {
            text: "Здравствуйте!".into(),
        },
    )?;
    // A mistake for the checks, whose detail the panel says in Russian.
    ru.eval("jivo_api.setWidgetColor('red'); return null;")?;

    ru.new_tab()?;
    ru.open_extension_page(&format!("popup.html?tab={tab}"))?;
    ru.wait_for_attr("#page-status", "data-state", "loaded", TIMEOUT)?;
    std::thread::sleep(Duration::from_millis(300));
    check("the popup")?;

    ru.open_extension_page("options.html")?;
    ru.wait_for_js("return document.body.dataset.state !== 'loading'", TIMEOUT)?;
    check("the options page")?;
    ru.type_into("#site-add", "https://shop.example:8080/*")?;
    ru.click("#site-add-button")?;
    ru.wait_for_js(
        "return !document.getElementById('field-error-site-add').hidden",
        TIMEOUT,
    )?;
    let error = ru.text("#field-error-site-add")?;
    ensure!(
        error.contains(":8080") && error.chars().any(|c| ('а'..='я').contains(&c)),
        "the add box's error is not Russian: {error:?}"
    );
    check("the options page with an error")?;

    ru.open_extension_page("welcome.html")?;
    // The page says `lang="en"` until it is localized.
    ru.wait_for_js(
        "return document.documentElement.lang.startsWith('ru')",
        TIMEOUT,
    )?;
    check("the welcome page")?;

    ru.open_extension_page(&format!("panel.html?tab={tab}"))?;
    ru.wait_for_attr("#panel", "data-connected", "true", TIMEOUT)?;
    ru.wait_for_element("#log-list li[data-id]", TIMEOUT)?;
    std::thread::sleep(Duration::from_millis(300));
    check("the DevTools panel")?;
    russian_detail_and_console_reason(&ru)?;

    ru.open_extension_page(&format!("sidepanel.html?tab={tab}"))?;
    ru.wait_for_attr("#page-status", "data-state", "loaded", TIMEOUT)?;
    ru.wait_for("the conversation", TIMEOUT, |b| {
        Ok(b.text("#agent-conversation")?
            .contains("Здравствуйте!")
            .then_some(()))
    })?;
    check("the side panel")?;

    // A page that names no language: the widget speaks the browser's, Russian.
    let path = "/shop-nolang.html";
    ctx.server
        .route(path, Response::html(shop("").replace(" lang=\"\"", "")));
    ru.goto(&ctx.url(path))?;
    Widget::new(&ru).wait_rect("the widget", TIMEOUT, |r| r.height > 0.0)?;
    let text = axe_widget(&ru, "the widget's label on a page without lang (ru)")?;
    ensure!(
        text.contains(Words::RU.label_online),
        "the label in a Russian browser: {text}"
    );
    ru.eval("jivo_api.open(); return null;")?;
    ru.wait_for("the chat window", TIMEOUT, |b| {
        Ok(copy_widget(b)?.contains(Words::RU.title_chat).then_some(()))
    })?;
    axe_widget(&ru, "the widget's chat window on a page without lang (ru)")?;
    ru.shutdown();
    Ok(())
}

/// In the panel of a page that called `setWidgetColor('red')`: the finding's detail and the
/// console's reason for refusing a colour are Russian sentences around the page's own value.
fn russian_detail_and_console_reason(ru: &Browser) -> Result<()> {
    let cyrillic = |s: &str| s.chars().any(|c| ('а'..='я').contains(&c));
    let css = ".finding[data-check='widget-color-not-hex'] .finding-detail";
    ru.wait_for_element(css, TIMEOUT)?;
    let detail = ru.text(css)?;
    ensure!(
        cyrillic(&detail) && detail.contains("setWidgetColor") && detail.contains("\"red\""),
        "the finding's detail in the Russian UI: {detail:?}"
    );
    ru.select("#api-method", "setWidgetColor", TIMEOUT)?;
    ru.wait_for_element("#api-arg-color", TIMEOUT)?;
    ru.type_into("#api-arg-color", "blue")?;
    ru.click("#api-call")?;
    let mut reason = String::new();
    ru.wait_for("the console's reason", TIMEOUT, |b| {
        reason = b.text("#api-err-color")?;
        Ok((!reason.trim().is_empty()).then_some(()))
    })?;
    ensure!(
        cyrillic(&reason) && reason.contains("\"blue\""),
        "the console's reason in the Russian UI: {reason:?}"
    );
    Ok(())
}

/// The DevTools panel page and the side panel page of a page with a conversation, log rows
/// and findings pass axe, light and dark; in Chromium their screenshots are saved to
/// `docs/screenshots/` (`panel-{light,dark}.png`, `sidepanel-{light,dark}.png`).
fn workbench_passes_axe_with_screenshots(ctx: &mut Ctx) -> Result<()> {
    ctx.configure(json!({ "mode": "sandbox", "sites": ["http://127.0.0.1/site-integration*"] }))?;
    let url = ctx.url("/site-integration.html");
    let tab = e2e::site::open(ctx, &url, TIMEOUT)?;
    // A mistake for the checks to find, and a conversation for the side panel.
    ctx.eval(
        "jivo_api.setContactInfo({name: 'Alex', email: 'alex@example.com'});\
         jivo_api.setWidgetColor('red');\
         history.pushState({}, '', location.pathname + '?step=cart'); document.title = 'Cart';\
         return null;",
    )?;
    popup_port::agent(
        ctx,
        tab,
        AgentAction::SendMessage {
            text: "Hello! How can I help?".into(),
        },
    )?;
    let shots = ctx.kind() == BrowserKind::Chromium;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    let size = ctx.eval("return [window.outerWidth, window.outerHeight];")?;
    let outcome = (|| -> Result<()> {
        ctx.new_tab()?;
        ctx.open_extension_page(&format!("panel.html?tab={tab}"))?;
        ctx.wait_for_attr("#panel", "data-connected", "true", TIMEOUT)?;
        ctx.wait_for_js(
            "return Number(document.getElementById('findings').dataset.count) > 0",
            TIMEOUT,
        )?;
        std::thread::sleep(Duration::from_millis(300));
        axe_both_schemes(ctx, "the DevTools panel", Value::Null)?;
        if shots {
            ctx.session().set_window_size(1200, 800)?;
            screenshots(ctx, &dir, "panel")?;
        }

        ctx.open_extension_page(&format!("sidepanel.html?tab={tab}"))?;
        ctx.wait_for_attr("#page-status", "data-state", "loaded", TIMEOUT)?;
        ctx.wait_for("the conversation", TIMEOUT, |b| {
            Ok(b.text("#agent-conversation")?
                .contains("How can I help")
                .then_some(()))
        })?;
        axe_both_schemes(ctx, "the side panel", Value::Null)?;
        if shots {
            ctx.session().set_window_size(420, 900)?;
            screenshots(ctx, &dir, "sidepanel")?;
        }
        Ok(())
    })();
    if let (Some(w), Some(h)) = (size[0].as_u64(), size[1].as_u64()) {
        let _ = ctx.session().set_window_size(w as u32, h as u32);
    }
    outcome
}

/// Saves the current page as `dir/NAME-light.png` and `dir/NAME-dark.png`.
fn screenshots(b: &Browser, dir: &Path, name: &str) -> Result<()> {
    b.eval("document.activeElement?.blur(); window.scrollTo(0, 0); return null;")?;
    for dark in [false, true] {
        scheme(b, dark)?;
        std::thread::sleep(Duration::from_millis(400));
        let file = format!("{name}-{}.png", if dark { "dark" } else { "light" });
        let shot = b.screenshot(&dir.join(file));
        scheme(b, false)?;
        shot?;
    }
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

/// A JavaScript function of the widget's shadow root: copies it into an open shadow root on a
/// stand-in `#axe-widget-copy` host (see the module documentation) and returns the copy's text.
const COPY_WIDGET: &str = "function (root) {\
   document.getElementById('axe-widget-copy')?.remove();\
   const host = document.createElement('div');\
   host.id = 'axe-widget-copy';\
   host.setAttribute('style', root.host.getAttribute('style'));\
   const copy = host.attachShadow({ mode: 'open' });\
   for (const n of root.childNodes) copy.appendChild(n.cloneNode(true));\
   for (const f of root.querySelectorAll('input,textarea')) {\
     const c = copy.querySelector('[name=\"' + f.name + '\"]'); if (c) c.value = f.value; }\
   document.documentElement.appendChild(host);\
   return copy.textContent + ' ' + [...copy.querySelectorAll('[aria-label],[placeholder]')]\
     .map(e => (e.getAttribute('aria-label') || '') + ' ' + (e.getAttribute('placeholder') || '')).join(' ');\
 }";

/// Copies the widget's closed shadow root into an open one on `#axe-widget-copy` (see the
/// module documentation); returns the copy's text.
fn copy_widget(ctx: &Browser) -> Result<String> {
    let s = ctx.session();
    match ctx.kind() {
        BrowserKind::Chromium => {
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
                    "functionDeclaration":
                        format!("function () {{ return ({COPY_WIDGET})(this); }}"),
                }),
            )?;
            Ok(r["result"]["value"].as_str().unwrap_or_default().to_owned())
        }
        BrowserKind::Firefox => {
            // Marionette's Get Element Shadow Root returns closed roots as well; the
            // reference then goes into a script as an argument like an element.
            let host = ctx.find(e2e::widget::HOST)?;
            let root = s.cmd(
                "GET",
                &format!("/element/{}/shadow", host.id),
                None,
                "the widget's shadow root",
            )?;
            ensure!(
                root.get(SHADOW_KEY).is_some(),
                "not a shadow root reference: {root}"
            );
            let text = ctx.eval_with(
                &format!("return ({COPY_WIDGET})(arguments[0]);"),
                vec![root],
            )?;
            Ok(text.as_str().unwrap_or_default().to_owned())
        }
    }
}

/// WebDriver's key of a shadow root reference.
const SHADOW_KEY: &str = "shadow-6066-11e4-a52e-4f735466cecf";

/// axe on the copy of the widget, light and dark.
fn axe_widget(ctx: &Browser, what: &str) -> Result<String> {
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
