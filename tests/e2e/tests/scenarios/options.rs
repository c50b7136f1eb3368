//! The options page: showing, validating, saving, the site-rule editor, import, export, reset,
//! the background's verdict on a document written behind its back, and Firefox's host
//! permission button.
//!
//! The contract these assume (keep `extension/options.html`, `src/shell/options/` and this
//! file in step):
//! - `body[data-state=ready]` once the page has read the settings.
//! - Inputs: `#mode-sandbox`, `#mode-jivochat`, `#widget-id`, `#loader-url`, `#spa-enabled`,
//!   `#spa-settle-ms`, `#spa-hash-{routes,all,ignore}`, `#spa-title-only`, `#log-max-entries`,
//!   `#loader-timeout-ms`; the site list `#site-list li` (pattern in `.site-pattern`, remove
//!   button `#site-remove-N`), `#site-add` + `#site-add-button` (error in
//!   `#field-error-site-add`), `#site-test-url` → `#site-test-result[data-result]`
//!   (`matched`, `none`, `invalid`).
//! - A problem at a settings path is shown in `#field-error-<path>` with `.` and `[` as `-`
//!   (`#field-error-widgetId`, `#field-error-spa-settleMs`), unhidden.
//! - `#save` writes `storage.local["settings"]`; `#save-status[data-state]` is `saved`,
//!   `invalid`, `dirty`, `clean`, `saving` or `error`.
//! - `#import-file` (a file input) → `#import-status[data-state=ok|error]`, reasons in
//!   `#import-errors li`. `#export` puts the file's blob URL in `a#export-link` and clicks it.
//!   `#reset` opens `dialog#reset-confirm`; `#reset-confirm-yes` / `#reset-confirm-no`.
//! - `#status-user` shows the background's `settingsStatus.userErrors` in
//!   `#status-user-errors li`. `#permission-banner` + `#grant-permission` when host permission
//!   for the sites is missing.

use std::time::Duration;

use anyhow::{ensure, Context as _, Result};
use e2e::browser::{Browser, BrowserKind, TempFile};
use e2e::runner::{Ctx, Scenario};
use e2e::scenario;
use serde_json::{json, Value};

pub const SCENARIOS: &[Scenario] = &[
    scenario!(shows_stored_settings),
    scenario!(inline_errors_and_nothing_saved),
    scenario!(valid_save_registers_sites),
    scenario!(site_rule_editor_and_test_box),
    scenario!(bad_import_is_refused),
    scenario!(good_import_applies),
    scenario!(export_is_the_canonical_document),
    scenario!(reset_to_defaults),
    scenario!(invalid_stored_document_is_shown_rejected),
    scenario!(permission_button).only(BrowserKind::Firefox),
    scenario!(screenshots).only(BrowserKind::Chromium),
];

const TIMEOUT: Duration = Duration::from_secs(5);

/// WebDriver key codes.
const ENTER: &str = "\u{E007}";
const TAB: &str = "\u{E004}";

/// A document with a value other than the default for most keys.
fn custom_settings() -> Value {
    json!({
        "mode": "jivochat",
        "widgetId": "aBcD1234eF",
        "sites": ["https://*.example-shop.com/*", "http://127.0.0.1/plain*"],
        "spa": { "settleMs": 800, "hash": "all", "titleOnly": false },
        "log": { "maxEntries": 5000 },
        "loaderTimeoutMs": 30000
    })
}

/// `custom_settings()` as the canonical document the extension writes.
fn custom_canonical() -> Value {
    json!({
        "mode": "jivochat",
        "widgetId": "aBcD1234eF",
        "loaderUrl": "https://code.jivosite.com/widget/{id}",
        "sites": ["https://*.example-shop.com/*", "http://127.0.0.1/plain*"],
        "spa": {
            "enabled": true, "settleMs": 800, "hash": "all", "titleOnly": false,
            "reportIntervalMs": 500
        },
        "log": { "maxEntries": 5000 },
        "loaderTimeoutMs": 30000,
        "siteWidget": { "graceMs": 1500, "useMineOn": [], "sandboxStandIn": true }
    })
}

