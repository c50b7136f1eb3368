//! The functional core of Jivo Widget Injector: plain Rust with no browser types, so the compiler
//! holds the line between deciding and doing. Every surface's decisions live here and are tested
//! natively (`cargo test --workspace`); the browser crates only turn events into these inputs and
//! these outputs into browser calls.
//!
//! - [`api`]: the Widget API's vocabulary and argument validation;
//! - [`protocol`]: every message between contexts, with bounded decoding;
//! - [`settings`] and [`site_rule`]: the settings document and the site rules it holds;
//! - [`spa`]: the SPA tracker; [`sandbox`]: the sandbox widget model;
//! - [`event_log`]: the per-tab log; [`page_gate`]: the gate for page messages;
//! - [`storage_keys`]: every key kept in extension storage;
//! - [`jivochat`]: JivoChat mode's decisions about the real loader;
//! - [`checks`]: integration checks, judging a page's log against the Widget API reference;
//! - [`content_build`]: which build of the content bundle a page's CSP lets Chromium run;
//! - [`phrase`]: sentences the core makes that a surface says in its reader's language;
//! - [`session`]: a tab's session as a JSON file and an HTML report;
//! - [`view`]: the DOM-free view models of the extension's surfaces.
//!
//! See `docs/architecture.md` for how the crates fit together.

pub mod api;
pub mod checks;
pub mod content_build;
pub mod event_log;
pub mod jivochat;
pub mod page_gate;
pub mod phrase;
pub mod protocol;
pub mod sandbox;
pub mod session;
pub mod settings;
pub mod site_rule;
pub mod spa;
pub mod storage_keys;
pub mod view;

/// What the core's tests share.
#[cfg(test)]
pub(crate) mod test_support {
    /// The extension's English and Russian messages (`extension/_locales`), parsed.
    pub fn locales() -> (serde_json::Value, serde_json::Value) {
        let parse = |text: &str| serde_json::from_str(text).expect("a locale file parses");
        (
            parse(include_str!("../../extension/_locales/en/messages.json")),
            parse(include_str!("../../extension/_locales/ru/messages.json")),
        )
    }

    /// The numbers of the `$1`…`$9` parts a message or template uses, sorted, each once.
    pub fn placeholders(message: &str) -> Vec<char> {
        let mut found: Vec<char> = message
            .split('$')
            .skip(1)
            .filter_map(|s| s.chars().next().filter(char::is_ascii_digit))
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }
}
