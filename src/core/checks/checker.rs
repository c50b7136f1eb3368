//! The incremental [`Checker`] and the [`PageFact`]s the shell feeds it besides log entries.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::cause::{Cause, Guess};
use super::finding::{error_count, error_evidence, CheckId, Finding};
use crate::api::call::Reply;
use crate::api::call::{ApiCall, ApiResult, ArgError, CustomDataField, Email};
use crate::api::{Callback, Method};
use crate::event_log::{Entry, Event, Origin};
use crate::jivochat::loader_widget_id;

/// The most findings one checker keeps; later new subjects are counted in
/// [`Checker::overflow`] instead (a page cannot grow the list without bound by varying its
/// mistakes).
pub const MAX_FINDINGS: usize = 256;

/// A token shorter than this many characters is guessable whatever it is made of.
pub const MIN_TOKEN_CHARS: usize = 8;

/// Something the shell saw on the page that the event log has no entry kind for.
///
/// Log it as a `status` entry that carries it ([`Event::fact`]), which [`Checker::push`]
/// observes, or feed it with [`Checker::observe`] in order with the log's entries; either way
/// after the `pageLoad` entry of the page it is about. Serialises with a `fact` tag and camelCase fields, e.g.
/// `{"fact":"handlerDefined","name":"jivo_onOpen","script":"https://shop.example/app.js"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "fact",
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    deny_unknown_fields
)]
pub enum PageFact {
    /// The JivoChat loader `<script>` elements the document holds now
    /// ([`site_loader`](crate::jivochat::site_loader)), the extension's own included;
    /// fed whenever that list changes.
    Loaders {
        /// Their `src` URLs, in document order.
        srcs: Vec<String>,
    },
    /// The page assigned a function to `window.jivo_on…` (each assignment, the first included).
    HandlerDefined {
        /// Which callback.
        name: Callback,
        /// The URL of the script that assigned it, when the shim could tell
        /// (`document.currentScript`); an inline script is the page's URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        script: Option<String>,
    },
    /// The widget was taken off the page by something other than the widget itself.
    WidgetRemoved {
        /// What was removed.
        how: Removal,
    },
    /// Whether the extension's SPA tracking is on for this page (`spa.enabled` of the page's
    /// config), fed once per page.
    SpaTracking {
        /// `spa.enabled`.
        enabled: bool,
    },
}

impl PageFact {
    /// What the log's status entry for this fact says, in plain words.
    pub fn describe(&self) -> String {
        match self {
            PageFact::Loaders { srcs } => match srcs.len() {
                0 => "no JivoChat loader on the page".into(),
                1 => format!("1 JivoChat loader on the page: {}", srcs[0]),
                n => format!("{n} JivoChat loaders on the page: {}", srcs.join(", ")),
            },
            PageFact::HandlerDefined { name, script } => format!(
                "the page defined {} ({})",
                name.name(),
                match script {
                    Some(s) => format!("script {s}"),
                    None => "script unknown".into(),
                }
            ),
            PageFact::WidgetRemoved {
                how: Removal::Nodes,
            } => "the widget's element was removed from the document".into(),
            PageFact::WidgetRemoved {
                how: Removal::Globals,
            } => "window.jivo_api was deleted or overwritten".into(),
            PageFact::SpaTracking { enabled } => {
                format!("SPA tracking is {}", if *enabled { "on" } else { "off" })
            }
        }
    }
}

/// How a widget was removed without `jivo_destroy()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Removal {
    /// The widget's root element was removed from the document.
    Nodes,
    /// `window.jivo_api` was deleted or overwritten.
    Globals,
}

impl Removal {
    /// `nodes` or `globals`.
    pub fn name(self) -> &'static str {
        match self {
            Removal::Nodes => "nodes",
            Removal::Globals => "globals",
        }
    }
}

/// Judges a tab's log against the Widget API reference, one entry (or fact) at a time.
///
/// Feed it the log's entries in id order with [`Checker::push`] and the shell's facts with
/// [`Checker::observe`]; [`Checker::findings`] is the current verdict. Start a new checker when
/// the log is cleared. Entries before the first `pageLoad` it sees belong to a page whose start
/// it missed: the rules that need to know what happened earlier on the page skip them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checker {
    findings: Vec<Finding>,
    overflow: u64,
    /// The current page, once its `pageLoad` was seen.
    page: Option<PageState>,
}