fn defaults() -> Value {
    json!({
        "mode": "sandbox",
        "widgetId": "",
        "loaderUrl": "https://code.jivosite.com/widget/{id}",
        "sites": [],
        "spa": {
            "enabled": true, "settleMs": 500, "hash": "routes", "titleOnly": true,
            "reportIntervalMs": 500
        },
        "log": { "maxEntries": 2000 },
        "loaderTimeoutMs": 15000,
        "siteWidget": { "graceMs": 1500, "useMineOn": [], "sandboxStandIn": true }
    })
}

/// Opens the options page in the current tab and waits until it shows the settings.
fn open_options(ctx: &Ctx) -> Result<()> {
    ctx.open_extension_page("options.html")?;
    ctx.wait_for_attr("body", "data-state", "ready", TIMEOUT)
        .context("the options page did not finish loading")
}

/// The site rules as listed on the page.
fn listed_sites(b: &Browser) -> Result<Vec<String>> {
    let list = b.eval(
        "return [...document.querySelectorAll('#site-list li .site-pattern')]\
         .map(e => e.textContent);",
    )?;
    Ok(serde_json::from_value(list)?)
}

/// The visible text of the problem box `#id`, waiting until it is shown.
fn wait_for_problem(b: &Browser, id: &str) -> Result<String> {
    let js = format!(
        "const e = document.getElementById('{id}'); \
         return e && !e.hidden && e.textContent.trim() ? e.textContent : null;"
    );
    let text = b
        .wait_for_js(&js, TIMEOUT)
        .with_context(|| format!("no problem shown in #{id}"))?;
    Ok(text.as_str().unwrap_or_default().to_owned())
}

fn stored_settings(b: &Browser) -> Result<Value> {
    b.storage_get("local", "settings")
}

/// The `matches` of every registered content script.
fn registered_matches(b: &Browser) -> Result<Vec<String>> {
    let list = b.ext_eval(
        "return api.scripting.getRegisteredContentScripts()\
         .then(list => list.map(s => s.matches || []).flat());",
        vec![],
    )?;
    Ok(serde_json::from_value(list)?)
}

/// Waits until the registered content scripts match exactly `patterns` (each script carries
/// all of them).
fn wait_for_registered(b: &Browser, patterns: &[&str]) -> Result<()> {
    let what = format!("content scripts registered for {patterns:?}");
    b.wait_for_noting(&what, TIMEOUT, |b, seen| {
        let mut matches = registered_matches(b)?;
        *seen = format!("{matches:?}");
        matches.sort();
        matches.dedup();
        let mut wanted: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        wanted.sort();
        Ok((matches == wanted).then_some(()))
    })
}

/// Clicks `css` after scrolling it to the middle of the window, clear of the page's sticky top
/// bar and save bar (WebDriver only scrolls elements that are outside the window).
fn click(b: &Browser, css: &str) -> Result<()> {
    b.eval_with(
        "const e = document.querySelector(arguments[0]); \
         if (e) e.scrollIntoView({block: 'center'}); return null;",
        vec![json!(css)],
    )?;
    b.click(css)
}

