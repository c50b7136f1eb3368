//! What a check reports: [`Finding`], its [`CheckId`] with the fixed texts of each check, and
//! [`Severity`].

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::cause::Cause;

/// How bad a finding is. Ordered from least to most severe: `Note < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// Worth knowing; the integration works.
    Note,
    /// Likely a mistake, or works by luck.
    Warning,
    /// The integration is broken or does what the reference says it must not.
    Error,
}

impl Severity {
    /// The name used in files and on the wire: `note`, `warning` or `error`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Which check made a finding. Serialises as its stable [`CheckId::id`], e.g.
/// `"api-before-load"`; ids are never renamed or reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    /// The page called `jivo_api` before `jivo_onLoadCallback` fired (or after `jivo_destroy()`).
    ApiBeforeLoad,
    /// The page called an entry point with arguments [`ApiCall::from_args`] refuses.
    ///
    /// [`ApiCall::from_args`]: crate::api::call::ApiCall::from_args
    InvalidArguments,
    /// A page call with valid arguments returned `{result: 'fail'}` or threw.
    CallFailed,
    /// More than one JivoChat loader, or a second widget, on one page.
    DuplicateWidget,
    /// A `jivo_on…` handler was defined after the widget had loaded.
    HandlerDefinedLate,
    /// A `jivo_on…` handler was replaced by another script.
    HandlerReplaced,
    /// The page's handler for a callback threw.
    HandlerThrew,
    /// `setUserToken` with a guessable token: a number, a prefixed sequential id, an e-mail, or
    /// a very short text.
    GuessableUserToken,
    /// `setCustomData` with markup in a field's content.
    CustomDataMarkup,
    /// `setCustomData` with a field without content.
    CustomDataNoContent,
    /// `setWidgetColor` with a colour that is not a hex code.
    WidgetColorNotHex,
    /// `startCall` without a prior `isCallbackEnabled` on the page.
    StartCallUnchecked,
    /// The SPA changed its URL without a page load, nobody told the widget (`sendPageTitle`),
    /// and the extension's SPA tracking is off.
    SpaNotReported,
    /// The widget was removed by deleting its nodes or globals instead of `jivo_destroy()`.
    RemovedWithoutDestroy,
}

impl CheckId {
    /// Every check, in the order of `docs/checks.md`.
    pub const ALL: [CheckId; 14] = [
        CheckId::ApiBeforeLoad,
        CheckId::InvalidArguments,
        CheckId::CallFailed,
        CheckId::DuplicateWidget,
        CheckId::HandlerDefinedLate,
        CheckId::HandlerReplaced,
        CheckId::HandlerThrew,
        CheckId::GuessableUserToken,
        CheckId::CustomDataMarkup,
        CheckId::CustomDataNoContent,
        CheckId::WidgetColorNotHex,
        CheckId::StartCallUnchecked,
        CheckId::SpaNotReported,
        CheckId::RemovedWithoutDestroy,
    ];

