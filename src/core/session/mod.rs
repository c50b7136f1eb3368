//! Sessions: what the DevTools panel saves of one tab so that it can be shared and opened
//! again (`docs/sessions.md`). A [`Session`] holds the log (as a log export,
//! [`Export`]), the findings of the integration checks, the widget's facts, the settings in
//! force and the browser's and extension's versions. It is written as one versioned JSON
//! document ([`Session::to_json`], read back strictly by [`Session::parse`]) and rendered as
//! one self-contained HTML report that runs no script at all ([`report::render`]).
//!
//! ```
//! use jwi_core::event_log::{Entry, Event, Export};
//! use jwi_core::session::{BrowserInfo, Session, SessionError};
//!
//! let log = Export {
//!     tab: 7,
//!     exported_at: 1_718_000_000_000.0,
//!     dropped: 0,
//!     missed: 0,
//!     entries: vec![Entry { id: 1, at: 1_718_000_000_000.0, event: Event::status("ok") }],
//! };
//! let session = Session {
//!     exported_at: 1_718_000_000_000.0,
//!     browser: BrowserInfo::from_user_agent("Mozilla/5.0 … Firefox/128.0"),
//!     extension_version: "0.1.0".into(),
//!     tab: 7,
//!     url: Some("https://shop.example/".into()),
//!     settings: serde_json::json!({"mode": "sandbox"}),
//!     facts: None,
//!     findings: vec![],
//!     findings_overflow: 0,
//!     log,
//! };
//! assert_eq!(session.browser.name, "Firefox");
//! assert_eq!(Session::parse(&session.to_json()).unwrap(), session);
//! assert!(matches!(Session::parse("{"), Err(SessionError::NotJson(_))));
//! ```

pub mod report;

#[cfg(test)]
mod tests;

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::checks::Finding;
use crate::event_log::{Entry, Export, ImportError, KindCounts, Summary};
use crate::sandbox::WidgetFacts;

/// The `format` of a session file.
pub const SESSION_FORMAT: &str = "jivo-widget-injector/session";

/// The `version` of the session format this code writes and reads.
pub const SESSION_VERSION: u32 = 1;

/// The largest session file read, in bytes (16 MiB): a whole log is at most
/// [`MAX_LOG_BYTES`](crate::event_log::MAX_LOG_BYTES) of compact JSON, about twice that
/// pretty-printed, plus findings, facts and settings. Checked before anything is parsed.
pub const MAX_SESSION_BYTES: usize = 16 * 1024 * 1024;

/// The browser a session was recorded in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BrowserInfo {
    /// `Firefox`, `Chrome`, `Edge`, `Opera`, `Chromium` or `unknown`.
    pub name: String,
    /// The browser's version (`128.0`, `131.0.6778.85`), or `""` if unknown.
    pub version: String,
    /// `navigator.userAgent` as it was.
    pub user_agent: String,
}

impl BrowserInfo {
    /// The browser's name and version as a user agent string gives them.
    pub fn from_user_agent(ua: &str) -> BrowserInfo {
        const TOKENS: [(&str, &str); 6] = [
            ("Firefox/", "Firefox"),
            ("Edg/", "Edge"),
            ("OPR/", "Opera"),
            ("HeadlessChrome/", "Chrome"),
            ("Chrome/", "Chrome"),
            ("Chromium/", "Chromium"),
        ];
        for (token, name) in TOKENS {
            if let Some(at) = ua.find(token) {
                let version: String = ua[at + token.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
                    .collect();
                return BrowserInfo {
                    name: name.to_owned(),
                    version,
                    user_agent: ua.to_owned(),
                };
            }
        }
        BrowserInfo {
            name: "unknown".to_owned(),
            version: String::new(),
            user_agent: ua.to_owned(),
        }
    }
}

/// One tab's session as the panel exports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    /// When the file was made, in ms since the epoch.
    pub exported_at: f64,
    /// The browser it was recorded in.
    pub browser: BrowserInfo,
    /// The extension's version (its manifest's `version`).
    pub extension_version: String,
    /// The browser tab id.
    pub tab: i32,
    /// The tab's page URL when exported, if known.
    pub url: Option<String>,
    /// The settings document in force (`docs/settings.md`), a JSON object.
    pub settings: Value,
    /// The widget's facts when exported, if there was a widget.
    pub facts: Option<WidgetFacts>,
    /// The findings of the integration checks, in the order they were first made.
    pub findings: Vec<Finding>,
    /// Findings not kept because the checker held its maximum.
    pub findings_overflow: u64,
    /// The whole log, in the log export format (`docs/log-format.md`).
    pub log: Export,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionOut<'a> {
    format: &'static str,
    version: u32,
    exported_at: f64,
    browser: &'a BrowserInfo,
    extension: ExtensionInfo<'a>,
    tab: i32,
    url: &'a Option<String>,
    settings: &'a Value,
    facts: &'a Option<WidgetFacts>,
    findings: &'a [Finding],
    findings_overflow: u64,
    log: &'a Export,
}

#[derive(Serialize)]
struct ExtensionInfo<'a> {
    version: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ExtensionIn {
    version: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)] // `format` and `version` are checked before this is read.
struct SessionIn {
    format: String,
    version: u64,
    exported_at: f64,
    browser: BrowserInfo,
    extension: ExtensionIn,
    tab: i32,
    url: Option<String>,
    settings: Value,
    facts: Option<WidgetFacts>,
    findings: Vec<Finding>,
    findings_overflow: u64,
    log: Value,
}