fn shows_stored_settings(ctx: &mut Ctx) -> Result<()> {
    ctx.set_settings(custom_settings())?;
    open_options(ctx)?;
    ensure!(
        ctx.prop("#mode-jivochat", "checked")? == json!(true),
        "mode"
    );
    ensure!(
        ctx.prop("#widget-id", "value")? == json!("aBcD1234eF"),
        "widgetId"
    );
    ensure!(
        ctx.prop("#loader-url", "value")? == json!("https://code.jivosite.com/widget/{id}"),
        "loaderUrl"
    );
    ensure!(
        listed_sites(ctx)? == ["https://*.example-shop.com/*", "http://127.0.0.1/plain*"],
        "sites: {:?}",
        listed_sites(ctx)?
    );
    ensure!(
        ctx.prop("#spa-enabled", "checked")? == json!(true),
        "spa.enabled"
    );
    ensure!(
        ctx.prop("#spa-settle-ms", "value")? == json!("800"),
        "spa.settleMs"
    );
    ensure!(
        ctx.prop("#spa-hash-all", "checked")? == json!(true),
        "spa.hash"
    );
    ensure!(
        ctx.prop("#spa-title-only", "checked")? == json!(false),
        "spa.titleOnly"
    );
    ensure!(
        ctx.prop("#log-max-entries", "value")? == json!("5000"),
        "log.maxEntries"
    );
    ensure!(
        ctx.prop("#loader-timeout-ms", "value")? == json!("30000"),
        "loaderTimeoutMs"
    );
    // Nothing changed yet: nothing to save, and the URL JivoChat mode loads is shown.
    ensure!(
        ctx.prop("#save", "disabled")? == json!(true),
        "#save is enabled"
    );
    let preview = ctx.text("#loader-url-preview")?;
    ensure!(
        preview.contains("https://code.jivosite.com/widget/aBcD1234eF"),
        "loader preview: {preview:?}"
    );
    ensure!(
        ctx.prop("#status-user", "hidden")? == json!(true),
        "a valid document is reported as rejected"
    );
    // The manifest's host permissions cover the sites: no permission button.
    ctx.wait_for_attr("#permission-banner", "data-permission", "granted", TIMEOUT)?;
    ensure!(
        ctx.prop("#permission-banner", "hidden")? == json!(true),
        "permission banner shown"
    );

    // Settings written elsewhere show up at once while nothing is being edited…
    ctx.set_settings(json!({ "sites": ["https://elsewhere.example/*"] }))?;
    ctx.wait_for_noting("the new settings on the page", TIMEOUT, |b, seen| {
        let sites = listed_sites(b)?;
        *seen = format!("{sites:?}");
        Ok((sites == ["https://elsewhere.example/*"]).then_some(()))
    })?;
    ensure!(
        ctx.prop("#mode-sandbox", "checked")? == json!(true),
        "mode not updated"
    );

    // …and do not replace unsaved edits, which the page says.
    ctx.type_into("#widget-id", "Mine1234")?;
    ctx.set_settings(json!({ "sites": ["https://third.example/*"] }))?;
    ctx.wait_for_js(
        "return !document.getElementById('external-change').hidden",
        TIMEOUT,
    )
    .context("no notice of the outside change")?;
    ensure!(
        ctx.prop("#widget-id", "value")? == json!("Mine1234"),
        "the edit was lost"
    );
    click(ctx, "#external-reload")?;
    ctx.wait_for_noting(
        "the outside settings after discarding",
        TIMEOUT,
        |b, seen| {
            let sites = listed_sites(b)?;
            *seen = format!("{sites:?}");
            Ok((sites == ["https://third.example/*"]).then_some(()))
        },
    )?;
    ensure!(
        ctx.prop("#widget-id", "value")? == json!(""),
        "the edit is still there"
    );
    Ok(())
}