    /// The stable id, as serialised: `api-before-load`, `invalid-arguments`…
    pub fn id(self) -> &'static str {
        match self {
            CheckId::ApiBeforeLoad => "api-before-load",
            CheckId::InvalidArguments => "invalid-arguments",
            CheckId::CallFailed => "call-failed",
            CheckId::DuplicateWidget => "duplicate-widget",
            CheckId::HandlerDefinedLate => "handler-defined-late",
            CheckId::HandlerReplaced => "handler-replaced",
            CheckId::HandlerThrew => "handler-threw",
            CheckId::GuessableUserToken => "guessable-user-token",
            CheckId::CustomDataMarkup => "custom-data-markup",
            CheckId::CustomDataNoContent => "custom-data-no-content",
            CheckId::WidgetColorNotHex => "widget-color-not-hex",
            CheckId::StartCallUnchecked => "start-call-unchecked",
            CheckId::SpaNotReported => "spa-not-reported",
            CheckId::RemovedWithoutDestroy => "removed-without-destroy",
        }
    }

    /// The check with this id, if it is one.
    pub fn from_id(id: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|c| c.id() == id)
    }

    /// The severity of every finding of this check.
    pub fn severity(self) -> Severity {
        match self {
            CheckId::ApiBeforeLoad
            | CheckId::InvalidArguments
            | CheckId::DuplicateWidget
            | CheckId::HandlerThrew
            | CheckId::CustomDataNoContent
            | CheckId::WidgetColorNotHex => Severity::Error,
            CheckId::CallFailed
            | CheckId::HandlerDefinedLate
            | CheckId::HandlerReplaced
            | CheckId::GuessableUserToken
            | CheckId::CustomDataMarkup
            | CheckId::SpaNotReported
            | CheckId::RemovedWithoutDestroy => Severity::Warning,
            CheckId::StartCallUnchecked => Severity::Note,
        }
    }

    /// A one-line title.
    pub fn title(self) -> &'static str {
        match self {
            CheckId::ApiBeforeLoad => "jivo_api called before the widget loaded",
            CheckId::InvalidArguments => "API call with invalid arguments",
            CheckId::CallFailed => "API call failed",
            CheckId::DuplicateWidget => "More than one JivoChat widget on the page",
            CheckId::HandlerDefinedLate => "Callback handler defined after the widget loaded",
            CheckId::HandlerReplaced => "Callback handler replaced by another script",
            CheckId::HandlerThrew => "Callback handler threw",
            CheckId::GuessableUserToken => "Guessable user token",
            CheckId::CustomDataMarkup => "Markup in custom data",
            CheckId::CustomDataNoContent => "Custom data field without content",
            CheckId::WidgetColorNotHex => "Widget colour is not a hex code",
            CheckId::StartCallUnchecked => "startCall without isCallbackEnabled",
            CheckId::SpaNotReported => "SPA navigation not reported to the widget",
            CheckId::RemovedWithoutDestroy => "Widget removed without jivo_destroy()",
        }
    }

    /// What to do about it.
    pub fn advice(self) -> &'static str {
        match self {
            CheckId::ApiBeforeLoad => {
                "Make jivo_api calls from inside jivo_onLoadCallback (or after it has fired), \
                 not from page scripts that run while the widget is still loading."
            }
            CheckId::InvalidArguments => {
                "Fix the call's arguments as the detail says; the widget refuses or ignores the \
                 call."
            }
            CheckId::CallFailed => {
                "Check the result of the call and handle {result: 'fail'}; the reason says why \
                 the widget refused it."
            }
            CheckId::DuplicateWidget => {
                "Embed the JivoChat loader once per page, with one widget id; to hide and show \
                 the widget use jivo_destroy() and jivo_init() instead of adding the loader again."
            }
            CheckId::HandlerDefinedLate => {
                "Define jivo_on… handlers before the loader script runs (for example in an \
                 inline script above it), so no event fires before the handler exists."
            }
            CheckId::HandlerReplaced => {
                "Define each jivo_on… handler in one place; when several scripts need an event, \
                 have that one handler call them instead of assigning the global again."
            }
            CheckId::HandlerThrew => {
                "Fix the handler, or catch its exceptions: the exception goes back into the widget."
            }
            CheckId::GuessableUserToken => {
                "Pass a hard-to-guess identifier (a random token or a signed value), not a \
                 number, a sequential id or an e-mail address: anyone can send a guessed token."
            }
            CheckId::CustomDataMarkup => {
                "Send plain text in content (the agent sees tags as text); put a URL in link \
                 and a label in key or title instead of markup."
            }
            CheckId::CustomDataNoContent => {
                "Give every setCustomData field a non-empty content; title, link and key are \
                 shown with it, not instead of it."
            }
            CheckId::WidgetColorNotHex => {
                "Pass colours as hexadecimal codes such as #1a2b3c (or #fff)."
            }
            CheckId::StartCallUnchecked => {
                "Call jivo_api.isCallbackEnabled first and offer or start the call only when it \
                 answers {result: 'ok'}."
            }
            CheckId::SpaNotReported => {
                "Call jivo_api.sendPageTitle(title, true, url) after each client-side \
                 navigation, or turn on the extension's SPA tracking to see what that would report."
            }
            CheckId::RemovedWithoutDestroy => {
                "Remove the widget with jivo_destroy() (and show it again with jivo_init()); \
                 deleting its elements or globals leaves it half alive."
            }
        }
    }

    /// The Widget API reference's own words the check rests on (a parameter table row as
    /// `name (type): description`).
    pub fn quote(self) -> &'static str {
        match self {
            CheckId::ApiBeforeLoad => {
                "Methods should be initiated in the proper order, so they must be called from \
                 within a callback function jivo_onLoadCallback."
            }
            CheckId::InvalidArguments => {
                "It returns {result: 'ok'} if the passed parameters are correct. And it returns \
                 {result: 'fail', error: errReason}, where errReason is the validation error of \
                 the passed parameters"
            }
            CheckId::CallFailed => {
                "Otherwise it returns {result: 'fail', reason: 'Callback disabled'} with the \
                 call failure reason details."
            }
            CheckId::DuplicateWidget => {
                "These methods can be used to display the chat window on the page (jivo_init) \
                 or to delete it (jivo_destroy). For example, it can be used in SPA apps if you \
                 need to dynamically hide and show the chat widget."
            }
            CheckId::HandlerDefinedLate | CheckId::HandlerReplaced => {
                "JivoChat executes the functions listed below to report about an event on the \
                 page. You can declare any of these functions on the page and execute a logic of \
                 processing the event that occurred."
            }
            CheckId::HandlerThrew => {
                "JivoChat executes the functions listed below to report about an event on the page."
            }
            CheckId::GuessableUserToken => {
                "We recommend using a hard-to-guess identifier to avoid spoofing."
            }
            CheckId::CustomDataMarkup => "Content of data field. Tags will be insulated",
            CheckId::CustomDataNoContent => "fields.content (string): Content of data field.",
            CheckId::WidgetColorNotHex => {
                "color (string): Hexadecimal color code; color2 (optional string): Hexadecimal \
                 colour code is used to create gradient"
            }
            CheckId::StartCallUnchecked => {
                "Method allows you to start a return call to the specified number, if the calls \
                 are available (Callback feature is configured and the telephony balance is \
                 sufficient)."
            }
            CheckId::SpaNotReported => {
                "Updates the title of the page the client is currently viewing and the page URL \
                 in the JivoChat app, which may be useful for SPA applications."
            }
            CheckId::RemovedWithoutDestroy => {
                "Is executed when the widget is completely removed from the page. It is \
                 triggered when calling jivo_destroy() method."
            }
        }
    }
}

