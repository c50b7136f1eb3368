//! The export file: the whole log of one tab as one versioned JSON document
//! (`docs/log-format.md`).

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::event::{quantize_time, Entry};
use super::TabLog;

/// The `format` of an export file.
pub const EXPORT_FORMAT: &str = "jivo-widget-injector/log";

/// The `version` of the export format this code writes and reads.
pub const EXPORT_VERSION: u32 = 1;

/// One tab's log as exported:
/// `{"format":"jivo-widget-injector/log","version":1,"tab":…,"exportedAt":…,"dropped":…,
/// "missed":…,"entries":[…]}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    /// The browser tab id.
    pub tab: i32,
    /// When the file was made, in ms since the epoch.
    pub exported_at: f64,
    /// Entries dropped before the oldest one here (see [`TabLog::dropped`]).
    pub dropped: u64,
    /// Events that never arrived (see [`TabLog::missed`]).
    pub missed: u64,
    /// The entries, oldest first.
    pub entries: Vec<Entry>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportOut<'a> {
    format: &'static str,
    version: u32,
    tab: i32,
    exported_at: f64,
    dropped: u64,
    missed: u64,
    entries: &'a [Entry],
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)] // `format` and `version` are checked before this is read.
struct ExportIn {
    format: String,
    version: u64,
    tab: i32,
    exported_at: f64,
    dropped: u64,
    missed: u64,
    entries: Vec<Entry>,
}

impl Serialize for Export {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ExportOut {
            format: EXPORT_FORMAT,
            version: EXPORT_VERSION,
            tab: self.tab,
            exported_at: self.exported_at,
            dropped: self.dropped,
            missed: self.missed,
            entries: &self.entries,
        }
        .serialize(s)
    }
}

impl Export {
    /// The file's text: pretty-printed JSON, keys in the documented order.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The document as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Reads an export file, strictly: the exact `format`, version 1, every field present, no
    /// unknown field anywhere the format defines, entry ids strictly increasing.
    pub fn parse(text: &str) -> Result<Export, ImportError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| ImportError::NotJson(e.to_string()))?;
        Export::from_value(&value)
    }

    /// [`Export::parse`] for a document already parsed as JSON.
    pub fn from_value(value: &Value) -> Result<Export, ImportError> {
        let Some(obj) = value.as_object() else {
            return Err(ImportError::Malformed("not a JSON object".into()));
        };
        match obj.get("format") {
            Some(Value::String(f)) if f == EXPORT_FORMAT => {}
            other => return Err(ImportError::Format(other.cloned())),
        }
        match obj.get("version").and_then(Value::as_u64) {
            Some(v) if v == u64::from(EXPORT_VERSION) => {}
            _ => return Err(ImportError::Version(obj.get("version").cloned())),
        }
        let raw =
            ExportIn::deserialize(value).map_err(|e| ImportError::Malformed(e.to_string()))?;
        for (i, pair) in raw.entries.windows(2).enumerate() {
            if pair[1].id <= pair[0].id {
                return Err(ImportError::Order {
                    index: i + 1,
                    id: pair[1].id,
                    previous: pair[0].id,
                });
            }
        }
        Ok(Export {
            tab: raw.tab,
            exported_at: raw.exported_at,
            dropped: raw.dropped,
            missed: raw.missed,
            entries: raw.entries,
        })
    }
}

/// Why a file is not an export of this format.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportError {
    /// The text is not JSON.
    NotJson(String),
    /// `format` is missing or not [`EXPORT_FORMAT`] (what it was instead).
    Format(Option<Value>),
    /// `version` is missing or not [`EXPORT_VERSION`] (what it was instead).
    Version(Option<Value>),
    /// A field is missing, unknown or of the wrong type.
    Malformed(String),
    /// An entry's id is not above the previous one's.
    Order {
        /// Its position in `entries`.
        index: usize,
        /// Its id.
        id: u64,
        /// The previous entry's id.
        previous: u64,
    },
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::NotJson(why) => write!(f, "not JSON: {why}"),
            ImportError::Format(None) => {
                write!(f, "not a log export: no \"format\": \"{EXPORT_FORMAT}\"")
            }
            ImportError::Format(Some(v)) => {
                write!(
                    f,
                    "not a log export: format is {v}, expected \"{EXPORT_FORMAT}\""
                )
            }
            ImportError::Version(None) => write!(f, "the log export has no version"),
            ImportError::Version(Some(v)) => write!(
                f,
                "the log export is version {v}, this extension reads version {EXPORT_VERSION}"
            ),
            ImportError::Malformed(why) => write!(f, "malformed log export: {why}"),
            ImportError::Order {
                index,
                id,
                previous,
            } => write!(
                f,
                "entry {index} has id {id}, not above the previous entry's {previous}"
            ),
        }
    }
}

impl std::error::Error for ImportError {}

impl TabLog {
    /// The whole log as an export file of tab `tab`, made at `now` (ms since the epoch).
    pub fn export(&self, tab: i32, now: f64) -> Export {
        Export {
            tab,
            exported_at: quantize_time(now),
            dropped: self.dropped,
            missed: self.missed,
            entries: self.entries().cloned().collect(),
        }
    }
}