/// What the rules remember about the current page.
#[derive(Clone, Debug, Default, PartialEq)]
struct PageState {
    /// The `jivo_onLoadCallback` entry while the widget is loaded.
    loaded: Option<u64>,
    /// Whether the widget has loaded on this page at all.
    ever_loaded: bool,
    /// `jivo_destroy()` was called or `jivo_onWidgetDestroy` fired since the widget last loaded.
    destroyed: bool,
    /// The page called `isCallbackEnabled`.
    callback_checked: bool,
    /// `spa.enabled`, once told.
    spa_tracking: Option<bool>,
    /// The page called `sendPageTitle` itself.
    sent_title: bool,
    /// URL changes that were not reported to the widget.
    unreported: Vec<u64>,
    /// Those of them counted in a `spa-not-reported` finding.
    spa_counted: Vec<u64>,
    /// The script behind each handler's latest definition.
    handlers: Vec<(Callback, Option<String>)>,
    /// A `duplicate-widget` finding was counted for this page's loaders.
    loaders_counted: bool,
}

impl Checker {
    /// A checker that has seen nothing.
    pub fn new() -> Checker {
        Checker::default()
    }

    /// The findings so far, in the order they were first made.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// How many findings are errors (the toolbar badge's number).
    pub fn error_count(&self) -> usize {
        error_count(&self.findings)
    }

    /// Whether the log entry `id` is evidence of an error finding.
    pub fn is_error_evidence(&self, id: u64) -> bool {
        self.findings
            .iter()
            .any(|f| f.is_error() && f.evidence.binary_search(&id).is_ok())
    }

    /// The ids of all entries that are evidence of an error finding.
    pub fn error_evidence(&self) -> std::collections::BTreeSet<u64> {
        error_evidence(&self.findings)
    }

    /// Findings not kept because [`MAX_FINDINGS`] were already held.
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    /// Takes the next log entry into account; whether the findings changed.
    pub fn push(&mut self, entry: &Entry) -> bool {
        let id = entry.id;
        match &entry.event {
            Event::PageLoad { .. } => {
                self.page = Some(PageState::default());
                false
            }
            Event::Callback { name, .. } => self.callback(id, *name),
            Event::CallbackThrew { name, message } => self.report(
                CheckId::HandlerThrew,
                format!("{}: {message}", name.name()),
                || Cause::HandlerThrew {
                    callback: *name,
                    message: message.clone(),
                },
                &[id],
            ),
            Event::ApiCall {
                method,
                args,
                origin,
                outcome,
                ..
            } => self.api_call(id, *method, args, *origin, outcome),
            Event::Navigation {
                cause, reported, ..
            } => {
                if cause.is_none() || *reported {
                    return false;
                }
                let Some(page) = &mut self.page else {
                    return false;
                };
                page.unreported.push(id);
                self.spa_check()
            }
            Event::Status {
                fact: Some(fact), ..
            } => self.observe(fact, Some(id)),
            Event::Status { .. } | Event::Error { .. } => false,
        }
    }

    /// Takes a shell fact into account; `entry` is the id of a log entry the shell recorded to
    /// show it, if any (it becomes evidence). Whether the findings changed.
    pub fn observe(&mut self, fact: &PageFact, entry: Option<u64>) -> bool {
        let Some(page) = &mut self.page else {
            return false;
        };
        let ids: Vec<u64> = entry.into_iter().collect();
        match fact {
            PageFact::Loaders { srcs } => {
                if srcs.len() < 2 || page.loaders_counted {
                    return false;
                }
                page.loaders_counted = true;
                self.report(
                    CheckId::DuplicateWidget,
                    "loaders",
                    || loaders_cause(srcs),
                    &ids,
                )
            }
            PageFact::HandlerDefined { name, script } => {
                let loaded = page.loaded;
                let previous = match page.handlers.iter_mut().find(|(n, _)| n == name) {
                    Some((_, s)) => Some(std::mem::replace(s, script.clone())),
                    None => {
                        page.handlers.push((*name, script.clone()));
                        None
                    }
                };
                let mut changed = false;
                if let Some(load) = loaded {
                    let mut evidence = vec![load];
                    evidence.extend(&ids);
                    changed |= self.report(
                        CheckId::HandlerDefinedLate,
                        name.name(),
                        || Cause::DefinedLate {
                            callback: *name,
                            load,
                        },
                        &evidence,
                    );
                }
                if let Some(previous) = previous.filter(|p| p != script) {
                    changed |= self.report(
                        CheckId::HandlerReplaced,
                        name.name(),
                        || Cause::Replaced {
                            callback: *name,
                            before: previous.clone(),
                            after: script.clone(),
                        },
                        &ids,
                    );
                }
                changed
            }
            PageFact::WidgetRemoved { how } => {
                // A widget that never loaded on this page was not removed: a loader may
                // define and redefine its globals while it starts.
                let legit = page.destroyed || !page.ever_loaded;
                page.loaded = None;
                if legit {
                    return false;
                }
                self.report(
                    CheckId::RemovedWithoutDestroy,
                    how.name(),
                    || Cause::Removed { how: *how },
                    &ids,
                )
            }
            PageFact::SpaTracking { enabled } => {
                page.spa_tracking = Some(*enabled);
                self.spa_check()
            }
        }
    }