/// The most evidence ids one finding keeps: the newest ones (the log drops the oldest entries
/// first); [`Finding::occurrences`] counts them all.
pub const MAX_EVIDENCE: usize = 64;

/// One thing a check found, with the log entries that show it.
///
/// Serialises with camelCase fields and the check's stable id:
/// `{"check":"invalid-arguments","severity":"error","subject":"setWidgetColor: …",
/// "evidence":[12],"occurrences":1,"detail":"…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Finding {
    /// The check.
    pub check: CheckId,
    /// The check's severity ([`CheckId::severity`]).
    pub severity: Severity,
    /// What the finding is about, within its check (a method, a callback, a reason): a log
    /// has at most one finding per check and subject, whatever the number of pages.
    pub subject: String,
    /// The ids ([`Entry::id`](crate::event_log::Entry::id)) of the log entries that show it,
    /// increasing, at most [`MAX_EVIDENCE`] (the newest). May be empty for a finding that rests
    /// on shell facts alone.
    pub evidence: Vec<u64>,
    /// How many times it was seen (each call, each throw, each page that repeats it).
    pub occurrences: u64,
    /// What exactly happened, from the first occurrence, with reasons and values whole: the
    /// English of [`Finding::cause`].
    pub detail: String,
    /// The same, typed, for a surface to say in its reader's language; absent in files
    /// exported before it existed (their detail is shown as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

impl Finding {
    /// A finding of `check` with its severity, no evidence and no occurrences yet.
    pub fn new(check: CheckId, subject: impl Into<String>, cause: Cause) -> Finding {
        Finding {
            check,
            severity: check.severity(),
            subject: subject.into(),
            evidence: Vec::new(),
            occurrences: 0,
            detail: cause.to_string(),
            cause: Some(cause),
        }
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Adds one occurrence shown by `ids` (kept increasing, without repeats, at most
    /// [`MAX_EVIDENCE`]).
    pub(super) fn add(&mut self, ids: &[u64]) {
        self.occurrences += 1;
        for &id in ids {
            if let Err(i) = self.evidence.binary_search(&id) {
                self.evidence.insert(i, id);
            }
        }
        let over = self.evidence.len().saturating_sub(MAX_EVIDENCE);
        self.evidence.drain(..over);
    }
}

/// How many of `findings` are errors (the toolbar badge's number).
pub fn error_count(findings: &[Finding]) -> usize {
    findings.iter().filter(|f| f.is_error()).count()
}

/// The ids of the log entries that are evidence of an error finding (the popup's Errors filter
/// shows them besides the `error` kinds).
pub fn error_evidence(findings: &[Finding]) -> BTreeSet<u64> {
    findings
        .iter()
        .filter(|f| f.is_error())
        .flat_map(|f| f.evidence.iter().copied())
        .collect()
}
