//! The first-run page (`welcome.html`), opened when the extension is installed: what the two
//! modes are, and a box that adds a site rule so that the widget appears somewhere at once.
//!
//! The box takes a rule (`https://*.example.com/*`) or a plain address
//! (`https://shop.example/cart`), which becomes the rule for its whole site; either way the
//! settings module's own site-rule parsing decides, and its problems show in the reader's
//! language (`FieldError::key`), tied to the box (`aria-invalid`, `aria-describedby`).

use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use jwi_browser::storage::{self, Area};
use jwi_browser::{dom, ext, i18n};
use jwi_core::settings::FieldError;
use jwi_core::storage_keys;
use jwi_core::view::settings_form::{self, Form};

/// Entry point, called by `welcome.js`.
#[wasm_bindgen]
pub fn start_welcome() {
    i18n::localize_page();
    // Only the browser's user (or a command line, as `./build.sh demo`) can open this page
    // with a query: it is not web-accessible. `welcome.html?add=<address or rule>` adds that
    // site's rule at once, exactly as the button would (same checks, same confirmation);
    // `welcome.html?site=…` only fills the box, adding staying the user's click.
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
    let param = |name: &str| params.as_ref().and_then(|p| p.get(name));
    dom::on("add-form", "submit", |e| {
        e.prevent_default();
        add(true, None);
    });
    // The page ships the button disabled: a click before this handler is in place would submit
    // the form to the page itself (a reload that loses the click).
    dom::set_disabled("add", false);
    if let Some(site) = param("add") {
        dom::set_value("site", &site);
        // `&open=1` (the demo): once the rule is in force, open the address itself, so that
        // the widget is on it from the first load.
        let open = param("open").is_some() && !site.contains('*');
        add(false, open.then_some(site));
    } else if let Some(site) = param("site") {
        dom::set_value("site", &site);
        dom::focus("add");
    }
    dom::on("site", "input", |_| show_problems(&[]));
}

/// What the user typed as a rule: a pattern as is; an address (`https://shop.example/cart`,
/// `shop.example`) as the rule for its whole site.
pub fn rule_text(typed: &str) -> String {
    let t = typed.trim();
    if t.contains('*') || t == "<all_urls>" {
        return t.to_owned();
    }
    let (scheme, rest) = match t.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => ("*".to_owned(), t),
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // A port is the user's, not the rule's: patterns match every port.
    let host = match host.rsplit_once(':') {
        Some((h, p))
            if !h.is_empty() && !h.ends_with(']') && p.bytes().all(|b| b.is_ascii_digit()) =>
        {
            h
        }
        _ => host,
    };
    format!("{scheme}://{host}/*")
}

/// Adds the box's site. `clicked`: inside the user's click, so the host permission can be
/// asked for (outside a gesture the browsers refuse the request; the popup offers it later
/// if the browser has not granted it with the install). `open`: an address to open in a new
/// tab once the background has registered the content script for the added rule.
fn add(clicked: bool, open: Option<String>) {
    let typed = dom::value_of("site");
    if typed.trim().is_empty() {
        dom::focus("site");
        return;
    }
    let rule = rule_text(&typed);
    // The host permission must be asked for in the click itself (Firefox asks the user);
    // checking the rule first needs nothing asynchronous.
    if let Err(problems) = settings_form::add_site(&Form::from_document(&json!({})), &rule, None) {
        show_problems(&problems);
        dom::focus("site");
        return;
    }
    if let (true, Ok(rule)) = (clicked, jwi_core::site_rule::SiteRule::parse(&rule)) {
        let rules: jwi_core::site_rule::SiteRules = [rule].into_iter().collect();
        let origins = settings_form::permission_origins(&rules);
        let _ =
            jwi_browser::bindings::permissions_request(&ext::to_js(&json!({ "origins": origins })));
    }
    spawn_local(async move {
        let stored = storage::get_or_empty(Area::Local, &[storage_keys::SETTINGS]).await;
        let doc = stored
            .get(storage_keys::SETTINGS)
            .cloned()
            .unwrap_or_else(|| json!({}));
        let mut form = Form::from_document(&doc);
        match settings_form::add_site(&form, &rule, None) {
            Ok(canonical) => {
                if !form.sites.contains(&canonical) {
                    form.sites.push(canonical.clone());
                }
                let saved: Value = form.to_document();
                match storage::set_one(Area::Local, storage_keys::SETTINGS, saved).await {
                    Ok(()) => {
                        dom::set_value("site", "");
                        if let Some(el) = dom::by_id("added") {
                            dom::set_rich_text(&el, &i18n::t("welcome_added", &[&canonical]));
                        }
                        if let Some(url) = open {
                            open_when_registered(&canonical, &url).await;
                        }
                    }
                    Err(e) => dom::set_text("added", &e),
                }
            }
            // Already listed counts as added.
            Err(p)
                if p.iter()
                    .any(|e| e.key.as_deref() == Some("err_rule_repeats")) =>
            {
                if let Some(el) = dom::by_id("added") {
                    dom::set_rich_text(&el, &i18n::t("welcome_added", &[&rule]));
                }
            }
            Err(problems) => show_problems(&problems),
        }
    });
}

/// Waits (up to 5 s) until the background has registered the content script for `rule`,
/// then opens `url` in a new tab.
async fn open_when_registered(rule: &str, url: &str) {
    for _ in 0..50 {
        let scripts = ext::call(ext::get_registered_content_scripts())
            .await
            .map(|v| ext::from_js(&v))
            .unwrap_or_default();
        let covered = scripts.as_array().into_iter().flatten().any(|s| {
            s["matches"]
                .as_array()
                .is_some_and(|m| m.iter().any(|m| m == rule))
        });
        if covered {
            break;
        }
        jwi_browser::timers::sleep(100).await;
    }
    if let Ok(p) = ext::tabs_create(&ext::to_js(&json!({ "url": url }))) {
        let _ = ext::call(p).await;
    }
}

/// Shows the problems with the box's rule (none: clears them).
fn show_problems(problems: &[FieldError]) {
    let text = problems
        .iter()
        .map(|p| crate::field_error_text(p).unwrap_or_else(|| settings_form::inline_message(p)))
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(el) = dom::by_id("site-error") {
        dom::set_rich_text(&el, &text);
    }
    dom::set_hidden("site-error", problems.is_empty());
    let site = dom::by_id("site");
    if let Some(site) = site {
        if problems.is_empty() {
            let _ = site.remove_attribute("aria-invalid");
            let _ = site.set_attribute("aria-describedby", "site-hint");
        } else {
            let _ = site.set_attribute("aria-invalid", "true");
            let _ = site.set_attribute("aria-describedby", "site-hint site-error");
            let _ = site.set_attribute("aria-errormessage", "site-error");
        }
    }
    if !problems.is_empty() {
        dom::set_text("added", "");
    }
}

#[cfg(test)]
mod tests {
    use super::rule_text;

    #[test]
    fn an_address_becomes_the_rule_for_its_site() {
        assert_eq!(
            rule_text(" https://Shop.example/cart?x=1 "),
            "https://Shop.example/*"
        );
        assert_eq!(rule_text("shop.example"), "*://shop.example/*");
        assert_eq!(rule_text("http://127.0.0.1:8080/"), "http://127.0.0.1/*");
        assert_eq!(
            rule_text("https://*.example.com/*"),
            "https://*.example.com/*"
        );
        assert_eq!(rule_text("ftp://x.example/"), "ftp://x.example/*");
    }
}