impl Serialize for Session {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SessionOut {
            format: SESSION_FORMAT,
            version: SESSION_VERSION,
            exported_at: self.exported_at,
            browser: &self.browser,
            extension: ExtensionInfo {
                version: &self.extension_version,
            },
            tab: self.tab,
            url: &self.url,
            settings: &self.settings,
            facts: &self.facts,
            findings: &self.findings,
            findings_overflow: self.findings_overflow,
            log: &self.log,
        }
        .serialize(s)
    }
}

impl Session {
    /// The file's text: pretty-printed JSON, keys in the documented order.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a session file, strictly: at most [`MAX_SESSION_BYTES`], JSON, the exact
    /// `format`, version 1, every field present with its type and no unknown field, the
    /// settings an object, and the log a valid log export ([`Export::parse`]).
    pub fn parse(text: &str) -> Result<Session, SessionError> {
        if text.len() > MAX_SESSION_BYTES {
            return Err(SessionError::TooBig { bytes: text.len() });
        }
        let value: Value =
            serde_json::from_str(text).map_err(|e| SessionError::NotJson(e.to_string()))?;
        let Some(obj) = value.as_object() else {
            return Err(SessionError::Format(None));
        };
        match obj.get("format") {
            Some(Value::String(f)) if f == SESSION_FORMAT => {}
            other => return Err(SessionError::Format(other.cloned())),
        }
        match obj.get("version").and_then(Value::as_u64) {
            Some(v) if v == u64::from(SESSION_VERSION) => {}
            _ => return Err(SessionError::Version(obj.get("version").cloned())),
        }
        let raw =
            SessionIn::deserialize(&value).map_err(|e| SessionError::Malformed(e.to_string()))?;
        if !raw.settings.is_object() {
            return Err(SessionError::Malformed(
                "settings must be a JSON object".into(),
            ));
        }
        let log = Export::from_value(&raw.log).map_err(SessionError::Log)?;
        Ok(Session {
            exported_at: raw.exported_at,
            browser: raw.browser,
            extension_version: raw.extension.version,
            tab: raw.tab,
            url: raw.url,
            settings: raw.settings,
            facts: raw.facts,
            findings: raw.findings,
            findings_overflow: raw.findings_overflow,
            log,
        })
    }

    /// The log's entries, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.log.entries
    }

    /// The log's numbers as the background would send them for this log (the panel shows an
    /// imported session through the same mirror as a live one).
    pub fn summary(&self) -> Summary {
        let entries = self.entries();
        let next_id = entries.last().map_or(1, |e| e.id + 1);
        Summary {
            len: entries.len() as u32,
            cap: entries.len() as u32,
            dropped: self.log.dropped,
            missed: self.log.missed,
            counts: KindCounts::of(entries),
            first_id: entries.first().map_or(next_id, |e| e.id),
            next_id,
        }
    }
}

/// Why a file is not a session this extension can open. Each has a `_locales` message
/// ([`SessionError::key`], with [`SessionError::args`] for its `$1`, `$2`).
#[derive(Clone, Debug, PartialEq)]
pub enum SessionError {
    /// Over [`MAX_SESSION_BYTES`].
    TooBig {
        /// The file's size in bytes.
        bytes: usize,
    },
    /// The text is not JSON.
    NotJson(String),
    /// Not a JSON object, or `format` is missing or not [`SESSION_FORMAT`] (what it was).
    Format(Option<Value>),
    /// `version` is missing or not [`SESSION_VERSION`] (what it was).
    Version(Option<Value>),
    /// A field is missing, unknown or of the wrong type.
    Malformed(String),
    /// The `log` is not a valid log export.
    Log(ImportError),
}

impl SessionError {
    /// The `_locales` key of the message a person reads.
    pub fn key(&self) -> &'static str {
        match self {
            SessionError::TooBig { .. } => "session_error_too_big",
            SessionError::NotJson(_) => "session_error_not_json",
            SessionError::Format(_) => "session_error_format",
            SessionError::Version(_) => "session_error_version",
            SessionError::Malformed(_) | SessionError::Log(_) => "session_error_malformed",
        }
    }

    /// The message's substitutions: the size and the limit in MiB; the parser's words; the
    /// version found and the one read; what is wrong.
    pub fn args(&self) -> Vec<String> {
        let mib = |b: usize| format!("{:.1}", b as f64 / (1024.0 * 1024.0));
        match self {
            SessionError::TooBig { bytes } => vec![mib(*bytes), mib(MAX_SESSION_BYTES)],
            SessionError::NotJson(why) | SessionError::Malformed(why) => vec![why.clone()],
            SessionError::Format(_) => vec![SESSION_FORMAT.to_owned()],
            SessionError::Version(v) => vec![
                v.as_ref()
                    .map_or_else(|| "none".to_owned(), Value::to_string),
                SESSION_VERSION.to_string(),
            ],
            SessionError::Log(e) => vec![format!("log: {e}")],
        }
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::TooBig { bytes } => write!(
                f,
                "the file is {bytes} bytes, more than a session can be ({MAX_SESSION_BYTES})"
            ),
            SessionError::NotJson(why) => write!(f, "not JSON: {why}"),
            SessionError::Format(_) => {
                write!(f, "not a session file: no \"format\": \"{SESSION_FORMAT}\"")
            }
            SessionError::Version(None) => write!(f, "the session file has no version"),
            SessionError::Version(Some(v)) => write!(
                f,
                "the session file is version {v}, this extension reads version {SESSION_VERSION}"
            ),
            SessionError::Malformed(why) => write!(f, "malformed session file: {why}"),
            SessionError::Log(e) => write!(f, "malformed session file: log: {e}"),
        }
    }
}

impl std::error::Error for SessionError {}