    fn callback(&mut self, id: u64, name: Callback) -> bool {
        let Some(page) = &mut self.page else {
            return false;
        };
        match name {
            Callback::OnLoadCallback => {
                let previous = page.loaded.replace(id);
                page.ever_loaded = true;
                page.destroyed = false;
                match previous {
                    Some(first) => self.report(
                        CheckId::DuplicateWidget,
                        "jivo_onLoadCallback",
                        || Cause::LoadedTwice { first, second: id },
                        &[first, id],
                    ),
                    None => false,
                }
            }
            Callback::OnWidgetDestroy => {
                page.loaded = None;
                page.destroyed = true;
                false
            }
            _ => false,
        }
    }

    fn api_call(
        &mut self,
        id: u64,
        method: Method,
        args: &[Value],
        origin: Origin,
        outcome: &Reply,
    ) -> bool {
        let mut changed = false;
        let before_load = match &mut self.page {
            Some(page) => {
                let before = page.loaded.is_none().then_some(page.ever_loaded);
                if method == Method::JivoDestroy {
                    page.loaded = None;
                    page.destroyed = true;
                }
                before
            }
            None => None,
        };
        if origin != Origin::Page {
            return false;
        }
        let m = method.name();

        if let (Some(after_destroy), true) = (before_load, method.is_jivo_api_method()) {
            changed |= self.report(
                CheckId::ApiBeforeLoad,
                m,
                || match after_destroy {
                    false => Cause::CalledBeforeLoad { method },
                    true => Cause::CalledAfterDestroy { method },
                },
                &[id],
            );
        }
        if let Some(page) = &mut self.page {
            match method {
                Method::IsCallbackEnabled => page.callback_checked = true,
                Method::StartCall if !page.callback_checked => {
                    changed |= self.report(
                        CheckId::StartCallUnchecked,
                        m,
                        || Cause::StartCallUnchecked,
                        &[id],
                    );
                }
                Method::SendPageTitle => {
                    page.sent_title = true;
                    let counted = std::mem::take(&mut page.spa_counted);
                    changed |= self.retract(CheckId::SpaNotReported, SPA_SUBJECT, &counted);
                }
                _ => {}
            }
        }

        let call = match ApiCall::from_args(method, args) {
            Ok(call) => call,
            Err(e) => return changed | self.invalid_call(id, method, args, &e),
        };
        if let Some(threw) = &outcome.threw {
            changed |= self.report(
                CheckId::CallFailed,
                format!("{m}: threw {threw}"),
                || Cause::CallThrew {
                    method,
                    threw: threw.clone(),
                },
                &[id],
            );
        } else if let Some(returned) = &outcome.returned {
            if let Some(ApiResult::Fail { why, .. }) = ApiResult::from_value(returned) {
                changed |= self.report(
                    CheckId::CallFailed,
                    format!("{m}: {why}"),
                    || Cause::CallReturned {
                        method,
                        returned: returned.to_string(),
                    },
                    &[id],
                );
            }
        }
        match call {
            ApiCall::SetUserToken(token) => {
                if let Some(guess) = guessable_token(&token) {
                    changed |= self.report(
                        CheckId::GuessableUserToken,
                        guess.name(),
                        || Cause::GuessableToken {
                            token: token.clone(),
                            guess,
                        },
                        &[id],
                    );
                }
            }
            ApiCall::SetCustomData(fields) => {
                if let Some((i, field)) = fields.iter().enumerate().find(|(_, f)| has_markup(f)) {
                    changed |= self.report(
                        CheckId::CustomDataMarkup,
                        "content",
                        || Cause::CustomDataMarkup {
                            index: i,
                            content: field.content.clone(),
                        },
                        &[id],
                    );
                }
            }
            _ => {}
        }
        changed
    }

    /// A page call that [`ApiCall::from_args`] refused: the specific check where there is one.
    fn invalid_call(&mut self, id: u64, method: Method, args: &[Value], e: &ArgError) -> bool {
        let m = method.name();
        let (check, subject) = match method {
            Method::SetWidgetColor => (CheckId::WidgetColorNotHex, e.to_string()),
            Method::SetCustomData if lacks_content(e, args) => {
                (CheckId::CustomDataNoContent, e.to_string())
            }
            _ => (CheckId::InvalidArguments, format!("{m}: {e}")),
        };
        let cause = || Cause::InvalidArguments {
            method,
            error: e.clone(),
        };
        self.report(check, subject, cause, &[id])
    }

