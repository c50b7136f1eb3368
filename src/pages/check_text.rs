//! A finding's words as a person reads them: the check's title and advice from `_locales`
//! (`check_<id>_title`, `check_<id>_advice`, the id with `_` for `-`), falling back to the
//! core's English. The detail is its cause's phrase in the UI language, with the page's own
//! values as they are (a finding imported from an older file without a cause shows its English
//! detail); the quote is the Widget API reference's English text.

use jwi_browser::i18n;
use jwi_core::checks::{CheckId, Finding, Severity};

fn key(check: CheckId, part: &str) -> String {
    format!("check_{}_{part}", check.id().replace('-', "_"))
}

/// The check's title in the UI language.
pub fn title(check: CheckId) -> String {
    i18n::message(&key(check, "title"), &[]).unwrap_or_else(|| check.title().to_owned())
}

/// The check's advice in the UI language.
pub fn advice(check: CheckId) -> String {
    i18n::message(&key(check, "advice"), &[]).unwrap_or_else(|| check.advice().to_owned())
}

/// The severity's name in the UI language.
pub fn severity(s: Severity) -> String {
    i18n::t(&format!("severity_{}", s.name()), &[])
}

/// What exactly happened, in the UI language.
pub fn detail(f: &Finding) -> String {
    match &f.cause {
        Some(cause) => i18n::say(&cause.phrase()),
        None => f.detail.clone(),
    }
}