fn inline_errors_and_nothing_saved(ctx: &mut Ctx) -> Result<()> {
    let initial = json!({ "sites": ["https://a.example/*"] });
    ctx.set_settings(initial.clone())?;
    open_options(ctx)?;

    // A problem shows once the field is left…
    ctx.type_into("#widget-id", "bad id!")?;
    ctx.session().send_keys(&ctx.find("#widget-id")?, TAB)?;
    let problem = wait_for_problem(ctx, "field-error-widgetId")?;
    ensure!(
        problem.contains("cannot contain"),
        "widgetId problem: {problem:?}"
    );
    ensure!(
        ctx.attr("#widget-id", "aria-invalid")?.as_deref() == Some("true"),
        "#widget-id is not marked invalid"
    );

    // …or when saving is tried, for every field.
    ctx.type_into("#loader-url", "ftp://cdn.example/loader.js")?;
    ctx.type_into("#spa-settle-ms", "soon")?;
    click(ctx, "#save")?;
    let problem = wait_for_problem(ctx, "field-error-loaderUrl")?;
    ensure!(!problem.is_empty(), "no loaderUrl problem");
    let problem = wait_for_problem(ctx, "field-error-spa-settleMs")?;
    ensure!(
        problem.contains("\"soon\""),
        "spa.settleMs problem: {problem:?}"
    );
    ctx.wait_for_attr("#save-status", "data-state", "invalid", TIMEOUT)?;

    // A bad site rule is refused where it was typed.
    ctx.type_into("#site-add", "example.com/*")?;
    click(ctx, "#site-add-button")?;
    let problem = wait_for_problem(ctx, "field-error-site-add")?;
    ensure!(problem.contains("scheme"), "site rule problem: {problem:?}");
    ensure!(
        listed_sites(ctx)? == ["https://a.example/*"],
        "the bad rule was listed"
    );

    // Nothing was written, and nothing typed was lost.
    std::thread::sleep(Duration::from_millis(300));
    ensure!(
        stored_settings(ctx)? == initial,
        "storage changed: {}",
        stored_settings(ctx)?
    );
    ensure!(
        ctx.prop("#widget-id", "value")? == json!("bad id!"),
        "widget id lost"
    );
    ensure!(
        ctx.prop("#spa-settle-ms", "value")? == json!("soon"),
        "settle lost"
    );
    ensure!(
        ctx.prop("#site-add", "value")? == json!("example.com/*"),
        "rule text lost"
    );

    // Fixing a field clears its problem as it is typed.
    ctx.type_into("#widget-id", "aBcD1234eF")?;
    ctx.wait_for_js(
        "return document.getElementById('field-error-widgetId').hidden",
        TIMEOUT,
    )?;
    Ok(())
}

fn valid_save_registers_sites(ctx: &mut Ctx) -> Result<()> {
    open_options(ctx)?;
    click(ctx, "#mode-jivochat")?;
    ctx.type_into("#widget-id", " aBcD1234eF ")?;
    // Enter in the add box adds; scheme and host are stored lowercase.
    ctx.type_into("#site-add", "HTTP://127.0.0.1/plain*")?;
    ctx.session().send_keys(&ctx.find("#site-add")?, ENTER)?;
    ctx.type_into("#site-add", "https://*.example.com/*")?;
    click(ctx, "#site-add-button")?;
    ensure!(
        listed_sites(ctx)? == ["http://127.0.0.1/plain*", "https://*.example.com/*"],
        "listed: {:?}",
        listed_sites(ctx)?
    );
    ctx.type_into("#loader-timeout-ms", "20000")?;
    ctx.wait_for_attr("#save-status", "data-state", "dirty", TIMEOUT)?;
    click(ctx, "#save")?;
    ctx.wait_for_attr("#save-status", "data-state", "saved", TIMEOUT)?;

    let mut expected = defaults();
    expected["mode"] = json!("jivochat");
    expected["widgetId"] = json!("aBcD1234eF");
    expected["sites"] = json!(["http://127.0.0.1/plain*", "https://*.example.com/*"]);
    expected["loaderTimeoutMs"] = json!(20000);
    let stored = stored_settings(ctx)?;
    ensure!(stored == expected, "stored {stored}, expected {expected}");
    wait_for_registered(ctx, &["http://127.0.0.1/plain*", "https://*.example.com/*"])?;
    ensure!(
        ctx.prop("#save", "disabled")? == json!(true),
        "#save still enabled"
    );

    // Removing a rule and saving again re-registers.
    click(ctx, "#site-remove-1")?;
    click(ctx, "#save")?;
    ctx.wait_for_attr("#save-status", "data-state", "saved", TIMEOUT)?;
    wait_for_registered(ctx, &["http://127.0.0.1/plain*"])?;
    Ok(())
}