    /// Counts the current page's unreported URL changes when the rule holds.
    fn spa_check(&mut self) -> bool {
        let Some(page) = &mut self.page else {
            return false;
        };
        if page.spa_tracking != Some(false) || page.sent_title {
            return false;
        }
        let new: Vec<u64> = page
            .unreported
            .iter()
            .copied()
            .filter(|id| !page.spa_counted.contains(id))
            .collect();
        page.spa_counted.extend(&new);
        let mut changed = false;
        for id in new {
            changed |= self.report(
                CheckId::SpaNotReported,
                SPA_SUBJECT,
                || Cause::UrlChangeUnreported { entry: id },
                &[id],
            );
        }
        changed
    }

    /// Adds an occurrence to the finding of `check` about `subject`, making it if need be.
    fn report(
        &mut self,
        check: CheckId,
        subject: impl Into<String>,
        cause: impl FnOnce() -> Cause,
        ids: &[u64],
    ) -> bool {
        let subject = subject.into();
        let finding = match self
            .findings
            .iter_mut()
            .position(|f| f.check == check && f.subject == subject)
        {
            Some(i) => &mut self.findings[i],
            None if self.findings.len() >= MAX_FINDINGS => {
                self.overflow += 1;
                return false;
            }
            None => {
                self.findings.push(Finding::new(check, subject, cause()));
                self.findings.last_mut().expect("just pushed")
            }
        };
        finding.add(ids);
        true
    }

    /// Takes back the occurrences `ids` showed (one each); a finding left with none goes.
    fn retract(&mut self, check: CheckId, subject: &str, ids: &[u64]) -> bool {
        if ids.is_empty() {
            return false;
        }
        let Some(i) = self
            .findings
            .iter()
            .position(|f| f.check == check && f.subject == subject)
        else {
            return false;
        };
        let f = &mut self.findings[i];
        f.occurrences = f.occurrences.saturating_sub(ids.len() as u64);
        f.evidence.retain(|id| !ids.contains(id));
        if f.occurrences == 0 {
            self.findings.remove(i);
        }
        true
    }
}

/// The one `spa-not-reported` subject: the rule is about the site, not one URL.
const SPA_SUBJECT: &str = "url-change";

/// Checks a whole log at once: the findings of a [`Checker`] fed `entries` in order.
pub fn check<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Vec<Finding> {
    let mut checker = Checker::new();
    for entry in entries {
        checker.push(entry);
    }
    checker.findings
}

/// Whether a token (as [`ApiCall::SetUserToken`] holds it: trimmed, not empty) is guessable.
pub(super) fn guessable_token(token: &str) -> Option<Guess> {
    let digits = token.strip_prefix('-').unwrap_or(token);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Guess::Number);
    }
    if Email::parse(token).is_ok() {
        return Some(Guess::Email);
    }
    let word = token.trim_end_matches(|c: char| c.is_ascii_digit());
    let word = word.trim_end_matches(['-', '_', ':', '#', '.', '/']);
    if word.len() < token.len()
        && token.ends_with(|c: char| c.is_ascii_digit())
        && (1..=12).contains(&word.len())
        && word.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return Some(Guess::SequentialId);
    }
    (token.chars().count() < MIN_TOKEN_CHARS).then_some(Guess::Short)
}

/// Whether a custom-data field's content holds a tag: `<` then a letter, `/` or `!`, and a
/// later `>`.
pub(super) fn has_markup(field: &CustomDataField) -> bool {
    let s = field.content.as_str();
    s.match_indices('<').any(|(i, _)| {
        let rest = &s[i + 1..];
        rest.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!')
            && rest.contains('>')
    })
}

/// Whether `setCustomData` was refused because the field the error names has no content
/// (missing, `null` or blank), rather than a content of the wrong type or length.
fn lacks_content(e: &ArgError, args: &[Value]) -> bool {
    let Some(index) = e
        .field()
        .strip_prefix("fields[")
        .and_then(|r| r.strip_suffix("].content"))
        .and_then(|i| i.parse::<usize>().ok())
    else {
        return false;
    };
    let field = args.first().and_then(|a| a.get(index));
    match field.and_then(|f| f.as_object()).map(|o| o.get("content")) {
        Some(None | Some(Value::Null)) => true,
        Some(Some(Value::String(s))) => s.trim().is_empty(),
        _ => false,
    }
}

fn loaders_cause(srcs: &[String]) -> Cause {
    let mut ids: Vec<String> = srcs
        .iter()
        .filter_map(|s| loader_widget_id(s))
        .map(str::to_owned)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Cause::Loaders {
        srcs: srcs.to_vec(),
        widget_ids: ids,
    }
}
