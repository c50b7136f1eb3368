//! Sessions in the panel (`docs/sessions.md`): export the tab's session as a JSON file
//! (`#session-export-json`) or as an HTML report (`#session-export-html`), and open a session
//! file (`#session-import`) read-only: a banner (`#session-banner`) says whose it is, live
//! updates are off, and the log, its filters, the findings (as exported) and the facts show the
//! file's. "Back to live" (`#session-close`) reloads the panel. A file that cannot be read is
//! refused with a localized reason (`#session-error`) and changes nothing.
//!
//! The file and the report are the core's ([`jwi_core::session`]); this only gathers what the
//! panel knows, reads the file and puts the result on screen.

use std::cell::RefCell;

use wasm_bindgen_futures::spawn_local;

use jwi_browser::bindings;
use jwi_browser::dom::{self, on};
use jwi_browser::ext;
use jwi_browser::i18n::{self, t};
use jwi_browser::storage::{self, Area};
use jwi_core::checks::{CheckId, Finding, Severity};
use jwi_core::event_log::Export;
use jwi_core::protocol::popup::{FromPopup, TabView};
use jwi_core::session::report::{self, Word, Words};
use jwi_core::session::{BrowserInfo, Session, SessionError, MAX_SESSION_BYTES};
use jwi_core::storage_keys::{SETTINGS, SETTINGS_IN_FORCE};
use jwi_core::view::{log_rows, settings_form};

use crate::check_text;

/// What an export makes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Json,
    Html,
}

#[derive(Default)]
struct State {
    /// The tab's view as last sent (facts, URL).
    view: Option<TabView>,
    /// The findings as last sent, and their overflow.
    findings: Vec<Finding>,
    overflow: u64,
    /// The export asked for, waiting for the background's log.
    pending: Option<Target>,
    /// The session opened from a file, if any: the panel shows it instead of the live tab.
    imported: Option<Session>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Wires the session controls; called once at start.
pub fn setup() {
    on("session-export-json", "click", |_| export(Target::Json));
    on("session-export-html", "click", |_| export(Target::Html));
    on("session-close", "click", |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.location().reload();
        }
    });
    if let Some(input) = dom::by_id("session-import") {
        dom::listen(&input, "change", |event| {
            let Some(target) = event.target() else { return };
            let Some(file) = bindings::first_file(&target) else {
                return;
            };
            // Choosing the same file again should open it again.
            dom::set_value("session-import", "");
            spawn_local(import(file));
        });
    }
}

/// Whether the panel shows an imported session (live updates are off).
pub fn is_imported() -> bool {
    STATE.with(|s| s.borrow().imported.is_some())
}

/// The tab's view changed (live).
pub fn on_view(view: &TabView) {
    STATE.with(|s| s.borrow_mut().view = Some(view.clone()));
}

/// The findings changed (live).
pub fn on_findings(findings: &[Finding], overflow: u64) {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.findings = findings.to_vec();
        s.overflow = overflow;
    });
}

fn export(target: Target) {
    dom::set_text("session-error", "");
    if let Some(session) = STATE.with(|s| s.borrow().imported.clone()) {
        save(&session, target);
        return;
    }
    STATE.with(|s| s.borrow_mut().pending = Some(target));
    dom::set_attr("session-tools", "aria-busy", "true");
    dom::set_text("session-status", &t("panel_session_exporting", &[]));
    super::post(|tab| FromPopup::ExportLog { tab });
    // No answer (the background is gone and the panel not yet reconnected): say so rather
    // than wait for ever; the person can try again.
    jwi_browser::timers::set_timeout(EXPORT_WAIT_MS, move || {
        let waiting = STATE.with(|s| {
            let mut s = s.borrow_mut();
            let waiting = s.pending == Some(target);
            if waiting {
                s.pending = None;
            }
            waiting
        });
        if waiting {
            done_exporting();
            dom::set_text("session-error", &t("panel_session_export_failed", &[]));
        }
    });
}

/// How long an export waits for the background's log, in ms.
const EXPORT_WAIT_MS: i32 = 10_000;

