//! The extension's words, from `_locales` through `i18n.getMessage`, with one rule for every
//! surface: a message the locale lacks falls back to the default locale (English, by the
//! browser), and a key missing from every locale shows as the key itself. Native tests in
//! `jwi-core` check that every key the surfaces use is in both locales, so the last case is
//! a build mistake made visible, never a silent blank.

use js_sys::Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use jwi_core::phrase::{fill, Phrase};

use crate::dom;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["browser", "i18n"], js_name = getMessage, catch)]
    fn get_message(name: &str, substitutions: &JsValue) -> Result<JsValue, JsValue>;
}

/// The message `name` with `$1`… replaced by `subs`; `None` if no locale has it.
pub fn message(name: &str, subs: &[&str]) -> Option<String> {
    let subs: Array = subs.iter().map(|s| JsValue::from_str(s)).collect();
    get_message(name, &subs)
        .ok()
        .and_then(|m| m.as_string())
        .filter(|m| !m.is_empty())
}

/// The message `key` with `$1`… replaced by `subs`, or the key itself if no locale has it.
pub fn t(key: &str, subs: &[&str]) -> String {
    message(key, subs).unwrap_or_else(|| key.to_owned())
}

/// A sentence of the core ([`Phrase`]) in the UI language: each phrase among its parts first,
/// then its own message with the parts; the core's English where no locale has the key.
pub fn say(phrase: &Phrase) -> String {
    phrase.say(&|p: &Phrase, parts: &[String]| {
        let subs: Vec<&str> = parts.iter().map(String::as_str).collect();
        message(p.key, &subs).unwrap_or_else(|| fill(p.english, parts))
    })
}

/// The browser's UI language as a BCP 47 tag (`en`, `ru`, `pt-BR`).
pub fn ui_language() -> Option<String> {
    message("@@ui_locale", &[]).map(|l| l.replace('_', "-"))
}

/// Puts the messages into an extension page: the text of every `[data-i18n]` element
/// (`` `…` `` parts as code), and the attributes named by `data-i18n-title`,
/// `data-i18n-placeholder` and `data-i18n-aria-label`. Also sets `<html lang>`.
pub fn localize_page() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let (Some(root), Some(lang)) = (document.document_element(), ui_language()) {
        let _ = root.set_attribute("lang", &lang);
    }
    let targets: [(&str, Option<&str>); 4] = [
        ("data-i18n", None),
        ("data-i18n-title", Some("title")),
        ("data-i18n-placeholder", Some("placeholder")),
        ("data-i18n-aria-label", Some("aria-label")),
    ];
    for (data, attr) in targets {
        let Ok(nodes) = document.query_selector_all(&format!("[{data}]")) else {
            continue;
        };
        for i in 0..nodes.length() {
            let Some(el) = nodes
                .item(i)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            else {
                continue;
            };
            let Some(text) = el.get_attribute(data).and_then(|key| message(&key, &[])) else {
                continue;
            };
            match attr {
                None => dom::set_rich_text(&el, &text),
                Some(attr) => {
                    let _ = el.set_attribute(attr, &text);
                }
            }
        }
    }
}