fn site_rule_editor_and_test_box(ctx: &mut Ctx) -> Result<()> {
    ctx.set_settings(json!({ "sites": ["https://a.example/*", "*://*.b.example/shop/*"] }))?;
    open_options(ctx)?;
    let result = |b: &Browser| -> Result<(Option<String>, String)> {
        Ok((
            b.attr("#site-test-result", "data-result")?,
            b.text("#site-test-result")?,
        ))
    };

    ctx.type_into("#site-test-url", "http://www.b.example/shop/cart?id=7")?;
    let (state, text) = result(ctx)?;
    ensure!(state.as_deref() == Some("matched"), "{state:?} {text:?}");
    ensure!(
        text.contains('2') && text.contains("*://*.b.example/shop/*"),
        "{text:?}"
    );

    ctx.type_into("#site-test-url", "https://c.example/")?;
    let (state, text) = result(ctx)?;
    ensure!(state.as_deref() == Some("none"), "{state:?} {text:?}");

    ctx.type_into("#site-test-url", "chrome://extensions")?;
    let (state, text) = result(ctx)?;
    ensure!(state.as_deref() == Some("invalid"), "{state:?} {text:?}");

    // The box tests the list being edited, saved or not; a repeat is refused.
    ctx.type_into("#site-add", "https://c.example/*")?;
    click(ctx, "#site-add-button")?;
    ctx.type_into("#site-test-url", "https://c.example/")?;
    let (state, text) = result(ctx)?;
    ensure!(
        state.as_deref() == Some("matched") && text.contains('3'),
        "{state:?} {text:?}"
    );
    ctx.type_into("#site-add", "HTTPS://A.example/*")?;
    click(ctx, "#site-add-button")?;
    let problem = wait_for_problem(ctx, "field-error-site-add")?;
    // In the reader's words (`err_rule_repeats`): which rule it repeats, counted from 1.
    ensure!(
        problem.contains("1") && problem.contains("https://a.example/*"),
        "repeat problem: {problem:?}"
    );

    // Removing by keyboard moves focus to the next rule's button.
    click(ctx, "#site-remove-0")?;
    ensure!(
        listed_sites(ctx)? == ["*://*.b.example/shop/*", "https://c.example/*"],
        "after remove: {:?}",
        listed_sites(ctx)?
    );
    let focused = ctx.eval("return document.activeElement && document.activeElement.id")?;
    ensure!(focused == json!("site-remove-0"), "focus went to {focused}");
    Ok(())
}

fn bad_import_is_refused(ctx: &mut Ctx) -> Result<()> {
    let initial = json!({ "sites": ["https://a.example/*"] });
    ctx.set_settings(initial.clone())?;
    open_options(ctx)?;

    let garbage = TempFile::new(ctx, "garbage.json", "this is not { json")?;
    ctx.choose_file("#import-file", &garbage)?;
    ctx.wait_for_attr("#import-status", "data-state", "error", TIMEOUT)?;
    let reasons = ctx.eval(
        "return [...document.querySelectorAll('#import-errors li')].map(e => e.textContent);",
    )?;
    ensure!(
        reasons.to_string().contains("not valid JSON"),
        "reasons: {reasons}"
    );

    // Every reason is listed.
    let bad = TempFile::new(
        ctx,
        "bad.json",
        r#"{"mode": "live", "spa": {"settleMs": 20000}, "widgetID": "x"}"#,
    )?;
    ctx.choose_file("#import-file", &bad)?;
    ctx.wait_for_js(
        "return document.querySelectorAll('#import-errors li').length === 3",
        TIMEOUT,
    )?;
    let reasons = ctx.eval(
        "return [...document.querySelectorAll('#import-errors li')].map(e => e.textContent);",
    )?;
    let reasons = reasons.to_string();
    for needle in ["mode", "spa.settleMs", "widgetId"] {
        ensure!(reasons.contains(needle), "{needle} missing from {reasons}");
    }

    std::thread::sleep(Duration::from_millis(300));
    ensure!(stored_settings(ctx)? == initial, "storage changed");
    ensure!(
        listed_sites(ctx)? == ["https://a.example/*"],
        "the form changed"
    );
    Ok(())
}

