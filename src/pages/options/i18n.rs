//! The page's words from `_locales` (`i18n.getMessage`), in the browser's language.

use wasm_bindgen::JsCast;

/// The message `key` with `$1`… replaced by `subs`; the key itself if it is missing (a test
/// checks that none is).
pub fn t(key: &str, subs: &[&str]) -> String {
    jwi_browser::bindings::message(key, subs).unwrap_or_else(|| key.to_owned())
}

/// Puts the messages into the page: the text of every `[data-i18n]` element (`` `…` `` parts
/// as code), and the
/// attributes named by `data-i18n-title`, `data-i18n-placeholder` and `data-i18n-aria-label`.
/// English stays where a message is missing. Also sets `<html lang>`.
pub fn localize_page() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let (Some(root), Some(lang)) = (
        document.document_element(),
        jwi_browser::bindings::message("@@ui_locale", &[]),
    ) {
        let _ = root.set_attribute("lang", &lang.replace('_', "-"));
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
            let Some(text) = el
                .get_attribute(data)
                .and_then(|key| jwi_browser::bindings::message(&key, &[]))
            else {
                continue;
            };
            match attr {
                None => super::view::set_rich_text(&el, &text),
                Some(attr) => {
                    let _ = el.set_attribute(attr, &text);
                }
            }
        }
    }
}