/// The background's `LogExport`: completes the export asked for.
pub fn on_export(export: &serde_json::Value) {
    let Some(target) = STATE.with(|s| s.borrow_mut().pending.take()) else {
        return;
    };
    let Ok(log) = Export::from_value(export) else {
        done_exporting();
        return;
    };
    spawn_local(async move {
        let settings = settings_in_force().await;
        let session = STATE.with(|s| {
            let s = s.borrow();
            Session {
                exported_at: log.exported_at,
                browser: BrowserInfo::from_user_agent(&bindings::user_agent()),
                extension_version: ext::extension_version(),
                tab: log.tab,
                url: s.view.as_ref().and_then(|v| v.url.clone()),
                settings,
                facts: s.view.as_ref().and_then(|v| v.facts.clone()),
                findings: s.findings.clone(),
                findings_overflow: s.overflow,
                log,
            }
        });
        save(&session, target);
        done_exporting();
    });
}

fn done_exporting() {
    if let Some(e) = dom::by_id("session-tools") {
        let _ = e.remove_attribute("aria-busy");
    }
    dom::set_text("session-status", "");
}

/// The settings document in force, as the options page shows it.
async fn settings_in_force() -> serde_json::Value {
    let stored = storage::get_or_empty(Area::Local, &[SETTINGS, SETTINGS_IN_FORCE]).await;
    let managed = storage::managed()
        .await
        .and_then(settings_form::managed_document);
    let null = serde_json::Value::Null;
    settings_form::load(
        stored.get(SETTINGS).unwrap_or(&null),
        stored.get(SETTINGS_IN_FORCE).unwrap_or(&null),
        managed.as_ref(),
    )
    .effective
    .settings()
    .to_value()
}

/// Offers the session as a file.
fn save(session: &Session, target: Target) {
    let offset = crate::shared::log::utc_offset_min();
    let (ext, text, mime) = match target {
        Target::Json => ("json", session.to_json(), "application/json"),
        Target::Html => (
            "html",
            report::render(session, &LocalWords),
            "text/html;charset=utf-8",
        ),
    };
    let name = log_rows::session_file_name(session.tab, session.exported_at, offset, ext);
    bindings::download_text("session-export-link", &name, &text, mime);
}

/// The report's words from `_locales`.
struct LocalWords;

impl Words for LocalWords {
    fn word(&self, w: Word) -> String {
        i18n::message(w.key(), &[]).unwrap_or_else(|| w.english().to_owned())
    }
    fn check_title(&self, c: CheckId) -> String {
        check_text::title(c)
    }
    fn check_advice(&self, c: CheckId) -> String {
        check_text::advice(c)
    }
    fn detail(&self, f: &Finding) -> String {
        check_text::detail(f)
    }
    fn severity(&self, s: Severity) -> String {
        check_text::severity(s)
    }
    fn lang(&self) -> String {
        i18n::ui_language().unwrap_or_else(|| "en".to_owned())
    }
}

async fn import(file: web_sys::File) {
    let name = file.name();
    dom::set_text("session-error", "");
    let size = file.size();
    let parsed = if size > MAX_SESSION_BYTES as f64 {
        Err(SessionError::TooBig {
            bytes: size as usize,
        })
    } else {
        match ext::call(file.text()).await {
            Ok(text) => Session::parse(&text.as_string().unwrap_or_default()),
            Err(e) => Err(SessionError::NotJson(e)),
        }
    };
    match parsed {
        Err(e) => {
            let args = e.args();
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let reason = t(e.key(), &args);
            dom::set_text(
                "session-error",
                &t("panel_session_refused", &[&name, &reason]),
            );
        }
        Ok(session) => show(session),
    }
}

/// Shows an imported session, read-only.
fn show(session: Session) {
    let offset = crate::shared::log::utc_offset_min();
    let when = log_rows::date_time(session.exported_at, offset);
    let browser = format!("{} {}", session.browser.name, session.browser.version);
    let site = session.url.clone().unwrap_or_default();
    dom::set_text(
        "session-banner-text",
        &t(
            "panel_session_banner",
            &[
                crate::popup::site_of(&site),
                &when,
                &browser,
                &session.extension_version,
            ],
        ),
    );
    dom::set_hidden("session-banner", false);
    dom::set_attr("panel", "data-imported", "true");
    dom::set_text("page-site", crate::popup::site_of(&site));
    dom::set_attr("page-site", "title", &site);
    for id in ["log-clear", "log-pause", "api-call", "api-anyway"] {
        dom::set_disabled(id, true);
    }
    crate::popup::render_facts(session.facts.as_ref());
    super::findings::render(&session.findings, session.findings_overflow);
    super::log::show_imported(session.summary(), session.entries().to_vec());
    super::log::set_error_evidence(jwi_core::checks::error_evidence(&session.findings));
    STATE.with(|s| s.borrow_mut().imported = Some(session));
    dom::focus("session-close");
}