fn good_import_applies(ctx: &mut Ctx) -> Result<()> {
    open_options(ctx)?;
    let file = TempFile::new(
        ctx,
        "good.json",
        r#"{"sites": ["HTTP://127.0.0.1/plain*"], "spa": {"hash": "ignore"}}"#,
    )?;
    ctx.choose_file("#import-file", &file)?;
    ctx.wait_for_attr("#import-status", "data-state", "ok", TIMEOUT)?;
    let mut expected = defaults();
    expected["sites"] = json!(["http://127.0.0.1/plain*"]);
    expected["spa"]["hash"] = json!("ignore");
    let stored = stored_settings(ctx)?;
    ensure!(stored == expected, "stored {stored}");
    ensure!(
        listed_sites(ctx)? == ["http://127.0.0.1/plain*"],
        "form not updated"
    );
    ensure!(
        ctx.prop("#spa-hash-ignore", "checked")? == json!(true),
        "spa.hash not shown"
    );
    wait_for_registered(ctx, &["http://127.0.0.1/plain*"])?;
    Ok(())
}

fn export_is_the_canonical_document(ctx: &mut Ctx) -> Result<()> {
    let mut doc = custom_settings();
    doc["sites"] = json!(["HTTPS://*.Example-Shop.com/*", "http://127.0.0.1/plain*"]);
    ctx.set_settings(doc)?;
    open_options(ctx)?;
    // Keep the download itself from happening; the page still makes the file and its link.
    ctx.eval(
        "document.addEventListener('click', e => { \
           if (e.target.id === 'export-link') e.preventDefault(); }, true); return null;",
    )?;
    click(ctx, "#export")?;
    ctx.wait_for_element("#export-link", TIMEOUT)?;
    ensure!(
        ctx.attr("#export-link", "download")?.as_deref()
            == Some("jivo-widget-injector-settings.json"),
        "download name"
    );
    let text =
        ctx.eval("return fetch(document.getElementById('export-link').href).then(r => r.text());")?;
    let text = text.as_str().context("the export is not text")?;
    let expected = "{\n  \"mode\": \"jivochat\",\n  \"widgetId\": \"aBcD1234eF\",\n  \
        \"loaderUrl\": \"https://code.jivosite.com/widget/{id}\",\n  \"sites\": [\n    \
        \"https://*.example-shop.com/*\",\n    \"http://127.0.0.1/plain*\"\n  ],\n  \
        \"spa\": {\n    \"enabled\": true,\n    \"settleMs\": 800,\n    \"hash\": \"all\",\n    \
        \"titleOnly\": false,\n    \"reportIntervalMs\": 500\n  },\n  \"log\": {\n    \
        \"maxEntries\": 5000\n  },\n  \"loaderTimeoutMs\": 30000,\n  \"siteWidget\": {\n    \
        \"graceMs\": 1500,\n    \"useMineOn\": [],\n    \"sandboxStandIn\": true\n  }\n}\n";
    ensure!(text == expected, "exported:\n{text}\nexpected:\n{expected}");
    ensure!(serde_json::from_str::<Value>(text)? == custom_canonical());
    Ok(())
}

fn reset_to_defaults(ctx: &mut Ctx) -> Result<()> {
    ctx.set_settings(custom_settings())?;
    open_options(ctx)?;
    let dialog_open = "return document.getElementById('reset-confirm').open";

    // Cancel changes nothing.
    click(ctx, "#reset")?;
    ctx.wait_for_js(dialog_open, TIMEOUT)?;
    click(ctx, "#reset-confirm-no")?;
    ensure!(
        ctx.eval(dialog_open)? == json!(false),
        "the dialog stayed open"
    );
    ensure!(
        stored_settings(ctx)? == custom_settings(),
        "cancel changed the settings"
    );

    click(ctx, "#reset")?;
    ctx.wait_for_js(dialog_open, TIMEOUT)?;
    click(ctx, "#reset-confirm-yes")?;
    ctx.wait_for_attr("#save-status", "data-state", "saved", TIMEOUT)?;
    let stored = stored_settings(ctx)?;
    ensure!(stored == defaults(), "stored after reset: {stored}");
    ensure!(listed_sites(ctx)?.is_empty(), "sites still listed");
    ensure!(
        ctx.prop("#mode-sandbox", "checked")? == json!(true),
        "mode not reset"
    );
    ensure!(
        ctx.prop("#widget-id", "value")? == json!(""),
        "widget id not reset"
    );
    wait_for_registered(ctx, &[])?;
    Ok(())
}

