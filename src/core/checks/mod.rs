//! Integration checks: judges what a page did with its JivoChat widget, as the event log and
//! the shell saw it, against the Widget API reference, and reports [`Finding`]s.
//!
//! Plain Rust, no browser types. A [`Checker`] is fed the log's [`Entry`]s in order
//! ([`Checker::push`]) and the few [`PageFact`]s the log has no entry kind for
//! ([`Checker::observe`]); [`Checker::findings`] is the verdict so far. [`check`] does a whole
//! log at once.
//!
//! # Findings
//!
//! - **One per check and subject.** A finding is about one thing within its check (a method,
//!   a callback, a reason); repeats on the same or later pages add an occurrence and their
//!   entry ids to its evidence ([`MAX_EVIDENCE`] newest kept) instead of a new finding. The
//!   detail is the first occurrence's, with reasons and values whole.
//! - **Per page state.** Rules that depend on what happened earlier on the page ("before the
//!   widget loaded", "no `isCallbackEnabled` before") start over at each `pageLoad` entry, and
//!   are skipped until the checker has seen one (its log may start mid-page).
//! - **Page calls only.** Rules about calls judge `origin: page` calls; the popup console and
//!   the SPA tracker are the extension's. `jivo_destroy()` from any origin still counts as
//!   destroying the widget.
//! - **Evidence** is a list of log entry ids ([`Entry::id`]); [`Checker::is_error_evidence`]
//!   and [`error_evidence`] tell the popup's Errors filter which entries to add,
//!   [`Checker::error_count`] / [`error_count`] give the badge number.
//!
//! # The rules
//!
//! Each [`CheckId`] has a stable id, a fixed [`Severity`], a title, advice and the reference's
//! words ([`CheckId::quote`]); `docs/checks.md` lists them.
//!
//! | id | severity | fires when | subject |
//! |---|---|---|---|
//! | `api-before-load` | error | the page calls a `jivo_api` method while the widget is not loaded: before this page's `jivo_onLoadCallback`, or after `jivo_destroy()` / `jivo_onWidgetDestroy` until it fires again (`jivo_init`/`jivo_destroy` themselves are not `jivo_api` methods) | method |
//! | `invalid-arguments` | error | [`ApiCall::from_args`] refuses a page call's arguments (except the two cases below) | method and error |
//! | `call-failed` | warning | a page call with valid arguments returned `{result: 'fail', …}` (the returned object is shown whole) or threw; an answer through a callback (`isCallbackEnabled`) is not a failure of the page | method and reason |
//! | `duplicate-widget` | error | a [`PageFact::Loaders`] lists two or more loaders (counted once per page), or `jivo_onLoadCallback` fires twice on a page with no `jivo_destroy()` / `jivo_onWidgetDestroy` between | `loaders` / `jivo_onLoadCallback` |
//! | `handler-defined-late` | warning | a [`PageFact::HandlerDefined`] arrives while the widget is loaded (evidence: the `jivo_onLoadCallback` entry) | callback |
//! | `handler-replaced` | warning | a [`PageFact::HandlerDefined`] for a callback already defined on the page, by a different script (two definitions with the same, or both unknown, script do not count) | callback |
//! | `handler-threw` | error | a `callbackThrew` entry | callback and message |
//! | `guessable-user-token` | warning | a valid page `setUserToken` whose token is a number (digits, optionally negative), an e-mail address ([`Email::parse`]), a sequential id (1–12 letters, optional `-_:#./`, digits: `user42`, `id-1007`) or shorter than [`MIN_TOKEN_CHARS`] | `number` / `email` / `sequential-id` / `short` |
//! | `custom-data-markup` | warning | a valid page `setCustomData` with a field whose content has a tag (`<` then a letter, `/` or `!`, and a later `>`) | `content` |
//! | `custom-data-no-content` | error | a page `setCustomData` refused because the field the error names has a missing, `null` or blank `content` | the error |
//! | `widget-color-not-hex` | error | a page `setWidgetColor` refused (`color` or `color2` not a hex code) | the error |
//! | `start-call-unchecked` | note | a page `startCall` with no page `isCallbackEnabled` before it on the page | `startCall` |
//! | `spa-not-reported` | warning | on a page whose [`PageFact::SpaTracking`] says off, a `navigation` entry with a `cause` (the URL changed) and `reported: false`, while the page has not called `sendPageTitle`; a page `sendPageTitle` later on the same page takes that page's occurrences back | `url-change` |
//! | `removed-without-destroy` | warning | a [`PageFact::WidgetRemoved`] after the widget loaded on the page, when neither `jivo_destroy()` was called nor `jivo_onWidgetDestroy` fired since it last loaded | `nodes` / `globals` |
//!
//! # What the shell must feed besides the log
//!
//! The log carries calls, callbacks, throws, page loads and reported navigations. The shell
//! adds, after the page's `pageLoad` entry: [`PageFact`]s (loader scripts, handler
//! definitions, widget removal, whether SPA tracking is on), and records URL changes the SPA
//! tracker did not report as `navigation` entries with `reported: false`. A fact logged as a
//! `status` entry that carries it ([`Event::fact`]) is observed by [`Checker::push`] itself,
//! so [`check`] judges a stored or imported log as it was judged live.
//!
//! ```
//! use jwi_core::api::{Callback, Method};
//! use jwi_core::checks::{Checker, CheckId, Severity};
//! use jwi_core::event_log::{Entry, Event, Origin};
//! use jwi_core::api::call::Reply;
//! use serde_json::json;
//!
//! let entry = |id, event| Entry { id, at: 0.0, event };
//! let mut checker = Checker::new();
//! let url = "https://shop.example/".to_string();
//! checker.push(&entry(1, Event::PageLoad { url, title: "Shop".into() }));
//! checker.push(&entry(2, Event::ApiCall {
//!     method: Method::SetWidgetColor,
//!     args: vec![json!("red")],
//!     origin: Origin::Page,
//!     outcome: Reply::default(),
//!     note: None,
//! }));
//! checker.push(&entry(3, Event::Callback { name: Callback::OnLoadCallback, args: vec![] }));
//!
//! let ids: Vec<_> = checker.findings().iter().map(|f| f.check).collect();
//! assert_eq!(ids, [CheckId::ApiBeforeLoad, CheckId::WidgetColorNotHex]);
//! assert_eq!(checker.findings()[1].severity, Severity::Error);
//! assert_eq!(
//!     checker.findings()[1].detail,
//!     r#"setWidgetColor: color must be a hex colour like #1a2b3c, got "red""#
//! );
//! assert_eq!(checker.error_count(), 2);
//! assert!(checker.is_error_evidence(2));
//! ```
//!
//! [`Entry`]: crate::event_log::Entry
//! [`Event::fact`]: crate::event_log::Event::fact
//! [`Entry::id`]: crate::event_log::Entry::id
//! [`ApiCall::from_args`]: crate::api::call::ApiCall::from_args
//! [`Email::parse`]: crate::api::call::Email::parse

mod cause;
mod checker;
mod finding;

#[cfg(test)]
mod tests;

pub use cause::{Cause, Guess};
pub use checker::{check, Checker, PageFact, Removal, MAX_FINDINGS, MIN_TOKEN_CHARS};
pub use finding::{error_count, error_evidence, CheckId, Finding, Severity, MAX_EVIDENCE};