fn invalid_stored_document_is_shown_rejected(ctx: &mut Ctx) -> Result<()> {
    ctx.set_settings(json!({ "sites": ["http://127.0.0.1/plain*"] }))?;
    wait_for_registered(ctx, &["http://127.0.0.1/plain*"])?;
    open_options(ctx)?;

    // Someone writes an invalid document straight into storage while the page is open.
    ctx.set_settings(json!({ "sites": ["ftp://files.example/*"], "widgetID": "x" }))?;
    ctx.wait_for_js(
        "return !document.getElementById('status-user').hidden",
        TIMEOUT,
    )
    .context("the rejection is not shown")?;
    let reasons = ctx.eval(
        "return [...document.querySelectorAll('#status-user-errors li')]\
         .map(e => e.textContent).join('\\n');",
    )?;
    let reasons = reasons.as_str().unwrap_or_default().to_owned();
    ensure!(
        reasons.contains("widgetID") && reasons.contains("ftp"),
        "reasons: {reasons}"
    );
    // The previous settings stay in force and on the page.
    ensure!(
        listed_sites(ctx)? == ["http://127.0.0.1/plain*"],
        "listed: {:?}",
        listed_sites(ctx)?
    );
    std::thread::sleep(Duration::from_millis(300));
    wait_for_registered(ctx, &["http://127.0.0.1/plain*"])?;

    // Opened afresh, the page says the same, and saving the form replaces the bad document.
    open_options(ctx)?;
    ctx.wait_for_js(
        "return !document.getElementById('status-user').hidden",
        TIMEOUT,
    )?;
    ensure!(
        listed_sites(ctx)? == ["http://127.0.0.1/plain*"],
        "listed after reload: {:?}",
        listed_sites(ctx)?
    );
    ensure!(
        ctx.prop("#save", "disabled")? == json!(false),
        "cannot save over it"
    );
    click(ctx, "#save")?;
    ctx.wait_for_attr("#save-status", "data-state", "saved", TIMEOUT)?;
    ctx.wait_for_js(
        "return document.getElementById('status-user').hidden",
        TIMEOUT,
    )
    .context("the rejection is still shown after saving")?;
    let mut expected = defaults();
    expected["sites"] = json!(["http://127.0.0.1/plain*"]);
    ensure!(
        stored_settings(ctx)? == expected,
        "stored {}",
        stored_settings(ctx)?
    );
    Ok(())
}

/// Firefox grants MV3 host permissions at the user's choice: without them the page shows a
/// button that asks. The test takes the permission away, lets the request through without a
/// prompt, and checks that the button brings it back.
fn permission_button(ctx: &mut Ctx) -> Result<()> {
    const ALL: [&str; 2] = ["http://*/*", "https://*/*"];
    let session = ctx.session();
    session.set_context("chrome")?;
    let pref = session.execute(
        "Services.prefs.setBoolPref('extensions.webextOptionalPermissionPrompts', false); \
         return null;",
        vec![],
    );
    session.set_context("content")?;
    pref?;
    ctx.set_settings(json!({ "sites": ["http://127.0.0.1/plain*"] }))?;
    ctx.ext_eval(
        "return api.permissions.remove({origins: arguments[0]});",
        vec![json!(ALL)],
    )?;
    let outcome = (|| -> Result<()> {
        open_options(ctx)?;
        ctx.wait_for_js(
            "return !document.getElementById('permission-banner').hidden",
            TIMEOUT,
        )
        .context("no permission banner without the host permission")?;
        let origins = ctx.text("#permission-origins")?;
        ensure!(
            origins.contains("http://127.0.0.1/*"),
            "origins: {origins:?}"
        );
        click(ctx, "#grant-permission")?;
        ctx.wait_for_js(
            "return document.getElementById('permission-banner').hidden",
            TIMEOUT,
        )
        .context("the banner stayed after granting")?;
        let granted = ctx.ext_eval(
            "return api.permissions.contains({origins: ['http://127.0.0.1/*']});",
            vec![],
        )?;
        ensure!(granted == json!(true), "not granted");
        Ok(())
    })();
    // Give back what the other scenarios expect, whatever happened.
    let restored = restore_host_permissions(ctx, &ALL);
    let session = ctx.session();
    session.set_context("chrome")?;
    let pref = session.execute(
        "Services.prefs.clearUserPref('extensions.webextOptionalPermissionPrompts'); return null;",
        vec![],
    );
    session.set_context("content")?;
    pref?;
    outcome.and(restored)
}

/// Asks for `origins` again from a click (a user gesture, as `permissions.request` needs).
fn restore_host_permissions(ctx: &Ctx, origins: &[&str]) -> Result<()> {
    // A new tab: reopening the page in the same tab could leave the old document in place
    // for a moment.
    ctx.new_tab()?;
    ctx.open_extension_page("options.html")?;
    ctx.wait_for_attr("body", "data-state", "ready", TIMEOUT)?;
    ctx.eval_with(
        "const b = document.createElement('button'); b.id = 'jwi-restore'; \
         b.textContent = 'restore'; \
         b.style.cssText = 'position:fixed;top:0;left:0;z-index:99999;padding:20px'; \
         const origins = arguments[0]; \
         b.onclick = () => { window.jwiRestored = browser.permissions.request({origins}); }; \
         document.body.append(b); return null;",
        vec![json!(origins)],
    )?;
    click(ctx, "#jwi-restore")?;
    ctx.wait_for_js("return window.jwiRestored && window.jwiRestored", TIMEOUT)
        .context("the host permissions were not given back")?;
    let granted = ctx.ext_eval(
        "return api.permissions.contains({origins: arguments[0]});",
        vec![json!(origins)],
    )?;
    ensure!(granted == json!(true), "host permissions not restored");
    Ok(())
}

/// Saves the page in light and dark to `tests/e2e/artifacts/options-{light,dark}.png` (copied
/// to `docs/screenshots/` by hand when the page changes).
fn screenshots(ctx: &mut Ctx) -> Result<()> {
    let mut doc = custom_settings();
    doc["sites"] = json!([
        "https://*.example-shop.com/*",
        "https://staging.example.com/*",
        "*://localhost/*"
    ]);
    ctx.set_settings(doc)?;
    let size = ctx.eval("return [window.outerWidth, window.outerHeight];")?;
    ctx.session().set_window_size(1100, 1900)?;
    let outcome = (|| -> Result<()> {
        open_options(ctx)?;
        ctx.type_into("#site-test-url", "https://shop.example-shop.com/cart")?;
        ctx.type_into("#widget-id", "aBcD1234eF!")?;
        ctx.session().send_keys(&ctx.find("#widget-id")?, TAB)?;
        wait_for_problem(ctx, "field-error-widgetId")?;
        ctx.eval("document.activeElement.blur(); window.scrollTo(0, 0); return null;")?;
        // Just tall enough for the whole page.
        let height = ctx.eval(
            "return Math.ceil(document.querySelector('main').getBoundingClientRect().bottom) + 8 \
             + window.outerHeight - window.innerHeight;",
        )?;
        if let Some(height) = height.as_u64() {
            ctx.session().set_window_size(1100, height as u32)?;
        }
        let dir = e2e::artifacts_dir();
        ctx.screenshot(&dir.join("options-light.png"))?;
        ctx.session().cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [{ "name": "prefers-color-scheme", "value": "dark" }] }),
        )?;
        std::thread::sleep(Duration::from_millis(200));
        ctx.screenshot(&dir.join("options-dark.png"))?;
        Ok(())
    })();
    let _ = ctx
        .session()
        .cdp("Emulation.setEmulatedMedia", json!({ "features": [] }));
    if let (Some(w), Some(h)) = (size[0].as_u64(), size[1].as_u64()) {
        let _ = ctx.session().set_window_size(w as u32, h as u32);
    }
    outcome
}
